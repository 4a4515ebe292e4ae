#!/usr/bin/env python3
"""string_ids = true (Janus): VideoRoom and TextRoom with string room and participant IDs.

The server's VideoRoom and TextRoom configs set string_ids in their general section and
name their rooms room-<string>. Covered:
1. VideoRoom synchronous API: exists/create (given and generated IDs)/list/edit/
   listparticipants/destroy answer with string rooms; integers are refused with 430 and
   unknown strings give 426/427 as numbers would; permanent rooms are written back as
   room-<string> groups, and a server started with that file has them.
2. Publishers: given and generated string IDs (a UUID), 436 for a taken one, 430 for an
   integer; "joined"/"joining"/"attendees"/listparticipants/"kicked"/"leaving" carry
   strings; private_id stays an integer.
3. Media: a real aiortc publisher and a multistream subscriber (streams[].feed "alice")
   exchange video and audio; feed_id is the string; the legacy {feed} subscriber gets
   "id"; unpublished/leaving carry the string; 428 for an unknown feed, 430 for an
   integer feed.
4. TextRoom over data channels: join/message/announcement/leave with a string room,
   management over the Janus API, 414 for an integer room, 417 for an unknown string.
"""

import asyncio
import json
import os
import re
import time

import sy

import aiortc_peer  # noqa: F401 - the loopback patches
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from aiortc_peer import CounterTrack, read_counter
from test_videoroom_aiortc import call, check_err, data_of, sync

VR = "janus.plugin.videoroom"
TR = "janus.plugin.textroom"
VR_FILE = "switchyard.plugin.videoroom.jcfg"
TR_FILE = "switchyard.plugin.textroom.jcfg"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

VR_CONF = """general: {
    string_ids = true
}
room-lobby: {
    description = "Lobby"
    secret = "adminpwd"
    publishers = 6
    notify_joining = true
}
room-1234: {
    description = "A string that looks like a number"
}
"""
TR_CONF = """general: {
    string_ids = true
}
room-chat: {
    description = "Chat"
    history = 5
}
"""
SERVER = sy.Server("string_ids", raw={VR_FILE: VR_CONF, TR_FILE: TR_CONF})
ROOM = "lobby"


async def room_event(c, h, pred, what):
    """The next room event on h (no transaction) that satisfies pred."""
    ev = await c.wait(lambda m: m.get("janus") == "event" and m.get("sender") == h
                      and "transaction" not in m and pred(m["plugindata"]["data"]),
                      timeout=10, what=what)
    return data_of(ev)


# ---- 1. VideoRoom synchronous API ------------------------------------------------------

@sy.timeout(40)
async def test_videoroom_sync_api():
    async with SERVER.ws() as c:
        s, h = await c.session_handle(plugin=VR)
        d = await sync(c, s, h, {"request": "exists", "room": ROOM})
        assert d == {"videoroom": "success", "room": ROOM, "exists": True}, d
        d = await sync(c, s, h, {"request": "exists", "room": "1234"})
        assert d == {"videoroom": "success", "room": "1234", "exists": True}, d
        d = await sync(c, s, h, {"request": "exists", "room": "nope"})
        assert d == {"videoroom": "success", "room": "nope", "exists": False}, d
        # Integers are the wrong type now, wherever a room is named.
        for req in ({"request": "exists", "room": 1234}, {"request": "create", "room": 77},
                    {"request": "listparticipants", "room": 1234},
                    {"request": "destroy", "room": 1234, "secret": "adminpwd"},
                    {"request": "exists", "room": ""}):
            d = await sync(c, s, h, req)
            check_err(d, 430)
        check_err(await sync(c, s, h, {"request": "listparticipants", "room": "nope"}), 426)
        check_err(await sync(c, s, h, {"request": "exists"}), 429)

        d = await sync(c, s, h, {"request": "create", "room": "r-one", "secret": "s3",
                                 "publishers": 2})
        assert d == {"videoroom": "created", "room": "r-one", "permanent": False}, d
        check_err(await sync(c, s, h, {"request": "create", "room": "r-one"}), 427)
        check_err(await sync(c, s, h, {"request": "create", "room": ROOM}), 427)
        d = await sync(c, s, h, {"request": "create"})
        assert d["videoroom"] == "created" and UUID.match(d["room"]), d
        generated = d["room"]
        d = await sync(c, s, h, {"request": "list"})
        rooms = {r["room"]: r for r in d["list"]}
        assert {ROOM, "1234", "r-one", generated} <= set(rooms), rooms.keys()
        assert rooms[ROOM]["description"] == "Lobby", rooms[ROOM]
        assert rooms["r-one"]["max_publishers"] == 2 and rooms["r-one"]["description"] == "Room r-one"
        d = await sync(c, s, h, {"request": "edit", "room": "r-one", "secret": "s3",
                                 "new_description": "Edited"})
        assert d == {"videoroom": "edited", "room": "r-one"}, d
        d = await sync(c, s, h, {"request": "listparticipants", "room": "r-one"})
        assert d == {"videoroom": "participants", "room": "r-one", "participants": []}, d
        d = await sync(c, s, h, {"request": "allowed", "room": "r-one", "secret": "s3",
                                 "action": "enable"})
        assert d["room"] == "r-one", d
        d = await sync(c, s, h, {"request": "destroy", "room": "r-one", "secret": "s3"})
        assert d == {"videoroom": "destroyed", "room": "r-one"}, d
        check_err(await sync(c, s, h, {"request": "destroy", "room": "r-one", "secret": "s3"}), 426)
        d = await sync(c, s, h, {"request": "destroy", "room": generated})
        assert d == {"videoroom": "destroyed", "room": generated}, d
        # The ID is free again once its room is gone.
        d = await sync(c, s, h, {"request": "create", "room": "r-one"})
        assert d["room"] == "r-one", d
        await sync(c, s, h, {"request": "destroy", "room": "r-one"})


