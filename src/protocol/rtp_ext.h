/*
 * RTP header extensions (RFC 8285): the elements of a packet's extension block in the
 * one-byte (profile 0xBEDE) and two-byte (profile 0x100x) forms, the values of the
 * extensions WebRTC negotiates, in-place rewriting of a value, and building a block.
 *
 * The media core calls sy_rtp_ext_parse_all() once per received packet with the ids
 * negotiated in the SDP (sy_rtp_ext_ids); the rest is for tests, tools and the odd
 * caller that needs one element. Nothing allocates; strings are copied into fixed
 * arrays. Errors are the SY_RTP_E* codes of rtp.h.
 *
 * Value formats (the element's data, after its id/length header):
 *   mid, rid, repaired-rid   RFC 8843 / RFC 8852: 1-16 visible ASCII bytes (0x21-0x7E)
 *   ssrc-audio-level         RFC 6464: 1 byte, V bit + level in -dBov (0-127)
 *   abs-send-time            3 bytes, 6.18 fixed-point seconds (24 bits)
 *   transport-wide-cc        draft-holmer-rmcat-transport-wide-cc-extensions: 2 bytes
 *                            sequence number (4 bytes in version 2: seq + request)
 *   video-orientation (CVO)  3GPP TS 26.114: 1 byte 0000CFRR
 *   playout-delay            3 bytes: 12-bit min, 12-bit max, in units of 10 ms
 *   dependency-descriptor    AV1 RTP spec appendix A: at least 3 bytes; only the
 *                            mandatory fields (start/end of frame, template id, frame
 *                            number) are parsed here
 */
#ifndef SY_PROTOCOL_RTP_EXT_H
#define SY_PROTOCOL_RTP_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/rtp.h"

#define SY_RTP_EXT_PROFILE_ONE_BYTE 0xBEDE
#define SY_RTP_EXT_PROFILE_TWO_BYTE 0x1000 /* the low 4 bits are "appbits" */

/* Longest mid / rid / repaired-rid value accepted; the caller buffers hold one more
 * byte for the terminating NUL. */
#define SY_RTP_EXT_STR_MAX 16

/* The form of a packet's extension block. */
typedef enum sy_rtp_ext_form {
    SY_RTP_EXT_NONE = 0, /* no block (X bit clear) */
    SY_RTP_EXT_ONE_BYTE, /* 0xBEDE: ids 1-14, lengths 1-16 */
    SY_RTP_EXT_TWO_BYTE, /* 0x100x: ids 1-255, lengths 0-255 */
    SY_RTP_EXT_OTHER,    /* another profile: opaque, no elements */
} sy_rtp_ext_form;

/* The form of hdr's extension block. */
sy_rtp_ext_form sy_rtp_ext_form_of(const sy_rtp_header *hdr);

/* One extension element; data points into the packet (len bytes, may be 0 in the
 * two-byte form, in which case data is still a valid in-bounds or end pointer). */
typedef struct sy_rtp_ext_elem {
    uint8_t id;
    uint8_t len;
    const uint8_t *data;
} sy_rtp_ext_elem;

/* An iterator over the elements of one packet's block. Caller-owned, no cleanup. */
typedef struct sy_rtp_ext_iter {
    const uint8_t *p; /* the extension data */
    size_t len;       /* its length */
    size_t pos;       /* next byte to read */
    uint8_t form;     /* sy_rtp_ext_form */
} sy_rtp_ext_iter;

/* Starts an iteration over hdr's extension block (which must come from a successful
 * sy_rtp_parse, its buffer still alive). A packet without a block, or with a block of
 * another profile, iterates as empty. */
void sy_rtp_ext_iter_init(sy_rtp_ext_iter *it, const sy_rtp_header *hdr);

/*
 * Reads the next element into *out. Padding bytes (0) between elements are skipped; in
 * the one-byte form an id of 15 ends the block (RFC 8285 section 4.2). Returns 1 with an
 * element, 0 at the end, or SY_RTP_EEXT when an element's length runs past the block
 * or (one-byte form) an id of 0 carries a non-zero length; after an error further calls
 * keep returning it.
 */
int sy_rtp_ext_next(sy_rtp_ext_iter *it, sy_rtp_ext_elem *out);

