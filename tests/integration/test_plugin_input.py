#!/usr/bin/env python3
"""Hostile input to the plugins (security.md section 6 rows 17 and 18).

1. Wrong types, table-driven: every request of VideoRoom, TextRoom (Janus API and data
   channel) and EchoTest, each field in turn given each wrong JSON type (and a negative
   number where a positive integer is documented) -> the plugin's documented "invalid
   element" code (VideoRoom 430, TextRoom 414, EchoTest 413), and the server keeps
   serving (a control request after every case).
2. The plugin auth matrix: VideoRoom create with admin_key configured, edit / destroy /
   kick / moderate with no or a wrong room secret, join with no or a wrong pin -> 429
   (missing) or 433 (unauthorized); TextRoom likewise (413 / 419); the request had no
   effect (the room still exists, nobody was kicked...).
The VideoRoom subscriber requests need a real published feed: an aiortc publisher.
"""

import asyncio
import json

import sy
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack

from aiortc_peer import CounterTrack  # noqa: F401 - also applies the loopback patches

VR = "janus.plugin.videoroom"
TR = "janus.plugin.textroom"
ECHO = "janus.plugin.echotest"
ADMIN_KEY = "vr-admin-key"
TR_ADMIN_KEY = "tr-admin-key"

SRV = sy.Server("plugin_input",
                files={"switchyard.plugin.videoroom.jcfg": {"general": {"admin_key": ADMIN_KEY}},
                       "switchyard.plugin.textroom.jcfg": {"general": {"admin_key": TR_ADMIN_KEY}}})

INT, STR, BOOL, ARR = "int", "str", "bool", "array"
WRONG = {
    INT: ["7", 1.5, True, None, [], {}, -1],
    STR: [5, True, None, [], {}],
    BOOL: ["true", 1, None, [], {}],
    ARR: ["x", 5, True, None, {}],
}


def data_of(m):
    return m["plugindata"]["data"]


async def plugin_req(c, s, h, body, jsep=None, timeout=10):
    """Any plugin request: the sync reply's data, or the async event's data."""
    r = await c.message(s, h, body, jsep=jsep)
    if r.get("janus") == "success":
        return data_of(r), r
    assert r.get("janus") == "ack", f"{body}: {r}"
    ev = await c.event("event", timeout=timeout, transaction=r["transaction"], sender=h)
    return data_of(ev), ev


def code_of(d):
    return d.get("error_code")


async def still_serving(c):
    r = await c.request({"janus": "ping"})
    assert r.get("janus") == "pong", r


class Cases:
    def __init__(self):
        self.n = 0
        self.failures = []

    def check(self, what, d, expected):
        self.n += 1
        if code_of(d) != expected or not isinstance(d.get("error"), str):
            self.failures.append(f"{what}: expected error_code {expected}, got {json.dumps(d)[:300]}")

    def done(self, label):
        print(f"  {label}: {self.n} wrong-type cases")
        assert not self.failures, f"{len(self.failures)} of {self.n} cases failed:\n" + \
            "\n".join(self.failures[:40])


async def wrong_types(cases, c, s, h, base, fields, expected, jsep=None, label=None, where=None):
    """For each field and each wrong value: base with that one field replaced."""
    for field, typ in fields.items():
        for bad in WRONG[typ]:
            body = json.loads(json.dumps(base))
            if where:
                where(body)[field] = bad
            else:
                body[field] = bad
            d, _ = await plugin_req(c, s, h, body, jsep=jsep)
            cases.check(f"{label or base['request']}.{field}={json.dumps(bad)}", d, expected)


# ---- VideoRoom -------------------------------------------------------------------------

VR_CREATE = {"room": INT, "description": STR, "secret": STR, "pin": STR, "is_private": BOOL,
             "publishers": INT, "bitrate": INT, "fir_freq": INT, "audiocodec": STR,
             "videocodec": STR, "notify_joining": BOOL, "require_pvtid": BOOL, "admin_key": STR,
             "permanent": BOOL, "record": BOOL, "bitrate_cap": BOOL, "audiolevel_event": BOOL,
             "audio_active_packets": INT, "audio_level_average": INT}
