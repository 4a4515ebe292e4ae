/*
 * RTCP compound packets (RFC 3550 section 6, RFC 5506 reduced size): framing, the report
 * packets (SR, RR, SDES, BYE) and the in-place helpers the SFU runs on every RTCP packet
 * (classify, validate, filter, rewrite SSRCs).
 *
 * Everything here reads a caller's buffer, never past the length given, and allocates
 * nothing. Returned pointers point into the caller's buffer and live as long as it does.
 * The feedback messages (NACK, TWCC, PLI, FIR, REMB) are read with rtcp_fb.h and every
 * packet type is built with rtcp_build.h.
 *
 * Typical use on a received (already SRTCP-unprotected) datagram:
 *
 *     sy_rtcp_iter it;
 *     sy_rtcp_pkt p;
 *     int r;
 *     sy_rtcp_iter_init(&it, buf, len);
 *     while ((r = sy_rtcp_iter_next(&it, &p)) > 0) {
 *         switch (sy_rtcp_kind_of(&p)) { ... }
 *     }
 *     if (r < 0) { count the drop; the rest of the compound is ignored }
 */
#ifndef SY_PROTOCOL_RTCP_H
#define SY_PROTOCOL_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Errors returned (negative) by the RTCP readers and builders. */
enum {
    SY_RTCP_E_TRUNCATED = -1, /* a length field or a count runs past the bytes available */
    SY_RTCP_E_MALFORMED = -2, /* bad version, padding, reserved value or structure */
    SY_RTCP_E_TYPE = -3,      /* the packet is not of the type this reader handles */
    SY_RTCP_E_NOSPACE = -4,   /* builders: the output buffer is too small */
    SY_RTCP_E_INVAL = -5,     /* builders: an argument cannot be encoded (count, length) */
};

/* Packet types (RFC 3550, RFC 4585, RFC 3611). */
enum {
    SY_RTCP_PT_SR = 200,
    SY_RTCP_PT_RR = 201,
    SY_RTCP_PT_SDES = 202,
    SY_RTCP_PT_BYE = 203,
    SY_RTCP_PT_APP = 204,
    SY_RTCP_PT_RTPFB = 205, /* transport-layer feedback */
    SY_RTCP_PT_PSFB = 206,  /* payload-specific feedback */
    SY_RTCP_PT_XR = 207,
};

/* Feedback message types (the FMT field) of RTPFB and PSFB. */
enum {
    SY_RTCP_RTPFB_NACK = 1,  /* generic NACK, RFC 4585 6.2.1 */
    SY_RTCP_RTPFB_TWCC = 15, /* transport-wide congestion control feedback */
    SY_RTCP_PSFB_PLI = 1,    /* picture loss indication, RFC 4585 6.3.1 */
    SY_RTCP_PSFB_FIR = 4,    /* full intra request, RFC 5104 4.3.1 */
    SY_RTCP_PSFB_AFB = 15,   /* application layer feedback: REMB when the FCI starts "REMB" */
};

#define SY_RTCP_HEADER_LEN 4
#define SY_RTCP_REPORT_BLOCK_LEN 24
#define SY_RTCP_MAX_COUNT 31          /* the 5-bit RC / SC field */
#define SY_RTCP_MAX_PACKET_LEN 262144 /* 4 * (0xFFFF + 1): the 16-bit length field */

/* One sub-packet of a compound, as found by the iterator. */
typedef struct sy_rtcp_pkt {
    const uint8_t *data; /* the sub-packet, from its 4-byte common header */
    size_t len;          /* whole sub-packet: 4 * (length field + 1), padding included */
    size_t offset;       /* of data from the start of the compound (for in-place edits) */
    const uint8_t *body; /* data + 4 */
    size_t body_len;     /* bytes after the common header, padding excluded */
    uint8_t pt;          /* packet type, 192..223 */
    uint8_t count;       /* the 5-bit field: RC, SC or FMT depending on the type */
} sy_rtcp_pkt;

/* Walks the sub-packets of a compound packet. Plain struct, no cleanup. */
typedef struct sy_rtcp_iter {
    const uint8_t *buf;
    size_t len;
    size_t off;
    int err;
} sy_rtcp_iter;

/*
 * Parses the common header of the sub-packet that starts at buf and checks its framing:
 * version 2, a packet type in 192..223 (the RTCP range of RFC 5761), a length that fits
 * in len, and a padding count (when P is set) of at least 1 that fits in the body.
 * Fills *pkt (offset is set to 0). Returns 0, SY_RTCP_E_TRUNCATED or SY_RTCP_E_MALFORMED.
 */
int sy_rtcp_parse_header(const uint8_t *buf, size_t len, sy_rtcp_pkt *pkt);

/* Starts an iteration over buf[0..len). buf must outlive the iteration. */
void sy_rtcp_iter_init(sy_rtcp_iter *it, const uint8_t *buf, size_t len);

