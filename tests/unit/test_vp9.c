/* Unit tests: the VP9 payload descriptor parser (RFC 9628) and the SVC layer selection
 * (sy_svc) with its edge cases: nothing before a key frame, spatial up only on a
 * non-inter-predicted layer frame, down at a picture boundary, the marker on the top
 * forwarded layer, temporal switching points. */
#include "check.h"
#include <string.h>

#include "protocol/svc.h"
#include "protocol/vp9.h"

/* A descriptor in non-flexible mode with a 15-bit picture id and layer indices. */
static size_t desc(uint8_t *b, int pid, bool p, bool begin, bool end, int tid, bool u, int sid,
                   bool dep, int tl0)
{
    b[0] = (uint8_t)(0x80 | (p ? 0x40 : 0) | 0x20 | (begin ? 0x08 : 0) | (end ? 0x04 : 0));
    b[1] = (uint8_t)(0x80 | (pid >> 8));
    b[2] = (uint8_t)pid;
    b[3] = (uint8_t)(tid << 5 | (u ? 0x10 : 0) | sid << 1 | (dep ? 1 : 0));
    b[4] = (uint8_t)tl0;
    return 5;
}

/* One packet through the selector. */
static unsigned pkt(sy_svc *s, int pid, bool p, bool begin, bool end, int tid, bool u, int sid)
{
    uint8_t b[8];
    size_t n = desc(b, pid, p, begin, end, tid, u, sid, sid > 0, 0);
    sy_vp9_desc d;
    CHECK_EQ_INT(sy_vp9_desc_parse(b, n, &d), 0);
    bool key = begin && !p && sid == 0;
    return sy_svc_process(s, &d, key);
}

/* A whole picture of three spatial layers, two packets each; returns the OR of the
 * results and fills fwd[sid*2+k] / marker[...]. */
static unsigned picture(sy_svc *s, int pid, bool key, int tid, bool u, int layers, bool fwd[6],
                        bool mark[6])
{
    unsigned all = 0;
    for (int sid = 0; sid < layers; sid++) {
        for (int k = 0; k < 2; k++) {
            unsigned f = pkt(s, pid, !key, k == 0, k == 1, tid, u, sid);
            all |= f;
            if (fwd) fwd[sid * 2 + k] = f & SY_SVC_FORWARD;
            if (mark) mark[sid * 2 + k] = f & SY_SVC_MARKER;
        }
    }
    return all;
}

