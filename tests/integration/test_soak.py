#!/usr/bin/env python3
"""Teardown races at scale while media flows (security.md section 6 row 20): a soak.

Two kinds of load on one server at once, for SY_SOAK_SECONDS (default 40 s here; the
10-minute run recorded in docs/security.md sets 600 and SY_SOAK_LG_SUBS=48):
- loadgen (tools/loadgen) in a loop: one publisher and SY_SOAK_LG_SUBS subscribers (audio
  and video each: 2 x (1 + subs) streams) in a fresh room with a secret, again and again;
- an aiortc room with two publishers and two subscribers, on their own WebSockets.
Meanwhile, about once a second, a random action (seeded; the seed is printed):
destroy the loadgen room under its 50 peer connections, a publisher renegotiation
(configure with a new offer, "restart": true), a subscriber ICE restart (configure
"restart": true, the new offer answered), a detach, a publisher hangup and rejoin, the
aiortc room destroyed and rebuilt, a subscriber's WebSocket dropped. Any action may fail
(a racing teardown wins); the actors are rebuilt. The usual failure is the subscriber ICE
restart getting `configured` without an offer: the soak does not answer the unsolicited
offers a publisher's rejoin triggers, and the server then holds the restart until that
answer comes (as designed).

Pass: the server never stops answering, every action got an answer or a clean error, a
fresh publisher and subscriber still get media at the end, sessions, live handles and
descriptors return to their baseline, and the server exits 0 with no sanitizer report
(ASan+UBSan and LeakSanitizer in build-asan; ThreadSanitizer in build-tsan).
"""

import asyncio
import os
import random
import signal
import sys
import time

import sy
from aiortc import RTCPeerConnection, RTCSessionDescription

from aiortc_peer import CounterTrack  # noqa: F401 - also applies the loopback patches
from test_videoroom_aiortc import call, data_of, sync
from test_videoroom_more import MultiReceiver, join_and_publish

VR = "janus.plugin.videoroom"
SECONDS = float(os.environ.get("SY_SOAK_SECONDS", "40"))
LG_SUBS = int(os.environ.get("SY_SOAK_LG_SUBS", "6"))
SEED = int(os.environ.get("SY_SOAK_SEED", str(random.randrange(1 << 30))))
SECRET = "soak"
# SY_SOAK_LOADGEN: another loadgen binary (e.g. the plain build's, to keep a TSan run lighter).
LOADGEN = os.environ.get("SY_SOAK_LOADGEN") or os.path.join(sy.BUILD_DIR, "tools", "loadgen")

SERVER = sy.Server("soak")


def fds(srv):
    return srv.fd_count()


async def counts(srv):
    r = await srv.admin({"janus": "list_sessions"})
    st = await srv.admin({"janus": "get_status"})
    return len(r["sessions"]), st["status"]["handles_alive"]


class Pub:
    def __init__(self, room, n):
        self.room, self.n = room, n
        self.c = self.pc = None
        self.s = self.h = self.id = None

    async def start(self):
        self.c = await SERVER.ws().connect()
        self.s, self.h, self.id, self.pc = await join_and_publish(self.c, self.room, f"P{self.n}",
                                                                  video_start=self.n * 1000)

    async def stop(self):
        if self.pc:
            await self.pc.close()
        if self.c:
            await self.c.close()
        self.c = self.pc = None

    async def reneg(self):
        await self.pc.setLocalDescription(await self.pc.createOffer())
        ev = await call(self.c, self.s, self.h, {"request": "configure", "restart": True},
                        jsep={"type": "offer", "sdp": self.pc.localDescription.sdp})
        d = data_of(ev)
        assert d.get("configured") == "ok", d
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="answer"))

    async def hangup_rejoin(self):
        await self.c.request({"janus": "hangup", "session_id": self.s, "handle_id": self.h})
        await self.stop()
        await self.start()


class Sub:
    def __init__(self, room, feed_of):
        self.room, self.feed_of = room, feed_of
        self.c = self.rx = None
        self.s = self.h = None

    async def start(self):
        self.c = await SERVER.ws().connect()
        self.s, self.h = await self.c.session_handle(plugin=VR)
        ev = await call(self.c, self.s, self.h, {"request": "join", "ptype": "subscriber",
                                                 "room": self.room, "streams": [{"feed": self.feed_of()}]})
        d = data_of(ev)
        assert d.get("videoroom") == "attached", d
        self.rx = MultiReceiver()
        ev = await call(self.c, self.s, self.h, {"request": "start"},
                        jsep=await self.rx.answer(ev["jsep"]["sdp"]))
        assert data_of(ev).get("started") == "ok", ev

    async def stop(self):
        if self.rx:
            await self.rx.close()
        if self.c:
            await self.c.close()
        self.c = self.rx = None

    async def ice_restart(self):
        ev = await call(self.c, self.s, self.h, {"request": "configure", "restart": True})
        assert data_of(ev).get("configured") == "ok", ev
        assert "jsep" in ev, f"no offer with the restart: {ev}"
        pc = self.rx.pc
        await pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        ev = await call(self.c, self.s, self.h, {"request": "start"},
                        jsep={"type": "answer", "sdp": pc.localDescription.sdp})

    async def detach(self):
        await self.c.request({"janus": "detach", "session_id": self.s, "handle_id": self.h})
        await self.stop()
        await self.start()

    async def drop(self):
        self.c.abort()
        await self.stop()
        await self.start()


