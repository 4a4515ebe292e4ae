#!/usr/bin/env python3
"""EchoTest with a real WebRTC peer (aiortc): ICE, DTLS, SRTP through Switchyard.

aiortc sends a synthetic video whose pixels carry a frame counter, plus Opus audio,
over the WebSocket API; Switchyard decrypts, hands the packets to the EchoTest
plugin, re-encrypts and sends them back. The test decodes the echoed video and checks
that the counters arrive and increase, that audio comes back, and the Janus events
(webrtcup, media, hangup, the plugin's "done")."""

import asyncio
import time

import sy

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack

from aiortc_peer import CounterTrack, read_counter

ECHO = "janus.plugin.echotest"
SERVER = sy.Server("echotest")
# slowlink events at the first lost packet in a second.
LOSSY = sy.Server("echotest_slowlink", files={"switchyard.jcfg": {"media": {"slowlink_threshold": 1}}},
                  ws={"ws_port": 8190}, http={"port": 8090}, http_admin={"admin_port": 7090})


async def echo_call(c, body=None, seconds=4.0, during=None):
    """Runs one call; returns (video counters, audio frames, (session, handle)).
    during(s, h) runs while media flows, before the hangup."""
    s, h = await c.session_handle(plugin=ECHO)
    pc = RTCPeerConnection()
    video_counts, audio_frames = [], []
    done = asyncio.Event()
    track_tasks = []

    async def consume(track):
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    n = read_counter(frame)
                    if n is not None:
                        video_counts.append(n)
                else:
                    audio_frames.append(frame)
        except Exception:  # noqa: BLE001 - the track ends when the call does
            pass

    @pc.on("track")
    def on_track(track):
        track_tasks.append(asyncio.ensure_future(consume(track)))

    try:
        pc.addTrack(AudioStreamTrack())
        pc.addTrack(CounterTrack())
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"type": "offer", "sdp": pc.localDescription.sdp}
        r = await c.message(s, h, body or {"audio": True, "video": True}, jsep=offer)
        assert r.get("janus") == "ack", r
        tr = r["transaction"]
        ev = await c.event("event", timeout=10, transaction=tr, sender=h)
        data = ev["plugindata"]["data"]
        assert ev["plugindata"]["plugin"] == ECHO, ev
        assert data == {"echotest": "event", "result": "ok"}, data
        jsep = ev.get("jsep")
        assert jsep and jsep["type"] == "answer", ev
        sdp = jsep["sdp"]
        for needle in ("a=ice-ufrag:", "a=fingerprint:sha-256 ", "a=setup:passive",
                       "a=candidate:", "a=end-of-candidates", "a=group:BUNDLE"):
            assert needle in sdp, f"{needle!r} missing from the answer:\n{sdp}"
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        up = await c.event("webrtcup", timeout=10, sender=h, session_id=s)
        assert up == {"janus": "webrtcup", "session_id": s, "sender": h}, up
        media = await c.event("media", timeout=10, sender=h, receiving=True)
        assert media["type"] in ("audio", "video") and "mid" in media, media
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            await asyncio.sleep(0.2)
        if during:
            await during(s, h)
        # Hang up through the API: "hangup" event, then the plugin's "done".
        r = await c.request({"janus": "hangup", "session_id": s, "handle_id": h})
        assert r.get("janus") == "success", r
        hang = await c.event("hangup", timeout=5, sender=h)
        assert hang["reason"] == "Janus API", hang
        ev = await c.wait(lambda m: m.get("janus") == "event" and m.get("sender") == h
                          and "transaction" not in m
                          and m["plugindata"]["data"].get("result") == "done", 5, "the done event")
        assert ev["plugindata"]["data"] == {"echotest": "event", "result": "done"}, ev
        return video_counts, audio_frames, (s, h)
    finally:
        await pc.close()
        for t in track_tasks:
            t.cancel()


@sy.timeout(60)
async def test_echo_video_and_audio_come_back():
    async with SERVER.ws() as c:
        counts, audio, _ = await echo_call(c)
    print(f"  echoed: {len(counts)} readable video frames ({counts[:3]}..{counts[-3:]}), "
          f"{len(audio)} audio frames")
    assert len(counts) >= 20, f"only {len(counts)} readable echoed frames"
    increasing = sum(1 for a, b in zip(counts, counts[1:]) if b > a)
    assert increasing >= len(counts) * 0.8, f"counters do not increase: {counts[:40]}"
    assert counts[-1] - counts[0] >= 20, counts
    assert len(audio) >= 50, f"only {len(audio)} echoed audio frames"


@sy.timeout(60)
async def test_video_off_stops_video_only():
    async with SERVER.ws() as c:
        counts, audio, _ = await echo_call(c, {"audio": True, "video": False}, seconds=3.0)
    assert len(counts) == 0, f"video came back although it was switched off: {len(counts)}"
    assert len(audio) >= 50, f"only {len(audio)} echoed audio frames"