@sy.timeout(60)
async def test_permanent_rooms_written_back():
    async with SERVER.ws() as c:
        s, h = await c.session_handle(plugin=VR)
        d = await sync(c, s, h, {"request": "create", "room": "perm-1", "description": "Kept",
                                 "publishers": 3, "permanent": True})
        assert d == {"videoroom": "created", "room": "perm-1", "permanent": True}, d
        d = await sync(c, s, h, {"request": "create", "room": "perm-gone", "permanent": True})
        assert d["permanent"] is True, d
        d = await sync(c, s, h, {"request": "edit", "room": "perm-1", "new_publishers": 5,
                                 "permanent": True})
        assert d == {"videoroom": "edited", "room": "perm-1"}, d
        d = await sync(c, s, h, {"request": "destroy", "room": "perm-gone", "permanent": True})
        assert d == {"videoroom": "destroyed", "room": "perm-gone"}, d
        # A string libconfig can't name a group with: refused, and no room is left behind.
        d = await sync(c, s, h, {"request": "create", "room": "has space", "permanent": True})
        check_err(d, 499)
        d = await sync(c, s, h, {"request": "exists", "room": "has space"})
        assert d["exists"] is False, d
        d = await sync(c, s, h, {"request": "create", "room": "has space"})
        assert d["room"] == "has space", d  # a non-permanent one is fine
        await sync(c, s, h, {"request": "destroy", "room": "has space"})
    with open(os.path.join(SERVER.conf_dir, VR_FILE)) as f:
        text = f.read()
    assert re.search(r"^room-perm-1\s*[:=]", text, re.M), text
    assert "room-perm-gone" not in text, text
    assert re.search(r"^room-lobby\s*[:=]", text, re.M), text
    # A server started with the written file has the room, with its string ID.
    with sy.Server("string_ids_reload", raw={VR_FILE: text}, ws={"ws_port": 8191},
                   http={"port": 8091}, http_admin={"admin_port": 7091}) as srv:
        async with srv.ws() as c:
            s, h = await c.session_handle(plugin=VR)
            d = await sync(c, s, h, {"request": "list"})
            rooms = {r["room"]: r for r in d["list"]}
            assert "perm-1" in rooms and "perm-gone" not in rooms, rooms.keys()
            assert rooms["perm-1"]["description"] == "Kept", rooms["perm-1"]
            assert rooms["perm-1"]["max_publishers"] == 5, rooms["perm-1"]
    async with SERVER.ws() as c:
        s, h = await c.session_handle(plugin=VR)
        await sync(c, s, h, {"request": "destroy", "room": "perm-1", "permanent": True})


# ---- 2. publishers -----------------------------------------------------------------------