VR_EDIT = {"room": INT, "secret": STR, "new_description": STR, "new_secret": STR, "new_pin": STR,
           "new_is_private": BOOL, "new_require_pvtid": BOOL, "new_bitrate": INT,
           "new_fir_freq": INT, "new_publishers": INT, "permanent": BOOL}


async def vr_publisher(c, room, pin):
    """An aiortc publisher in room: (s, h, feed id, pc)."""
    s, h = await c.session_handle(plugin=VR)
    pc = RTCPeerConnection()
    pc.addTrack(AudioStreamTrack())
    pc.addTrack(CounterTrack())
    await pc.setLocalDescription(await pc.createOffer())
    d, ev = await plugin_req(c, s, h, {"request": "joinandconfigure", "ptype": "publisher",
                                       "room": room, "pin": pin, "display": "pub"},
                             jsep={"type": "offer", "sdp": pc.localDescription.sdp})
    assert d.get("videoroom") == "joined", d
    await pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="answer"))
    await c.event("webrtcup", timeout=15, sender=h)
    return s, h, d["id"], pc


@sy.timeout(240)
async def test_videoroom_wrong_types():
    cases = Cases()
    async with SRV.ws() as c:
        s, h = await c.session_handle(plugin=VR)
        d, _ = await plugin_req(c, s, h, {"request": "create", "admin_key": ADMIN_KEY, "secret": "rs",
                                          "pin": "rp", "publishers": 10})
        assert d.get("videoroom") == "created", d
        room = d["room"]
        d, _ = await plugin_req(c, s, h, {"request": 5})
        cases.check("request=5", d, 430)
        # Synchronous requests.
        await wrong_types(cases, c, s, h, {"request": "create", "admin_key": ADMIN_KEY}, VR_CREATE, 430)
        await wrong_types(cases, c, s, h, {"request": "edit", "room": room, "secret": "rs"}, VR_EDIT, 430)
        await wrong_types(cases, c, s, h, {"request": "destroy", "room": room, "secret": "rs"},
                          {"room": INT, "secret": STR, "permanent": BOOL}, 430)
        await wrong_types(cases, c, s, h, {"request": "exists", "room": room}, {"room": INT}, 430)
        await wrong_types(cases, c, s, h, {"request": "list"}, {"admin_key": STR}, 430)
        await wrong_types(cases, c, s, h, {"request": "listparticipants", "room": room}, {"room": INT}, 430)
        await wrong_types(cases, c, s, h, {"request": "kick", "room": room, "secret": "rs", "id": 1},
                          {"room": INT, "secret": STR, "id": INT}, 430)
        await wrong_types(cases, c, s, h, {"request": "moderate", "room": room, "secret": "rs", "id": 1,
                                           "mid": "0", "mute": True},
                          {"room": INT, "secret": STR, "id": INT, "mid": STR, "mute": BOOL}, 430)
        # join as publisher (a fresh handle each time would be needed after a success;
        # every case here fails, so the handle stays unjoined).
        join = {"request": "join", "ptype": "publisher", "room": room, "pin": "rp"}
        fields = {"ptype": STR, "room": INT, "id": INT, "display": STR, "pin": STR}
        await wrong_types(cases, c, s, h, join, fields, 430)
        await wrong_types(cases, c, s, h, dict(join, request="joinandconfigure"), fields, 430)
        # A joined publisher: configure, publish.
        sp, hp = await c.session_handle(plugin=VR)
        d, _ = await plugin_req(c, sp, hp, join)
        assert d.get("videoroom") == "joined", d
        await wrong_types(cases, c, sp, hp, {"request": "configure"},
                          {"display": STR, "bitrate": INT, "keyframe": BOOL, "streams": ARR}, 430)
        offer = {"type": "offer", "sdp": sy.offer_sdp()}
        await wrong_types(cases, c, sp, hp, {"request": "publish"},
                          {"audiocodec": STR, "videocodec": STR, "display": STR, "bitrate": INT},
                          430, jsep=offer)
        # Subscribers need a real feed.
        s1, h1, feed, pc = await vr_publisher(c, room, "rp")
        try:
            sub = {"request": "join", "ptype": "subscriber", "room": room, "pin": "rp",
                   "streams": [{"feed": feed}]}
            await wrong_types(cases, c, s, h, sub, {"streams": ARR, "feed": INT, "private_id": INT,
                                                    "autoupdate": BOOL}, 430)
            await wrong_types(cases, c, s, h, sub, {"feed": INT, "mid": STR},
                              430, label="join.streams[0]", where=lambda b: b["streams"][0])
            ss, hs = await c.session_handle(plugin=VR)
            d, ev = await plugin_req(c, ss, hs, sub)
            assert d.get("videoroom") == "attached", d
            mids = [st["mid"] for st in d["streams"]]
            feed_mid = d["streams"][0]["feed_mid"]
            await wrong_types(cases, c, ss, hs, {"request": "configure", "streams": [{"mid": mids[0]}]},
                              {"streams": ARR, "audio": BOOL, "video": BOOL, "data": BOOL}, 430)
            await wrong_types(cases, c, ss, hs, {"request": "configure", "streams": [{"mid": mids[0]}]},
                              {"mid": STR, "send": BOOL, "substream": INT, "temporal": INT}, 430,
                              label="configure.streams[0]", where=lambda b: b["streams"][0])
            sw = {"request": "switch", "streams": [{"feed": feed, "mid": feed_mid, "sub_mid": mids[0]}]}
            await wrong_types(cases, c, ss, hs, sw, {"streams": ARR}, 430)
            await wrong_types(cases, c, ss, hs, sw, {"feed": INT, "mid": STR, "sub_mid": STR}, 430,
                              label="switch.streams[0]", where=lambda b: b["streams"][0])
            for verb in ("subscribe", "unsubscribe"):
                await wrong_types(cases, c, ss, hs, {"request": verb, "streams": [{"feed": feed}]},
                                  {"streams": ARR}, 430)
            await wrong_types(cases, c, ss, hs, {"request": "subscribe", "streams": [{"feed": feed}]},
                              {"feed": INT, "mid": STR}, 430, label="subscribe.streams[0]",
                              where=lambda b: b["streams"][0])
            await wrong_types(cases, c, ss, hs, {"request": "update", "subscribe": [{"feed": feed}]},
                              {"subscribe": ARR, "unsubscribe": ARR}, 430)
        finally:
            await pc.close()
        await still_serving(c)
        # The room survived all of it.
        d, _ = await plugin_req(c, s, h, {"request": "exists", "room": room})
        assert d.get("exists") is True, d
    cases.done("videoroom")


