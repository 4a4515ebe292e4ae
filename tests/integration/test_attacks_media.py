#!/usr/bin/env python3
"""Media-plane attack suite (security.md section 6), one test per table row, against
live EchoTest calls with a real aiortc peer; 127.0.0.2 is the off-path attacker.

Rows covered elsewhere (see docs/security.md for the full list):
test_media_faults.py (fingerprint mismatch / md5 / missing, replay from the peer's
tuple, consent loss at ~30 s), tests/unit/test_dtls.c (weak ClientHellos,
renegotiation, fragment floods, no certificate, no SRTP profile)."""

import asyncio
import hashlib
import hmac
import os
import random
import re
import socket
import struct
import time
import zlib

import sy

import test_media_faults as mf
from test_media_faults import BITS, MARKER, RX, Sink, client_hello, rtp, set_fingerprint

ECHO = mf.ECHO
PORT_MIN, PORT_MAX = 20000, 20199
SRV = sy.Server("attacksmedia",
                http_admin={"admin_http": True, "admin_ip": "127.0.0.1", "admin_port": 7088,
                            "admin_base_path": "/admin"},
                files={sy.CORE_FILE: {"media": {"rtp_port_min": PORT_MIN, "rtp_port_max": PORT_MAX,
                                                "denied_remote_ranges": "127.0.0.3/32"}}})
# The same policy with a libnice agent per PC (media.shared_ports = false): full ICE,
# the server sends connectivity checks to the candidates it accepts (row 24's control).
PER_PC = sy.Server("attacksmedia_perpc", ws={"ws_port": 8190}, http={"port": 8090},
                   http_admin={"admin_http": True, "admin_ip": "127.0.0.1", "admin_port": 7090,
                               "admin_base_path": "/admin"},
                   files={sy.CORE_FILE: {"media": {"shared_ports": False,
                                                   "denied_remote_ranges": "127.0.0.3/32"}}})


# Per-PC drop counts the tests observed, checked against the global block by row 25.
SEEN = {}


class Call(mf.Call):
    async def handle_info(self):
        r = await SRV.admin({"janus": "handle_info"}, path=f"/{self.s}/{self.h}")
        assert r.get("janus") == "success", r
        return r["info"]

    async def webrtc(self):
        w = (await self.handle_info()).get("webrtc")
        assert isinstance(w, dict), "no PeerConnection in handle_info"
        return w

    def dtls(self):
        return self.pc.getTransceivers()[1].sender.transport  # the (bundled) DTLS transport

    def ufrags(self):
        """(server ufrag, server pwd, client ufrag)"""
        su = re.search(r"a=ice-ufrag:(\S+)", self.answer_sdp).group(1)
        sp = re.search(r"a=ice-pwd:(\S+)", self.answer_sdp).group(1)
        cu = re.search(r"a=ice-ufrag:(\S+)", self.offer_sdp).group(1)
        return su, sp, cu

    async def wait_drops(self, base, kinds, target, timeout=20.0):
        """Paces a flood: waits until the PC has counted `target` more drops of these
        kinds than in `base` (so the kernel's socket buffer never overflows and every
        datagram sent is one the server saw). Returns the current webrtc info."""
        deadline = time.monotonic() + timeout
        while True:
            w = await self.webrtc()
            got = sum(w[k] - base[k] for k in kinds)
            if got >= target:
                return w
            assert time.monotonic() < deadline, \
                f"the server counted {got} of {target} drops ({kinds}) within {timeout} s"
            await asyncio.sleep(0.05)

    def assert_flowing(self, since, last_before, what):
        later = self.after(since)
        ups = sum(1 for a, b in zip(later, later[1:]) if 0 < (b - a) % (1 << BITS) < 100)
        assert len(later) >= 10, f"{what}: only {len(later)} echoed frames afterwards"
        assert ups >= 0.8 * (len(later) - 1), f"{what}: echoed counters stopped increasing: {later}"
        assert (later[-1] - last_before) % (1 << BITS) >= 10, (what, last_before, later[-5:])
        assert not self.sent("hangup"), f"{what}: hung up: {self.sent('hangup')}"
        return later


def current_video_seq(call):
    """The aiortc video sender's latest RTP sequence number (from its NACK history)."""
    for sender in call.pc.getSenders():
        if sender.track is not None and sender.track.kind == "video":
            hist = getattr(sender, "_RTCRtpSender__rtp_history", None)
            if hist:
                return max(hist.values(), key=lambda p: p.timestamp).sequence_number
    return None


