/*
 * Simulcast layer selection and the sequence/timestamp continuity a receiver needs
 * when the forwarded source changes (a layer switch, or a switch of publisher).
 * Pure code: the caller passes packet facts and the time.
 *
 * sy_simulcast decides, per incoming packet of any layer, whether to forward it:
 *   - only the current substream (spatial layer) is forwarded;
 *   - a switch to the target happens on a key frame of the target layer;
 *   - when the current layer sends nothing for fallback_us, it falls back to the
 *     best lower layer that is still sending (on its next key frame);
 *   - VP8 temporal layers above the target temporal id are dropped.
 * sy_rtp_rewriter maps (ssrc, seq, ts) of whatever is forwarded into one continuous
 * outgoing stream.
 */
#ifndef SY_PROTOCOL_SIMULCAST_H
#define SY_PROTOCOL_SIMULCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SY_SIMULCAST_LAYERS 3

typedef struct sy_simulcast {
    int substream;          /* layer being forwarded, -1 before the first key frame */
    int substream_target;   /* wanted layer, 0 (lowest) .. 2 */
    int temporal;           /* highest temporal id forwarded */
    int temporal_target;
    uint64_t fallback_us;   /* silence of the current layer before falling back */
    uint64_t last_seen_us[SY_SIMULCAST_LAYERS];
} sy_simulcast;

/* Target: highest layer, all temporal layers; fallback_us 0 gives 250 ms (Janus). */
void sy_simulcast_init(sy_simulcast *s, int substream_target, int temporal_target, uint64_t fallback_us);
void sy_simulcast_set_target(sy_simulcast *s, int substream_target, int temporal_target);

enum {
    SY_SIMULCAST_FORWARD = 1 << 0,
    SY_SIMULCAST_SWITCHED = 1 << 1,  /* the substream changed with this packet */
    SY_SIMULCAST_NEED_KEYFRAME = 1 << 2, /* waiting for a key frame: ask the sender */
};

/* One packet of layer `substream` (0..2) arriving at now_us; keyframe: it starts a
 * key frame; temporal_id: its VP8/VP9 TID, or -1 when unknown. Returns SY_SIMULCAST_*. */
unsigned sy_simulcast_process(sy_simulcast *s, int substream, bool keyframe, int temporal_id,
                              uint64_t now_us);

/* The VP8 payload descriptor's temporal layer id (TID), or -1 when absent/truncated. */
int sy_vp8_temporal_id(const uint8_t *payload, size_t len);

/* Input packets of the current mapping that were dropped on purpose (temporal or
 * spatial layers above the receiver's target), remembered so that a packet reordered
 * across them (or a publisher's retransmission) still gets the number it would have
 * had: about a second of an SVC stream dropped to its lowest layers. Searched only for
 * packets older than the newest (reordered, RTX), not per in-order packet. */
#define SY_RTP_REWRITER_DROPS 256

typedef struct sy_rtp_rewriter {
    bool started;
    uint32_t ssrc_in;     /* source being forwarded */
    uint16_t seq_base_in, seq_base_out, last_seq_out;
    uint32_t ts_base_in, ts_base_out, last_ts_out;
    uint64_t last_out_us;
    uint32_t clock_rate;  /* for the timestamp gap across a switch */
    /* Drops: the outgoing sequence skips them (no gap for the receiver to NACK). */
    uint16_t max_seq_in;  /* newest input seq of this mapping, forwarded or dropped */
    uint16_t drop_off;    /* dropped so far in this mapping (mod 2^16) */
    uint16_t drops[SY_RTP_REWRITER_DROPS]; /* the latest dropped input seqs, a ring */
    int n_drops, drop_head;
} sy_rtp_rewriter;

void sy_rtp_rewriter_init(sy_rtp_rewriter *r, uint32_t clock_rate);
/* Maps one forwarded packet. A new ssrc_in starts a new mapping that continues the
 * outgoing sequence (+1) and timestamp (+ the wall time since the last packet, at
 * least one 90 kHz tick). Fills the outgoing seq and ts; the outgoing seq leaves out
 * the packets given to sy_rtp_rewriter_drop. Returns 0, or -1 when the packet is older
 * than the drops remembered (its number is unknown: do not send it). */
int sy_rtp_rewriter_map(sy_rtp_rewriter *r, uint32_t ssrc_in, uint16_t seq_in, uint32_t ts_in,
                        uint64_t now_us, uint16_t *seq_out, uint32_t *ts_out);
/* A packet of the current mapping is not forwarded on purpose: the outgoing sequence
 * closes up over it. Only a drop newer than every packet seen counts: a dropped packet
 * that arrives after a later one was already numbered leaves its hole (the receiver
 * NACKs it; nothing was sent under that number, so nothing is resent). Packets of
 * another SSRC (not yet switched to) are ignored. */
void sy_rtp_rewriter_drop(sy_rtp_rewriter *r, uint32_t ssrc_in, uint16_t seq_in);

/* VP8 payload descriptor fields a forwarder rewrites (RFC 7741 4.2). */
typedef struct sy_vp8_desc {
    int picture_id;    /* -1: absent */
    bool pid_15bit;    /* M bit: 15-bit picture id (else 7-bit) */
    size_t pid_off;    /* offset of the picture id in the payload */
    int tl0picidx;     /* -1: absent */
    size_t tl0_off;
} sy_vp8_desc;

/* Parses the descriptor at the start of a VP8 payload. Returns 0, or -1 when it is
 * truncated (then nothing is rewritten). */
int sy_vp8_desc_parse(const uint8_t *payload, size_t len, sy_vp8_desc *d);

/* Keeps the picture id and TL0PICIDX a receiver sees continuous when the forwarded
 * source changes (a simulcast layer switch, a switch of publisher, a pause): after a
 * change the next picture id is the last one sent + 1, TL0PICIDX likewise. Within one
 * source the input's own gaps and reordering carry over unchanged. */
typedef struct sy_vp8_rewriter {
    bool started, rebase;
    uint32_t ssrc_in;
    uint16_t pid_base_in, pid_base_out, last_pid_out; /* 15-bit values */
    uint8_t tl0_base_in, tl0_base_out, last_tl0_out;
    bool have_pid, have_tl0; /* this mapping has its base */
    bool sent_pid, sent_tl0;  /* something was sent: later mappings continue it */
} sy_vp8_rewriter;

void sy_vp8_rewriter_init(sy_vp8_rewriter *r);
/* The next packet starts a new mapping even from the same SSRC (after a pause). */
void sy_vp8_rewriter_rebase(sy_vp8_rewriter *r);
/* Rewrites the descriptor d (parsed from the original payload) into payload, which
 * must have the same descriptor layout (it may hold another subscriber's values). */
void sy_vp8_rewriter_apply(sy_vp8_rewriter *r, uint32_t ssrc_in, const sy_vp8_desc *d,
                           uint8_t *payload, size_t len);

#endif
