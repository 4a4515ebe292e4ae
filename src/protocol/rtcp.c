/*
 * RTCP compound framing, report packets and the in-place helpers. See rtcp.h.
 *
 * Every read is preceded by a length check against what the framing says is there; the
 * framing itself is checked against the caller's length once, in sy_rtcp_parse_header.
 */
#include "protocol/rtcp.h"

#include <string.h>

#include "protocol/rtcp_fb.h"
#include "protocol/rtcp_wire.h"

/* ---- framing ---- */

int sy_rtcp_parse_header(const uint8_t *buf, size_t len, sy_rtcp_pkt *pkt)
{
    if (!buf || len < SY_RTCP_HEADER_LEN) return SY_RTCP_E_TRUNCATED;
    if ((buf[0] >> 6) != 2) return SY_RTCP_E_MALFORMED;
    uint8_t pt = buf[1];
    if (pt < 192 || pt > 223) return SY_RTCP_E_MALFORMED;
    size_t total = ((size_t)sy_rtcp_rd16(buf + 2) + 1) * 4;
    if (total > len) return SY_RTCP_E_TRUNCATED;
    size_t pad = 0;
    if (buf[0] & 0x20) {
        /* The last octet counts the padding, itself included (RFC 3550 6.4.1). */
        pad = buf[total - 1];
        if (pad == 0 || pad > total - SY_RTCP_HEADER_LEN) return SY_RTCP_E_MALFORMED;
    }
    pkt->data = buf;
    pkt->len = total;
    pkt->offset = 0;
    pkt->body = buf + SY_RTCP_HEADER_LEN;
    pkt->body_len = total - SY_RTCP_HEADER_LEN - pad;
    pkt->pt = pt;
    pkt->count = buf[0] & 0x1F;
    return 0;
}

void sy_rtcp_iter_init(sy_rtcp_iter *it, const uint8_t *buf, size_t len)
{
    it->buf = buf;
    it->len = buf ? len : 0;
    it->off = 0;
    it->err = 0;
}

int sy_rtcp_iter_next(sy_rtcp_iter *it, sy_rtcp_pkt *pkt)
{
    if (it->err) return it->err;
    if (it->off >= it->len) return 0;
    int r = sy_rtcp_parse_header(it->buf + it->off, it->len - it->off, pkt);
    if (r < 0) {
        it->err = r;
        return r;
    }
    pkt->offset = it->off;
    it->off += pkt->len;
    return 1;
}

int sy_rtcp_validate(const uint8_t *buf, size_t len)
{
    if (!buf || len == 0) return SY_RTCP_E_TRUNCATED;
    sy_rtcp_iter it;
    sy_rtcp_pkt p;
    int n = 0, r;
    sy_rtcp_iter_init(&it, buf, len);
    while ((r = sy_rtcp_iter_next(&it, &p)) > 0)
        n++;
    return r < 0 ? r : n;
}

/* ---- classification and validation ---- */

sy_rtcp_kind sy_rtcp_kind_of(const sy_rtcp_pkt *p)
{
    switch (p->pt) {
    case SY_RTCP_PT_SR:
        return SY_RTCP_KIND_SR;
    case SY_RTCP_PT_RR:
        return SY_RTCP_KIND_RR;
    case SY_RTCP_PT_SDES:
        return SY_RTCP_KIND_SDES;
    case SY_RTCP_PT_BYE:
        return SY_RTCP_KIND_BYE;
    case SY_RTCP_PT_APP:
        return SY_RTCP_KIND_APP;
    case SY_RTCP_PT_XR:
        return SY_RTCP_KIND_XR;
    case SY_RTCP_PT_RTPFB:
        if (p->count == SY_RTCP_RTPFB_NACK) return SY_RTCP_KIND_NACK;
        if (p->count == SY_RTCP_RTPFB_TWCC) return SY_RTCP_KIND_TWCC;
        return SY_RTCP_KIND_RTPFB_OTHER;
    case SY_RTCP_PT_PSFB:
        if (p->count == SY_RTCP_PSFB_PLI) return SY_RTCP_KIND_PLI;
        if (p->count == SY_RTCP_PSFB_FIR) return SY_RTCP_KIND_FIR;
        if (p->count == SY_RTCP_PSFB_AFB && p->body_len >= 12 &&
            memcmp(p->body + 8, "REMB", 4) == 0)
            return SY_RTCP_KIND_REMB;
        return SY_RTCP_KIND_PSFB_OTHER;
    default:
        return SY_RTCP_KIND_OTHER;
    }
}

