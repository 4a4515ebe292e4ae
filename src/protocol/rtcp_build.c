/*
 * Building RTCP packets into caller buffers. See rtcp_build.h.
 */
#include "protocol/rtcp_build.h"

#include <limits.h>
#include <string.h>

#include "protocol/rtcp_wire.h"

/* Writes the common header of a sub-packet of total bytes (a multiple of 4). */
static void put_header(uint8_t *out, bool padding, unsigned count, uint8_t pt, size_t total)
{
    out[0] = (uint8_t)(0x80 | (padding ? 0x20 : 0) | (count & 0x1F));
    out[1] = pt;
    sy_rtcp_wr16(out + 2, (uint16_t)(total / 4 - 1));
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

static void put_block(uint8_t *b, const sy_rtcp_report_block *rb)
{
    int32_t lost = rb->cumulative_lost;
    if (lost > 0x7FFFFF) lost = 0x7FFFFF;
    if (lost < -0x800000) lost = -0x800000;
    sy_rtcp_wr32(b, rb->ssrc);
    b[4] = rb->fraction_lost;
    sy_rtcp_wr24(b + 5, (uint32_t)lost & 0xFFFFFF); /* two's complement, 24 bits */
    sy_rtcp_wr32(b + 8, rb->ext_highest_seq);
    sy_rtcp_wr32(b + 12, rb->jitter);
    sy_rtcp_wr32(b + 16, rb->lsr);
    sy_rtcp_wr32(b + 20, rb->dlsr);
}

int sy_rtcp_build_sr(uint8_t *out, size_t cap, const sy_rtcp_sr *sr,
                     const sy_rtcp_report_block *blocks, size_t n)
{
    if (!sr || n > SY_RTCP_MAX_COUNT || (n && !blocks)) return SY_RTCP_E_INVAL;
    size_t total = 4 + 24 + n * SY_RTCP_REPORT_BLOCK_LEN;
    if (!out || cap < total) return SY_RTCP_E_NOSPACE;
    put_header(out, false, (unsigned)n, SY_RTCP_PT_SR, total);
    sy_rtcp_wr32(out + 4, sr->ssrc);
    sy_rtcp_wr64(out + 8, sr->ntp);
    sy_rtcp_wr32(out + 16, sr->rtp_ts);
    sy_rtcp_wr32(out + 20, sr->packets);
    sy_rtcp_wr32(out + 24, sr->octets);
    for (size_t i = 0; i < n; i++)
        put_block(out + 28 + i * SY_RTCP_REPORT_BLOCK_LEN, &blocks[i]);
    return (int)total;
}

int sy_rtcp_build_rr(uint8_t *out, size_t cap, uint32_t ssrc, const sy_rtcp_report_block *blocks,
                     size_t n)
{
    if (n > SY_RTCP_MAX_COUNT || (n && !blocks)) return SY_RTCP_E_INVAL;
    size_t total = 4 + 4 + n * SY_RTCP_REPORT_BLOCK_LEN;
    if (!out || cap < total) return SY_RTCP_E_NOSPACE;
    put_header(out, false, (unsigned)n, SY_RTCP_PT_RR, total);
    sy_rtcp_wr32(out + 4, ssrc);
    for (size_t i = 0; i < n; i++)
        put_block(out + 8 + i * SY_RTCP_REPORT_BLOCK_LEN, &blocks[i]);
    return (int)total;
}

int sy_rtcp_build_sdes_cname(uint8_t *out, size_t cap, uint32_t ssrc, const char *cname, size_t len)
{
    if (len > 255 || (len && !cname)) return SY_RTCP_E_INVAL;
    /* header, SSRC, CNAME type + length + text, at least one null octet, padding */
    size_t body = 4 + 4 + 2 + len + 1;
    size_t total = pad4(body);
    if (!out || cap < total) return SY_RTCP_E_NOSPACE;
    put_header(out, false, 1, SY_RTCP_PT_SDES, total);
    sy_rtcp_wr32(out + 4, ssrc);
    out[8] = SY_RTCP_SDES_CNAME;
    out[9] = (uint8_t)len;
    if (len) memcpy(out + 10, cname, len);
    memset(out + 10 + len, 0, total - 10 - len);
    return (int)total;
}

int sy_rtcp_build_bye(uint8_t *out, size_t cap, const uint32_t *ssrcs, size_t n, const char *reason,
                      size_t reason_len)
{
    if (n == 0 || n > SY_RTCP_MAX_COUNT || !ssrcs) return SY_RTCP_E_INVAL;
    if (reason_len > 255 || (reason_len && !reason)) return SY_RTCP_E_INVAL;
    size_t body = 4 + 4 * n + (reason_len ? 1 + reason_len : 0);
    size_t total = pad4(body);
    if (!out || cap < total) return SY_RTCP_E_NOSPACE;
    put_header(out, false, (unsigned)n, SY_RTCP_PT_BYE, total);
    for (size_t i = 0; i < n; i++)
        sy_rtcp_wr32(out + 4 + 4 * i, ssrcs[i]);
    if (reason_len) {
        out[4 + 4 * n] = (uint8_t)reason_len;
        memcpy(out + 5 + 4 * n, reason, reason_len);
    }
    memset(out + body, 0, total - body);
    return (int)total;
}

/* Header plus the two SSRCs of a feedback message. */
static void put_fb(uint8_t *out, unsigned fmt, uint8_t pt, size_t total, uint32_t sender,
                   uint32_t media)
{
    put_header(out, false, fmt, pt, total);
    sy_rtcp_wr32(out + 4, sender);
    sy_rtcp_wr32(out + 8, media);
}

int sy_rtcp_build_nack(uint8_t *out, size_t cap, uint32_t sender, uint32_t media,
                       const uint16_t *seqs, size_t n, size_t *consumed)
{
    if (n == 0 || !seqs) return SY_RTCP_E_INVAL;
    size_t limit = cap < SY_RTCP_MAX_PACKET_LEN ? cap : SY_RTCP_MAX_PACKET_LEN;
    if (!out || limit < 16) return SY_RTCP_E_NOSPACE;
    size_t max_pairs = (limit - 12) / 4;
    size_t pairs = 0, i;
    uint16_t pid = 0, blp = 0;
    for (i = 0; i < n; i++) {
        uint16_t d = (uint16_t)(seqs[i] - pid);
        if (pairs && d == 0) continue; /* the PID again */
        if (pairs && d <= 16) {
            blp |= (uint16_t)(1u << (d - 1));
            continue;
        }
        if (pairs) {
            sy_rtcp_wr16(out + 12 + 4 * (pairs - 1), pid);
            sy_rtcp_wr16(out + 14 + 4 * (pairs - 1), blp);
        }
        if (pairs == max_pairs) break;
        pairs++;
        pid = seqs[i];
        blp = 0;
    }
    if (i < n && !consumed) return SY_RTCP_E_NOSPACE;
    /* The last pair was not closed inside the loop unless the loop broke on a full packet. */
    if (i == n) {
        sy_rtcp_wr16(out + 12 + 4 * (pairs - 1), pid);
        sy_rtcp_wr16(out + 14 + 4 * (pairs - 1), blp);
    }
    if (consumed) *consumed = i;
    size_t total = 12 + 4 * pairs;
    put_fb(out, SY_RTCP_RTPFB_NACK, SY_RTCP_PT_RTPFB, total, sender, media);
    return (int)total;
}

int sy_rtcp_build_pli(uint8_t *out, size_t cap, uint32_t sender, uint32_t media)
{
    if (!out || cap < 12) return SY_RTCP_E_NOSPACE;
    put_fb(out, SY_RTCP_PSFB_PLI, SY_RTCP_PT_PSFB, 12, sender, media);
    return 12;
}

int sy_rtcp_build_fir(uint8_t *out, size_t cap, uint32_t sender, const sy_rtcp_fir_entry *entries,
                      size_t n)
{
    if (n == 0 || !entries || n > (SY_RTCP_MAX_PACKET_LEN - 12) / 8) return SY_RTCP_E_INVAL;
    size_t total = 12 + 8 * n;
    if (!out || cap < total) return SY_RTCP_E_NOSPACE;
    put_fb(out, SY_RTCP_PSFB_FIR, SY_RTCP_PT_PSFB, total, sender, 0);
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = out + 12 + 8 * i;
        sy_rtcp_wr32(e, entries[i].ssrc);
        e[4] = entries[i].seq_nr;
        e[5] = e[6] = e[7] = 0;
    }
    return (int)total;
}

