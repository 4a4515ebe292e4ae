#!/usr/bin/env python3
"""TextRoom (janus.plugin.textroom) with real WebRTC peers (aiortc).

The flow is the Janus one: "setup" returns a server offer with a single m=application
section (no channel is opened by the server), aiortc answers with "ack", and the client
creates its own data channel on the association. Both orders work: a channel created
before createAnswer (what janus.js does) and one created after the answer was applied.
The server replies on the first channel the client opened.

Covered: join/leave/message/whisper/announcement/history/kick over the data channel,
errors (417 no such room, 420 username taken, 421 already in room, 422 not in room,
419 wrong secret, 415 join over the Janus API), management over the Janus API (list,
exists, listparticipants, create/edit/destroy with "created"/"edited"/"destroyed",
allowed, kick, announcement), an ICE-restart offer, and the leave events when a peer
connection goes away."""

import asyncio
import os
import json
import re

import sy

import aiortc_peer  # noqa: F401 - the loopback patches
from aiortc import RTCPeerConnection, RTCSessionDescription

TR = "janus.plugin.textroom"
SERVER = sy.Server("textroom")
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$")
_tx = iter(range(1, 1 << 30))


class User:
    """One Janus session + textroom handle + aiortc peer connection + data channel."""

    def __init__(self, c, name):
        self.c = c
        self.name = name
        self.pc = None
        self.dc = None
        self.msgs = []
        self.used = set()
        self.changed = asyncio.Event()

    async def connect(self, channel_before_answer=True):
        c = self.c
        self.s, self.h = await c.session_handle(plugin=TR)
        r = await c.message(self.s, self.h, {"request": "setup"})
        assert r.get("janus") == "ack", r
        ev = await c.event("event", timeout=10, transaction=r["transaction"], sender=self.h)
        assert ev["plugindata"]["data"] == {"textroom": "event", "result": "ok"}, ev
        offer = ev["jsep"]
        assert offer["type"] == "offer", offer
        sdp = offer["sdp"]
        assert "m=application" in sdp and "webrtc-datachannel" in sdp, sdp
        assert "m=audio" not in sdp and "m=video" not in sdp, sdp
        self.offer_sdp = sdp
        self.pc = RTCPeerConnection()
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        if channel_before_answer:
            self._channel()
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        answer = {"type": "answer", "sdp": self.pc.localDescription.sdp}
        r = await c.message(self.s, self.h, {"request": "ack"}, jsep=answer)
        assert r.get("janus") == "ack", r
        ev = await c.event("event", timeout=10, transaction=r["transaction"], sender=self.h)
        assert ev["plugindata"]["data"] == {"textroom": "event", "result": "ok"}, ev
        await c.event("webrtcup", timeout=10, sender=self.h)
        if not channel_before_answer:
            self._channel()
        if self.dc.readyState != "open":
            opened = asyncio.Event()
            self.dc.on("open", opened.set)
            await asyncio.wait_for(opened.wait(), 10)

    def _channel(self):
        self.dc = self.pc.createDataChannel("JanusDataChannel")

        @self.dc.on("message")
        def on_message(m):
            self.msgs.append(json.loads(m))
            self.changed.set()

    async def wait(self, pred, timeout=5.0, what="a message"):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout * (3 if sy.SANITIZE else 1)
        while True:
            for i, m in enumerate(self.msgs):
                if i not in self.used and pred(m):
                    self.used.add(i)
                    return m
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"{self.name}: timed out waiting for {what}; unclaimed: "
                                     f"{[m for i, m in enumerate(self.msgs) if i not in self.used]}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    def unclaimed(self, pred=lambda m: True):
        return [m for i, m in enumerate(self.msgs) if i not in self.used and pred(m)]

    async def send(self, verb, **fields):
        t = f"t{next(_tx)}"
        self.dc.send(json.dumps({"textroom": verb, "transaction": t, **fields}))
        return t

    async def req(self, verb, **fields):
        t = await self.send(verb, **fields)
        return await self.wait(lambda m: m.get("transaction") == t, what=f"the reply to {verb}")

    async def ok(self, verb, **fields):
        r = await self.req(verb, **fields)
        assert r.get("textroom") == "success", f"{self.name} {verb}: {r}"
        return r

    async def err(self, code, verb, **fields):
        r = await self.req(verb, **fields)
        assert r.get("textroom") == "error" and r.get("error_code") == code, f"{self.name} {verb}: {r}"
        assert isinstance(r.get("error"), str) and r["error"], r
        return r

    async def event(self, kind, timeout=5.0, **fields):
        return await self.wait(lambda m: m.get("textroom") == kind and "transaction" not in m
                               and all(m.get(k) == v for k, v in fields.items()),
                               timeout, f"a '{kind}' event with {fields}")

    async def close(self):
        if self.pc:
            await self.pc.close()


