#!/usr/bin/env python3
"""RTCP storms from many subscribers at once (security.md section 6 rows 11 and 12), with
the load generator (tools/loadgen): one publisher, 30 subscribers, 5 of them abusive:
each sends 100 keyframe requests a second (PLI and FIR in turn) and, 100 times a second,
a NACK for its last 64 video sequence numbers (every packet NACKed again and again).

- the publisher's keyframe requests stay at the server's cap (one a second per stream;
  the loadgen publisher counts the PLIs and FIRs it receives);
- retransmissions to each abusive subscriber stay within the server's resend budget
  (at most one resend per packet forwarded to it, plus a small burst), however many
  abusers NACK the same packets;
- the normal subscribers lose nothing and none fails.
No timing thresholds: counts over the measured window, which loadgen reports. The
subscribers' own handle_info shows "nacks-over-budget" (VideoRoom) for the refused NACKs.
"""

import os

import sy

SERVER = sy.Server("rtcp_storms")

# The sizes scripts/test runs; the 100-subscriber run recorded in docs/security.md is
#   SY_STORM_SUBS=100 SY_STORM_ABUSIVE=10 SY_STORM_DURATION=20 python3 tests/integration/test_rtcp_storms.py
SUBS = int(os.environ.get("SY_STORM_SUBS", "30"))
ABUSIVE = int(os.environ.get("SY_STORM_ABUSIVE", "5"))
DURATION = int(os.environ.get("SY_STORM_DURATION", "10"))


def run_loadgen(*args, timeout=300):
    return sy.run_loadgen(SERVER, *args, timeout=timeout, setup_timeout=45)


@sy.timeout(400)
def test_pli_and_nack_storm_from_many_subscribers():
    r, text = run_loadgen("--subs", str(SUBS), "--abusive", str(ABUSIVE), "--pli-rate", "100",
                          "--nack-all", "--duration", str(DURATION), "--bitrate", "600000",
                          "--join-rate", "20")
    print("  " + "\n  ".join(ln for ln in text.splitlines() if ln.strip()))
    assert r["failed"] == 0, text
    w = r["window"]
    secs = r["window_s"]
    subs = [c for c in r["clients"] if c["role"] == "subscriber"]
    abusers = [c for c in subs if c["abusive"]]
    normal = [c for c in subs if not c["abusive"]]
    assert len(abusers) == ABUSIVE and len(normal) == SUBS - ABUSIVE, text
    # The abuse happened: 100 requests a second from each abuser over the window.
    assert w["abusive_keyframe_requests"] >= ABUSIVE * 50 * secs, w
    assert w["abusive_nacked_seqs"] >= ABUSIVE * 50 * secs * 64, w
    # Row 12: the publisher got about one keyframe request a second (its one video
    # stream), not the abusers' 500 a second.
    assert w["keyframe_requests_at_publishers"] <= secs + 2, w
    # Row 11: each abuser got at most one resend per packet forwarded to it (+ burst);
    # summed over the window.
    fwd = w["abusive_rx_pkts"] - w["abusive_dup_pkts"]
    assert w["abusive_dup_pkts"] <= fwd + ABUSIVE * 200, w
    assert w["abusive_dup_pkts"] > 0, "no retransmission at all: the NACKs were not answered"
    # The others are not disturbed: no loss, every one received media throughout.
    assert w["normal_seq_lost"] == 0, w
    assert w["normal_rx_pkts"] > 0, w
    for c in normal:
        assert c["rx_pkts"] > 0 and c["seq_lost"] == 0, c
    assert r["totals"]["auth_fail"] == 0, text


@sy.timeout(200)
def test_no_retransmission_without_negotiated_rtx():
    """Subscribers that answer without RTX and NACK every packet get nothing back: the
    server offered RTX but must use it only if the answer kept it, and it never resends
    on the media SSRC (that would re-encrypt an SRTP index already used)."""
    r, text = run_loadgen("--subs", "6", "--abusive", "2", "--pli-rate", "50", "--nack-all",
                          "--no-rtx", "--duration", "5", "--bitrate", "600000", "--join-rate", "20")
    print("  " + "\n  ".join(ln for ln in text.splitlines() if "abusive" in ln or "loss" in ln))
    assert r["failed"] == 0, text
    w = r["window"]
    assert w["abusive_nacked_seqs"] > 0, w
    assert w["abusive_rx_pkts"] > 0, w
    assert w["abusive_dup_pkts"] == 0, f"retransmissions to peers without RTX: {w}"
    assert w["normal_seq_lost"] == 0, w
    assert r["totals"]["auth_fail"] == 0, text


if __name__ == "__main__":
    sy.run(globals())
