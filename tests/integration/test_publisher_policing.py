#!/usr/bin/env python3
"""Publisher bitrate abuse (security.md section 6, row 13): VideoRoom hard policing.

A room with bitrate 300000 has two publishers: a normal aiortc one (a frame-counter
video, which follows the server's REMB) and an abusive one, an aiortc peer connection
whose video track never produces a frame, so the test sends the stream itself on that
sender's SSRC, protected with the peer's real SRTP keys: VP8 packets at 3 Mbit/s, 10x
the cap, ignoring REMB. Each has an aiortc subscriber in the same room.

- The abusive publisher is told {"policed": true}; its subscriber then gets (almost)
  nothing while the normal publisher's subscriber keeps decoding increasing counters;
  handle_info counts the policed drops.
- When the abuser falls back under the cap it is told {"policed": false} and its
  subscriber receives video again (from a key frame).
- Control: the same abuse in a room without a cap is forwarded and never policed.
"""

import asyncio
import random
import re
import struct
import time

import sy

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack

from aiortc_peer import CounterTrack, read_counter

VR = "janus.plugin.videoroom"
SRV = sy.Server("policing", http_admin={"admin_http": True, "admin_ip": "127.0.0.1",
                                        "admin_port": 7088, "admin_base_path": "/admin"})
CAP = 300000


def data_of(msg):
    return msg["plugindata"]["data"]


async def call(c, s, h, body, jsep=None, timeout=10):
    r = await c.message(s, h, body, jsep=jsep)
    assert r.get("janus") == "ack", r
    ev = await c.event("event", timeout=timeout, transaction=r["transaction"], sender=h)
    assert ev["plugindata"]["plugin"] == VR, ev
    return ev


async def handle_info(s, h):
    r = await SRV.admin({"janus": "handle_info"}, path=f"/{s}/{h}")
    assert r.get("janus") == "success", r
    return r["info"]["plugin_specific"]


class Silent(MediaStreamTrack):
    """A track that never yields a frame: aiortc sends nothing on its SSRC."""

    def __init__(self, kind="video"):
        super().__init__()
        self.kind = kind

    async def recv(self):
        await asyncio.Future()


class Receiver:
    """An aiortc subscriber: counts the video RTP packets that arrive (before decoding)
    and the counters of decoded frames."""

    def __init__(self):
        self.pc = RTCPeerConnection()
        self.rtp = 0
        self.log = []  # (sequence number, first two payload bytes) of each video packet
        self.counts = []
        self.tasks = []

        @self.pc.on("track")
        def on_track(track):
            self.tasks.append(asyncio.ensure_future(self.consume(track)))

    def hook(self, kind="video"):
        for t in self.pc.getTransceivers():
            if t.kind != kind:
                continue
            rcv = t.receiver
            orig = rcv._handle_rtp_packet

            async def counted(packet, arrival_time_ms, orig=orig):
                self.rtp += 1
                self.log.append((packet.sequence_number, packet.payload[:2]))
                return await orig(packet, arrival_time_ms)
            rcv._handle_rtp_packet = counted

    async def consume(self, track):
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    n = read_counter(frame)
                    if n is not None:
                        self.counts.append((time.monotonic(), n))
        except Exception:  # noqa: BLE001 - the track ends with the call
            pass

    async def close(self):
        await self.pc.close()
        for t in self.tasks:
            t.cancel()


async def publish(c, room, tracks):
    s, h = await c.session_handle(plugin=VR)
    ev = await call(c, s, h, {"request": "join", "ptype": "publisher", "room": room})
    d = data_of(ev)
    assert d["videoroom"] == "joined", d
    pc = RTCPeerConnection()
    for t in tracks:
        pc.addTrack(t)
    await pc.setLocalDescription(await pc.createOffer())
    ev = await call(c, s, h, {"request": "publish"},
                    jsep={"type": "offer", "sdp": pc.localDescription.sdp})
    assert data_of(ev).get("configured") == "ok", ev
    await pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="answer"))
    await c.event("webrtcup", timeout=10, sender=h)
    return s, h, d["id"], pc, ev["jsep"]["sdp"]


async def subscribe(c, room, feed, kind="video"):
    s, h = await c.session_handle(plugin=VR)
    ev = await call(c, s, h, {"request": "join", "ptype": "subscriber", "room": room,
                              "streams": [{"feed": feed}]})
    assert data_of(ev)["videoroom"] == "attached", ev
    rx = Receiver()
    await rx.pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="offer"))
    await rx.pc.setLocalDescription(await rx.pc.createAnswer())
    rx.hook(kind)
    ev = await call(c, s, h, {"request": "start"},
                    jsep={"type": "answer", "sdp": rx.pc.localDescription.sdp})
    assert data_of(ev).get("started") == "ok", ev
    await c.event("webrtcup", timeout=10, sender=h)
    return s, h, rx