async def api(c, u, body):
    """A synchronous Janus API request on u's handle; returns plugindata.data."""
    r = await c.message(u.s, u.h, body)
    assert r.get("janus") == "success", r
    assert r["plugindata"]["plugin"] == TR, r
    return r["plugindata"]["data"]


def api_err(data, code):
    assert data.get("textroom") == "event" and data.get("error_code") == code, data
    assert isinstance(data.get("error"), str) and data["error"], data


@sy.timeout(90)
async def test_chat_over_data_channels():
    async with SERVER.ws() as c:
        alice, bob, carol = User(c, "alice"), User(c, "bob"), User(c, "carol")
        try:
            await alice.connect(channel_before_answer=True)
            await bob.connect(channel_before_answer=False)
            await carol.connect()
            print("  three aiortc peers answered the data-channel-only offer (channel created "
                  "before and after the answer)")

            r = await alice.ok("join", room=1234, username="alice", display="Alice")
            assert r["participants"] == [], r
            r = await bob.ok("join", room=1234, username="bob")
            assert r["participants"] == [{"username": "alice", "display": "Alice"}], r
            ev = await alice.event("join", username="bob")
            assert ev["room"] == 1234 and "display" not in ev, ev
            r = await carol.ok("join", room=1234, username="carol", display="Carol")
            assert {p["username"] for p in r["participants"]} == {"alice", "bob"}, r
            await alice.event("join", username="carol", display="Carol")
            await bob.event("join", username="carol")
            print("  join: success with the participants, the others get 'join'")

            await alice.err(417, "join", room=999999, username="x")
            await carol.err(421, "join", room=1234, username="carol2")
            # A fourth user cannot take a username in use.
            dave = User(c, "dave")
            await dave.connect()
            await dave.err(420, "join", room=1234, username="alice")
            await dave.err(422, "message", room=1234, text="not a member")
            await dave.err(413, "join", room=1234)
            await dave.err(414, "join", room="1234", username="d")
            await dave.err(415, "dance", room=1234)
            print("  errors: 417 no such room, 421 already in room, 420 username taken, 422 not in "
                  "room, 413/414/415")

            # A public message: everyone (the sender too) gets it, the sender gets the ack.
            t = await alice.send("message", room=1234, text="hello all")
            r = await alice.wait(lambda m: m.get("transaction") == t)
            assert r == {"textroom": "success", "transaction": t}, r
            for u in (alice, bob, carol):
                m = await u.event("message", text="hello all")
                assert m["from"] == "alice" and m["room"] == 1234 and m["whisper"] is False, m
                assert DATE.match(m["date"]), m
            assert not dave.unclaimed(lambda m: m.get("textroom") == "message"), dave.msgs
            print("  message: reaches everyone in the room, ack to the sender, ISO-8601 date")

            # A whisper reaches only the addressee.
            await alice.ok("message", room=1234, text="psst bob", to="bob")
            m = await bob.event("message", text="psst bob")
            assert m["whisper"] is True and m["from"] == "alice", m
            await bob.ok("message", room=1234, text="to alice and carol", tos=["alice", "carol"])
            for u in (alice, carol):
                m = await u.event("message", text="to alice and carol")
                assert m["whisper"] is True and m["from"] == "bob", m
            # Without ack no reply comes; the message still goes out.
            t = await carol.send("message", room=1234, text="no ack please", ack=False)
            for u in (alice, bob, carol):
                await u.event("message", text="no ack please")
            await asyncio.sleep(0.3)
            assert not carol.unclaimed(lambda m: m.get("transaction") == t), carol.msgs
            assert not carol.unclaimed(lambda m: m.get("text") == "psst bob"), carol.msgs
            assert not alice.unclaimed(lambda m: m.get("text") == "psst bob"), alice.msgs
            assert not bob.unclaimed(lambda m: m.get("text") == "to alice and carol"), bob.msgs
            print("  whispers (to, tos) reach only the addressees; ack:false sends no reply")

            # Announcements need the room secret.
            await alice.err(419, "announcement", room=1234, secret="nope", text="x")
            await alice.ok("announcement", room=1234, secret="adminpwd", text="server news")
            for u in (alice, bob, carol):
                m = await u.event("announcement", text="server news")
                assert DATE.match(m["date"]), m

            # History (room 1234 keeps 5): dave joins and gets the last public messages
            # (not the whispers) after his success.
            r = await dave.ok("join", room=1234, username="dave")
            texts = []
            for _ in range(3):
                m = await dave.wait(lambda m: m.get("textroom") in ("message", "announcement")
                                    and "transaction" not in m, what="history")
                texts.append(m["text"])
            assert texts == ["hello all", "no ack please", "server news"], texts
            hist_idx = min(i for i, m in enumerate(dave.msgs) if m.get("text") == "hello all")
            succ_idx = next(i for i, m in enumerate(dave.msgs) if m is r)
            assert succ_idx < hist_idx, dave.msgs
            print("  announcement (419 on a wrong secret); history replayed after join")

            # Listing over the data channel.
            r = await dave.ok("listparticipants", room=1234)
            assert {p["username"] for p in r["participants"]} == {"alice", "bob", "carol", "dave"}, r
            r = await dave.ok("list")
            room = next(x for x in r["list"] if x["room"] == 1234)
            assert room["description"] == "Demo Room" and room["num_participants"] == 4, room
            r = await dave.ok("exists", room=1234)
            assert r["exists"] is True, r

            # Kick: everybody (the kicked one too) hears it.
            await alice.err(419, "kick", room=1234, secret="bad", username="dave")
            await alice.err(423, "kick", room=1234, secret="adminpwd", username="nobody")
            await alice.ok("kick", room=1234, secret="adminpwd", username="dave")
            for u in (alice, bob, carol, dave):
                await u.event("kicked", username="dave")
            await dave.err(422, "message", room=1234, text="kicked")
            print("  kick (419, 423), the kicked user is out")

            # Leave.
            await bob.ok("leave", room=1234)
            for u in (alice, carol):
                await u.event("leave", username="bob", room=1234)
            await bob.err(422, "leave", room=1234)
            await bob.err(422, "message", room=1234, text="gone")
            print("  leave: the others get 'leave', 422 afterwards")

            # A room created over the data channel, destroyed with participants in it.
            r = await bob.ok("create", room=4321, description="Side", secret="s3", history=2)
            assert r["room"] == 4321 and r["permanent"] is False, r
            await bob.err(418, "create", room=4321)
            await bob.ok("join", room=4321, username="bob")
            await carol.ok("join", room=4321, username="carol")
            await bob.event("join", room=4321, username="carol")
            await bob.ok("edit", room=4321, secret="s3", new_description="Side room")
            r = await bob.ok("list")
            assert any(x["room"] == 4321 and x["description"] == "Side room" for x in r["list"]), r
            await carol.err(419, "destroy", room=4321, secret="wrong")
            r = await carol.ok("destroy", room=4321, secret="s3")
            assert r["room"] == 4321, r
            for u in (bob, carol):
                await u.event("destroyed", room=4321)
            await bob.err(417, "message", room=4321, text="x")
            print("  create/edit/destroy over the data channel ('destroyed' to the participants)")

            # The peer connection going away makes the user leave every room.
            await carol.close()
            await alice.event("leave", username="carol", timeout=15)
            await c.event("hangup", timeout=15, sender=carol.h)
            print("  a closed peer connection leaves the rooms (others get 'leave')")
            await dave.close()
        finally:
            for u in (alice, bob, carol):
                await u.close()