int sy_rtcp_build_remb(uint8_t *out, size_t cap, uint32_t sender, uint64_t bitrate,
                       const uint32_t *ssrcs, size_t n)
{
    if (n > 255 || (n && !ssrcs)) return SY_RTCP_E_INVAL;
    size_t total = 12 + 8 + 4 * n;
    if (!out || cap < total) return SY_RTCP_E_NOSPACE;
    unsigned exp = 0;
    while ((bitrate >> exp) > 0x3FFFF)
        exp++; /* at most 46 for UINT64_MAX */
    uint32_t mantissa = (uint32_t)(bitrate >> exp);
    put_fb(out, SY_RTCP_PSFB_AFB, SY_RTCP_PT_PSFB, total, sender, 0);
    memcpy(out + 12, "REMB", 4);
    out[16] = (uint8_t)n;
    out[17] = (uint8_t)((exp << 2) | (mantissa >> 16));
    sy_rtcp_wr16(out + 18, (uint16_t)mantissa);
    for (size_t i = 0; i < n; i++)
        sy_rtcp_wr32(out + 20 + 4 * i, ssrcs[i]);
    return (int)total;
}

/* ---- transport-wide cc feedback ---- */

/* Where the arrivals come from: status k is ring[(start + k) & mask], for k < end. */
typedef struct twcc_src {
    const uint64_t *ring;
    size_t mask, start;
    uint32_t end;
} twcc_src;

