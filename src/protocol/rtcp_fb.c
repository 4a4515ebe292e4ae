/*
 * RTCP feedback message readers. See rtcp_fb.h.
 */
#include "protocol/rtcp_fb.h"

#include <string.h>

#include "protocol/rtcp_wire.h"

int sy_rtcp_read_fb(const sy_rtcp_pkt *p, sy_rtcp_fb *fb)
{
    if (p->pt != SY_RTCP_PT_RTPFB && p->pt != SY_RTCP_PT_PSFB) return SY_RTCP_E_TYPE;
    if (p->body_len < 8) return SY_RTCP_E_TRUNCATED;
    fb->pt = p->pt;
    fb->fmt = p->count;
    fb->sender_ssrc = sy_rtcp_rd32(p->body);
    fb->media_ssrc = sy_rtcp_rd32(p->body + 4);
    fb->fci = p->body + 8;
    fb->fci_len = p->body_len - 8;
    return 0;
}

bool sy_rtcp_fb_is_remb(const sy_rtcp_fb *fb)
{
    return fb->pt == SY_RTCP_PT_PSFB && fb->fmt == SY_RTCP_PSFB_AFB && fb->fci_len >= 4 &&
           memcmp(fb->fci, "REMB", 4) == 0;
}

bool sy_rtcp_fb_is_pli(const sy_rtcp_fb *fb)
{
    return fb->pt == SY_RTCP_PT_PSFB && fb->fmt == SY_RTCP_PSFB_PLI;
}

/* ---- generic NACK ---- */

static int nack_check(const sy_rtcp_fb *fb)
{
    if (fb->pt != SY_RTCP_PT_RTPFB || fb->fmt != SY_RTCP_RTPFB_NACK) return SY_RTCP_E_TYPE;
    if (fb->fci_len == 0 || fb->fci_len % 4 != 0) return SY_RTCP_E_MALFORMED;
    return 0;
}

int sy_rtcp_nack_for_each(const sy_rtcp_fb *fb, sy_rtcp_nack_fn fn, void *ud)
{
    int r = nack_check(fb);
    if (r < 0) return r;
    int n = 0;
    for (size_t off = 0; off < fb->fci_len; off += 4) {
        uint16_t pid = sy_rtcp_rd16(fb->fci + off);
        uint16_t blp = sy_rtcp_rd16(fb->fci + off + 2);
        n++;
        if (fn && fn(ud, pid)) return n;
        for (unsigned bit = 0; bit < 16; bit++) {
            if (!(blp & (1u << bit))) continue;
            n++;
            if (fn && fn(ud, (uint16_t)(pid + bit + 1))) return n;
        }
    }
    return n;
}

typedef struct nack_sink {
    uint16_t *seqs;
    size_t max, n;
} nack_sink;

static int nack_store(void *ud, uint16_t seq)
{
    nack_sink *s = ud;
    s->seqs[s->n++] = seq;
    return s->n >= s->max;
}

int sy_rtcp_read_nack(const sy_rtcp_fb *fb, uint16_t *seqs, size_t max)
{
    int r = nack_check(fb);
    if (r < 0 || !seqs || max == 0) return r;
    nack_sink sink = {seqs, max, 0};
    sy_rtcp_nack_for_each(fb, nack_store, &sink);
    return (int)sink.n;
}

/* ---- transport-wide cc ---- */

/*
 * Reads the status symbols of a TWCC feedback one at a time, chunk by chunk. Each chunk
 * is 16 bits: 0|symbol(2)|run(13) for a run, 1|0|14 one-bit symbols, or 1|1|7 two-bit
 * symbols. Only the symbols the status count asks for are read, so padding symbols in
 * the last vector are never looked at.
 */
typedef struct twcc_syms {
    const uint8_t *p; /* first chunk */
    size_t len;       /* bytes from p to the end of the FCI */
    size_t off;       /* next chunk */
    uint16_t chunk;
    uint16_t left; /* symbols left in the current chunk */
    uint8_t kind;  /* 0 run length, 1 one-bit vector, 2 two-bit vector */
    uint8_t idx;   /* next symbol within a vector */
} twcc_syms;

static int twcc_sym_next(twcc_syms *s)
{
    while (s->left == 0) {
        if (s->len - s->off < 2) return SY_RTCP_E_TRUNCATED;
        s->chunk = sy_rtcp_rd16(s->p + s->off);
        s->off += 2;
        s->idx = 0;
        if (!(s->chunk & 0x8000)) {
            s->kind = 0;
            s->left = s->chunk & 0x1FFF; /* a run of 0 is odd but harmless: next chunk */
        } else if (!(s->chunk & 0x4000)) {
            s->kind = 1;
            s->left = 14;
        } else {
            s->kind = 2;
            s->left = 7;
        }
    }
    s->left--;
    int sym;
    if (s->kind == 0) {
        sym = (s->chunk >> 13) & 3;
    } else if (s->kind == 1) {
        sym = (s->chunk >> (13 - s->idx)) & 1;
        s->idx++;
    } else {
        sym = (s->chunk >> (12 - 2 * s->idx)) & 3;
        s->idx++;
    }
    return sym == 3 ? SY_RTCP_E_MALFORMED : sym; /* 3 is reserved */
}

