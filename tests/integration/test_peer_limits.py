#!/usr/bin/env python3
"""Per-address limits on the control plane (security.md section 6 rows 22 and 23).

The attackers are other loopback addresses (127.0.0.2 ...) of the test's network
namespace; the legitimate client is 127.0.0.1.

- connection cap: 10,000 idle connections from four attacker addresses to the WebSocket
  and HTTP listeners. Each address keeps at most max_connections_per_address per
  transport; the server closes the rest at accept (seen by the attacker as an EOF or
  reset, and counted in admin get_counters). While the flood is held open, a client
  from 127.0.0.1 connects over WebSocket, creates a session and joins a VideoRoom, and
  one does the same over HTTP; server descriptors and RSS stay bounded; everything
  returns to the baseline when the attackers go.
- request rate: a WebSocket client floods pings (each refused one gets error 450 "Too
  many requests" with its transaction) and an HTTP client floods requests (429 with a
  Janus 450 body); a client from 127.0.0.1 is answered normally meanwhile; the
  attacker's address is served again once its bucket refills; the log gets a bounded
  number of summary lines.
"""

import asyncio
import errno
import json
import os
import resource
import socket
import time

import websockets

import sy

VR = "janus.plugin.videoroom"
ROOM = 1234  # conf/switchyard.plugin.videoroom.jcfg

CAP = 64
RATE = 200
BURST = 400
LIMITS = {"max_connections_per_address": CAP, "requests_per_second_per_address": RATE,
          "request_burst_per_address": BURST}
ATTACKERS = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]

_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
_want = 32768 if _hard == resource.RLIM_INFINITY else min(32768, _hard)
if _soft < _want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (_want, _hard))

SRV = sy.Server("peer_limits", ws=dict(LIMITS), http=dict(LIMITS))


def fds(srv):
    return srv.fd_count()


def rss_kb(srv):
    return srv.rss_kib()


async def counters(srv):
    r = await srv.admin({"janus": "get_counters"})
    assert r.get("janus") == "success", r
    return r["counters"]["control"]


def closed_by_server(s):
    """True if the server closed (or reset) this connection."""
    try:
        data = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        return data == b""
    except BlockingIOError:
        return False
    except OSError as e:
        return e.errno in (errno.ECONNRESET, errno.EPIPE)


async def ws_from(srv, addr, **kw):
    """A WSClient whose TCP connection comes from addr."""
    c = srv.ws(**kw)
    c.ws = await websockets.connect(c.url, subprotocols=[c.subprotocol], open_timeout=c.open_timeout,
                                    close_timeout=2, ping_interval=None, compression=None,
                                    local_addr=(addr, 0))
    c._reader = asyncio.get_running_loop().create_task(c._read())
    return c


async def legit_join(srv):
    """A client from 127.0.0.1 creates a session and joins the demo room (generous
    time limits: the point is that it completes at all while the flood is held)."""
    async with srv.ws(open_timeout=60) as c:
        s, h = await c.session_handle(plugin=VR)
        r = await c.message(s, h, {"request": "join", "ptype": "publisher", "room": ROOM,
                                   "display": "legit"})
        if r.get("janus") == "ack":
            r = await c.event("event", timeout=60, transaction=r["transaction"], sender=h)
        data = r["plugindata"]["data"]
        assert data.get("videoroom") == "joined", data
        await c.request({"janus": "destroy", "session_id": s}, timeout=60)
    r = await srv.post("", {"janus": "create"}, timeout=60)
    assert r.get("janus") == "success", r
    s = r["data"]["id"]
    r = await srv.post(f"/{s}", {"janus": "destroy"}, timeout=60)
    assert r.get("janus") == "success", r


# ---- connection cap ------------------------------------------------------------------------

