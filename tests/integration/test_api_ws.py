#!/usr/bin/env python3
"""The core Janus API over WebSocket (janus-api.md 1.1-1.6, 1.10)."""

import random
import re

import websockets

import sy
from sy import SYTEST, check_error, check_id, check_keys

MAX_MSG = 262144
SRV = sy.Server("api_ws", general={"server_name": "sytest-ws", "session_timeout": 60,
                                   "max_message_size": MAX_MSG})

COMPONENT_FIELDS = {"name": str, "author": str, "description": str, "version_string": str,
                    "version": int}


def check_component(pkg, info):
    assert isinstance(info, dict), f"{pkg}: {info!r} is not an object"
    for k, t in COMPONENT_FIELDS.items():
        assert k in info, f"{pkg}: missing '{k}' in {info}"
        assert isinstance(info[k], t) and not isinstance(info[k], bool), f"{pkg}.{k}={info[k]!r}"


def check_server_info(r, t):
    assert r.get("janus") == "server_info", r
    assert r.get("transaction") == t
    check_keys(r, forbidden=["session_id"])
    types = {"name": str, "version": int, "version_string": str, "author": str, "commit-hash": str,
             "compile-time": str, "session-timeout": int, "reclaim-session-timeout": int,
             "candidates-timeout": int, "server-name": str, "accepting-new-sessions": bool,
             "api_secret": bool, "auth_token": bool, "dependencies": dict, "transports": dict,
             "events": dict, "loggers": dict, "plugins": dict}
    for k, typ in types.items():
        assert k in r, f"server_info lacks '{k}'"
        assert isinstance(r[k], typ), f"server_info '{k}' = {r[k]!r} is not {typ.__name__}"
        if typ is int:
            assert not isinstance(r[k], bool), f"'{k}' is a bool"
    for dep in ("glib2", "jansson", "libnice", "libsrtp", "crypto"):
        assert isinstance(r["dependencies"].get(dep), str), f"dependencies.{dep}: {r['dependencies']}"
    assert SYTEST in r["plugins"], f"{SYTEST} not in plugins {list(r['plugins'])}"
    for group in ("transports", "events", "loggers", "plugins"):
        for pkg, info in r[group].items():
            check_component(pkg, info)
    return r


async def test_info():
    async with SRV.ws() as c:
        r = await c.request({"janus": "info", "transaction": "info-1"})
        check_server_info(r, "info-1")
        assert r["server-name"] == "sytest-ws", r["server-name"]
        assert r["session-timeout"] == 60
        assert r["api_secret"] is False and r["auth_token"] is False
        assert r["accepting-new-sessions"] is True
        assert "janus.transport.websockets" in r["transports"], r["transports"]


async def test_info_other_fields():
    """1.6 also lists these (non-optional) core fields."""
    async with SRV.ws() as c:
        r = await c.request({"janus": "info"})
        for k in ("log-to-stdout", "log-to-file", "data_channels", "event_handlers", "opaqueid_in_api"):
            assert isinstance(r.get(k), bool), f"server_info '{k}' = {r.get(k)!r} (expected a bool)"


async def test_ping():
    async with SRV.ws() as c:
        r = await c.request({"janus": "ping", "transaction": "p1"})
        assert r == {"janus": "pong", "transaction": "p1"}, r
        # The verb is matched case-insensitively; session_id null counts as absent.
        r = await c.request({"janus": "PiNg", "transaction": "p2", "session_id": None})
        assert r == {"janus": "pong", "transaction": "p2"}, r


async def test_create():
    async with SRV.ws() as c:
        r = await c.request({"janus": "create", "transaction": "c1"})
        assert r.get("janus") == "success", r
        check_keys(r, exact=["janus", "transaction", "data"])
        assert r["transaction"] == "c1"
        check_id(r["data"]["id"], "session id")
        s2 = await c.create()
        assert s2 != r["data"]["id"]


async def test_create_with_id():
    async with SRV.ws() as c:
        want = random.randrange(2**40, 2**53)
        r = await c.request({"janus": "create", "id": want})
        assert r.get("janus") == "success" and r["data"]["id"] == want, r
        check_keys(r, forbidden=["session_id"])
        r = await c.request({"janus": "create", "id": want, "transaction": "dup"})
        check_error(r, 468, "Session ID already in use", transaction="dup")
        r = await c.request({"janus": "create", "id": "abc"})
        check_error(r, 467)