@sy.timeout(40)
async def test_publishers_with_string_ids():
    async with SERVER.ws() as c:
        s1, h1 = await c.session_handle(plugin=VR)
        ev = await call(c, s1, h1, {"request": "join", "ptype": "publisher", "room": ROOM,
                                    "id": "watcher", "display": "W"})
        d = data_of(ev)
        assert d["videoroom"] == "joined" and d["room"] == ROOM and d["id"] == "watcher", d
        sy.check_id(d["private_id"], "private_id")  # private IDs stay integers
        assert d["publishers"] == [] and d["attendees"] == [], d

        s2, h2 = await c.session_handle(plugin=VR)
        check_err(data_of(await call(c, s2, h2, {"request": "join", "ptype": "publisher",
                                                 "room": ROOM, "id": "watcher"})), 436)
        check_err(data_of(await call(c, s2, h2, {"request": "join", "ptype": "publisher",
                                                 "room": ROOM, "id": 42})), 430)
        check_err(data_of(await call(c, s2, h2, {"request": "join", "ptype": "publisher",
                                                 "room": 1234})), 430)
        check_err(data_of(await call(c, s2, h2, {"request": "join", "ptype": "publisher",
                                                 "room": "nope"})), 426)
        ev = await call(c, s2, h2, {"request": "join", "ptype": "publisher", "room": ROOM,
                                    "display": "Gen"})
        d = data_of(ev)
        gen = d["id"]
        assert isinstance(gen, str) and UUID.match(gen), d
        assert d["attendees"] == [{"id": "watcher", "display": "W"}], d
        d = await room_event(c, h1, lambda d: "joining" in d, "joining")
        assert d == {"videoroom": "event", "room": ROOM,
                     "joining": {"id": gen, "display": "Gen"}}, d

        # The same string in another room is another participant.
        s3, h3 = await c.session_handle(plugin=VR)
        ev = await call(c, s3, h3, {"request": "join", "ptype": "publisher", "room": "1234",
                                    "id": "watcher"})
        assert data_of(ev)["id"] == "watcher" and data_of(ev)["room"] == "1234", ev

        d = await sync(c, s1, h1, {"request": "listparticipants", "room": ROOM})
        ids = sorted(p["id"] for p in d["participants"])
        assert d["room"] == ROOM and ids == sorted(["watcher", gen]), d

        check_err(await sync(c, s1, h1, {"request": "kick", "room": ROOM, "secret": "adminpwd",
                                         "id": "nobody"}), 428)
        check_err(await sync(c, s1, h1, {"request": "kick", "room": ROOM, "secret": "adminpwd",
                                         "id": 5}), 430)
        d = await sync(c, s1, h1, {"request": "kick", "room": ROOM, "secret": "adminpwd",
                                   "id": gen})
        assert d == {"videoroom": "success"}, d
        d = await room_event(c, h1, lambda d: "kicked" in d, "kicked")
        assert d["kicked"] == gen and d["room"] == ROOM, d

        ev = await call(c, s3, h3, {"request": "leave"})
        ev = await call(c, s1, h1, {"request": "leave"})
        assert data_of(ev) == {"videoroom": "event", "room": ROOM, "leaving": "ok"}, ev
        d = await sync(c, s1, h1, {"request": "listparticipants", "room": ROOM})
        assert d["participants"] == [], d


# ---- 3. media with string feed IDs -------------------------------------------------------

class Receiver:
    def __init__(self):
        self.pc = RTCPeerConnection()
        self.counts = []
        self.audio = 0
        self.tasks = []

        @self.pc.on("track")
        def on_track(track):
            self.tasks.append(asyncio.ensure_future(self.consume(track)))

    async def consume(self, track):
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    n = read_counter(frame)
                    if n is not None:
                        self.counts.append(n)
                else:
                    self.audio += 1
        except Exception:  # noqa: BLE001 - the track ends with the call
            pass

    async def close(self):
        await self.pc.close()
        for t in self.tasks:
            t.cancel()


async def wait_for(pred, timeout, what):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def subscribe(c, body, feed):
    s, h = await c.session_handle(plugin=VR)
    ev = await call(c, s, h, {"request": "join", "ptype": "subscriber", "room": ROOM, **body})
    d = data_of(ev)
    assert d["videoroom"] == "attached" and d["room"] == ROOM, d
    assert len(d["streams"]) == 2, d
    for st in d["streams"]:
        assert st["feed_id"] == feed and st["active"] is True, st
    rx = Receiver()
    await rx.pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="offer"))
    await rx.pc.setLocalDescription(await rx.pc.createAnswer())
    ev = await call(c, s, h, {"request": "start"},
                    jsep={"type": "answer", "sdp": rx.pc.localDescription.sdp})
    assert data_of(ev) == {"videoroom": "event", "room": ROOM, "started": "ok"}, ev
    await c.event("webrtcup", timeout=10, sender=h)
    return s, h, rx, d


