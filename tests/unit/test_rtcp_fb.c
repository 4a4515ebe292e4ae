/*
 * RTCP feedback messages (src/protocol/rtcp_fb.h and their builders in rtcp_build.h):
 * generic NACK, PLI, FIR, REMB and transport-wide cc. Hand-written byte vectors (a NACK
 * with BLP bits, a REMB of 1.5 Mbit/s for two SSRCs, TWCC with run-length and vector
 * chunks), build -> parse round trips, and every malformed case returning an error.
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

static sy_rtcp_fb fb_of(const uint8_t *buf, size_t len)
{
    sy_rtcp_pkt p = first(buf, len);
    sy_rtcp_fb fb;
    memset(&fb, 0, sizeof(fb));
    CHECK_EQ_INT(sy_rtcp_read_fb(&p, &fb), 0);
    return fb;
}

/* ---- generic NACK ---- */

static const uint8_t nack_vec[] = {
    0x81, 0xCD, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, /* RTPFB FMT 1, sender 1 */
    0x00, 0x00, 0x00, 0x02, 0x03, 0xE8, 0x80, 0x05, /* media 2, PID 1000, BLP 0x8005 */
};

static int stop_after_two(void *ud, uint16_t seq)
{
    int *n = ud;
    (void)seq;
    return ++*n == 2;
}

