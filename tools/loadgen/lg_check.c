#include "lg_check.h"

#include <string.h>

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t block_check(const uint8_t *p)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (int i = 0; i < 20; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

void lg_payload_write(uint8_t *out, size_t len, uint32_t stream, uint32_t counter, uint64_t send_ns)
{
    put32(out, LG_MAGIC);
    put32(out + 4, stream);
    put32(out + 8, counter);
    put32(out + 12, (uint32_t)(send_ns >> 32));
    put32(out + 16, (uint32_t)send_ns);
    put32(out + 20, block_check(out));
    uint8_t b = (uint8_t)(counter * 7u);
    for (size_t i = LG_BLOCK; i < len; i++) out[i] = (uint8_t)(b + i);
}

int lg_payload_read(const uint8_t *in, size_t len, lg_payload *out)
{
    if (len < LG_BLOCK || get32(in) != LG_MAGIC || get32(in + 20) != block_check(in)) return -1;
    out->stream = get32(in + 4);
    out->counter = get32(in + 8);
    out->send_ns = (uint64_t)get32(in + 12) << 32 | get32(in + 16);
    uint8_t b = (uint8_t)(out->counter * 7u);
    for (size_t i = LG_BLOCK; i < len; i++)
        if (in[i] != (uint8_t)(b + i)) return -2;
    return 0;
}

int lg_vp8_block_offset(const uint8_t *p, size_t len)
{
    size_t off = 1;
    if (len < 1) return -1;
    bool start = p[0] & 0x10;
    int pid = p[0] & 0x07;
    if (p[0] & 0x80) { /* X */
        if (len < 2) return -1;
        uint8_t x = p[1];
        off = 2;
        if (x & 0x80) { /* I */
            if (off >= len) return -1;
            off += (p[off] & 0x80) ? 2 : 1;
        }
        if (x & 0x40) off++;            /* L */
        if (x & 0x30) off++;            /* T or K */
    }
    if (off >= len) return -1;
    if (start && pid == 0) off += (p[off] & 0x01) ? 3 : 10;
    return off <= len ? (int)off : -1;
}

void lg_seq_add(lg_seq *s, uint32_t value, int bits)
{
    if (!s->started) {
        s->started = true;
        s->first = s->highest = value;
        memset(s->bits, 0, sizeof s->bits); /* bit of extended value e: e % LG_WINDOW */
        s->bits[(value % LG_WINDOW) / 64] |= 1ull << (value % 64);
        s->received++;
        return;
    }
    uint64_t mod = bits == 16 ? 65536ull : 4294967296ull;
    uint64_t half = mod / 2;
    uint32_t hi_low = (uint32_t)(s->highest % mod);
    uint64_t diff = ((uint64_t)value - hi_low + mod) % mod; /* forward distance */
    uint64_t ext;
    if (diff == 0) {
        ext = s->highest;
    } else if (diff < half) {
        ext = s->highest + diff;
        /* clear the window slots we move over */
        uint64_t n = diff >= LG_WINDOW ? LG_WINDOW : diff;
        for (uint64_t i = 1; i <= n; i++) {
            uint64_t e = s->highest + i;
            s->bits[(e % LG_WINDOW) / 64] &= ~(1ull << (e % 64));
        }
        s->highest = ext;
    } else {
        uint64_t back = mod - diff;
        if (back > s->highest - s->first || back >= LG_WINDOW) { /* before the start or too old */
            s->too_old++;
            return;
        }
        ext = s->highest - back;
        s->reordered++;
    }
    uint64_t *w = &s->bits[(ext % LG_WINDOW) / 64];
    uint64_t m = 1ull << (ext % 64);
    if (*w & m) {
        s->duplicates++;
        return;
    }
    *w |= m;
    s->received++;
}

uint64_t lg_seq_lost(const lg_seq *s)
{
    if (!s->started) return 0;
    uint64_t expected = s->highest - s->first + 1;
    return expected > s->received ? expected - s->received : 0;
}

void lg_content_add(lg_content *c, uint32_t stream, uint32_t counter)
{
    if (c->cur.started && stream != c->stream) {
        c->lost_done += lg_seq_lost(&c->cur);
        c->dup_done += c->cur.duplicates;
        c->switches++;
        memset(&c->cur, 0, sizeof c->cur);
    }
    c->stream = stream;
    lg_seq_add(&c->cur, counter, 32);
}

uint64_t lg_content_lost(const lg_content *c) { return c->lost_done + lg_seq_lost(&c->cur); }
uint64_t lg_content_dups(const lg_content *c) { return c->dup_done + c->cur.duplicates; }

int lg_rtp_parse(const uint8_t *p, size_t len, uint32_t *ssrc, uint16_t *seq, uint8_t *pt,
                 size_t *payload_off, size_t *payload_len)
{
    if (len < 12 || (p[0] >> 6) != 2) return -1;
    size_t off = 12 + 4u * (p[0] & 0x0f);
    if (p[0] & 0x10) {
        if (off + 4 > len) return -1;
        off += 4 + 4u * ((size_t)p[off + 2] << 8 | p[off + 3]);
    }
    size_t end = len;
    if (p[0] & 0x20) {
        if (end <= off) return -1;
        uint8_t pad = p[end - 1];
        if (pad == 0 || pad > end - off) return -1;
        end -= pad;
    }
    if (off > end) return -1;
    *ssrc = get32(p + 8);
    *seq = (uint16_t)(p[2] << 8 | p[3]);
    *pt = p[1] & 0x7f;
    *payload_off = off;
    *payload_len = end - off;
    return 0;
}
