/*
 * Codecs Switchyard knows by name: their rtpmap spelling, clock rate, static payload
 * type, media type; and the H.264 profile-level-id rules that decide whether two H.264
 * formats are the same profile (the test WebRTC stacks apply when they negotiate).
 */
#ifndef SY_PROTOCOL_SDP_CODEC_H
#define SY_PROTOCOL_SDP_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "sdp.h"

typedef enum {
    SY_CODEC_UNKNOWN = 0,
    SY_CODEC_OPUS,
    SY_CODEC_PCMU,
    SY_CODEC_PCMA,
    SY_CODEC_G722,
    SY_CODEC_VP8,
    SY_CODEC_VP9,
    SY_CODEC_H264,
    SY_CODEC_AV1,
    SY_CODEC_RTX,    /* RFC 4588 retransmission, paired by fmtp apt= */
    SY_CODEC_RED,    /* RFC 2198 redundancy (audio RED or video RED) */
    SY_CODEC_ULPFEC, /* RFC 5109 */
    SY_CODEC_COUNT_,
} sy_codec;

/* The codec for an rtpmap encoding name or a configuration name, case-insensitive:
 * "opus", "PCMU", "pcma", "G722", "VP8", "vp9", "H264", "AV1" (and the old "AV1X"),
 * "rtx", "red", "ulpfec". SY_CODEC_UNKNOWN for others. */
sy_codec sy_codec_from_name(const char *name);

/* The rtpmap spelling ("opus", "PCMU", "VP8", "H264", "AV1", "rtx", ...); "" if unknown. */
const char *sy_codec_encoding(sy_codec c);

/* The lowercase configuration name ("opus", "pcmu", "vp8", "h264", ...); "" if unknown. */
const char *sy_codec_id(sy_codec c);

/* The RTP clock rate WebRTC uses (opus 48000, G.711/G.722 8000 as written in rtpmap,
 * video 90000); 0 for rtx, red and ulpfec, whose rate follows the media. */
uint32_t sy_codec_clock_rate(sy_codec c);

/* The rtpmap channel count (opus 2), 0 when the rtpmap has none. */
uint8_t sy_codec_channels(sy_codec c);

/* The static payload type (PCMU 0, PCMA 8, G722 9), -1 for dynamic ones; and back. */
int sy_codec_static_pt(sy_codec c);
sy_codec sy_codec_from_static_pt(unsigned pt);

/* SY_SDP_AUDIO or SY_SDP_VIDEO for media codecs, SY_SDP_OTHER for rtx, red, ulpfec. */
sy_sdp_media_type sy_codec_media_type(sy_codec c);

/* ---- H.264 profile-level-id (RFC 6184 section 8.1) ---- */

typedef enum {
    SY_H264_UNKNOWN = 0,
    SY_H264_CONSTRAINED_BASELINE,
    SY_H264_BASELINE,
    SY_H264_MAIN,
    SY_H264_CONSTRAINED_HIGH,
    SY_H264_HIGH,
    SY_H264_PREDICTIVE_HIGH_444,
} sy_h264_profile;

/* Reads a profile-level-id (6 hex digits: profile_idc, profile-iop, level_idc) into a
 * profile and level_idc. -1 if it is not 6 hex digits or names no known profile. */
int sy_h264_profile_parse(const char *plid, sy_h264_profile *profile, uint8_t *level);

/* The profile and level of H.264 fmtp params; without profile-level-id, RFC 6184's
 * default 420010 (constrained baseline, level 1). -1 if the value is invalid. */
int sy_h264_fmtp_profile(const char *params, sy_h264_profile *profile, uint8_t *level);

/* The packetization-mode of H.264 fmtp params (0 when absent), -1 if invalid. */
int sy_h264_packetization_mode(const char *params);

#endif