int main(void)
{
    /* ---- parser ---- */
    sy_vp9_desc d;
    uint8_t b[64];
    size_t n = desc(b, 0x1234, true, true, false, 2, true, 1, true, 77);
    CHECK_EQ_INT(sy_vp9_desc_parse(b, n, &d), 0);
    CHECK(d.p && d.b && !d.e && !d.f && d.l && d.u && d.d);
    CHECK_EQ_INT(d.picture_id, 0x1234);
    CHECK(d.pid_15bit && d.pid_off == 1);
    CHECK_EQ_INT(d.tid, 2);
    CHECK_EQ_INT(d.sid, 1);
    CHECK_EQ_INT(d.tl0picidx, 77);
    CHECK_EQ_INT((int)d.tl0_off, 4);
    CHECK_EQ_INT((int)d.len, 5);
    for (size_t k = 0; k < n; k++) CHECK_EQ_INT(sy_vp9_desc_parse(b, k, &d), -1); /* truncated */
    /* No I, no L: one byte, the layers read as absent. */
    b[0] = 0x0C;
    CHECK_EQ_INT(sy_vp9_desc_parse(b, 1, &d), 0);
    CHECK(!d.l && d.picture_id == -1 && d.tl0picidx == -1 && d.len == 1);
    /* 7-bit picture id. */
    const uint8_t p7[] = {0x88, 0x25};
    CHECK_EQ_INT(sy_vp9_desc_parse(p7, sizeof(p7), &d), 0);
    CHECK(d.picture_id == 0x25 && !d.pid_15bit && d.len == 2);
    /* Flexible mode: L without TL0PICIDX, then P_DIFFs (N chains them, at most 3). */
    const uint8_t fx[] = {0xF8, 0x81, 0x00, 0x42, 0x03, 0x05, 0x06};
    CHECK_EQ_INT(sy_vp9_desc_parse(fx, sizeof(fx), &d), 0);
    CHECK(d.f && d.p && d.tl0picidx == -1 && d.tid == 2 && d.sid == 1);
    CHECK_EQ_INT(d.n_pdiff, 3);
    CHECK(d.pdiff[0] == 1 && d.pdiff[1] == 2 && d.pdiff[2] == 3 && d.len == 7);
    const uint8_t fx4[] = {0xF8, 0x81, 0x00, 0x42, 0x03, 0x05, 0x07, 0x08};
    CHECK_EQ_INT(sy_vp9_desc_parse(fx4, sizeof(fx4), &d), -1); /* a 4th P_DIFF */
    /* Scalability structure: 3 layers with resolutions, a group of 2 frames. */
    const uint8_t ss[] = {0xAA, 0x80, 0x07, 0x00, 0x00, /* I, V; pid; L: tid 0 sid 0; tl0 */
                          0x58,                         /* N_S=2, Y, G */
                          0x00, 0xA0, 0x00, 0x5A, 0x01, 0x40, 0x00, 0xB4, 0x02, 0x80, 0x01, 0x68,
                          0x02,                         /* N_G */
                          0x04, 0x01,                   /* tid 0, R=1, P_DIFF */
                          0x50, 0x01};                  /* tid 2, U, R=0 ; then frame data */
    CHECK_EQ_INT(sy_vp9_desc_parse(ss, sizeof(ss), &d), 0);
    CHECK_EQ_INT(d.ss_layers, 3);
    CHECK(d.ss_res && d.width[0] == 160 && d.height[0] == 90 && d.width[2] == 640 && d.height[2] == 360);
    CHECK_EQ_INT(d.ss_groups, 2);
    CHECK_EQ_INT((int)d.len, (int)sizeof(ss) - 1);
    for (size_t k = 0; k < sizeof(ss) - 1; k++) CHECK_EQ_INT(sy_vp9_desc_parse(ss, k, &d), -1);
    CHECK_EQ_INT(sy_vp9_desc_parse(b, 0, &d), -1);

    /* ---- SVC selection ---- */
    sy_svc s;
    bool fwd[6], mark[6];
    sy_svc_init(&s, 2, 2);
    /* Nothing before the first key frame; the selector asks for one. */
    unsigned f = picture(&s, 10, false, 0, false, 3, fwd, mark);
    CHECK(f & SY_SVC_NEED_KEYFRAME);
    CHECK(!(f & SY_SVC_FORWARD));
    CHECK_EQ_INT(s.spatial, -1);
    /* A key picture: straight to the target, every layer forwarded, marker on the top. */
    f = picture(&s, 11, true, 0, false, 3, fwd, mark);
    CHECK((f & SY_SVC_SPATIAL_CHANGED) && (f & SY_SVC_TEMPORAL_CHANGED));
    CHECK(s.spatial == 2 && s.temporal == 2);
    for (int k = 0; k < 6; k++) CHECK(fwd[k]);
    CHECK(!mark[1] && !mark[3] && mark[5]);
    /* Down to spatial 0 in the middle of a picture: at the next picture only. */
    pkt(&s, 12, true, true, false, 2, false, 0);
    sy_svc_set_target(&s, 0, 2);
    CHECK(pkt(&s, 12, true, true, true, 2, false, 1) & SY_SVC_FORWARD);
    CHECK_EQ_INT(s.spatial, 2);
    f = picture(&s, 13, false, 1, false, 3, fwd, mark);
    CHECK((f & SY_SVC_SPATIAL_CHANGED) && s.spatial == 0);
    CHECK(fwd[0] && fwd[1] && !fwd[2] && !fwd[3] && !fwd[4] && !fwd[5]);
    CHECK(!mark[0] && mark[1]); /* the E packet of layer 0 ends the forwarded picture */
    /* Up to 1: layer 1's frames are predicted from earlier pictures: wait, ask for a key. */
    sy_svc_set_target(&s, 1, 2);
    f = picture(&s, 14, false, 0, false, 3, fwd, mark);
    CHECK((f & SY_SVC_NEED_KEYFRAME) && !(f & SY_SVC_SPATIAL_CHANGED) && s.spatial == 0);
    CHECK(fwd[1] && !fwd[2]);
    /* A layer 1 frame with P=0 (not inter-picture predicted) in a non-key picture. */
    pkt(&s, 15, true, true, true, 0, false, 0);
    f = pkt(&s, 15, false, true, false, 0, false, 1);
    CHECK((f & SY_SVC_SPATIAL_CHANGED) && (f & SY_SVC_FORWARD) && s.spatial == 1);
    CHECK(pkt(&s, 15, false, false, true, 0, false, 1) & SY_SVC_MARKER);
    /* But not when the layer below was not forwarded in that picture (TID dropped). */
    sy_svc_init(&s, 0, 0);
    picture(&s, 20, true, 0, false, 3, NULL, NULL);
    sy_svc_set_target(&s, 1, 0);
    pkt(&s, 21, true, true, true, 1, false, 0); /* TID 1: dropped */
    f = pkt(&s, 21, false, true, true, 1, false, 1);
    CHECK(!(f & SY_SVC_FORWARD) && s.spatial == 0);
    /* A key picture with a scalability structure of two layers: target 2 -> spatial 1. */
    sy_svc_init(&s, 2, 2);
    uint8_t k2[32];
    n = desc(k2, 30, false, true, false, 0, false, 0, false, 0);
    k2[0] |= 0x02; /* V */
    k2[n] = 0x30;  /* N_S=1, Y */
    memset(k2 + n + 1, 0x01, 8);
    CHECK_EQ_INT(sy_vp9_desc_parse(k2, n + 9, &d), 0);
    CHECK_EQ_INT(d.ss_layers, 2);
    f = sy_svc_process(&s, &d, true);
    CHECK((f & SY_SVC_FORWARD) && s.spatial == 1);
    CHECK(pkt(&s, 30, false, true, true, 0, false, 1) & SY_SVC_MARKER);
    /* Temporal: L1T3 pattern 0,2,1,2; target 0 drops TID 1 and 2 at once. */
    sy_svc_init(&s, 0, 2);
    picture(&s, 40, true, 0, false, 1, NULL, NULL);
    sy_svc_set_target(&s, 0, 0);
    f = picture(&s, 41, false, 2, false, 1, fwd, NULL);
    CHECK((f & SY_SVC_TEMPORAL_CHANGED) && s.temporal == 0 && !fwd[0] && !fwd[1]);
    CHECK(!(picture(&s, 42, false, 1, false, 1, NULL, NULL) & SY_SVC_FORWARD));
    /* Up to 2: not on a TID 2 frame without U, yes on a TID 1 switching point (to 1),
     * then on TID 0 (to the target). */
    sy_svc_set_target(&s, 0, 2);
    f = picture(&s, 43, false, 2, false, 1, NULL, NULL);
    CHECK(!(f & SY_SVC_FORWARD) && s.temporal == 0);
    f = picture(&s, 45, false, 1, true, 1, NULL, NULL);
    CHECK((f & SY_SVC_TEMPORAL_CHANGED) && (f & SY_SVC_FORWARD) && s.temporal == 1);
    CHECK(!(picture(&s, 46, false, 2, false, 1, NULL, NULL) & SY_SVC_FORWARD));
    f = picture(&s, 47, false, 0, false, 1, NULL, NULL);
    CHECK((f & SY_SVC_TEMPORAL_CHANGED) && s.temporal == 2);
    CHECK(picture(&s, 48, false, 2, false, 1, NULL, NULL) & SY_SVC_FORWARD);
    /* Targets are clamped. */
    sy_svc_set_target(&s, 7, -3);
    CHECK(s.spatial_target == 2 && s.temporal_target == 0);
    /* Picture id wrap (15 bits): 0x7FFF then 0 is a new picture. */
    sy_svc_init(&s, 1, 2);
    picture(&s, 0x7FFF, true, 0, false, 3, NULL, NULL);
    sy_svc_set_target(&s, 0, 2);
    f = picture(&s, 0, false, 0, false, 3, fwd, NULL);
    CHECK((f & SY_SVC_SPATIAL_CHANGED) && s.spatial == 0 && !fwd[2]);
    return CHECK_DONE();
}
