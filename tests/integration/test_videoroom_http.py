#!/usr/bin/env python3
"""VideoRoom over the HTTP/REST transport: synchronous requests in the POST reply,
asynchronous ones as "ack" then an event fetched with a long poll (the same
transaction), both reply conventions of janus-api.md 2.1.

test_every_request_over_http: every VideoRoom request over HTTP with real aiortc peers
(JSEP offers and answers in the POSTs, events by long poll): the synchronous room
requests, the publisher flow (join, publish, configure, joinandconfigure, unpublish,
leave) and the subscriber flow in the 1.x shape (join with streams, start, configure,
pause, subscribe, update, switch, unsubscribe, leave) and in the legacy 0.x shape
(join with feed, configure with audio/video, switch with feed).
"""

import asyncio
import time

import sy
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack

from aiortc_peer import CounterTrack
from test_videoroom_more import MultiReceiver

VR = "janus.plugin.videoroom"
SRV = sy.Server("videoroom_http")


async def session_handle():
    r = await SRV.post("", {"janus": "create"})
    s = r["data"]["id"]
    r = await SRV.post(f"/{s}", {"janus": "attach", "plugin": VR})
    return s, r["data"]["id"]


async def sync(s, h, body):
    r = await SRV.post(f"/{s}/{h}", {"janus": "message", "body": body})
    assert r.get("janus") == "success" and r["sender"] == h, r
    assert r["plugindata"]["plugin"] == VR, r
    return r["plugindata"]["data"]


async def async_event(s, h, body, tr):
    r = await SRV.post(f"/{s}/{h}", {"janus": "message", "body": body, "transaction": tr})
    assert r.get("janus") == "ack" and r["session_id"] == s, r
    for _ in range(5):
        ev = (await SRV.longpoll(s, "maxev=1")).json()
        if ev.get("janus") == "event" and ev.get("transaction") == tr:
            assert ev["sender"] == h and ev["plugindata"]["plugin"] == VR, ev
            return ev["plugindata"]["data"]
    raise AssertionError(f"no event with transaction {tr}")


async def test_sync_requests_over_http():
    s, h = await session_handle()
    d = await sync(s, h, {"request": "exists", "room": 1234})
    assert d == {"videoroom": "success", "room": 1234, "exists": True}, d
    d = await sync(s, h, {"request": "create", "room": 4242, "description": "REST",
                          "secret": "rs"})
    assert d == {"videoroom": "created", "room": 4242, "permanent": False}, d
    d = await sync(s, h, {"request": "list"})
    assert any(r["room"] == 4242 and r["description"] == "REST" for r in d["list"]), d
    d = await sync(s, h, {"request": "create", "room": 4242})
    assert d["error_code"] == 427 and d["videoroom"] == "event", d
    d = await sync(s, h, {"request": "destroy", "room": 4242, "secret": "nope"})
    assert d["error_code"] == 433, d
    d = await sync(s, h, {"request": "destroy", "room": 4242, "secret": "rs"})
    assert d == {"videoroom": "destroyed", "room": 4242}, d
    d = await sync(s, h, {"request": "nonsense"})
    assert d["error_code"] == 423, d


async def test_async_requests_over_http():
    s, h = await session_handle()
    d = await async_event(s, h, {"request": "join", "ptype": "publisher", "room": 1234,
                                 "display": "rest"}, "j1")
    assert d["videoroom"] == "joined" and d["room"] == 1234, d
    sy.check_id(d["id"])
    d = await async_event(s, h, {"request": "join", "ptype": "publisher", "room": 1234}, "j2")
    assert d["error_code"] == 425, d  # already joined, as an event on the same transaction
    s2, h2 = await session_handle()
    d = await sync(s2, h2, {"request": "listparticipants", "room": 1234})
    assert d["videoroom"] == "participants", d
    d = await async_event(s, h, {"request": "leave"}, "l1")
    assert d == {"videoroom": "event", "room": 1234, "leaving": "ok"}, d
    d = await async_event(s2, h2, {"request": "join", "ptype": "subscriber", "room": 999999,
                                   "streams": [{"feed": 1}]}, "x1")
    assert d["error_code"] == 426, d