async def counters(srv=None):
    r = await (srv or SRV).admin({"janus": "get_counters"})
    assert r.get("janus") == "success", r
    c = r["counters"]["media"]
    return c


async def wait_live(n, timeout=5.0):
    """Waits until the server has exactly n live PeerConnections; returns the counters."""
    deadline = time.monotonic() + timeout
    while True:
        c = await counters()
        if c["peer-connections-live"] == n or time.monotonic() > deadline:
            return c
        await asyncio.sleep(0.1)


def rss_kib():
    return SRV.rss_kib()


async def attacker_socket():
    loop = asyncio.get_running_loop()
    tr, sink = await loop.create_datagram_endpoint(Sink, local_addr=("127.0.0.2", 0))
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.sendto(b"probe", tr.get_extra_info("sockname"))
    probe.close()
    await asyncio.sleep(0.1)
    assert len(sink.got) == 1, f"the attacker socket cannot receive: {sink.got}"
    sink.got.clear()
    return tr, sink


# ---- STUN (RFC 5389 / 8445) ---------------------------------------------------------------

MAGIC = 0x2112A442


def _attr(kind, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", kind, len(value)) + value + bytes(pad)


def stun_request(username, key, integrity=True, fingerprint=True):
    """A Binding request with USERNAME, PRIORITY, ICE-CONTROLLING, MESSAGE-INTEGRITY
    (HMAC-SHA1 with key) and FINGERPRINT."""
    txid = os.urandom(12)
    attrs = (_attr(0x0006, username.encode()) + _attr(0x0024, struct.pack("!I", 0x6E7F1EFF))
             + _attr(0x802A, os.urandom(8)))
    if integrity:
        head = struct.pack("!HHI", 0x0001, len(attrs) + 24, MAGIC) + txid
        attrs += _attr(0x0008, hmac.new(key, head + attrs, hashlib.sha1).digest())
    if fingerprint:
        head = struct.pack("!HHI", 0x0001, len(attrs) + 8, MAGIC) + txid
        attrs += _attr(0x8028, struct.pack("!I", (zlib.crc32(head + attrs) ^ 0x5354554E)
                                           & 0xFFFFFFFF))
    return struct.pack("!HHI", 0x0001, len(attrs), MAGIC) + txid + attrs


def stun_classes(got):
    """Message types of the STUN datagrams a Sink received (hex of the first 24 bytes)."""
    return [bytes.fromhex(h)[:2].hex() for (_, h) in got if bytes.fromhex(h)[4:8] == MAGIC.to_bytes(4, "big")]


# ---- row 3 / 6 ----------------------------------------------------------------------------

def spray_range(tr, pt, ssrcs, n_rtp=4):
    """The NULL-cipher and a normal ClientHello, plaintext RTP carrying MARKER and
    garbage 'SRTP' at every port of the configured range. Returns datagrams sent."""
    null_hello = client_hello([0x0000], 300)  # TLS_NULL_WITH_NULL_NULL (ES2023-01)
    hello = client_hello([0xC02B, 0xC02C, 0xC009, 0x0000], 400)
    sent = 0
    for port in range(PORT_MIN, PORT_MAX + 1):
        pkts = [null_hello, hello]
        for i in range(n_rtp):
            pkts.append(rtp(pt, random.getrandbits(16), random.choice(ssrcs), MARKER * 20))
            pkts.append(rtp(pt, random.getrandbits(16), random.choice(ssrcs),
                            os.urandom(random.randrange(40, 1000))))
        for p in pkts:
            tr.sendto(p, ("127.0.0.1", port))
            sent += 1
    return sent


@sy.timeout(60)
async def test_row3_6_offpath_hello_rtp_srtp_spray_over_port_range():
    RX.update(rtp=0, marked=0)
    async with SRV.ws() as c:
        call = Call(c)
        tr = None
        try:
            await call.answer(await call.offer())
            ports = call.server_ports()
            assert all(PORT_MIN <= p <= PORT_MAX for p in ports), ports
            tr, sink = await attacker_socket()
            pt = int(re.search(r"m=video \d+ \S+ (\d+)", call.offer_sdp).group(1))
            ssrcs = [int(x) for x in set(re.findall(r"a=ssrc:(\d+) ", call.offer_sdp))]
            # During setup: the whole range, then the answer applied (ICE + DTLS run while
            # the spray goes on at the discovered ports).
            sent = spray_range(tr, pt, ssrcs)

            async def setup_spray():
                nonlocal sent
                for _ in range(40):
                    for port in ports:
                        for p in (client_hello([0x0000], 300), client_hello([0xC02B], 400),
                                  rtp(pt, random.getrandbits(16), random.choice(ssrcs), MARKER * 20)):
                            tr.sendto(p, ("127.0.0.1", port))
                            sent += 1
                    await asyncio.sleep(0.025)
            spraying = asyncio.ensure_future(setup_spray())
            await call.apply_answer()
            await c.event("webrtcup", timeout=15, sender=call.h, session_id=call.s)
            await spraying
            await call.wait_frames(15, 10)
            # Mid-call: the whole range again, twice.
            t_mid = time.monotonic()
            last_before = call.frames[-1][1]
            for _ in range(2):
                sent += spray_range(tr, pt, ssrcs)
                await asyncio.sleep(0.3)
            await call.wait_frames(25, 10, since=t_mid + 0.5)
            await asyncio.sleep(1.0)
            later = call.assert_flowing(t_mid + 0.5, last_before, "range spray")
            w = await call.webrtc()
            print(f"  {sent} attack datagrams over ports {PORT_MIN}-{PORT_MAX} (call on {ports}); "
                  f"{len(later)} frames after; attacker got {len(sink.got)}; pair "
                  f"{w['selected-pair']!r}; drops {[(k, v) for k, v in w.items() if k.startswith('dropped')]}")
            assert not sink.got, f"the attacker received {len(sink.got)} datagrams: {sink.got[:5]}"
            assert RX["marked"] == 0, f"{RX['marked']} attacker RTP packets were echoed"
            assert RX["rtp"] > 100, RX
            assert w["webrtc-up"] is True and "127.0.0.2" not in w["selected-pair"], w
            await call.api_hangup()
        finally:
            if tr is not None:
                tr.close()
            await call.close()


# ---- row 4 --------------------------------------------------------------------------------

def cert_digest(call, algo):
    return call.pc._RTCPeerConnection__certificates[0]._cert.digest(algo).decode()


@sy.timeout(90)
async def test_row4_two_fingerprints_strongest_chosen_and_bad_calls_isolated():
    async with SRV.ws() as c_good, SRV.ws() as c_bad:
        good = Call(c_good)
        try:
            await good.start()
            base = await counters()
            rss0 = rss_kib()
            t0 = time.monotonic()
            last_before = good.frames[-1][1]
            # sha-1 right + sha-256 wrong: the strongest hash decides -> DTLS fails.
            # Then four more failing variants; the good call must not notice.
            wrong256 = mf.random_fingerprint(32)
            variants = []
            for i in range(5):
                variants.append(("sha-256 wrong + sha-1 right", lambda call: (
                    f"a=fingerprint:sha-1 {cert_digest(call, 'sha1')}\r\n"
                    f"a=fingerprint:sha-256 {wrong256}")))
            for what, line in variants:
                RX.update(rtp=0, marked=0)
                bad = Call(c_bad)
                try:
                    fp = line(bad)
                    await bad.answer(await bad.offer(lambda sdp: set_fingerprint(sdp, fp)))
                    await bad.apply_answer()
                    hang = await c_bad.event("hangup", timeout=15, sender=bad.h)
                    assert str(hang.get("reason", "")).startswith("DTLS"), hang
                    assert not bad.sent("webrtcup") and not bad.frames, what
                finally:
                    await bad.close()
            after = await counters()
            # ... and sha-1 wrong + sha-256 right: connects (the sha-256 one is checked).
            ok = Call(c_bad)
            try:
                right = cert_digest(ok, "sha256")
                fp = f"a=fingerprint:sha-1 {mf.random_fingerprint(20)}\r\na=fingerprint:sha-256 {right}"
                await ok.answer(await ok.offer(lambda sdp: set_fingerprint(sdp, fp)))
                await ok.apply_answer()
                await c_bad.event("webrtcup", timeout=15, sender=ok.h, session_id=ok.s)
                await ok.wait_frames(10, 10)
                await ok.api_hangup()
            finally:
                await ok.close()
            await good.wait_frames(10, 10, since=time.monotonic())
            later = good.assert_flowing(t0, last_before, "good call during bad handshakes")
            end = await wait_live(base["peer-connections-live"])
            rss1 = rss_kib()
            failed = after["dtls-failed"] - base["dtls-failed"]
            SEEN["dtls-failed"] = failed
            print(f"  5 failed handshakes (dtls-failed +{failed}), good call {len(later)} frames; "
                  f"live PCs {base['peer-connections-live']} -> {end['peer-connections-live']}; "
                  f"RSS {rss0} -> {rss1} KiB")
            assert failed == 5, (base, after)
            assert end["peer-connections-live"] == base["peer-connections-live"], (base, end)
            assert rss1 - rss0 < (200 if sy.SANITIZE else 16) * 1024, (rss0, rss1)
            await good.api_hangup()
        finally:
            await good.close()


# ---- row 2 --------------------------------------------------------------------------------

@sy.timeout(90)
async def test_row2_stun_unknown_ufrag_flood_and_unauthenticated_requests():
    async with SRV.ws() as c:
        call = Call(c)
        tr = None
        try:
            await call.start()
            su, sp, cu = call.ufrags()
            ports = call.server_ports()
            tr, sink = await attacker_socket()
            pair0 = (await call.webrtc())["selected-pair"]
            t0 = time.monotonic()
            last_before = call.frames[-1][1]
            rss0 = rss_kib()
            # 1. 50,000 Binding requests with unknown ufrags (each its own), keyed with
            #    a random password, FINGERPRINT present: silence, no state.
            n = 0
            for burst in range(100):
                for i in range(500):
                    uf = f"{random.getrandbits(48):012x}"
                    tr.sendto(stun_request(f"{uf}:{cu}", os.urandom(16)), ("127.0.0.1", ports[0]))
                    n += 1
                await asyncio.sleep(0.004)
                if burst == 49:
                    rss_half = rss_kib()
            await asyncio.sleep(1.0)
            rss1 = rss_kib()
            flood_got = list(sink.got)
            # 2. Our ufrag, but an attacker without the ice-pwd: a wrong remote ufrag, a bad
            #    MESSAGE-INTEGRITY, none, and no FINGERPRINT; 200 of each.
            sink.got.clear()
            key = sp.encode()
            bad = {
                "wrong username": lambda: stun_request(f"{su}:nosuchpeer", os.urandom(20)),
                "bad MESSAGE-INTEGRITY": lambda: stun_request(f"{su}:{cu}", os.urandom(20)),
                "no MESSAGE-INTEGRITY": lambda: stun_request(f"{su}:{cu}", key, integrity=False),
                "no FINGERPRINT": lambda: stun_request(f"{su}:{cu}", os.urandom(20),
                                                       fingerprint=False),
            }
            replies = {}
            for what, make in bad.items():
                sink.got.clear()
                for i in range(200):
                    tr.sendto(make(), ("127.0.0.1", ports[0]))
                await asyncio.sleep(0.5)
                replies[what] = stun_classes(sink.got)
            await call.wait_frames(20, 10, since=t0 + 0.5)
            later = call.assert_flowing(t0 + 0.5, last_before, "STUN attacks")
            w = await call.webrtc()
            print(f"  {n} unknown-ufrag requests ({len(stun_request('x' * 12 + ':' + cu, key))} "
                  f"bytes each): attacker got {len(flood_got)} datagrams "
                  f"({sorted(set(stun_classes(flood_got)))}); RSS "
                  f"{rss0} -> {rss_half} -> {rss1} KiB; replies to known-ufrag variants "
                  f"{ {k: sorted(set(v)) + [len(v)] for k, v in replies.items()} }; "
                  f"{len(later)} frames; pair {w['selected-pair']!r}")
            # Shared-port ICE-lite (ice_lite.c) owns the socket: silence for unknown ufrags
            # and for every unauthenticated variant, each counted.
            assert not flood_got, f"{len(flood_got)} replies to unknown ufrags: {flood_got[:5]}"
            for what, types in replies.items():
                assert not types, f"{what}: {len(types)} replies ({sorted(set(types))})"
            g = await counters()
            assert g["stun-unknown-ufrag"] >= n, g
            assert g["stun-unauthenticated"] >= 4 * 200, g
            assert w["selected-pair"] == pair0 and "127.0.0.2" not in w["selected-pair"], (pair0, w)
            # Memory: the second 25k must not grow RSS as if each request left state.
            bound = (64 if sy.SANITIZE else 8) * 1024
            assert rss1 - rss_half < bound, f"RSS grew {rss1 - rss_half} KiB over 25k requests"
            # Control: a correctly authenticated request from the attacker's address does
            # get an answer, so the silence above is the server's choice.
            sink.got.clear()
            tr.sendto(stun_request(f"{su}:{cu}", key), ("127.0.0.1", ports[0]))
            for _ in range(20):
                if sink.got:
                    break
                await asyncio.sleep(0.05)
            assert "0101" in stun_classes(sink.got), f"control request not answered: {sink.got}"
            await call.api_hangup()
        finally:
            if tr is not None:
                tr.close()
            await call.close()


# ---- row 7 / 25 ---------------------------------------------------------------------------

@sy.timeout(60)
async def test_row7_25_garbage_and_old_srtp_flood_on_live_tuple_counted_and_log_bounded():
    async with SRV.ws() as c:
        call = Call(c)
        try:
            await call.start()
            (conn,) = call.ice_connections()
            w0 = await call.webrtc()
            g0 = await counters()
            log0 = os.path.getsize(SRV.log_path)
            pt = int(re.search(r"m=video \d+ \S+ (\d+)", call.offer_sdp).group(1))
            ssrc = int(re.search(r"m=video[\s\S]*?a=ssrc:(\d+) ", call.offer_sdp).group(1))
            t0 = time.monotonic()
            last_before = call.frames[-1][1]
            n_garbage = n_old = 0
            # FreeSWITCH CVE-2021-41105 pattern on the peer's own (validated) 5-tuple:
            # random "SRTP" for the real SSRC around the current sequence, and packets with
            # sequence numbers far behind (old index), 200 per round for 3 s.
            kinds = ("dropped-srtp", "dropped-replay", "dropped-oversize", "dropped-unknown")
            # Old: 2,000 behind the sender's current sequence number, so that the replay
            # window refuses them before authentication (only possible once the stream is
            # past 3,100: below that "behind" wraps to a high number, which a stream that
            # has not rolled over takes as ahead, RFC 3711 3.3.1).
            cur = current_video_seq(call)
            can_replay = cur is not None and cur > 3100
            for rnd in range(15):
                base = random.getrandbits(16)
                for i in range(100):
                    await conn.send(rtp(pt, base + i, ssrc, os.urandom(random.randrange(40, 1100))))
                    n_garbage += 1
                old_base = (cur - 2000) if can_replay else base + 30000
                for i in range(100):
                    await conn.send(rtp(pt, (old_base - i) & 0xFFFF, ssrc, os.urandom(200)))
                    n_old += 1
                await call.wait_drops(w0, kinds, n_garbage + n_old)
                await asyncio.sleep(0.1)
            # Also oversize "SRTP" (> 1500 bytes) and datagrams whose first byte is in no
            # RFC 7983 range (here 80..127), 20 of each.
            for i in range(20):
                await conn.send(rtp(pt, random.getrandbits(16), ssrc, os.urandom(1600)))
                await conn.send(bytes([random.randrange(80, 128)]) + os.urandom(99))
            await call.wait_drops(w0, kinds, n_garbage + n_old + 40)
            await call.wait_frames(20, 10, since=t0 + 0.5)
            later = call.assert_flowing(t0 + 0.5, last_before, "SRTP flood")
            w1 = await call.webrtc()
            dropped = {k: w1[k] - w0[k] for k in kinds}
            # Global counters follow the PC's within one 50 ms tick.
            deadline = time.monotonic() + 5
            while True:
                g1 = await counters()
                gdropped = {k: g1[k] - g0[k] for k in kinds}
                if gdropped == dropped or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            SEEN.update(dropped)
            await call.api_hangup()  # the PC's last drop summary is written when it stops
            with open(SRV.log_path, "rb") as fh:
                fh.seek(log0)
                log = fh.read().decode("utf-8", "replace")
            drop_lines = [l for l in log.splitlines() if "dropped" in l]
            print(f"  {n_garbage + n_old} forged packets in {time.monotonic() - t0:.1f} s: "
                  f"PC {dropped}, global {gdropped}; {len(later)} frames; "
                  f"log +{len(log)} bytes, {len(drop_lines)} drop lines: {drop_lines[:2]}")
            assert dropped["dropped-srtp"] + dropped["dropped-replay"] >= n_garbage + n_old, \
                (dropped, n_garbage + n_old)
            assert dropped["dropped-oversize"] == 20 and dropped["dropped-unknown"] == 20, dropped
            # Random sequence numbers: those more than 1024 behind the stream are refused
            # by the replay window before authentication, the rest fail authentication.
            assert dropped["dropped-srtp"] > 0, dropped
            if can_replay:
                assert dropped["dropped-replay"] >= 1500, dropped
            else:
                print(f"  (sender sequence {cur}: too young for an old-index test this run)")
            assert gdropped == dropped, (gdropped, dropped)
            # One summary per 5 s per PC (and one when it stops), not one line per packet.
            assert 1 <= len(drop_lines) <= 4, drop_lines
            assert len(log) < 8192, f"log grew {len(log)} bytes during the flood"
        finally:
            await call.close()


# ---- row 8 --------------------------------------------------------------------------------

@sy.timeout(90)
async def test_row8_ten_thousand_unsignaled_ssrcs_dropped_bounded():
    async with SRV.ws() as c:
        call = Call(c)
        try:
            await call.start()
            dtls = call.dtls()
            pt = int(re.search(r"m=video \d+ \S+ (\d+)", call.offer_sdp).group(1))
            w0 = await call.webrtc()
            rss0 = rss_kib()
            t0 = time.monotonic()
            last_before = call.frames[-1][1]
            signaled = {int(x) for x in re.findall(r"a=ssrc:(\d+) ", call.offer_sdp)}
            n = 0
            rss_half = None
            used = set(signaled)
            while n < 10000:
                ssrc = random.getrandbits(32)
                # Each SSRC once: a repeat (birthday odds ~1% over 10,000) with a random
                # sequence far behind makes the client's own libsrtp refuse to protect it.
                if ssrc in used:
                    continue
                used.add(ssrc)
                # Properly protected with the peer's real SRTP keys (authenticates).
                await dtls._send_rtp(rtp(pt, random.getrandbits(16), ssrc, os.urandom(200)))
                n += 1
                if n % 250 == 0:  # paced: every packet sent reaches the server
                    await call.wait_drops(w0, ("dropped-unmatched",), n - 8)
                if n == 5000:
                    rss_half = rss_kib()
            await call.wait_frames(20, 10, since=t0 + 0.5)
            later = call.assert_flowing(t0 + 0.5, last_before, "SSRC flood")
            await asyncio.sleep(0.3)
            w1 = await call.webrtc()
            rss1 = rss_kib()
            d = w1["dropped-unmatched"] - w0["dropped-unmatched"]
            SEEN["dropped-unmatched"] = d
            print(f"  {n} unsignaled SSRCs: dropped-unmatched +{d}; RSS {rss0} -> {rss_half} -> "
                  f"{rss1} KiB; {len(later)} frames")
            # A few may be taken as an m-line's spare (learned) SSRC; the rest are dropped.
            assert d >= n - 8, f"only {d} of {n} unsignaled SSRC packets counted as dropped"
            bound = (64 if sy.SANITIZE else 8) * 1024
            assert rss1 - rss_half < bound, f"RSS grew {rss1 - rss_half} KiB over 5000 SSRCs"
            await call.api_hangup()
        finally:
            await call.close()


# ---- row 24 -------------------------------------------------------------------------------

class Listener(asyncio.DatagramProtocol):
    def __init__(self):
        self.got = []

    def datagram_received(self, data, addr):
        self.got.append(data)


@sy.timeout(40)
async def test_row24_candidates_to_reserved_or_denied_addresses_ignored():
    """Shared-port ICE-lite (the default) never sends to a candidate at all: the peer's
    checks validate its addresses. Refused candidates are still refused and counted."""
    await row24(SRV, sends_checks=False)


@sy.timeout(40)
async def test_row24_per_pc_full_ice_checks_only_allowed_candidates():
    await row24(PER_PC, sends_checks=True)


async def row24(srv, sends_checks):
    loop = asyncio.get_running_loop()
    denied_tr, denied = await loop.create_datagram_endpoint(Listener, local_addr=("127.0.0.3", 0))
    allowed_tr, allowed = await loop.create_datagram_endpoint(Listener, local_addr=("127.0.0.4", 0))
    dport = denied_tr.get_extra_info("sockname")[1]
    aport = allowed_tr.get_extra_info("sockname")[1]
    reserved_sdp = ["169.254.169.254 80", "239.1.2.3 5000"]

    def add_sdp_candidates(sdp):
        extra = "".join(f"a=candidate:9{i} 1 udp 2130706431 {a} typ host\r\n"
                        for i, a in enumerate(reserved_sdp))
        return re.sub(r"(a=ice-ufrag:[^\r\n]*\r\n)", lambda m: m.group(1) + extra, sdp, count=1)

    async with srv.ws() as c:
        call = Call(c)
        try:
            g0 = await counters(srv)
            await call.answer(await call.offer(add_sdp_candidates))  # answer never applied
            trickled = ["0.0.0.0 9", "169.254.169.254 80", "224.0.0.251 5353",
                        "255.255.255.255 9", ":: 9", f"127.0.0.3 {dport}", f"127.0.0.4 {aport}"]
            for i, a in enumerate(trickled):
                r = await c.request({"janus": "trickle", "session_id": call.s, "handle_id": call.h,
                                     "candidate": {"candidate": f"candidate:7{i} 1 udp 2130706431 "
                                                                f"{a} typ host",
                                                   "sdpMid": "0", "sdpMLineIndex": 0}})
                assert r.get("janus") == "ack", r
            for _ in range(60 if sends_checks else 0):
                if allowed.got:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(2.0)
            g1 = await counters(srv)
            refused = g1["remote-candidates-refused"] - g0["remote-candidates-refused"]
            SEEN["remote-candidates-refused"] = refused
            print(f"  refused {refused} of {len(trickled) + len(reserved_sdp)} candidates; "
                  f"denied 127.0.0.3 got {len(denied.got)}, allowed 127.0.0.4 got {len(allowed.got)}")
            if sends_checks:
                assert allowed.got, "control: the allowed candidate 127.0.0.4 got no connectivity check"
                assert all(d[:2] == b"\x00\x01" for d in allowed.got), "control got non-STUN"
            else:
                assert not allowed.got, f"ICE-lite sent {len(allowed.got)} datagrams to a candidate"
            assert not denied.got, f"{len(denied.got)} datagrams sent to the denied 127.0.0.3"
            assert refused == len(reserved_sdp) + len(trickled) - 1, (refused, g0, g1)
            log = srv.log_text(tail=2000)
            assert "media.allowed_remote_ranges" in log and "127.0.0.3/32" in log, \
                "the start log does not state the remote-candidate policy"
            r = await c.request({"janus": "hangup", "session_id": call.s, "handle_id": call.h})
            assert r.get("janus") == "success", r
        finally:
            denied_tr.close()
            allowed_tr.close()
            await call.close()


# ---- row 25 -------------------------------------------------------------------------------

@sy.timeout(20)
async def test_row25_drop_counters_in_admin_api():
    c = await wait_live(0)
    for k in ("dropped-unknown", "dropped-early", "dropped-srtp", "dropped-replay",
              "dropped-unmatched", "dropped-oversize", "dropped-dtls", "remote-candidates-refused",
              "dtls-failed", "consent-lost", "peer-connections-created", "peer-connections-freed",
              "peer-connections-live", "stun-malformed", "stun-unknown-ufrag",
              "stun-unauthenticated", "stun-source-refused", "dropped-unknown-source",
              "send-dropped"):
        assert isinstance(c.get(k), int) and c[k] >= 0, (k, c)
    # The global counters include what earlier tests of this file saw per PC.
    for k, v in SEEN.items():
        assert c[k] >= v, (k, v, c)
    assert c["peer-connections-live"] == 0, c
    # Janus's own get_status keeps its fields; the counters need the admin secret.
    st = await SRV.admin({"janus": "get_status"})
    assert st.get("janus") == "success" and "counters" not in st, st
    r = await SRV.admin({"janus": "get_counters"}, secret=False)
    sy.check_error(r, 403)
    print(f"  global media counters: {c}")


if __name__ == "__main__":
    sy.run(globals())