static void test_nack(void)
{
    sy_rtcp_pkt p = first(nack_vec, sizeof(nack_vec));
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_NACK);
    CHECK_EQ_INT(sy_rtcp_check(&p), 0);
    sy_rtcp_fb fb = fb_of(nack_vec, sizeof(nack_vec));
    CHECK_EQ_INT(fb.sender_ssrc, 1);
    CHECK_EQ_INT(fb.media_ssrc, 2);
    uint16_t seqs[32];
    CHECK_EQ_INT(sy_rtcp_read_nack(&fb, seqs, 32), 4);
    CHECK_EQ_INT(seqs[0], 1000);
    CHECK_EQ_INT(seqs[1], 1001);
    CHECK_EQ_INT(seqs[2], 1003);
    CHECK_EQ_INT(seqs[3], 1016);
    CHECK_EQ_INT(sy_rtcp_read_nack(&fb, seqs, 2), 2); /* the cap */
    CHECK_EQ_INT(sy_rtcp_nack_for_each(&fb, NULL, NULL), 4);
    int calls = 0;
    CHECK_EQ_INT(sy_rtcp_nack_for_each(&fb, stop_after_two, &calls), 2);

    /* The builder packs the same four numbers into exactly these bytes. */
    uint8_t out[64];
    uint16_t lost[4] = {1000, 1001, 1003, 1016};
    int n = sy_rtcp_build_nack(out, sizeof(out), 1, 2, lost, 4, NULL);
    CHECK_EQ_INT(n, 16);
    CHECK(memcmp(out, nack_vec, sizeof(nack_vec)) == 0);
    /* 1017 needs a second pair. */
    uint16_t lost5[5] = {1000, 1001, 1003, 1016, 1017};
    n = sy_rtcp_build_nack(out, sizeof(out), 1, 2, lost5, 5, NULL);
    CHECK_EQ_INT(n, 20);

    /* Wraparound inside one pair, and duplicates. */
    uint16_t wrap[6] = {65534, 65535, 0, 0, 1, 14};
    n = sy_rtcp_build_nack(out, sizeof(out), 1, 2, wrap, 6, NULL);
    CHECK_EQ_INT(n, 16);
    fb = fb_of(out, (size_t)n);
    CHECK_EQ_INT(sy_rtcp_read_nack(&fb, seqs, 32), 5);
    CHECK_EQ_INT(seqs[0], 65534);
    CHECK_EQ_INT(seqs[2], 0);
    CHECK_EQ_INT(seqs[4], 14);

    /* Out of order input is still covered. */
    uint16_t shuffled[4] = {10, 5, 11, 30};
    n = sy_rtcp_build_nack(out, sizeof(out), 1, 2, shuffled, 4, NULL);
    CHECK(n > 0);
    fb = fb_of(out, (size_t)n);
    int got = sy_rtcp_read_nack(&fb, seqs, 32);
    for (int i = 0; i < 4; i++) {
        int found = 0;
        for (int j = 0; j < got; j++)
            found |= seqs[j] == shuffled[i];
        CHECK(found);
    }

    /* A long list into a small buffer: consumed, then the rest. */
    uint16_t many[300];
    for (int i = 0; i < 300; i++)
        many[i] = (uint16_t)(i * 20); /* one pair each */
    CHECK_EQ_INT(sy_rtcp_build_nack(out, sizeof(out), 1, 2, many, 300, NULL), SY_RTCP_E_NOSPACE);
    size_t used = 0;
    n = sy_rtcp_build_nack(out, sizeof(out), 1, 2, many, 300, &used);
    CHECK_EQ_INT(n, 64);
    CHECK_EQ_INT(used, 13);
    n = sy_rtcp_build_nack(out, 15, 1, 2, many, 300, &used);
    CHECK_EQ_INT(n, SY_RTCP_E_NOSPACE);
    CHECK_EQ_INT(sy_rtcp_build_nack(out, sizeof(out), 1, 2, many, 0, NULL), SY_RTCP_E_INVAL);

    /* Malformed FCI: empty, or not whole pairs (via padding). */
    static const uint8_t empty_fci[] = {0x81, 0xCD, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
    p = first(empty_fci, sizeof(empty_fci));
    CHECK_EQ_INT(sy_rtcp_check(&p), SY_RTCP_E_MALFORMED);
    fb = fb_of(empty_fci, sizeof(empty_fci));
    CHECK_EQ_INT(sy_rtcp_read_nack(&fb, seqs, 32), SY_RTCP_E_MALFORMED);
    // clang-format off
    static const uint8_t half[] = {
        0xA1, 0xCD, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 2, /* P bit, 20 bytes */
        0x03, 0xE8, 0x00, 0x00, 0x00, 0x00,             /* one pair and 2 stray bytes */
        0x00, 0x02,                                     /* 2 bytes of padding */
    };
    // clang-format on
    fb = fb_of(half, sizeof(half));
    CHECK_EQ_INT(fb.fci_len, 6);
    CHECK_EQ_INT(sy_rtcp_read_nack(&fb, seqs, 32), SY_RTCP_E_MALFORMED);
    /* A feedback message too short for its two SSRCs. */
    static const uint8_t short_fb[] = {0x81, 0xCD, 0x00, 0x01, 0, 0, 0, 1};
    p = first(short_fb, sizeof(short_fb));
    sy_rtcp_fb tmp;
    CHECK_EQ_INT(sy_rtcp_read_fb(&p, &tmp), SY_RTCP_E_TRUNCATED);
    CHECK_EQ_INT(sy_rtcp_check(&p), SY_RTCP_E_TRUNCATED);
    /* The wrong reader. */
    fb = fb_of(nack_vec, sizeof(nack_vec));
    CHECK_EQ_INT(sy_rtcp_read_fir(&fb, NULL, 0), SY_RTCP_E_TYPE);
    static const uint8_t rr[] = {0x80, 0xC9, 0x00, 0x01, 0, 0, 0, 1};
    p = first(rr, sizeof(rr));
    CHECK_EQ_INT(sy_rtcp_read_fb(&p, &tmp), SY_RTCP_E_TYPE);

    /* A huge NACK list: a full 1500-byte packet of all-ones BLPs, read with a cap. */
    uint8_t huge[1500];
    size_t pairs = (sizeof(huge) - 12) / 4;
    huge[0] = 0x81;
    huge[1] = 0xCD;
    huge[2] = (uint8_t)((pairs + 2) >> 8);
    huge[3] = (uint8_t)(pairs + 2);
    memset(huge + 4, 0, 8);
    for (size_t i = 0; i < pairs; i++) {
        uint16_t pid = (uint16_t)(i * 17);
        huge[12 + 4 * i] = (uint8_t)(pid >> 8);
        huge[13 + 4 * i] = (uint8_t)pid;
        huge[14 + 4 * i] = huge[15 + 4 * i] = 0xFF;
    }
    fb = fb_of(huge, 12 + 4 * pairs);
    CHECK_EQ_INT(sy_rtcp_nack_for_each(&fb, NULL, NULL), (int)(pairs * 17));
    uint16_t capped[100];
    CHECK_EQ_INT(sy_rtcp_read_nack(&fb, capped, 100), 100);
    CHECK_EQ_INT(capped[99], 99);
}

/* ---- PLI, FIR ---- */

