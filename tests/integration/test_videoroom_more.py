#!/usr/bin/env python3
"""VideoRoom, second cut, with real WebRTC peers (aiortc).

1. joinandconfigure with an offer; the others hear of the publisher once it is up;
   the subscriber's streams are "ready".
2. Talking events (audiolevel_event) to everyone, the speaker included; listparticipants.
3. moderate: a muted video stream stops reaching the subscriber; unmuted it resumes.
4. Subscription updates: subscribe adds an m-line (new offer, same PC), a second
   request while the offer waits is "updating" and coalesced; unsubscribe rejects the
   m-line; autoupdate when a subscribed publisher leaves.
5. switch: a subscriber m-line changes source without renegotiation.
6. bitrate and fir_freq: the publisher gets REMB with the room's bitrate, its own
   (publish/configure "bitrate") capped by the room's with bitrate_cap, the new room
   bitrate after edit; key frame requests every fir_freq seconds, none after edit sets 0.
7. allowed: the token list of a room (create with allowed, enable/disable/add/remove);
   a publisher's join needs a listed token while it is on.
8. permanent: create/edit/destroy write the room back to the plugin's config file.
"""

import asyncio
import fractions
import os
import time

import numpy
import sy
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from av import AudioFrame

from test_videoroom_aiortc import (SERVER, VR, CounterTrack, call, check_err, data_of,
                                   read_counter, sync, wait_for)


class ToneTrack(AudioStreamTrack):
    """48 kHz mono: a loud tone while self.loud, silence otherwise."""

    def __init__(self):
        super().__init__()
        self.loud = True
        self.t = 0

    async def recv(self):
        frame = await super().recv()  # paces at 20 ms
        n = frame.samples
        if self.loud:
            x = numpy.arange(self.t, self.t + n)
            data = (12000 * numpy.sin(2 * numpy.pi * 440 * x / frame.sample_rate)).astype(numpy.int16)
        else:
            data = numpy.zeros(n, dtype=numpy.int16)
        self.t += n
        out = AudioFrame.from_ndarray(data.reshape(1, -1), format="s16", layout="mono")
        out.sample_rate = frame.sample_rate
        out.pts = frame.pts
        out.time_base = fractions.Fraction(1, frame.sample_rate)
        return out


class OffsetCounter(CounterTrack):
    def __init__(self, start):
        super().__init__()
        self.count = start


class MultiReceiver:
    """An aiortc subscriber that keeps readable counters per receiving m-line (mid)."""

    def __init__(self):
        self.pc = RTCPeerConnection()
        self.counts = {}
        self.frames = {}
        self.tasks = []

        @self.pc.on("track")
        def on_track(track):
            self.tasks.append(asyncio.ensure_future(self.consume(track)))

    def mid_of(self, track):
        for t in self.pc.getTransceivers():
            if t.receiver.track is track:
                return t.mid
        return None

    async def consume(self, track):
        try:
            while True:
                frame = await track.recv()
                mid = self.mid_of(track)
                self.frames[mid] = self.frames.get(mid, 0) + 1
                if track.kind == "video":
                    n = read_counter(frame)
                    if n is not None:
                        self.counts.setdefault(mid, []).append(n)
        except Exception:  # noqa: BLE001 - the track ends with the call
            pass

    async def answer(self, sdp):
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return {"type": "answer", "sdp": self.pc.localDescription.sdp}

    async def close(self):
        await self.pc.close()
        for t in self.tasks:
            t.cancel()