async def test_attach():
    async with SRV.ws() as c:
        s = await c.create()
        r = await c.request({"janus": "attach", "session_id": s, "plugin": SYTEST, "transaction": "a1"})
        assert r.get("janus") == "success", r
        check_keys(r, exact=["janus", "session_id", "transaction", "data"])
        assert r["session_id"] == s and r["transaction"] == "a1"
        check_id(r["data"]["id"], "handle id")
        r = await c.request({"janus": "attach", "session_id": s, "plugin": "janus.plugin.nope"})
        check_error(r, 460, session_id=s)
        r = await c.request({"janus": "attach", "session_id": s})
        check_error(r, 456, "Missing mandatory element (plugin)")
        r = await c.request({"janus": "attach", "session_id": s, "plugin": 5})
        check_error(r, 467, reason_contains="plugin")


async def test_root_path_only_info_ping_create():
    async with SRV.ws() as c:
        r = await c.request({"janus": "attach", "plugin": SYTEST})
        check_error(r, 457, "Unhandled request 'attach' at this path")
        r = await c.request({"janus": "keepalive"})
        check_error(r, 457, "Unhandled request 'keepalive' at this path")
        r = await c.request({"janus": "frobnicate"})
        check_error(r, 457, "Unhandled request 'frobnicate' at this path")


async def test_keepalive():
    async with SRV.ws() as c:
        s = await c.create()
        r = await c.request({"janus": "keepalive", "session_id": s, "transaction": "k1"})
        assert r == {"janus": "ack", "session_id": s, "transaction": "k1"}, r


async def test_message_sync():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        body = {"request": "sync", "x": [1, "two", {"three": 3}]}
        r = await c.request({"janus": "message", "session_id": s, "handle_id": h, "body": body,
                             "transaction": "m1"})
        assert r.get("janus") == "success", r
        assert r["session_id"] == s and r["transaction"] == "m1" and r["sender"] == h, r
        assert r["plugindata"] == {"plugin": SYTEST, "data": {"sytest": "sync", "echo": body}}, r
        # An unknown plugin request is the plugin's business: a sync success.
        r = await c.message(s, h, {"request": "whatever"})
        assert r.get("janus") == "success", r
        assert r["plugindata"]["data"] == {"sytest": "error", "error_code": 499,
                                           "error": "unknown request"}, r


async def test_message_async():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        body = {"request": "async", "n": 7}
        r = await c.request({"janus": "message", "session_id": s, "handle_id": h, "body": body,
                             "transaction": "as1"})
        assert r.get("janus") == "ack", r
        check_keys(r, required=["session_id", "transaction"])
        assert r["session_id"] == s
        assert set(r) <= {"janus", "session_id", "transaction", "hint"}, r
        ev = await c.event("event", transaction="as1")
        assert ev["session_id"] == s and ev["sender"] == h, ev
        assert ev["plugindata"] == {"plugin": SYTEST, "data": {"sytest": "async", "echo": body}}, ev
        check_keys(ev, forbidden=["jsep"])


async def test_message_async_with_jsep():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        sdp = sy.offer_sdp()
        r = await c.message(s, h, {"request": "async"}, jsep={"type": "offer", "sdp": sdp},
                            transaction="js1")
        assert r.get("janus") == "ack", r
        ev = await c.event("event", transaction="js1")
        assert ev["sender"] == h and ev["plugindata"]["data"]["sytest"] == "async", ev
        jsep = ev.get("jsep")
        assert isinstance(jsep, dict) and jsep.get("type") == "answer", ev
        assert isinstance(jsep.get("sdp"), str) and jsep["sdp"].startswith("v=0"), jsep


async def test_jsep_validation():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        r = await c.message(s, h, {"request": "async"}, jsep={"type": "offer"})
        check_error(r, 456, reason_contains="sdp")
        r = await c.message(s, h, {"request": "async"}, jsep={"sdp": sy.offer_sdp()})
        check_error(r, 456, reason_contains="type")
        r = await c.message(s, h, {"request": "async"}, jsep={"type": "offer", "sdp": 42})
        check_error(r, 467, reason_contains="sdp")
        r = await c.message(s, h, {"request": "async"}, jsep={"type": "offer", "sdp": "not an sdp"})
        check_error(r, 465)


async def test_unexpected_answer_469():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        r = await c.message(s, h, {"request": "async"}, jsep={"type": "answer", "sdp": sy.offer_sdp()})
        check_error(r, 469)