int sy_rtcp_check(const sy_rtcp_pkt *p)
{
    sy_rtcp_fb fb;
    sy_rtcp_sr sr;
    sy_rtcp_twcc tw;
    int r;
    switch (sy_rtcp_kind_of(p)) {
    case SY_RTCP_KIND_SR:
        r = sy_rtcp_read_sr(p, &sr, NULL, 0);
        break;
    case SY_RTCP_KIND_RR:
        r = sy_rtcp_read_rr(p, NULL, NULL, NULL, 0);
        break;
    case SY_RTCP_KIND_SDES:
        r = sy_rtcp_sdes_for_each(p, NULL, NULL);
        break;
    case SY_RTCP_KIND_BYE:
        r = sy_rtcp_read_bye(p, NULL, 0, NULL, NULL);
        break;
    case SY_RTCP_KIND_APP:
        r = p->body_len >= 8 ? 0 : SY_RTCP_E_TRUNCATED;
        break;
    case SY_RTCP_KIND_XR:
        r = p->body_len >= 4 ? 0 : SY_RTCP_E_TRUNCATED;
        break;
    case SY_RTCP_KIND_NACK:
        r = sy_rtcp_read_fb(p, &fb);
        if (r == 0) r = sy_rtcp_read_nack(&fb, NULL, 0);
        break;
    case SY_RTCP_KIND_TWCC:
        r = sy_rtcp_read_fb(p, &fb);
        if (r == 0) r = sy_rtcp_read_twcc(&fb, &tw, NULL, 0);
        break;
    case SY_RTCP_KIND_FIR:
        r = sy_rtcp_read_fb(p, &fb);
        if (r == 0) r = sy_rtcp_read_fir(&fb, NULL, 0);
        break;
    case SY_RTCP_KIND_REMB:
        r = sy_rtcp_read_fb(p, &fb);
        if (r == 0) r = sy_rtcp_read_remb(&fb, &(uint64_t){0}, NULL, NULL, 0);
        break;
    case SY_RTCP_KIND_PLI:
    case SY_RTCP_KIND_RTPFB_OTHER:
    case SY_RTCP_KIND_PSFB_OTHER:
        r = sy_rtcp_read_fb(p, &fb);
        break;
    default:
        r = 0;
        break;
    }
    return r < 0 ? r : 0;
}

int sy_rtcp_sender_ssrc(const sy_rtcp_pkt *p, uint32_t *ssrc)
{
    switch (p->pt) {
    case SY_RTCP_PT_SDES:
    case SY_RTCP_PT_BYE:
        /* The first chunk's SSRC (SDES) or the first SSRC (BYE) is the first word. */
        if (p->count == 0) return SY_RTCP_E_TYPE;
        break;
    case SY_RTCP_PT_SR:
    case SY_RTCP_PT_RR:
    case SY_RTCP_PT_APP:
    case SY_RTCP_PT_XR:
    case SY_RTCP_PT_RTPFB:
    case SY_RTCP_PT_PSFB:
        break;
    default:
        return SY_RTCP_E_TYPE;
    }
    if (p->body_len < 4) return SY_RTCP_E_TRUNCATED;
    *ssrc = sy_rtcp_rd32(p->body);
    return 0;
}

/* ---- SR and RR ---- */

static void read_block(const uint8_t *b, sy_rtcp_report_block *rb)
{
    rb->ssrc = sy_rtcp_rd32(b);
    rb->fraction_lost = b[4];
    uint32_t lost = sy_rtcp_rd24(b + 5);
    /* Sign-extend the 24-bit two's complement value without an implementation-defined cast. */
    rb->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
    rb->ext_highest_seq = sy_rtcp_rd32(b + 8);
    rb->jitter = sy_rtcp_rd32(b + 12);
    rb->lsr = sy_rtcp_rd32(b + 16);
    rb->dlsr = sy_rtcp_rd32(b + 20);
}

