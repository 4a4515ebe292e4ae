/*
 * libFuzzer target for RTCP (src/protocol/rtcp*.h, nack.h, twcc.h).
 *
 * Every input (up to 1500 bytes, the MTU the media path accepts) goes through:
 *  1. the compound iterator and every typed reader on every sub-packet, with invariants:
 *     a sub-packet that passes sy_rtcp_check is read without error by its reader;
 *  2. the in-place filter and SSRC rewrite on copies, whose output must be valid RTCP;
 *  3. a build -> parse round trip of one packet type chosen and filled by the input
 *     bytes (SR, RR, SDES, BYE, NACK, PLI, FIR, REMB, TWCC, a compound), and the NACK
 *     generator / history and TWCC recorder driven by the bytes, whose outputs must parse.
 * A broken invariant traps, so libFuzzer reports it as a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/nack.h"
#include "protocol/rtcp.h"
#include "protocol/rtcp_build.h"
#include "protocol/rtcp_fb.h"
#include "protocol/twcc.h"

#define MAX_INPUT 1500
#define ASSERT(x)                                                                                  \
    do {                                                                                           \
        if (!(x)) __builtin_trap();                                                                \
    } while (0)

static sy_rtcp_twcc_status twcc_out[65536];

/* ---- 1. readers ---- */

static int sdes_cb(void *ud, const sy_rtcp_sdes_item *item)
{
    size_t *sum = ud;
    *sum += item->len;
    if (item->len) {
        volatile uint8_t last = item->data[item->len - 1]; /* ASan checks it is in bounds */
        (void)last;
    }
    return 0;
}

static int nack_cb(void *ud, uint16_t seq)
{
    (*(unsigned *)ud) += seq;
    return 0;
}

static void read_feedback(const sy_rtcp_pkt *p, bool valid)
{
    sy_rtcp_fb fb;
    int r = sy_rtcp_read_fb(p, &fb);
    if (r < 0) {
        if (r != SY_RTCP_E_TYPE) ASSERT(!valid); /* a feedback too short for its SSRCs */
        return;
    }
    ASSERT(fb.fci + fb.fci_len <= p->data + p->len);
    uint16_t seqs[64];
    unsigned sum = 0;
    int a = sy_rtcp_nack_for_each(&fb, nack_cb, &sum);
    int b = sy_rtcp_read_nack(&fb, seqs, 64);
    ASSERT((a < 0) == (b < 0));
    if (b >= 0) ASSERT(b == (a < 64 ? a : 64));

    sy_rtcp_twcc h;
    int n = sy_rtcp_read_twcc(&fb, &h, twcc_out, 65536);
    if (n >= 0) {
        ASSERT(n == h.status_count);
        unsigned received = 0;
        for (int i = 0; i < n; i++) {
            ASSERT(twcc_out[i].status <= SY_TWCC_STATUS_LARGE_DELTA);
            received += twcc_out[i].status != SY_TWCC_STATUS_NOT_RECEIVED;
            ASSERT(twcc_out[i].seq == (uint16_t)(h.base_seq + i));
        }
        ASSERT(received == h.received);
        ASSERT(sy_rtcp_read_twcc(&fb, &h, twcc_out, 3) == (n < 3 ? n : 3));
    }

    sy_rtcp_fir_entry fir[8];
    sy_rtcp_read_fir(&fb, fir, 8);
    uint64_t br;
    uint8_t count;
    uint32_t ssrcs[8];
    if (sy_rtcp_read_remb(&fb, &br, &count, ssrcs, 8) >= 0) ASSERT(sy_rtcp_fb_is_remb(&fb));
    (void)sy_rtcp_fb_is_pli(&fb);

    if (!valid) return;
    switch (sy_rtcp_kind_of(p)) {
    case SY_RTCP_KIND_NACK:
        ASSERT(b >= 1);
        break;
    case SY_RTCP_KIND_TWCC:
        ASSERT(n >= 1);
        break;
    case SY_RTCP_KIND_FIR:
        ASSERT(sy_rtcp_read_fir(&fb, fir, 8) >= 1);
        break;
    case SY_RTCP_KIND_REMB:
        ASSERT(sy_rtcp_read_remb(&fb, &br, &count, ssrcs, 8) >= 0);
        break;
    case SY_RTCP_KIND_PLI:
        ASSERT(sy_rtcp_fb_is_pli(&fb));
        break;
    default:
        break;
    }
}