/*
 * Next sub-packet. Returns 1 and fills *pkt; 0 when the compound ends exactly at len; a
 * negative error (sy_rtcp_parse_header's) on the first sub-packet whose framing is bad.
 * After an error every later call returns the same error: the rest of the compound is
 * not trusted. Only the framing is checked here; the typed readers (and sy_rtcp_check)
 * check the content.
 */
int sy_rtcp_iter_next(sy_rtcp_iter *it, sy_rtcp_pkt *pkt);

/*
 * Checks the framing of a whole compound: returns the number of sub-packets (>= 1), or a
 * negative error for an empty buffer (SY_RTCP_E_TRUNCATED) or the first bad sub-packet.
 * It does not require the compound to start with SR/RR (reduced-size RTCP, RFC 5506).
 */
int sy_rtcp_validate(const uint8_t *buf, size_t len);

/* What a sub-packet is, from its type, FMT and (for AFB) the REMB identifier. */
typedef enum sy_rtcp_kind {
    SY_RTCP_KIND_OTHER = 0, /* a packet type without a reader here: skip it */
    SY_RTCP_KIND_SR,
    SY_RTCP_KIND_RR,
    SY_RTCP_KIND_SDES,
    SY_RTCP_KIND_BYE,
    SY_RTCP_KIND_APP,
    SY_RTCP_KIND_XR,
    SY_RTCP_KIND_NACK,
    SY_RTCP_KIND_TWCC,
    SY_RTCP_KIND_RTPFB_OTHER,
    SY_RTCP_KIND_PLI,
    SY_RTCP_KIND_FIR,
    SY_RTCP_KIND_REMB,
    SY_RTCP_KIND_PSFB_OTHER,
    SY_RTCP_KIND_COUNT
} sy_rtcp_kind;

/* Bit of a kind in a mask for sy_rtcp_filter. */
#define SY_RTCP_KIND_BIT(kind) (1u << (kind))
/* The feedback an SFU relays from a subscriber toward a publisher. */
#define SY_RTCP_KEEP_RELAY                                                                         \
    (SY_RTCP_KIND_BIT(SY_RTCP_KIND_NACK) | SY_RTCP_KIND_BIT(SY_RTCP_KIND_PLI) |                    \
     SY_RTCP_KIND_BIT(SY_RTCP_KIND_FIR) | SY_RTCP_KIND_BIT(SY_RTCP_KIND_REMB))

/* Classifies a sub-packet from the iterator. Never fails; content is not validated. */
sy_rtcp_kind sy_rtcp_kind_of(const sy_rtcp_pkt *p);

/*
 * Validates the content of a sub-packet for its kind (report blocks fit, SDES chunks are
 * terminated, feedback FCI sizes are whole, TWCC chunks and deltas fit, REMB SSRC count
 * fits). Kinds without a reader only need their framing. Returns 0 or a negative error.
 */
int sy_rtcp_check(const sy_rtcp_pkt *p);

/*
 * The SSRC of the sender of a sub-packet: the first word of SR, RR, APP, XR, RTPFB and
 * PSFB; the first chunk's SSRC for SDES and BYE. Returns 0, SY_RTCP_E_TRUNCATED, or
 * SY_RTCP_E_TYPE for an unknown type or an SDES/BYE without any SSRC.
 */
int sy_rtcp_sender_ssrc(const sy_rtcp_pkt *p, uint32_t *ssrc);

/* ---- SR and RR (RFC 3550 6.4) ---- */

typedef struct sy_rtcp_report_block {
    uint32_t ssrc;            /* source this block reports on */
    uint8_t fraction_lost;    /* fixed point, /256 */
    int32_t cumulative_lost;  /* signed 24 bits on the wire */
    uint32_t ext_highest_seq; /* extended highest sequence number received */
    uint32_t jitter;          /* interarrival jitter, RTP timestamp units */
    uint32_t lsr;             /* middle 32 bits of the NTP time of the last SR, or 0 */
    uint32_t dlsr;            /* delay since that SR, 1/65536 s */
} sy_rtcp_report_block;

typedef struct sy_rtcp_sr {
    uint32_t ssrc;
    uint64_t ntp;     /* NTP timestamp, 32.32 fixed point seconds since 1900 */
    uint32_t rtp_ts;  /* RTP timestamp matching ntp */
    uint32_t packets; /* sender's packet count */
    uint32_t octets;  /* sender's payload octet count */
    uint8_t n_blocks; /* report blocks in the packet (RC), whatever max was */
} sy_rtcp_sr;

/*
 * Reads a Sender Report. Copies up to max report blocks into blocks (may be NULL when max
 * is 0) and returns how many were copied; sr->n_blocks is the count in the packet. Bytes
 * after the blocks (profile extensions) are ignored. Errors: SY_RTCP_E_TYPE,
 * SY_RTCP_E_TRUNCATED when RC blocks do not fit.
 */
