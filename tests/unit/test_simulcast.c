/* Unit tests: simulcast layer selection and seq/ts continuity across switches. */
#include "check.h"
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
    return CHECK_DONE();
}