async def join_and_publish(c, room, display, video_start=0, tone=None):
    """joinandconfigure with the offer. Returns (s, h, id, pc)."""
    s, h = await c.session_handle(plugin=VR)
    pc = RTCPeerConnection()
    pc.addTrack(tone or AudioStreamTrack())
    pc.addTrack(OffsetCounter(video_start))
    await pc.setLocalDescription(await pc.createOffer())
    ev = await call(c, s, h, {"request": "joinandconfigure", "ptype": "publisher", "room": room,
                              "display": display},
                    jsep={"type": "offer", "sdp": pc.localDescription.sdp})
    d = data_of(ev)
    assert d["videoroom"] == "joined" and d["room"] == room, d
    jsep = ev.get("jsep")
    assert jsep and jsep["type"] == "answer", ev
    await pc.setRemoteDescription(RTCSessionDescription(sdp=jsep["sdp"], type="answer"))
    await c.event("webrtcup", timeout=10, sender=h)
    return s, h, d["id"], pc


async def watcher(c, room):
    s, h = await c.session_handle(plugin=VR)
    ev = await call(c, s, h, {"request": "join", "ptype": "publisher", "room": room,
                              "display": "watcher"})
    return s, h, data_of(ev)["id"]


async def room_event(c, h, key, timeout=5):
    ev = await c.wait(lambda m: m.get("janus") == "event" and m.get("sender") == h
                      and "transaction" not in m and key in m["plugindata"]["data"],
                      timeout, f"an event with {key} for {h}")
    return ev


def video_mid(d, feed):
    for st in d["streams"]:
        if st["type"] == "video" and st.get("feed_id") == feed and st.get("active", True):
            return st["mid"]
    raise AssertionError(d)


# ---- 1. joinandconfigure, publishers on webrtcup, ready ----------------------------------

@sy.timeout(60)
async def test_joinandconfigure_ready():
    async with SERVER.ws() as c:
        room = (await sync(c, *(await c.session_handle(plugin=VR)),
                           {"request": "create", "room": 7001}))["room"]
        ws, wh, _ = await watcher(c, room)
        s, h, pid, pc = await join_and_publish(c, room, "jac")
        rx = None
        try:
            ev = await room_event(c, wh, "publishers")
            assert data_of(ev)["publishers"][0]["id"] == pid, ev
            d = await sync(c, ws, wh, {"request": "listparticipants", "room": room})
            assert {p["id"]: p["publisher"] for p in d["participants"]}[pid] is True, d
            ss, sh = await c.session_handle(plugin=VR)
            ev = await call(c, ss, sh, {"request": "join", "ptype": "subscriber", "room": room,
                                        "streams": [{"feed": pid}]})
            d = data_of(ev)
            assert all(st["ready"] is True for st in d["streams"]), d
            rx = MultiReceiver()
            ans = await rx.answer(ev["jsep"]["sdp"])
            ev = await call(c, ss, sh, {"request": "start"}, jsep=ans)
            await wait_for(lambda: len(rx.counts.get("1", [])) >= 10, 15, "video via joinandconfigure")
        finally:
            await pc.close()
            if rx:
                await rx.close()


# ---- 2. talking -----------------------------------------------------------------------------

@sy.timeout(60)
async def test_talking():
    async with SERVER.ws() as c:
        s0, h0 = await c.session_handle(plugin=VR)
        d = await sync(c, s0, h0, {"request": "create", "room": 7002, "audiolevel_event": True,
                                   "audio_active_packets": 20, "audio_level_average": 40})
        room = d["room"]
        ws, wh, _ = await watcher(c, room)
        tone = ToneTrack()
        s, h, pid, pc = await join_and_publish(c, room, "speaker", tone=tone)
        try:
            for hh in (h, wh):
                ev = await room_event(c, hh, "audio-level-dBov-avg", timeout=10)
                d = data_of(ev)
                assert d["videoroom"] == "talking" and d["room"] == room and d["id"] == pid, d
                assert isinstance(d["mid"], str) and isinstance(d["mindex"], int), d
                assert d["audio-level-dBov-avg"] < 40, d
            d = await sync(c, ws, wh, {"request": "listparticipants", "room": room})
            assert {p["id"]: p.get("talking") for p in d["participants"]}[pid] is True, d
            tone.loud = False
            for hh in (h, wh):
                ev = await c.wait(lambda m: m.get("sender") == hh and m.get("plugindata", {}).get(
                    "data", {}).get("videoroom") == "stopped-talking", 10, "stopped-talking")
                assert data_of(ev)["audio-level-dBov-avg"] >= 40, ev
            d = await sync(c, ws, wh, {"request": "listparticipants", "room": room})
            assert {p["id"]: p.get("talking") for p in d["participants"]}[pid] is False, d
        finally:
            await pc.close()