@sy.timeout(90)
async def test_media_with_string_feeds():
    async with SERVER.ws() as c:
        s0, h0 = await c.session_handle(plugin=VR)
        await call(c, s0, h0, {"request": "join", "ptype": "publisher", "room": ROOM,
                               "id": "observer"})
        s, h = await c.session_handle(plugin=VR)
        ev = await call(c, s, h, {"request": "join", "ptype": "publisher", "room": ROOM,
                                  "id": "alice", "display": "Alice"})
        assert data_of(ev)["id"] == "alice", ev
        await room_event(c, h0, lambda d: "joining" in d, "joining")
        pc = RTCPeerConnection()
        pc.addTrack(AudioStreamTrack())
        pc.addTrack(CounterTrack())
        await pc.setLocalDescription(await pc.createOffer())
        ev = await call(c, s, h, {"request": "publish"},
                        jsep={"type": "offer", "sdp": pc.localDescription.sdp})
        d = data_of(ev)
        assert d["room"] == ROOM and d["configured"] == "ok", d
        await pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="answer"))
        await c.event("webrtcup", timeout=10, sender=h)
        rxs = []
        try:
            d = await room_event(c, h0, lambda d: "publishers" in d, "publishers")
            assert d["room"] == ROOM and [p["id"] for p in d["publishers"]] == ["alice"], d

            s1, h1 = await c.session_handle(plugin=VR)
            check_err(data_of(await call(c, s1, h1, {"request": "join", "ptype": "subscriber",
                                                     "room": ROOM, "streams": [{"feed": 7}]})), 430)
            check_err(data_of(await call(c, s1, h1, {"request": "join", "ptype": "subscriber",
                                                     "room": ROOM,
                                                     "streams": [{"feed": "bob"}]})), 428)
            check_err(data_of(await call(c, s1, h1, {"request": "join", "ptype": "subscriber",
                                                     "room": ROOM, "feed": 7})), 430)

            ss, hs, rx, att = await subscribe(c, {"streams": [{"feed": "alice"}]}, "alice")
            rxs.append(rx)
            _, _, rx2, att2 = await subscribe(c, {"feed": "alice"}, "alice")  # legacy
            rxs.append(rx2)
            assert att2["id"] == "alice" and att2["warning"] == "deprecated_api", att2
            for r in rxs:
                await wait_for(lambda: len(r.counts) >= 20 and r.audio >= 30, 20,
                               "video and audio at a subscriber")
            print(f"  multistream: {len(rx.counts)} frames, {rx.audio} audio; "
                  f"legacy: {len(rx2.counts)} frames, {rx2.audio} audio")
            assert rx.counts[-1] - rx.counts[0] >= 10, rx.counts

            # A subscription change naming the feed by its string.
            ev = await call(c, ss, hs, {"request": "unsubscribe", "streams": [{"feed": "alice"}]})
            d = data_of(ev)
            assert d["videoroom"] == "updated" and d["room"] == ROOM, d
            assert all(st["active"] is False for st in d["streams"]), d
            ev = await call(c, ss, hs, {"request": "unsubscribe", "streams": [{"feed": "nobody"}]})
            assert data_of(ev)["videoroom"] == "updated", ev

            ev = await call(c, s, h, {"request": "unpublish"})
            assert data_of(ev) == {"videoroom": "event", "room": ROOM, "unpublished": "ok"}, ev
            d = await room_event(c, h0, lambda d: "unpublished" in d, "unpublished")
            assert d["unpublished"] == "alice", d
            await call(c, s, h, {"request": "leave"})
            d = await room_event(c, h0, lambda d: "leaving" in d, "leaving")
            assert d["leaving"] == "alice", d
            # Its ID is free again.
            ev = await call(c, s, h, {"request": "join", "ptype": "publisher", "room": ROOM,
                                      "id": "alice"})
            assert data_of(ev)["id"] == "alice", ev
            await call(c, s, h, {"request": "leave"})
            await call(c, s0, h0, {"request": "leave"})
        finally:
            await pc.close()
            for r in rxs:
                await r.close()


# ---- 4. TextRoom ---------------------------------------------------------------------------

_tx = iter(range(1, 1 << 30))