/* Reads min(count, max) blocks starting at body + at; the caller checked they fit. */
static int read_blocks(const sy_rtcp_pkt *p, size_t at, sy_rtcp_report_block *blocks, size_t max)
{
    size_t n = p->count < max ? p->count : max;
    if (!blocks) n = 0;
    for (size_t i = 0; i < n; i++)
        read_block(p->body + at + i * SY_RTCP_REPORT_BLOCK_LEN, &blocks[i]);
    return (int)n;
}

int sy_rtcp_read_sr(const sy_rtcp_pkt *p, sy_rtcp_sr *sr, sy_rtcp_report_block *blocks, size_t max)
{
    if (p->pt != SY_RTCP_PT_SR) return SY_RTCP_E_TYPE;
    if (p->body_len < 24 + (size_t)p->count * SY_RTCP_REPORT_BLOCK_LEN) return SY_RTCP_E_TRUNCATED;
    sr->ssrc = sy_rtcp_rd32(p->body);
    sr->ntp = sy_rtcp_rd64(p->body + 4);
    sr->rtp_ts = sy_rtcp_rd32(p->body + 12);
    sr->packets = sy_rtcp_rd32(p->body + 16);
    sr->octets = sy_rtcp_rd32(p->body + 20);
    sr->n_blocks = p->count;
    return read_blocks(p, 24, blocks, max);
}

int sy_rtcp_read_rr(const sy_rtcp_pkt *p, uint32_t *ssrc, uint8_t *n_blocks,
                    sy_rtcp_report_block *blocks, size_t max)
{
    if (p->pt != SY_RTCP_PT_RR) return SY_RTCP_E_TYPE;
    if (p->body_len < 4 + (size_t)p->count * SY_RTCP_REPORT_BLOCK_LEN) return SY_RTCP_E_TRUNCATED;
    if (ssrc) *ssrc = sy_rtcp_rd32(p->body);
    if (n_blocks) *n_blocks = p->count;
    return read_blocks(p, 4, blocks, max);
}

/* ---- SDES ---- */

int sy_rtcp_sdes_for_each(const sy_rtcp_pkt *p, sy_rtcp_sdes_fn fn, void *ud)
{
    if (p->pt != SY_RTCP_PT_SDES) return SY_RTCP_E_TYPE;
    const uint8_t *b = p->body;
    size_t n = p->body_len, off = 0;
    int items = 0;
    /* Invariant: off <= n. The body starts 4-aligned, so chunk alignment is off % 4. */
    for (unsigned chunk = 0; chunk < p->count; chunk++) {
        if (n - off < 4) return SY_RTCP_E_TRUNCATED;
        sy_rtcp_sdes_item item;
        item.ssrc = sy_rtcp_rd32(b + off);
        off += 4;
        for (;;) {
            if (off >= n) return SY_RTCP_E_TRUNCATED; /* no terminating null octet */
            uint8_t type = b[off];
            if (type == SY_RTCP_SDES_END) {
                off++;
                break;
            }
            if (n - off < 2 || n - off - 2 < b[off + 1]) return SY_RTCP_E_TRUNCATED;
            item.type = type;
            item.len = b[off + 1];
            item.data = b + off + 2;
            off += 2 + (size_t)item.len;
            items++;
            if (fn && fn(ud, &item)) return items;
        }
        /* Null octets pad the chunk to the next 32-bit boundary. */
        size_t aligned = (off + 3) & ~(size_t)3;
        off = aligned < n ? aligned : n;
    }
    return items;
}

typedef struct cname_find {
    const sy_rtcp_sdes_item *found;
    sy_rtcp_sdes_item copy;
} cname_find;

static int cname_cb(void *ud, const sy_rtcp_sdes_item *item)
{
    cname_find *f = ud;
    if (item->type != SY_RTCP_SDES_CNAME) return 0;
    f->copy = *item;
    f->found = &f->copy;
    return 1;
}

int sy_rtcp_sdes_cname(const sy_rtcp_pkt *p, uint32_t *ssrc, const uint8_t **cname, size_t *len)
{
    cname_find f = {0};
    int r = sy_rtcp_sdes_for_each(p, cname_cb, &f);
    if (r < 0) return r;
    if (!f.found) return 0;
    if (ssrc) *ssrc = f.copy.ssrc;
    if (cname) *cname = f.copy.data;
    if (len) *len = f.copy.len;
    return 1;
}

/* ---- BYE ---- */