static void read_all(const uint8_t *data, size_t size)
{
    sy_rtcp_iter it;
    sy_rtcp_pkt p;
    int r, count = 0;
    size_t covered = 0;
    sy_rtcp_iter_init(&it, data, size);
    while ((r = sy_rtcp_iter_next(&it, &p)) > 0) {
        ASSERT(p.offset == covered && p.len >= 4 && p.len % 4 == 0 && p.offset + p.len <= size);
        ASSERT(p.body_len <= p.len - 4);
        covered += p.len;
        count++;
        bool valid = sy_rtcp_check(&p) == 0;
        sy_rtcp_kind kind = sy_rtcp_kind_of(&p);
        ASSERT(kind < SY_RTCP_KIND_COUNT);
        uint32_t ssrc;
        sy_rtcp_sender_ssrc(&p, &ssrc);

        sy_rtcp_sr sr;
        sy_rtcp_report_block blocks[SY_RTCP_MAX_COUNT];
        int n = sy_rtcp_read_sr(&p, &sr, blocks, SY_RTCP_MAX_COUNT);
        if (valid && kind == SY_RTCP_KIND_SR) ASSERT(n == p.count);
        uint8_t nb;
        n = sy_rtcp_read_rr(&p, &ssrc, &nb, blocks, 2);
        if (valid && kind == SY_RTCP_KIND_RR) ASSERT(n == (p.count < 2 ? p.count : 2));

        size_t sum = 0;
        n = sy_rtcp_sdes_for_each(&p, sdes_cb, &sum);
        if (valid && kind == SY_RTCP_KIND_SDES) ASSERT(n >= 0);
        const uint8_t *cname;
        size_t cname_len;
        if (sy_rtcp_sdes_cname(&p, &ssrc, &cname, &cname_len) == 1)
            ASSERT(cname >= p.body && cname + cname_len <= p.body + p.body_len);

        uint32_t ssrcs[4];
        const uint8_t *why;
        size_t why_len;
        n = sy_rtcp_read_bye(&p, ssrcs, 4, &why, &why_len);
        if (n >= 0 && why) ASSERT(why >= p.body && why + why_len <= p.body + p.body_len);
        if (valid && kind == SY_RTCP_KIND_BYE) ASSERT(n >= 0);

        read_feedback(&p, valid);
    }
    ASSERT(r <= 0);
    if (r == 0) {
        ASSERT(covered == size);
        ASSERT(sy_rtcp_validate(data, size) == (size ? count : SY_RTCP_E_TRUNCATED));
    } else {
        ASSERT(sy_rtcp_validate(data, size) == r);
        ASSERT(sy_rtcp_iter_next(&it, &p) == r);
    }
}

/* ---- 2. in-place helpers ---- */

static void edit_copies(const uint8_t *data, size_t size)
{
    uint8_t buf[MAX_INPUT];
    static const uint32_t masks[] = {SY_RTCP_KEEP_RELAY, 0xFFFFFFFFu, 0,
                                     SY_RTCP_KIND_BIT(SY_RTCP_KIND_TWCC) |
                                         SY_RTCP_KIND_BIT(SY_RTCP_KIND_SDES)};
    for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
        memcpy(buf, data, size);
        size_t kept = 0;
        int r = sy_rtcp_filter(buf, size, masks[m], &kept);
        ASSERT(r <= 0 && kept <= size);
        if (kept == 0) continue;
        /* What is kept frames correctly, passes the checks and is of the kinds asked. */
        sy_rtcp_iter it;
        sy_rtcp_pkt p;
        int k;
        sy_rtcp_iter_init(&it, buf, kept);
        while ((k = sy_rtcp_iter_next(&it, &p)) > 0) {
            ASSERT(sy_rtcp_check(&p) == 0);
            ASSERT(masks[m] & SY_RTCP_KIND_BIT(sy_rtcp_kind_of(&p)));
        }
        ASSERT(k == 0);
    }

    memcpy(buf, data, size);
    int n = sy_rtcp_fb_rewrite_ssrcs(buf, size, 0x11111111, 0x22222222);
    if (n >= 0) {
        /* Same framing, and every well-formed feedback now names the new SSRCs. */
        ASSERT(sy_rtcp_validate(buf, size) == sy_rtcp_validate(data, size));
        sy_rtcp_iter it;
        sy_rtcp_pkt p;
        sy_rtcp_iter_init(&it, buf, size);
        while (sy_rtcp_iter_next(&it, &p) > 0) {
            sy_rtcp_fb fb;
            if (sy_rtcp_read_fb(&p, &fb) != 0) continue;
            ASSERT(fb.sender_ssrc == 0x11111111);
            sy_rtcp_kind kind = sy_rtcp_kind_of(&p);
            if (kind != SY_RTCP_KIND_FIR && kind != SY_RTCP_KIND_REMB)
                ASSERT(fb.media_ssrc == 0x22222222);
        }
    }
}

