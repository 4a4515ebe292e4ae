#!/usr/bin/env python3
"""The admin API on its own listeners (janus-api.md 1.11) and the admin_secret policy."""

import asyncio

import sy
from sy import SYTEST, check_error

UNAUTHORIZED = "Unauthorized request (wrong or missing secret/token)"

SRV = sy.Server("admin", general={"session_timeout": 60},
                ws_admin={"admin_ws": True, "admin_ws_ip": "127.0.0.1", "admin_ws_port": 7188},
                http_admin={"admin_http": True, "admin_ip": "127.0.0.1", "admin_port": 7088,
                            "admin_base_path": "/admin"})


async def test_info_and_ping_need_no_secret():
    r = await SRV.admin({"janus": "info"}, secret=False)
    assert r.get("janus") == "server_info" and SYTEST in r["plugins"], r
    r = await SRV.admin({"janus": "ping", "transaction": "ap"}, secret=False)
    assert r == {"janus": "pong", "transaction": "ap"}, r


async def test_admin_secret_required():
    r = await SRV.admin({"janus": "list_sessions", "transaction": "ls"}, secret=False)
    check_error(r, 403, UNAUTHORIZED, transaction="ls")
    r = await SRV.admin({"janus": "list_sessions", "admin_secret": "wrong"})
    check_error(r, 403)
    r = await SRV.admin({"janus": "list_sessions", "admin_secret": sy.ADMIN_SECRET + "x"})
    check_error(r, 403)
    r = await SRV.admin_http("POST", "/admin", {"janus": "list_sessions", "admin_secret": sy.ADMIN_SECRET})
    check_error(r.janus_json(), 456, "Missing mandatory element (transaction)")


async def test_admin_websocket():
    async with SRV.admin_ws() as a:
        r = await a.request({"janus": "ping", "transaction": "wp"})
        assert r == {"janus": "pong", "transaction": "wp"}, r
        r = await a.request({"janus": "list_sessions"})
        check_error(r, 403)
        r = await a.request({"janus": "list_sessions", "admin_secret": sy.ADMIN_SECRET})
        assert r.get("janus") == "success" and isinstance(r.get("sessions"), list), r


async def test_list_sessions_handles_and_handle_info():
    async with SRV.ws() as c, SRV.admin_ws() as a:
        s, h = await c.session_handle()
        r = await SRV.admin({"janus": "list_sessions"})
        assert r.get("janus") == "success", r
        assert s in r["sessions"], f"{s} not in {r['sessions']}"
        assert all(isinstance(x, int) and not isinstance(x, bool) for x in r["sessions"]), r
        r = await SRV.admin({"janus": "list_handles"}, path=f"/{s}")
        assert r.get("janus") == "success" and r["handles"] == [h], r
        r = await a.request({"janus": "list_handles", "session_id": s, "admin_secret": sy.ADMIN_SECRET})
        assert r.get("janus") == "success" and r["handles"] == [h], r
        r = await SRV.admin({"janus": "handle_info"}, path=f"/{s}/{h}")
        assert r.get("janus") == "success" and isinstance(r.get("info"), dict), r
        r = await a.request({"janus": "handle_info", "session_id": s, "handle_id": h,
                             "admin_secret": sy.ADMIN_SECRET})
        assert r.get("janus") == "success" and isinstance(r.get("info"), dict), r
        r = await SRV.admin({"janus": "list_handles"}, path="/12345")
        check_error(r, 458)
        r = await SRV.admin({"janus": "handle_info"}, path=f"/{s}/777")
        check_error(r, 459)


async def test_message_plugin():
    r = await SRV.admin({"janus": "message_plugin", "plugin": SYTEST, "request": {"what": "status"}})
    assert r.get("janus") == "success", r
    resp = r.get("response")
    assert isinstance(resp, dict) and resp.get("sytest") == "admin", r
    r = await SRV.admin({"janus": "message_plugin", "plugin": "janus.plugin.nope", "request": {}})
    assert r.get("janus") == "error", r


async def test_set_log_level():
    r = await SRV.admin({"janus": "set_log_level", "level": 5})
    assert r.get("janus") == "success", r
    r = await SRV.admin({"janus": "set_log_level", "level": 99})
    check_error(r, 467)
    r = await SRV.admin({"janus": "set_log_level", "level": "loud"})
    check_error(r, 467)
    r = await SRV.admin({"janus": "set_log_level", "level": 4})
    assert r.get("janus") == "success", r


async def test_set_session_timeout_global():
    try:
        r = await SRV.admin({"janus": "set_session_timeout", "timeout": 33})
        assert r.get("janus") == "success", r
        r = await SRV.post("", {"janus": "info"})
        assert r["session-timeout"] == 33, r["session-timeout"]
        r = await SRV.admin({"janus": "set_session_timeout", "timeout": "x"})
        check_error(r, 467)
    finally:
        await SRV.admin({"janus": "set_session_timeout", "timeout": 60})


