#!/usr/bin/env python3
"""VideoRoom SVC API (issue 4) with real WebRTC peers (aiortc) over WebSocket.

The layer forwarding itself is tested with a real VP9 SVC publisher in
node/test_videoroom_svc.mjs (aiortc has no VP9); here the requests and their errors:

1. A publisher whose jsep says "svc" for its video (janus.js does for SVC encodings) is
   announced with "svc": true to the room.
2. Subscriber join: spatial_layer/temporal_layer must be non-negative integers (430,
   the field named); large values are clamped to 2; the attached stream reports the
   targets in "svc" (1.x streams and the legacy feed join).
3. configure: the same checks (per stream and the legacy top-level form); a valid
   change is "configured" and the video keeps flowing (a non-VP9 stream ignores it);
   switch takes the same layer fields for the switched m-line.
"""

import sy

from test_videoroom_aiortc import (SERVER, VR, CounterTrack, call, check_err, data_of, sync,
                                   wait_for)
from test_videoroom_more import MultiReceiver, room_event, watcher
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack


async def publish_svc(c, room):
    """joinandconfigure with an offer whose jsep names the video stream's SVC mode."""
    s, h = await c.session_handle(plugin=VR)
    pc = RTCPeerConnection()
    pc.addTrack(AudioStreamTrack())
    pc.addTrack(CounterTrack())
    await pc.setLocalDescription(await pc.createOffer())
    ev = await call(c, s, h, {"request": "joinandconfigure", "ptype": "publisher", "room": room,
                              "display": "svc"},
                    jsep={"type": "offer", "sdp": pc.localDescription.sdp,
                          "svc": [{"mid": "1", "svc": "L3T3_KEY"}, {"mindex": 7, "svc": 3}]})
    d = data_of(ev)
    assert d["videoroom"] == "joined", d
    await pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="answer"))
    await c.event("webrtcup", timeout=10, sender=h)
    return s, h, d["id"], pc


def video_of(d):
    return next(st for st in d["streams"] if st["type"] == "video")


@sy.timeout(60)
async def test_svc_api():
    async with SERVER.ws() as c:
        s0, h0 = await c.session_handle(plugin=VR)
        room = (await sync(c, s0, h0, {"request": "create", "room": 7401}))["room"]
        ws, wh, _ = await watcher(c, room)
        s, h, pid, pc = await publish_svc(c, room)
        rx = None
        try:
            ev = await room_event(c, wh, "publishers", timeout=10)
            pub = data_of(ev)["publishers"][0]
            streams = {st["type"]: st for st in pub["streams"]}
            assert streams["video"].get("svc") is True and "svc" not in streams["audio"], pub

            ss, sh = await c.session_handle(plugin=VR)
            for bad in ({"spatial_layer": "1"}, {"spatial_layer": -1}, {"temporal_layer": 1.5},
                        {"temporal_layer": True}):
                d = data_of(await call(c, ss, sh, {"request": "join", "ptype": "subscriber",
                                                   "room": room,
                                                   "streams": [dict({"feed": pid}, **bad)]}))
                check_err(d, 430)
                assert next(iter(bad)) in d["error"], d
            ev = await call(c, ss, sh, {"request": "join", "ptype": "subscriber", "room": room,
                                        "streams": [{"feed": pid, "spatial_layer": 7,
                                                     "temporal_layer": 1}]})
            v = video_of(data_of(ev))
            assert v["svc"] == {"spatial-layer": -1, "target-spatial-layer": 2,
                                "temporal-layer": -1, "target-temporal-layer": 1}, v
            rx = MultiReceiver()
            await call(c, ss, sh, {"request": "start"}, jsep=await rx.answer(ev["jsep"]["sdp"]))
            mid = v["mid"]
            await wait_for(lambda: len(rx.counts.get(mid, [])) >= 5, 15, "video")

            for bad in ({"spatial_layer": "x"}, {"temporal_layer": -2}):
                check_err(data_of(await call(c, ss, sh, {"request": "configure",
                                                         "streams": [dict({"mid": mid}, **bad)]})), 430)
                check_err(data_of(await call(c, ss, sh, dict({"request": "configure"}, **bad))), 430)
            check_err(data_of(await call(c, ss, sh, {"request": "configure", "streams": [
                {"mid": "9", "spatial_layer": 0}]})), 428)
            ev = await call(c, ss, sh, {"request": "configure", "streams": [
                {"mid": mid, "spatial_layer": 0, "temporal_layer": 0}]})
            assert data_of(ev).get("configured") == "ok", ev
            ev = await call(c, ss, sh, {"request": "configure", "spatial_layer": 1})  # legacy form
            assert data_of(ev).get("configured") == "ok", ev
            n = len(rx.counts.get(mid, []))
            await wait_for(lambda: len(rx.counts.get(mid, [])) >= n + 10, 15,
                           "video after configure (VP8 is not layered: untouched)")

            # switch takes the layers too (janus-api.md 2, switch): checked first, applied
            # to the switched m-line.
            check_err(data_of(await call(c, ss, sh, {"request": "switch", "streams": [
                {"feed": pid, "mid": mid, "sub_mid": mid, "spatial_layer": "1"}]})), 430)
            ev = await call(c, ss, sh, {"request": "switch", "streams": [
                {"feed": pid, "mid": mid, "sub_mid": mid, "spatial_layer": 1, "temporal_layer": 0}]})
            d = data_of(ev)
            assert d.get("switched") == "ok", d
            v = video_of(d)
            assert v["svc"]["target-spatial-layer"] == 1 and v["svc"]["target-temporal-layer"] == 0, v

            # The legacy feed join takes the layers too.
            ls, lh = await c.session_handle(plugin=VR)
            check_err(data_of(await call(c, ls, lh, {"request": "join", "ptype": "subscriber",
                                                     "room": room, "feed": pid,
                                                     "spatial_layer": "0"})), 430)
            ev = await call(c, ls, lh, {"request": "join", "ptype": "subscriber", "room": room,
                                        "feed": pid, "spatial_layer": 0, "temporal_layer": 9})
            d = data_of(ev)
            assert d.get("warning") == "deprecated_api", d
            v = video_of(d)
            assert v["svc"]["target-spatial-layer"] == 0 and v["svc"]["target-temporal-layer"] == 2, v
        finally:
            await pc.close()
            if rx:
                await rx.close()


if __name__ == "__main__":
    sy.run(globals())
