#!/usr/bin/env python3
"""VideoRoom over the HTTP/REST transport: synchronous requests in the POST reply,
asynchronous ones as "ack" then an event fetched with a long poll (the same
transaction), both reply conventions of janus-api.md 2.1."""

import sy

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


if __name__ == "__main__":
    sy.run(globals())