/* A position in the statuses, with the tick time of the last received one before it. */
typedef struct twcc_cur {
    uint32_t k;
    int64_t prev;
} twcc_cur;

/* The symbol of status c->k, advancing; *delta gets its delta in ticks when received. */
static int twcc_sym(const twcc_src *s, twcc_cur *c, int64_t *delta)
{
    uint64_t a = s->ring[(s->start + c->k) & s->mask];
    c->k++;
    if (a == SY_TWCC_NOT_RECEIVED) return SY_TWCC_STATUS_NOT_RECEIVED;
    int64_t t = (int64_t)(a / SY_TWCC_TICK_US);
    *delta = t - c->prev;
    c->prev = t;
    return (*delta >= 0 && *delta <= 255) ? SY_TWCC_STATUS_SMALL_DELTA : SY_TWCC_STATUS_LARGE_DELTA;
}

/*
 * Chooses the chunk that starts at *at (not advancing it): returns how many statuses it
 * covers, its 16-bit word and the delta bytes those statuses need. When those bytes
 * exceed budget the chunk is cut to the statuses that fit and *cut is set: it must then
 * be the packet's last chunk, so that the status count hides the rest of a vector. Returns
 * 0 when not even one status fits.
 * Deterministic in (*at, s->end, budget), so the sizing pass and the writing pass make
 * the same choices.
 */
static uint32_t twcc_plan(const twcc_src *s, const twcc_cur *at, size_t budget, uint16_t *word,
                          size_t *dbytes, bool *cut)
{
    *cut = false;
    uint32_t rem = s->end - at->k;
    uint32_t m = rem < 14 ? rem : 14;
    uint8_t sym[14] = {0};
    twcc_cur c = *at;
    int64_t d;
    bool one_bit = true;
    for (uint32_t i = 0; i < m; i++) {
        sym[i] = (uint8_t)twcc_sym(s, &c, &d);
        if (sym[i] == SY_TWCC_STATUS_LARGE_DELTA) one_bit = false;
    }
    uint32_t run = 1;
    while (run < m && sym[run] == sym[0])
        run++;
    if (run == m) {
        while (run < rem && run < SY_TWCC_MAX_RUN && twcc_sym(s, &c, &d) == sym[0])
            run++;
    }
    uint32_t vec = one_bit ? m : (rem < 7 ? rem : 7);
    if (run >= vec) {
        if (sym[0] && (size_t)sym[0] * run > budget) {
            run = (uint32_t)(budget / sym[0]);
            *cut = true;
        }
        *word = (uint16_t)((sym[0] << 13) | run);
        *dbytes = (size_t)sym[0] * run;
        return run;
    }
    /* A vector: its symbols in order, as many as the budget pays for. */
    uint32_t cov = vec;
    uint16_t w = one_bit ? 0x8000 : 0xC000;
    size_t db = 0;
    for (uint32_t i = 0; i < vec; i++) {
        if (db + sym[i] > budget) {
            cov = i;
            *cut = true;
            break;
        }
        db += sym[i];
        if (one_bit)
            w |= (uint16_t)(sym[i] << (13 - i));
        else
            w |= (uint16_t)(sym[i] << (12 - 2 * i));
    }
    *word = w;
    *dbytes = db;
    return cov;
}

/* Delta bytes left for chunk number i (0-based) when dbytes are already used, or -1 when
 * not even the chunk word fits; the packet must end on a 32-bit boundary within limit. */
static long twcc_budget(size_t limit, size_t i, size_t dbytes)
{
    size_t fixed = 20 + 2 * (i + 1) + dbytes;
    size_t room = limit & ~(size_t)3;
    return fixed > room ? -1 : (long)(room - fixed);
}