int sy_rtcp_read_bye(const sy_rtcp_pkt *p, uint32_t *ssrcs, size_t max, const uint8_t **reason,
                     size_t *reason_len)
{
    if (p->pt != SY_RTCP_PT_BYE) return SY_RTCP_E_TYPE;
    size_t list = (size_t)p->count * 4;
    if (p->body_len < list) return SY_RTCP_E_TRUNCATED;
    const uint8_t *why = NULL;
    size_t why_len = 0;
    if (p->body_len > list) {
        why_len = p->body[list];
        if (p->body_len - list - 1 < why_len) return SY_RTCP_E_TRUNCATED;
        why = why_len ? p->body + list + 1 : NULL;
    }
    if (reason) *reason = why;
    if (reason_len) *reason_len = why_len;
    size_t n = p->count < max ? p->count : max;
    if (!ssrcs) n = 0;
    for (size_t i = 0; i < n; i++)
        ssrcs[i] = sy_rtcp_rd32(p->body + 4 * i);
    return (int)n;
}

/* ---- in-place helpers ---- */

int sy_rtcp_filter(uint8_t *buf, size_t len, uint32_t keep_mask, size_t *new_len)
{
    sy_rtcp_iter it;
    sy_rtcp_pkt p;
    size_t w = 0;
    int r;
    sy_rtcp_iter_init(&it, buf, len);
    while ((r = sy_rtcp_iter_next(&it, &p)) > 0) {
        if (!(keep_mask & SY_RTCP_KIND_BIT(sy_rtcp_kind_of(&p)))) continue;
        if (sy_rtcp_check(&p) != 0) continue;
        /* The destination is at or before the source, and the iterator reads only after
         * the source: the move never clobbers bytes still to be read. */
        if (p.offset != w) memmove(buf + w, buf + p.offset, p.len);
        w += p.len;
    }
    *new_len = w;
    return r < 0 ? r : 0;
}

int sy_rtcp_fb_rewrite_ssrcs(uint8_t *buf, size_t len, uint32_t sender, uint32_t media)
{
    sy_rtcp_iter it;
    sy_rtcp_pkt p;
    int r, n = 0;
    sy_rtcp_iter_init(&it, buf, len);
    while ((r = sy_rtcp_iter_next(&it, &p)) > 0) {
        if (p.pt != SY_RTCP_PT_RTPFB && p.pt != SY_RTCP_PT_PSFB) continue;
        if (p.body_len < 8) continue; /* not a feedback message: nothing to rewrite */
        uint8_t *body = buf + p.offset + SY_RTCP_HEADER_LEN;
        size_t fci_len = p.body_len - 8;
        sy_rtcp_wr32(body, sender);
        sy_rtcp_kind kind = sy_rtcp_kind_of(&p);
        if (kind == SY_RTCP_KIND_FIR) {
            for (size_t off = 0; fci_len - off >= 8; off += 8)
                sy_rtcp_wr32(body + 8 + off, media);
        } else if (kind == SY_RTCP_KIND_REMB) {
            /* FCI: "REMB", count, exp/mantissa (3 bytes), then the SSRCs. */
            if (fci_len >= 8) {
                size_t count = body[12];
                for (size_t i = 0; i < count && fci_len - 8 >= 4 * (i + 1); i++)
                    sy_rtcp_wr32(body + 16 + 4 * i, media);
            }
        } else {
            sy_rtcp_wr32(body + 4, media);
        }
        n++;
    }
    return r < 0 ? r : n;
}

/* ---- time ---- */

#define NTP_UNIX_OFFSET_S 2208988800ull /* 1900-01-01 to 1970-01-01 */

uint64_t sy_rtcp_ntp_from_unix_us(uint64_t unix_us)
{
    uint64_t s = unix_us / 1000000 + NTP_UNIX_OFFSET_S;
    uint64_t frac = ((unix_us % 1000000) << 32) / 1000000;
    return (s << 32) | frac;
}

int64_t sy_rtcp_rtt_us(uint32_t now_mid32, uint32_t lsr, uint32_t dlsr)
{
    if (lsr == 0) return -1;
    uint32_t since = now_mid32 - lsr; /* modulo 2^32, as RFC 3550 intends */
    if (since < dlsr) return -1;
    uint64_t rtt = since - dlsr; /* 1/65536 s */
    return (int64_t)((rtt * 1000000) >> 16);
}
