/*
 * RTP packets (RFC 3550 section 5.1): parsing the fixed header, CSRC list, header
 * extension block and padding of one packet in place; rewriting the fields an SFU
 * changes per subscriber; writing a fixed header; and sequence number arithmetic.
 *
 * Everything here works on a caller's buffer: nothing is allocated or copied, and
 * nothing keeps state between calls except the caller-owned sy_seq_unroller. The
 * header extension elements inside the block are rtp_ext.h's business.
 *
 * Errors are the negative SY_RTP_E* codes below; rtp_ext.h returns the same codes.
 */
#ifndef SY_PROTOCOL_RTP_H
#define SY_PROTOCOL_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SY_RTP_VERSION 2
#define SY_RTP_FIXED_HEADER 12 /* bytes before the CSRC list */

/* Error codes (negative) shared by rtp.h and rtp_ext.h. */
enum {
    SY_RTP_ETRUNC = -1,    /* the buffer ends before what its headers announce */
    SY_RTP_EVERSION = -2,  /* RTP version is not 2 */
    SY_RTP_EPADDING = -3,  /* P bit set with padding length 0 or longer than the payload */
    SY_RTP_EEXT = -4,      /* a malformed header extension element */
    SY_RTP_EEXTVAL = -5,   /* an extension value of the wrong size or content */
    SY_RTP_ENOTFOUND = -6, /* the packet has no extension element with that id */
    SY_RTP_EINVAL = -7,    /* a bad argument (id or value out of range) */
    SY_RTP_ENOSPC = -8,    /* the destination (buffer or existing element) is too small */
};

/* A static description of an SY_RTP_E* code (or "ok" for 0 and up). Never NULL. */
const char *sy_rtp_strerror(int err);

/*
 * A parsed RTP header. It describes the buffer given to sy_rtp_parse and points into
 * it (data): the buffer must outlive the struct and is not owned by it. The layout
 * fields are offsets from the start of the packet, so they also describe a byte-for-
 * byte copy of the packet (the per-subscriber copy that gets rewritten and protected).
 */
typedef struct sy_rtp_header {
    const uint8_t *data; /* the packet */
    size_t len;          /* its length, padding included */
    bool marker;
    uint8_t payload_type; /* 0-127 */
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    uint8_t csrc_count;    /* 0-15 CSRCs at offset 12, read them with sy_rtp_csrc() */
    bool has_extension;    /* X bit: a header extension block is present */
    uint16_t ext_profile;  /* "defined by profile": 0xBEDE one-byte, 0x100x two-byte */
    size_t ext_offset;     /* first byte of the extension data (after its 4-byte header) */
    size_t ext_len;        /* bytes of extension data (length field x 4); 0 if none */
    size_t payload_offset; /* first payload byte */
    size_t payload_len;    /* payload bytes, padding excluded (may be 0) */
    uint8_t padding_len;   /* padding bytes at the end, count byte included; 0 if P=0 */
} sy_rtp_header;

/*
 * Parses the RTP packet of len bytes at buf into *out. Every length is checked against
 * len; nothing past buf[len - 1] is read. Returns 0, or:
 *   SY_RTP_ETRUNC    shorter than 12 bytes, or the CSRC list, extension header or
 *                    extension data run past the end
 *   SY_RTP_EVERSION  version is not 2
 *   SY_RTP_EPADDING  P bit set with a padding count of 0 or larger than what follows
 *                    the headers (pion CVE-2025-49140); a packet that is all padding
 *                    (payload_len 0) is valid: it is how bandwidth probes look
 * An extension block with an unknown profile is accepted (has_extension, ext_profile
 * tell); its elements are simply not iterable. On error *out is unspecified.
 */
int sy_rtp_parse(const uint8_t *buf, size_t len, sy_rtp_header *out);

/* The i-th CSRC (i < hdr->csrc_count, else 0). */
uint32_t sy_rtp_csrc(const sy_rtp_header *hdr, unsigned i);

/* The payload (padding excluded): hdr->payload_len bytes at this address. */
static inline const uint8_t *sy_rtp_payload(const sy_rtp_header *hdr)
{
    return hdr->data + hdr->payload_offset;
}

/*
 * In-place rewrites of the fixed header of the packet of len bytes at pkt (typically a
 * subscriber's copy, before SRTP protect). They touch only the field named, never the
 * layout, so a sy_rtp_header of the original still describes the layout (but not the
 * rewritten field's value). Return 0, SY_RTP_ETRUNC if len < 12, or SY_RTP_EINVAL for
 * a payload type over 127.
 */
int sy_rtp_set_ssrc(uint8_t *pkt, size_t len, uint32_t ssrc);
int sy_rtp_set_seq(uint8_t *pkt, size_t len, uint16_t seq);
int sy_rtp_set_timestamp(uint8_t *pkt, size_t len, uint32_t timestamp);
int sy_rtp_set_payload_type(uint8_t *pkt, size_t len, uint8_t payload_type);
int sy_rtp_set_marker(uint8_t *pkt, size_t len, bool marker);

/* The fixed-header fields of a packet to write. */
typedef struct sy_rtp_fields {
    bool marker;
    uint8_t payload_type; /* 0-127 */
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
} sy_rtp_fields;

/*
 * Writes a 12-byte fixed header (version 2, no padding, no extension, no CSRC) into
 * out (cap bytes). Returns 12, SY_RTP_ENOSPC if cap < 12, or SY_RTP_EINVAL for a
 * payload type over 127. To add header extensions see sy_rtp_write_header_ext() in
 * rtp_ext.h.
 */
int sy_rtp_write_header(uint8_t *out, size_t cap, const sy_rtp_fields *f);

/*
 * Sequence number arithmetic modulo 2^16 (RFC 3550 appendix A.1).
 *
 * sy_seq_newer: true if a comes after b, i.e. a - b mod 2^16 is in 1..32767; the
 * ambiguous distance 32768 counts as newer for the larger of the two, so exactly one of
 * sy_seq_newer(a, b) and sy_seq_newer(b, a) holds whenever a != b.
 * sy_seq_delta: a - b as the signed distance from b to a, in -32767..32767, or
 * +-32768 for the ambiguous case (positive when a > b). So sy_seq_newer(a, b) is
 * exactly sy_seq_delta(a, b) > 0, and sy_seq_delta(b, a) == -sy_seq_delta(a, b).
 */
bool sy_seq_newer(uint16_t a, uint16_t b);
int32_t sy_seq_delta(uint16_t a, uint16_t b);

/* The same for 32-bit RTP timestamps (a - b mod 2^32 in 1..2^31-1, ties to the larger). */
bool sy_ts_newer(uint32_t a, uint32_t b);

/*
 * Extends 16-bit sequence numbers to 64 bits by counting wraparounds. Each packet is
 * placed at the extended value closest to the newest one seen so far, so reordering
 * and loss of up to 32767 packets across a wrap are handled. Zero-initialise (or call
 * sy_seq_unroller_init); the first packet gets its own value (cycle 0). A late packet
 * from before the first one seen, across a wrap, gets a negative value.
 */
typedef struct sy_seq_unroller {
    int64_t highest; /* the newest extended sequence number seen */
    bool started;
} sy_seq_unroller;

void sy_seq_unroller_init(sy_seq_unroller *u);

/* Returns the extended sequence number of seq and, if it is the newest so far,
 * remembers it. */
int64_t sy_seq_unroll(sy_seq_unroller *u, uint16_t seq);

#endif