static void test_pli_fir(void)
{
    uint8_t out[128];
    int n = sy_rtcp_build_pli(out, sizeof(out), 0x11, 0x22);
    static const uint8_t pli[] = {0x81, 0xCE, 0x00, 0x02, 0, 0, 0, 0x11, 0, 0, 0, 0x22};
    CHECK_EQ_INT(n, 12);
    CHECK(memcmp(out, pli, sizeof(pli)) == 0);
    sy_rtcp_pkt p = first(out, 12);
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_PLI);
    sy_rtcp_fb fb = fb_of(out, 12);
    CHECK(sy_rtcp_fb_is_pli(&fb));
    CHECK(!sy_rtcp_fb_is_remb(&fb));
    CHECK_EQ_INT(fb.media_ssrc, 0x22);
    CHECK_EQ_INT(sy_rtcp_build_pli(out, 11, 1, 2), SY_RTCP_E_NOSPACE);

    // clang-format off
    static const uint8_t fir_vec[] = {
        0x84, 0xCE, 0x00, 0x06, 0, 0, 0, 0x11, 0, 0, 0, 0, /* FMT 4, media 0 */
        0, 0, 0, 0x22, 0x05, 0, 0, 0,                      /* SSRC 0x22, seq 5 */
        0, 0, 0, 0x33, 0xFF, 0, 0, 0,                      /* SSRC 0x33, seq 255 */
    };
    // clang-format on
    sy_rtcp_fir_entry e[2] = {{0x22, 5}, {0x33, 255}};
    n = sy_rtcp_build_fir(out, sizeof(out), 0x11, e, 2);
    CHECK_EQ_INT(n, 28);
    CHECK(memcmp(out, fir_vec, sizeof(fir_vec)) == 0);
    p = first(out, (size_t)n);
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_FIR);
    CHECK_EQ_INT(sy_rtcp_check(&p), 0);
    fb = fb_of(out, (size_t)n);
    sy_rtcp_fir_entry got[4];
    CHECK_EQ_INT(sy_rtcp_read_fir(&fb, got, 4), 2);
    CHECK_EQ_INT(got[0].ssrc, 0x22);
    CHECK_EQ_INT(got[0].seq_nr, 5);
    CHECK_EQ_INT(got[1].seq_nr, 255);
    CHECK_EQ_INT(sy_rtcp_read_fir(&fb, got, 1), 1);
    /* Truncated FCI: a FIR with a half entry, and one with none. */
    memcpy(out, fir_vec, sizeof(fir_vec));
    out[3] = 5; /* 24 bytes: one and a half entries */
    p = first(out, 24);
    CHECK_EQ_INT(sy_rtcp_check(&p), SY_RTCP_E_MALFORMED);
    out[3] = 2;
    fb = fb_of(out, 12);
    CHECK_EQ_INT(sy_rtcp_read_fir(&fb, got, 4), SY_RTCP_E_MALFORMED);
    CHECK_EQ_INT(sy_rtcp_build_fir(out, sizeof(out), 1, e, 0), SY_RTCP_E_INVAL);
    CHECK_EQ_INT(sy_rtcp_build_fir(out, 27, 1, e, 2), SY_RTCP_E_NOSPACE);
}

/* ---- REMB ---- */

// clang-format off
static const uint8_t remb_vec[] = {
    0x8F, 0xCE, 0x00, 0x06, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* AFB, media 0 */
    'R', 'E', 'M', 'B', 0x02, 0x0E, 0xDC, 0x6C, /* 2 SSRCs, exp 3, mantissa 187500 */
    0xAA, 0xAA, 0xAA, 0xAA, 0xBB, 0xBB, 0xBB, 0xBB,
};
// clang-format on