/* ---- 3. round trips ---- */

typedef struct bytes {
    const uint8_t *p;
    size_t n;
} bytes;

static uint8_t u8(bytes *b)
{
    if (!b->n) return 0;
    b->n--;
    return *b->p++;
}
static uint16_t u16(bytes *b)
{
    return (uint16_t)((u8(b) << 8) | u8(b));
}
static uint32_t u32(bytes *b)
{
    return ((uint32_t)u16(b) << 16) | u16(b);
}
static uint64_t u64(bytes *b)
{
    return ((uint64_t)u32(b) << 32) | u32(b);
}

static sy_rtcp_pkt only(const uint8_t *buf, int len)
{
    ASSERT(len > 0 && len % 4 == 0);
    ASSERT(sy_rtcp_validate(buf, (size_t)len) == 1);
    sy_rtcp_pkt p;
    ASSERT(sy_rtcp_parse_header(buf, (size_t)len, &p) == 0);
    ASSERT(sy_rtcp_check(&p) == 0);
    return p;
}

static sy_rtcp_fb only_fb(const uint8_t *buf, int len)
{
    sy_rtcp_pkt p = only(buf, len);
    sy_rtcp_fb fb;
    ASSERT(sy_rtcp_read_fb(&p, &fb) == 0);
    return fb;
}

static void rt_reports(bytes *b, uint8_t *out, size_t cap, bool sr)
{
    sy_rtcp_report_block in[SY_RTCP_MAX_COUNT], got[SY_RTCP_MAX_COUNT];
    size_t n = u8(b) % 32;
    for (size_t i = 0; i < n; i++) {
        in[i].ssrc = u32(b);
        in[i].fraction_lost = u8(b);
        in[i].cumulative_lost = (int32_t)u32(b);
        in[i].ext_highest_seq = u32(b);
        in[i].jitter = u32(b);
        in[i].lsr = u32(b);
        in[i].dlsr = u32(b);
    }
    sy_rtcp_sr s = {
        .ssrc = u32(b), .ntp = u64(b), .rtp_ts = u32(b), .packets = u32(b), .octets = u32(b)};
    int len =
        sr ? sy_rtcp_build_sr(out, cap, &s, in, n) : sy_rtcp_build_rr(out, cap, s.ssrc, in, n);
    if (len == SY_RTCP_E_NOSPACE) return;
    sy_rtcp_pkt p = only(out, len);
    int r;
    if (sr) {
        sy_rtcp_sr g;
        r = sy_rtcp_read_sr(&p, &g, got, SY_RTCP_MAX_COUNT);
        ASSERT(g.ssrc == s.ssrc && g.ntp == s.ntp && g.rtp_ts == s.rtp_ts);
        ASSERT(g.packets == s.packets && g.octets == s.octets && g.n_blocks == n);
    } else {
        uint32_t ssrc;
        r = sy_rtcp_read_rr(&p, &ssrc, NULL, got, SY_RTCP_MAX_COUNT);
        ASSERT(ssrc == s.ssrc);
    }
    ASSERT(r == (int)n);
    for (size_t i = 0; i < n; i++) {
        int32_t lost = in[i].cumulative_lost;
        lost = lost > 0x7FFFFF ? 0x7FFFFF : lost < -0x800000 ? -0x800000 : lost;
        ASSERT(got[i].ssrc == in[i].ssrc && got[i].fraction_lost == in[i].fraction_lost);
        ASSERT(got[i].cumulative_lost == lost && got[i].jitter == in[i].jitter);
        ASSERT(got[i].ext_highest_seq == in[i].ext_highest_seq);
        ASSERT(got[i].lsr == in[i].lsr && got[i].dlsr == in[i].dlsr);
    }
}