class User:
    """A TextRoom user: session, handle, aiortc peer connection and its data channel."""

    def __init__(self, c, name):
        self.c, self.name = c, name
        self.msgs, self.used = [], set()
        self.changed = asyncio.Event()
        self.pc = None

    async def connect(self):
        c = self.c
        self.s, self.h = await c.session_handle(plugin=TR)
        r = await c.message(self.s, self.h, {"request": "setup"})
        ev = await c.event("event", timeout=10, transaction=r["transaction"], sender=self.h)
        self.pc = RTCPeerConnection()
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="offer"))
        self.dc = self.pc.createDataChannel("JanusDataChannel")

        @self.dc.on("message")
        def on_message(m):
            self.msgs.append(json.loads(m))
            self.changed.set()

        await self.pc.setLocalDescription(await self.pc.createAnswer())
        r = await c.message(self.s, self.h, {"request": "ack"},
                            jsep={"type": "answer", "sdp": self.pc.localDescription.sdp})
        await c.event("event", timeout=10, transaction=r["transaction"], sender=self.h)
        if self.dc.readyState != "open":
            opened = asyncio.Event()
            self.dc.on("open", opened.set)
            await asyncio.wait_for(opened.wait(), 15)

    async def wait(self, pred, what):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while True:
            for i, m in enumerate(self.msgs):
                if i not in self.used and pred(m):
                    self.used.add(i)
                    return m
            if loop.time() > deadline:
                raise AssertionError(f"{self.name}: timed out waiting for {what}: {self.msgs}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), 1)
            except asyncio.TimeoutError:
                pass

    async def req(self, verb, **fields):
        t = f"t{next(_tx)}"
        self.dc.send(json.dumps({"textroom": verb, "transaction": t, **fields}))
        return await self.wait(lambda m: m.get("transaction") == t, f"the reply to {verb}")

    async def event(self, kind, what):
        return await self.wait(lambda m: m.get("textroom") == kind and "transaction" not in m, what)


@sy.timeout(90)
async def test_textroom_string_rooms():
    async with SERVER.ws() as c:
        alice, bob = User(c, "alice"), User(c, "bob")
        try:
            await alice.connect()
            await bob.connect()
            r = await alice.req("join", room="chat", username="alice", display="Alice")
            assert r["textroom"] == "success" and r["participants"] == [], r
            r = await bob.req("join", room="chat", username="bob")
            assert r["textroom"] == "success", r
            j = await alice.event("join", "bob's join")
            assert j == {"textroom": "join", "room": "chat", "username": "bob"}, j
            r = await alice.req("message", room="chat", text="hello")
            assert r["textroom"] == "success", r
            m = await bob.event("message", "alice's message")
            assert m["room"] == "chat" and m["from"] == "alice" and m["text"] == "hello", m
            r = await bob.req("join", room=1234, username="bob2")
            assert r["textroom"] == "error" and r["error_code"] == 414, r
            r = await bob.req("join", room="nope", username="bob2")
            assert r["textroom"] == "error" and r["error_code"] == 417, r
            r = await bob.req("create", room="side", description="Side room")
            assert r == {"textroom": "success", "room": "side", "permanent": False,
                         "transaction": r["transaction"]}, r

            # Management over the Janus API.
            d = await sync(c, alice.s, alice.h, {"request": "exists", "room": "chat"}, TR)
            assert d == {"textroom": "success", "room": "chat", "exists": True}, d
            check_err(await sync(c, alice.s, alice.h, {"request": "exists", "room": 7}, TR),
                      414, "textroom")
            d = await sync(c, alice.s, alice.h, {"request": "list"}, TR)
            rooms = {x["room"]: x for x in d["list"]}
            assert rooms["chat"]["description"] == "Chat" and "side" in rooms, rooms
            assert rooms["chat"]["num_participants"] == 2, rooms
            d = await sync(c, alice.s, alice.h, {"request": "listparticipants", "room": "chat"}, TR)
            assert d["room"] == "chat" and len(d["participants"]) == 2, d
            d = await sync(c, alice.s, alice.h, {"request": "create"}, TR)
            assert d["textroom"] == "created" and UUID.match(d["room"]), d
            gen = d["room"]
            d = await sync(c, alice.s, alice.h, {"request": "announcement", "room": "chat",
                                                 "text": "news"}, TR)
            for u in (alice, bob):
                a = await u.event("announcement", "the announcement")
                assert a["room"] == "chat" and a["text"] == "news", a
            d = await sync(c, alice.s, alice.h, {"request": "edit", "room": "side",
                                                 "new_description": "S"}, TR)
            assert d == {"textroom": "edited", "room": "side", "permanent": False}, d
            for room in ("side", gen):
                d = await sync(c, alice.s, alice.h, {"request": "destroy", "room": room}, TR)
                assert d == {"textroom": "destroyed", "room": room, "permanent": False}, d
            d = await sync(c, alice.s, alice.h, {"request": "exists", "room": "side"}, TR)
            assert d["exists"] is False, d

            r = await bob.req("leave", room="chat")
            assert r["textroom"] == "success", r
            lv = await alice.event("leave", "bob's leave")
            assert lv == {"textroom": "leave", "room": "chat", "username": "bob"}, lv
        finally:
            for u in (alice, bob):
                if u.pc:
                    await u.pc.close()


if __name__ == "__main__":
    sy.run(globals())
