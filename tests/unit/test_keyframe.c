/* Unit tests: key frame detection per codec. */
#include "check.h"
#include "protocol/keyframe.h"

int main(void)
{
    /* VP8: S=1 PID=0, no extension, frame tag P=0 (key) / P=1 (delta). */
    const uint8_t vp8_key[] = {0x10, 0x50, 0x02, 0x00};
    const uint8_t vp8_delta[] = {0x10, 0x51, 0x02, 0x00};
    const uint8_t vp8_cont[] = {0x00, 0x50, 0x02, 0x00}; /* not the start */
    /* X=1, I with 15-bit picture id, L, T: descriptor 5 bytes, then the key tag. */
    const uint8_t vp8_ext_key[] = {0x90, 0xE0, 0x81, 0x23, 0x05, 0x40, 0x50};
    const uint8_t vp8_trunc[] = {0x90, 0xE0, 0x81};
    CHECK(sy_rtp_payload_is_keyframe(SY_VIDEO_VP8, vp8_key, sizeof(vp8_key)));
    CHECK(!sy_rtp_payload_is_keyframe(SY_VIDEO_VP8, vp8_delta, sizeof(vp8_delta)));
    CHECK(!sy_rtp_payload_is_keyframe(SY_VIDEO_VP8, vp8_cont, sizeof(vp8_cont)));
    CHECK(sy_rtp_payload_is_keyframe(SY_VIDEO_VP8, vp8_ext_key, sizeof(vp8_ext_key)));
    CHECK(!sy_rtp_payload_is_keyframe(SY_VIDEO_VP8, vp8_trunc, sizeof(vp8_trunc)));
    CHECK(!sy_rtp_payload_is_keyframe(SY_VIDEO_VP8, vp8_key, 0));
    /* VP9: B=1 P=0 key; P=1 delta; L present with SID 1 is not the base layer. */
    const uint8_t vp9_key[] = {0x08, 0x00};
    const uint8_t vp9_delta[] = {0x48, 0x00};
    const uint8_t vp9_sid1[] = {0x28, 0x02, 0x00};
    CHECK(sy_rtp_payload_is_keyframe(SY_VIDEO_VP9, vp9_key, sizeof(vp9_key)));
    CHECK(!sy_rtp_payload_is_keyframe(SY_VIDEO_VP9, vp9_delta, sizeof(vp9_delta)));
    CHECK(!sy_rtp_payload_is_keyframe(SY_VIDEO_VP9, vp9_sid1, sizeof(vp9_sid1)));
    /* H.264: IDR, SPS in STAP-A, FU-A start of IDR, a P slice. */
    const uint8_t h264_idr[] = {0x65, 0x88};
    const uint8_t h264_stap[] = {0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce};
    const uint8_t h264_fu_start[] = {0x7c, 0x85, 0x00};
    const uint8_t h264_fu_mid[] = {0x7c, 0x05, 0x00};
    const uint8_t h264_p[] = {0x41, 0x9a};
    const uint8_t h264_stap_bad[] = {0x78, 0x00, 0x09, 0x67};
    CHECK(sy_rtp_payload_is_keyframe(SY_VIDEO_H264, h264_idr, sizeof(h264_idr)));
    CHECK(sy_rtp_payload_is_keyframe(SY_VIDEO_H264, h264_stap, sizeof(h264_stap)));
    CHECK(sy_rtp_payload_is_keyframe(SY_VIDEO_H264, h264_fu_start, sizeof(h264_fu_start)));
    CHECK(!sy_rtp_payload_is_keyframe(SY_VIDEO_H264, h264_fu_mid, sizeof(h264_fu_mid)));
    CHECK(!sy_rtp_payload_is_keyframe(SY_VIDEO_H264, h264_p, sizeof(h264_p)));
    CHECK(!sy_rtp_payload_is_keyframe(SY_VIDEO_H264, h264_stap_bad, sizeof(h264_stap_bad)));
    /* AV1: N bit of the aggregation header. */
    const uint8_t av1_new[] = {0x18, 0x00};
    const uint8_t av1_cont[] = {0x10, 0x00};
    CHECK(sy_rtp_payload_is_keyframe(SY_VIDEO_AV1, av1_new, sizeof(av1_new)));
    CHECK(!sy_rtp_payload_is_keyframe(SY_VIDEO_AV1, av1_cont, sizeof(av1_cont)));
    CHECK(!sy_rtp_payload_is_keyframe(SY_VIDEO_NONE, av1_new, sizeof(av1_new)));
    return CHECK_DONE();
}