int sy_rtcp_read_sr(const sy_rtcp_pkt *p, sy_rtcp_sr *sr, sy_rtcp_report_block *blocks, size_t max);

/* Reads a Receiver Report; like sy_rtcp_read_sr. *n_blocks (may be NULL) gets RC. */
int sy_rtcp_read_rr(const sy_rtcp_pkt *p, uint32_t *ssrc, uint8_t *n_blocks,
                    sy_rtcp_report_block *blocks, size_t max);

/* ---- SDES (RFC 3550 6.5) ---- */

enum { SY_RTCP_SDES_END = 0, SY_RTCP_SDES_CNAME = 1 };

typedef struct sy_rtcp_sdes_item {
    uint32_t ssrc;       /* of the chunk the item is in */
    uint8_t type;        /* SY_RTCP_SDES_CNAME, ... (never END) */
    uint8_t len;         /* bytes of text, not NUL terminated */
    const uint8_t *data; /* into the packet */
} sy_rtcp_sdes_item;

/* Return non-zero to stop the walk early. */
typedef int (*sy_rtcp_sdes_fn)(void *ud, const sy_rtcp_sdes_item *item);

/*
 * Walks every item of every chunk of an SDES packet, calling fn (may be NULL to only
 * validate). Returns the number of items visited, or a negative error: SY_RTCP_E_TYPE,
 * SY_RTCP_E_TRUNCATED when an item or a chunk's terminating null octet is past the end.
 * If fn stops the walk, the rest of the packet is not validated.
 */
int sy_rtcp_sdes_for_each(const sy_rtcp_pkt *p, sy_rtcp_sdes_fn fn, void *ud);

/*
 * The first CNAME item of an SDES packet: returns 1 and sets *ssrc, *cname (into the
 * packet, not NUL terminated) and *len; 0 if there is none; or a negative error as above.
 */
int sy_rtcp_sdes_cname(const sy_rtcp_pkt *p, uint32_t *ssrc, const uint8_t **cname, size_t *len);

/* ---- BYE (RFC 3550 6.6) ---- */

/*
 * Reads a BYE: copies up to max of its SC SSRCs into ssrcs and returns how many were
 * copied. *reason / *reason_len (both may be NULL) get the optional reason text (NULL / 0
 * when absent). Errors: SY_RTCP_E_TYPE, SY_RTCP_E_TRUNCATED (SSRCs or reason past the end).
 */
int sy_rtcp_read_bye(const sy_rtcp_pkt *p, uint32_t *ssrcs, size_t max, const uint8_t **reason,
                     size_t *reason_len);

/* ---- hot-path helpers over a whole compound, in place ---- */

/*
 * Removes in place every sub-packet whose kind is not in keep_mask (SY_RTCP_KIND_BIT of the
 * kinds to keep, e.g. SY_RTCP_KEEP_RELAY) or whose content fails sy_rtcp_check, moving the
 * kept ones to the front of buf. *new_len gets the bytes kept (0: nothing left to send).
 * Returns 0, or the framing error of the first bad sub-packet: then it and everything
 * after it is dropped and *new_len covers only what was kept before it.
 */
int sy_rtcp_filter(uint8_t *buf, size_t len, uint32_t keep_mask, size_t *new_len);

/*
 * Rewrites in place the SSRCs of every feedback sub-packet (RTPFB, PSFB) of a compound:
 * the sender SSRC becomes `sender` and the media source becomes `media`. For FIR (whose
 * header media SSRC is 0 by RFC 5104) the SSRC of each FCI entry is set instead, and for
 * REMB every SSRC of its list. Other sub-packets are left alone. Returns the number of
 * sub-packets rewritten, or the framing error of the first bad sub-packet (those before
 * it are already rewritten; the caller drops the packet).
 */
int sy_rtcp_fb_rewrite_ssrcs(uint8_t *buf, size_t len, uint32_t sender, uint32_t media);

/* ---- time helpers ---- */

/* NTP 32.32 timestamp for a wall-clock time in microseconds since 1970 (the caller's). */
uint64_t sy_rtcp_ntp_from_unix_us(uint64_t unix_us);

/* The middle 32 bits of an NTP timestamp, as LSR and the RTT computation use them. */
static inline uint32_t sy_rtcp_ntp_mid32(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}

/*
 * Round-trip time from a report block (RFC 3550 6.4.1): now_mid32 is the middle 32 bits
 * of the NTP time at which the block arrived. Returns the RTT in microseconds, or -1 when
 * the block has no LSR (0) or when now - lsr < dlsr (clock skew or a forged block).
 */
int64_t sy_rtcp_rtt_us(uint32_t now_mid32, uint32_t lsr, uint32_t dlsr);

#endif