@sy.timeout(300)
async def test_connection_cap_ten_thousand_idle():
    SRV.start()
    await asyncio.sleep(0.5)
    base_fds = fds(SRV)
    rss0 = rss_kb(SRV)
    c0 = await counters(SRV)
    socks = []
    failed = 0
    loop = asyncio.get_running_loop()

    def open_all():
        nonlocal failed
        for i in range(10000):
            s = socket.socket()
            try:
                s.bind((ATTACKERS[i % len(ATTACKERS)], 0))
                s.connect(("127.0.0.1", SRV.ws_port if (i // len(ATTACKERS)) % 2 else SRV.http_port))
                socks.append(s)
            except OSError:
                failed += 1
                s.close()
    t0 = time.monotonic()
    await loop.run_in_executor(None, open_all)
    t1 = time.monotonic()

    # The refused ones are closed by the server at accept: wait until the counter says
    # every connection was seen (accepted or refused).
    held_max = len(ATTACKERS) * 2 * CAP
    deadline = time.monotonic() + 120
    while True:
        c1 = await counters(SRV)
        seen = (c1["connections-accepted"] - c0["connections-accepted"]
                + c1["connections-refused-per-address"] - c0["connections-refused-per-address"])
        if seen >= len(socks):
            break
        assert time.monotonic() < deadline, f"the server saw {seen} of {len(socks)} connections"
        await asyncio.sleep(0.5)
    refused = c1["connections-refused-per-address"] - c0["connections-refused-per-address"]
    assert refused >= len(socks) - held_max, (refused, len(socks))

    # The legitimate client is served while the flood is held open.
    await legit_join(SRV)
    peak_fds, rss1 = fds(SRV), rss_kb(SRV)
    closed = sum(1 for s in socks if closed_by_server(s))
    print(f"  {len(socks)} attacker connections ({failed} failed at connect) in {t1 - t0:.1f} s: "
          f"{refused} refused by the server, {closed} seen closed by the attackers; server fds "
          f"{base_fds} -> {peak_fds}; RSS {rss0} -> {rss1} kB")
    # Attackers see their refused connections closed; the server holds only the cap.
    assert closed >= len(socks) - held_max, closed
    assert peak_fds <= base_fds + held_max + 20, f"{peak_fds} fds (baseline {base_fds})"
    assert rss1 - rss0 < 50 * 1024, f"RSS grew by {(rss1 - rss0) // 1024} MB"
    assert SRV.alive()

    # One more connection from an attacker address is refused; from a new address it is
    # accepted (the cap is per address).
    extra = socket.socket()
    extra.bind((ATTACKERS[0], 0))
    extra.connect(("127.0.0.1", SRV.ws_port))
    fresh = await ws_from(SRV, "127.0.0.9")
    r = await fresh.request({"janus": "ping"}, timeout=30)
    assert r.get("janus") == "pong", r
    await fresh.close()
    deadline = time.monotonic() + 30
    while not closed_by_server(extra):
        assert time.monotonic() < deadline, "a connection over the cap was not closed"
        await asyncio.sleep(0.1)
    extra.close()

    for s in socks:
        s.close()
    deadline = time.monotonic() + 60
    while fds(SRV) > base_fds:
        assert time.monotonic() < deadline, f"fds {fds(SRV)} > baseline {base_fds} after the flood"
        await asyncio.sleep(0.2)
    # The attackers' slots are free again, and their addresses are forgotten.
    again = await ws_from(SRV, ATTACKERS[0])
    r = await again.request({"janus": "ping"}, timeout=30)
    assert r.get("janus") == "pong", r
    await again.close()
    deadline = time.monotonic() + 30
    while (await counters(SRV))["addresses-tracked"] > 1:  # the admin HTTP client's own
        assert time.monotonic() < deadline, await counters(SRV)
        await asyncio.sleep(0.5)


# ---- request rate --------------------------------------------------------------------------

def http_keepalive_flood(addr, port, path, n):
    """Sends up to n GET requests on keep-alive connections from addr; returns the list
    of (status, body) in order. A 429 closes the connection (the server says so):
    a new one is opened."""
    out = []
    s = None
    buf = b""
    while len(out) < n:
        if s is None:
            s = socket.socket()
            s.bind((addr, 0))
            s.settimeout(30)
            s.connect(("127.0.0.1", port))
            buf = b""
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            assert d, "connection closed before a response"
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        length = int(hdrs.get("content-length", "0"))
        while len(buf) < length:
            d = s.recv(65536)
            assert d, "connection closed inside a body"
            buf += d
        body, buf = buf[:length], buf[length:]
        out.append((status, body))
        if hdrs.get("connection", "").lower() == "close":
            s.close()
            s = None
    if s:
        s.close()
    return out


@sy.timeout(240)
async def test_request_rate_ws_and_http():
    SRV.start()
    c0 = await counters(SRV)
    with open(SRV.log_path, "rb") as fh:
        log_start = len(fh.read())
    t_start = time.monotonic()

    # WebSocket: 1,500 pings sent at once from 127.0.0.2.
    flooder = await ws_from(SRV, "127.0.0.2")
    legit = SRV.ws()
    await legit.connect()
    n = 1500
    t0 = time.monotonic()
    txs = [f"f{i}" for i in range(n)]
    for i in range(0, n, 50):
        for t in txs[i:i + 50]:
            await flooder.ws.send(json.dumps({"janus": "ping", "transaction": t}))
    replies = {}
    for t in txs:
        m = await flooder.wait(lambda m, t=t: m.get("transaction") == t, 60, f"reply {t}")
        replies[t] = m
    elapsed = time.monotonic() - t0
    pongs = [t for t in txs if replies[t].get("janus") == "pong"]
    refused = [t for t in txs if replies[t].get("janus") == "error"]
    assert len(pongs) + len(refused) == n, [replies[t] for t in txs if t not in pongs + refused][:3]
    for t in refused[:5]:
        e = replies[t]["error"]
        assert e["code"] == 450 and e["reason"] == "Too many requests", replies[t]
    print(f"  WebSocket: {len(pongs)} pongs, {len(refused)} refused in {elapsed:.2f} s")
    assert len(pongs) >= BURST, len(pongs)
    assert len(pongs) <= BURST + RATE * (elapsed + 1), (len(pongs), elapsed)
    assert refused, "no request was refused"
    # Another address is not affected, right now.
    for _ in range(20):
        r = await legit.request({"janus": "ping"}, timeout=30)
        assert r.get("janus") == "pong", r
    # Several values in one frame are each counted (no way around the rate).
    await flooder.ws.send("".join(json.dumps({"janus": "ping", "transaction": f"m{i}"})
                                  for i in range(2 * BURST)))
    ms = [await flooder.wait(lambda m, i=i: m.get("transaction") == f"m{i}", 60) for i in range(2 * BURST)]
    assert sum(1 for m in ms if m.get("janus") == "error") >= BURST - RATE * 2, \
        sum(1 for m in ms if m.get("janus") == "error")
    # The flooder is served again once its bucket refills (no fixed wait: poll).
    deadline = time.monotonic() + 30
    while True:
        r = await flooder.request({"janus": "ping"}, timeout=30)
        if r.get("janus") == "pong":
            break
        assert time.monotonic() < deadline, r
        await asyncio.sleep(0.2)
    await flooder.close()

    # HTTP: requests on keep-alive connections from 127.0.0.3 until well past the burst.
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    res = await loop.run_in_executor(None, http_keepalive_flood, "127.0.0.3", SRV.http_port,
                                     "/janus/ping", 2000)
    elapsed = time.monotonic() - t0
    ok = sum(1 for st, _ in res if st == 200)
    limited = [b for st, b in res if st == 429]
    assert ok + len(limited) == len(res), {st for st, _ in res}
    print(f"  HTTP: {ok} answered, {len(limited)} refused (429) in {elapsed:.2f} s")
    assert limited, "no HTTP request was refused"
    body = json.loads(limited[0])
    assert body["janus"] == "error" and body["error"]["code"] == 450, body
    assert ok >= BURST and ok <= BURST + RATE * (elapsed + 1), (ok, elapsed)
    r = await SRV.post("", {"janus": "ping"})  # 127.0.0.1: its own bucket
    assert r.get("janus") == "pong", r
    r = await legit.request({"janus": "ping"}, timeout=30)
    assert r.get("janus") == "pong", r
    await legit.close()

    c1 = await counters(SRV)
    assert c1["requests-refused-per-address"] - c0["requests-refused-per-address"] >= \
        len(refused) + len(limited), (c0, c1)
    # Logged as summaries, not per request: wait for the one that follows the floods.
    deadline = time.monotonic() + 30
    while True:
        with open(SRV.log_path, "rb") as fh:
            log = fh.read()[log_start:].decode("utf-8", "replace")
        lines = [ln for ln in log.splitlines() if "over the per-address limits" in ln]
        if lines:
            break
        assert time.monotonic() < deadline, "no summary log line"
        await asyncio.sleep(0.5)
    span = time.monotonic() - t_start
    print(f"  {len(lines)} summary log lines over {span:.0f} s; {lines[-1].strip()[:200]}")
    assert len(lines) <= span / 5 + 2, lines


if __name__ == "__main__":
    sy.run(globals())