static void rt_sdes_bye(bytes *b, uint8_t *out, size_t cap)
{
    char text[255];
    size_t tl = u8(b);
    for (size_t i = 0; i < tl; i++)
        text[i] = (char)u8(b);
    uint32_t ssrc = u32(b), s2;
    int len = sy_rtcp_build_sdes_cname(out, cap, ssrc, text, tl);
    if (len != SY_RTCP_E_NOSPACE) {
        sy_rtcp_pkt p = only(out, len);
        const uint8_t *cname;
        size_t cl;
        ASSERT(sy_rtcp_sdes_cname(&p, &s2, &cname, &cl) == 1);
        ASSERT(s2 == ssrc && cl == tl && memcmp(cname, text, tl) == 0);
    }
    uint32_t ssrcs[SY_RTCP_MAX_COUNT], got[SY_RTCP_MAX_COUNT];
    size_t n = 1 + u8(b) % 31;
    for (size_t i = 0; i < n; i++)
        ssrcs[i] = u32(b);
    size_t rl = u8(b) % 2 ? tl : 0;
    len = sy_rtcp_build_bye(out, cap, ssrcs, n, rl ? text : NULL, rl);
    if (len == SY_RTCP_E_NOSPACE) return;
    sy_rtcp_pkt p = only(out, len);
    const uint8_t *why;
    size_t wl;
    ASSERT(sy_rtcp_read_bye(&p, got, SY_RTCP_MAX_COUNT, &why, &wl) == (int)n);
    ASSERT(memcmp(got, ssrcs, n * 4) == 0 && wl == rl);
    if (rl) ASSERT(memcmp(why, text, rl) == 0);
}

static void rt_nack(bytes *b, uint8_t *out, size_t cap)
{
    uint16_t seqs[400], got[400 * 17];
    size_t n = 1 + u16(b) % 400;
    uint16_t s = u16(b);
    for (size_t i = 0; i < n; i++) {
        uint8_t step = u8(b);
        s = (uint16_t)(s + (step & 0x80 ? (step & 0x7F) * 97 : step)); /* mostly ascending */
        seqs[i] = s;
    }
    size_t used = 0;
    int len = sy_rtcp_build_nack(out, cap, u32(b), u32(b), seqs, n, &used);
    if (len == SY_RTCP_E_NOSPACE) return;
    ASSERT(used >= 1 && used <= n && (size_t)len <= cap);
    sy_rtcp_fb fb = only_fb(out, len);
    int m = sy_rtcp_read_nack(&fb, got, sizeof(got) / sizeof(got[0]));
    ASSERT(m >= (int)((len - 12) / 4));
    /* Every consumed number is requested, and nothing else is. */
    static uint8_t want[65536], have[65536];
    memset(want, 0, sizeof(want));
    memset(have, 0, sizeof(have));
    for (size_t i = 0; i < used; i++)
        want[seqs[i]] = 1;
    for (int j = 0; j < m; j++) {
        ASSERT(want[got[j]]);
        have[got[j]] = 1;
    }
    for (size_t i = 0; i < used; i++)
        ASSERT(have[seqs[i]]);
}

static void rt_psfb(bytes *b, uint8_t *out, size_t cap)
{
    uint32_t sender = u32(b), media = u32(b);
    int len = sy_rtcp_build_pli(out, cap, sender, media);
    if (len > 0) {
        sy_rtcp_fb fb = only_fb(out, len);
        ASSERT(sy_rtcp_fb_is_pli(&fb) && fb.sender_ssrc == sender && fb.media_ssrc == media);
    }
    sy_rtcp_fir_entry e[32], g[32];
    size_t n = 1 + u8(b) % 32;
    for (size_t i = 0; i < n; i++)
        e[i] = (sy_rtcp_fir_entry){u32(b), u8(b)};
    len = sy_rtcp_build_fir(out, cap, sender, e, n);
    if (len > 0) {
        sy_rtcp_fb fb = only_fb(out, len);
        ASSERT(sy_rtcp_read_fir(&fb, g, 32) == (int)n);
        for (size_t i = 0; i < n; i++)
            ASSERT(g[i].ssrc == e[i].ssrc && g[i].seq_nr == e[i].seq_nr);
    }
    uint64_t br = u64(b) >> (u8(b) % 64), got_br;
    uint32_t ssrcs[255], got[255];
    n = u8(b);
    for (size_t i = 0; i < n; i++)
        ssrcs[i] = u32(b);
    len = sy_rtcp_build_remb(out, cap, sender, br, ssrcs, n);
    if (len > 0) {
        sy_rtcp_fb fb = only_fb(out, len);
        uint8_t count;
        ASSERT(sy_rtcp_read_remb(&fb, &got_br, &count, got, 255) == (int)n && count == n);
        ASSERT(memcmp(got, ssrcs, n * 4) == 0);
        ASSERT(got_br <= br && br - got_br <= br / 131072);
    }
}

