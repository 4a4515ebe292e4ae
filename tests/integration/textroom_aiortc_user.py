#!/usr/bin/env python3
"""A TextRoom user on aiortc, driven through stdin/stdout (used by
node/test_textroom_chromium.mjs to put a non-browser peer in the same room as Chromium).

    /usr/bin/python3 tests/integration/textroom_aiortc_user.py USERNAME [DISPLAY]

Talks to ws://127.0.0.1:8188 (janus-protocol): create, attach janus.plugin.textroom,
"setup" (the server offers m=application), answers with "ack", opens its own data
channel and joins room 1234 as USERNAME (transaction "join"). Then:
  - stdout: every TextRoom message received on the data channel, one JSON object per
    line (the join reply first: {"textroom":"success","transaction":"join",...});
  - stdin: one JSON object per line, sent as is on the data channel (a "transaction" is
    added when missing, "room" defaults to 1234); e.g.
        {"textroom":"message","text":"hi","to":"alice"}
  - EOF on stdin: leaves, destroys the session, closes the peer connection, exits 0.
Diagnostics go to stderr; exit code 1 on any failure. Must run where 127.0.0.1 reaches
the server (the test's network namespace)."""

import asyncio
import itertools
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import websockets  # noqa: E402
from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402

import aiortc_peer  # noqa: E402,F401 - the loopback patches

URL = "ws://127.0.0.1:8188/"
ROOM = 1234
_tx = itertools.count(1)


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def log(*a):
    print("textroom_aiortc_user:", *a, file=sys.stderr, flush=True)


class Janus:
    def __init__(self, ws):
        self.ws = ws
        self.waiters = {}
        self.events = asyncio.Queue()

    async def reader(self):
        async for raw in self.ws:
            m = json.loads(raw)
            t = m.get("transaction")
            if m.get("janus") == "ack" and t in self.waiters and self.waiters[t][1]:
                continue  # the event carrying the result follows
            if t in self.waiters:
                self.waiters.pop(t)[0].set_result(m)
            else:
                await self.events.put(m)

    async def request(self, msg, wait_event=False, timeout=10):
        t = f"u{next(_tx)}"
        fut = asyncio.get_running_loop().create_future()
        self.waiters[t] = (fut, wait_event)
        await self.ws.send(json.dumps({**msg, "transaction": t}))
        r = await asyncio.wait_for(fut, timeout)
        if r.get("janus") == "error":
            raise RuntimeError(f"{msg.get('janus')}: {r}")
        return r


async def main(username, display):
    async with websockets.connect(URL, subprotocols=["janus-protocol"], max_size=None) as ws:
        j = Janus(ws)
        reader = asyncio.ensure_future(j.reader())
        pc = RTCPeerConnection()
        try:
            s = (await j.request({"janus": "create"}))["data"]["id"]
            h = (await j.request({"janus": "attach", "session_id": s,
                                  "plugin": "janus.plugin.textroom"}))["data"]["id"]

            async def keepalive():
                while True:
                    await asyncio.sleep(20)
                    await ws.send(json.dumps({"janus": "keepalive", "session_id": s,
                                              "transaction": f"k{next(_tx)}"}))
            ka = asyncio.ensure_future(keepalive())

            r = await j.request({"janus": "message", "session_id": s, "handle_id": h,
                                 "body": {"request": "setup"}}, wait_event=True)
            assert r.get("jsep", {}).get("type") == "offer", r
            await pc.setRemoteDescription(RTCSessionDescription(sdp=r["jsep"]["sdp"], type="offer"))
            dc = pc.createDataChannel("JanusDataChannel")
            opened = asyncio.Event()
            dc.on("open", opened.set)

            @dc.on("message")
            def on_message(m):
                try:
                    out(json.loads(m))
                except ValueError:
                    log("not JSON on the channel:", m[:200])

            await pc.setLocalDescription(await pc.createAnswer())
            r = await j.request({"janus": "message", "session_id": s, "handle_id": h,
                                 "body": {"request": "ack"},
                                 "jsep": {"type": "answer", "sdp": pc.localDescription.sdp}},
                                wait_event=True)
            assert r["plugindata"]["data"].get("result") == "ok", r
            await asyncio.wait_for(opened.wait(), 20)
            join = {"textroom": "join", "transaction": "join", "room": ROOM, "username": username}
            if display:
                join["display"] = display
            dc.send(json.dumps(join))

            loop = asyncio.get_running_loop()
            stdin = asyncio.StreamReader()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
            while True:
                line = await stdin.readline()
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                msg = json.loads(line)
                msg.setdefault("transaction", f"m{next(_tx)}")
                msg.setdefault("room", ROOM)
                dc.send(json.dumps(msg))

            dc.send(json.dumps({"textroom": "leave", "transaction": "leave", "room": ROOM}))
            await asyncio.sleep(0.2)
            ka.cancel()
            await j.request({"janus": "destroy", "session_id": s})
        finally:
            await pc.close()
            reader.cancel()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
    except Exception as e:  # noqa: BLE001
        log(f"failed: {type(e).__name__}: {e}")
        sys.exit(1)
