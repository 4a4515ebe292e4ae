#!/usr/bin/env python3
"""Server-initiated offers (the subscriber-leg flow): the plugin offers, the client
answers. Switchyard is ICE-lite on its shared per-worker ports (the default), ICE
controlling (full ICE with a libnice agent per PC: media.shared_ports = false) or
controlled (libnice ICE-lite), and the DTLS role follows the client's answer. Also full
trickle: the server's candidates arrive as "trickle" events instead of inside the SDP.

The fixture plugin janus.plugin.sytest builds the offer ("offer" request) and echoes
whatever media arrives, so aiortc checks that its frames come back."""

import asyncio

import sy

import aiortc_peer  # noqa: F401 - aiortc set up for loopback
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp

SHARED = sy.Server("shared_ports", ws={"ws_port": 8192}, http={"port": 8092},
                   http_admin={"admin_port": 7092})
PER_PC = {"media": {"shared_ports": False}}
FULL = sy.Server("full_ice", files={"switchyard.jcfg": PER_PC})
LITE = sy.Server("ice_lite", files={"switchyard.jcfg": {"nat": {"ice_lite": True}, **PER_PC}},
                 ws={"ws_port": 8190}, http={"port": 8090}, http_admin={"admin_port": 7090})
TRICKLE = sy.Server("full_trickle", files={"switchyard.jcfg": {"nat": {"full_trickle": True}, **PER_PC}},
                    ws={"ws_port": 8191}, http={"port": 8091}, http_admin={"admin_port": 7091})


async def server_offer_call(srv, expect_lite=False, expect_trickle=False):
    async with srv.ws() as c:
        s, h = await c.session_handle()
        pc = RTCPeerConnection()
        frames = {"video": 0, "audio": 0}
        tasks = []

        async def consume(track):
            try:
                while True:
                    await track.recv()
                    frames[track.kind] += 1
            except Exception:  # noqa: BLE001 - ends with the call
                pass

        @pc.on("track")
        def on_track(track):
            tasks.append(asyncio.ensure_future(consume(track)))

        try:
            r = await c.message(s, h, {"request": "offer"})
            assert r.get("janus") == "ack", r
            ev = await c.event("event", timeout=10, transaction=r["transaction"], sender=h)
            assert ev["plugindata"]["data"] == {"sytest": "offer"}, ev
            offer = ev["jsep"]
            assert offer["type"] == "offer", offer
            sdp = offer["sdp"]
            assert "a=setup:actpass" in sdp, sdp
            assert ("a=ice-lite" in sdp) == expect_lite, sdp
            assert ("a=candidate:" in sdp) != expect_trickle, sdp
            assert ("a=end-of-candidates" in sdp) != expect_trickle, sdp
            assert "a=ssrc-group:FID" in sdp, "the video m-line announces no RTX stream:\n" + sdp
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            if expect_trickle:
                n = 0
                while True:
                    t = await c.event("trickle", timeout=10, sender=h)
                    cand = t["candidate"]
                    if cand.get("completed"):
                        break
                    assert cand["candidate"].startswith("candidate:"), t
                    assert "sdpMid" in cand and cand["sdpMLineIndex"] == 0, t
                    ice = candidate_from_sdp(cand["candidate"].split(":", 1)[1])
                    ice.sdpMid = cand["sdpMid"]
                    await pc.addIceCandidate(ice)
                    n += 1
                assert n >= 1, "no candidate was trickled"
            # addTrack reuses the transceivers the offer created (making them sendrecv).
            pc.addTrack(AudioStreamTrack())
            pc.addTrack(VideoStreamTrack())
            await pc.setLocalDescription(await pc.createAnswer())
            answer = {"type": "answer", "sdp": pc.localDescription.sdp}
            r = await c.message(s, h, {"request": "sync"}, jsep=answer)
            assert r.get("janus") == "success", r
            await c.event("webrtcup", timeout=10, sender=h)
            for _ in range(40):
                if frames["video"] >= 20 and frames["audio"] >= 20:
                    break
                await asyncio.sleep(0.1)
            assert frames["video"] >= 20, f"echoed video frames: {frames}"
            assert frames["audio"] >= 20, f"echoed audio frames: {frames}"
            # A second answer without a new offer is refused.
            r = await c.message(s, h, {"request": "sync"}, jsep=answer)
            sy.check_error(r, 469)
            info = await srv.admin({"janus": "handle_info", "session_id": s, "handle_id": h})
            webrtc = info["info"]["webrtc"]
            assert webrtc["webrtc-up"] is True, webrtc
            # We offered actpass and aiortc answers active: we are the DTLS server.
            assert webrtc["dtls-role"] == "server", webrtc
            assert webrtc["ice-role"] == ("controlled" if expect_lite else "controlling"), webrtc
        finally:
            await pc.close()
            for t in tasks:
                t.cancel()
        ev = await c.event("hangup", timeout=10, sender=h)
        assert ev["reason"].startswith("DTLS"), ev


@sy.timeout(60)
async def test_server_offer_shared_ports():
    await server_offer_call(SHARED, expect_lite=True)


@sy.timeout(60)
async def test_server_offer_full_ice():
    await server_offer_call(FULL)


@sy.timeout(60)
async def test_server_offer_ice_lite():
    await server_offer_call(LITE, expect_lite=True)


@sy.timeout(60)
async def test_server_offer_full_trickle():
    await server_offer_call(TRICKLE, expect_trickle=True)


if __name__ == "__main__":
    sy.run(globals())
