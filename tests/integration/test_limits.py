#!/usr/bin/env python3
"""Limits and hostile input (security.md section 4; section 6 rows 17, 18, 22, 23), bad
configuration and the command line."""

import asyncio
import os
import subprocess
import time

import sy
from sy import check_error

SRV = sy.Server("limits", general={"session_timeout": 60, "reclaim_session_timeout": 0},
                ws={"ws_port": 8198}, http={"port": 8098, "idle_timeout": 2},
                http_admin={"admin_port": 7098})
CAP = sy.Server("max_sessions", general={"max_sessions": 3}, ws={"ws_port": 8197},
                http={"port": 8097}, http_admin={"admin_port": 7097})


async def alive(srv):
    async with srv.ws() as c:
        r = await c.request({"janus": "ping"}, timeout=3)
        assert r.get("janus") == "pong", r


async def test_max_sessions():
    async with CAP.ws() as c:
        sessions = [await c.create() for _ in range(3)]
        r = await c.request({"janus": "create"})
        assert r.get("janus") == "error", f"a 4th session was created with max_sessions=3: {r}"
        assert r["error"].get("reason"), r
        print(f"  over the cap: error {r['error']}")
        r = await CAP.post("", {"janus": "create"})
        assert r.get("janus") == "error", r
        assert await CAP.session_count() == 3
        r = await c.request({"janus": "destroy", "session_id": sessions[0]})
        assert r.get("janus") == "success", r
        await c.create()


async def test_deep_nesting():
    async with SRV.ws() as c:
        for payload in ("[" * 10000, '{"a":' * 10000, "[" * 10000 + "]" * 10000):
            await c.send(payload)
            r = await c.wait(lambda m: m.get("janus") == "error", what="a 454 for deep nesting")
            check_error(r, 454)
        deep = {"janus": "ping"}
        inner = deep
        for _ in range(100):
            inner["x"] = {}
            inner = inner["x"]
        await c.send(deep)
        r = await c.wait(lambda m: m.get("janus") == "error", what="a 454 for 100 levels of nesting")
        check_error(r, 454)
        # Ordinary nesting is fine.
        s, h = await c.session_handle()
        body = {"request": "sync", "x": [[[[{"a": [{"b": 1}]}]]]]}
        r = await c.message(s, h, body)
        assert r.get("janus") == "success" and r["plugindata"]["data"]["echo"] == body, r
    r = await SRV.http("POST", "/janus", "[" * 10000)
    check_error(r.janus_json(), 454)
    await alive(SRV)


async def test_duplicate_keys():
    async with SRV.ws() as c:
        await c.send('{"janus":"ping","janus":"create","transaction":"dup1"}')
        r = await c.wait(lambda m: m.get("janus") == "error", what="a 454 for duplicate keys")
        check_error(r, 454)
        s, h = await c.session_handle()
        await c.send('{"janus":"message","transaction":"dup2","session_id":%d,"handle_id":%d,'
                      '"body":{"request":"sync","request":"error"}}' % (s, h))
        r = await c.wait(lambda m: m.get("janus") == "error", what="a 454 for a duplicate key in body")
        check_error(r, 454)
    r = await SRV.http("POST", "/janus", '{"janus":"create","transaction":"a","transaction":"b"}')
    check_error(r.janus_json(), 454)


async def test_huge_and_odd_numbers():
    async with SRV.ws() as c:
        for raw in ('{"janus":"keepalive","transaction":"n1","session_id":18446744073709551616}',
                    '{"janus":"keepalive","transaction":"n2","session_id":1e400}',
                    '{"janus":"keepalive","transaction":"n3","session_id":' + "9" * 400 + "}"):
            await c.send(raw)
            r = await c.wait(lambda m: m.get("janus") == "error", what=f"an error for {raw[:60]}")
            check_error(r, 454)
        for sid in (2**63 - 1, 2**53 + 1, -5):
            r = await c.request({"janus": "keepalive", "session_id": sid})
            assert r.get("janus") == "error" and r["error"].get("code") == 458, \
                f"session_id {sid}: expected error 458 (janus-api.md 1.2 step 5/7), got {r}"
        r = await c.request({"janus": "keepalive", "session_id": 1.5})
        assert r.get("janus") == "error" and r["error"]["code"] in (457, 467), r
        r = await c.request({"janus": "keepalive", "session_id": "123"})
        assert r.get("janus") == "error" and r["error"]["code"] in (457, 467), r
        s, h = await c.session_handle()
        r = await c.request({"janus": "message", "session_id": s, "handle_id": -1, "body": {}})
        check_error(r, 459)
        r = await c.request({"janus": "create", "id": -7})
        check_error(r, 467)
        r = await c.message(s, h, {"request": "events", "count": 2**62})
        assert r.get("janus") == "error", r  # the plugin refuses; nothing explodes
    await alive(SRV)


