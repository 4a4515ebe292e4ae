/*
 * RTCP compound framing, reports and the in-place helpers (src/protocol/rtcp.h, and the
 * report builders of rtcp_build.h): hand-written byte vectors, build -> parse round
 * trips, and every malformed case returning an error. The feedback messages (NACK, PLI,
 * FIR, REMB, TWCC) are tested in test_rtcp_fb.c.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "protocol/rtcp.h"
#include "protocol/rtcp_build.h"
#include "protocol/rtcp_fb.h"

/* The first sub-packet of buf, which must frame correctly. */
static sy_rtcp_pkt first(const uint8_t *buf, size_t len)
{
    sy_rtcp_pkt p;
    memset(&p, 0, sizeof(p));
    int r = sy_rtcp_parse_header(buf, len, &p);
    CHECK_EQ_INT(r, 0);
    return p;
}

/* ---- a Chrome-like compound: SR then SDES CNAME ---- */

// clang-format off
static const uint8_t sr_sdes[] = {
    /* SR, RC 0, length 6 */
    0x80, 0xC8, 0x00, 0x06, 0x12, 0x34, 0x56, 0x78, /* SSRC */
    0xE4, 0x5A, 0x3C, 0x1D, 0x80, 0x00, 0x00, 0x00, /* NTP */
    0x00, 0x11, 0x22, 0x33,                         /* RTP timestamp */
    0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x27, 0x10, /* 100 packets, 10000 octets */
    /* SDES, SC 1, length 6: CNAME of 16 characters, terminator, one pad octet */
    0x81, 0xCA, 0x00, 0x06, 0x12, 0x34, 0x56, 0x78, 0x01, 0x10,
    'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p',
    0x00, 0x00,
};
// clang-format on

static void test_compound_sr_sdes(void)
{
    CHECK_EQ_INT(sizeof(sr_sdes), 56);
    CHECK_EQ_INT(sy_rtcp_validate(sr_sdes, sizeof(sr_sdes)), 2);
    sy_rtcp_iter it;
    sy_rtcp_pkt p;
    sy_rtcp_iter_init(&it, sr_sdes, sizeof(sr_sdes));

    CHECK_EQ_INT(sy_rtcp_iter_next(&it, &p), 1);
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_SR);
    CHECK_EQ_INT(p.offset, 0);
    CHECK_EQ_INT(p.len, 28);
    CHECK_EQ_INT(sy_rtcp_check(&p), 0);
    sy_rtcp_sr sr;
    CHECK_EQ_INT(sy_rtcp_read_sr(&p, &sr, NULL, 0), 0);
    CHECK_EQ_INT(sr.ssrc, 0x12345678);
    CHECK(sr.ntp == 0xE45A3C1D80000000ull);
    CHECK_EQ_INT(sr.rtp_ts, 0x00112233);
    CHECK_EQ_INT(sr.packets, 100);
    CHECK_EQ_INT(sr.octets, 10000);
    CHECK_EQ_INT(sr.n_blocks, 0);
    uint32_t ssrc = 0;
    CHECK_EQ_INT(sy_rtcp_sender_ssrc(&p, &ssrc), 0);
    CHECK_EQ_INT(ssrc, 0x12345678);

    CHECK_EQ_INT(sy_rtcp_iter_next(&it, &p), 1);
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_SDES);
    CHECK_EQ_INT(p.offset, 28);
    CHECK_EQ_INT(sy_rtcp_check(&p), 0);
    const uint8_t *cname = NULL;
    size_t cname_len = 0;
    ssrc = 0;
    CHECK_EQ_INT(sy_rtcp_sdes_cname(&p, &ssrc, &cname, &cname_len), 1);
    CHECK_EQ_INT(ssrc, 0x12345678);
    CHECK_EQ_INT(cname_len, 16);
    CHECK(cname && memcmp(cname, "abcdefghijklmnop", 16) == 0);

    CHECK_EQ_INT(sy_rtcp_iter_next(&it, &p), 0);
    CHECK_EQ_INT(sy_rtcp_iter_next(&it, &p), 0);

    /* The builders produce exactly these bytes. */
    uint8_t out[64];
    sy_rtcp_sr in = {.ssrc = 0x12345678,
                     .ntp = 0xE45A3C1D80000000ull,
                     .rtp_ts = 0x00112233,
                     .packets = 100,
                     .octets = 10000};
    int n = sy_rtcp_build_sr(out, sizeof(out), &in, NULL, 0);
    CHECK_EQ_INT(n, 28);
    int m = sy_rtcp_build_sdes_cname(out + n, sizeof(out) - (size_t)n, 0x12345678,
                                     "abcdefghijklmnop", 16);
    CHECK_EQ_INT(m, 28);
    CHECK(memcmp(out, sr_sdes, sizeof(sr_sdes)) == 0);
}