static void test_remb(void)
{
    sy_rtcp_pkt p = first(remb_vec, sizeof(remb_vec));
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_REMB);
    CHECK_EQ_INT(sy_rtcp_check(&p), 0);
    sy_rtcp_fb fb = fb_of(remb_vec, sizeof(remb_vec));
    CHECK(sy_rtcp_fb_is_remb(&fb));
    uint64_t br = 0;
    uint32_t ssrcs[4];
    uint8_t count = 0;
    CHECK_EQ_INT(sy_rtcp_read_remb(&fb, &br, &count, ssrcs, 4), 2);
    CHECK(br == 1500000);
    CHECK_EQ_INT(count, 2);
    CHECK_EQ_INT(ssrcs[0], 0xAAAAAAAA);
    CHECK_EQ_INT(ssrcs[1], 0xBBBBBBBB);
    CHECK_EQ_INT(sy_rtcp_read_remb(&fb, &br, &count, ssrcs, 1), 1);

    uint8_t out[128];
    uint32_t two[2] = {0xAAAAAAAA, 0xBBBBBBBB};
    int n = sy_rtcp_build_remb(out, sizeof(out), 1, 1500000, two, 2);
    CHECK_EQ_INT(n, 28);
    CHECK(memcmp(out, remb_vec, sizeof(remb_vec)) == 0);

    /* Rounding down, small values, the largest value. */
    uint64_t values[] = {0, 1, 262143, 262144, 262145, 1000000007, 1ull << 40, UINT64_MAX};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        n = sy_rtcp_build_remb(out, sizeof(out), 1, values[i], NULL, 0);
        CHECK_EQ_INT(n, 20);
        fb = fb_of(out, (size_t)n);
        CHECK_EQ_INT(sy_rtcp_read_remb(&fb, &br, &count, NULL, 0), 0);
        CHECK(br <= values[i]);
        CHECK(values[i] - br <= values[i] / 131072); /* 17 bits of precision at least */
        CHECK_EQ_INT(count, 0);
    }
    n = sy_rtcp_build_remb(out, sizeof(out), 1, UINT64_MAX, NULL, 0);
    CHECK_EQ_INT(out[17] >> 2, 46);

    /* Absurd exponents saturate instead of overflowing. */
    memcpy(out, remb_vec, sizeof(remb_vec));
    out[17] = (uint8_t)(63 << 2) | 3;
    out[18] = out[19] = 0xFF;
    fb = fb_of(out, sizeof(remb_vec));
    CHECK_EQ_INT(sy_rtcp_read_remb(&fb, &br, &count, ssrcs, 4), 2);
    CHECK(br == UINT64_MAX);
    out[17] = (uint8_t)(46 << 2) | 3; /* 0x3FFFF << 46 still fits exactly */
    CHECK_EQ_INT(sy_rtcp_read_remb(&fb, &br, &count, ssrcs, 4), 2);
    CHECK(br == 0x3FFFFull << 46);
    out[17] = (uint8_t)(47 << 2) | 3;
    CHECK_EQ_INT(sy_rtcp_read_remb(&fb, &br, &count, ssrcs, 4), 2);
    CHECK(br == UINT64_MAX);
    out[17] = (uint8_t)(63 << 2);
    out[18] = 0;
    out[19] = 1; /* 1 << 63 fits */
    CHECK_EQ_INT(sy_rtcp_read_remb(&fb, &br, &count, ssrcs, 4), 2);
    CHECK(br == 1ull << 63);
    out[17] = (uint8_t)(63 << 2);
    out[18] = out[19] = 0; /* 0 << 63 */
    CHECK_EQ_INT(sy_rtcp_read_remb(&fb, &br, &count, ssrcs, 4), 2);
    CHECK(br == 0);

    /* The SSRC count runs past the FCI; an FCI shorter than the fixed part. */
    memcpy(out, remb_vec, sizeof(remb_vec));
    out[16] = 3;
    p = first(out, sizeof(remb_vec));
    CHECK_EQ_INT(sy_rtcp_check(&p), SY_RTCP_E_TRUNCATED);
    fb = fb_of(out, sizeof(remb_vec));
    CHECK_EQ_INT(sy_rtcp_read_remb(&fb, &br, &count, ssrcs, 4), SY_RTCP_E_TRUNCATED);
    out[16] = 255;
    CHECK_EQ_INT(sy_rtcp_read_remb(&fb, &br, &count, ssrcs, 4), SY_RTCP_E_TRUNCATED);
    memcpy(out, remb_vec, sizeof(remb_vec));
    out[3] = 3; /* FCI is just "REMB" */
    p = first(out, 16);
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_REMB);
    CHECK_EQ_INT(sy_rtcp_check(&p), SY_RTCP_E_TRUNCATED);
    /* AFB without the identifier is some other application feedback. */
    memcpy(out, remb_vec, sizeof(remb_vec));
    out[12] = 'X';
    p = first(out, sizeof(remb_vec));
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_PSFB_OTHER);
    fb = fb_of(out, sizeof(remb_vec));
    CHECK_EQ_INT(sy_rtcp_read_remb(&fb, &br, &count, ssrcs, 4), SY_RTCP_E_TYPE);

    CHECK_EQ_INT(sy_rtcp_build_remb(out, sizeof(out), 1, 5, NULL, 256), SY_RTCP_E_INVAL);
    CHECK_EQ_INT(sy_rtcp_build_remb(out, 27, 1, 5, two, 2), SY_RTCP_E_NOSPACE);
}

