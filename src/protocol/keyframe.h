/*
 * Key frame detection from RTP payloads (the start of a frame that decodes on its
 * own), for NACK bookkeeping, keyframe requests and simulcast switching.
 * Pure code over (pointer, length); never reads past len.
 */
#ifndef SY_PROTOCOL_KEYFRAME_H
#define SY_PROTOCOL_KEYFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sy_video_codec {
    SY_VIDEO_NONE = 0,
    SY_VIDEO_VP8,
    SY_VIDEO_VP9,
    SY_VIDEO_H264,
    SY_VIDEO_AV1,
} sy_video_codec;

/* True if the payload is the first packet of a key frame:
 *   VP8: S=1, partition 0, and the VP8 frame header's P bit clear (RFC 7741);
 *   VP9: B=1 and P=0 (not inter-predicted), spatial layer 0 when L is present;
 *   H.264: an IDR slice (5) or SPS (7), alone, in STAP-A, or a FU-A start;
 *   AV1: aggregation header N=1 (first packet of a coded video sequence). */
bool sy_rtp_payload_is_keyframe(sy_video_codec codec, const uint8_t *payload, size_t len);

#endif