# ---- 3. moderate ------------------------------------------------------------------------------

@sy.timeout(60)
async def test_moderate():
    async with SERVER.ws() as c:
        s0, h0 = await c.session_handle(plugin=VR)
        room = (await sync(c, s0, h0, {"request": "create", "room": 7003, "secret": "mod"}))["room"]
        ws, wh, _ = await watcher(c, room)
        s, h, pid, pc = await join_and_publish(c, room, "muted")
        rx = None
        try:
            ss, sh = await c.session_handle(plugin=VR)
            ev = await call(c, ss, sh, {"request": "join", "ptype": "subscriber", "room": room,
                                        "streams": [{"feed": pid}]})
            rx = MultiReceiver()
            await call(c, ss, sh, {"request": "start"}, jsep=await rx.answer(ev["jsep"]["sdp"]))
            await wait_for(lambda: len(rx.counts.get("1", [])) >= 10, 15, "video before mute")
            check_err(await sync(c, s0, h0, {"request": "moderate", "room": room, "secret": "x",
                                             "id": pid, "mid": "1", "mute": True}), 433)
            d = await sync(c, s0, h0, {"request": "moderate", "room": room, "secret": "mod",
                                       "id": pid, "mid": "1", "mute": True})
            assert d == {"videoroom": "success"}, d
            for hh in (h, wh):
                ev = await room_event(c, hh, "moderation")
                assert data_of(ev) == {"videoroom": "event", "room": room, "id": pid, "mid": "1",
                                       "moderation": "muted"}, ev
            await asyncio.sleep(0.5)
            n = rx.frames.get("1", 0)
            await asyncio.sleep(1.5)
            assert rx.frames.get("1", 0) - n <= 2, (n, rx.frames)
            await sync(c, s0, h0, {"request": "moderate", "room": room, "secret": "mod",
                                   "id": pid, "mid": "1", "mute": False})
            ev = await room_event(c, wh, "moderation")
            assert data_of(ev)["moderation"] == "unmuted", ev
            b = len(rx.counts.get("1", []))
            await wait_for(lambda: len(rx.counts.get("1", [])) >= b + 10, 10, "video after unmute")
        finally:
            await pc.close()
            if rx:
                await rx.close()


# ---- 4. subscription updates, 5. switch ----------------------------------------------------------