/* ---- transport-wide cc ---- */

/* base 100, 19 statuses, ref time 1 (64 ms), fb count 5: a run of 12 small deltas, then a
 * two-bit vector [small, lost, large, small, lost, lost, small]; 17 delta bytes; 3 bytes
 * of padding (P bit). */
// clang-format off
static const uint8_t twcc_vec[] = {
    0xAF, 0xCD, 0x00, 0x0A,                         /* P bit, FMT 15, RTPFB, 44 bytes */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, /* sender 1, media 2 */
    0x00, 0x64, 0x00, 0x13, 0x00, 0x00, 0x01, 0x05, /* base 100, count 19, ref 1, fb 5 */
    0x20, 0x0C, 0xD2, 0x41,                         /* run 12 x small; two-bit vector */
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,             /* 12 small deltas of 1 ms */
    8, 0xFF, 0x38, 0, 255,                          /* 2 ms, -50 ms (large), 0, 63.75 ms */
    0x00, 0x00, 0x03,                               /* padding */
};
// clang-format on

static void test_twcc_vectors(void)
{
    CHECK_EQ_INT(sizeof(twcc_vec), 44);
    sy_rtcp_pkt p = first(twcc_vec, sizeof(twcc_vec));
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_TWCC);
    CHECK_EQ_INT(sy_rtcp_check(&p), 0);
    sy_rtcp_fb fb = fb_of(twcc_vec, sizeof(twcc_vec));
    sy_rtcp_twcc h;
    sy_rtcp_twcc_status st[32];
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), 19);
    CHECK_EQ_INT(h.base_seq, 100);
    CHECK_EQ_INT(h.status_count, 19);
    CHECK_EQ_INT(h.ref_time, 1);
    CHECK_EQ_INT(h.fb_count, 5);
    CHECK_EQ_INT(h.received, 16);
    for (int i = 0; i < 12; i++) {
        CHECK_EQ_INT(st[i].seq, 100 + i);
        CHECK_EQ_INT(st[i].status, SY_TWCC_STATUS_SMALL_DELTA);
        CHECK_EQ_INT(st[i].arrival_us, 64000 + 1000 * (i + 1));
    }
    CHECK_EQ_INT(st[12].status, SY_TWCC_STATUS_SMALL_DELTA);
    CHECK_EQ_INT(st[12].arrival_us, 78000);
    CHECK_EQ_INT(st[13].status, SY_TWCC_STATUS_NOT_RECEIVED);
    CHECK_EQ_INT(st[14].status, SY_TWCC_STATUS_LARGE_DELTA);
    CHECK_EQ_INT(st[14].delta, -200);
    CHECK_EQ_INT(st[14].arrival_us, 28000);
    CHECK_EQ_INT(st[15].delta, 0);
    CHECK_EQ_INT(st[15].arrival_us, 28000);
    CHECK_EQ_INT(st[16].status, SY_TWCC_STATUS_NOT_RECEIVED);
    CHECK_EQ_INT(st[18].delta, 255);
    CHECK_EQ_INT(st[18].arrival_us, 28000 + 63750);
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 3), 3);
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, NULL, 0), 0);

    /* A one-bit vector wrapping the sequence: base 65534, 14 statuses, 8 received. */
    // clang-format off
    static const uint8_t onebit[] = {
        0xAF, 0xCD, 0x00, 0x07, 0, 0, 0, 1, 0, 0, 0, 2,
        0xFF, 0xFE, 0x00, 0x0E, 0xFF, 0xFF, 0xFF, 0x00, /* base 65534, 14, ref -1, fb 0 */
        0xB5, 0x55,                                     /* one-bit: 11010101010101 */
        1, 2, 3, 4, 5, 6, 7, 8,                         /* 8 small deltas */
        0x00, 0x02,                                     /* padding */
    };
    // clang-format on
    fb = fb_of(onebit, sizeof(onebit));
    CHECK_EQ_INT(fb.fmt, 15);
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), 14);
    CHECK_EQ_INT(h.ref_time, -1);
    CHECK_EQ_INT(h.received, 8);
    CHECK_EQ_INT(st[0].seq, 65534);
    CHECK_EQ_INT(st[2].seq, 0);
    CHECK_EQ_INT(st[0].status, 1);
    CHECK_EQ_INT(st[1].status, 1);
    CHECK_EQ_INT(st[2].status, 0);
    CHECK_EQ_INT(st[13].status, 1);
    CHECK_EQ_INT(st[0].arrival_us, -64000 + 250);
    CHECK_EQ_INT(st[13].arrival_us, -64000 + 250 * 36);

    /* The builder's own encoding of a simple case: 20 received, 1 ms apart. */
    uint64_t arr[20];
    for (int i = 0; i < 20; i++)
        arr[i] = 64000 + 1000 * (uint64_t)i;
    uint8_t out[128];
    int n = sy_rtcp_build_twcc(out, sizeof(out), 1, 2, 3, 10, arr, 20, NULL);
    // clang-format off
    static const uint8_t expect[] = {
        0xAF, 0xCD, 0x00, 0x0A, 0, 0, 0, 1, 0, 0, 0, 2,
        0x00, 0x0A, 0x00, 0x14, 0, 0, 1, 3,             /* base 10, count 20, ref 1, fb 3 */
        0x20, 0x14,                                     /* run of 20 small deltas */
        0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
        0x00, 0x02,                                     /* padding */
    };
    // clang-format on
    CHECK_EQ_INT(n, (int)sizeof(expect));
    CHECK(memcmp(out, expect, sizeof(expect)) == 0);
}