/*
 * Finds the first element with this id (1-255) in hdr's block: *data points into the
 * packet, *len is its length. Returns 0, SY_RTP_ENOTFOUND, SY_RTP_EINVAL for id 0, or
 * SY_RTP_EEXT if the block is malformed before such an element is found.
 */
int sy_rtp_ext_find(const sy_rtp_header *hdr, uint8_t id, const uint8_t **data, size_t *len);

/* ---- value parsers: (data, len) is one element's value, as found above ---- */

/*
 * mid, rid and repaired-rid: copies the value into out (cap bytes) and NUL-terminates
 * it. Returns the string length (1-16), SY_RTP_EEXTVAL if the value is empty, longer
 * than SY_RTP_EXT_STR_MAX or holds a byte outside 0x21-0x7E, or SY_RTP_ENOSPC if cap
 * is not at least the length + 1. On error out is left as an empty string if cap > 0.
 */
int sy_rtp_ext_read_str(const uint8_t *data, size_t len, char *out, size_t cap);

/* ssrc-audio-level: *voice = V bit, *level = 0-127 (-dBov). SY_RTP_EEXTVAL unless
 * len is 1. */
int sy_rtp_ext_read_audio_level(const uint8_t *data, size_t len, bool *voice, uint8_t *level);

/* abs-send-time: the 24-bit value. SY_RTP_EEXTVAL unless len is 3. */
int sy_rtp_ext_read_abs_send_time(const uint8_t *data, size_t len, uint32_t *value);

/* transport-wide-cc: the sequence number. SY_RTP_EEXTVAL unless len is 2 or 4. */
int sy_rtp_ext_read_twcc(const uint8_t *data, size_t len, uint16_t *seq);

typedef struct sy_rtp_cvo {
    bool camera;       /* C: 1 = back-facing camera */
    bool flip;         /* F: horizontal flip */
    uint16_t rotation; /* R: clockwise rotation to apply, 0, 90, 180 or 270 degrees */
} sy_rtp_cvo;

/* video-orientation. SY_RTP_EEXTVAL unless len is 1 (the top 4 bits are ignored, as
 * the spec reserves them). */
int sy_rtp_ext_read_video_orientation(const uint8_t *data, size_t len, sy_rtp_cvo *out);

/* playout-delay: min and max in units of 10 ms (0-4095 each). SY_RTP_EEXTVAL unless
 * len is 3. (min > max is returned as sent; the caller decides.) */
int sy_rtp_ext_read_playout_delay(const uint8_t *data, size_t len, uint16_t *min_delay,
                                  uint16_t *max_delay);

typedef struct sy_rtp_dd {
    bool start_of_frame;
    bool end_of_frame;
    uint8_t template_id;   /* frame_dependency_template_id, 0-63 */
    uint16_t frame_number; /* frame_number */
} sy_rtp_dd;

/* dependency-descriptor mandatory fields. SY_RTP_EEXTVAL if len < 3. */
int sy_rtp_ext_read_dd(const uint8_t *data, size_t len, sy_rtp_dd *out);

/* ---- the negotiated extensions of a stream, parsed in one pass ---- */

/* The local ids (1-255) negotiated for each extension (a=extmap); 0 = not negotiated. */
typedef struct sy_rtp_ext_ids {
    uint8_t mid;
    uint8_t rid;
    uint8_t rrid; /* repaired-rtp-stream-id */
    uint8_t audio_level;
    uint8_t abs_send_time;
    uint8_t twcc;
    uint8_t video_orientation;
    uint8_t playout_delay;
    uint8_t dependency_descriptor;
} sy_rtp_ext_ids;

/* Bits of sy_rtp_ext_values.present / .invalid. */
enum {
    SY_RTP_EXT_MID = 1u << 0,
    SY_RTP_EXT_RID = 1u << 1,
    SY_RTP_EXT_RRID = 1u << 2,
    SY_RTP_EXT_AUDIO_LEVEL = 1u << 3,
    SY_RTP_EXT_ABS_SEND_TIME = 1u << 4,
    SY_RTP_EXT_TWCC = 1u << 5,
    SY_RTP_EXT_VIDEO_ORIENTATION = 1u << 6,
    SY_RTP_EXT_PLAYOUT_DELAY = 1u << 7,
    SY_RTP_EXT_DD = 1u << 8,
};

