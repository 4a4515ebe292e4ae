#!/usr/bin/env python3
"""Data channels under back-pressure: a receiver that stops reading must not make the
server's memory grow with what it keeps sending.

An aiortc peer opens a data channel to janus.plugin.echotest (which echoes every
message), checks one echo, then stops reading: RTCSctpTransport is patched so that,
once the peer is marked stalled, every DATA chunk from the server is dropped before
aiortc looks at it - no TSN is recorded, no SACK is sent, nothing is delivered. The
server's association therefore never sees its echoes acknowledged; they pile up in its
send buffer (SY_SCTP_SEND_BUFFER, 2 MiB) until sy_sctp_send returns -2, from then on
the EchoTest drops each echo. Meanwhile the stalled peer keeps sending 20 MB to the
server in 16 KB messages (throttled by aiortc's own bufferedAmount, so the client's
memory stays small too); the server keeps receiving and acknowledging them.

Checks:
  - the server's VmRSS grows by less than RSS_BOUND (12 MB) for the 20 MB sent, both at
    its peak while sending and at the end. Worst case of what the association may hold:
    the 2 MiB send buffer of unacknowledged echoes, stored by usrsctp as ~1.1 KB chunks
    in 2 KB mbuf clusters (so up to ~4 MiB of heap), plus the receive side: usrsctp's
    2 MiB SO_RCVBUF window of chunks waiting to be read, plus one 1 MiB reassembly
    buffer (SY_SCTP_RECV_LIMIT), i.e. about 7-9 MiB; 12 MB leaves room for allocator
    slack but stays well below the 20 MB that would show an unbounded queue.
  - the stalled PC's handle_info shows every message came in (messages-in) but only
    about a send buffer's worth went out (bytes-out <= 2 MiB + one message): the rest
    were dropped by the echo;
  - a second, normal peer on its own session echoes fine before, during and after.

Under sanitizers (SY_SANITIZE) the allocator's quarantine keeps freed memory, so the
server is started with a small quarantine (quarantine_size_mb=4) and the bound grows
by twice that."""

import asyncio
import os
import time

import sy

from aiortc import RTCPeerConnection, RTCSessionDescription

import aiortc_peer  # noqa: F401 - the loopback patches
from aiortc.rtcsctptransport import RTCSctpTransport

ECHO = "janus.plugin.echotest"
MSG_SIZE = 16 * 1024
TOTAL = 20 * 1000 * 1000
COUNT = TOTAL // MSG_SIZE + 1          # 1221 messages, 20.0 MB
SEND_BUFFER = 2 * 1024 * 1024          # SY_SCTP_SEND_BUFFER (src/media/sctp.h)
MB = 1000 * 1000
RSS_BOUND = 12 * MB
CLIENT_HIGH_WATER = 1 << 20            # aiortc's bufferedAmount we keep below

if sy.SANITIZE:
    opts = os.environ.get("ASAN_OPTIONS", "")
    os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "quarantine_size_mb=4"
    RSS_BOUND += 8 * MB

SERVER = sy.Server("dcpressure")

# ---- the stalled receiver: DATA chunks dropped unseen (no TSN marked, no SACK) ----
_orig_receive_data_chunk = RTCSctpTransport._receive_data_chunk
_dropped = {"chunks": 0}


async def _receive_data_chunk(self, chunk):
    if getattr(self, "sy_stalled", False):
        _dropped["chunks"] += 1
        return
    await _orig_receive_data_chunk(self, chunk)

RTCSctpTransport._receive_data_chunk = _receive_data_chunk


def rss():
    """The server's VmRSS in bytes."""
    return SERVER.rss_kib() * 1024


class Peer:
    """A session + EchoTest handle + aiortc PC with one ordered data channel."""

    def __init__(self, c, label):
        self.c = c
        self.pc = RTCPeerConnection()
        self.ch = self.pc.createDataChannel(label, ordered=True)
        self.msgs = []
        self.got = asyncio.Event()

        @self.ch.on("message")
        def on_message(m):
            self.msgs.append(m)
            self.got.set()

    async def connect(self):
        c = self.c
        self.s, self.h = await c.session_handle(plugin=ECHO)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = {"type": "offer", "sdp": self.pc.localDescription.sdp}
        r = await c.message(self.s, self.h, {"audio": True, "video": True}, jsep=offer)
        assert r.get("janus") == "ack", r
        ev = await c.event("event", timeout=10, transaction=r["transaction"], sender=self.h)
        assert ev["plugindata"]["data"] == {"echotest": "event", "result": "ok"}, ev
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="answer"))
        await c.event("webrtcup", timeout=10, sender=self.h, session_id=self.s)
        if self.ch.readyState != "open":
            opened = asyncio.Event()
            self.ch.on("open", opened.set)
            await asyncio.wait_for(opened.wait(), 10)

    async def echo(self, n, tag, timeout=10.0):
        """Sends n messages and waits for the same n back, in order."""
        self.msgs.clear()
        sent = [f"{tag} {i} " + "y" * (i * 37 % 500) for i in range(n)]
        for m in sent:
            self.ch.send(m)
        deadline = time.monotonic() + timeout
        while len(self.msgs) < n:
            self.got.clear()
            left = deadline - time.monotonic()
            assert left > 0, f"{tag}: {len(self.msgs)}/{n} echoed"
            try:
                await asyncio.wait_for(self.got.wait(), left)
            except asyncio.TimeoutError:
                pass
        assert self.msgs[:n] == sent, f"{tag}: echo differs"

    async def sctp(self):
        r = await SERVER.admin({"janus": "handle_info", "session_id": self.s, "handle_id": self.h})
        assert r.get("janus") == "success", r
        st = (r["info"].get("webrtc") or {}).get("sctp")
        assert st, r["info"].get("webrtc")
        return st

    async def close(self):
        await self.pc.close()