static void test_twcc_malformed(void)
{
    uint8_t b[64];
    sy_rtcp_twcc h;
    sy_rtcp_twcc_status st[32];
    sy_rtcp_fb fb;
    sy_rtcp_pkt p;

    /* status count 0 */
    memcpy(b, twcc_vec, sizeof(twcc_vec));
    b[14] = b[15] = 0;
    fb = fb_of(b, sizeof(twcc_vec));
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), SY_RTCP_E_MALFORMED);
    /* status count larger than the chunks describe */
    memcpy(b, twcc_vec, sizeof(twcc_vec));
    b[15] = 20;
    fb = fb_of(b, sizeof(twcc_vec));
    CHECK(sy_rtcp_read_twcc(&fb, &h, st, 32) < 0);
    b[14] = b[15] = 0xFF;
    CHECK(sy_rtcp_read_twcc(&fb, &h, st, 32) < 0);
    /* reserved symbol in a run, and in a two-bit vector */
    memcpy(b, twcc_vec, sizeof(twcc_vec));
    b[20] = 0x60;
    fb = fb_of(b, sizeof(twcc_vec));
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), SY_RTCP_E_MALFORMED);
    memcpy(b, twcc_vec, sizeof(twcc_vec));
    b[23] = 0x43; /* last symbol = 3 */
    fb = fb_of(b, sizeof(twcc_vec));
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), SY_RTCP_E_MALFORMED);
    p = first(b, sizeof(twcc_vec));
    CHECK_EQ_INT(sy_rtcp_check(&p), SY_RTCP_E_MALFORMED);
    /* ...but a reserved symbol past the status count is only padding. */
    memcpy(b, twcc_vec, sizeof(twcc_vec));
    b[15] = 18;
    b[23] = 0x43;
    fb = fb_of(b, sizeof(twcc_vec));
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), 18);
    /* deltas cut short: drop the padding and one delta byte */
    memcpy(b, twcc_vec, sizeof(twcc_vec));
    b[0] = 0x8F;
    b[3] = 9; /* 40 bytes: the last delta byte and padding gone */
    fb = fb_of(b, 40);
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), SY_RTCP_E_TRUNCATED);
    /* chunks cut short: an FCI of the header and one chunk */
    memcpy(b, twcc_vec, sizeof(twcc_vec));
    b[0] = 0x8F;
    b[3] = 5; /* 24 bytes */
    b[22] = b[23] = 0;
    fb = fb_of(b, 24);
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), SY_RTCP_E_TRUNCATED);
    /* FCI shorter than its 8-byte header */
    b[3] = 3;
    fb = fb_of(b, 16);
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), SY_RTCP_E_TRUNCATED);
    /* runs of zero length do not loop forever; the count is never reached */
    // clang-format off
    static const uint8_t zeros[] = {
        0x8F, 0xCD, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 2,
        0, 0, 0, 1, 0, 0, 0, 0,                         /* base 0, count 1, ref 0, fb 0 */
        0, 0, 0, 0,                                     /* chunks: runs of length 0 */
    };
    // clang-format on
    fb = fb_of(zeros, sizeof(zeros));
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), SY_RTCP_E_TRUNCATED);
    /* a run of 8191 received statuses needs 8191 delta bytes */
    // clang-format off
    static const uint8_t bigrun[] = {
        0x8F, 0xCD, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 2,
        0, 0, 0x1F, 0xFF, 0, 0, 0, 0,                   /* base 0, count 8191, ref 0, fb 0 */
        0x3F, 0xFF, 0, 0,        /* a run of 8191 small deltas */
    };
    // clang-format on
    fb = fb_of(bigrun, sizeof(bigrun));
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), SY_RTCP_E_TRUNCATED);
    /* ...and 8191 lost statuses need none: valid, and reading is capped */
    // clang-format off
    static const uint8_t lostrun[] = {
        0x8F, 0xCD, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 2,
        0, 0, 0x1F, 0xFF, 0, 0, 0, 0,                   /* base 0, count 8191, ref 0, fb 0 */
        0x1F, 0xFF, 0, 0,        /* a run of 8191 lost */
    };
    // clang-format on
    fb = fb_of(lostrun, sizeof(lostrun));
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), 32);
    CHECK_EQ_INT(h.status_count, 8191);
    CHECK_EQ_INT(h.received, 0);
    /* the wrong type */
    fb = fb_of(nack_vec, sizeof(nack_vec));
    CHECK_EQ_INT(sy_rtcp_read_twcc(&fb, &h, st, 32), SY_RTCP_E_TYPE);
}

