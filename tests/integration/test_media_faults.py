#!/usr/bin/env python3
"""Media-plane faults and attacks against a live EchoTest call (aiortc peer).

security.md section 1 (fingerprints, "drop media until ICE+DTLS are complete", SRTP) and
section 6 rows 3, 4, 6, 7, 21, 26:
  - a certificate that does not match a=fingerprint, an md5-only or missing fingerprint:
    no media, the call is torn down (or the offer refused);
  - DTLS ClientHellos, plaintext RTP and garbage SRTP/RTCP from a third address (127.0.0.2)
    before DTLS completes and mid-call: the call survives, nothing reaches the attacker,
    nothing the attacker sent is echoed;
  - SRTP replayed from the peer's own (ICE-validated) tuple: dropped and counted, no hangup;
  - DTLS close_notify: prompt hangup; a peer that silently vanishes (blackholed socket):
    hangup by consent freshness (RFC 7675) after ~30 s, then the server stays silent."""

import asyncio
import os
import random
import re
import struct
import time

import sy

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from aiortc.rtcdtlstransport import RTCDtlsTransport

from aiortc_peer import BITS, CounterTrack, read_counter  # also applies the aiortc patches

ECHO = "janus.plugin.echotest"
SRV = sy.Server("mediafaults", http_admin={"admin_http": True, "admin_ip": "127.0.0.1",
                                           "admin_port": 7088, "admin_base_path": "/admin"})
MARKER = b"SY-ATTACKER-PAYLOAD"
ATTACK_SSRC = 0x5AD0BAD0

# Every RTP packet aiortc decrypts (i.e. everything the server echoed), for all peers.
RX = {"rtp": 0, "marked": 0}
_orig_handle_rtp = RTCDtlsTransport._handle_rtp_data


async def _spy_handle_rtp(self, data, arrival_time_ms):
    RX["rtp"] += 1
    if MARKER in data:
        RX["marked"] += 1
    await _orig_handle_rtp(self, data, arrival_time_ms)

RTCDtlsTransport._handle_rtp_data = _spy_handle_rtp

# Outgoing datagrams of a StunProtocol that has a `sy_capture` list are copied into it.
_orig_send_data = aioice.ice.StunProtocol.send_data


async def _spy_send_data(self, data, addr):
    cap = getattr(self, "sy_capture", None)
    if cap is not None and is_rtp(data) and len(cap) < 400:
        cap.append(bytes(data))
    await _orig_send_data(self, data, addr)

aioice.ice.StunProtocol.send_data = _spy_send_data


def is_rtp(d):
    return len(d) >= 12 and 128 <= d[0] <= 191 and not 64 <= (d[1] & 0x7F) <= 95