/* ---- framing errors ---- */

static void test_framing_errors(void)
{
    sy_rtcp_pkt p;
    uint8_t b[64];
    CHECK_EQ_INT(sy_rtcp_validate(b, 0), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(sy_rtcp_validate(NULL, 10), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(sy_rtcp_parse_header(sr_sdes, 3, &p), SY_RTCP_E_TRUNCATED);

    /* version 1 */
    memcpy(b, sr_sdes, 28);
    b[0] = 0x40;
    CHECK_EQ_INT(sy_rtcp_validate(b, 28), SY_RTCP_E_MALFORMED);
    /* packet type outside 192..223 (an RTP packet) */
    memcpy(b, sr_sdes, 28);
    b[1] = 96;
    CHECK_EQ_INT(sy_rtcp_validate(b, 28), SY_RTCP_E_MALFORMED);
    b[1] = 224;
    CHECK_EQ_INT(sy_rtcp_validate(b, 28), SY_RTCP_E_MALFORMED);
    /* length one word past the end, and the maximum length field */
    memcpy(b, sr_sdes, 28);
    b[3] = 7;
    CHECK_EQ_INT(sy_rtcp_validate(b, 28), SY_RTCP_E_TRUNCATED);
    b[2] = b[3] = 0xFF;
    CHECK_EQ_INT(sy_rtcp_validate(b, 28), SY_RTCP_E_TRUNCATED);
    /* padding count 0, and padding larger than the body */
    memcpy(b, sr_sdes, 28);
    b[0] |= 0x20;
    b[27] = 0;
    CHECK_EQ_INT(sy_rtcp_validate(b, 28), SY_RTCP_E_MALFORMED);
    b[27] = 25;
    CHECK_EQ_INT(sy_rtcp_validate(b, 28), SY_RTCP_E_MALFORMED);
    b[27] = 24; /* the whole body is padding: framing is fine, the SR is then too short */
    CHECK_EQ_INT(sy_rtcp_validate(b, 28), 1);
    CHECK_EQ_INT(sy_rtcp_parse_header(b, 28, &p), 0);
    CHECK_EQ_INT(p.body_len, 0);
    CHECK_EQ_INT(sy_rtcp_check(&p), SY_RTCP_E_TRUNCATED);

    /* A good packet followed by 2 stray bytes: one packet, then the error, sticky. */
    memcpy(b, sr_sdes, 28);
    b[28] = 0x80;
    b[29] = 0xC9;
    sy_rtcp_iter it;
    sy_rtcp_iter_init(&it, b, 30);
    CHECK_EQ_INT(sy_rtcp_iter_next(&it, &p), 1);
    CHECK_EQ_INT(sy_rtcp_iter_next(&it, &p), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(sy_rtcp_iter_next(&it, &p), SY_RTCP_E_TRUNCATED);
    /* A bad length in the middle stops the walk there. */
    memcpy(b, sr_sdes, sizeof(sr_sdes));
    b[28 + 3] = 9;
    sy_rtcp_iter_init(&it, b, sizeof(sr_sdes));
    CHECK_EQ_INT(sy_rtcp_iter_next(&it, &p), 1);
    CHECK_EQ_INT(sy_rtcp_iter_next(&it, &p), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(sy_rtcp_validate(b, sizeof(sr_sdes)), SY_RTCP_E_TRUNCATED);
}

/* ---- SR / RR with report blocks ---- */

static void test_reports(void)
{
    sy_rtcp_report_block blocks[3] = {
        {.ssrc = 1,
         .fraction_lost = 25,
         .cumulative_lost = 1000,
         .ext_highest_seq = 0x10005,
         .jitter = 77,
         .lsr = 0xAABBCCDD,
         .dlsr = 65536},
        {.ssrc = 2, .fraction_lost = 0, .cumulative_lost = -5, .ext_highest_seq = 9},
        {.ssrc = 3, .cumulative_lost = 0x7FFFFFFF}, /* clamped to 24 bits */
    };
    uint8_t out[256];
    sy_rtcp_sr sr = {
        .ssrc = 42, .ntp = 0x0102030405060708ull, .rtp_ts = 9, .packets = 8, .octets = 7};
    int n = sy_rtcp_build_sr(out, sizeof(out), &sr, blocks, 3);
    CHECK_EQ_INT(n, 28 + 72);
    sy_rtcp_pkt p = first(out, (size_t)n);
    CHECK_EQ_INT(p.count, 3);
    sy_rtcp_sr got;
    sy_rtcp_report_block rb[3];
    memset(rb, 0, sizeof(rb));
    CHECK_EQ_INT(sy_rtcp_read_sr(&p, &got, rb, 2), 2); /* the cap */
    CHECK_EQ_INT(got.n_blocks, 3);
    CHECK(got.ntp == sr.ntp);
    CHECK_EQ_INT(rb[0].ssrc, 1);
    CHECK_EQ_INT(rb[0].fraction_lost, 25);
    CHECK_EQ_INT(rb[0].cumulative_lost, 1000);
    CHECK_EQ_INT(rb[0].ext_highest_seq, 0x10005);
    CHECK_EQ_INT(rb[0].jitter, 77);
    CHECK_EQ_INT(rb[0].lsr, 0xAABBCCDD);
    CHECK_EQ_INT(rb[0].dlsr, 65536);
    CHECK_EQ_INT(rb[1].cumulative_lost, -5);
    CHECK_EQ_INT(sy_rtcp_read_sr(&p, &got, rb, 3), 3);
    CHECK_EQ_INT(rb[2].cumulative_lost, 0x7FFFFF);
    /* The wire bytes of -5 are FF FF FB. */
    CHECK(out[28 + 24 + 5] == 0xFF && out[28 + 24 + 6] == 0xFF && out[28 + 24 + 7] == 0xFB);

    n = sy_rtcp_build_rr(out, sizeof(out), 43, blocks, 2);
    CHECK_EQ_INT(n, 8 + 48);
    p = first(out, (size_t)n);
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_RR);
    uint32_t ssrc = 0;
    uint8_t nb = 0;
    CHECK_EQ_INT(sy_rtcp_read_rr(&p, &ssrc, &nb, rb, 3), 2);
    CHECK_EQ_INT(ssrc, 43);
    CHECK_EQ_INT(nb, 2);
    CHECK_EQ_INT(rb[1].ssrc, 2);
    CHECK_EQ_INT(sy_rtcp_read_sr(&p, &got, rb, 3), SY_RTCP_E_TYPE);
    /* An empty RR (RC 0) is the smallest valid report. */
    n = sy_rtcp_build_rr(out, sizeof(out), 44, NULL, 0);
    CHECK_EQ_INT(n, 8);
    p = first(out, 8);
    CHECK_EQ_INT(sy_rtcp_read_rr(&p, &ssrc, &nb, rb, 3), 0);

    /* RC says 2 blocks but the length holds 1: truncated. */
    n = sy_rtcp_build_rr(out, sizeof(out), 43, blocks, 2);
    out[0] = (uint8_t)((out[0] & ~0x1F) | 3);
    p = first(out, (size_t)n);
    CHECK_EQ_INT(sy_rtcp_read_rr(&p, &ssrc, &nb, rb, 3), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(sy_rtcp_check(&p), SY_RTCP_E_TRUNCATED);
    n = sy_rtcp_build_sr(out, sizeof(out), &sr, blocks, 1);
    out[0] |= 0x1F; /* RC 31 */
    p = first(out, (size_t)n);
    CHECK_EQ_INT(sy_rtcp_read_sr(&p, &got, rb, 3), SY_RTCP_E_TRUNCATED);

    /* Build limits. */
    sy_rtcp_report_block many[32];
    memset(many, 0, sizeof(many));
    CHECK_EQ_INT(sy_rtcp_build_rr(out, sizeof(out), 1, many, 32), SY_RTCP_E_INVAL);
    CHECK_EQ_INT(sy_rtcp_build_rr(out, sizeof(out), 1, NULL, 1), SY_RTCP_E_INVAL);
    CHECK_EQ_INT(sy_rtcp_build_rr(out, 55, 1, blocks, 2), SY_RTCP_E_NOSPACE);
    CHECK_EQ_INT(sy_rtcp_build_sr(out, 27, &sr, NULL, 0), SY_RTCP_E_NOSPACE);
    CHECK_EQ_INT(sy_rtcp_build_sr(out, sizeof(out), NULL, NULL, 0), SY_RTCP_E_INVAL);
    uint8_t big[1024];
    n = sy_rtcp_build_rr(big, sizeof(big), 1, many, 31);
    CHECK_EQ_INT(n, 8 + 31 * 24);
    p = first(big, (size_t)n);
    CHECK_EQ_INT(sy_rtcp_read_rr(&p, NULL, NULL, many, 32), 31);
}

/* ---- SDES and BYE ---- */

typedef struct items_seen {
    int n;
    uint32_t ssrc[8];
    uint8_t type[8];
    uint8_t len[8];
} items_seen;

static int collect_item(void *ud, const sy_rtcp_sdes_item *item)
{
    items_seen *s = ud;
    if (s->n < 8) {
        s->ssrc[s->n] = item->ssrc;
        s->type[s->n] = item->type;
        s->len[s->n] = item->len;
    }
    s->n++;
    return 0;
}

static void test_sdes(void)
{
    /* Two chunks: the first with NAME then CNAME, the second with no items at all. */
    // clang-format off
    static const uint8_t sdes[] = {
        0x82, 0xCA, 0x00, 0x06,                         /* SC 2, length 6 (28 bytes) */
        0x00, 0x00, 0x00, 0x01, 0x02, 0x01, 'x', 0x01,  /* SSRC 1, NAME "x", CNAME... */
        0x03, 'a', 'b', 'c', 0x00, 0x00, 0x00, 0x00,    /* ..."abc", end + pad */
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, /* SSRC 2, no items */
    };
    // clang-format on
    sy_rtcp_pkt p = first(sdes, sizeof(sdes));
    items_seen seen = {0};
    CHECK_EQ_INT(sy_rtcp_sdes_for_each(&p, collect_item, &seen), 2);
    CHECK_EQ_INT(seen.n, 2);
    CHECK_EQ_INT(seen.type[0], 2);
    CHECK_EQ_INT(seen.len[0], 1);
    CHECK_EQ_INT(seen.type[1], SY_RTCP_SDES_CNAME);
    CHECK_EQ_INT(seen.len[1], 3);
    CHECK_EQ_INT(seen.ssrc[1], 1);
    const uint8_t *cname;
    size_t len;
    uint32_t ssrc;
    CHECK_EQ_INT(sy_rtcp_sdes_cname(&p, &ssrc, &cname, &len), 1);
    CHECK_EQ_INT(len, 3);
    CHECK(memcmp(cname, "abc", 3) == 0);
    CHECK_EQ_INT(sy_rtcp_check(&p), 0);

    uint8_t b[64];
    /* The second chunk's terminator is missing: body ends inside the chunk. */
    memcpy(b, sdes, sizeof(sdes));
    b[3] = 5; /* 24 bytes: the second chunk is only its SSRC */
    p = first(b, 24);
    CHECK_EQ_INT(sy_rtcp_sdes_for_each(&p, NULL, NULL), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(sy_rtcp_check(&p), SY_RTCP_E_TRUNCATED);
    /* SC says 3 chunks. */
    memcpy(b, sdes, sizeof(sdes));
    b[0] = 0x83;
    p = first(b, sizeof(sdes));
    CHECK_EQ_INT(sy_rtcp_sdes_for_each(&p, NULL, NULL), SY_RTCP_E_TRUNCATED);
    /* An item length running past the end. */
    memcpy(b, sdes, sizeof(sdes));
    b[12] = 200;
    p = first(b, sizeof(sdes));
    CHECK_EQ_INT(sy_rtcp_sdes_for_each(&p, NULL, NULL), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(sy_rtcp_sdes_cname(&p, &ssrc, &cname, &len), SY_RTCP_E_TRUNCATED);
    /* Items fill the chunk to the end: no terminating null octet. */
    static const uint8_t cut[] = {0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x02, 'a', 'b'};
    p = first(cut, sizeof(cut));
    CHECK_EQ_INT(sy_rtcp_sdes_for_each(&p, NULL, NULL), SY_RTCP_E_TRUNCATED);
    /* An item type whose length octet would be past the end. */
    static const uint8_t cut2[] = {0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x02, 0x01, 'x', 0x01};
    p = first(cut2, sizeof(cut2));
    CHECK_EQ_INT(sy_rtcp_sdes_for_each(&p, NULL, NULL), SY_RTCP_E_TRUNCATED);
    /* SC 0 is an empty but valid SDES; no CNAME in it. */
    static const uint8_t empty[] = {0x80, 0xCA, 0x00, 0x00};
    p = first(empty, sizeof(empty));
    CHECK_EQ_INT(sy_rtcp_sdes_for_each(&p, NULL, NULL), 0);
    CHECK_EQ_INT(sy_rtcp_sdes_cname(&p, &ssrc, &cname, &len), 0);
    CHECK_EQ_INT(sy_rtcp_sender_ssrc(&p, &ssrc), SY_RTCP_E_TYPE);
    CHECK_EQ_INT(sy_rtcp_sdes_for_each(&(sy_rtcp_pkt){.pt = SY_RTCP_PT_RR}, NULL, NULL),
                 SY_RTCP_E_TYPE);

    /* Build: the longest CNAME, an empty one, and the limits. */
    char name[256];
    memset(name, 'z', sizeof(name));
    int n = sy_rtcp_build_sdes_cname(b, sizeof(b), 5, name, 255);
    CHECK_EQ_INT(n, SY_RTCP_E_NOSPACE);
    uint8_t big[300];
    n = sy_rtcp_build_sdes_cname(big, sizeof(big), 5, name, 255);
    CHECK_EQ_INT(n, 268); /* 4 + 4 + 2 + 255 + 1, padded to 268 */
    p = first(big, (size_t)n);
    CHECK_EQ_INT(sy_rtcp_sdes_cname(&p, &ssrc, &cname, &len), 1);
    CHECK_EQ_INT(len, 255);
    CHECK_EQ_INT(sy_rtcp_build_sdes_cname(big, sizeof(big), 5, name, 256), SY_RTCP_E_INVAL);
    n = sy_rtcp_build_sdes_cname(b, sizeof(b), 5, "", 0);
    CHECK_EQ_INT(n, 12);
    p = first(b, (size_t)n);
    CHECK_EQ_INT(sy_rtcp_sdes_cname(&p, &ssrc, &cname, &len), 1);
    CHECK_EQ_INT(len, 0);
    for (size_t i = 0; i < sizeof(name); i++) {
        /* Every text length lands on a 4-byte boundary with a terminator. */
        if (i > 60) break;
        n = sy_rtcp_build_sdes_cname(big, sizeof(big), 7, name, i);
        CHECK(n > 0 && n % 4 == 0);
        p = first(big, (size_t)n);
        CHECK_EQ_INT(sy_rtcp_sdes_cname(&p, &ssrc, &cname, &len), 1);
        CHECK_EQ_INT(len, i);
    }
}

static void test_bye(void)
{
    uint8_t b[128];
    uint32_t ssrcs[3] = {7, 8, 9};
    int n = sy_rtcp_build_bye(b, sizeof(b), ssrcs, 3, "gone", 4);
    CHECK_EQ_INT(n, 4 + 12 + 8);
    sy_rtcp_pkt p = first(b, (size_t)n);
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_BYE);
    uint32_t got[4] = {0};
    const uint8_t *why;
    size_t why_len;
    CHECK_EQ_INT(sy_rtcp_read_bye(&p, got, 4, &why, &why_len), 3);
    CHECK_EQ_INT(got[2], 9);
    CHECK_EQ_INT(why_len, 4);
    CHECK(why && memcmp(why, "gone", 4) == 0);
    CHECK_EQ_INT(sy_rtcp_read_bye(&p, got, 1, NULL, NULL), 1);
    uint32_t ssrc;
    CHECK_EQ_INT(sy_rtcp_sender_ssrc(&p, &ssrc), 0);
    CHECK_EQ_INT(ssrc, 7);

    n = sy_rtcp_build_bye(b, sizeof(b), ssrcs, 1, NULL, 0);
    CHECK_EQ_INT(n, 8);
    p = first(b, (size_t)n);
    CHECK_EQ_INT(sy_rtcp_read_bye(&p, got, 4, &why, &why_len), 1);
    CHECK(why == NULL);
    CHECK_EQ_INT(why_len, 0);

    /* Reason length past the end, and SC past the end. */
    n = sy_rtcp_build_bye(b, sizeof(b), ssrcs, 1, "gone", 4);
    b[8] = 9;
    p = first(b, (size_t)n);
    CHECK_EQ_INT(sy_rtcp_read_bye(&p, got, 4, &why, &why_len), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(sy_rtcp_check(&p), SY_RTCP_E_TRUNCATED);
    n = sy_rtcp_build_bye(b, sizeof(b), ssrcs, 1, NULL, 0);
    b[0] = 0x80 | 5;
    p = first(b, (size_t)n);
    CHECK_EQ_INT(sy_rtcp_read_bye(&p, got, 4, NULL, NULL), SY_RTCP_E_TRUNCATED);

    CHECK_EQ_INT(sy_rtcp_build_bye(b, sizeof(b), ssrcs, 0, NULL, 0), SY_RTCP_E_INVAL);
    CHECK_EQ_INT(sy_rtcp_build_bye(b, sizeof(b), ssrcs, 1, "x", 256), SY_RTCP_E_INVAL);
    CHECK_EQ_INT(sy_rtcp_build_bye(b, 7, ssrcs, 1, NULL, 0), SY_RTCP_E_NOSPACE);
}

/* ---- filter, rewrite, append ---- */

/* RR, SDES, NACK, PLI, REMB, TWCC, FIR, APP: returns the length. */
static size_t build_mix(uint8_t *b, size_t cap)
{
    size_t len = 0;
    int n;
    n = sy_rtcp_build_rr(b + len, cap - len, 0x1000, NULL, 0);
    len += (size_t)n;
    n = sy_rtcp_build_sdes_cname(b + len, cap - len, 0x1000, "cname", 5);
    len += (size_t)n;
    uint16_t lost[2] = {5, 7};
    n = sy_rtcp_build_nack(b + len, cap - len, 0x1000, 0x2000, lost, 2, NULL);
    len += (size_t)n;
    n = sy_rtcp_build_pli(b + len, cap - len, 0x1000, 0x2000);
    len += (size_t)n;
    uint32_t ss[2] = {0x2000, 0x2001};
    n = sy_rtcp_build_remb(b + len, cap - len, 0x1000, 300000, ss, 2);
    len += (size_t)n;
    uint64_t arr[3] = {100000, SY_TWCC_NOT_RECEIVED, 101000};
    n = sy_rtcp_build_twcc(b + len, cap - len, 0x1000, 0x2000, 0, 1, arr, 3, NULL);
    len += (size_t)n;
    sy_rtcp_fir_entry fe = {0x2000, 3};
    n = sy_rtcp_build_fir(b + len, cap - len, 0x1000, &fe, 1);
    len += (size_t)n;
    static const uint8_t app[] = {0x80, 0xCC, 0x00, 0x02, 0, 0, 0x10, 0, 'n', 'a', 'm', 'e'};
    memcpy(b + len, app, sizeof(app));
    len += sizeof(app);
    return len;
}

static void test_filter_rewrite(void)
{
    uint8_t b[512];
    size_t len = build_mix(b, sizeof(b));
    CHECK_EQ_INT(sy_rtcp_validate(b, len), 8);
    sy_rtcp_iter it;
    sy_rtcp_pkt p;
    int kinds[8], i = 0;
    sy_rtcp_iter_init(&it, b, len);
    while (sy_rtcp_iter_next(&it, &p) > 0 && i < 8) {
        CHECK_EQ_INT(sy_rtcp_check(&p), 0);
        kinds[i++] = sy_rtcp_kind_of(&p);
    }
    CHECK_EQ_INT(i, 8);
    CHECK_EQ_INT(kinds[0], SY_RTCP_KIND_RR);
    CHECK_EQ_INT(kinds[1], SY_RTCP_KIND_SDES);
    CHECK_EQ_INT(kinds[2], SY_RTCP_KIND_NACK);
    CHECK_EQ_INT(kinds[3], SY_RTCP_KIND_PLI);
    CHECK_EQ_INT(kinds[4], SY_RTCP_KIND_REMB);
    CHECK_EQ_INT(kinds[5], SY_RTCP_KIND_TWCC);
    CHECK_EQ_INT(kinds[6], SY_RTCP_KIND_FIR);
    CHECK_EQ_INT(kinds[7], SY_RTCP_KIND_APP);

    /* Rewrite every feedback's SSRCs. */
    CHECK_EQ_INT(sy_rtcp_fb_rewrite_ssrcs(b, len, 0xAAAA, 0xBBBB), 5);
    sy_rtcp_iter_init(&it, b, len);
    while (sy_rtcp_iter_next(&it, &p) > 0) {
        sy_rtcp_fb fb;
        uint32_t ssrc;
        CHECK_EQ_INT(sy_rtcp_sender_ssrc(&p, &ssrc), 0);
        if (sy_rtcp_read_fb(&p, &fb) != 0) {
            CHECK_EQ_INT(ssrc, 0x1000); /* reports are left alone */
            continue;
        }
        CHECK_EQ_INT(fb.sender_ssrc, 0xAAAA);
        sy_rtcp_kind k = sy_rtcp_kind_of(&p);
        if (k == SY_RTCP_KIND_FIR) {
            sy_rtcp_fir_entry e;
            CHECK_EQ_INT(sy_rtcp_read_fir(&fb, &e, 1), 1);
            CHECK_EQ_INT(e.ssrc, 0xBBBB);
            CHECK_EQ_INT(e.seq_nr, 3);
            CHECK_EQ_INT(fb.media_ssrc, 0);
        } else if (k == SY_RTCP_KIND_REMB) {
            uint32_t ss[2];
            uint64_t br;
            CHECK_EQ_INT(sy_rtcp_read_remb(&fb, &br, NULL, ss, 2), 2);
            CHECK_EQ_INT(ss[0], 0xBBBB);
            CHECK_EQ_INT(ss[1], 0xBBBB);
            CHECK(br == 300000);
            CHECK_EQ_INT(fb.media_ssrc, 0);
        } else {
            CHECK_EQ_INT(fb.media_ssrc, 0xBBBB);
        }
    }

    /* Keep only what an SFU relays: NACK, PLI, REMB, FIR, in their order. */
    len = build_mix(b, sizeof(b));
    size_t kept = 0;
    CHECK_EQ_INT(sy_rtcp_filter(b, len, SY_RTCP_KEEP_RELAY, &kept), 0);
    CHECK_EQ_INT(kept, 16 + 12 + 28 + 20);
    CHECK_EQ_INT(sy_rtcp_validate(b, kept), 4);
    sy_rtcp_iter_init(&it, b, kept);
    i = 0;
    while (sy_rtcp_iter_next(&it, &p) > 0 && i < 4)
        kinds[i++] = sy_rtcp_kind_of(&p);
    CHECK_EQ_INT(kinds[0], SY_RTCP_KIND_NACK);
    CHECK_EQ_INT(kinds[1], SY_RTCP_KIND_PLI);
    CHECK_EQ_INT(kinds[2], SY_RTCP_KIND_REMB);
    CHECK_EQ_INT(kinds[3], SY_RTCP_KIND_FIR);
    /* Nothing kept. */
    len = build_mix(b, sizeof(b));
    CHECK_EQ_INT(sy_rtcp_filter(b, len, 0, &kept), 0);
    CHECK_EQ_INT(kept, 0);
    /* Everything kept, unchanged. */
    len = build_mix(b, sizeof(b));
    uint8_t copy[512];
    memcpy(copy, b, len);
    CHECK_EQ_INT(sy_rtcp_filter(b, len, 0xFFFFFFFFu, &kept), 0);
    CHECK_EQ_INT(kept, len);
    CHECK(memcmp(copy, b, len) == 0);

    /* A malformed NACK (empty FCI) in the middle is dropped, the rest kept. */
    len = 0;
    int n = sy_rtcp_build_pli(b, sizeof(b), 1, 2);
    len += (size_t)n;
    static const uint8_t bad_nack[] = {0x81, 0xCD, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
    memcpy(b + len, bad_nack, sizeof(bad_nack));
    len += sizeof(bad_nack);
    n = sy_rtcp_build_pli(b + len, sizeof(b) - len, 3, 4);
    len += (size_t)n;
    CHECK_EQ_INT(sy_rtcp_filter(b, len, SY_RTCP_KEEP_RELAY, &kept), 0);
    CHECK_EQ_INT(kept, 24);
    /* A framing error: what came before is kept, the error is reported. */
    len = build_mix(b, sizeof(b));
    b[len - 12 + 3] = 40; /* the APP packet's length runs past the end */
    CHECK_EQ_INT(sy_rtcp_filter(b, len, SY_RTCP_KEEP_RELAY, &kept), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(kept, 76);
    len = build_mix(b, sizeof(b));
    b[len - 12 + 3] = 40;
    CHECK_EQ_INT(sy_rtcp_fb_rewrite_ssrcs(b, len, 1, 2), SY_RTCP_E_TRUNCATED);

    /* Append builds a compound from packets; invalid input and overflow refused. */
    uint8_t one[64], compound[64];
    size_t clen = 0;
    n = sy_rtcp_build_rr(one, sizeof(one), 5, NULL, 0);
    CHECK_EQ_INT(sy_rtcp_append(compound, sizeof(compound), &clen, one, (size_t)n), 8);
    n = sy_rtcp_build_pli(one, sizeof(one), 5, 6);
    CHECK_EQ_INT(sy_rtcp_append(compound, sizeof(compound), &clen, one, (size_t)n), 20);
    CHECK_EQ_INT(sy_rtcp_validate(compound, clen), 2);
    CHECK_EQ_INT(sy_rtcp_append(compound, sizeof(compound), &clen, one, 11), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(sy_rtcp_append(compound, sizeof(compound), &clen, one, 0), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(sy_rtcp_append(compound, 24, &clen, one, (size_t)n), SY_RTCP_E_NOSPACE);
    CHECK_EQ_INT(clen, 20);
}

/* Kinds without a reader are classified and skipped, never errors. */
static void test_other_kinds(void)
{
    static const uint8_t xr[] = {0x80, 0xCF, 0x00, 0x02, 0, 0, 0, 5, 4, 0, 0, 0};
    static const uint8_t ij[] = {0x81, 0xC3, 0x00, 0x01, 0, 0, 0, 9}; /* PT 195 */
    static const uint8_t tmmbr[] = {0x83, 0xCD, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
    static const uint8_t xr_short[] = {0x80, 0xCF, 0x00, 0x00};
    sy_rtcp_pkt p = first(xr, sizeof(xr));
    uint32_t ssrc = 0;
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_XR);
    CHECK_EQ_INT(sy_rtcp_check(&p), 0);
    CHECK_EQ_INT(sy_rtcp_sender_ssrc(&p, &ssrc), 0);
    CHECK_EQ_INT(ssrc, 5);
    p = first(xr_short, sizeof(xr_short));
    CHECK_EQ_INT(sy_rtcp_check(&p), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(sy_rtcp_sender_ssrc(&p, &ssrc), SY_RTCP_E_TRUNCATED);
    p = first(ij, sizeof(ij));
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_OTHER);
    CHECK_EQ_INT(sy_rtcp_check(&p), 0);
    CHECK_EQ_INT(sy_rtcp_sender_ssrc(&p, &ssrc), SY_RTCP_E_TYPE);
    p = first(tmmbr, sizeof(tmmbr));
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_RTPFB_OTHER);
    CHECK_EQ_INT(sy_rtcp_check(&p), 0);
    uint8_t b[64];
    memcpy(b, xr, sizeof(xr));
    memcpy(b + sizeof(xr), ij, sizeof(ij));
    memcpy(b + sizeof(xr) + sizeof(ij), tmmbr, sizeof(tmmbr));
    CHECK_EQ_INT(sy_rtcp_validate(b, 32), 3);
    size_t kept = 0;
    CHECK_EQ_INT(sy_rtcp_filter(b, 32, SY_RTCP_KEEP_RELAY, &kept), 0);
    CHECK_EQ_INT(kept, 0);
}

/* ---- time ---- */

static void test_time(void)
{
    /* 1970-01-01 is NTP second 2208988800; half a second is 0x80000000. */
    CHECK(sy_rtcp_ntp_from_unix_us(0) == (2208988800ull << 32));
    CHECK(sy_rtcp_ntp_from_unix_us(500000) == ((2208988800ull << 32) | 0x80000000u));
    uint64_t ntp = sy_rtcp_ntp_from_unix_us(1700000000ull * 1000000 + 250000);
    CHECK_EQ_INT(sy_rtcp_ntp_mid32(ntp), (uint32_t)(ntp >> 16));
    /* RTT: now - lsr - dlsr, in 1/65536 s. */
    CHECK_EQ_INT(sy_rtcp_rtt_us(0x10000 + 0x8000, 0x10000, 0x4000), 250000);
    CHECK_EQ_INT(sy_rtcp_rtt_us(5, 0xFFFFFFF0, 0), (21 * 1000000) >> 16); /* wraps */
    CHECK_EQ_INT(sy_rtcp_rtt_us(100, 0, 0), -1);
    CHECK_EQ_INT(sy_rtcp_rtt_us(100, 90, 20), -1);
}

int main(void)
{
    test_compound_sr_sdes();
    test_framing_errors();
    test_reports();
    test_sdes();
    test_bye();
    test_filter_rewrite();
    test_other_kinds();
    test_time();
    return CHECK_DONE();
}
