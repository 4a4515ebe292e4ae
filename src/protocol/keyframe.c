#include "protocol/keyframe.h"

static bool vp8_keyframe(const uint8_t *p, size_t len)
{
    if (len < 1) return false;
    size_t off = 1;
    bool start = (p[0] & 0x10) != 0, partition0 = (p[0] & 0x0F) == 0;
    if (p[0] & 0x80) { /* X: extension byte I L T K */
        if (len < 2) return false;
        uint8_t x = p[1];
        off = 2;
        if (x & 0x80) { /* I: picture id, 7 or 15 bits */
            if (off >= len) return false;
            off += (p[off] & 0x80) ? 2 : 1;
        }
        if (x & 0x40) off++;          /* L: TL0PICIDX */
        if (x & 0x30) off++;          /* T or K: TID/Y/KEYIDX */
    }
    if (!start || !partition0 || off >= len) return false;
    return (p[off] & 0x01) == 0; /* VP8 frame tag: P=0 is a key frame */
}

static bool vp9_keyframe(const uint8_t *p, size_t len)
{
    if (len < 1) return false;
    uint8_t b = p[0];
    bool pic_id = b & 0x80, inter = b & 0x40, layers = b & 0x20, flexible = b & 0x10,
         begin = b & 0x08;
    if (!begin || inter) return false;
    size_t off = 1;
    if (pic_id) {
        if (off >= len) return false;
        off += (p[off] & 0x80) ? 2 : 1;
    }
    if (layers) {
        if (off >= len) return false;
        uint8_t sid = (p[off] >> 1) & 0x07;
        if (sid != 0) return false;
        (void)flexible;
    }
    return off <= len;
}

static bool h264_nal_key(uint8_t type) { return type == 5 || type == 7; }

static bool h264_keyframe(const uint8_t *p, size_t len)
{
    if (len < 1) return false;
    uint8_t type = p[0] & 0x1F;
    if (type >= 1 && type <= 23) return h264_nal_key(type);
    if (type == 24) { /* STAP-A: 16-bit sizes, then NAL units */
        size_t off = 1;
        while (off + 2 < len) {
            size_t n = (size_t)p[off] << 8 | p[off + 1];
            off += 2;
            if (n == 0 || n > len - off) return false;
            if (h264_nal_key(p[off] & 0x1F)) return true;
            off += n;
        }
        return false;
    }
    if (type == 28) { /* FU-A: start bit and the fragmented NAL's type */
        if (len < 2) return false;
        return (p[1] & 0x80) && h264_nal_key(p[1] & 0x1F);
    }
    return false;
}

bool sy_rtp_payload_is_keyframe(sy_video_codec codec, const uint8_t *payload, size_t len)
{
    if (!payload) return false;
    switch (codec) {
    case SY_VIDEO_VP8: return vp8_keyframe(payload, len);
    case SY_VIDEO_VP9: return vp9_keyframe(payload, len);
    case SY_VIDEO_H264: return h264_keyframe(payload, len);
    case SY_VIDEO_AV1: return len >= 1 && (payload[0] & 0x08) != 0;
    default: return false;
    }
}