async def test_set_session_timeout_per_session():
    async with SRV.ws() as c:
        s1 = await c.create()
        s2 = await c.create()
        r = await SRV.admin({"janus": "set_session_timeout", "timeout": 1}, path=f"/{s1}")
        assert r.get("janus") == "success", r
        ev = await c.event("timeout", timeout=8, session_id=s1)
        assert ev == {"janus": "timeout", "session_id": s1}, ev
        r = await c.request({"janus": "keepalive", "session_id": s2})
        assert r.get("janus") == "ack", f"the other session must live on: {r}"


async def test_accept_new_sessions():
    try:
        r = await SRV.admin({"janus": "accept_new_sessions", "accept": False})
        assert r.get("janus") == "success", r
        async with SRV.ws() as c:
            r = await c.request({"janus": "create"})
            check_error(r, 472, "Currently not accepting new sessions")
            r = await c.request({"janus": "info"})
            assert r["accepting-new-sessions"] is False, r
        r = await SRV.post("", {"janus": "create"})
        check_error(r, 472)
        r = await SRV.admin({"janus": "accept_new_sessions", "accept": "no"})
        check_error(r, 467)
    finally:
        r = await SRV.admin({"janus": "accept_new_sessions", "accept": True})
    assert r.get("janus") == "success", r
    async with SRV.ws() as c:
        await c.create()


async def test_destroy_session():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        r = await SRV.admin({"janus": "destroy_session"}, path=f"/{s}")
        assert r.get("janus") == "success", r
        r = await c.request({"janus": "keepalive", "session_id": s})
        check_error(r, 458)
        r = await SRV.admin({"janus": "list_sessions"})
        assert s not in r["sessions"], r


async def test_detach_handle():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        r = await SRV.admin({"janus": "detach_handle"}, path=f"/{s}/{h}")
        assert r.get("janus") == "success", r
        await c.event("detached", sender=h)
        r = await c.message(s, h, {"request": "sync"})
        check_error(r, 459)
        r = await c.request({"janus": "keepalive", "session_id": s})
        assert r.get("janus") == "ack", r


async def test_token_requests_without_token_auth():
    r = await SRV.admin({"janus": "add_token", "token": "t"})
    assert r.get("janus") == "error", f"add_token with token_auth off must fail: {r}"


async def test_admin_requests_are_not_on_the_public_api():
    async with SRV.ws() as c:
        r = await c.request({"janus": "list_sessions", "admin_secret": sy.ADMIN_SECRET})
        check_error(r, 457, "Unhandled request 'list_sessions' at this path")
    r = await SRV.http("POST", "/admin", {"janus": "list_sessions", "transaction": "x",
                                          "admin_secret": sy.ADMIN_SECRET})
    if r.status == 200:
        body = r.json()
        assert body.get("janus") != "success" or "sessions" not in body, \
            f"the admin API answered on the public port: {body}"
    async with SRV.admin_ws() as a:
        r = await a.request({"janus": "create"})
        assert r.get("janus") == "error", f"'create' on the admin API: {r}"


# ---- the admin_secret policy at startup --------------------------------------------------

def check_refused(srv, key="admin_secret"):
    code, log = srv.run_expect_exit(timeout=10)
    assert code != 0, f"the server started (exit {code}) with the sample admin secret exposed\n{log}"
    assert key in log, f"the error does not name '{key}'\n{log}"


def test_refuses_sample_secret_on_public_admin_http():
    check_refused(sy.Server("public_admin_http", general={"admin_secret": sy.SAMPLE_ADMIN_SECRET},
                            http_admin={"admin_http": True, "admin_ip": "0.0.0.0"}))


def test_refuses_sample_secret_on_public_admin_ws():
    check_refused(sy.Server("public_admin_ws", general={"admin_secret": sy.SAMPLE_ADMIN_SECRET},
                            ws_admin={"admin_ws": True, "admin_ws_ip": "0.0.0.0"},
                            http_admin={"admin_http": False}))


def test_refuses_sample_secret_from_command_line():
    check_refused(sy.Server("public_admin_cli", general={"admin_secret": "a-real-secret"},
                            http_admin={"admin_http": True, "admin_ip": "0.0.0.0"},
                            args=["--admin-secret", sy.SAMPLE_ADMIN_SECRET]))


async def test_sample_secret_allowed_on_loopback_and_real_secret_anywhere():
    with sy.Server("loopback_sample", general={"admin_secret": sy.SAMPLE_ADMIN_SECRET},
                   ws={"ws_port": 8195}, http={"port": 8095},
                   http_admin={"admin_ip": "127.0.0.1", "admin_port": 7095}) as srv:
        r = await srv.admin({"janus": "list_sessions", "admin_secret": sy.SAMPLE_ADMIN_SECRET})
        assert r.get("janus") == "success", r
    with sy.Server("public_real_secret", ws={"ws_port": 8196}, http={"port": 8096},
                   http_admin={"admin_http": True, "admin_ip": "0.0.0.0", "admin_port": 7096}) as srv:
        r = await srv.admin({"janus": "list_sessions"})
        assert r.get("janus") == "success", r
        await asyncio.sleep(0)


if __name__ == "__main__":
    sy.run(globals())
