#!/usr/bin/env python3
"""VideoRoom with three aiortc participants (issue 4's multiparty test).

Each participant publishes audio and a counter-carrying video (its own counter range)
and subscribes to the two others through ONE multistream subscription (one peer
connection, four m-lines); each decodes both videos with increasing counters, each on
the m-line of the right feed. One publisher leaves: the others' participant handles get
`unpublished` and `leaving`, their subscriptions `updated` (autoupdate) with that feed's
m-lines inactive, and the remaining feed keeps flowing. The publisher rejoins (a new
id): the others subscribe to it again on the same peer connection and decode it. A
legacy 0.x subscriber (`feed`, no `streams`) to the rejoined publisher decodes too.

test_lost_packets_recovered: a subscriber that loses one video packet in 15 (dropped
on arrival, once each) NACKs them (aiortc's own NACK generator); the server answers
from the publisher stream's shared history, rewritten for that subscriber, as RTX: the
subscriber decodes every frame in order (no counter skipped), and a second subscriber
with no loss gets no retransmissions.
"""

import re

import sy

from test_videoroom_aiortc import call, data_of, wait_for
from test_videoroom_more import MultiReceiver, join_and_publish, room_event

VR = "janus.plugin.videoroom"
SERVER = sy.Server("videoroom_multi")
ROOM = 7101
NAMES = ["A", "B", "C"]
START = {"A": 0, "B": 340, "C": 680}  # counter ranges (10 bits: mod 1024)
SPAN = 300  # frames a feed may have sent before the first one is seen


def in_range(n, name):
    return (n - START[name]) % 1024 < SPAN


def increasing(counts):
    return sum(1 for a, b in zip(counts, counts[1:]) if b > a) >= 0.8 * (len(counts) - 1)


def video_mids(d):
    """{feed_id: mid} of the active video m-lines of a subscription."""
    return {st["feed_id"]: st["mid"] for st in d["streams"]
            if st["type"] == "video" and st.get("active", True) and st.get("feed_id")}


def other_of(p, parties):
    """The other one of A and B."""
    return parties[1] if p is parties[0] else parties[0]


class Party:
    def __init__(self, name):
        self.name = name
        self.pc = None
        self.rx = None

    async def publish(self, c, start=None):
        self.s, self.h, self.id, self.pc = await join_and_publish(
            c, ROOM, self.name, video_start=START[self.name] if start is None else start)

    async def subscribe(self, c, feeds):
        """One subscription to every stream of each feed."""
        self.ss, self.sh = await c.session_handle(plugin=VR)
        ev = await call(c, self.ss, self.sh, {"request": "join", "ptype": "subscriber",
                                              "room": ROOM,
                                              "streams": [{"feed": f} for f in feeds]})
        d = data_of(ev)
        assert d["videoroom"] == "attached" and d["room"] == ROOM, d
        assert len(d["streams"]) == 2 * len(feeds), d
        assert ev["jsep"]["sdp"].count("m=video") == len(feeds), ev["jsep"]["sdp"]
        self.mids = video_mids(d)
        assert sorted(self.mids) == sorted(feeds), d
        self.rx = MultiReceiver()
        ev = await call(c, self.ss, self.sh, {"request": "start"},
                        jsep=await self.rx.answer(ev["jsep"]["sdp"]))
        assert data_of(ev)["started"] == "ok", ev
        await c.event("webrtcup", timeout=10, sender=self.sh)

    def counts(self, feed):
        return self.rx.counts.get(self.mids[feed], [])

    async def close(self):
        if self.pc:
            await self.pc.close()
        if self.rx:
            await self.rx.close()


async def decodes(party, feed, name, after=0, n=15, timeout=20):
    """Waits until the m-line of feed has n more readable frames than `after`, then
    checks they increase and come from that feed's counter range."""
    await wait_for(lambda: len(party.counts(feed)) >= after + n, timeout,
                   f"{party.name}: {name}'s video ({len(party.counts(feed))} frames, "
                   f"{party.rx.frames})")
    got = party.counts(feed)[after:]
    assert increasing(got), (party.name, name, got[:40])
    assert in_range(got[0], name), (party.name, name, got[:5])
    return len(party.counts(feed))