@sy.timeout(90)
async def test_update_and_switch():
    async with SERVER.ws() as c:
        s0, h0 = await c.session_handle(plugin=VR)
        room = (await sync(c, s0, h0, {"request": "create", "room": 7004}))["room"]
        sa, ha, pa, pca = await join_and_publish(c, room, "A", video_start=0)
        sb, hb, pb, pcb = await join_and_publish(c, room, "B", video_start=600)
        rx = None
        try:
            ss, sh = await c.session_handle(plugin=VR)
            ev = await call(c, ss, sh, {"request": "join", "ptype": "subscriber", "room": room,
                                        "streams": [{"feed": pa, "mid": "1"}]})
            d = data_of(ev)
            assert [st["mid"] for st in d["streams"]] == ["0"], d
            rx = MultiReceiver()
            await call(c, ss, sh, {"request": "start"}, jsep=await rx.answer(ev["jsep"]["sdp"]))
            await wait_for(lambda: len(rx.counts.get("0", [])) >= 10, 15, "A's video")
            assert all(n < 600 for n in rx.counts["0"]), rx.counts

            # 5. switch m-line 0 to B's video: no offer, counters jump to B's.
            ev = await call(c, ss, sh, {"request": "switch", "streams": [
                {"feed": pb, "mid": "1", "sub_mid": "0"}]})
            d = data_of(ev)
            assert d["videoroom"] == "event" and d["switched"] == "ok" and d["changes"] == 1, d
            assert d["streams"][0]["feed_id"] == pb, d
            assert "jsep" not in ev, ev
            b = len(rx.counts["0"])
            await wait_for(lambda: sum(1 for n in rx.counts["0"][b:] if n >= 600) >= 10, 10,
                           "B's video after the switch")
            # back to A (again a change of source with the same codec)
            ev = await call(c, ss, sh, {"request": "switch", "streams": [
                {"feed": pa, "mid": "1", "sub_mid": "0"}]})
            assert data_of(ev)["changes"] == 1, ev
            ev = await call(c, ss, sh, {"request": "switch", "streams": [
                {"feed": pa, "mid": "0", "sub_mid": "0"}]})
            check_err(data_of(ev), 430)  # audio into a video m-line

            # 4. subscribe B's video: "updated" and an offer with m-line 0 kept, 1 added.
            ev = await call(c, ss, sh, {"request": "subscribe", "streams": [{"feed": pb, "mid": "1"}]})
            d = data_of(ev)
            assert d["videoroom"] == "updated" and d["room"] == room, d
            assert [st["mid"] for st in d["streams"]] == ["0", "1"], d
            offer = ev["jsep"]
            assert offer["type"] == "offer" and offer["sdp"].count("m=video") == 2, offer
            # A second change before answering is coalesced.
            ev = await call(c, ss, sh, {"request": "update", "subscribe": [{"feed": pb, "mid": "0"}]})
            assert data_of(ev) == {"videoroom": "updating", "room": room}, ev
            assert "jsep" not in ev, ev
            ev = await call(c, ss, sh, {"request": "start"}, jsep=await rx.answer(offer["sdp"]))
            assert data_of(ev)["started"] == "ok", ev
            ev = await room_event(c, sh, "streams", timeout=5)
            d = data_of(ev)
            assert d["videoroom"] == "updated" and len(d["streams"]) == 3, d
            assert ev["jsep"]["type"] == "offer", ev
            await call(c, ss, sh, {"request": "start"}, jsep=await rx.answer(ev["jsep"]["sdp"]))
            b0 = len(rx.counts.get("0", []))
            await wait_for(lambda: len(rx.counts.get("1", [])) >= 10 and
                           len(rx.counts.get("0", [])) >= b0 + 10, 15, "video on both m-lines")
            assert all(n >= 600 for n in rx.counts["1"]), rx.counts["1"][:20]
            await wait_for(lambda: rx.frames.get("2", 0) >= 10, 10, "B's audio")

            # unsubscribe m-line 0: inactive in the offer, m-line 1 keeps going.
            ev = await call(c, ss, sh, {"request": "unsubscribe", "streams": [{"sub_mid": "0"}]})
            d = data_of(ev)
            assert d["videoroom"] == "updated" and d["streams"][0]["active"] is False, d
            assert ev["jsep"]["sdp"].count("a=inactive") == 1, ev["jsep"]["sdp"]
            await call(c, ss, sh, {"request": "start"}, jsep=await rx.answer(ev["jsep"]["sdp"]))
            b1 = len(rx.counts["1"])
            await wait_for(lambda: len(rx.counts["1"]) >= b1 + 10, 10, "video after unsubscribe")

            # autoupdate: B leaves; the subscriber gets "updated" and an offer without it.
            ev = await call(c, sb, hb, {"request": "leave"})
            ev = await room_event(c, sh, "streams", timeout=5)
            d = data_of(ev)
            assert d["videoroom"] == "updated", d
            assert all(st["active"] is False for st in d["streams"]), d
            assert ev["jsep"]["sdp"].count("a=inactive") == 3, ev["jsep"]["sdp"]
            await call(c, ss, sh, {"request": "start"}, jsep=await rx.answer(ev["jsep"]["sdp"]))
        finally:
            for pc in (pca, pcb):
                await pc.close()
            if rx:
                await rx.close()


