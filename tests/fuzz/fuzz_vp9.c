/*
 * Fuzz target: the VP9 payload descriptor parser and what a forwarder does with it per
 * receiver (security.md table 6 row 9): the SVC layer selector and the sequence
 * rewriter that closes up over dropped layers.
 *
 * Input: a header byte (spatial target bits 0-1, temporal target bits 2-3), then
 * records until the input ends:
 *   byte 0: bit 0 a target change (byte 1: spatial bits 0-1, temporal bits 2-3),
 *           else bits 1-3 the seq step (0: a duplicate), bits 4-7 unused
 *   byte 1: payload length, then the payload (short inputs give what is left)
 * Properties (a failure traps): the parser stays within the payload and its fields in
 * range; the selector forwards only layers up to its current ones, which stay within
 * the targets' range; for packets that arrive in order, every one either forwarded or
 * dropped, the outgoing sequence has no gap.
 */
#include <stdint.h>
#include <string.h>

#include "protocol/keyframe.h"
#include "protocol/simulcast.h"
#include "protocol/svc.h"
#include "protocol/vp9.h"

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) __builtin_trap();                                                             \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    sy_svc svc;
    sy_svc_init(&svc, data[0] & 3, (data[0] >> 2) & 3);
    sy_rtp_rewriter rw;
    sy_rtp_rewriter_init(&rw, 90000);
    uint16_t seq = 65500;
    bool have_out = false, gap_free = true;
    uint16_t last_out = 0;
    size_t off = 1;
    while (off < size) {
        uint8_t b = data[off++];
        if (b & 1) {
            if (off >= size) break;
            uint8_t t = data[off++];
            sy_svc_set_target(&svc, t & 3, (t >> 2) & 3);
            REQUIRE(svc.spatial_target <= 2 && svc.temporal_target <= 2);
            continue;
        }
        int step = (b >> 1) & 7;
        if (step != 1) gap_free = false; /* loss or a duplicate: gaps may remain */
        seq = (uint16_t)(seq + step);
        if (off >= size) break;
        size_t len = data[off++];
        if (len > size - off) len = size - off;
        const uint8_t *payload = data + off;
        off += len;

        sy_vp9_desc d;
        if (sy_vp9_desc_parse(payload, len, &d) < 0) { /* the forwarder drops it */
            sy_rtp_rewriter_drop(&rw, 1, seq);
            continue;
        }
        REQUIRE(d.len <= len && d.len >= 1);
        REQUIRE(d.picture_id >= -1 && d.picture_id <= 0x7FFF);
        REQUIRE(!d.l || (d.tid <= 7 && d.sid <= 7));
        REQUIRE(d.n_pdiff <= 3 && d.ss_layers <= SY_VP9_MAX_SPATIAL);
        REQUIRE(d.picture_id < 0 || d.pid_off + (d.pid_15bit ? 2 : 1) <= d.len);
        REQUIRE(d.tl0picidx < 0 || d.tl0_off < d.len);
        bool key = sy_rtp_payload_is_keyframe(SY_VIDEO_VP9, payload, len);
        unsigned f = sy_svc_process(&svc, &d, key);
        REQUIRE(svc.spatial >= -1 && svc.spatial <= 2 && svc.temporal >= -1 && svc.temporal <= 2);
        int sid = d.l ? d.sid : 0, tid = d.l ? d.tid : 0;
        if (f & SY_SVC_FORWARD) REQUIRE(sid <= svc.spatial && tid <= svc.temporal);
        if (f & SY_SVC_MARKER) REQUIRE((f & SY_SVC_FORWARD) && d.e);
        if (!(f & SY_SVC_FORWARD)) {
            sy_rtp_rewriter_drop(&rw, 1, seq);
            continue;
        }
        uint16_t so;
        uint32_t to;
        if (sy_rtp_rewriter_map(&rw, 1, seq, 0, 0, &so, &to) < 0) continue;
        if (have_out && gap_free) REQUIRE(so == (uint16_t)(last_out + 1));
        have_out = true;
        last_out = so;
    }
    return 0;
}