async def test_videoroom_auth_matrix():
    async with SRV.ws() as c:
        s, h = await c.session_handle(plugin=VR)
        # create needs admin_key.
        for extra, code in (({}, 429), ({"admin_key": "wrong"}, 433), ({"admin_key": ""}, 433)):
            d, _ = await plugin_req(c, s, h, {"request": "create", **extra})
            assert code_of(d) == code, f"create {extra}: {d}"
        d, _ = await plugin_req(c, s, h, {"request": "create", "admin_key": ADMIN_KEY, "secret": "rs",
                                          "pin": "rp", "is_private": True})
        room = d["room"]
        # A private room is listed only with the admin_key.
        d, _ = await plugin_req(c, s, h, {"request": "list"})
        assert room not in [r["room"] for r in d["list"]], d
        d, _ = await plugin_req(c, s, h, {"request": "list", "admin_key": "wrong"})
        assert room not in [r["room"] for r in d["list"]], d
        d, _ = await plugin_req(c, s, h, {"request": "list", "admin_key": ADMIN_KEY})
        assert room in [r["room"] for r in d["list"]], d
        # A participant to kick / moderate.
        sp, hp = await c.session_handle(plugin=VR)
        d, _ = await plugin_req(c, sp, hp, {"request": "join", "ptype": "publisher", "room": room,
                                            "pin": "rp"})
        pid = d["id"]
        manage = [
            {"request": "edit", "room": room, "new_description": "pwned", "new_secret": "mine"},
            {"request": "kick", "room": room, "id": pid},
            {"request": "moderate", "room": room, "id": pid, "mid": "0", "mute": True},
            {"request": "destroy", "room": room},
        ]
        for body in manage:
            for extra, code in (({}, 429), ({"secret": "wrong"}, 433), ({"secret": "rs "}, 433),
                                ({"secret": "r"}, 433)):
                d, _ = await plugin_req(c, s, h, {**body, **extra})
                assert code_of(d) == code, f"{body['request']} {extra}: {d}"
        # Nothing happened: the room, its description and the participant are there.
        d, _ = await plugin_req(c, s, h, {"request": "list", "admin_key": ADMIN_KEY})
        info = [r for r in d["list"] if r["room"] == room][0]
        assert info["description"] != "pwned" and info["num_participants"] == 1, info
        # join with no or a wrong pin.
        for extra, code in (({}, 429), ({"pin": "wrong"}, 433), ({"pin": ""}, 433)):
            s2, h2 = await c.session_handle(plugin=VR)
            d, _ = await plugin_req(c, s2, h2, {"request": "join", "ptype": "publisher", "room": room,
                                                **extra})
            assert code_of(d) == code, f"join {extra}: {d}"
            d, _ = await plugin_req(c, s2, h2, {"request": "join", "ptype": "subscriber", "room": room,
                                                "streams": [{"feed": pid}], **extra})
            assert code_of(d) == code, f"subscriber join {extra}: {d}"
        # The right secret works (a control: the refusals above were about the secret).
        d, _ = await plugin_req(c, s, h, {"request": "kick", "room": room, "id": pid, "secret": "rs"})
        assert d.get("videoroom") == "success", d
        d, _ = await plugin_req(c, s, h, {"request": "destroy", "room": room, "secret": "rs"})
        assert d.get("videoroom") == "destroyed", d