class Call:
    """One aiortc peer on an EchoTest handle, driven step by step."""

    def __init__(self, c):
        self.c = c
        self.pc = RTCPeerConnection()
        self.frames = []          # (monotonic time, echoed counter)
        self.audio = 0
        self.tasks = []
        self.s = self.h = None
        self.offer_sdp = self.answer_sdp = None

        @self.pc.on("track")
        def on_track(track):
            self.tasks.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track):
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    n = read_counter(frame)
                    if n is not None:
                        self.frames.append((time.monotonic(), n))
                else:
                    self.audio += 1
        except Exception:  # noqa: BLE001 - the track ends with the call
            pass

    async def offer(self, mutate=None):
        """Sends the (optionally rewritten) offer; returns the synchronous reply."""
        self.s, self.h = await self.c.session_handle(plugin=ECHO)
        self.pc.addTrack(AudioStreamTrack())
        self.pc.addTrack(CounterTrack())
        await self.pc.setLocalDescription(await self.pc.createOffer())
        sdp = self.pc.localDescription.sdp
        self.offer_sdp = mutate(sdp) if mutate else sdp
        return await self.c.message(self.s, self.h, {"audio": True, "video": True},
                                    jsep={"type": "offer", "sdp": self.offer_sdp})

    async def answer(self, reply):
        assert reply.get("janus") == "ack", f"offer not acknowledged: {reply}"
        ev = await self.c.event("event", timeout=10, transaction=reply["transaction"], sender=self.h)
        assert ev["plugindata"]["data"] == {"echotest": "event", "result": "ok"}, ev
        assert ev.get("jsep", {}).get("type") == "answer", ev
        self.answer_sdp = ev["jsep"]["sdp"]
        return self.answer_sdp

    async def apply_answer(self):
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=self.answer_sdp, type="answer"))

    async def start(self):
        """A complete, healthy call: offer, answer, webrtcup, echoed frames flowing."""
        await self.answer(await self.offer())
        await self.apply_answer()
        await self.c.event("webrtcup", timeout=10, sender=self.h, session_id=self.s)
        await self.wait_frames(15, 8)

    async def wait_frames(self, n, timeout, since=0.0):
        deadline = time.monotonic() + timeout
        while len(self.after(since)) < n:
            assert time.monotonic() < deadline, \
                f"only {len(self.after(since))} echoed frames within {timeout} s (wanted {n})"
            await asyncio.sleep(0.1)

    def after(self, t):
        return [n for (ts, n) in self.frames if ts >= t]

    def server_ports(self):
        ports = re.findall(r"a=candidate:\S+ 1 (?i:udp) \d+ 127\.0\.0\.1 (\d+) typ host", self.answer_sdp)
        assert ports, f"no 127.0.0.1 host candidate in the answer:\n{self.answer_sdp}"
        return sorted({int(p) for p in ports})

    def sent(self, janus):
        return [m for m in self.c.msgs if m.get("janus") == janus and m.get("sender") == self.h]

    def ice_connections(self):
        return [t._connection for t in self.pc._RTCPeerConnection__iceTransports]

    async def handle_info(self):
        r = await SRV.admin({"janus": "handle_info"}, path=f"/{self.s}/{self.h}")
        assert r.get("janus") == "success", r
        return r["info"]

    async def api_hangup(self):
        r = await self.c.request({"janus": "hangup", "session_id": self.s, "handle_id": self.h})
        assert r.get("janus") == "success", r
        hang = await self.c.event("hangup", timeout=5, sender=self.h)
        assert hang["reason"] == "Janus API", hang

    async def close(self):
        await self.pc.close()
        for t in self.tasks:
            t.cancel()


def random_fingerprint(nbytes=32):
    return ":".join(f"{random.randrange(256):02X}" for _ in range(nbytes))


def set_fingerprint(sdp, line):
    """Replaces every a=fingerprint line (line=None removes them)."""
    out = re.sub(r"a=fingerprint:[^\r\n]*\r\n", (line + "\r\n") if line else "", sdp)
    assert out != sdp, "the aiortc offer has no a=fingerprint line"
    return out


async def expect_dtls_hangup_without_media(call, what):
    hang = await call.c.event("hangup", timeout=15, sender=call.h)
    print(f"  {what}: hangup {hang}")
    assert isinstance(hang.get("reason"), str) and hang["reason"].startswith("DTLS"), \
        f"{what}: hangup reason should start with 'DTLS': {hang}"
    await asyncio.sleep(1.5)  # anything the server would still send arrives now
    assert not call.sent("webrtcup"), f"{what}: webrtcup sent: {call.sent('webrtcup')}"
    assert not call.sent("media"), f"{what}: media event sent: {call.sent('media')}"
    assert not call.frames, f"{what}: {len(call.frames)} echoed frames decoded"
    assert RX["rtp"] == 0, f"{what}: aiortc decrypted {RX['rtp']} RTP packets from the server"
    done = [m for m in call.sent("event")
            if m.get("plugindata", {}).get("data") == {"echotest": "event", "result": "done"}]
    print(f"  {what}: echotest 'done' event {'sent' if done else 'not sent'}")


# ---- 1. fingerprints ---------------------------------------------------------------------

@sy.timeout(40)
async def test_fingerprint_mismatch_no_media_and_dtls_hangup():
    RX.update(rtp=0, marked=0)
    async with SRV.ws() as c:
        call = Call(c)
        try:
            fake = random_fingerprint()
            await call.answer(await call.offer(
                lambda sdp: set_fingerprint(sdp, f"a=fingerprint:sha-256 {fake}")))
            await call.apply_answer()
            await expect_dtls_hangup_without_media(call, "sha-256 mismatch")
        finally:
            await call.close()