@sy.timeout(60)
async def test_management_over_janus_api():
    async with SERVER.ws() as c:
        u = User(c, "admin")
        u.s, u.h = await c.session_handle(plugin=TR)
        d = await api(c, u, {"request": "list"})
        assert d["textroom"] == "success", d
        room = next(x for x in d["list"] if x["room"] == 1234)
        assert room["description"] == "Demo Room" and room["pin_required"] is False, room
        d = await api(c, u, {"request": "exists", "room": 1234})
        assert d == {"textroom": "success", "room": 1234, "exists": True}, d
        d = await api(c, u, {"request": "exists", "room": 5555})
        assert d["exists"] is False, d

        d = await api(c, u, {"request": "create", "room": 5555, "description": "API room",
                             "secret": "top", "pin": "42", "is_private": True})
        assert d == {"textroom": "created", "room": 5555, "permanent": False}, d
        api_err(await api(c, u, {"request": "create", "room": 5555}), 418)
        d = await api(c, u, {"request": "list"})
        assert all(x["room"] != 5555 for x in d["list"]), "a private room is listed"
        d = await api(c, u, {"request": "create"})
        assert d["textroom"] == "created" and isinstance(d["room"], int) and d["room"] > 0, d
        d = await api(c, u, {"request": "destroy", "room": d["room"]})  # no secret was set
        assert d["textroom"] == "destroyed", d
        d = await api(c, u, {"request": "listparticipants", "room": 5555})
        assert d == {"textroom": "success", "room": 5555, "participants": []}, d
        d = await api(c, u, {"request": "edit", "room": 5555, "secret": "top",
                             "new_description": "Renamed", "new_is_private": False})
        assert d == {"textroom": "edited", "room": 5555, "permanent": False}, d
        d = await api(c, u, {"request": "list"})
        assert any(x["room"] == 5555 and x["description"] == "Renamed" and x["pin_required"]
                   for x in d["list"]), d
        api_err(await api(c, u, {"request": "edit", "room": 5555, "secret": "x"}), 419)
        api_err(await api(c, u, {"request": "destroy", "room": 5555, "secret": "wrong"}), 419)
        api_err(await api(c, u, {"request": "destroy", "room": 5555}), 413)
        api_err(await api(c, u, {"request": "kick", "room": 5555, "secret": "top", "username": "x"}), 423)
        d = await api(c, u, {"request": "allowed", "room": 5555, "secret": "top", "action": "add",
                             "allowed": ["tok1"]})
        assert d["textroom"] == "success", d
        d = await api(c, u, {"request": "announcement", "room": 5555, "secret": "top", "text": "hi"})
        assert d == {"textroom": "success"}, d
        # permanent: the room is written to the plugin's config file, and removed again.
        cfg_path = os.path.join(SERVER.conf_dir, "switchyard.plugin.textroom.jcfg")
        d = await api(c, u, {"request": "create", "room": 7, "description": "Kept", "secret": "s7",
                             "history": 3, "permanent": True})
        assert d == {"textroom": "created", "room": 7, "permanent": True}, d
        kept = sy.parse_cfg(open(cfg_path).read(), cfg_path)
        assert kept["room-7"]["description"] == "Kept" and kept["room-7"]["history"] == 3, kept
        assert "room-1234" in kept, "the rooms already in the file were lost"
        d = await api(c, u, {"request": "edit", "room": 7, "secret": "s7", "new_description": "Kept2",
                             "permanent": True})
        assert d["permanent"] is True, d
        assert sy.parse_cfg(open(cfg_path).read(), cfg_path)["room-7"]["description"] == "Kept2"
        d = await api(c, u, {"request": "destroy", "room": 7, "secret": "s7", "permanent": True})
        assert d == {"textroom": "destroyed", "room": 7, "permanent": True}, d
        assert "room-7" not in sy.parse_cfg(open(cfg_path).read(), cfg_path)
        api_err(await api(c, u, {"request": "join", "room": 1234, "username": "x"}), 415)
        api_err(await api(c, u, {"request": "message", "room": 1234, "text": "x"}), 415)
        api_err(await api(c, u, {"request": "exists", "room": 0}), 414)
        api_err(await api(c, u, {}), 413)
        d = await api(c, u, {"request": "destroy", "room": 5555, "secret": "top"})
        assert d == {"textroom": "destroyed", "room": 5555, "permanent": False}, d
        api_err(await api(c, u, {"request": "destroy", "room": 5555, "secret": "top"}), 417)
        print("  list/exists/create/edit/destroy/kick/allowed/announcement over the Janus API")

        # ack and restart before setup.
        r = await c.message(u.s, u.h, {"request": "restart"})
        ev = await c.event("event", timeout=10, transaction=r["transaction"], sender=u.h)
        assert ev["plugindata"]["data"]["error_code"] == 415, ev