int sy_rtcp_build_twcc_ring(uint8_t *out, size_t cap, uint32_t sender, uint32_t media,
                            uint8_t fb_count, uint16_t base_seq, const uint64_t *ring,
                            size_t ring_mask, size_t start, size_t n, size_t *consumed)
{
    if (n == 0 || !ring) return SY_RTCP_E_INVAL;
    twcc_src src = {ring, ring_mask, start, n > 0xFFFF ? 0xFFFF : (uint32_t)n};

    /* The reference time comes from the first received packet, so that the first delta
     * is 0..255 ticks; then stop before any delta that 16 bits cannot hold. */
    uint64_t ref = 0;
    for (uint32_t k = 0; k < src.end; k++) {
        uint64_t a = ring[(start + k) & ring_mask];
        if (a != SY_TWCC_NOT_RECEIVED) {
            ref = a / SY_TWCC_REF_TIME_US;
            break;
        }
    }
    int64_t ref_ticks = (int64_t)(ref * (SY_TWCC_REF_TIME_US / SY_TWCC_TICK_US));
    twcc_cur c = {0, ref_ticks};
    while (c.k < src.end) {
        int64_t d = 0;
        uint32_t k = c.k;
        if (twcc_sym(&src, &c, &d) != SY_TWCC_STATUS_NOT_RECEIVED &&
            (d < INT16_MIN || d > INT16_MAX)) {
            src.end = k;
            break;
        }
    }

    /* Sizing pass: as many chunks as fit, with their deltas and the padding; a chunk cut
     * short by the space left is the last. */
    size_t limit = cap < SY_RTCP_MAX_PACKET_LEN ? cap : SY_RTCP_MAX_PACKET_LEN;
    size_t chunks = 0, dbytes = 0;
    c = (twcc_cur){0, ref_ticks};
    while (c.k < src.end) {
        long budget = twcc_budget(limit, chunks, dbytes);
        if (budget < 0) break;
        uint16_t w;
        size_t db;
        bool cut;
        uint32_t cov = twcc_plan(&src, &c, (size_t)budget, &w, &db, &cut);
        if (cov == 0) break;
        chunks++;
        dbytes += db;
        int64_t d;
        for (uint32_t i = 0; i < cov; i++)
            twcc_sym(&src, &c, &d);
        if (cut) break;
    }
    if (!out || chunks == 0) return SY_RTCP_E_NOSPACE;
    uint32_t covered = c.k;
    if (covered < n && !consumed) return covered < src.end ? SY_RTCP_E_NOSPACE : SY_RTCP_E_INVAL;

    /* Writing pass: the same chunks, deltas after all the chunks. */
    size_t body = 20 + 2 * chunks + dbytes;
    size_t total = pad4(body);
    put_header(out, total != body, SY_RTCP_RTPFB_TWCC, SY_RTCP_PT_RTPFB, total);
    sy_rtcp_wr32(out + 4, sender);
    sy_rtcp_wr32(out + 8, media);
    sy_rtcp_wr16(out + 12, base_seq);
    sy_rtcp_wr16(out + 14, (uint16_t)covered);
    sy_rtcp_wr24(out + 16, (uint32_t)(ref & 0xFFFFFF));
    out[19] = fb_count;
    uint8_t *cp = out + 20, *dp = out + 20 + 2 * chunks;
    c = (twcc_cur){0, ref_ticks};
    size_t used = 0;
    for (size_t i = 0; i < chunks; i++) {
        uint16_t w;
        size_t db;
        bool cut;
        uint32_t cov = twcc_plan(&src, &c, (size_t)twcc_budget(limit, i, used), &w, &db, &cut);
        used += db;
        sy_rtcp_wr16(cp, w);
        cp += 2;
        for (uint32_t j = 0; j < cov; j++) {
            int64_t d = 0;
            int sym = twcc_sym(&src, &c, &d);
            if (sym == SY_TWCC_STATUS_SMALL_DELTA) {
                *dp++ = (uint8_t)d;
            } else if (sym == SY_TWCC_STATUS_LARGE_DELTA) {
                sy_rtcp_wr16(dp, (uint16_t)d); /* two's complement of a value in int16 range */
                dp += 2;
            }
        }
    }
    if (total != body) {
        memset(out + body, 0, total - body - 1);
        out[total - 1] = (uint8_t)(total - body);
    }
    if (consumed) *consumed = covered;
    return (int)total;
}

int sy_rtcp_build_twcc(uint8_t *out, size_t cap, uint32_t sender, uint32_t media, uint8_t fb_count,
                       uint16_t base_seq, const uint64_t *arrival_us, size_t n, size_t *consumed)
{
    return sy_rtcp_build_twcc_ring(out, cap, sender, media, fb_count, base_seq, arrival_us,
                                   SIZE_MAX, 0, n, consumed);
}

/* ---- compound ---- */

int sy_rtcp_append(uint8_t *out, size_t cap, size_t *len, const uint8_t *pkt, size_t pkt_len)
{
    if (!out || !len || *len > cap) return SY_RTCP_E_INVAL;
    int r = sy_rtcp_validate(pkt, pkt_len);
    if (r < 0) return r;
    if (pkt_len > cap - *len) return SY_RTCP_E_NOSPACE;
    if (*len + pkt_len > INT_MAX) return SY_RTCP_E_INVAL;
    memcpy(out + *len, pkt, pkt_len);
    *len += pkt_len;
    return (int)*len;
}
