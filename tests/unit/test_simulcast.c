/* Unit tests: simulcast layer selection, seq/ts continuity across switches, and the VP8
 * picture id / TL0PICIDX rewriting, with their edge cases: wraparound, reordering, layer
 * gaps (a layer that stops, loss at a switch). */
#include "check.h"
#include <string.h>

#include "protocol/simulcast.h"

int main(void)
{
    sy_simulcast s;
    sy_simulcast_init(&s, 2, 2, 0);
    uint64_t t = 1000000;
    /* Layers 0..2 send; nothing is forwarded before a key frame of the target. */
    CHECK(!(sy_simulcast_process(&s, 0, false, -1, t) & SY_SIMULCAST_FORWARD));
    CHECK(sy_simulcast_process(&s, 2, false, -1, t) & SY_SIMULCAST_NEED_KEYFRAME);
    unsigned f = sy_simulcast_process(&s, 2, true, -1, t + 10);
    CHECK((f & SY_SIMULCAST_FORWARD) && (f & SY_SIMULCAST_SWITCHED));
    CHECK_EQ_INT(s.substream, 2);
    CHECK(!(sy_simulcast_process(&s, 1, true, -1, t + 20) & SY_SIMULCAST_FORWARD));
    /* Target 0: switch on layer 0's key frame only. */
    sy_simulcast_set_target(&s, 0, 2);
    CHECK(sy_simulcast_process(&s, 2, false, -1, t + 30) & SY_SIMULCAST_FORWARD);
    CHECK(!(sy_simulcast_process(&s, 0, false, -1, t + 40) & SY_SIMULCAST_FORWARD));
    f = sy_simulcast_process(&s, 0, true, -1, t + 50);
    CHECK((f & SY_SIMULCAST_SWITCHED) && s.substream == 0);
    CHECK(!(sy_simulcast_process(&s, 2, true, -1, t + 60) & SY_SIMULCAST_FORWARD));
    /* Temporal: with target 0, TID 1 and 2 are dropped, TID 0 and unknown forwarded. */
    sy_simulcast_set_target(&s, 0, 0);
    CHECK(sy_simulcast_process(&s, 0, false, 0, t + 70) & SY_SIMULCAST_FORWARD);
    CHECK(!(sy_simulcast_process(&s, 0, false, 1, t + 80) & SY_SIMULCAST_FORWARD));
    CHECK(sy_simulcast_process(&s, 0, false, -1, t + 90) & SY_SIMULCAST_FORWARD);
    /* Fallback: target 2 silent for > 250 ms -> the best layer still sending. */
    sy_simulcast_init(&s, 2, 2, 0);
    sy_simulcast_process(&s, 2, true, -1, t);
    CHECK_EQ_INT(s.substream, 2);
    t += 400000; /* layer 2 stopped; layer 1 goes on */
    f = sy_simulcast_process(&s, 1, true, -1, t);
    CHECK((f & SY_SIMULCAST_SWITCHED) && s.substream == 1);
    /* A target that never sends: the nearest layer above it, steadily (no flapping). */
    sy_simulcast_init(&s, 0, 2, 0);
    t += 1000000;
    sy_simulcast_process(&s, 1, false, -1, t);
    sy_simulcast_process(&s, 2, false, -1, t);
    f = sy_simulcast_process(&s, 1, true, -1, t + 10);
    CHECK((f & SY_SIMULCAST_SWITCHED) && s.substream == 1);
    CHECK(!(sy_simulcast_process(&s, 2, true, -1, t + 20) & SY_SIMULCAST_SWITCHED));
    CHECK_EQ_INT(s.substream, 1);
    /* VP8 TID: X=1, T=1, TID 2 in the TL byte. */
    const uint8_t d[] = {0x90, 0x20, 0x80, 0x00};
    CHECK_EQ_INT(sy_vp8_temporal_id(d, sizeof(d)), 2);
    const uint8_t nd[] = {0x10, 0x00};
    CHECK_EQ_INT(sy_vp8_temporal_id(nd, sizeof(nd)), -1);
    CHECK_EQ_INT(sy_vp8_temporal_id(d, 2), -1);
    /* Rewriter: continuous seq across an SSRC switch, and across seq wrap. */
    sy_rtp_rewriter r;
    sy_rtp_rewriter_init(&r, 90000);
    uint16_t so;
    uint32_t to;
    sy_rtp_rewriter_map(&r, 111, 65534, 1000, 0, &so, &to);
    CHECK_EQ_INT(so, 65534);
    sy_rtp_rewriter_map(&r, 111, 65535, 4000, 33000, &so, &to);
    sy_rtp_rewriter_map(&r, 111, 0, 4000, 33100, &so, &to);
    CHECK_EQ_INT(so, 0);
    sy_rtp_rewriter_map(&r, 222, 500, 777777, 66000, &so, &to);
    CHECK_EQ_INT(so, 1);
    CHECK_EQ_INT(to, 4000 + (66000 - 33100) * 90 / 1000);
    sy_rtp_rewriter_map(&r, 222, 501, 777777 + 3000, 99000, &so, &to);
    CHECK_EQ_INT(so, 2);
    CHECK_EQ_INT(to, 4000 + (66000 - 33100) * 90 / 1000 + 3000);

    /* ---- seq/ts edge cases ---- */
    /* Timestamp wraparound within one source, and across a switch. */
    sy_rtp_rewriter_init(&r, 90000);
    sy_rtp_rewriter_map(&r, 1, 100, 0xFFFFF000u, 0, &so, &to);
    CHECK_EQ_INT(so, 100);
    sy_rtp_rewriter_map(&r, 1, 101, 0x00000BB8u, 33000, &so, &to);
    CHECK_EQ_INT(so, 101);
    CHECK(to == 0x00000BB8u);
    sy_rtp_rewriter_map(&r, 2, 9, 0x7FFFFFFFu, 66000, &so, &to);
    CHECK_EQ_INT(so, 102);
    CHECK(to == 0x00000BB8u + 33000u * 90 / 1000);
    /* Reordering: an older packet maps with the same offset and does not move the
     * continuation point; the next switch continues from the newest packet. */
    sy_rtp_rewriter_map(&r, 2, 12, 0x7FFFFFFFu + 3000, 99000, &so, &to);
    CHECK_EQ_INT(so, 105);
    sy_rtp_rewriter_map(&r, 2, 10, 0x7FFFFFFFu, 99500, &so, &to);
    CHECK_EQ_INT(so, 103);
    CHECK_EQ_INT(r.last_seq_out, 105);
    sy_rtp_rewriter_map(&r, 3, 40000, 5, 132000, &so, &to);
    CHECK_EQ_INT(so, 106);
    /* Sequence wraparound of the input right at a switch. */
    sy_rtp_rewriter_map(&r, 3, 65535, 5, 140000, &so, &to);
    CHECK_EQ_INT(so, (uint16_t)(106 + 65535 - 40000));
    sy_rtp_rewriter_map(&r, 3, 0, 3005, 150000, &so, &to);
    CHECK_EQ_INT(so, (uint16_t)(106 + 65536 - 40000));
    /* A switch at the output's wraparound. */
    sy_rtp_rewriter_init(&r, 90000);
    sy_rtp_rewriter_map(&r, 7, 65535, 1, 0, &so, &to);
    sy_rtp_rewriter_map(&r, 8, 300, 1, 20000, &so, &to);
    CHECK_EQ_INT(so, 0);
    /* Back to a source used before: a new mapping, still continuous. */
    sy_rtp_rewriter_map(&r, 7, 2, 9000, 40000, &so, &to);
    CHECK_EQ_INT(so, 1);
    /* Packets received before any key frame of the target layer, the target silent
     * for a while (a layer gap), packets out of order around a key frame. */
    sy_simulcast_init(&s, 2, 2, 0);
    t = 50000000;
    CHECK(sy_simulcast_process(&s, 2, true, -1, t) & SY_SIMULCAST_SWITCHED);
    CHECK(sy_simulcast_process(&s, 0, true, -1, t + 5) == 0);
    t += 300000; /* layer 2 stops: 1 is not sending either, 0 is */
    f = sy_simulcast_process(&s, 0, false, -1, t);
    CHECK(!(f & SY_SIMULCAST_FORWARD) && (f & SY_SIMULCAST_NEED_KEYFRAME));
    f = sy_simulcast_process(&s, 0, true, -1, t + 10);
    CHECK((f & SY_SIMULCAST_SWITCHED) && s.substream == 0);
    /* A late packet of the old layer is not forwarded any more. */
    CHECK(!(sy_simulcast_process(&s, 0, false, -1, t + 20) & SY_SIMULCAST_SWITCHED));
    /* Layer 2 comes back: back up on its next key frame only. */
    CHECK(!(sy_simulcast_process(&s, 2, false, -1, t + 30) & SY_SIMULCAST_FORWARD));
    CHECK(sy_simulcast_process(&s, 0, false, -1, t + 31) & SY_SIMULCAST_FORWARD);
    f = sy_simulcast_process(&s, 2, true, -1, t + 40);
    CHECK((f & SY_SIMULCAST_SWITCHED) && s.substream == 2);
    CHECK(!(sy_simulcast_process(&s, 0, false, -1, t + 41) & SY_SIMULCAST_FORWARD));
    /* Out-of-range layers are ignored. */
    CHECK(sy_simulcast_process(&s, 3, true, -1, t + 50) == 0);
    CHECK(sy_simulcast_process(&s, -1, true, -1, t + 50) == 0);

    /* ---- VP8 descriptor ---- */
    sy_vp8_desc vd;
    /* X, I (15-bit), L, T: pid 0x1234, tl0 7. */
    uint8_t p15[] = {0x90, 0xE0, 0x80 | 0x12, 0x34, 7, 0x40, 0xAA};
    CHECK_EQ_INT(sy_vp8_desc_parse(p15, sizeof(p15), &vd), 0);
    CHECK_EQ_INT(vd.picture_id, 0x1234);
    CHECK(vd.pid_15bit);
    CHECK_EQ_INT(vd.tl0picidx, 7);
    CHECK_EQ_INT((int)vd.tl0_off, 4);
    uint8_t p7[] = {0x90, 0x80, 0x05, 0xAA};
    CHECK_EQ_INT(sy_vp8_desc_parse(p7, sizeof(p7), &vd), 0);
    CHECK_EQ_INT(vd.picture_id, 5);
    CHECK(!vd.pid_15bit && vd.tl0picidx == -1);
    uint8_t none[] = {0x10, 0xAA};
    CHECK_EQ_INT(sy_vp8_desc_parse(none, sizeof(none), &vd), 0);
    CHECK(vd.picture_id == -1 && vd.tl0picidx == -1);
    CHECK_EQ_INT(sy_vp8_desc_parse(p15, 3, &vd), -1); /* truncated 15-bit id */
    CHECK_EQ_INT(sy_vp8_desc_parse(p15, 4, &vd), -1); /* L byte missing */
    CHECK_EQ_INT(sy_vp8_desc_parse(p15, 5, &vd), -1); /* T byte missing */
    CHECK_EQ_INT(sy_vp8_desc_parse(p15, 0, &vd), -1);

    /* ---- VP8 picture id / TL0PICIDX rewriting ---- */
    sy_vp8_rewriter vr;
    sy_vp8_rewriter_init(&vr);
    uint8_t pk[sizeof(p15)];
#define VP8PKT(pid, tl0)                                                                      \
    do {                                                                                       \
        memcpy(pk, p15, sizeof(pk));                                                           \
        pk[2] = (uint8_t)(0x80 | ((pid) >> 8));                                                \
        pk[3] = (uint8_t)(pid);                                                                \
        pk[4] = (uint8_t)(tl0);                                                                \
        sy_vp8_desc_parse(pk, sizeof(pk), &vd);                                                \
    } while (0)
#define OUT_PID ((pk[2] & 0x7F) << 8 | pk[3])
    /* The first source passes through, wrapping at 15 bits. */
    VP8PKT(0x7FFE, 250);
    sy_vp8_rewriter_apply(&vr, 1, &vd, pk, sizeof(pk));
    CHECK_EQ_INT(OUT_PID, 0x7FFE);
    CHECK_EQ_INT(pk[4], 250);
    VP8PKT(0x0000, 251); /* wrapped (0x7FFF lost) */
    sy_vp8_rewriter_apply(&vr, 1, &vd, pk, sizeof(pk));
    CHECK_EQ_INT(OUT_PID, 0);
    CHECK(pk[0] == 0x90 && pk[1] == 0xE0 && (pk[2] & 0x80) && pk[5] == 0x40 && pk[6] == 0xAA);
    /* Reordered: the older id maps with the same offset, the newest stays the reference. */
    VP8PKT(0x7FFF, 250);
    sy_vp8_rewriter_apply(&vr, 1, &vd, pk, sizeof(pk));
    CHECK_EQ_INT(OUT_PID, 0x7FFF);
    CHECK_EQ_INT(vr.last_pid_out, 0);
    /* Switch to another layer whose ids are far away: continues at last + 1. */
    VP8PKT(0x1000, 3);
    sy_vp8_rewriter_apply(&vr, 2, &vd, pk, sizeof(pk));
    CHECK_EQ_INT(OUT_PID, 1);
    CHECK_EQ_INT(pk[4], 252);
    VP8PKT(0x1002, 4); /* a gap in the source is kept */
    sy_vp8_rewriter_apply(&vr, 2, &vd, pk, sizeof(pk));
    CHECK_EQ_INT(OUT_PID, 3);
    CHECK_EQ_INT(pk[4], 253);
    /* TL0PICIDX wraps at 8 bits. */
    VP8PKT(0x1003, 6);
    sy_vp8_rewriter_apply(&vr, 2, &vd, pk, sizeof(pk));
    CHECK_EQ_INT(pk[4], 255);
    VP8PKT(0x1004, 7);
    sy_vp8_rewriter_apply(&vr, 2, &vd, pk, sizeof(pk));
    CHECK_EQ_INT(pk[4], 0);
    CHECK_EQ_INT(OUT_PID, 5);
    /* Rebase (pause/resume on the same source) continues too. */
    sy_vp8_rewriter_rebase(&vr);
    VP8PKT(0x1200, 40);
    sy_vp8_rewriter_apply(&vr, 2, &vd, pk, sizeof(pk));
    CHECK_EQ_INT(OUT_PID, 6);
    CHECK_EQ_INT(pk[4], 1);
    /* A source with 7-bit ids: continues the 15-bit sequence, written mod 128, its own
     * wrap at 127 -> 0 counted as +1. */
    uint8_t q[sizeof(p7)];
    memcpy(q, p7, sizeof(q));
    q[2] = 126;
    sy_vp8_desc_parse(q, sizeof(q), &vd);
    sy_vp8_rewriter_apply(&vr, 3, &vd, q, sizeof(q));
    CHECK_EQ_INT(q[2], 7);
    CHECK(q[0] == 0x90 && q[1] == 0x80 && q[3] == 0xAA);
    memcpy(q, p7, sizeof(q));
    q[2] = 1; /* 126 -> 127 -> 0 -> 1: +3 */
    sy_vp8_desc_parse(q, sizeof(q), &vd);
    sy_vp8_rewriter_apply(&vr, 3, &vd, q, sizeof(q));
    CHECK_EQ_INT(q[2], 10);
    CHECK_EQ_INT(vr.last_pid_out, 10);
    /* A descriptor without picture id or TL0PICIDX is left alone. */
    uint8_t nn[] = {0x10, 0xAA};
    sy_vp8_desc_parse(nn, sizeof(nn), &vd);
    sy_vp8_rewriter_apply(&vr, 4, &vd, nn, sizeof(nn));
    CHECK(nn[0] == 0x10 && nn[1] == 0xAA);
    {
        /* Drops close up the outgoing sequence: no gap for the receiver to NACK. */
        sy_rtp_rewriter w;
        sy_rtp_rewriter_init(&w, 90000);
        uint16_t o;
        uint32_t t2;
        CHECK_EQ_INT(sy_rtp_rewriter_map(&w, 5, 65533, 0, 0, &o, &t2), 0);
        CHECK_EQ_INT(o, 65533);
        sy_rtp_rewriter_drop(&w, 5, 65534);
        sy_rtp_rewriter_drop(&w, 5, 65535); /* across the wrap */
        sy_rtp_rewriter_map(&w, 5, 0, 0, 1, &o, &t2);
        CHECK_EQ_INT(o, 65534);
        sy_rtp_rewriter_drop(&w, 5, 1);
        sy_rtp_rewriter_map(&w, 5, 3, 0, 2, &o, &t2); /* 2 lost upstream: the gap stays */
        CHECK_EQ_INT(o, 0);
        /* 2 arrives late (reordered across drop 1): the number it would have had. */
        sy_rtp_rewriter_map(&w, 5, 2, 0, 3, &o, &t2);
        CHECK_EQ_INT(o, 65535);
        /* A packet from before the drops of the wrap (reordered far back). */
        sy_rtp_rewriter_map(&w, 5, 65533, 0, 4, &o, &t2);
        CHECK_EQ_INT(o, 65533);
        /* A late drop (older than the newest packet) leaves its hole. */
        sy_rtp_rewriter_map(&w, 5, 6, 0, 5, &o, &t2);
        CHECK_EQ_INT(o, 3);
        sy_rtp_rewriter_drop(&w, 5, 4);
        sy_rtp_rewriter_map(&w, 5, 7, 0, 6, &o, &t2);
        CHECK_EQ_INT(o, 4);
        /* A drop of another SSRC is ignored; a switch continues at +1 and forgets drops. */
        sy_rtp_rewriter_drop(&w, 9, 8);
        sy_rtp_rewriter_map(&w, 5, 8, 0, 7, &o, &t2);
        CHECK_EQ_INT(o, 5);
        sy_rtp_rewriter_drop(&w, 5, 9);
        sy_rtp_rewriter_map(&w, 9, 1000, 0, 8, &o, &t2);
        CHECK_EQ_INT(o, 6);
        sy_rtp_rewriter_map(&w, 9, 1001, 0, 9, &o, &t2);
        CHECK_EQ_INT(o, 7);
        /* More drops than the ring remembers: a packet older than all of them is refused
         * (its number is unknown), a newer one is exact. */
        for (int k = 0; k < SY_RTP_REWRITER_DROPS + 5; k++) sy_rtp_rewriter_drop(&w, 9, (uint16_t)(1002 + k));
        uint16_t next = (uint16_t)(1002 + SY_RTP_REWRITER_DROPS + 5);
        CHECK_EQ_INT(sy_rtp_rewriter_map(&w, 9, next, 0, 10, &o, &t2), 0);
        CHECK_EQ_INT(o, 8);
        CHECK_EQ_INT(sy_rtp_rewriter_map(&w, 9, 1000, 0, 11, &o, &t2), -1);
        /* A dropped packet forwarded after all (a retransmission after a target change)
         * has no number of its own: refused, it would reuse its neighbour's. */
        CHECK_EQ_INT(sy_rtp_rewriter_map(&w, 9, (uint16_t)(next - 1), 0, 12, &o, &t2), -1);
    }
    return CHECK_DONE();
}