class Rest:
    """A session over HTTP: requests by POST, events by a background long poll."""

    def __init__(self):
        self.events = []
        self.n = 0

    async def open(self):
        r = await SRV.post("", {"janus": "create"})
        self.s = r["data"]["id"]
        self.poller = asyncio.ensure_future(self.poll())
        return self

    async def poll(self):
        while True:
            try:
                r = await SRV.longpoll(self.s, "maxev=10", timeout=40)
            except Exception:  # noqa: BLE001 - the session ends with the test
                return
            if r.status != 200:
                return
            body = r.json()
            for m in body if isinstance(body, list) else [body]:
                if m.get("janus") != "keepalive":
                    self.events.append(m)

    async def attach(self):
        r = await SRV.post(f"/{self.s}", {"janus": "attach", "plugin": VR})
        return r["data"]["id"]

    async def sync(self, h, body):
        r = await SRV.post(f"/{self.s}/{h}", {"janus": "message", "body": body})
        assert r.get("janus") == "success" and r["sender"] == h, r
        assert r["plugindata"]["plugin"] == VR, r
        return r["plugindata"]["data"]

    async def wait(self, pred, what, timeout=10):
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            for i, m in enumerate(self.events):
                if pred(m):
                    return self.events.pop(i)
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; events: {self.events}")

    async def call(self, h, body, jsep=None):
        """An asynchronous request: "ack" in the POST reply, the event by long poll with
        the same transaction. Returns (data, jsep)."""
        self.n += 1
        tr = f"t{self.n}"
        msg = {"janus": "message", "body": body, "transaction": tr}
        if jsep:
            msg["jsep"] = jsep
        r = await SRV.post(f"/{self.s}/{h}", msg)
        assert r.get("janus") == "ack" and r["transaction"] == tr, r
        ev = await self.wait(lambda m: m.get("transaction") == tr, f"the event of {body}")
        assert ev["janus"] == "event" and ev["sender"] == h, ev
        assert ev["plugindata"]["plugin"] == VR, ev
        return ev["plugindata"]["data"], ev.get("jsep")

    async def room_event(self, h, key):
        ev = await self.wait(lambda m: m.get("sender") == h and "transaction" not in m and key in
                             m.get("plugindata", {}).get("data", {}), f"an event with {key}")
        return ev["plugindata"]["data"]

    async def close(self):
        await SRV.post(f"/{self.s}", {"janus": "destroy"})
        self.poller.cancel()


def ok(data, **fields):
    assert "error_code" not in data, data
    for k, v in fields.items():
        assert data.get(k) == v, (k, data)
    return data


def err(data, code):
    assert data.get("videoroom") == "event" and data.get("error_code") == code, data
    assert isinstance(data.get("error"), str) and data["error"], data


async def publisher(rest, room, display, start=0):
    """join + publish (audio + counter video). Returns (handle, id, pc)."""
    h = await rest.attach()
    d, _ = await rest.call(h, {"request": "join", "ptype": "publisher", "room": room,
                               "display": display})
    ok(d, videoroom="joined", room=room)
    pc = RTCPeerConnection()
    pc.addTrack(AudioStreamTrack())
    track = CounterTrack()
    track.count = start
    pc.addTrack(track)
    await pc.setLocalDescription(await pc.createOffer())
    d, jsep = await rest.call(h, {"request": "publish", "display": display},
                              {"type": "offer", "sdp": pc.localDescription.sdp})
    ok(d, videoroom="event", configured="ok")
    assert jsep["type"] == "answer", jsep
    await pc.setRemoteDescription(RTCSessionDescription(**jsep))
    await rest.wait(lambda m: m.get("janus") == "webrtcup" and m.get("sender") == h, "webrtcup")
    return h, None, pc


async def answer(rest, h, rx, offer):
    d, _ = await rest.call(h, {"request": "start"}, await rx.answer(offer["sdp"]))
    ok(d, started="ok")


