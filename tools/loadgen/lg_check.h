/*
 * The load generator's media payload and the subscriber-side checker (pure code, no I/O,
 * unit-tested by tests/unit/test_loadgen_check.c).
 *
 * Every RTP payload the publisher sends starts (after the codec header: the VP8 payload
 * descriptor and, on a frame's first packet, the VP8 payload header) with a 24-byte block:
 *     "SYLG" | stream id (u32) | counter (u32, +1 per packet of the stream) |
 *     send time (u64, CLOCK_MONOTONIC ns) | check (u32 over the previous 20 bytes)
 * followed by a pattern byte[i] = (counter * 7 + i) & 0xff to the end of the payload, so a
 * changed byte anywhere is seen.
 *
 * The checker keeps, per received stream, two sequences: the RTP sequence number (cheap,
 * readable without decrypting: network loss, duplicates, reordering) and, for decrypted
 * packets, the embedded counter (what the server forwarded: content gaps, duplicates,
 * wrong payloads).
 */
#ifndef LG_CHECK_H
#define LG_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_MAGIC 0x53594c47u /* "SYLG" */
#define LG_BLOCK 24
#define LG_WINDOW 1024 /* sequence numbers remembered for duplicate detection */

/* Writes the block and the pattern into out[0..len) (len >= LG_BLOCK). */
void lg_payload_write(uint8_t *out, size_t len, uint32_t stream, uint32_t counter, uint64_t send_ns);

typedef struct lg_payload {
    uint32_t stream, counter;
    uint64_t send_ns;
} lg_payload;
/* 0 if in[0..len) is a valid block + pattern; -2 if the block is valid (out is filled)
 * but the pattern after it is not; -1 if there is no valid block. */
int lg_payload_read(const uint8_t *in, size_t len, lg_payload *out);

/* Where the load generator's block starts in a VP8 RTP payload (after the payload
 * descriptor and, when S=1 and PID=0, the payload header: 3 bytes, 10 on a keyframe);
 * -1 if malformed. */
int lg_vp8_block_offset(const uint8_t *p, size_t len);

/* A sequence tracker over a 16- or 32-bit counter: received, duplicates, lost (holes
 * below the highest seen), reordered. */
typedef struct lg_seq {
    bool started;
    uint64_t first, highest; /* extended */
    uint64_t received, duplicates, reordered, too_old;
    uint64_t bits[LG_WINDOW / 64]; /* seen flags for highest-LG_WINDOW+1 .. highest */
} lg_seq;

/* Records one value; bits is 16 (RTP seq) or 32 (payload counter). */
void lg_seq_add(lg_seq *s, uint32_t value, int bits);
/* Expected - unique received (never negative). */
uint64_t lg_seq_lost(const lg_seq *s);

/* The stream id of a payload block: client id, video flag and simulcast layer (0 low .. 2
 * high; 0 without simulcast), so a subscriber can tell which layer it was sent. */
#define LG_STREAM(client, video, layer) ((uint32_t)(client) << 3 | (uint32_t)(layer) << 1 | ((video) ? 1u : 0u))
#define LG_STREAM_VIDEO(s) ((s) & 1u)
#define LG_STREAM_LAYER(s) (((s) >> 1) & 3u)

/* The embedded counters of one received RTP stream, which may carry several sent streams
 * one after the other: a simulcast subscriber gets the layer the server selected, and the
 * server switches layers (at a keyframe) with continuous sequence numbers. A change of the
 * block's stream id starts a new segment; gaps and duplicates are counted within segments
 * (a switch is not a gap), switches are counted. */
typedef struct lg_content {
    lg_seq cur;
    uint32_t stream;
    uint64_t lost_done, dup_done, switches;
} lg_content;

void lg_content_add(lg_content *c, uint32_t stream, uint32_t counter);
uint64_t lg_content_lost(const lg_content *c);
uint64_t lg_content_dups(const lg_content *c);

/* Parses an RTP header: 0 and the payload offset/length (padding removed), or -1. */
int lg_rtp_parse(const uint8_t *p, size_t len, uint32_t *ssrc, uint16_t *seq, uint8_t *pt,
                 size_t *payload_off, size_t *payload_len);

#endif