async def test_opaque_id_only_when_enabled():
    async with SRV.ws() as c:
        s = await c.create()
        h = await c.attach(s, opaque_id="my-opaque")
        await c.message(s, h, {"request": "async"}, transaction="op1")
        ev = await c.event("event", transaction="op1")
        check_keys(ev, forbidden=["opaque_id"])
    with sy.Server("opaque", general={"opaqueid_in_api": True}, ws={"ws_port": 8199},
                   http={"http": False}, http_admin={"admin_http": False}) as srv:
        async with srv.ws() as c:
            s = await c.create()
            h = await c.attach(s, opaque_id="my-opaque")
            await c.message(s, h, {"request": "async"}, transaction="op2")
            ev = await c.event("event", transaction="op2")
            assert ev.get("opaque_id") == "my-opaque", ev


async def test_any_url_path():
    c = sy.WSClient(f"ws://127.0.0.1:{SRV.start().ws_port}/some/path?x=1", "janus-protocol")
    async with c:
        r = await c.request({"janus": "ping", "transaction": "path"})
        assert r == {"janus": "pong", "transaction": "path"}, r


async def test_unsolicited_events():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        r = await c.message(s, h, {"request": "events", "count": 3})
        assert r.get("janus") == "ack", r
        assert r.get("hint") == "events follow", f"the plugin's hint is missing: {r}"
        seqs = []
        for _ in range(3):
            ev = await c.event("event", sender=h, transaction=None)
            assert ev["session_id"] == s, ev
            assert ev["plugindata"]["plugin"] == SYTEST
            d = ev["plugindata"]["data"]
            assert d["sytest"] == "event", d
            seqs.append(d["seq"])
        assert seqs == sorted(seqs) and len(set(seqs)) == 3, seqs


async def test_message_errors():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        r = await c.message(s, h, {"request": "error"}, transaction="e1")
        check_error(r, 462, "sytest error", transaction="e1", session_id=s)
        r = await c.request({"janus": "message", "session_id": s, "handle_id": h})
        check_error(r, 456, "Missing mandatory element (body)")
        r = await c.request({"janus": "message", "session_id": s, "handle_id": h, "body": "x"})
        check_error(r, 467, reason_contains="body")
        r = await c.message(s, h, {"request": "sync"}, jsep={"type": "pranswer", "sdp": sy.offer_sdp()})
        check_error(r, 464)
        # message is a handle-level request
        r = await c.request({"janus": "message", "session_id": s, "body": {"request": "sync"}})
        check_error(r, 457)


async def test_trickle():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        cand = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
                "sdpMid": "0", "sdpMLineIndex": 0}
        for extra in ({"candidate": cand}, {"candidates": [cand, cand]},
                      {"candidate": {"completed": True}}, {"candidate": None}, {"candidates": []}):
            t = sy.tx()
            r = await c.request({"janus": "trickle", "session_id": s, "handle_id": h,
                                 "transaction": t, **extra})
            assert r == {"janus": "ack", "session_id": s, "transaction": t}, (extra, r)
        r = await c.request({"janus": "trickle", "session_id": s, "handle_id": h})
        check_error(r, 456)
        r = await c.request({"janus": "trickle", "session_id": s, "handle_id": h,
                             "candidate": cand, "candidates": [cand]})
        check_error(r, 454)
        r = await c.request({"janus": "trickle", "session_id": s, "handle_id": h, "candidates": cand})
        check_error(r, 467)


async def test_hangup():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        r = await c.request({"janus": "hangup", "session_id": s, "handle_id": h, "transaction": "hu"})
        assert r.get("janus") == "success" and r["session_id"] == s and r["transaction"] == "hu", r


async def test_detach():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        r = await c.request({"janus": "detach", "session_id": s, "handle_id": h, "transaction": "d1"})
        assert r.get("janus") == "success" and r["session_id"] == s and r["transaction"] == "d1", r
        ev = await c.event("detached", sender=h)
        assert ev["session_id"] == s, ev
        r = await c.message(s, h, {"request": "sync"})
        check_error(r, 459, f"No such handle {h} in session {s}", session_id=s)


async def test_plugin_ends_handle():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        r = await c.message(s, h, {"request": "end"})
        assert r.get("janus") == "ack", r
        ev = await c.event("detached", sender=h)
        assert ev["session_id"] == s, ev
        r = await c.message(s, h, {"request": "sync"})
        check_error(r, 459)


async def test_destroy():
    async with SRV.ws() as c:
        s, h = await c.session_handle()
        r = await c.request({"janus": "destroy", "session_id": s, "handle_id": h})
        check_error(r, 457)  # destroy is session-level
        r = await c.request({"janus": "attach", "session_id": s, "handle_id": h, "plugin": SYTEST})
        check_error(r, 457)  # so is attach
        r = await c.request({"janus": "destroy", "session_id": s, "transaction": "x1"})
        assert r == {"janus": "success", "session_id": s, "transaction": "x1"}, r
        r = await c.request({"janus": "keepalive", "session_id": s})
        check_error(r, 458, f"No such session {s}", session_id=s)