# ---- TextRoom --------------------------------------------------------------------------

TR_CREATE = {"room": INT, "admin_key": STR, "description": STR, "secret": STR, "pin": STR,
             "is_private": BOOL, "history": INT, "post": STR, "permanent": BOOL, "allowed": ARR}
TR_EDIT = {"room": INT, "secret": STR, "new_description": STR, "new_secret": STR, "new_pin": STR,
           "new_is_private": BOOL, "permanent": BOOL}


async def textroom_peer(c):
    """A TextRoom handle with its data channel open: (s, h, pc, dc, inbox queue)."""
    s, h = await c.session_handle(plugin=TR)
    d, ev = await plugin_req(c, s, h, {"request": "setup"})
    pc = RTCPeerConnection()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="offer"))
    dc = pc.createDataChannel("JanusDataChannel")
    opened = asyncio.Event()
    inbox = asyncio.Queue()
    dc.on("open", opened.set)
    dc.on("message", lambda m: inbox.put_nowait(json.loads(m)))
    await pc.setLocalDescription(await pc.createAnswer())
    d, _ = await plugin_req(c, s, h, {"request": "ack"},
                            jsep={"type": "answer", "sdp": pc.localDescription.sdp})
    await asyncio.wait_for(opened.wait(), 20)
    return s, h, pc, dc, inbox


async def dc_req(dc, inbox, msg, tx=[0]):  # noqa: B006 - a counter
    tx[0] += 1
    t = f"dc{tx[0]}"
    dc.send(json.dumps({**msg, "transaction": t}))
    while True:
        m = await asyncio.wait_for(inbox.get(), 10)
        if m.get("transaction") == t:
            return m