static void rt_twcc(bytes *b, uint8_t *out, size_t cap)
{
    static uint64_t arr[2000];
    size_t n = 1 + u16(b) % 2000;
    uint64_t t = u32(b);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = u8(b);
        if (c < 40) {
            arr[i] = SY_TWCC_NOT_RECEIVED;
            continue;
        }
        if (c < 60)
            t -= t > 100000 ? (uint64_t)u16(b) : 0; /* reordered */
        else if (c < 70)
            t += (uint64_t)u16(b) * 200; /* up to 13 s: may end the packet */
        else
            t += c;
        arr[i] = t;
    }
    uint16_t base = u16(b);
    size_t done = 0;
    for (int guard = 0; done < n && guard < 4000; guard++) {
        size_t used = 0;
        int len = sy_rtcp_build_twcc(out, cap, 1, 2, (uint8_t)guard, (uint16_t)(base + done),
                                     arr + done, n - done, &used);
        if (len == SY_RTCP_E_NOSPACE) {
            /* Header, one chunk and one delta (the first is always small) take 24 bytes. */
            ASSERT(cap < 24);
            return;
        }
        ASSERT(len > 0 && (size_t)len <= cap && used >= 1 && used <= n - done);
        sy_rtcp_fb fb = only_fb(out, len);
        sy_rtcp_twcc h;
        int m = sy_rtcp_read_twcc(&fb, &h, twcc_out, 65536);
        ASSERT(m == (int)used && h.base_seq == (uint16_t)(base + done));
        for (int i = 0; i < m; i++) {
            uint64_t a = arr[done + (size_t)i];
            if (a == SY_TWCC_NOT_RECEIVED) {
                ASSERT(twcc_out[i].status == SY_TWCC_STATUS_NOT_RECEIVED);
            } else {
                ASSERT(twcc_out[i].status != SY_TWCC_STATUS_NOT_RECEIVED);
                /* Times stay far below the 24-bit reference time's wrap (2^24 * 64 ms). */
                ASSERT(twcc_out[i].arrival_us == (int64_t)(a / 250 * 250));
            }
        }
        done += used;
    }
    ASSERT(done == n);
}

static void rt_compound(bytes *b, uint8_t *out, size_t cap)
{
    uint8_t one[256];
    size_t len = 0;
    int parts = 0;
    for (int i = 0; i < 8; i++) {
        int n;
        switch (u8(b) % 4) {
        case 0:
            n = sy_rtcp_build_rr(one, sizeof(one), u32(b), NULL, 0);
            break;
        case 1:
            n = sy_rtcp_build_sdes_cname(one, sizeof(one), u32(b), "cn", 2);
            break;
        case 2:
            n = sy_rtcp_build_pli(one, sizeof(one), u32(b), u32(b));
            break;
        default:
            n = sy_rtcp_build_remb(one, sizeof(one), u32(b), u32(b), NULL, 0);
            break;
        }
        ASSERT(n > 0);
        int r = sy_rtcp_append(out, cap, &len, one, (size_t)n);
        if (r == SY_RTCP_E_NOSPACE) break;
        ASSERT(r == (int)len);
        parts++;
    }
    if (parts) ASSERT(sy_rtcp_validate(out, len) == parts);
}