async def test_envelope_errors():
    async with SRV.ws() as c:
        await c.send("{this is not json")
        r = await c.wait(lambda m: m.get("janus") == "error", what="the 454 reply")
        check_error(r, 454)
        assert re.search(r"\d", r["error"]["reason"]), f"no error position in {r['error']['reason']!r}"
        for non_object in ("[1, 2]", "42", '"text"'):
            await c.send(non_object)
            r = await c.wait(lambda m: m.get("janus") == "error", what=f"the reply to {non_object}")
            check_error(r, 455)
        await c.send({"janus": "ping"})
        r = await c.wait(lambda m: m.get("janus") == "error", what="the 456 reply")
        check_error(r, 456, "Missing mandatory element (transaction)")
        r = await c.request({"transaction": "nj"})
        check_error(r, 456, "Missing mandatory element (janus)", transaction="nj")
        await c.send({"janus": "ping", "transaction": 5})
        r = await c.wait(lambda m: m.get("janus") == "error", what="the 467 reply")
        check_error(r, 467, reason_contains="transaction")
        r = await c.request({"janus": 7})
        check_error(r, 467, reason_contains="janus")


async def test_unknown_session_handle_request():
    async with SRV.ws() as c:
        r = await c.request({"janus": "keepalive", "session_id": 12345})
        check_error(r, 458, "No such session 12345", session_id=12345)
        s, h = await c.session_handle()
        r = await c.request({"janus": "message", "session_id": s, "handle_id": 777, "body": {}})
        check_error(r, 459, f"No such handle 777 in session {s}")
        r = await c.request({"janus": "frobnicate", "session_id": s})
        check_error(r, 453, "Unknown request 'frobnicate'")
        r = await c.request({"janus": "frobnicate", "session_id": s, "handle_id": h})
        check_error(r, 453, "Unknown request 'frobnicate'")


async def test_concatenated_objects_in_one_frame():
    async with SRV.ws() as c:
        await c.send('{"janus":"ping","transaction":"cat-1"}{"janus":"info","transaction":"cat-2"}')
        first = await c.wait(lambda m: m.get("transaction") in ("cat-1", "cat-2"))
        second = await c.wait(lambda m: m.get("transaction") in ("cat-1", "cat-2"))
        assert first == {"janus": "pong", "transaction": "cat-1"}, first
        assert second.get("janus") == "server_info" and second["transaction"] == "cat-2", second


async def test_fragmented_message():
    async with SRV.ws() as c:
        await c.send(['{"janus":"pi', 'ng","trans', 'action":"frag"}'])
        r = await c.wait(lambda m: m.get("transaction") == "frag", what="the fragmented ping reply")
        assert r == {"janus": "pong", "transaction": "frag"}, r

        async def frags():
            for part in ('{"janus":', '"ping",', '"transaction":"afrag"}'):
                yield part
        await c.send(frags())
        r = await c.wait(lambda m: m.get("transaction") == "afrag")
        assert r.get("janus") == "pong", r


async def test_events_go_to_the_owning_socket():
    async with SRV.ws() as owner, SRV.ws() as other:
        s, h = await owner.session_handle()
        r = await other.message(s, h, {"request": "async"}, transaction="own1")
        assert r.get("janus") == "ack", r  # the reply goes to the requester
        ev = await owner.event("event", transaction="own1")  # the event to the owner
        assert ev["sender"] == h
        await other.expect_nothing(lambda m: m.get("janus") == "event", 0.5, "event on the other socket")


async def test_oversized_frame_closes_1009():
    async with SRV.ws() as c:
        big = '{"janus":"ping","transaction":"big","pad":"' + "x" * (MAX_MSG + 1000) + '"}'
        await c.send(big)
        code = await c.wait_closed(5)
        assert code == 1009, f"close code {code}, expected 1009"
    async with SRV.ws() as c:  # still serving
        r = await c.request({"janus": "ping"})
        assert r.get("janus") == "pong"


async def test_no_subprotocol_does_not_speak_the_api():
    """janus-protocol is mandatory: without it the upgrade fails or the API is silent."""
    c = SRV.ws(subprotocol=None)
    try:
        await c.connect()
    except Exception:  # noqa: BLE001 - refused handshake: fine
        return
    try:
        await c.send({"janus": "ping", "transaction": "nosp"})
        await c.expect_nothing(lambda m: m.get("janus") == "pong", 1.0, "pong without the subprotocol")
    except websockets.ConnectionClosed:
        pass
    finally:
        await c.close()


if __name__ == "__main__":
    sy.run(globals())