# ---- 6. bitrate, bitrate_cap, fir_freq ------------------------------------------------------

@sy.timeout(90)
async def test_bitrate_and_fir_freq():
    from aiortc.rtcrtpsender import RTCRtpSender
    from aiortc.rtp import RTCP_PSFB_APP, RTCP_PSFB_PLI, RtcpPsfbPacket, unpack_remb_fci

    rembs, plis = [], []
    orig = RTCRtpSender._handle_rtcp_packet

    async def spy(self, packet):
        if isinstance(packet, RtcpPsfbPacket):
            if packet.fmt == RTCP_PSFB_PLI:
                plis.append(time.monotonic())
            elif packet.fmt == RTCP_PSFB_APP:
                try:
                    rembs.append(unpack_remb_fci(packet.fci)[0])
                except ValueError:
                    pass
        await orig(self, packet)

    RTCRtpSender._handle_rtcp_packet = spy
    try:
        async with SERVER.ws() as c:
            s0, h0 = await c.session_handle(plugin=VR)
            room = (await sync(c, s0, h0, {"request": "create", "room": 7005, "secret": "b",
                                           "bitrate": 300000, "bitrate_cap": True,
                                           "fir_freq": 1}))["room"]
            d = await sync(c, s0, h0, {"request": "list"})
            entry = [x for x in d["list"] if x["room"] == room][0]
            assert entry["bitrate_cap"] is True and entry["fir_freq"] == 1, entry
            s, h, pid, pc = await join_and_publish(c, room, "br")
            try:
                await wait_for(lambda: 300000 in rembs, 10, f"the room's REMB; got {rembs[-5:]}")
                # fir_freq 1: about one key frame request a second, with nobody subscribed.
                t0 = time.monotonic()
                await asyncio.sleep(3.5)
                n = sum(1 for t in plis if t >= t0)
                print(f"  fir_freq 1: {n} PLIs in 3.5 s")
                assert 2 <= n <= 8, plis
                # The publisher's own bitrate, below and above the room's cap.
                rembs.clear()
                ev = await call(c, s, h, {"request": "configure", "bitrate": 100000})
                assert data_of(ev)["configured"] == "ok", ev
                await wait_for(lambda: rembs and rembs[-1] == 100000, 10,
                               f"REMB 100000 after configure; got {rembs[-5:]}")
                ev = await call(c, s, h, {"request": "configure", "bitrate": 900000})
                await wait_for(lambda: rembs and rembs[-1] == 300000, 10,
                               f"REMB capped at 300000; got {rembs[-5:]}")
                assert 900000 not in rembs, rembs
                # edit: the room's new bitrate reaches the live publisher (still capped).
                d = await sync(c, s0, h0, {"request": "edit", "room": room, "secret": "b",
                                           "new_bitrate": 200000, "new_fir_freq": 0})
                assert d["videoroom"] == "edited", d
                await wait_for(lambda: rembs and rembs[-1] == 200000, 10,
                               f"REMB 200000 after edit; got {rembs[-5:]}")
                await asyncio.sleep(0.5)
                t0 = time.monotonic()
                await asyncio.sleep(2.5)
                n = sum(1 for t in plis if t >= t0)
                assert n == 0, f"{n} PLIs after fir_freq 0"
            finally:
                await pc.close()
    finally:
        RTCRtpSender._handle_rtcp_packet = orig


# ---- 7. allowed ------------------------------------------------------------------------------