@sy.timeout(60)
async def test_md5_or_missing_fingerprint_refused_or_no_media():
    for variant in ("md5", "none"):
        RX.update(rtp=0, marked=0)
        async with SRV.ws() as c:
            call = Call(c)
            try:
                # The md5 digest of aiortc's real certificate: correct, but a forbidden hash.
                md5 = call.pc._RTCPeerConnection__certificates[0]._cert.digest("md5").decode()
                line = f"a=fingerprint:md5 {md5}" if variant == "md5" else None
                r = await call.offer(lambda sdp: set_fingerprint(sdp, line))
                if r.get("janus") == "error":
                    sy.check_error(r, 465)
                    print(f"  {variant}: offer refused: {r['error']}")
                    await asyncio.sleep(1.0)
                    assert not call.sent("webrtcup") and not call.frames and RX["rtp"] == 0
                    assert not [m for m in call.sent("event") if m.get("jsep")], call.sent("event")
                else:
                    assert r.get("janus") == "ack", f"{variant}: neither ack nor error 465: {r}"
                    await call.answer(r)
                    await call.apply_answer()
                    await expect_dtls_hangup_without_media(call, variant)
            finally:
                await call.close()


# ---- 2. off-path injection from 127.0.0.2 ------------------------------------------------

def _u16(n):
    return struct.pack("!H", n)


def _ext(kind, data):
    return _u16(kind) + _u16(len(data)) + data


def client_hello(suites, size):
    """A DTLS 1.2 ClientHello record (epoch 0, no cookie), padded to about `size` bytes."""
    cs = b"".join(_u16(s) for s in suites)
    exts = (_ext(0x000E, b"\x00\x02\x00\x01\x00")        # use_srtp AES_CM_128_HMAC_SHA1_80
            + _ext(0x000A, b"\x00\x02\x00\x17")          # supported_groups P-256
            + _ext(0x000B, b"\x01\x00")                  # ec_point_formats
            + _ext(0x000D, b"\x00\x02\x04\x03")          # signature_algorithms
            + _ext(0x0017, b"") + _ext(0xFF01, b"\x00"))  # EMS, renegotiation_info
    body = b"\xfe\xfd" + os.urandom(32) + b"\x00" + b"\x00" + _u16(len(cs)) + cs + b"\x01\x00"
    pad = max(0, size - 13 - 12 - len(body) - 2 - len(exts) - 4)
    exts += _ext(0x0015, bytes(pad))
    body += _u16(len(exts)) + exts
    n = struct.pack("!I", len(body))[1:]
    hs = b"\x01" + n + b"\x00\x00" + b"\x00\x00\x00" + n + body
    return b"\x16\xfe\xfd" + b"\x00\x00" + bytes(6) + _u16(len(hs)) + hs


def rtp(pt, seq, ssrc, payload, marker=False):
    return (struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                        random.getrandbits(32), ssrc) + payload)


class Sink(asyncio.DatagramProtocol):
    def __init__(self):
        self.got = []

    def datagram_received(self, data, addr):
        self.got.append((addr, data[:24].hex()))


class Attacker:
    def __init__(self, call):
        self.ports = call.server_ports()
        self.pt = int(re.search(r"m=video \d+ \S+ (\d+)", call.offer_sdp).group(1))
        self.ssrcs = [int(x) for x in set(re.findall(r"a=ssrc:(\d+) ", call.offer_sdp))]
        self.sent = 0

    async def open(self):
        loop = asyncio.get_running_loop()
        self.tr, self.sink = await loop.create_datagram_endpoint(Sink, local_addr=("127.0.0.2", 0))
        # Control: the sink does receive what is sent to it (so "nothing arrived" means something).
        probe, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                       local_addr=("127.0.0.1", 0))
        probe.sendto(b"probe", self.tr.get_extra_info("sockname"))
        await asyncio.sleep(0.1)
        probe.close()
        assert len(self.sink.got) == 1, f"the attacker socket cannot receive: {self.sink.got}"
        self.sink.got.clear()
        return self

    def send(self, pkt):
        for port in self.ports:
            self.tr.sendto(pkt, ("127.0.0.1", port))
            self.sent += 1

    def hellos(self):
        self.send(client_hello([0x0000], 300))  # TLS_NULL_WITH_NULL_NULL (ES2023-01 style)
        self.send(client_hello([0xC02B, 0xC02C, 0xC009, 0xC00A, 0x0000], 400))

    def burst(self, n=200):
        self.hellos()
        seq = random.getrandbits(16)
        for i in range(n):  # plaintext RTP carrying a marker the echo must never contain
            ssrc = ATTACK_SSRC if i % 2 else random.choice(self.ssrcs)
            self.send(rtp(self.pt, seq + i, ssrc, MARKER * 20, marker=i % 10 == 9))
        for i in range(n):  # "SRTP" with random bytes (and a fake 10-byte tag)
            ssrc = random.choice(self.ssrcs) if i % 2 else random.getrandbits(32)
            self.send(rtp(self.pt, seq + 1000 + i, ssrc, os.urandom(random.randrange(20, 1100))))
        for i in range(20):  # garbage SRTCP (SR header + random)
            self.send(struct.pack("!BBH", 0x80, 200, 6) + os.urandom(60))

    async def spray(self, seconds):
        """A burst, then ClientHellos and a few packets every 20 ms (covers ICE and DTLS)."""
        self.burst()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.hellos()
            self.burst(5)
            await asyncio.sleep(0.02)