/* A small deterministic PRNG for the round trips. */
static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Builds arr[0..n) into as many packets as needed and checks that parsing them gives
 * back every status and every arrival time (to the 250 us tick). */
static void twcc_roundtrip(const uint64_t *arr, size_t n, uint16_t base, size_t cap)
{
    static uint8_t out[SY_RTCP_MAX_PACKET_LEN];
    static sy_rtcp_twcc_status st[65536];
    size_t done = 0;
    int packets = 0;
    while (done < n) {
        size_t used = 0;
        int len = sy_rtcp_build_twcc(out, cap, 9, 10, (uint8_t)packets, (uint16_t)(base + done),
                                     arr + done, n - done, &used);
        CHECK(len > 0);
        if (len <= 0) return;
        CHECK(used > 0);
        CHECK((size_t)len <= cap);
        CHECK_EQ_INT(sy_rtcp_validate(out, (size_t)len), 1);
        sy_rtcp_pkt p = first(out, (size_t)len);
        CHECK_EQ_INT(sy_rtcp_check(&p), 0);
        sy_rtcp_fb fb = fb_of(out, (size_t)len);
        sy_rtcp_twcc h;
        int got = sy_rtcp_read_twcc(&fb, &h, st, 65536);
        CHECK_EQ_INT(got, (int)used);
        CHECK_EQ_INT(h.base_seq, (uint16_t)(base + done));
        CHECK_EQ_INT(h.fb_count, (uint8_t)packets);
        int bad = 0;
        for (int i = 0; i < got; i++) {
            uint64_t a = arr[done + (size_t)i];
            if (a == SY_TWCC_NOT_RECEIVED) {
                bad += st[i].status != SY_TWCC_STATUS_NOT_RECEIVED;
            } else {
                bad += st[i].status == SY_TWCC_STATUS_NOT_RECEIVED;
                bad += st[i].arrival_us != (int64_t)(a / 250 * 250);
            }
        }
        CHECK_EQ_INT(bad, 0);
        done += used;
        packets++;
    }
}

