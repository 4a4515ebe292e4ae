/*
 * RTCP feedback messages (RFC 4585 RTPFB/PSFB): generic NACK, transport-wide congestion
 * control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01), PLI, FIR
 * (RFC 5104) and REMB (draft-alvestrand-rmcat-remb-03).
 *
 * The readers take a sub-packet found by the iterator of rtcp.h, read nothing past it and
 * allocate nothing; every list they expand goes into a caller array with a cap (or
 * through a callback that may stop), so a 1500-byte packet costs a bounded amount of work
 * whatever its counts say. Errors are the SY_RTCP_E_* codes of rtcp.h.
 */
#ifndef SY_PROTOCOL_RTCP_FB_H
#define SY_PROTOCOL_RTCP_FB_H

#include "protocol/rtcp.h"

/* The common part of a feedback message. */
typedef struct sy_rtcp_fb {
    uint8_t pt;           /* SY_RTCP_PT_RTPFB or SY_RTCP_PT_PSFB */
    uint8_t fmt;          /* the FMT field */
    uint32_t sender_ssrc; /* SSRC of packet sender */
    uint32_t media_ssrc;  /* SSRC of media source (0 for FIR and REMB) */
    const uint8_t *fci;   /* feedback control information, into the packet */
    size_t fci_len;
} sy_rtcp_fb;

/*
 * Reads the common feedback header of an RTPFB or PSFB sub-packet. Returns 0,
 * SY_RTCP_E_TYPE for other packet types, SY_RTCP_E_TRUNCATED when the body is under the
 * 8 bytes of the two SSRCs.
 */
int sy_rtcp_read_fb(const sy_rtcp_pkt *p, sy_rtcp_fb *fb);

/* True for a PSFB FMT 15 whose FCI starts with the "REMB" identifier. */
bool sy_rtcp_fb_is_remb(const sy_rtcp_fb *fb);

/* ---- generic NACK (RTPFB FMT 1) ---- */

/* Called with each lost sequence number; return non-zero to stop. */
typedef int (*sy_rtcp_nack_fn)(void *ud, uint16_t seq);

/*
 * Expands the PID + BLP pairs of a generic NACK, in packet order (each PID, then the BLP
 * bits from the lowest), calling fn for each sequence number. Returns how many were
 * visited, or SY_RTCP_E_TYPE, or SY_RTCP_E_MALFORMED for an FCI that is empty or not a
 * whole number of 4-byte pairs. A pair expands to at most 17 numbers.
 */
int sy_rtcp_nack_for_each(const sy_rtcp_fb *fb, sy_rtcp_nack_fn fn, void *ud);

/*
 * Like sy_rtcp_nack_for_each, into seqs: stops after max numbers (the cap bounds the
 * work of a huge NACK list) and returns how many were written. The whole FCI size is
 * checked first, so a malformed NACK gives an error even when max is reached early.
 */
int sy_rtcp_read_nack(const sy_rtcp_fb *fb, uint16_t *seqs, size_t max);

/* ---- transport-wide congestion control feedback (RTPFB FMT 15) ---- */

/* Packet status symbols. */
enum {
    SY_TWCC_STATUS_NOT_RECEIVED = 0,
    SY_TWCC_STATUS_SMALL_DELTA = 1, /* received; delta 0..255 ticks in one byte */
    SY_TWCC_STATUS_LARGE_DELTA = 2, /* received; signed 16-bit delta */
};

#define SY_TWCC_TICK_US 250       /* unit of the receive deltas */
#define SY_TWCC_REF_TIME_US 64000 /* unit of the reference time */
#define SY_TWCC_MAX_RUN 8191      /* longest run-length chunk */

typedef struct sy_rtcp_twcc {
    uint16_t base_seq;     /* transport-wide sequence number of the first status */
    uint16_t status_count; /* statuses in the packet, >= 1 */
    int32_t ref_time;      /* signed 24 bits, units of 64 ms */
    uint8_t fb_count;      /* feedback packet count, wraps */
    uint16_t received;     /* statuses that are received (the number of deltas) */
} sy_rtcp_twcc;

typedef struct sy_rtcp_twcc_status {
    uint16_t seq;       /* base_seq + index, wrapping */
    uint8_t status;     /* SY_TWCC_STATUS_* */
    int16_t delta;      /* receive delta in 250 us ticks; 0 when not received */
    int64_t arrival_us; /* ref_time * 64 ms + the deltas so far; only when received */
} sy_rtcp_twcc_status;

/*
 * Reads a transport-cc feedback: fills *hdr, then writes the first min(max, status_count)
 * statuses into out (may be NULL when max is 0) and returns how many were written. The
 * whole packet (every chunk up to status_count and every receive delta) is validated
 * before anything is written. Errors: SY_RTCP_E_TYPE; SY_RTCP_E_TRUNCATED when the chunks
 * or deltas run past the FCI; SY_RTCP_E_MALFORMED for a status count of 0 or the reserved
 * symbol 3. Bytes after the deltas (zero padding) are ignored.
 */
int sy_rtcp_read_twcc(const sy_rtcp_fb *fb, sy_rtcp_twcc *hdr, sy_rtcp_twcc_status *out,
                      size_t max);

/* ---- PLI (PSFB FMT 1), FIR (PSFB FMT 4) ---- */

/* True for a picture loss indication (it has no FCI to read). */
bool sy_rtcp_fb_is_pli(const sy_rtcp_fb *fb);

typedef struct sy_rtcp_fir_entry {
    uint32_t ssrc;  /* the media sender asked for a keyframe */
    uint8_t seq_nr; /* command sequence number: a repeat of the same request keeps it */
} sy_rtcp_fir_entry;

/*
 * Reads the FCI entries of a FIR into out, up to max; returns how many were written.
 * Errors: SY_RTCP_E_TYPE; SY_RTCP_E_MALFORMED for an FCI that is empty or not a whole
 * number of 8-byte entries.
 */
int sy_rtcp_read_fir(const sy_rtcp_fb *fb, sy_rtcp_fir_entry *out, size_t max);

/* ---- REMB (PSFB FMT 15, "REMB") ---- */

/*
 * Reads a receiver estimated maximum bitrate: *bitrate (bits per second) is mantissa <<
 * exponent, saturated at UINT64_MAX when an absurd exponent would overflow; up to max of
 * its SSRCs go into ssrcs. Returns the number of SSRCs written. *n_ssrcs (may be NULL)
 * gets the count in the packet. Errors: SY_RTCP_E_TYPE (not a REMB), SY_RTCP_E_TRUNCATED
 * when the SSRC list runs past the FCI.
 */
int sy_rtcp_read_remb(const sy_rtcp_fb *fb, uint64_t *bitrate, uint8_t *n_ssrcs, uint32_t *ssrcs,
                      size_t max);

#endif