@sy.timeout(100)
async def test_stalled_receiver_memory_bounded():
    async with SERVER.ws() as c:
        normal, stalled = Peer(c, "normal"), Peer(c, "flood")
        try:
            await normal.connect()
            await stalled.connect()
            await normal.echo(20, "before")
            await stalled.echo(1, "first")   # the stalled peer's channel echoes before it stalls
            print("  both peers echo; stalling the receiver")
            stalled.pc.sctp.sy_stalled = True

            await asyncio.sleep(0.5)
            base = rss()
            peak = base
            payload = os.urandom(MSG_SIZE)
            t0 = time.monotonic()
            for i in range(COUNT):
                while stalled.ch.bufferedAmount > CLIENT_HIGH_WATER:
                    await asyncio.sleep(0.005)
                stalled.ch.send(payload)
                if i % 64 == 0:
                    peak = max(peak, rss())
                if i == COUNT // 2:
                    await normal.echo(20, "during")
            while stalled.ch.bufferedAmount > 0:
                await asyncio.sleep(0.01)
                peak = max(peak, rss())
            # Everything the stalled peer sent reached the server.
            deadline = time.monotonic() + 20
            while True:
                st = await stalled.sctp()
                peak = max(peak, rss())
                if st["messages-in"] >= COUNT + 1:
                    break
                assert time.monotonic() < deadline, f"server got {st['messages-in']}/{COUNT + 1}: {st}"
                await asyncio.sleep(0.1)
            elapsed = time.monotonic() - t0
            await asyncio.sleep(0.5)
            end = rss()
            peak = max(peak, end)
            print(f"  sent {COUNT} x {MSG_SIZE} B = {COUNT * MSG_SIZE / MB:.1f} MB in {elapsed:.1f}s; "
                  f"client dropped {_dropped['chunks']} DATA chunks from the server")
            print(f"  server VmRSS: before {base / MB:.1f} MB, peak {peak / MB:.1f} MB "
                  f"(+{(peak - base) / MB:.1f}), end {end / MB:.1f} MB (+{(end - base) / MB:.1f}); "
                  f"bound +{RSS_BOUND / MB:.0f} MB")
            print(f"  stalled PC sctp: {st}")
            assert peak - base < RSS_BOUND, f"RSS grew by {(peak - base) / MB:.1f} MB"
            assert end - base < RSS_BOUND, f"RSS grew by {(end - base) / MB:.1f} MB"

            # Only about a send buffer's worth of echoes was accepted; the rest dropped.
            assert st["up"], st
            assert st["bytes-in"] >= COUNT * MSG_SIZE, st
            assert st["bytes-out"] <= SEND_BUFFER + MSG_SIZE + 1000, st
            dropped = st["messages-in"] - st["messages-out"]
            assert dropped >= COUNT - (SEND_BUFFER // MSG_SIZE) - 2, st
            assert _dropped["chunks"] > 0, "the client never saw a DATA chunk from the server"
            print(f"  echoes dropped by the server (messages-in - messages-out): {dropped}")

            # The normal peer still echoes, and so does the server's API.
            await normal.echo(200, "after")
            n = await normal.sctp()
            assert n["messages-in"] == n["messages-out"] == 240, n
            r = await c.request({"janus": "hangup", "session_id": stalled.s, "handle_id": stalled.h})
            assert r.get("janus") == "success", r
            await c.event("hangup", timeout=5, sender=stalled.h)
            await normal.echo(20, "after-hangup")
            print(f"  normal peer echoed 260 messages before/during/after; final VmRSS {rss() / MB:.1f} MB")
        finally:
            await stalled.close()
            await normal.close()


if __name__ == "__main__":
    sy.run(globals())