@sy.timeout(60)
async def test_pin_allowed_and_restart():
    async with SERVER.ws() as c:
        a = User(c, "a")
        try:
            await a.connect()
            await a.ok("create", room=777, pin="1111", allowed=["tokA"])
            await a.err(413, "join", room=777, username="a")  # no pin: missing (Janus)
            await a.err(419, "join", room=777, username="a", pin="2222")  # wrong pin
            await a.err(419, "join", room=777, username="a", pin="1111", token="tokB")
            await a.ok("join", room=777, username="a", pin="1111", token="tokA")
            print("  pin and allowed-token checks on join")

            # A second setup is refused; restart gives a fresh offer with new ICE credentials.
            r = await c.message(a.s, a.h, {"request": "setup"})
            ev = await c.event("event", timeout=10, transaction=r["transaction"], sender=a.h)
            assert ev["plugindata"]["data"]["error_code"] == 416, ev
            r = await c.message(a.s, a.h, {"request": "restart"})
            ev = await c.event("event", timeout=10, transaction=r["transaction"], sender=a.h)
            assert ev["plugindata"]["data"] == {"textroom": "event", "result": "ok"}, ev
            sdp = ev["jsep"]["sdp"]
            assert "restart" not in ev["jsep"], ev["jsep"]
            ufrag = lambda s: re.search(r"a=ice-ufrag:(\S+)", s).group(1)  # noqa: E731
            assert ufrag(sdp) != ufrag(a.offer_sdp), "the restart offer kept the ICE credentials"
            assert "m=application" in sdp, sdp
            print("  416 on a second setup; restart offers new ICE credentials")
            # The channel still works on the current association.
            await a.ok("message", room=777, text="still here")
            await a.event("message", text="still here")
        finally:
            await a.close()


if __name__ == "__main__":
    sy.run(globals())
