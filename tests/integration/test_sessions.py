#!/usr/bin/env python3
"""Session lifetime: timeouts, keepalives, transport_gone and claim (janus-api.md 1.7)."""

import asyncio
import time

import sy
from sy import check_error

# session_timeout 2 s (the watchdog checks every 2 s, so expiry takes 2..4 s).
SHORT = sy.Server("short_timeout", general={"session_timeout": 2, "reclaim_session_timeout": 0})
# Sessions survive their socket for 4 s.
RECLAIM = sy.Server("reclaim", general={"session_timeout": 60, "reclaim_session_timeout": 4},
                    ws={"ws_port": 8190}, http={"port": 8090}, http_admin={"admin_port": 7090})
# Sessions die with their socket.
NORECLAIM = sy.Server("no_reclaim", general={"session_timeout": 60, "reclaim_session_timeout": 0},
                      ws={"ws_port": 8191}, http={"port": 8091}, http_admin={"admin_port": 7091})

EXPIRY_WAIT = 8.0  # generous bound for a 2 s timeout with a 2 s watchdog


async def test_timeout_event_over_ws():
    async with SHORT.ws() as c:
        s, h = await c.session_handle()
        t0 = time.monotonic()
        ev = await c.event("timeout", timeout=EXPIRY_WAIT, session_id=s)
        dt = time.monotonic() - t0
        assert ev == {"janus": "timeout", "session_id": s}, ev
        assert dt >= 1.5, f"timed out after only {dt:.1f} s (session_timeout is 2 s)"
        r = await c.request({"janus": "keepalive", "session_id": s})
        check_error(r, 458, f"No such session {s}")
        r = await c.message(s, h, {"request": "sync"})
        check_error(r, 458)


async def test_keepalive_keeps_session_alive():
    async with SHORT.ws() as c:
        s = await c.create()
        for _ in range(6):
            await asyncio.sleep(1)
            t = sy.tx()
            r = await c.request({"janus": "keepalive", "session_id": s, "transaction": t})
            assert r == {"janus": "ack", "session_id": s, "transaction": t}, r
        await c.expect_nothing(lambda m: m.get("janus") == "timeout", 0.1, "timeout")
        await c.attach(s)


async def test_any_request_counts_as_keepalive():
    async with SHORT.ws() as c:
        s, h = await c.session_handle()
        for _ in range(6):
            await asyncio.sleep(1)
            r = await c.message(s, h, {"request": "sync"})
            assert r.get("janus") == "success", r
        await c.expect_nothing(lambda m: m.get("janus") == "timeout", 0.1, "timeout")


@sy.timeout(60)
async def test_http_long_poll_counts_as_keepalive():
    # A long poll touches the session when it starts (Janus injects a keepalive per GET),
    # so session_timeout must exceed one poll (longpoll_timeout 1 s, answered within ~2 s).
    with sy.Server("longpoll_keepalive", general={"session_timeout": 4},
                   http={"longpoll_timeout": 1, "port": 8089}, ws={"ws": False},
                   http_admin={"admin_http": False}) as srv:
        r = await srv.post("", {"janus": "create"})
        polled = r["data"]["id"]
        r = await srv.post("", {"janus": "create"})
        idle = r["data"]["id"]
        t0 = time.monotonic()
        while time.monotonic() - t0 < 9:
            r = await srv.longpoll(polled, "maxev=1", timeout=5)
            assert r.status == 200, f"long poll on a polled session: {r}"
            assert r.json() == {"janus": "keepalive"}, r
        r = await srv.post(f"/{polled}", {"janus": "keepalive"})
        assert r.get("janus") == "ack", f"a session kept alive by long polls expired: {r}"
        r = await srv.post(f"/{idle}", {"janus": "keepalive"})
        check_error(r, 458)
        r = await srv.longpoll(idle)
        assert r.status == 404, r


async def test_reclaim_after_clean_close():
    c1 = RECLAIM.ws()
    await c1.connect()
    s, h = await c1.session_handle()
    await c1.close()
    await asyncio.sleep(0.5)
    async with RECLAIM.ws() as c2:
        r = await c2.request({"janus": "claim", "session_id": s, "transaction": "cl1"})
        assert r == {"janus": "success", "session_id": s, "transaction": "cl1"}, r
        r = await c2.message(s, h, {"request": "async"}, transaction="after-claim")
        assert r.get("janus") == "ack", r
        ev = await c2.event("event", transaction="after-claim")
        assert ev["sender"] == h and ev["session_id"] == s, ev


async def test_reclaim_after_abrupt_drop():
    c1 = RECLAIM.ws()
    await c1.connect()
    s, h = await c1.session_handle()
    c1.abort()
    await c1.close()
    await asyncio.sleep(0.5)
    async with RECLAIM.ws() as c2:
        r = await c2.request({"janus": "claim", "session_id": s})
        assert r.get("janus") == "success", r
        r = await c2.message(s, h, {"request": "events", "count": 2})
        assert r.get("janus") == "ack", r
        for _ in range(2):
            await c2.event("event", sender=h)


async def test_reclaim_window_expires():
    c1 = RECLAIM.ws()
    await c1.connect()
    s = await c1.create()
    await c1.close()
    await asyncio.sleep(4 + 2 + 1.5)  # reclaim_session_timeout + watchdog period + margin
    async with RECLAIM.ws() as c2:
        r = await c2.request({"janus": "claim", "session_id": s})
        check_error(r, 458)


async def test_claim_moves_a_live_session():
    async with RECLAIM.ws() as c1, RECLAIM.ws() as c2:
        s, h = await c1.session_handle()
        r = await c2.request({"janus": "claim", "session_id": s})
        assert r.get("janus") == "success", r
        r = await c2.message(s, h, {"request": "async"}, transaction="moved")
        assert r.get("janus") == "ack", r
        await c2.event("event", transaction="moved")
        await c1.expect_nothing(lambda m: m.get("janus") == "event", 0.5, "event on the old socket")


async def test_no_reclaim_session_dies_with_socket():
    c1 = NORECLAIM.ws()
    await c1.connect()
    s = await c1.create()
    await c1.close()
    await asyncio.sleep(0.5)
    async with NORECLAIM.ws() as c2:
        r = await c2.request({"janus": "claim", "session_id": s})
        check_error(r, 458)
        r = await c2.request({"janus": "keepalive", "session_id": s})
        check_error(r, 458)


if __name__ == "__main__":
    sy.run(globals())