class Abuser:
    """Sends VP8 on the silent sender's SSRC at `bitrate` (a key frame every second):
    1100-byte packets, 30 frames a second."""

    def __init__(self, pc, answer_sdp, audio=False):
        self.sender = pc.getSenders()[0]
        self.audio = audio
        codec = "opus/48000" if audio else "VP8/90000"
        self.pt = int(re.search(r"a=rtpmap:(\d+) " + codec, answer_sdp, re.I).group(1))
        self.seq = random.getrandbits(16)
        self.ts = random.getrandbits(32)
        self.bitrate = 3000000
        self.sent = 0
        self.frame = 0

    def _packet(self, payload, marker):
        hdr = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | self.pt, self.seq,
                          self.ts, self.sender._ssrc)
        self.seq = (self.seq + 1) & 0xFFFF
        return hdr + payload

    async def run(self):
        """Paced on the clock: each frame sends what the rate owes since the start (or
        the last rate change), so a late event loop does not lower the average."""
        transport = self.sender.transport
        start, owed_from, rate = time.monotonic(), 0, self.bitrate
        while True:
            t0 = time.monotonic()
            if rate != self.bitrate:
                start, owed_from, rate = t0, self.sent, self.bitrate
            owed = int((t0 - start) * rate / 8 / 1100) + 1 - (self.sent - owed_from)
            per_frame = max(1, owed)
            key = self.frame % 30 == 0
            for i in range(per_frame):
                if self.audio:
                    head = b"\xfc"  # an Opus TOC byte (CELT FB 20 ms, one frame)
                elif i == 0:
                    # VP8 descriptor (S=1, partition 0), payload header: P=0 key / P=1 delta.
                    head = (b"\x10\x10\x02\x00\x9d\x01\x2a\x40\x01\xf0\x00" if key
                            else b"\x10\x11\x02\x00")
                else:
                    head = b"\x00"
                payload = head + bytes(1100 - len(head))
                await transport._send_rtp(self._packet(payload, i == per_frame - 1))
                self.sent += 1
            self.frame += 1
            self.ts = (self.ts + 3000) & 0xFFFFFFFF
            await asyncio.sleep(max(0.0, 1 / 30 - (time.monotonic() - t0)))


async def setup_room(c, bitrate):
    s, h = await c.session_handle(plugin=VR)
    r = await c.message(s, h, {"request": "create", "bitrate": bitrate, "publishers": 4})
    d = data_of(r)
    assert d["videoroom"] == "created", d
    return d["room"]


async def wait_for(pred, timeout, what):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def police_event(c, h, timeout):
    ev = await c.event("event", timeout=timeout, sender=h, transaction=None)
    d = data_of(ev)
    while "policed" not in d:  # e.g. the other publisher's arrival
        ev = await c.event("event", timeout=timeout, sender=h, transaction=None)
        d = data_of(ev)
    return d