@sy.timeout(120)
async def test_three_parties_leave_and_rejoin():
    parties = [Party(n) for n in NAMES]
    legacy = None
    async with SERVER.ws() as c:
        s0, h0 = await c.session_handle(plugin=VR)
        d = data_of(await c.message(s0, h0, {"request": "create", "room": ROOM,
                                              "publishers": 6}))
        assert d["videoroom"] == "created", d
        try:
            for p in parties:
                await p.publish(c)
            a, b, cc = parties
            # The earlier participants heard of the later ones.
            ev = await room_event(c, a.h, "publishers", timeout=10)
            assert data_of(ev)["publishers"][0]["id"] in (b.id, cc.id), ev
            for p in parties:
                await p.subscribe(c, [o.id for o in parties if o is not p])
            for p in parties:
                for o in parties:
                    if o is not p:
                        await decodes(p, o.id, o.name)
            print("  three participants decode each other")

            # C leaves: A and B hear it on their participant handles, their
            # subscriptions are updated by themselves, B's video goes on.
            ev = await call(c, cc.s, cc.h, {"request": "leave"})
            assert data_of(ev) == {"videoroom": "event", "room": ROOM, "leaving": "ok"}, ev
            await cc.pc.close()
            cc.pc = None
            for p, other in ((a, b), (b, a)):
                ev = await room_event(c, p.h, "unpublished")
                assert data_of(ev) == {"videoroom": "event", "room": ROOM,
                                       "unpublished": cc.id, "display": "C"}, ev
                ev = await room_event(c, p.h, "leaving")
                d = data_of(ev)
                assert d["leaving"] == cc.id and d["room"] == ROOM, d
                ev = await room_event(c, p.sh, "streams", timeout=10)
                d = data_of(ev)
                assert d["videoroom"] == "updated" and d["room"] == ROOM, d
                gone = [st for st in d["streams"] if st["mid"] in (p.mids[cc.id],)]
                assert gone and all(st["active"] is False for st in gone), d
                assert video_mids(d) == {other.id: p.mids[other.id]}, d
                assert ev["jsep"]["type"] == "offer", ev
                assert ev["jsep"]["sdp"].count("a=inactive") == 2, ev["jsep"]["sdp"]
                ev = await call(c, p.ss, p.sh, {"request": "start"},
                                jsep=await p.rx.answer(ev["jsep"]["sdp"]))
                assert data_of(ev)["started"] == "ok", ev
                before = len(p.counts(other.id))
                await decodes(p, other.id, other.name, after=before, n=10)
            d = data_of(await c.message(s0, h0, {"request": "listparticipants", "room": ROOM}))
            assert sorted(x["id"] for x in d["participants"]) == sorted([a.id, b.id]), d

            # C comes back (a new id) and is subscribed to again on the same PCs.
            await cc.publish(c)
            for p in (a, b):
                ev = await c.wait(lambda m: m.get("sender") == p.h and "transaction" not in m
                                  and any(x["id"] == cc.id for x in m.get("plugindata", {}).get(
                                      "data", {}).get("publishers", [])), 10, "C's publishers event")
                ev = await call(c, p.ss, p.sh, {"request": "subscribe",
                                                "streams": [{"feed": cc.id}]})
                d = data_of(ev)
                assert d["videoroom"] == "updated", d
                mids = video_mids(d)
                assert cc.id in mids and other_of(p, parties).id in mids, d
                p.mids = mids
                ev = await call(c, p.ss, p.sh, {"request": "start"},
                                jsep=await p.rx.answer(ev["jsep"]["sdp"]))
                assert data_of(ev)["started"] == "ok", ev
                await decodes(p, cc.id, "C")
                other = other_of(p, parties)
                await decodes(p, other.id, other.name, after=len(p.counts(other.id)), n=10)
            print("  C rejoined and is decoded again")

            # A legacy subscriber (0.x: feed, no streams) to the rejoined C.
            ls, lh = await c.session_handle(plugin=VR)
            ev = await call(c, ls, lh, {"request": "join", "ptype": "subscriber", "room": ROOM,
                                        "feed": cc.id})
            d = data_of(ev)
            assert d["videoroom"] == "attached" and d["id"] == cc.id, d
            assert d["warning"] == "deprecated_api", d
            legacy = Party("legacy")
            legacy.rx = MultiReceiver()
            legacy.mids = video_mids(d)
            ev = await call(c, ls, lh, {"request": "start"},
                            jsep=await legacy.rx.answer(ev["jsep"]["sdp"]))
            assert data_of(ev)["started"] == "ok", ev
            await decodes(legacy, cc.id, "C")
        finally:
            for p in parties + ([legacy] if legacy else []):
                await p.close()