/* The NACK generator fed by the bytes; its output must build into a parsable NACK. */
static void drive_nack(bytes *b, uint8_t *out)
{
    sy_nack_gen_config cfg = {.max_packets = (uint16_t)(1 + u8(b) * 4), .max_retries = u8(b) % 12};
    sy_nack_gen *g = sy_nack_gen_new(&cfg);
    sy_nack_history_config hc = {.slots = 16, .slot_size = 64};
    sy_nack_history *h = sy_nack_history_new(&hc);
    ASSERT(g && h);
    uint16_t seq = u16(b), list[2000];
    uint64_t now = 0;
    while (b->n) {
        uint8_t op = u8(b);
        now += op & 0x0F;
        if (op < 0xC0) {
            seq = (uint16_t)(seq + (op < 0x80 ? 1 + (op & 7) : -(int)(op & 0x3F)));
            sy_nack_gen_on_packet(g, seq, op % 17 == 0, now);
            uint8_t pkt[64];
            memset(pkt, op, sizeof(pkt));
            sy_nack_history_put(h, seq, pkt, op % 65, now);
            ASSERT(sy_nack_gen_missing(g) <= cfg.max_packets);
        } else if (op < 0xF0) {
            size_t n = sy_nack_gen_get(g, now, op & 0x3F, list, 1 + (op & 0x3F) * 30);
            for (size_t i = 0; i < n; i++) {
                const uint8_t *pkt;
                size_t len;
                if (sy_nack_history_get(h, list[i], op & 3, 20, now, &pkt, &len) == 0)
                    ASSERT(len <= 64);
            }
            if (n == 0) continue;
            size_t used = 0;
            int len = sy_rtcp_build_nack(out, 1500, 1, 2, list, n, &used);
            ASSERT(len > 0);
            sy_rtcp_fb fb = only_fb(out, len);
            ASSERT(sy_rtcp_read_nack(&fb, NULL, 0) == 0);
        } else {
            sy_nack_gen_reset(g);
        }
    }
    sy_nack_gen_free(g);
    sy_nack_history_free(h);
}

/* The TWCC recorder fed by the bytes; every packet it builds must parse. */
static void drive_twcc(bytes *b, uint8_t *out)
{
    sy_twcc_recorder *r = sy_twcc_recorder_new(64u << (u8(b) % 4));
    ASSERT(r);
    uint16_t seq = u16(b);
    uint64_t now = u32(b);
    while (b->n) {
        uint8_t op = u8(b);
        if (op < 0xE0) {
            seq = (uint16_t)(seq + (op < 0xA0 ? 1 + (op & 3) : -(int)(op & 0x1F)));
            now += op < 0x10 ? (uint64_t)u16(b) * 500 : op;
            int x = sy_twcc_recorder_on_packet(r, seq, now);
            ASSERT(x == SY_TWCC_RECORDED || x == SY_TWCC_DUPLICATE || x == SY_TWCC_E_TOOOLD);
        } else {
            size_t cap = 24 + (size_t)(op & 0x1F) * 40;
            int len = sy_twcc_recorder_build(r, out, cap, 1, 2);
            ASSERT(len >= 0 && (size_t)len <= cap);
            if (len > 0) {
                sy_rtcp_fb fb = only_fb(out, len);
                sy_rtcp_twcc h;
                ASSERT(sy_rtcp_read_twcc(&fb, &h, NULL, 0) == 0);
            }
        }
    }
    sy_twcc_recorder_free(r);
}

static void round_trip(const uint8_t *data, size_t size)
{
    static uint8_t out[MAX_INPUT];
    bytes b = {data, size};
    uint8_t mode = u8(&b);
    size_t cap = 1 + u16(&b) % MAX_INPUT;
    switch (mode % 10) {
    case 0:
        rt_reports(&b, out, cap, true);
        break;
    case 1:
        rt_reports(&b, out, cap, false);
        break;
    case 2:
        rt_sdes_bye(&b, out, cap);
        break;
    case 3:
        rt_nack(&b, out, cap);
        break;
    case 4:
        rt_psfb(&b, out, cap);
        break;
    case 5:
        rt_twcc(&b, out, cap);
        break;
    case 6:
        rt_compound(&b, out, cap);
        break;
    case 7:
        drive_nack(&b, out);
        break;
    case 8:
        drive_twcc(&b, out);
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT) return 0;
    read_all(data, size);
    edit_copies(data, size);
    round_trip(data, size);
    return 0;
}
