#!/usr/bin/env python3
"""VideoRoom data channels (as Janus): a publisher's data channel messages are relayed
to the subscribers of its feed that have the data m-line.

An aiortc publisher with audio + counter video + a data channel ("chat") publishes: the
answer accepts m=application and the configured event lists a {type:"data"} stream.
Subscriber 1 subscribes to the whole feed: "attached" lists audio, video and a data
stream (sources/source_ids), the offer has one m=application (webrtc-datachannel); it
answers, and the server opens the channel (DCEP, with the publisher's label) on the
first relayed message. Text and binary messages the publisher sends arrive in order.
Subscriber 2 subscribes to the audio mid only: no data m-line, no channel, no message.
Then subscriber 2 adds the data mid with "subscribe" (an updated offer with
m=application, answered; the association starts on that renegotiation and messages
arrive); subscriber 1 unsubscribes the feed's data mid and stops receiving,
then subscribes it again (no renegotiation: its data m-line stays) and receives.
"""

import asyncio

import sy

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from aiortc.rtcsctptransport import RTCSctpCapabilities, RTCSctpTransport

from test_videoroom_aiortc import (SERVER, VR, CounterTrack, call, data_of,  # noqa: F401
                                   wait_for)

# As test_datachannel_aiortc: aiortc reassembles any size; announce a larger limit.
RTCSctpTransport.getCapabilities = classmethod(lambda cls: RTCSctpCapabilities(maxMessageSize=2 << 20))

ROOM = 1234


class DataReceiver:
    """An aiortc subscriber that collects what arrives on server-opened data channels."""

    def __init__(self):
        self.pc = RTCPeerConnection()
        self.channels = []
        self.msgs = []

        @self.pc.on("datachannel")
        def on_datachannel(ch):
            self.channels.append(ch)

            @ch.on("message")
            def on_message(m):
                self.msgs.append(m)

        @self.pc.on("track")
        def on_track(track):
            async def drain():
                try:
                    while True:
                        await track.recv()
                except Exception:  # noqa: BLE001 - ends with the call
                    pass
            asyncio.ensure_future(drain())

    async def answer(self, c, s, h, offer, request="start"):
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return await call(c, s, h, {"request": request},
                          jsep={"type": "answer", "sdp": self.pc.localDescription.sdp})


async def publish_with_data(c):
    s, h = await c.session_handle(plugin=VR)
    ev = await call(c, s, h, {"request": "join", "ptype": "publisher", "room": ROOM,
                              "display": "talker"})
    pid = data_of(ev)["id"]
    pc = RTCPeerConnection()
    pc.addTrack(AudioStreamTrack())
    pc.addTrack(CounterTrack())
    ch = pc.createDataChannel("chat")
    await pc.setLocalDescription(await pc.createOffer())
    ev = await call(c, s, h, {"request": "publish"},
                    jsep={"type": "offer", "sdp": pc.localDescription.sdp})
    d = data_of(ev)
    assert d["configured"] == "ok", d
    types = [st["type"] for st in d["streams"]]
    assert sorted(types) == ["audio", "data", "video"], d
    assert [st["mindex"] for st in d["streams"]] == sorted(st["mindex"] for st in d["streams"]), d
    data_st = [st for st in d["streams"] if st["type"] == "data"][0]
    assert isinstance(data_st["mid"], str) and isinstance(data_st["mindex"], int), data_st
    sdp = ev["jsep"]["sdp"]
    app = [ln for ln in sdp.splitlines() if ln.startswith("m=application")]
    assert len(app) == 1 and not app[0].startswith("m=application 0 "), sdp
    await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
    await c.event("webrtcup", timeout=10, sender=h)
    await wait_for(lambda: ch.readyState == "open", 10, "the publisher's data channel")
    return s, h, pid, pc, ch, data_st["mid"], {st["type"]: st["mid"] for st in d["streams"]}


async def warm_up(ch, rx, timeout=10.0):
    """Sends "warmup" until rx has its channel and got one (its association is up)."""
    t = 0.0
    while not (rx.channels and "warmup" in rx.msgs):
        assert t < timeout, "no relayed message reached the subscriber"
        ch.send("warmup")
        await asyncio.sleep(0.1)
        t += 0.1
    await asyncio.sleep(0.3)  # the last warmups land before the real sequence


def after_warmup(msgs):
    i = len(msgs)
    while i > 0 and msgs[i - 1] != "warmup":
        i -= 1
    return msgs[i:]


