#!/usr/bin/env python3
"""VideoRoom publisher renegotiation (issue 4: configure "renegotiation, restart").

An aiortc publisher (audio + counter video) is watched by an aiortc subscriber. Then,
on the same peer connection:
 1. it sends `configure` with a new offer of the same m-lines (and "restart": true in the
    body): `configured` with an answer; the subscriber keeps decoding increasing counters
    of that video (no new offer for it);
 2. it adds a second video track (another counter range) and offers again: the answer
    has three m-lines, the room hears a `publishers` event with three streams, and a new
    subscription to the added mid decodes its counters while the first subscriber still
    decodes the first video;
 3. it offers the added m-line inactive: the stream is gone from the `publishers` event
    and the subscriber of it gets `updated` (autoupdate) with its m-line inactive, while
    the first video keeps flowing.
A bad "restart" flag (430), publish on a published handle (434) and an offer with every m-line inactive (437)
are refused, and the refused offer leaves the media as it was.
test_renegotiate_keeps_data_relay: the data channel relay survives a renegotiation.
aiortc cannot restart ICE (no restartIce; munging its offer was not tried), so the
ICE restart is tested with Chromium in node/test_videoroom_reneg.mjs.
"""

import re

import sy
from aiortc import RTCPeerConnection, RTCSessionDescription

from test_videoroom_aiortc import call, check_err, data_of, sync, wait_for
from test_videoroom_more import MultiReceiver, OffsetCounter, join_and_publish, room_event, watcher

VR = "janus.plugin.videoroom"
SERVER = sy.Server("videoroom_reneg")
ROOM = 7301


def increasing(counts):
    return len(counts) > 1 and sum(1 for a, b in zip(counts, counts[1:]) if b > a) >= 0.8 * (len(counts) - 1)


async def subscribe(c, feed, mid):
    s, h = await c.session_handle(plugin=VR)
    ev = await call(c, s, h, {"request": "join", "ptype": "subscriber", "room": ROOM,
                              "streams": [{"feed": feed, "mid": mid}]})
    d = data_of(ev)
    assert d["videoroom"] == "attached", d
    rx = MultiReceiver()
    ev = await call(c, s, h, {"request": "start"}, jsep=await rx.answer(ev["jsep"]["sdp"]))
    assert data_of(ev)["started"] == "ok", ev
    return s, h, rx


async def reoffer(c, s, h, pc, body=None, munge=None):
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    if munge:
        sdp = munge(sdp)
    ev = await call(c, s, h, dict({"request": "configure"}, **(body or {})),
                    jsep={"type": "offer", "sdp": sdp})
    d = data_of(ev)
    assert d.get("configured") == "ok", d
    jsep = ev.get("jsep")
    assert jsep and jsep["type"] == "answer", ev
    await pc.setRemoteDescription(RTCSessionDescription(sdp=jsep["sdp"], type="answer"))
    return d, jsep["sdp"]


async def more_frames(rx, mid, n, what, lo, hi, timeout=20):
    b = len(rx.counts.get(mid, []))
    await wait_for(lambda: len(rx.counts.get(mid, [])) >= b + n, timeout,
                   f"{what} ({len(rx.counts.get(mid, [])) - b} new frames, {rx.frames})")
    got = rx.counts[mid][b:]
    assert increasing(got), (what, got[:40])
    assert all(lo <= x < hi for x in got), (what, got[:40])


def mline_kinds(sdp):
    return re.findall(r"^m=(\w+) (\d+)", sdp, re.M)


@sy.timeout(120)
async def test_renegotiate_same_add_remove():
    async with SERVER.ws() as c:
        s0, h0 = await c.session_handle(plugin=VR)
        await sync(c, s0, h0, {"request": "create", "room": ROOM})
        ws, wh, _ = await watcher(c, ROOM)
        sp, hp, pid, pc = await join_and_publish(c, ROOM, "P", video_start=0)
        await room_event(c, wh, "publishers", timeout=10)
        rx1 = rx2 = None
        try:
            ss1, sh1, rx1 = await subscribe(c, pid, "1")
            await more_frames(rx1, "0", 10, "the first video", 0, 400)

            # 1. same m-lines again, "restart": true in the body.
            d, ans = await reoffer(c, sp, hp, pc, {"restart": True})
            assert [st["mid"] for st in d["streams"]] == ["0", "1"], d
            assert [k for k, _ in mline_kinds(ans)] == ["audio", "video"], ans
            await more_frames(rx1, "0", 15, "the first video after a same-lines offer", 0, 400)
            # A bad restart flag is refused, and publish on a published handle stays 434.
            ev = await call(c, sp, hp, {"request": "configure", "restart": "yes"},
                            jsep={"type": "offer", "sdp": pc.localDescription.sdp})
            check_err(data_of(ev), 430)
            ev = await call(c, sp, hp, {"request": "publish"},
                            jsep={"type": "offer", "sdp": pc.localDescription.sdp})
            check_err(data_of(ev), 434)
            # An offer with nothing to accept (every m-line inactive) is refused (437) and the
            # published streams stay as they were.
            ev = await call(c, sp, hp, {"request": "configure"}, jsep={"type": "offer", "sdp": re.sub(
                r"^a=(sendrecv|sendonly)\r?$", "a=inactive\r", pc.localDescription.sdp, flags=re.M)})
            check_err(data_of(ev), 437)
            await more_frames(rx1, "0", 10, "the first video after a refused offer", 0, 400)

            # 2. an added video track: a third m-line, announced.
            pc.addTrack(OffsetCounter(500))
            d, ans = await reoffer(c, sp, hp, pc)
            assert [k for k, _ in mline_kinds(ans)] == ["audio", "video", "video"], ans
            assert [st["mid"] for st in d["streams"]] == ["0", "1", "2"], d
            ev = await room_event(c, wh, "publishers", timeout=10)
            pub = data_of(ev)["publishers"][0]
            assert pub["id"] == pid and [st["mid"] for st in pub["streams"]] == ["0", "1", "2"], pub
            ss2, sh2, rx2 = await subscribe(c, pid, "2")
            await more_frames(rx2, "0", 10, "the added video", 500, 900)
            await more_frames(rx1, "0", 10, "the first video after the added track", 0, 400)

            # 3. the added m-line offered inactive: removed, its subscriber updated.
            def inactive_third(sdp):
                parts = re.split(r"(?=^m=)", sdp, flags=re.M)
                parts[3] = re.sub(r"^a=(sendrecv|sendonly)\r?$", "a=inactive\r", parts[3], flags=re.M)
                return "".join(parts)
            d, ans = await reoffer(c, sp, hp, pc, munge=inactive_third)
            assert [st["mid"] for st in d["streams"]] == ["0", "1"], d
            ev = await room_event(c, wh, "publishers", timeout=10)
            pub = data_of(ev)["publishers"][0]
            assert [st["mid"] for st in pub["streams"]] == ["0", "1"], pub
            ev = await room_event(c, sh2, "streams", timeout=10)
            d2 = data_of(ev)
            assert d2["videoroom"] == "updated" and d2["streams"][0]["active"] is False, d2
            assert ev["jsep"]["sdp"].count("a=inactive") == 1, ev["jsep"]["sdp"]
            await call(c, ss2, sh2, {"request": "start"}, jsep=await rx2.answer(ev["jsep"]["sdp"]))
            await more_frames(rx1, "0", 10, "the first video after the removal", 0, 400)
        finally:
            await pc.close()
            for rx in (rx1, rx2):
                if rx:
                    await rx.close()


