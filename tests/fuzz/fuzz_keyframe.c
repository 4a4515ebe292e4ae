/* Fuzz target: key frame detection for every codec (first byte picks the codec), and the
 * VP8 payload descriptor a forwarder parses and rewrites (temporal id, picture id and
 * TL0PICIDX through sy_vp8_rewriter, twice with another source in between). */
#include <stdint.h>
#include <string.h>

#include "protocol/keyframe.h"
#include "protocol/simulcast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    sy_rtp_payload_is_keyframe((sy_video_codec)(data[0] % 5), data + 1, size - 1);
    uint8_t buf[2048];
    size_t n = size - 1 < sizeof(buf) ? size - 1 : sizeof(buf);
    memcpy(buf, data + 1, n);
    sy_vp8_temporal_id(buf, n);
    sy_vp8_desc d;
    if (sy_vp8_desc_parse(buf, n, &d) == 0) {
        sy_vp8_rewriter r;
        sy_vp8_rewriter_init(&r);
        sy_vp8_rewriter_apply(&r, 1, &d, buf, n);
        sy_vp8_rewriter_apply(&r, 2, &d, buf, n);
        sy_vp8_rewriter_rebase(&r);
        sy_vp8_rewriter_apply(&r, 2, &d, buf, n);
    }
    return 0;
}