@sy.timeout(240)
async def test_textroom_wrong_types():
    cases = Cases()
    async with SRV.ws() as c:
        s, h = await c.session_handle(plugin=TR)
        d, _ = await plugin_req(c, s, h, {"request": "create", "admin_key": TR_ADMIN_KEY,
                                          "secret": "ts", "pin": "tp"})
        assert d.get("textroom") == "created", d
        room = d["room"]
        d, _ = await plugin_req(c, s, h, {"request": []})
        cases.check("request=[]", d, 414)
        await wrong_types(cases, c, s, h, {"request": "create", "admin_key": TR_ADMIN_KEY}, TR_CREATE, 414)
        await wrong_types(cases, c, s, h, {"request": "edit", "room": room, "secret": "ts"}, TR_EDIT, 414)
        await wrong_types(cases, c, s, h, {"request": "destroy", "room": room, "secret": "ts"},
                          {"room": INT, "secret": STR, "permanent": BOOL}, 414)
        await wrong_types(cases, c, s, h, {"request": "exists", "room": room}, {"room": INT}, 414)
        await wrong_types(cases, c, s, h, {"request": "list"}, {"admin_key": STR}, 414)
        await wrong_types(cases, c, s, h, {"request": "listparticipants", "room": room}, {"room": INT}, 414)
        await wrong_types(cases, c, s, h, {"request": "allowed", "room": room, "secret": "ts",
                                           "action": "add", "allowed": ["x"]},
                          {"room": INT, "secret": STR, "action": STR, "allowed": ARR}, 414)
        await wrong_types(cases, c, s, h, {"request": "kick", "room": room, "secret": "ts",
                                           "username": "x"},
                          {"room": INT, "secret": STR, "username": STR}, 414)
        await wrong_types(cases, c, s, h, {"request": "announcement", "room": room, "secret": "ts",
                                           "text": "x"},
                          {"room": INT, "secret": STR, "text": STR}, 414)
        # The same over the data channel, plus join / message.
        ps, ph, pc, dc, inbox = await textroom_peer(c)
        try:
            n0 = cases.n
            async def dc_cases(base, fields):
                for field, typ in fields.items():
                    for bad in WRONG[typ]:
                        m = await dc_req(dc, inbox, {**base, field: bad})
                        cases.check(f"dc {base['textroom']}.{field}={json.dumps(bad)}", m, 414)
            m = await dc_req(dc, inbox, {"textroom": 7})
            cases.check("dc textroom=7", m, 414)
            await dc_cases({"textroom": "join", "room": room, "username": "u1", "pin": "tp"},
                           {"room": INT, "username": STR, "display": STR, "pin": STR, "token": STR,
                            "history": BOOL})
            await dc_cases({"textroom": "exists", "room": room}, {"room": INT})
            await dc_cases({"textroom": "create", "admin_key": TR_ADMIN_KEY},
                           {"room": INT, "description": STR, "secret": STR, "is_private": BOOL})
            m = await dc_req(dc, inbox, {"textroom": "join", "room": room, "username": "u1", "pin": "tp"})
            assert m.get("textroom") == "success", m
            await dc_cases({"textroom": "message", "room": room, "text": "hi"},
                           {"room": INT, "text": STR, "to": STR, "tos": ARR, "ack": BOOL})
            await dc_cases({"textroom": "leave", "room": room}, {"room": INT})
            print(f"  textroom data channel: {cases.n - n0} cases")
            m = await dc_req(dc, inbox, {"textroom": "message", "room": room, "text": "still here"})
            assert m.get("textroom") == "success", m
        finally:
            await pc.close()
        await still_serving(c)
    cases.done("textroom")


async def test_textroom_auth_matrix():
    async with SRV.ws() as c:
        s, h = await c.session_handle(plugin=TR)
        for extra, code in (({}, 413), ({"admin_key": "wrong"}, 419)):
            d, _ = await plugin_req(c, s, h, {"request": "create", **extra})
            assert code_of(d) == code, f"create {extra}: {d}"
        d, _ = await plugin_req(c, s, h, {"request": "create", "admin_key": TR_ADMIN_KEY, "secret": "ts",
                                          "pin": "tp"})
        room = d["room"]
        manage = [
            {"request": "edit", "room": room, "new_description": "pwned"},
            {"request": "destroy", "room": room},
            {"request": "kick", "room": room, "username": "u1"},
            {"request": "announcement", "room": room, "text": "pwned"},
            {"request": "allowed", "room": room, "action": "add", "allowed": ["x"]},
        ]
        for body in manage:
            for extra, code in (({}, 413), ({"secret": "wrong"}, 419), ({"secret": "t"}, 419)):
                d, _ = await plugin_req(c, s, h, {**body, **extra})
                assert code_of(d) == code, f"{body['request']} {extra}: {d}"
        d, _ = await plugin_req(c, s, h, {"request": "exists", "room": room})
        assert d.get("exists") is True, d
        ps, ph, pc, dc, inbox = await textroom_peer(c)
        try:
            for extra, code in (({}, 413), ({"pin": "wrong"}, 419)):
                m = await dc_req(dc, inbox, {"textroom": "join", "room": room, "username": "u1", **extra})
                assert code_of(m) == code, f"join {extra}: {m}"
            # Over the data channel too, managing needs the secret.
            m = await dc_req(dc, inbox, {"textroom": "destroy", "room": room, "secret": "wrong"})
            assert code_of(m) == 419, m
            m = await dc_req(dc, inbox, {"textroom": "join", "room": room, "username": "u1", "pin": "tp"})
            assert m.get("textroom") == "success", m
        finally:
            await pc.close()
        d, _ = await plugin_req(c, s, h, {"request": "destroy", "room": room, "secret": "ts"})
        assert d.get("textroom") == "destroyed", d