@sy.timeout(90)
async def test_data_relay():
    async with SERVER.ws() as c:
        pc = rx1 = rx2 = None
        try:
            s, h, pid, pc, ch, dmid, mids = await publish_with_data(c)

            # Subscriber 1: the whole feed, data included.
            s1, h1 = await c.session_handle(plugin=VR)
            ev = await call(c, s1, h1, {"request": "join", "ptype": "subscriber", "room": ROOM,
                                        "streams": [{"feed": pid}]})
            d = data_of(ev)
            assert d["videoroom"] == "attached", d
            assert [st["type"] for st in d["streams"]] == ["audio", "video", "data"], d
            dst = d["streams"][2]
            assert dst["mindex"] == 2 and dst["mid"] == "2" and dst["active"] is True, dst
            assert dst["sources"] == 1 and dst["source_ids"] == [pid], dst
            offer = ev["jsep"]
            assert offer["sdp"].count("m=application") == 1, offer["sdp"]
            assert "webrtc-datachannel" in offer["sdp"], offer["sdp"]
            rx1 = DataReceiver()
            ev = await rx1.answer(c, s1, h1, offer)
            assert data_of(ev) == {"videoroom": "event", "room": ROOM, "started": "ok"}, ev
            await c.event("webrtcup", timeout=10, sender=h1)

            # Subscriber 2: the audio only, no data m-line.
            s2, h2 = await c.session_handle(plugin=VR)
            ev = await call(c, s2, h2, {"request": "join", "ptype": "subscriber", "room": ROOM,
                                        "streams": [{"feed": pid, "mid": mids["audio"]}]})
            d = data_of(ev)
            assert [st["type"] for st in d["streams"]] == ["audio"], d
            assert "m=application" not in ev["jsep"]["sdp"], ev["jsep"]["sdp"]
            rx2 = DataReceiver()
            ev = await rx2.answer(c, s2, h2, ev["jsep"])
            await c.event("webrtcup", timeout=10, sender=h2)

            await warm_up(ch, rx1)
            assert [x.label for x in rx1.channels] == ["chat"], rx1.channels
            sent = []
            for i in range(60):
                if i % 3 == 2:
                    m = bytes([i]) * (i + 1) + b"\x00\xff"
                else:
                    m = f"message {i} " + "x" * i
                ch.send(m)
                sent.append(m)
            big = bytes(range(256)) * 100  # 25.6 KB
            ch.send(big)
            sent.append(big)
            await wait_for(lambda: len(after_warmup(rx1.msgs)) >= len(sent), 15,
                           "the relayed messages")
            got = after_warmup(rx1.msgs)
            assert got == sent, (len(got), len(sent))
            assert any(isinstance(m, bytes) for m in got) and any(isinstance(m, str) for m in got)
            print(f"  subscriber 1 got {len(got)} messages in order (text and binary)")
            await asyncio.sleep(0.5)
            assert rx2.channels == [] and rx2.msgs == [], (rx2.channels, rx2.msgs)

            # Subscriber 2 adds the data mid: an updated offer with m=application.
            ev = await call(c, s2, h2, {"request": "subscribe",
                                        "streams": [{"feed": pid, "mid": dmid}]})
            d = data_of(ev)
            assert d["videoroom"] == "updated", d
            assert [st["type"] for st in d["streams"]] == ["audio", "data"], d
            assert d["streams"][1]["source_ids"] == [pid], d
            assert ev["jsep"]["sdp"].count("m=application") == 1, ev["jsep"]["sdp"]
            ev = await rx2.answer(c, s2, h2, ev["jsep"])
            assert data_of(ev)["started"] == "ok", ev
            # The association starts on the renegotiation (DTLS was already up): relay.
            await warm_up(ch, rx2)
            assert [x.label for x in rx2.channels] == ["chat"], rx2.channels
            ch.send("to both")
            await wait_for(lambda: rx2.msgs[-1:] == ["to both"], 10, "subscriber 2's message")
            print("  subscriber 2 receives after adding the data stream by renegotiation")
            n1 = len(rx1.msgs)
            ch.send("both")
            ch.send(b"\x01\x02")
            await wait_for(lambda: rx1.msgs[-2:] == ["both", b"\x01\x02"], 10,
                           "subscriber 1's messages")
            assert len(rx1.msgs) == n1 + 2

            # Subscriber 1 unsubscribes the feed's data: no offer needed, no more messages.
            ev = await call(c, s1, h1, {"request": "unsubscribe",
                                        "streams": [{"feed": pid, "mid": dmid}]})
            d = data_of(ev)
            assert d["videoroom"] == "updated", d
            await asyncio.sleep(0.3)
            n1 = len(rx1.msgs)
            for i in range(5):
                ch.send(f"not for 1 ({i})")
            await asyncio.sleep(1.0)
            assert len(rx1.msgs) == n1, rx1.msgs[n1:]
            # Subscribing the data again relays again (the association is still up).
            ev = await call(c, s1, h1, {"request": "subscribe",
                                        "streams": [{"feed": pid, "mid": dmid}]})
            d = data_of(ev)
            assert d["videoroom"] == "updated" and "jsep" not in ev, ev
            await asyncio.sleep(0.3)
            ch.send("again")
            await wait_for(lambda: rx1.msgs[-1:] == ["again"], 10, "subscriber 1's message")

            # The publisher leaves: the data stream loses its source.
            ev = await call(c, s, h, {"request": "unpublish"})
            assert data_of(ev)["unpublished"] == "ok", ev
        finally:
            for x in (pc, rx1 and rx1.pc, rx2 and rx2.pc):
                if x:
                    await x.close()


if __name__ == "__main__":
    sy.run(globals())