@sy.timeout(120)
async def test_abrupt_disconnects_free_sessions():
    baseline = await SRV.session_count()
    clients = []
    for _ in range(40):
        c = SRV.ws()
        await c.connect()
        await c.session_handle()
        clients.append(c)
    assert await SRV.session_count() == baseline + 40
    for c in clients:
        c.abort()
    for c in clients:
        await c.close()
    # Half-open HTTP and WebSocket connections, dropped too.
    socks = []
    for i in range(30):
        port = SRV.http_port if i % 2 else SRV.ws_port
        reader, writer = await sy.tcp_open(port)
        writer.write(b"POST /janus HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"janus\":"
                     if i % 2 else b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
        socks.append(writer)
    await asyncio.sleep(0.2)
    for w in socks:
        w.transport.abort()
    deadline = time.monotonic() + 10
    while True:
        n = await SRV.session_count()
        if n == baseline:
            break
        assert time.monotonic() < deadline, f"{n - baseline} sessions left after the sockets dropped"
        await asyncio.sleep(0.2)
    await alive(SRV)


@sy.timeout(120)
async def test_flood_on_one_socket_does_not_starve_others():
    async with SRV.ws() as flooder, SRV.ws() as victim:
        async def flood():
            try:
                for i in range(3000):
                    if i % 10 == 0:
                        await flooder.send("{garbage")
                    await flooder.send('{"janus":"ping","transaction":"f%d"}' % i)
            except Exception:  # noqa: BLE001 - the server may cut a flooder off
                pass

        async def probe():
            worst = 0.0
            for _ in range(10):
                t0 = time.monotonic()
                r = await victim.request({"janus": "ping"}, timeout=5)
                assert r.get("janus") == "pong", r
                worst = max(worst, time.monotonic() - t0)
                await asyncio.sleep(0.05)
            return worst

        _, worst = await asyncio.gather(flood(), probe())
        assert worst < 2.0, f"a ping took {worst:.2f} s during the flood"
        print(f"  slowest ping during the flood: {worst * 1000:.0f} ms; "
              f"flooder got {len(flooder.msgs)} replies, closed={flooder.closed.is_set()}")
    await alive(SRV)


async def test_idle_connections_are_closed():
    t0 = time.monotonic()
    conns = []
    for port, data in ((SRV.http_port, b""), (SRV.http_port, b"GET / HTTP/1.1\r\nHost: x\r\n"),
                       (SRV.ws_port, b"")):
        reader, writer = await sy.tcp_open(port)
        if data:
            writer.write(data)
        conns.append((port, data, reader, writer))
    try:
        for port, data, reader, writer in conns:
            left = max(0.1, 9 - (time.monotonic() - t0))
            assert await sy.wait_eof(reader, left), \
                f"port {port}: idle connection (sent {data!r}) still open after {time.monotonic() - t0:.1f} s"
    finally:
        for *_, writer in conns:
            writer.close()
    await alive(SRV)


# ---- bad configuration and the command line ---------------------------------------------

def expect_config_error(srv, *words):
    code, log = srv.run_expect_exit(timeout=10)
    assert code != 0, f"the server accepted a bad config (exit {code})\n{log}"
    for w in words:
        assert w in log, f"the error message does not name '{w}'\n{log}"


def test_bad_config_wrong_type():
    expect_config_error(sy.Server("bad_type", general={"session_timeout": "soon"}),
                        "switchyard.jcfg", "session_timeout")


def test_bad_config_out_of_range():
    expect_config_error(sy.Server("bad_range", ws={"ws_port": 70000}),
                        "switchyard.transport.websockets.jcfg", "ws_port")


def test_bad_config_transport_type():
    expect_config_error(sy.Server("bad_http", http={"port": "eighty"}),
                        "switchyard.transport.http.jcfg", "port")


def test_bad_config_syntax():
    expect_config_error(sy.Server("bad_syntax", raw={sy.CORE_FILE: "general: { session_timeout = ; }\n"}),
                        "switchyard.jcfg")


def run_binary(*args):
    p = subprocess.run([os.path.join(sy.BUILD_DIR, "switchyard"), *args], capture_output=True,
                       timeout=10, stdin=subprocess.DEVNULL)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def test_cli_version_help_and_bad_option():
    code, out = run_binary("--version")
    assert code == 0 and any(ch.isdigit() for ch in out), (code, out)
    code, out = run_binary("-v")
    assert code == 0, (code, out)
    code, out = run_binary("--help")
    assert code == 0 and "--configs-folder" in out, (code, out)
    code, out = run_binary("--no-such-option")
    assert code != 0, (code, out)


async def test_cli_overrides():
    with sy.Server("cli", args=["--session-timeout", "7", "--ws-port", "9190", "--http-port", "0",
                                "--admin-http-port", "0"]) as srv:
        async with srv.ws() as c:
            r = await c.request({"janus": "info"})
            assert r.get("session-timeout") == 7, r.get("session-timeout")
        try:
            _, w = await sy.tcp_open(8088)
            w.close()
            raise AssertionError("--http-port 0 did not disable the HTTP listener")
        except OSError:
            pass


if __name__ == "__main__":
    sy.run(globals())
