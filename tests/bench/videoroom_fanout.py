#!/usr/bin/env python3
"""Server CPU per forwarded VideoRoom packet (issue 4's closing number), by hand, not a
ctest: one aiortc publisher (audio + 320x240 counter video) and N aiortc subscribers
(VR_FANOUT, default 5) for VR_SECONDS (default 10) of steady forwarding. Meant to run
with the server under callgrind, counting only the media receive path (pc_on_rtp: SRTP
unprotect, bookkeeping, the plugin's fan-out with seq/ts/VP8 rewriting, and per
subscriber the header rebuild, SRTP protect and send):

  SY_SERVER_WRAPPER="valgrind --tool=callgrind --callgrind-out-file=/tmp/vr.cg \\
      --collect-atstart=no --toggle-collect=pc_on_rtp" \\
  SY_BUILD_DIR=$PWD/build /usr/bin/python3 tests/bench/videoroom_fanout.py

then: instructions (callgrind_annotate /tmp/vr.cg | head) / forwarded packets (printed).
"""
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

import sy  # noqa: E402
from test_videoroom_aiortc import call, data_of  # noqa: E402
from test_videoroom_more import MultiReceiver, join_and_publish  # noqa: E402

SERVER = sy.Server("videoroom_bench")
N = int(os.environ.get("VR_FANOUT", "5"))
SECONDS = float(os.environ.get("VR_SECONDS", "10"))


async def packets_out(s, h):
    info = await SERVER.admin({"janus": "handle_info", "session_id": s, "handle_id": h})
    return sum(st["packets-out"] for st in info["info"]["webrtc"]["streams"])


async def packets_in(s, h):
    info = await SERVER.admin({"janus": "handle_info", "session_id": s, "handle_id": h})
    return sum(st["packets-in"] for st in info["info"]["webrtc"]["streams"])


@sy.timeout(600)
async def test_fanout():
    async with SERVER.ws(open_timeout=60) as c:
        s0, h0 = await c.session_handle(plugin=VR)
        room = data_of(await c.message(s0, h0, {"request": "create", "room": 9001,
                                                 "publishers": 2}))["room"]
        s, h, pid, pc = await join_and_publish(c, room, "pub")
        subs = []
        try:
            for _ in range(N):
                ss, sh = await c.session_handle(plugin=VR)
                ev = await call(c, ss, sh, {"request": "join", "ptype": "subscriber", "room": room,
                                            "streams": [{"feed": pid}]}, timeout=60)
                rx = MultiReceiver()
                await call(c, ss, sh, {"request": "start"}, jsep=await rx.answer(ev["jsep"]["sdp"]),
                           timeout=60)
                subs.append((ss, sh, rx))
            await asyncio.sleep(3)
            out0 = [await packets_out(ss, sh) for ss, sh, _ in subs]
            in0 = await packets_in(s, h)
            await asyncio.sleep(SECONDS)
            out1 = [await packets_out(ss, sh) for ss, sh, _ in subs]
            in1 = await packets_in(s, h)
            fwd = sum(out1) - sum(out0)
            print(f"  steady {SECONDS:.0f} s: publisher sent {in1 - in0} packets, forwarded "
                  f"{fwd} to {N} subscribers; total since start: in {in1}, out {sum(out1)}")
            print(f"  frames decoded per subscriber: {[len(rx.counts.get('1', [])) for _, _, rx in subs]}")
        finally:
            await pc.close()
            for _, _, rx in subs:
                await rx.close()


VR = "janus.plugin.videoroom"

if __name__ == "__main__":
    sy.run(globals())
