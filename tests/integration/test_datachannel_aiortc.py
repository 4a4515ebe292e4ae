#!/usr/bin/env python3
"""Data channels with a real WebRTC peer (aiortc): SCTP over DTLS (RFC 8261), DCEP
(RFC 8832) and the EchoTest echo through Switchyard.

aiortc offers an ordered data channel (with audio, or alone: an offer with only
m=application), negotiates with janus.plugin.echotest and checks that what it sends
comes back intact and in order: 100 small text messages, binary messages, one 64 KB
message (within max-message-size), a burst of 1000; a second channel with
maxRetransmits=0 (unordered, partially reliable) echoes too; the server's handle_info
shows the association and its counters."""

import asyncio
import os

import sy

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack

import aiortc_peer  # noqa: F401 - the loopback patches
from aiortc.rtcsctptransport import RTCSctpCapabilities, RTCSctpTransport

# aiortc announces a=max-message-size:65536 though it reassembles any size; announce
# 2 MiB so that the server may echo a 1 MB message back.
RTCSctpTransport.getCapabilities = classmethod(lambda cls: RTCSctpCapabilities(maxMessageSize=2 << 20))

ECHO = "janus.plugin.echotest"
SERVER = sy.Server("datachannel")


class Echoes:
    """Collects what comes back on a channel, per channel."""

    def __init__(self, channel):
        self.channel = channel
        self.msgs = []
        self.cond = asyncio.Condition()

        @channel.on("message")
        def on_message(m):
            self.msgs.append(m)
            asyncio.ensure_future(self._notify())

    async def _notify(self):
        async with self.cond:
            self.cond.notify_all()

    async def wait_count(self, n, timeout=20.0):
        async def until():
            async with self.cond:
                await self.cond.wait_for(lambda: len(self.msgs) >= n)
        await asyncio.wait_for(until(), timeout)
        got = self.msgs[:n]
        del self.msgs[:n]
        return got


async def wait_open(channel, timeout=10.0):
    if channel.readyState == "open":
        return
    opened = asyncio.Event()
    channel.on("open", opened.set)
    await asyncio.wait_for(opened.wait(), timeout)


async def wait_drained(channel):
    while channel.bufferedAmount > 0:
        await asyncio.sleep(0.01)


async def negotiate(c, pc):
    s, h = await c.session_handle(plugin=ECHO)
    await pc.setLocalDescription(await pc.createOffer())
    offer = {"type": "offer", "sdp": pc.localDescription.sdp}
    r = await c.message(s, h, {"audio": True, "video": True}, jsep=offer)
    assert r.get("janus") == "ack", r
    ev = await c.event("event", timeout=10, transaction=r["transaction"], sender=h)
    assert ev["plugindata"]["data"] == {"echotest": "event", "result": "ok"}, ev
    sdp = ev["jsep"]["sdp"]
    # aiortc 1.4 offers the legacy form (m=application 9 DTLS/SCTP 5000 + a=sctpmap),
    # newer peers a=sctp-port: the answer follows the offer.
    for needle in ("m=application", "a=max-message-size:"):
        assert needle in sdp, f"{needle!r} missing from the answer:\n{sdp}"
    assert "a=sctp-port:5000" in sdp or "a=sctpmap:5000 " in sdp, sdp
    await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
    await c.event("webrtcup", timeout=10, sender=h, session_id=s)
    return s, h


async def exchange(c, with_audio):
    pc = RTCPeerConnection()
    try:
        if with_audio:
            pc.addTrack(AudioStreamTrack())
        ch = pc.createDataChannel("chat", ordered=True)
        lossy = pc.createDataChannel("lossy", ordered=False, maxRetransmits=0)
        echo, echo_lossy = Echoes(ch), Echoes(lossy)
        s, h = await negotiate(c, pc)
        await wait_open(ch)
        await wait_open(lossy)

        # 100 small text messages, in order.
        sent = [f"hello {i}" for i in range(100)]
        for m in sent:
            ch.send(m)
        got = await echo.wait_count(100)
        assert got == sent, f"text echo differs: {got[:5]}..."
        print("  100 text messages echoed in order")

        # Binary stays binary.
        blobs = [bytes([i % 256]) * (i + 1) for i in range(50)]
        for b in blobs:
            ch.send(b)
        got = await echo.wait_count(50)
        assert all(isinstance(g, bytes) for g in got), [type(g) for g in got[:3]]
        assert got == blobs, "binary echo differs"
        print("  50 binary messages echoed as binary")

        # One 64 KB message.
        big = os.urandom(65536)
        ch.send(big)
        got = await echo.wait_count(1)
        assert got[0] == big, f"64 KB message came back as {len(got[0])} bytes"
        print("  64 KB binary message echoed intact")

        # One 1 MB message: bigger than any datagram, reassembled both ways.
        huge = os.urandom(1_000_000)
        ch.send(huge)
        got = await echo.wait_count(1, timeout=40)
        assert got[0] == huge, f"1 MB message came back as {len(got[0])} bytes"
        print("  1 MB binary message echoed intact")

        # A burst of 10,000.
        burst = [f"burst {i:05d} " + "x" * (i % 200) for i in range(10000)]
        for m in burst:
            ch.send(m)
        got = await echo.wait_count(10000, timeout=90)
        assert got == burst, "burst echo differs or is out of order"
        print("  burst of 10,000 echoed in order")

        # Unordered, partially reliable channel: on loopback nothing is lost.
        for i in range(20):
            lossy.send(f"lossy {i}")
        got = await echo_lossy.wait_count(20)
        assert sorted(got, key=lambda m: int(m.split()[1])) == [f"lossy {i}" for i in range(20)], got
        assert not echo.msgs, f"echo on the wrong channel: {echo.msgs[:3]}"
        print("  unordered maxRetransmits=0 channel echoes")

        await wait_drained(ch)
        r = await SERVER.admin({"janus": "handle_info", "session_id": s, "handle_id": h})
        assert r.get("janus") == "success", r
        sctp = (r["info"].get("webrtc") or {}).get("sctp")
        assert sctp and sctp["up"] and sctp["channels"] >= 2, r["info"].get("webrtc")
        assert sctp["messages-in"] >= 1171 and sctp["messages-out"] >= 1171, sctp
        print(f"  server: {sctp}")

        r = await c.request({"janus": "hangup", "session_id": s, "handle_id": h})
        assert r.get("janus") == "success", r
        await c.event("hangup", timeout=5, sender=h)
    finally:
        await pc.close()


@sy.timeout(180)
async def test_datachannel_with_audio():
    async with SERVER.ws() as c:
        await exchange(c, with_audio=True)


@sy.timeout(180)
async def test_datachannel_only():
    async with SERVER.ws() as c:
        await exchange(c, with_audio=False)


if __name__ == "__main__":
    sy.run(globals())