@sy.timeout(90)
async def test_abusive_publisher_policed_normal_one_unaffected():
    async with SRV.ws() as c:
        room = await setup_room(c, CAP)
        closers = []
        task = None
        try:
            s1, h1, id1, pc1, _ = await publish(c, room, [AudioStreamTrack(), CounterTrack()])
            closers.append(pc1.close)
            sa, ha, ida, pca, ans = await publish(c, room, [Silent()])
            closers.append(pca.close)
            _, _, rx1 = await subscribe(c, room, id1)
            closers.append(rx1.close)
            _, _, rxa = await subscribe(c, room, ida)
            closers.append(rxa.close)
            ab = Abuser(pca, ans)
            task = asyncio.ensure_future(ab.run())

            # Forwarded at first (the window needs three seconds of history).
            await wait_for(lambda: rxa.rtp >= 100, 10, "the abusive stream at its subscriber")
            d = await police_event(c, ha, 15)
            t_pol = time.monotonic()
            assert d["policed"] is True and d["room"] == room, d
            assert d["cap"] == CAP and d["bitrate"] > 4 * CAP + 1000000, d
            print(f"  policed after {ab.sent} packets: {d}")
            await asyncio.sleep(0.5)  # packets already in flight
            rx_a0, sent0 = rxa.rtp, ab.sent
            n1 = len(rx1.counts)
            await asyncio.sleep(3.0)
            got, sent = rxa.rtp - rx_a0, ab.sent - sent0
            print(f"  while policed: abusive subscriber got {got} of {sent} packets; "
                  f"normal subscriber decoded {len(rx1.counts) - n1} frames")
            assert sent > 500, f"the abuser only sent {sent} packets in 3 s"
            assert got <= sent // 100, f"policed stream still forwarded: {got} of {sent}"
            later = [n for t, n in rx1.counts if t >= t_pol]
            assert len(later) >= 20, f"the normal publisher's subscriber decoded {len(later)}"
            ups = sum(1 for a, b in zip(later, later[1:]) if b > a)
            assert ups >= 0.8 * (len(later) - 1), later
            info = await handle_info(sa, ha)
            assert info["policed"] is True and info["policed-drops"] >= sent // 2, info
            info1 = await handle_info(s1, h1)
            assert info1["policed"] is False and info1["policed-drops"] == 0, info1

            # Back under the cap: released, and video resumes from a key frame.
            ab.bitrate = 100000
            d = await police_event(c, ha, 15)
            assert d["policed"] is False and d["bitrate"] <= 2 * CAP + 1000000, d
            rx_a1 = rxa.rtp
            await wait_for(lambda: rxa.rtp >= rx_a1 + 20, 10, "video again after the release")
            # The first packet after the gap starts a key frame (VP8 P bit clear) and its
            # sequence number continues the subscriber's stream (no gap to NACK).
            seq0, _ = rxa.log[rx_a1 - 1]
            seq1, head = rxa.log[rx_a1]
            print(f"  released: {d}; resumed at seq {seq1} (last before: {seq0}), {head.hex()}")
            assert head[0] & 0x10 and not head[1] & 0x01, f"resumed on a delta frame: {head.hex()}"
            assert seq1 == (seq0 + 1) & 0xFFFF, (seq0, seq1)
            info = await handle_info(sa, ha)
            assert info["policed"] is False, info
        finally:
            if task:
                task.cancel()
            for close in reversed(closers):
                await close()


@sy.timeout(60)
async def test_no_cap_no_policing():
    async with SRV.ws() as c:
        room = await setup_room(c, 0)
        closers = []
        task = None
        try:
            sa, ha, ida, pca, ans = await publish(c, room, [Silent()])
            closers.append(pca.close)
            _, _, rxa = await subscribe(c, room, ida)
            closers.append(rxa.close)
            ab = Abuser(pca, ans)
            task = asyncio.ensure_future(ab.run())
            await wait_for(lambda: rxa.rtp >= 100, 10, "the stream at its subscriber")
            await asyncio.sleep(5.0)  # longer than the window
            rx0, sent0 = rxa.rtp, ab.sent
            await asyncio.sleep(1.5)
            got, sent = rxa.rtp - rx0, ab.sent - sent0
            print(f"  no cap: subscriber got {got} of {sent} packets")
            assert got >= sent * 0.8, (got, sent)
            info = await handle_info(sa, ha)
            assert info["policed"] is False and info["policed-drops"] == 0, info
            await c.expect_nothing(lambda m: m.get("sender") == ha and "policed" in str(m),
                                   duration=0.2, what="a policed event")
        finally:
            if task:
                task.cancel()
            for close in reversed(closers):
                await close()


@sy.timeout(60)
async def test_audio_flood_policed_too():
    """The same abuse on the audio m-line: dropped as well (not only video)."""
    async with SRV.ws() as c:
        room = await setup_room(c, CAP)
        closers = []
        task = None
        try:
            sa, ha, ida, pca, ans = await publish(c, room, [Silent("audio")])
            closers.append(pca.close)
            _, _, rxa = await subscribe(c, room, ida, "audio")
            closers.append(rxa.close)
            ab = Abuser(pca, ans, audio=True)
            task = asyncio.ensure_future(ab.run())
            await wait_for(lambda: rxa.rtp >= 100, 10, "the audio flood at its subscriber")
            d = await police_event(c, ha, 15)
            assert d["policed"] is True and d["bitrate"] > 4 * CAP + 1000000, d
            await asyncio.sleep(0.5)
            rx0, sent0 = rxa.rtp, ab.sent
            await asyncio.sleep(2.0)
            got, sent = rxa.rtp - rx0, ab.sent - sent0
            print(f"  audio flood policed: subscriber got {got} of {sent} packets")
            assert sent > 300 and got <= sent // 100, (got, sent)
            info = await handle_info(sa, ha)
            assert info["policed"] is True and info["policed-drops"] >= sent // 2, info
        finally:
            if task:
                task.cancel()
            for close in reversed(closers):
                await close()


if __name__ == "__main__":
    sy.run(globals())