@sy.timeout(30)
async def test_allowed():
    async with SERVER.ws() as c:
        s0, h0 = await c.session_handle(plugin=VR)
        d = await sync(c, s0, h0, {"request": "create", "room": 7006, "secret": "a",
                                   "allowed": ["t1", "t2"]})
        room = d["room"]
        check_err(await sync(c, s0, h0, {"request": "create", "room": 7007, "allowed": [1]}), 430)

        async def join(token=None):
            s, h = await c.session_handle(plugin=VR)
            body = {"request": "join", "ptype": "publisher", "room": room}
            if token:
                body["token"] = token
            return data_of(await call(c, s, h, body))

        check_err(await join(), 433)
        check_err(await join("nope"), 433)
        assert (await join("t1"))["videoroom"] == "joined"
        allowed = {"request": "allowed", "room": room, "secret": "a"}
        check_err(await sync(c, s0, h0, {**allowed, "secret": "x", "action": "enable"}), 433)
        check_err(await sync(c, s0, h0, {**allowed}), 429)
        check_err(await sync(c, s0, h0, {**allowed, "action": "shuffle"}), 430)
        check_err(await sync(c, s0, h0, {**allowed, "action": "add"}), 429)
        check_err(await sync(c, s0, h0, {**allowed, "action": "add", "allowed": [3]}), 430)
        d = await sync(c, s0, h0, {**allowed, "action": "add", "allowed": ["t3", "t1"]})
        assert d == {"videoroom": "success", "room": room, "allowed": ["t1", "t2", "t3"]}, d
        d = await sync(c, s0, h0, {**allowed, "action": "remove", "allowed": ["t1"]})
        assert d == {"videoroom": "success", "room": room, "allowed": ["t2", "t3"]}, d
        check_err(await join("t1"), 433)
        assert (await join("t3"))["videoroom"] == "joined"
        d = await sync(c, s0, h0, {**allowed, "action": "disable"})
        assert d == {"videoroom": "success", "room": room}, d
        assert (await join())["videoroom"] == "joined"
        d = await sync(c, s0, h0, {**allowed, "action": "enable"})
        assert d["allowed"] == ["t2", "t3"], d
        check_err(await join(), 433)
        # A room created without a list: enable makes it empty, so nobody gets in.
        r2 = (await sync(c, s0, h0, {"request": "create", "room": 7008}))["room"]
        d = await sync(c, s0, h0, {"request": "allowed", "room": r2, "action": "enable"})
        assert d == {"videoroom": "success", "room": r2, "allowed": []}, d
        check_err(await sync(c, s0, h0, {"request": "allowed", "room": 999, "action": "enable"}), 426)


# ---- 8. permanent rooms --------------------------------------------------------------------

@sy.timeout(30)
async def test_permanent():
    async with SERVER.ws() as c:
        cfg_path = os.path.join(SERVER.conf_dir, "switchyard.plugin.videoroom.jcfg")
        s0, h0 = await c.session_handle(plugin=VR)
        d = await sync(c, s0, h0, {"request": "create", "room": 7009, "description": "Kept",
                                   "secret": "s9", "publishers": 5, "bitrate": 500000,
                                   "fir_freq": 7, "videocodec": "vp8,h264", "permanent": True})
        assert d == {"videoroom": "created", "room": 7009, "permanent": True}, d
        kept = sy.parse_cfg(open(cfg_path).read(), cfg_path)
        room = kept["room-7009"]
        assert room["description"] == "Kept" and room["secret"] == "s9", room
        assert room["publishers"] == 5 and room["bitrate"] == 500000 and room["fir_freq"] == 7, room
        assert room["videocodec"] == "vp8,h264", room
        assert "room-1234" in kept, "the rooms already in the file were lost"
        d = await sync(c, s0, h0, {"request": "edit", "room": 7009, "secret": "s9",
                                   "new_description": "Kept2", "permanent": True})
        assert d == {"videoroom": "edited", "room": 7009}, d
        assert sy.parse_cfg(open(cfg_path).read(), cfg_path)["room-7009"]["description"] == "Kept2"
        # Not permanent: the file keeps the old description.
        await sync(c, s0, h0, {"request": "edit", "room": 7009, "secret": "s9",
                               "new_description": "Kept3"})
        assert sy.parse_cfg(open(cfg_path).read(), cfg_path)["room-7009"]["description"] == "Kept2"
        d = await sync(c, s0, h0, {"request": "destroy", "room": 7009, "secret": "s9",
                                   "permanent": True})
        assert d == {"videoroom": "destroyed", "room": 7009}, d
        kept = sy.parse_cfg(open(cfg_path).read(), cfg_path)
        assert "room-7009" not in kept and "room-1234" in kept, kept


