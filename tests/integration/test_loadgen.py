#!/usr/bin/env python3
"""The load generator (tools/loadgen) against the real server, in a network namespace.

1. Smoke: 1 publisher + 3 subscribers for a few seconds. Every subscriber negotiates
   (ICE, DTLS, SRTP), gets audio and video, and every decrypted payload is intact; the
   server's CPU was measured. Loss is not asserted (a busy machine may lose packets).
2. Faults: the publisher injects one skipped counter, one repeated counter and one
   corrupted payload (--faults) after every subscriber has media; every subscriber
   (all decrypt) must report a content gap, a content duplicate and a wrong payload in
   the JSON. The RTP-sequence level (gaps, duplicates, reordering) is covered by the
   checker's unit test (tests/unit/test_loadgen_check.c): the server's SRTP replay
   protection drops a repeated sequence number from a publisher, as it should.
3. Meeting: one room of three participants, all publishing and subscribing to all:
   every subscriber receives both other participants' audio and video.
4. Simulcast: a publisher sends three rid layers (--simulcast); two subscribers ask for
   substream 0 and 2. Both receive intact media with no content gaps (the server's layer
   switches and sequence rewriting are not gaps), each mostly from the layer it asked for
   (the layer is read from the payload; the server may forward a lower layer until the
   asked one has a keyframe), and the substream-0 one receives clearly fewer
   bytes (a ratio, not a rate).
No timing thresholds.
"""


import sy

SERVER = sy.Server("loadgen")


def run_loadgen(*args, timeout=240):
    return sy.run_loadgen(SERVER, *args, timeout=timeout, setup_timeout=30)


def subscribers(r):
    return [c for c in r["clients"] if c["role"] == "subscriber"]


def test_fanout_smoke():
    r, text = run_loadgen("--subs", "3", "--duration", "3", "--decrypt-sample", "1")
    assert r["failed"] == 0, text
    subs = subscribers(r)
    assert len(subs) == 3, text
    for s in subs:
        assert s["rx_pkts"] > 0 and s["streams"] == 2, (s, text)  # audio and video
        assert s["decrypted"] > 0 and s["payload_bad"] == 0 and s["content_dups"] == 0, (s, text)
    assert r["forwarded_pkts"] > 0 and r["server_cpu_s"] >= 0, text
    assert r["totals"]["auth_fail"] == 0, text
    assert r["srtp_profile"] == "AEAD_AES_128_GCM", text
    assert r["join_ms_median"] > 0 and r["rss_kb"] > 0, text


def test_faults_detected():
    r, text = run_loadgen("--subs", "2", "--duration", "3", "--decrypt-sample", "1", "--faults")
    assert r["failed"] == 0, text
    subs = subscribers(r)
    assert len(subs) == 2, text
    for s in subs:
        assert s["content_gaps"] >= 1, (s, text)
        assert s["content_dups"] >= 1, (s, text)
        assert s["payload_bad"] >= 1, (s, text)
    assert "content gaps" in text and "wrong payloads" in text, text


def test_meeting():
    r, text = run_loadgen("--scenario", "meeting", "--rooms", "1", "--participants", "3",
                          "--duration", "2", "--decrypt-sample", "1", "--bitrate", "300000")
    assert r["failed"] == 0, text
    subs = subscribers(r)
    assert len(subs) == 3 and r["publishers"] == 3, text
    for s in subs:
        assert s["streams"] == 4 and s["rx_pkts"] > 0 and s["payload_bad"] == 0, (s, text)


def test_simulcast_substreams():
    r, text = run_loadgen("--subs", "2", "--duration", "3", "--decrypt-sample", "1", "--simulcast",
                          "--substream", "0,2")
    assert r["failed"] == 0, text
    subs = {s["substream"]: s for s in subscribers(r)}
    assert sorted(subs) == [0, 2], text
    for want, s in subs.items():
        assert s["streams"] == 2 and s["decrypted"] > 0, (s, text)
        assert s["payload_bad"] == 0 and s["content_dups"] == 0, (s, text)
        # Network loss (a busy machine) may leave content gaps, a layer switch must not.
        assert s["content_gaps"] <= s["seq_lost"], (s, text)
        lp = s["layer_pkts"]
        others = sum(lp) - lp[want]
        assert lp[want] > 0 and lp[want] > 4 * others, (want, s, text)
    low, high = subs[0], subs[2]
    assert low["rx_bytes"] * 3 < high["rx_bytes"], (low, high, text)
    assert low["layer_bytes"][0] * 4 < high["layer_bytes"][2], (low, high, text)


if __name__ == "__main__":
    sy.run(globals())