@sy.timeout(90)
async def test_lost_packets_recovered():
    from aiortc.rtcrtpreceiver import RTCRtpReceiver

    orig = RTCRtpReceiver._handle_rtp_packet
    lossy = set()  # id() of the receivers that lose packets
    dropped, rtx = [], []

    async def spy(self, packet, arrival_time_ms):
        if id(self) in lossy:
            if packet.payload_type == self._vr_rtx_pt:
                rtx.append(packet.sequence_number)
            elif packet.payload_type == self._vr_pt:
                seq = packet.sequence_number
                if seq % 15 == 7 and seq not in self._vr_dropped:
                    self._vr_dropped.add(seq)
                    dropped.append(seq)
                    return
        await orig(self, packet, arrival_time_ms)

    RTCRtpReceiver._handle_rtp_packet = spy
    parties = []
    async with SERVER.ws() as c:
        s0, h0 = await c.session_handle(plugin=VR)
        room = data_of(await c.message(s0, h0, {"request": "create", "room": 7102}))["room"]
        try:
            pub = Party("A")
            parties.append(pub)
            s, h, pid, pub.pc = await join_and_publish(c, room, "A", video_start=0)
            subs = []
            for lose in (True, False):
                p = Party("lossy" if lose else "clean")
                parties.append(p)
                p.ss, p.sh = await c.session_handle(plugin=VR)
                ev = await call(c, p.ss, p.sh, {"request": "join", "ptype": "subscriber",
                                                "room": room, "streams": [{"feed": pid}]})
                p.mids = video_mids(data_of(ev))
                p.rx = MultiReceiver()
                sdp = ev["jsep"]["sdp"]
                ans = await p.rx.answer(sdp)
                if lose:
                    t = next(t for t in p.rx.pc.getTransceivers() if t.kind == "video")
                    video = sdp.split("m=video", 1)[1]
                    t.receiver._vr_pt = int(re.search(r"a=rtpmap:(\d+) VP8/", video).group(1))
                    t.receiver._vr_rtx_pt = int(re.search(r"a=rtpmap:(\d+) rtx/", video).group(1))
                    t.receiver._vr_dropped = set()
                    lossy.add(id(t.receiver))
                await call(c, p.ss, p.sh, {"request": "start"}, jsep=ans)
                subs.append(p)
            lossy_sub, clean = subs
            await wait_for(lambda: len(lossy_sub.counts(pid)) >= 90 and len(dropped) >= 20, 30,
                           f"frames through the loss ({len(lossy_sub.counts(pid))} frames, "
                           f"{len(dropped)} dropped)")
            counts = lossy_sub.counts(pid)
            # Every frame, in order: a lost packet that was not recovered would cost at
            # least one frame (VP8 frames here are one or a few packets).
            steps = [b - a for a, b in zip(counts, counts[1:])]
            skipped = sum(1 for d in steps if d != 1)
            info = await SERVER.admin({"janus": "handle_info", "session_id": lossy_sub.ss,
                                       "handle_id": lossy_sub.sh})
            resent = info["info"]["webrtc"]["retransmitted"]
            info = await SERVER.admin({"janus": "handle_info", "session_id": clean.ss,
                                       "handle_id": clean.sh})
            clean_resent = info["info"]["webrtc"]["retransmitted"]
            print(f"  {len(dropped)} packets dropped, {len(rtx)} RTX received, server resent "
                  f"{resent}; {len(counts)} frames, {skipped} steps != 1; clean subscriber: "
                  f"{clean_resent} resent")
            assert resent >= len(dropped) * 0.8 and len(rtx) >= len(dropped) * 0.8, (resent, dropped)
            assert skipped <= 2, counts
            assert clean_resent == 0, clean_resent
        finally:
            RTCRtpReceiver._handle_rtp_packet = orig
            for p in parties:
                await p.close()


if __name__ == "__main__":
    sy.run(globals())