@sy.timeout(30)
async def test_errors():
    async with SERVER.ws() as c:
        s, h = await c.session_handle(plugin=ECHO)
        # Nothing recognised: 413 as an asynchronous plugin error.
        r = await c.message(s, h, {"foo": 1})
        assert r.get("janus") == "ack", r
        ev = await c.event("event", transaction=r["transaction"])
        assert ev["plugindata"]["data"]["error_code"] == 413, ev
        # Wrong type.
        r = await c.message(s, h, {"audio": "yes"})
        ev = await c.event("event", transaction=r["transaction"])
        assert ev["plugindata"]["data"]["error_code"] == 413, ev
        # An SDP that does not parse: the core refuses it (465) before the plugin.
        r = await c.message(s, h, {"audio": True}, jsep={"type": "offer", "sdp": "v=0\r\nbogus"})
        sy.check_error(r, 465)
        # An answer with no offer: 469.
        r = await c.message(s, h, {"audio": True}, jsep={"type": "answer", "sdp": "v=0\r\n"})
        sy.check_error(r, 469)


class Lossy:
    """Makes aiortc lose video packets once, in each direction (every 10th it sends,
    every 20th it receives): the ones it
    sends (so Switchyard must NACK and unwrap aiortc's RTX) and the ones it receives (so
    aiortc NACKs and Switchyard must resend from its history as RTX)."""

    def __init__(self):
        from aiortc.rtcdtlstransport import RTCDtlsTransport
        from aiortc.rtcrtpreceiver import RTCRtpReceiver
        self.classes = (RTCDtlsTransport, RTCRtpReceiver)
        self.orig_send = RTCDtlsTransport._send_rtp
        self.orig_recv = RTCRtpReceiver._handle_rtp_packet
        self.sent = self.received = 0
        self.dropped_out, self.dropped_in = 0, 0
        lossy = self
        seen_in = set()

        async def send_rtp(transport, data):
            is_rtcp = len(data) > 1 and 192 <= data[1] <= 223
            if not is_rtcp and len(data) > 400:  # video, not Opus
                lossy.sent += 1
                if lossy.sent % 10 == 0:
                    lossy.dropped_out += 1
                    return
            await lossy.orig_send(transport, data)

        async def handle_rtp(receiver, packet, arrival_time_ms):
            if receiver._track is not None and receiver._track.kind == "video":
                key = (packet.ssrc, packet.sequence_number)
                lossy.received += 1
                if lossy.received % 20 == 0 and key not in seen_in:
                    seen_in.add(key)
                    lossy.dropped_in += 1
                    return
            await lossy.orig_recv(receiver, packet, arrival_time_ms)

        RTCDtlsTransport._send_rtp = send_rtp
        RTCRtpReceiver._handle_rtp_packet = handle_rtp

    def restore(self):
        self.classes[0]._send_rtp = self.orig_send
        self.classes[1]._handle_rtp_packet = self.orig_recv


@sy.timeout(60)
async def test_losses_are_repaired_with_nack_and_rtx():
    info = {}

    async def read_info(s, h):
        r = await LOSSY.admin({"janus": "handle_info", "session_id": s, "handle_id": h})
        assert r.get("janus") == "success", r
        info.update(r["info"]["webrtc"] or {})

    lossy = Lossy()
    try:
        async with LOSSY.ws() as c:
            counts, audio, (s, h) = await echo_call(c, seconds=5.0, during=read_info)
            slow = [m for m in c.msgs if m.get("janus") == "slowlink" and m.get("sender") == h]
    finally:
        lossy.restore()
    print(f"  slowlink events: {[(m['media'], m['uplink'], m['lost']) for m in slow]}")
    assert any(m["media"] == "video" and m["uplink"] is False and m["lost"] >= 1 for m in slow), slow
    for m in slow:
        assert m["session_id"] == s and isinstance(m["mid"], str), m
    plugin_slow = [m for m in c.msgs if m.get("janus") == "event" and m.get("sender") == h
                   and m["plugindata"]["data"].get("event") == "slow_link"]
    assert plugin_slow and plugin_slow[0]["plugindata"]["data"]["echotest"] == "event", plugin_slow
    print(f"  dropped {lossy.dropped_out} sent / {lossy.dropped_in} received video packets; "
          f"server: {info.get('nacks-sent')} NACKs sent, {info.get('retransmitted')} "
          f"retransmitted, rtt {info.get('rtt-ms')} ms, {len(counts)} frames read")
    assert lossy.dropped_out >= 3 and lossy.dropped_in >= 5, (lossy.dropped_out, lossy.dropped_in)
    assert info.get("nacks-sent", 0) > 0, f"the server never NACKed aiortc's losses: {info}"
    assert info.get("retransmitted", 0) > 0, f"the server never answered a NACK: {info}"
    # With repairs the echoed video keeps decoding and counting.
    assert len(counts) >= 60, f"only {len(counts)} readable echoed frames with repairs"
    assert counts[-1] - counts[0] >= 60, counts


if __name__ == "__main__":
    sy.run(globals())
