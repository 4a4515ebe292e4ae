/*
 * Building RTCP packets into caller buffers: SR, RR, SDES CNAME, BYE, generic NACK, PLI,
 * FIR, REMB and transport-wide cc feedback, plus appending to a compound.
 *
 * Every builder writes one complete sub-packet at out[0..] and returns the number of
 * bytes written (always a multiple of 4), or a negative SY_RTCP_E_* error from rtcp.h:
 * SY_RTCP_E_NOSPACE when cap is too small (nothing useful is left in out), SY_RTCP_E_INVAL
 * when an argument cannot be encoded. Nothing is allocated. A compound is built by
 * writing sub-packets one after another:
 *
 *     int n = sy_rtcp_build_rr(buf, cap, ssrc, NULL, 0);
 *     int m = n < 0 ? n : sy_rtcp_build_sdes_cname(buf + n, cap - n, ssrc, cname, len);
 *
 * or by copying already-built packets with sy_rtcp_append.
 */
#ifndef SY_PROTOCOL_RTCP_BUILD_H
#define SY_PROTOCOL_RTCP_BUILD_H

#include "protocol/rtcp.h"
#include "protocol/rtcp_fb.h"

/* A Sender Report with n (<= 31) report blocks (blocks may be NULL when n is 0).
 * sr->n_blocks is ignored. */
int sy_rtcp_build_sr(uint8_t *out, size_t cap, const sy_rtcp_sr *sr,
                     const sy_rtcp_report_block *blocks, size_t n);

/* A Receiver Report from ssrc with n (<= 31) report blocks. cumulative_lost is clamped to
 * the signed 24-bit range of the wire. */
int sy_rtcp_build_rr(uint8_t *out, size_t cap, uint32_t ssrc, const sy_rtcp_report_block *blocks,
                     size_t n);

/* An SDES with one chunk holding one CNAME item (len <= 255 bytes, copied). */
int sy_rtcp_build_sdes_cname(uint8_t *out, size_t cap, uint32_t ssrc, const char *cname,
                             size_t len);

/* A BYE for n (1..31) SSRCs with an optional reason (reason_len <= 255; NULL for none). */
int sy_rtcp_build_bye(uint8_t *out, size_t cap, const uint32_t *ssrcs, size_t n, const char *reason,
                      size_t reason_len);

/*
 * A generic NACK for the n (>= 1) lost sequence numbers in seqs, packed into PID + BLP
 * pairs: each number opens a pair unless it falls within the 16 after the current pair's
 * PID. Pass them in increasing order (wraparound allowed, as sy_nack_gen_get gives them)
 * for the most compact packet; any order is still encoded correctly, and duplicates are
 * fine.
 * consumed NULL: every number must fit, else SY_RTCP_E_NOSPACE. consumed non-NULL: as
 * many pairs as fit in cap are written and *consumed gets how many leading entries of
 * seqs they cover (send the rest in another packet); SY_RTCP_E_NOSPACE if not even one.
 */
int sy_rtcp_build_nack(uint8_t *out, size_t cap, uint32_t sender, uint32_t media,
                       const uint16_t *seqs, size_t n, size_t *consumed);

/* A picture loss indication (12 bytes). */
int sy_rtcp_build_pli(uint8_t *out, size_t cap, uint32_t sender, uint32_t media);

/*
 * A full intra request with n (>= 1) entries. The caller keeps each target's command
 * sequence number and increments it for every new request (RFC 5104 4.3.1.1); a repeat
 * of an unanswered request keeps the same number.
 */
int sy_rtcp_build_fir(uint8_t *out, size_t cap, uint32_t sender, const sy_rtcp_fir_entry *entries,
                      size_t n);

/*
 * A REMB of bitrate bits per second for n (<= 255) SSRCs (ssrcs may be NULL when n is 0).
 * The bitrate is encoded as an 18-bit mantissa and a 6-bit exponent, rounding down.
 */
int sy_rtcp_build_remb(uint8_t *out, size_t cap, uint32_t sender, uint64_t bitrate,
                       const uint32_t *ssrcs, size_t n);

/* The arrival time of a packet that was not received, in the TWCC builders' arrays. */
#define SY_TWCC_NOT_RECEIVED UINT64_MAX

/*
 * A transport-wide cc feedback for the n (>= 1) consecutive transport sequence numbers
 * base_seq, base_seq + 1, ...: arrival_us[i] is when base_seq + i arrived (any
 * microsecond clock of the caller's), or SY_TWCC_NOT_RECEIVED. fb_count is the feedback
 * packet count (the caller increments it per packet sent).
 * The reference time is the first received arrival rounded down to 64 ms; deltas are in
 * 250 us ticks, kept exact across the packet (no accumulated rounding). Chunks are chosen
 * greedily: a run-length chunk when a run of equal statuses covers at least as much as a
 * vector would, else a one-bit vector (14 statuses: not received / small delta) or a
 * two-bit vector (7 statuses, when a large or negative delta is among them). The packet
 * is padded to 32 bits with the RTCP P bit, as libwebrtc does.
 * The packet stops early at a delta that does not fit 16 bits (over ~8 s between two
 * received packets), at 65535 statuses, or when cap is reached: consumed NULL makes any
 * such stop an error (SY_RTCP_E_INVAL for a delta, SY_RTCP_E_NOSPACE for cap); consumed
 * non-NULL gets the number of statuses covered, and the caller builds the rest into
 * another packet starting at base_seq + *consumed.
 */
int sy_rtcp_build_twcc(uint8_t *out, size_t cap, uint32_t sender, uint32_t media, uint8_t fb_count,
                       uint16_t base_seq, const uint64_t *arrival_us, size_t n, size_t *consumed);

/*
 * Like sy_rtcp_build_twcc, reading the arrivals from a ring: the arrival of base_seq + i
 * is ring[(start + i) & ring_mask] (ring_mask + 1 is the ring's power-of-two size).
 * This lets a recorder build straight from its storage (see twcc.h).
 */
int sy_rtcp_build_twcc_ring(uint8_t *out, size_t cap, uint32_t sender, uint32_t media,
                            uint8_t fb_count, uint16_t base_seq, const uint64_t *ring,
                            size_t ring_mask, size_t start, size_t n, size_t *consumed);

/*
 * Appends a packet (one or more sub-packets, validated with sy_rtcp_validate) to the
 * compound out[0..*len), advancing *len. Returns the new length, SY_RTCP_E_NOSPACE, or
 * the validation error of pkt (then out is unchanged).
 */
int sy_rtcp_append(uint8_t *out, size_t cap, size_t *len, const uint8_t *pkt, size_t pkt_len);

#endif
