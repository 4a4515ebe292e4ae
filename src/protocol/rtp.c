/*
 * RTP packet parsing and in-place rewriting. See rtp.h.
 */
#include "protocol/rtp.h"

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

const char *sy_rtp_strerror(int err)
{
    switch (err) {
    case SY_RTP_ETRUNC:
        return "truncated RTP packet";
    case SY_RTP_EVERSION:
        return "RTP version is not 2";
    case SY_RTP_EPADDING:
        return "bad RTP padding length";
    case SY_RTP_EEXT:
        return "malformed RTP header extension";
    case SY_RTP_EEXTVAL:
        return "bad RTP header extension value";
    case SY_RTP_ENOTFOUND:
        return "RTP header extension not present";
    case SY_RTP_EINVAL:
        return "invalid argument";
    case SY_RTP_ENOSPC:
        return "no space";
    default:
        return err >= 0 ? "ok" : "unknown error";
    }
}

int sy_rtp_parse(const uint8_t *buf, size_t len, sy_rtp_header *out)
{
    if (len < SY_RTP_FIXED_HEADER) return SY_RTP_ETRUNC;
    if (buf[0] >> 6 != SY_RTP_VERSION) return SY_RTP_EVERSION;
    bool padding = buf[0] & 0x20;
    out->data = buf;
    out->len = len;
    out->has_extension = buf[0] & 0x10;
    out->csrc_count = buf[0] & 0x0F;
    out->marker = buf[1] & 0x80;
    out->payload_type = buf[1] & 0x7F;
    out->seq = rd16(buf + 2);
    out->timestamp = rd32(buf + 4);
    out->ssrc = rd32(buf + 8);

    /* Every offset below stays <= len, and len - off never underflows. */
    size_t off = SY_RTP_FIXED_HEADER;
    size_t csrc_bytes = (size_t)out->csrc_count * 4;
    if (len - off < csrc_bytes) return SY_RTP_ETRUNC;
    off += csrc_bytes;

    out->ext_profile = 0;
    out->ext_offset = off;
    out->ext_len = 0;
    if (out->has_extension) {
        if (len - off < 4) return SY_RTP_ETRUNC;
        out->ext_profile = rd16(buf + off);
        size_t ext_len = (size_t)rd16(buf + off + 2) * 4;
        off += 4;
        if (len - off < ext_len) return SY_RTP_ETRUNC;
        out->ext_offset = off;
        out->ext_len = ext_len;
        off += ext_len;
    }

    out->padding_len = 0;
    if (padding) {
        /* The count is the last byte and includes itself; it must be at least 1 and
         * fit in what follows the headers (it cannot eat into them). */
        uint8_t count = buf[len - 1];
        if (count == 0 || count > len - off) return SY_RTP_EPADDING;
        out->padding_len = count;
    }
    out->payload_offset = off;
    out->payload_len = len - off - out->padding_len;
    return 0;
}

uint32_t sy_rtp_csrc(const sy_rtp_header *hdr, unsigned i)
{
    if (i >= hdr->csrc_count) return 0;
    return rd32(hdr->data + SY_RTP_FIXED_HEADER + (size_t)i * 4);
}

int sy_rtp_set_ssrc(uint8_t *pkt, size_t len, uint32_t ssrc)
{
    if (len < SY_RTP_FIXED_HEADER) return SY_RTP_ETRUNC;
    wr32(pkt + 8, ssrc);
    return 0;
}

int sy_rtp_set_seq(uint8_t *pkt, size_t len, uint16_t seq)
{
    if (len < SY_RTP_FIXED_HEADER) return SY_RTP_ETRUNC;
    wr16(pkt + 2, seq);
    return 0;
}

int sy_rtp_set_timestamp(uint8_t *pkt, size_t len, uint32_t timestamp)
{
    if (len < SY_RTP_FIXED_HEADER) return SY_RTP_ETRUNC;
    wr32(pkt + 4, timestamp);
    return 0;
}

int sy_rtp_set_payload_type(uint8_t *pkt, size_t len, uint8_t payload_type)
{
    if (len < SY_RTP_FIXED_HEADER) return SY_RTP_ETRUNC;
    if (payload_type > 127) return SY_RTP_EINVAL;
    pkt[1] = (uint8_t)((pkt[1] & 0x80) | payload_type);
    return 0;
}

int sy_rtp_set_marker(uint8_t *pkt, size_t len, bool marker)
{
    if (len < SY_RTP_FIXED_HEADER) return SY_RTP_ETRUNC;
    pkt[1] = (uint8_t)((pkt[1] & 0x7F) | (marker ? 0x80 : 0));
    return 0;
}

int sy_rtp_write_header(uint8_t *out, size_t cap, const sy_rtp_fields *f)
{
    if (cap < SY_RTP_FIXED_HEADER) return SY_RTP_ENOSPC;
    if (f->payload_type > 127) return SY_RTP_EINVAL;
    out[0] = SY_RTP_VERSION << 6;
    out[1] = (uint8_t)((f->marker ? 0x80 : 0) | f->payload_type);
    wr16(out + 2, f->seq);
    wr32(out + 4, f->timestamp);
    wr32(out + 8, f->ssrc);
    return SY_RTP_FIXED_HEADER;
}

/* ---- sequence numbers ---- */

int32_t sy_seq_delta(uint16_t a, uint16_t b)
{
    uint16_t d = (uint16_t)(a - b);
    if (d < 0x8000) return d;
    if (d > 0x8000) return (int32_t)d - 0x10000;
    return a > b ? 0x8000 : -0x8000;
}

bool sy_seq_newer(uint16_t a, uint16_t b)
{
    return sy_seq_delta(a, b) > 0;
}

bool sy_ts_newer(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    if (d == 0x80000000u) return a > b;
    return d != 0 && d < 0x80000000u;
}

void sy_seq_unroller_init(sy_seq_unroller *u)
{
    u->highest = 0;
    u->started = false;
}

int64_t sy_seq_unroll(sy_seq_unroller *u, uint16_t seq)
{
    if (!u->started) {
        u->started = true;
        u->highest = seq;
        return seq;
    }
    /* The low 16 bits of highest, as two's complement, are its wire value. */
    int32_t delta = sy_seq_delta(seq, (uint16_t)((uint64_t)u->highest & 0xFFFF));
    int64_t ext = u->highest + delta;
    if (delta > 0) u->highest = ext;
    return ext;
}