int sy_rtcp_read_twcc(const sy_rtcp_fb *fb, sy_rtcp_twcc *hdr, sy_rtcp_twcc_status *out, size_t max)
{
    if (fb->pt != SY_RTCP_PT_RTPFB || fb->fmt != SY_RTCP_RTPFB_TWCC) return SY_RTCP_E_TYPE;
    if (fb->fci_len < 8) return SY_RTCP_E_TRUNCATED;
    const uint8_t *f = fb->fci;
    uint16_t base = sy_rtcp_rd16(f);
    uint16_t count = sy_rtcp_rd16(f + 2);
    uint32_t ref = sy_rtcp_rd24(f + 4);
    if (count == 0) return SY_RTCP_E_MALFORMED;

    /* Pass 1: every symbol up to the status count, to find where the deltas start and
     * how many bytes they take. At most 65535 symbols, and every chunk read is checked. */
    twcc_syms s = {.p = f + 8, .len = fb->fci_len - 8};
    size_t delta_bytes = 0, received = 0;
    for (uint32_t i = 0; i < count; i++) {
        int sym = twcc_sym_next(&s);
        if (sym < 0) return sym;
        if (sym != SY_TWCC_STATUS_NOT_RECEIVED) received++;
        delta_bytes += (size_t)sym; /* small: 1 byte, large: 2 bytes */
    }
    size_t deltas_at = s.off;
    if (s.len - deltas_at < delta_bytes) return SY_RTCP_E_TRUNCATED;

    hdr->base_seq = base;
    hdr->status_count = count;
    hdr->ref_time = (ref & 0x800000) ? (int32_t)ref - 0x1000000 : (int32_t)ref;
    hdr->fb_count = f[7];
    hdr->received = (uint16_t)received;
    if (!out || max == 0) return 0;

    /* Pass 2: the same symbols again, now paired with their deltas. */
    size_t n = count < max ? count : max;
    const uint8_t *d = s.p + deltas_at;
    int64_t t = (int64_t)hdr->ref_time * SY_TWCC_REF_TIME_US;
    s = (twcc_syms){.p = f + 8, .len = fb->fci_len - 8};
    for (size_t i = 0; i < n; i++) {
        sy_rtcp_twcc_status *st = &out[i];
        int sym = twcc_sym_next(&s); /* cannot fail: pass 1 read the same symbols */
        st->seq = (uint16_t)(base + i);
        st->status = (uint8_t)sym;
        st->delta = 0;
        st->arrival_us = 0;
        if (sym == SY_TWCC_STATUS_SMALL_DELTA) {
            st->delta = d[0];
            d += 1;
        } else if (sym == SY_TWCC_STATUS_LARGE_DELTA) {
            st->delta = (int16_t)sy_rtcp_rd16(d);
            d += 2;
        } else {
            continue;
        }
        t += (int64_t)st->delta * SY_TWCC_TICK_US;
        st->arrival_us = t;
    }
    return (int)n;
}

/* ---- FIR ---- */

int sy_rtcp_read_fir(const sy_rtcp_fb *fb, sy_rtcp_fir_entry *out, size_t max)
{
    if (fb->pt != SY_RTCP_PT_PSFB || fb->fmt != SY_RTCP_PSFB_FIR) return SY_RTCP_E_TYPE;
    if (fb->fci_len == 0 || fb->fci_len % 8 != 0) return SY_RTCP_E_MALFORMED;
    size_t n = fb->fci_len / 8;
    if (n > max) n = max;
    if (!out) n = 0;
    for (size_t i = 0; i < n; i++) {
        out[i].ssrc = sy_rtcp_rd32(fb->fci + 8 * i);
        out[i].seq_nr = fb->fci[8 * i + 4];
    }
    return (int)n;
}

/* ---- REMB ---- */

int sy_rtcp_read_remb(const sy_rtcp_fb *fb, uint64_t *bitrate, uint8_t *n_ssrcs, uint32_t *ssrcs,
                      size_t max)
{
    if (!sy_rtcp_fb_is_remb(fb)) return SY_RTCP_E_TYPE;
    if (fb->fci_len < 8) return SY_RTCP_E_TRUNCATED;
    const uint8_t *f = fb->fci;
    uint8_t num = f[4];
    unsigned exp = f[5] >> 2;
    uint64_t mantissa = ((uint64_t)(f[5] & 3) << 16) | sy_rtcp_rd16(f + 6);
    if (fb->fci_len - 8 < (size_t)num * 4) return SY_RTCP_E_TRUNCATED;
    /* The exponent is 6 bits (up to 63) and the mantissa 18: saturate, never shift bits
     * out of the top (and never shift by 64, which C leaves undefined). */
    if (exp > 0 && (mantissa >> (64 - exp)) != 0)
        *bitrate = UINT64_MAX;
    else
        *bitrate = mantissa << exp;
    if (n_ssrcs) *n_ssrcs = num;
    size_t n = num < max ? num : max;
    if (!ssrcs) n = 0;
    for (size_t i = 0; i < n; i++)
        ssrcs[i] = sy_rtcp_rd32(f + 8 + 4 * i);
    return (int)n;
}