# ---- EchoTest --------------------------------------------------------------------------

ECHO_FIELDS = {"audio": BOOL, "video": BOOL, "bitrate": INT, "substream": INT, "temporal": INT,
               "fallback": INT, "audiocodec": STR, "videocodec": STR, "videoprofile": STR,
               "opusred": BOOL, "min_delay": INT, "max_delay": INT, "record": BOOL,
               "filename": STR, "spatial_layer": INT, "temporal_layer": INT, "svc": BOOL}


async def test_echotest_wrong_types():
    cases = Cases()
    async with SRV.ws() as c:
        s, h = await c.session_handle(plugin=ECHO)
        await wrong_types(cases, c, s, h, {"request": "configure", "audio": True}, ECHO_FIELDS, 413,
                          label="echotest")
        d, _ = await plugin_req(c, s, h, {"audio": True})
        assert d.get("result") == "ok", d
        await still_serving(c)
    cases.done("echotest")


# ---- huge and out-of-range integers ------------------------------------------------------

async def test_out_of_range_integers():
    """Integers stored in narrower fields are refused, not wrapped (2^32 publishers must
    not become 0); 64-bit IDs are looked up, not truncated; beyond int64 is invalid JSON."""
    async with SRV.ws() as c:
        s, h = await c.session_handle(plugin=VR)
        for field, val in (("publishers", 2**32), ("publishers", 2**31), ("fir_freq", 2**40),
                           ("publishers", 2**63 - 1)):
            d, _ = await plugin_req(c, s, h, {"request": "create", "admin_key": ADMIN_KEY, field: val})
            assert code_of(d) == 430, f"create {field}={val}: {d}"
        d, _ = await plugin_req(c, s, h, {"request": "create", "admin_key": ADMIN_KEY, "secret": "z",
                                          "publishers": 2**31 - 1, "bitrate": 2**62})
        assert d.get("videoroom") == "created", d
        room = d["room"]
        for field in ("new_publishers", "new_fir_freq"):
            d, _ = await plugin_req(c, s, h, {"request": "edit", "room": room, "secret": "z", field: 2**32})
            assert code_of(d) == 430, f"edit {field}: {d}"
        d, _ = await plugin_req(c, s, h, {"request": "exists", "room": 2**63 - 1})
        assert d.get("exists") is False, d
        d, _ = await plugin_req(c, s, h, {"request": "exists", "room": room + 2**60})
        assert d.get("exists") is False, d
        d, _ = await plugin_req(c, s, h, {"request": "join", "ptype": "subscriber", "room": room,
                                          "streams": [{"feed": 2**63 - 1}]})
        assert code_of(d) == 428, d
        await c.send('{"janus":"message","transaction":"big","session_id":%d,"handle_id":%d,'
                     '"body":{"request":"exists","room":18446744073709551616}}' % (s, h))
        r = await c.wait(lambda m: m.get("transaction") == "big" or m.get("janus") == "error")
        sy.check_error(r, 454)
        d, _ = await plugin_req(c, s, h, {"request": "destroy", "room": room, "secret": "z"})
        assert d.get("videoroom") == "destroyed", d
        # TextRoom history and room IDs.
        s2, h2 = await c.session_handle(plugin=TR)
        d, _ = await plugin_req(c, s2, h2, {"request": "create", "admin_key": TR_ADMIN_KEY, "history": 2**40})
        assert code_of(d) == 414, d
        d, _ = await plugin_req(c, s2, h2, {"request": "exists", "room": 2**63 - 1})
        assert d.get("exists") is False, d
        # EchoTest layers and bitrate: clamped, accepted.
        s3, h3 = await c.session_handle(plugin=ECHO)
        d, _ = await plugin_req(c, s3, h3, {"substream": 2**31, "temporal": 2**32 + 1, "fallback": 2**40,
                                            "bitrate": 2**62})
        assert d.get("result") == "ok", d
        await still_serving(c)


if __name__ == "__main__":
    sy.run(globals())