@sy.timeout(60)
async def test_offpath_injection_does_not_disturb_call():
    RX.update(rtp=0, marked=0)
    async with SRV.ws() as c:
        call = Call(c)
        atk = None
        try:
            await call.answer(await call.offer())
            atk = await Attacker(call).open()
            spray = asyncio.ensure_future(atk.spray(2.0))  # before, during and after ICE+DTLS
            await asyncio.sleep(0)
            await call.apply_answer()
            await c.event("webrtcup", timeout=10, sender=call.h, session_id=call.s)
            await spray
            await call.wait_frames(15, 8)
            t_inj = time.monotonic()
            last_before = call.frames[-1][1]
            atk.burst()
            await asyncio.sleep(0.5)
            atk.burst()
            await call.wait_frames(30, 8, since=t_inj + 0.6)
            await asyncio.sleep(1.0)
            later = call.after(t_inj + 0.6)
            print(f"  sent {atk.sent} attack datagrams to port(s) {atk.ports}; "
                  f"{len(later)} echoed frames after the mid-call burst "
                  f"({later[:3]}..{later[-3:]}), last before {last_before}")
            ups = sum(1 for a, b in zip(later, later[1:]) if 0 < (b - a) % (1 << BITS) < 100)
            assert ups >= 0.8 * (len(later) - 1), f"echoed counters stopped increasing: {later}"
            assert (later[-1] - last_before) % (1 << BITS) >= 25, (last_before, later)
            assert not call.sent("hangup"), f"call hung up: {call.sent('hangup')}"
            assert not atk.sink.got, f"the attacker received {len(atk.sink.got)} datagrams: " \
                                     f"{atk.sink.got[:5]}"
            assert RX["rtp"] > 100, f"the echo spy saw only {RX['rtp']} RTP packets"
            assert RX["marked"] == 0, f"{RX['marked']} attacker RTP packets were echoed to the peer"
            info = await call.handle_info()
            webrtc = info.get("webrtc")
            assert isinstance(webrtc, dict), f"no PeerConnection in handle_info: {info}"
            drops = {k: v for k, v in webrtc.items() if k.startswith("dropped")}
            print(f"  handle_info webrtc: webrtc-up={webrtc.get('webrtc-up')} "
                  f"pair={webrtc.get('selected-pair')!r} drops={drops}")
            if "webrtc-up" in webrtc:
                assert webrtc["webrtc-up"] is True, webrtc
            if "selected-pair" in webrtc:
                assert "127.0.0.2" not in webrtc["selected-pair"], webrtc
            for k, v in drops.items():
                assert isinstance(v, int) and v >= 0, (k, v)
            await call.api_hangup()
        finally:
            if atk is not None:
                atk.tr.close()
            await call.close()


# ---- 3. replay from the peer's own tuple -------------------------------------------------

@sy.timeout(40)
async def test_srtp_replay_from_peer_tuple_dropped():
    RX.update(rtp=0, marked=0)
    async with SRV.ws() as c:
        call = Call(c)
        try:
            await call.start()
            (conn,) = call.ice_connections()
            protos = list(conn._protocols)
            for p in protos:
                p.sy_capture = []
            await asyncio.sleep(1.5)
            captured = [d for p in protos for d in p.sy_capture]
            for p in protos:
                p.sy_capture = None
            assert len(captured) >= 50, f"captured only {len(captured)} outgoing SRTP packets"
            before = (await call.handle_info())["webrtc"]
            t_rep = time.monotonic()
            for rnd in range(2):
                for d in captured:  # same 5-tuple as the real media: ICE cannot filter it
                    await conn.send(d)
                await asyncio.sleep(0.1)
            await call.wait_frames(30, 8, since=t_rep + 0.3)
            after = (await call.handle_info())["webrtc"]
            later = call.after(t_rep + 0.3)
            delta = sum(after[k] - before[k] for k in ("dropped-srtp", "dropped-replay"))
            print(f"  replayed {len(captured)} packets x2; dropped-srtp+replay delta {delta} "
                  f"(replay {after['dropped-replay'] - before['dropped-replay']}); "
                  f"{len(later)} echoed frames afterwards")
            assert not call.sent("hangup"), f"replay hung the call up: {call.sent('hangup')}"
            ups = sum(1 for a, b in zip(later, later[1:]) if 0 < (b - a) % (1 << BITS) < 100)
            assert ups >= 0.8 * (len(later) - 1), f"echoed counters stopped increasing: {later}"
            assert delta >= 2 * len(captured), \
                f"only {delta} of {2 * len(captured)} replayed packets counted as SRTP drops"
            await call.api_hangup()
        finally:
            await call.close()