@sy.timeout(90)
async def test_publisher_metadata_descriptions_and_send():
    """configure: metadata and stream descriptions reach the room's publishers list;
    streams [{mid, send:false}] stops forwarding that stream, send:true resumes it; bad
    shapes are refused (430, 428 for an unknown mid)."""
    async with SERVER.ws() as c:
        s0, h0 = await c.session_handle(plugin=VR)
        room = (await sync(c, s0, h0, {"request": "create", "room": 7011}))["room"]
        ws, wh, _ = await watcher(c, room)
        s, h, pid, pc = await join_and_publish(c, room, "meta")
        rx = None
        try:
            await room_event(c, wh, "publishers", timeout=10)
            ev = await call(c, s, h, {"request": "configure", "metadata": {"role": "host"},
                                      "descriptions": [{"mid": "1", "description": "camera"}]})
            assert data_of(ev).get("configured") == "ok", ev
            ev = await room_event(c, wh, "publishers", timeout=10)
            pub = data_of(ev)["publishers"][0]
            assert pub["id"] == pid and pub["metadata"] == {"role": "host"}, pub
            assert [st.get("description") for st in pub["streams"]] == [None, "camera"], pub
            d = await sync(c, s0, h0, {"request": "listparticipants", "room": room})
            assert any(x["id"] == pid for x in d["participants"]), d
            for bad in ({"descriptions": [{"mid": 1}]}, {"descriptions": "x"},
                        {"streams": [{"send": False}]}, {"streams": [{"mid": "1", "send": "no"}]}):
                check_err(data_of(await call(c, s, h, dict({"request": "configure"}, **bad))), 430)
            check_err(data_of(await call(c, s, h, {"request": "configure",
                                                   "streams": [{"mid": "9", "send": False}]})), 428)
            ss, sh = await c.session_handle(plugin=VR)
            ev = await call(c, ss, sh, {"request": "join", "ptype": "subscriber", "room": room,
                                        "streams": [{"feed": pid}]})
            rx = MultiReceiver()
            await call(c, ss, sh, {"request": "start"}, jsep=await rx.answer(ev["jsep"]["sdp"]))
            await wait_for(lambda: len(rx.counts.get("1", [])) >= 10, 15, "video before send:false")
            # The subscriber's simulcast fallback (microseconds) is type-checked and taken.
            check_err(data_of(await call(c, ss, sh, {"request": "configure",
                                                     "streams": [{"mid": "1", "fallback": "x"}]})), 430)
            ev = await call(c, ss, sh, {"request": "configure", "streams": [{"mid": "1", "fallback": 500000}]})
            assert data_of(ev).get("configured") == "ok", ev
            ev = await call(c, s, h, {"request": "configure", "streams": [{"mid": "1", "send": False}]})
            assert data_of(ev).get("configured") == "ok", ev
            await asyncio.sleep(0.5)
            n = rx.frames.get("1", 0)
            await asyncio.sleep(1.5)
            assert rx.frames.get("1", 0) - n <= 2, (n, rx.frames)
            await call(c, s, h, {"request": "configure", "streams": [{"mid": "1", "send": True}]})
            b = len(rx.counts.get("1", []))
            await wait_for(lambda: len(rx.counts.get("1", [])) >= b + 10, 10, "video after send:true")
        finally:
            await pc.close()
            if rx:
                await rx.close()


if __name__ == "__main__":
    sy.run(globals())