/* The values found in one packet. Only fields whose bit is in present are meaningful. */
typedef struct sy_rtp_ext_values {
    uint32_t present; /* SY_RTP_EXT_* found and valid */
    uint32_t invalid; /* SY_RTP_EXT_* found with a malformed value (not in present) */
    char mid[SY_RTP_EXT_STR_MAX + 1];
    char rid[SY_RTP_EXT_STR_MAX + 1];
    char rrid[SY_RTP_EXT_STR_MAX + 1];
    bool voice_activity;
    uint8_t audio_level;
    uint32_t abs_send_time;
    uint16_t twcc_seq;
    sy_rtp_cvo video_orientation;
    uint16_t playout_min, playout_max;
    sy_rtp_dd dd;
    const uint8_t *dd_data; /* the whole descriptor, pointing into the packet, for the */
    size_t dd_len;          /* codec layer's full parse */
} sy_rtp_ext_values;

/*
 * Walks hdr's extension block once and fills *out with the value of every extension
 * whose id is set in *ids (a repeated id: the first element wins). Elements with other
 * ids are ignored. Returns 0 when the block is well formed and every negotiated value
 * found is valid; SY_RTP_EEXTVAL when some value was malformed (its bit is in invalid,
 * the others are still filled in); SY_RTP_EEXT when the block itself is malformed
 * (values before the bad element are filled in). The media core typically drops the
 * packet on any error.
 */
int sy_rtp_ext_parse_all(const sy_rtp_header *hdr, const sy_rtp_ext_ids *ids,
                         sy_rtp_ext_values *out);

/* ---- writing ---- */

/*
 * Overwrites, in place, the value of the first element with this id in pkt, a packet
 * of len bytes laid out as hdr describes (the buffer hdr was parsed from, or a byte
 * copy of it). The new value may be shorter than the old one: the element's length is
 * reduced and the freed bytes become padding (0), so the packet's size and layout do
 * not change; in the one-byte form the value must keep at least 1 byte. Returns 0,
 * SY_RTP_ENOTFOUND, SY_RTP_ENOSPC if the value is longer than the existing one (or
 * empty in the one-byte form), SY_RTP_EINVAL for id 0 or len too small for hdr's
 * layout, SY_RTP_EEXT for a malformed block. hdr's data buffer then holds the new
 * value too if it is pkt.
 */
int sy_rtp_ext_write(uint8_t *pkt, size_t len, const sy_rtp_header *hdr, uint8_t id,
                     const uint8_t *value, size_t value_len);

/* Typed forms of sy_rtp_ext_write. twcc: rewrites the sequence number of an existing
 * 2- or 4-byte element (the rest of a 4-byte element is kept). abs-send-time: the low
 * 24 bits of value into an existing 3-byte element. mid: a 1-16 byte string (same
 * charset as sy_rtp_ext_read_str, else SY_RTP_EINVAL). */
int sy_rtp_ext_write_twcc(uint8_t *pkt, size_t len, const sy_rtp_header *hdr, uint8_t id,
                          uint16_t seq);
int sy_rtp_ext_write_abs_send_time(uint8_t *pkt, size_t len, const sy_rtp_header *hdr, uint8_t id,
                                   uint32_t value);
int sy_rtp_ext_write_mid(uint8_t *pkt, size_t len, const sy_rtp_header *hdr, uint8_t id,
                         const char *mid);

/*
 * Builds a header extension block (the 4-byte profile/length header, then the n
 * elements in order, then zero padding to a multiple of 4) into out (cap bytes). The
 * one-byte form is used when every id is 1-14 and every length 1-16, else the two-byte
 * form (ids 1-255, lengths 0-255). Returns the block's size in bytes (0 when n is 0:
 * then there is no block), SY_RTP_EINVAL for an id of 0, an element with len > 0 and
 * NULL data, or a block too long for its 16-bit length, SY_RTP_ENOSPC if cap is too
 * small.
 */
int sy_rtp_ext_build(uint8_t *out, size_t cap, const sy_rtp_ext_elem *elems, size_t n);

/*
 * Writes a fixed header (as sy_rtp_write_header) followed by the extension block of
 * the n elements (as sy_rtp_ext_build), with the X bit set when n > 0. Returns the
 * payload offset (bytes written), or the error of either.
 */
int sy_rtp_write_header_ext(uint8_t *out, size_t cap, const sy_rtp_fields *f,
                            const sy_rtp_ext_elem *elems, size_t n);

#endif
