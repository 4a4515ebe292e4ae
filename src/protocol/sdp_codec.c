/* The codec table and the H.264 profile rules (see sdp_codec.h). */
#include <string.h>
#include <strings.h>

#include "sdp_attr.h"
#include "sdp_codec.h"

static const struct {
    const char *encoding, *id;
    uint32_t clock;
    uint8_t channels;
    int static_pt;
    sy_sdp_media_type media;
} codecs[SY_CODEC_COUNT_] = {
    [SY_CODEC_UNKNOWN] = {"", "", 0, 0, -1, SY_SDP_OTHER},
    [SY_CODEC_OPUS] = {"opus", "opus", 48000, 2, -1, SY_SDP_AUDIO},
    [SY_CODEC_PCMU] = {"PCMU", "pcmu", 8000, 0, 0, SY_SDP_AUDIO},
    [SY_CODEC_PCMA] = {"PCMA", "pcma", 8000, 0, 8, SY_SDP_AUDIO},
    [SY_CODEC_G722] = {"G722", "g722", 8000, 0, 9, SY_SDP_AUDIO},
    [SY_CODEC_VP8] = {"VP8", "vp8", 90000, 0, -1, SY_SDP_VIDEO},
    [SY_CODEC_VP9] = {"VP9", "vp9", 90000, 0, -1, SY_SDP_VIDEO},
    [SY_CODEC_H264] = {"H264", "h264", 90000, 0, -1, SY_SDP_VIDEO},
    [SY_CODEC_AV1] = {"AV1", "av1", 90000, 0, -1, SY_SDP_VIDEO},
    [SY_CODEC_RTX] = {"rtx", "rtx", 0, 0, -1, SY_SDP_OTHER},
    [SY_CODEC_RED] = {"red", "red", 0, 0, -1, SY_SDP_OTHER},
    [SY_CODEC_ULPFEC] = {"ulpfec", "ulpfec", 0, 0, -1, SY_SDP_OTHER},
};

static bool valid(sy_codec c)
{
    return (unsigned)c < SY_CODEC_COUNT_;
}

sy_codec sy_codec_from_name(const char *name)
{
    if (!name || !*name) return SY_CODEC_UNKNOWN;
    if (strcasecmp(name, "AV1X") == 0) return SY_CODEC_AV1;
    for (int i = 1; i < SY_CODEC_COUNT_; i++)
        if (strcasecmp(name, codecs[i].encoding) == 0) return (sy_codec)i;
    return SY_CODEC_UNKNOWN;
}

const char *sy_codec_encoding(sy_codec c)
{
    return valid(c) ? codecs[c].encoding : "";
}

const char *sy_codec_id(sy_codec c)
{
    return valid(c) ? codecs[c].id : "";
}

uint32_t sy_codec_clock_rate(sy_codec c)
{
    return valid(c) ? codecs[c].clock : 0;
}

uint8_t sy_codec_channels(sy_codec c)
{
    return valid(c) ? codecs[c].channels : 0;
}

int sy_codec_static_pt(sy_codec c)
{
    return valid(c) ? codecs[c].static_pt : -1;
}

sy_codec sy_codec_from_static_pt(unsigned pt)
{
    for (int i = 1; i < SY_CODEC_COUNT_; i++)
        if (codecs[i].static_pt >= 0 && (unsigned)codecs[i].static_pt == pt) return (sy_codec)i;
    return SY_CODEC_UNKNOWN;
}

sy_sdp_media_type sy_codec_media_type(sy_codec c)
{
    return valid(c) ? codecs[c].media : SY_SDP_OTHER;
}

/* ---- H.264 ---- */

/* profile_idc plus a profile-iop bit pattern (MSB first, 'x' = any) per profile, in the
 * order libwebrtc matches them. */
static const struct {
    uint8_t idc;
    const char *iop;
    sy_h264_profile profile;
} h264_patterns[] = {
    {0x42, "x1xx0000", SY_H264_CONSTRAINED_BASELINE},
    {0x4D, "1xxx0000", SY_H264_CONSTRAINED_BASELINE},
    {0x58, "11xx0000", SY_H264_CONSTRAINED_BASELINE},
    {0x42, "x0xx0000", SY_H264_BASELINE},
    {0x58, "10xx0000", SY_H264_BASELINE},
    {0x4D, "0x0x0000", SY_H264_MAIN},
    {0x64, "00000000", SY_H264_HIGH},
    {0x64, "00001100", SY_H264_CONSTRAINED_HIGH},
    {0xF4, "00000000", SY_H264_PREDICTIVE_HIGH_444},
};

static bool iop_matches(uint8_t iop, const char *pattern)
{
    for (int bit = 0; bit < 8; bit++) {
        char want = pattern[bit];
        int have = (iop >> (7 - bit)) & 1;
        if (want != 'x' && have != want - '0') return false;
    }
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int sy_h264_profile_parse(const char *plid, sy_h264_profile *profile, uint8_t *level)
{
    uint8_t b[3];
    if (!plid || strlen(plid) != 6) return -1;
    for (int i = 0; i < 3; i++) {
        int hi = hexval(plid[2 * i]), lo = hexval(plid[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    for (size_t i = 0; i < sizeof(h264_patterns) / sizeof(h264_patterns[0]); i++) {
        if (h264_patterns[i].idc == b[0] && iop_matches(b[1], h264_patterns[i].iop)) {
            *profile = h264_patterns[i].profile;
            *level = b[2];
            return 0;
        }
    }
    return -1;
}

int sy_h264_fmtp_profile(const char *params, sy_h264_profile *profile, uint8_t *level)
{
    char plid[8];
    int r = sy_sdp_fmtp_get(params, "profile-level-id", plid, sizeof(plid));
    if (r < 0) return -1;
    return sy_h264_profile_parse(r == 1 ? plid : "420010", profile, level);
}

int sy_h264_packetization_mode(const char *params)
{
    uint32_t pm = 0;
    int r = sy_sdp_fmtp_get_uint(params, "packetization-mode", 2, &pm);
    return r < 0 ? -1 : (int)pm;
}