# ---- 4. the peer goes away ---------------------------------------------------------------

@sy.timeout(30)
async def test_dtls_close_notify_hangs_up_promptly():
    async with SRV.ws() as c:
        call = Call(c)
        try:
            await call.start()
            t0 = time.monotonic()
            await call.pc.close()  # aiortc sends a DTLS close_notify alert
            hang = await c.event("hangup", timeout=5, sender=call.h)
            print(f"  hangup after {time.monotonic() - t0:.2f} s: {hang}")
            assert str(hang.get("reason", "")).startswith("DTLS"), hang
            ev = await c.event("event", timeout=5, sender=call.h, transaction=None)
            assert ev["plugindata"]["data"] == {"echotest": "event", "result": "done"}, ev
        finally:
            await call.close()


class Blackhole:
    """Stands in for a StunProtocol's transport: swallows everything sent."""

    def __init__(self, real):
        self.real = real

    def sendto(self, data, addr=None):
        pass

    def close(self):
        self.real.close()


@sy.timeout(90)
async def test_vanished_peer_consent_timeout():
    async with SRV.ws() as c:
        call = Call(c)
        saved = []
        rx = []
        try:
            await call.start()
            (conn,) = call.ice_connections()
            # Silence the peer without a word: no DTLS alert, no STUN answers, no media;
            # the socket stays open (no ICMP) and counts what the server still sends.
            if conn._query_consent_handle is not None:
                conn._query_consent_handle.cancel()  # aioice's own consent would close it
            for p in conn._protocols:
                saved.append((p, p.transport))
                p.transport = Blackhole(p.transport)
                p.datagram_received = lambda data, addr: rx.append(time.monotonic())
            t0 = time.monotonic()
            hang = None
            while hang is None and time.monotonic() - t0 < 47:
                try:
                    hang = await c.event("hangup", timeout=8, sender=call.h)
                except AssertionError:
                    r = await c.request({"janus": "keepalive", "session_id": call.s})
                    assert r.get("janus") == "ack", f"session lost while waiting: {r}"
            elapsed = time.monotonic() - t0
            assert hang is not None, f"no hangup {elapsed:.1f} s after the peer vanished " \
                                     f"(consent freshness should end the call at ~30 s)"
            print(f"  hangup {elapsed:.1f} s after the peer vanished: {hang}; "
                  f"{len(rx)} datagrams from the server meanwhile")
            reason = str(hang.get("reason", ""))
            assert "ICE" in reason or "consent" in reason.lower(), f"unexpected reason: {hang}"
            ev = await c.event("event", timeout=5, sender=call.h, transaction=None)
            assert ev["plugindata"]["data"] == {"echotest": "event", "result": "done"}, ev
            t_h = time.monotonic()
            await asyncio.sleep(3.5)
            late = [t - t_h for t in rx if t > t_h + 0.5]
            assert not late, f"the server sent {len(late)} datagrams to the vanished peer " \
                             f"after hanging up (at +{late[:5]} s)"
            info = await call.handle_info()
            assert info.get("webrtc") is None, f"PeerConnection still present: {info.get('webrtc')}"
            # Last: RFC 7675 5.1 and security.md row 26 -- consent expires 30 s after the last
            # response (which came 0-6 s before the blackhole), not on a short liveness timer.
            assert 20.0 <= elapsed <= 45.0, \
                f"hangup {elapsed:.1f} s after the peer vanished (consent expiry is 30 s)"
        finally:
            for p, real in saved:
                p.transport = real
            await call.close()


if __name__ == "__main__":
    sy.run(globals())