static void test_twcc_roundtrip(void)
{
    static uint64_t arr[70000];
    /* Random loss, jitter, reordering (negative deltas) and the odd big gap. */
    for (int round = 0; round < 40; round++) {
        size_t n = 1 + rnd() % (round < 30 ? 300 : 20000);
        uint64_t t = 1000000 + rnd() % 100000000;
        unsigned loss = rnd() % 4; /* 0: none .. 3: heavy */
        for (size_t i = 0; i < n; i++) {
            uint32_t r = rnd();
            if (loss && r % (16u >> loss) == 0) {
                arr[i] = SY_TWCC_NOT_RECEIVED;
                continue;
            }
            switch (r >> 28) {
            case 0:
                t = t > 60000 ? t - rnd() % 60000 : t;
                break; /* reordered */
            case 1:
                t += 70000 + rnd() % 1000000;
                break; /* large delta */
            default:
                t += rnd() % 20000;
                break;
            }
            arr[i] = t;
        }
        twcc_roundtrip(arr, n, (uint16_t)rnd(), round % 3 == 0 ? 200 : 1200);
    }
    /* Long runs: all lost but the ends (runs longer than 8191), and all received equal. */
    for (size_t i = 0; i < 20000; i++)
        arr[i] = SY_TWCC_NOT_RECEIVED;
    arr[0] = 5000;
    arr[19999] = 9000;
    twcc_roundtrip(arr, 20000, 65000, 1200);
    for (size_t i = 0; i < 20000; i++)
        arr[i] = 777777;
    twcc_roundtrip(arr, 20000, 1, 100000);
    /* ...and into small packets: a run longer than the room left is cut to fit. */
    twcc_roundtrip(arr, 20000, 1, 1200);
    twcc_roundtrip(arr, 300, 1, 24);
    for (size_t i = 0; i < 3000; i++)
        arr[i] = 1000000 + (i % 2 ? 0 : 100000 * i); /* large */
    twcc_roundtrip(arr, 3000, 1, 1200);
    /* Every cap from the smallest up, over a mix of symbols, cutting every kind of chunk. */
    for (size_t i = 0; i < 400; i++) {
        uint32_t r = rnd();
        arr[i] = r % 5 == 0 ? SY_TWCC_NOT_RECEIVED : 2000000 + (r % 3 == 0 ? 0 : 200000 * (i % 4));
    }
    for (size_t cap = 24; cap < 200; cap++)
        twcc_roundtrip(arr, 400, 9, cap);
    /* The first statuses lost, a single status, 65535 and more statuses. */
    arr[0] = arr[1] = SY_TWCC_NOT_RECEIVED;
    arr[2] = 123456789;
    twcc_roundtrip(arr, 3, 65535, 1200);
    twcc_roundtrip(arr + 2, 1, 7, 1200);
    for (size_t i = 0; i < 70000; i++)
        arr[i] = 1000000 + 300 * i;
    twcc_roundtrip(arr, 70000, 0, SY_RTCP_MAX_PACKET_LEN);

    uint8_t out[1500];
    size_t used;
    /* 70000 statuses do not fit one packet: an error without consumed. */
    CHECK(sy_rtcp_build_twcc(out, sizeof(out), 1, 2, 0, 0, arr, 70000, NULL) < 0);
    /* A delta over 16 bits (10 s) ends the packet there. */
    uint64_t gap[3] = {1000000, 1000250, 11000000};
    CHECK_EQ_INT(sy_rtcp_build_twcc(out, sizeof(out), 1, 2, 0, 0, gap, 3, NULL), SY_RTCP_E_INVAL);
    int n = sy_rtcp_build_twcc(out, sizeof(out), 1, 2, 0, 0, gap, 3, &used);
    CHECK(n > 0);
    CHECK_EQ_INT(used, 2);
    twcc_roundtrip(gap, 3, 0, 1200);
    /* A negative delta of exactly -8192 ms still fits; one tick more does not. */
    uint64_t neg[2] = {10000000, 10000000 - 8192000};
    CHECK(sy_rtcp_build_twcc(out, sizeof(out), 1, 2, 0, 0, neg, 2, NULL) > 0);
    neg[1] -= 250;
    CHECK_EQ_INT(sy_rtcp_build_twcc(out, sizeof(out), 1, 2, 0, 0, neg, 2, NULL), SY_RTCP_E_INVAL);
    /* Nothing fits: too small for the header and one chunk. */
    CHECK_EQ_INT(sy_rtcp_build_twcc(out, 23, 1, 2, 0, 0, arr, 5, &used), SY_RTCP_E_NOSPACE);
    CHECK(sy_rtcp_build_twcc(out, 24, 1, 2, 0, 0, arr, 1, &used) > 0);
    CHECK_EQ_INT(sy_rtcp_build_twcc(out, sizeof(out), 1, 2, 0, 0, arr, 0, &used), SY_RTCP_E_INVAL);
    /* All lost: legal, no deltas. */
    uint64_t none[5] = {SY_TWCC_NOT_RECEIVED, SY_TWCC_NOT_RECEIVED, SY_TWCC_NOT_RECEIVED,
                        SY_TWCC_NOT_RECEIVED, SY_TWCC_NOT_RECEIVED};
    twcc_roundtrip(none, 5, 3, 1200);
}

int main(void)
{
    test_nack();
    test_pli_fir();
    test_remb();
    test_twcc_vectors();
    test_twcc_malformed();
    test_twcc_roundtrip();
    return CHECK_DONE();
}