@sy.timeout(90)
async def test_renegotiate_keeps_data_relay():
    """A publisher with a data channel renegotiates (same m-lines): its subscriber's data
    link moves to the new forwarding state, messages sent after it still arrive."""
    from test_videoroom_data import DataReceiver, warm_up
    async with SERVER.ws() as c:
        s0, h0 = await c.session_handle(plugin=VR)
        await sync(c, s0, h0, {"request": "create", "room": ROOM + 1})
        sp, hp = await c.session_handle(plugin=VR)
        ev = await call(c, sp, hp, {"request": "join", "ptype": "publisher", "room": ROOM + 1})
        pid = data_of(ev)["id"]
        pc = RTCPeerConnection()
        pc.addTrack(OffsetCounter(0))
        ch = pc.createDataChannel("chat")
        rx = None
        try:
            d, _ = await reoffer(c, sp, hp, pc, {"request": "publish"})
            assert [st["type"] for st in d["streams"]] == ["video", "data"], d
            await c.event("webrtcup", timeout=10, sender=hp)
            await wait_for(lambda: ch.readyState == "open", 10, "the publisher's data channel")
            ss, sh = await c.session_handle(plugin=VR)
            ev = await call(c, ss, sh, {"request": "join", "ptype": "subscriber", "room": ROOM + 1,
                                        "streams": [{"feed": pid}]})
            rx = DataReceiver()
            await rx.answer(c, ss, sh, ev["jsep"])
            await warm_up(ch, rx)
            d, _ = await reoffer(c, sp, hp, pc)
            assert [st["type"] for st in d["streams"]] == ["video", "data"], d
            for i in range(5):
                ch.send(f"after-{i}")
            await wait_for(lambda: all(f"after-{i}" in rx.msgs for i in range(5)), 10,
                           f"the messages sent after the renegotiation ({rx.msgs[-8:]})")
        finally:
            await pc.close()
            if rx:
                await rx.pc.close()


def ufrag(sdp):
    return re.search(r"^a=ice-ufrag:(\S+)", sdp, re.M).group(1)


@sy.timeout(90)
async def test_subscriber_configure_restart():
    """A subscriber's configure with "restart": true gets `configured` and a new offer with
    new ICE credentials (the core restarts ICE); a wrong-typed restart is 430."""
    async with SERVER.ws() as c:
        s0, h0 = await c.session_handle(plugin=VR)
        await sync(c, s0, h0, {"request": "create", "room": ROOM + 1})
        sp, hp, pid, pc = await join_and_publish(c, ROOM + 1, "P", video_start=0)
        rx = None
        try:
            s, h = await c.session_handle(plugin=VR)
            ev = await call(c, s, h, {"request": "join", "ptype": "subscriber", "room": ROOM + 1,
                                      "streams": [{"feed": pid}]})
            first = ev["jsep"]["sdp"]
            rx = MultiReceiver()
            ev = await call(c, s, h, {"request": "start"}, jsep=await rx.answer(first))
            await more_frames(rx, "1", 10, "video before the restart", 0, 400)
            ev = await call(c, s, h, {"request": "configure", "restart": "yes"})
            check_err(data_of(ev), 430)
            ev = await call(c, s, h, {"request": "configure", "restart": True})
            assert data_of(ev).get("configured") == "ok", ev
            assert ev.get("jsep", {}).get("type") == "offer", ev
            second = ev["jsep"]["sdp"]
            assert "restart" not in ev["jsep"], ev["jsep"]
            assert ufrag(second) != ufrag(first), (ufrag(first), ufrag(second))
        finally:
            await pc.close()
            if rx:
                await rx.close()


if __name__ == "__main__":
    sy.run(globals())