class Loadgen:
    """loadgen runs back to back, each in a fresh room (so that destroying it is a race
    with 2 x (1 + LG_SUBS) streams)."""

    def __init__(self):
        self.room = None
        self.proc = None
        self.runs = 0
        self.stopping = False

    async def loop(self):
        while not self.stopping:
            self.room = random.randrange(10**8, 9 * 10**8)
            self.proc = await asyncio.create_subprocess_exec(
                LOADGEN, "--url", f"ws://127.0.0.1:{SERVER.ws_port}/", "--ice-ip", "127.0.0.1",
                "--room", str(self.room), "--room-secret", SECRET, "--subs", str(LG_SUBS),
                "--duration", "20", "--setup-timeout", "30", "--join-rate", "50", "--bitrate", "300000",
                "--decrypt-sample", "0", "--quiet",
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
            await self.proc.wait()
            self.runs += 1
            self.proc = None

    async def stop(self):
        self.stopping = True
        if self.proc and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)


@sy.timeout(SECONDS + 300)
async def test_soak_random_teardowns_with_media():
    rng = random.Random(SEED)
    random.seed(SEED)
    print(f"  seed {SEED} (SY_SOAK_SEED), {SECONDS:.0f} s, loadgen {LG_SUBS} subscribers", flush=True)
    SERVER.start()
    adm = await SERVER.ws().connect()
    as_, ah = await adm.session_handle(plugin=VR)
    base_fds = fds(SERVER)
    base = await counts(SERVER)
    room = 7700

    async def make_room():
        await sync(adm, as_, ah, {"request": "create", "room": room, "secret": SECRET, "publishers": 10})

    await make_room()
    pubs = [Pub(room, i + 1) for i in range(2)]
    for p in pubs:
        await p.start()
    subs = [Sub(room, lambda i=i: pubs[i % 2].id) for i in range(2)]
    for s in subs:
        await s.start()
    lg = Loadgen()
    lg_task = asyncio.ensure_future(lg.loop())

    async def rebuild_room():
        await sync(adm, as_, ah, {"request": "destroy", "room": room, "secret": SECRET})
        for a in subs + pubs:
            await a.stop()
        await make_room()
        for a in pubs + subs:
            await a.start()

    live_at_destroy = []

    async def destroy_lg_room():
        if lg.room:
            st = await SERVER.admin({"janus": "get_status"})
            live_at_destroy.append(st["status"]["handles_alive"])
            await adm.message(as_, ah, {"request": "destroy", "room": lg.room, "secret": SECRET})
            # The next loadgen run (a fresh room) starts now rather than after this one's
            # window: the next destroy hits a full room again.
            if lg.proc and lg.proc.returncode is None:
                lg.proc.send_signal(signal.SIGINT)

    actions = {
        "destroy_loadgen_room": destroy_lg_room,
        "publisher_renegotiate": lambda: rng.choice(pubs).reneg(),
        "publisher_hangup_rejoin": lambda: rng.choice(pubs).hangup_rejoin(),
        "subscriber_ice_restart": lambda: rng.choice(subs).ice_restart(),
        "subscriber_detach": lambda: rng.choice(subs).detach(),
        "subscriber_ws_drop": lambda: rng.choice(subs).drop(),
        "room_destroy_rebuild": rebuild_room,
    }
    done = {k: 0 for k in actions}
    failed = {k: 0 for k in actions}
    t_end = time.monotonic() + SECONDS
    while time.monotonic() < t_end:
        name = rng.choice(list(actions))
        try:
            await asyncio.wait_for(actions[name](), 60)
            done[name] += 1
        except Exception as e:  # noqa: BLE001 - a racing teardown may win; rebuild the actors
            failed[name] += 1
            print(f"  {name}: {type(e).__name__}: {str(e)[:200]}", flush=True)
            await asyncio.wait_for(rebuild_room(), 120)
        r = await adm.request({"janus": "ping"}, timeout=30)
        assert r.get("janus") == "pong", r
        assert SERVER.alive(), "the server died"
        await asyncio.sleep(rng.uniform(0.2, 1.5))

    await lg.stop()
    await asyncio.wait_for(lg_task, 60)
    print(f"  actions done {done}; failed (rebuilt) {failed}; loadgen runs {lg.runs}; handles alive "
          f"when the loadgen room was destroyed: {sorted(live_at_destroy)}", flush=True)
    assert sum(done.values()) >= max(5, SECONDS / 10), done
    assert sum(failed.values()) <= sum(done.values()), (done, failed)

    # A fresh publisher and subscriber still get media.
    for a in subs + pubs:
        await a.stop()
    p = Pub(room, 9)
    await p.start()
    s = Sub(room, lambda: p.id)
    await s.start()
    deadline = time.monotonic() + 30
    while sum(s.rx.frames.values()) < 20:
        assert time.monotonic() < deadline, f"no media after the soak: {s.rx.frames}"
        await asyncio.sleep(0.2)
    await s.stop()
    await p.stop()
    await sync(adm, as_, ah, {"request": "destroy", "room": room, "secret": SECRET})

    deadline = time.monotonic() + 90
    while True:
        now = await counts(SERVER)
        if now == base and fds(SERVER) <= base_fds:
            break
        assert time.monotonic() < deadline, f"(sessions, handles alive) {now} fds {fds(SERVER)}; " \
                                            f"baseline {base} fds {base_fds}"
        await asyncio.sleep(0.5)
    await adm.close()


if __name__ == "__main__":
    sy.run(globals())