def frames_after(rx, mid, n):
    base = len(rx.counts.get(mid, []))
    return lambda: len(rx.counts.get(mid, [])) >= base + n


async def until(pred, what, timeout=20):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@sy.timeout(120)
async def test_every_request_over_http():
    room = 6161
    rest = await (Rest()).open()
    pcs, rxs = [], []
    try:
        h0 = await rest.attach()
        # ---- synchronous requests ----
        ok(await rest.sync(h0, {"request": "create", "room": room, "secret": "hs",
                                "publishers": 4, "description": "http"}),
           videoroom="created", room=room)
        ok(await rest.sync(h0, {"request": "exists", "room": room}), exists=True)
        d = await rest.sync(h0, {"request": "list"})
        assert any(x["room"] == room for x in d["list"]), d
        ok(await rest.sync(h0, {"request": "edit", "room": room, "secret": "hs",
                                "new_description": "edited over http"}), videoroom="edited")
        ok(await rest.sync(h0, {"request": "listparticipants", "room": room}),
           videoroom="participants", participants=[])
        err(await rest.sync(h0, {"request": "kick", "room": room, "secret": "hs", "id": 1}), 428)
        err(await rest.sync(h0, {"request": "moderate", "room": room, "secret": "no", "id": 1,
                                 "mid": "0", "mute": True}), 433)
        for req in ("enable_recording", "listforwarders", "rtp_forward", "stop_rtp_forward",
                    "add_remote_publisher", "listremotes"):
            err(await rest.sync(h0, {"request": req, "room": room, "secret": "hs"}), 499)
        ok(await rest.sync(h0, {"request": "allowed", "room": room, "secret": "hs",
                                "action": "add", "allowed": ["tok"]}), allowed=["tok"])
        ok(await rest.sync(h0, {"request": "allowed", "room": room, "secret": "hs",
                                "action": "disable"}), videoroom="success")

        # ---- publishers: join + publish, joinandconfigure, configure ----
        ha, _, pca = await publisher(rest, room, "A", 0)
        pcs.append(pca)
        d = await rest.sync(h0, {"request": "listparticipants", "room": room})
        pa = d["participants"][0]["id"]
        hb = await rest.attach()
        pcb = RTCPeerConnection()
        pcs.append(pcb)
        pcb.addTrack(AudioStreamTrack())
        tb = CounterTrack()
        tb.count = 600
        pcb.addTrack(tb)
        await pcb.setLocalDescription(await pcb.createOffer())
        d, jsep = await rest.call(hb, {"request": "joinandconfigure", "ptype": "publisher",
                                       "room": room, "display": "B"},
                                  {"type": "offer", "sdp": pcb.localDescription.sdp})
        ok(d, videoroom="joined", room=room)
        pb = d["id"]
        await pcb.setRemoteDescription(RTCSessionDescription(**jsep))
        d = await rest.room_event(ha, "publishers")
        assert d["publishers"][0]["id"] == pb, d
        d, jsep = await rest.call(ha, {"request": "configure", "bitrate": 256000, "keyframe": True,
                                       "display": "A2"})
        ok(d, configured="ok")
        assert jsep is None
        d = await rest.room_event(hb, "display")
        assert d == {"videoroom": "event", "room": room, "id": pa, "display": "A2"}, d
        # moderate, now that there is a stream
        ok(await rest.sync(h0, {"request": "moderate", "room": room, "secret": "hs", "id": pa,
                                "mid": "0", "mute": True}), videoroom="success")
        ok(await rest.sync(h0, {"request": "moderate", "room": room, "secret": "hs", "id": pa,
                                "mid": "0", "mute": False}), videoroom="success")

        # ---- a 1.x subscriber ----
        hs = await rest.attach()
        d, offer = await rest.call(hs, {"request": "join", "ptype": "subscriber", "room": room,
                                        "streams": [{"feed": pa}]})
        ok(d, videoroom="attached", room=room)
        assert [st["mid"] for st in d["streams"]] == ["0", "1"], d
        rx = MultiReceiver()
        rxs.append(rx)
        await answer(rest, hs, rx, offer)
        await until(frames_after(rx, "1", 10), "A's video at the subscriber")
        assert all(n < 600 for n in rx.counts["1"]), rx.counts
        d, _ = await rest.call(hs, {"request": "configure", "streams": [{"mid": "1", "send": True,
                                                                         "substream": 0}]})
        ok(d, configured="ok")
        ok((await rest.call(hs, {"request": "pause"}))[0], paused="ok")
        ok((await rest.call(hs, {"request": "start"}))[0], started="ok")
        await until(frames_after(rx, "1", 10), "video after pause/start")
        d, offer = await rest.call(hs, {"request": "subscribe", "streams": [{"feed": pb, "mid": "1"}]})
        ok(d, videoroom="updated")
        assert [st["mid"] for st in d["streams"]] == ["0", "1", "2"], d
        await answer(rest, hs, rx, offer)
        await until(frames_after(rx, "2", 10), "B's video on the new m-line")
        assert all(n >= 600 for n in rx.counts["2"]), rx.counts["2"]
        d, offer = await rest.call(hs, {"request": "update", "unsubscribe": [{"sub_mid": "2"}]})
        ok(d, videoroom="updated")
        assert offer["type"] == "offer" and "a=inactive" in offer["sdp"], offer
        await answer(rest, hs, rx, offer)
        d, jsep = await rest.call(hs, {"request": "switch", "streams": [
            {"feed": pb, "mid": "1", "sub_mid": "1"}]})
        ok(d, switched="ok", changes=1)
        assert jsep is None
        base = len(rx.counts["1"])
        await until(lambda: sum(1 for n in rx.counts["1"][base:] if n >= 600) >= 10,
                    "B's video after the switch")
        d, offer = await rest.call(hs, {"request": "unsubscribe", "streams": [{"sub_mid": "0"}]})
        ok(d, videoroom="updated")
        await answer(rest, hs, rx, offer)

        # ---- a legacy 0.x subscriber ----
        hl = await rest.attach()
        d, offer = await rest.call(hl, {"request": "join", "ptype": "subscriber", "room": room,
                                        "feed": pb})
        ok(d, videoroom="attached", id=pb, warning="deprecated_api")
        lrx = MultiReceiver()
        rxs.append(lrx)
        await answer(rest, hl, lrx, offer)
        await until(frames_after(lrx, "1", 10), "B's video at the legacy subscriber")
        ok((await rest.call(hl, {"request": "configure", "audio": False, "video": True}))[0],
           configured="ok")
        d, _ = await rest.call(hl, {"request": "switch", "feed": pa})
        ok(d, switched="ok", changes=2, id=pa)
        base = len(lrx.counts["1"])
        await until(lambda: sum(1 for n in lrx.counts["1"][base:] if n < 600) >= 10,
                    "A's video after the legacy switch")
        err((await rest.call(hl, {"request": "switch", "feed": 12345}))[0], 428)
        err((await rest.call(hl, {"request": "publish"}))[0], 423)

        # ---- leaving ----
        ok((await rest.call(hs, {"request": "leave"}))[0], left="ok")
        ok((await rest.call(ha, {"request": "unpublish"}))[0], unpublished="ok")
        d = await rest.room_event(hb, "unpublished")
        assert d["unpublished"] == pa, d
        err((await rest.call(ha, {"request": "unpublish"}))[0], 435)
        ok((await rest.call(ha, {"request": "leave"}))[0], leaving="ok")
        d = await rest.room_event(hb, "leaving")
        assert d["leaving"] == pa, d
        ok((await rest.call(hb, {"request": "leave"}))[0], leaving="ok")
        ok(await rest.sync(h0, {"request": "destroy", "room": room, "secret": "hs"}),
           videoroom="destroyed")
    finally:
        for pc in pcs:
            await pc.close()
        for rx in rxs:
            await rx.close()
        await rest.close()


if __name__ == "__main__":
    sy.run(globals())
