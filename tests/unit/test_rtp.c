/*
 * RTP packets: parsing real-shaped packets (Opus with header extensions, VP8 with
 * CSRCs and padding, a padding-only probe), every malformed case (short, wrong
 * version, CSRC count / extension header / extension length past the end, padding 0
 * or longer than the payload), in-place rewrites that keep the layout, and sequence
 * number arithmetic with wraparound.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "protocol/rtp.h"

/* ---- building packets ---- */

static size_t put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

static size_t put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return 4;
}

/* An Opus packet as Chromium sends it: PT 111, one-byte extensions ssrc-audio-level
 * (id 1), abs-send-time (id 2), transport-wide-cc (id 3), mid (id 4) = "0", one byte of
 * padding to 12 bytes; a 40-byte payload. */
static size_t make_opus(uint8_t *p)
{
    size_t n = 0;
    p[n++] = 0x90; /* V=2, X */
    p[n++] = 111;
    n += put16(p + n, 4242);
    n += put32(p + n, 960u * 1000);
    n += put32(p + n, 0x11223344);
    n += put16(p + n, 0xBEDE);
    n += put16(p + n, 3); /* 12 bytes of elements */
    p[n++] = 0x10;        /* id 1, len 1 */
    p[n++] = 0x80 | 42;   /* voice, -42 dBov */
    p[n++] = 0x22;        /* id 2, len 3 */
    p[n++] = 0x12, p[n++] = 0x34, p[n++] = 0x56;
    p[n++] = 0x31; /* id 3, len 2 */
    n += put16(p + n, 7);
    p[n++] = 0x40; /* id 4, len 1 */
    p[n++] = '0';
    p[n++] = 0; /* padding to the word */
    for (int i = 0; i < 40; i++)
        p[n++] = (uint8_t)(0xF0 + i);
    return n;
}

/* A VP8 packet from a mixer: marker, PT 96, 2 CSRCs, no extension, 100-byte payload,
 * 4 bytes of RTP padding. */
static size_t make_vp8_csrc_padded(uint8_t *p)
{
    size_t n = 0;
    p[n++] = 0xA2; /* V=2, P, CC=2 */
    p[n++] = 0x80 | 96;
    n += put16(p + n, 65535);
    n += put32(p + n, 0xFFFFFFF0);
    n += put32(p + n, 0xCAFEBABE);
    n += put32(p + n, 0x01010101);
    n += put32(p + n, 0x02020202);
    for (int i = 0; i < 100; i++)
        p[n++] = (uint8_t)i;
    p[n++] = 0, p[n++] = 0, p[n++] = 0, p[n++] = 4;
    return n;
}

/* Parses an exact-size heap copy, so that the sanitizer build catches any read past
 * the end. */
static int parse_exact(const uint8_t *p, size_t len, sy_rtp_header *h)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, p, len);
    int r = sy_rtp_parse(copy, len, h);
    free(copy);
    h->data = p; /* keep the struct usable by the caller */
    return r;
}

/* ---- parsing ---- */

static void test_parse_opus(void)
{
    uint8_t p[128];
    size_t n = make_opus(p);
    sy_rtp_header h;
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK(h.data == p);
    CHECK_EQ_INT(h.len, n);
    CHECK(!h.marker);
    CHECK_EQ_INT(h.payload_type, 111);
    CHECK_EQ_INT(h.seq, 4242);
    CHECK_EQ_INT(h.timestamp, 960000);
    CHECK_EQ_INT(h.ssrc, 0x11223344);
    CHECK_EQ_INT(h.csrc_count, 0);
    CHECK(h.has_extension);
    CHECK_EQ_INT(h.ext_profile, 0xBEDE);
    CHECK_EQ_INT(h.ext_offset, 16);
    CHECK_EQ_INT(h.ext_len, 12);
    CHECK_EQ_INT(h.payload_offset, 28);
    CHECK_EQ_INT(h.payload_len, 40);
    CHECK_EQ_INT(h.padding_len, 0);
    CHECK_EQ_INT(sy_rtp_payload(&h)[0], 0xF0);
    CHECK_EQ_INT(sy_rtp_payload(&h)[39], (uint8_t)(0xF0 + 39));
}

static void test_parse_csrc_padding(void)
{
    uint8_t p[256];
    size_t n = make_vp8_csrc_padded(p);
    sy_rtp_header h;
    CHECK_EQ_INT(parse_exact(p, n, &h), 0);
    CHECK(h.marker);
    CHECK_EQ_INT(h.payload_type, 96);
    CHECK_EQ_INT(h.seq, 65535);
    CHECK_EQ_INT(h.timestamp, 0xFFFFFFF0u);
    CHECK_EQ_INT(h.csrc_count, 2);
    CHECK_EQ_INT(sy_rtp_csrc(&h, 0), 0x01010101);
    CHECK_EQ_INT(sy_rtp_csrc(&h, 1), 0x02020202);
    CHECK_EQ_INT(sy_rtp_csrc(&h, 2), 0); /* out of range */
    CHECK(!h.has_extension);
    CHECK_EQ_INT(h.ext_len, 0);
    CHECK_EQ_INT(h.payload_offset, 20);
    CHECK_EQ_INT(h.payload_len, 100);
    CHECK_EQ_INT(h.padding_len, 4);
}

static void test_parse_minimal_and_empty(void)
{
    /* A bare 12-byte header: valid, empty payload. */
    uint8_t p[64] = {0x80, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3};
    sy_rtp_header h;
    CHECK_EQ_INT(parse_exact(p, 12, &h), 0);
    CHECK_EQ_INT(h.payload_offset, 12);
    CHECK_EQ_INT(h.payload_len, 0);

    /* X set with an empty block (length 0 words). */
    p[0] = 0x90;
    put16(p + 12, 0xBEDE);
    put16(p + 14, 0);
    CHECK_EQ_INT(parse_exact(p, 16, &h), 0);
    CHECK(h.has_extension);
    CHECK_EQ_INT(h.ext_len, 0);
    CHECK_EQ_INT(h.payload_offset, 16);
    CHECK_EQ_INT(h.payload_len, 0);

    /* An unknown profile is accepted and left opaque. */
    put16(p + 12, 0xABAC);
    put16(p + 14, 1);
    memset(p + 16, 0x77, 4);
    p[20] = 0x55;
    CHECK_EQ_INT(parse_exact(p, 21, &h), 0);
    CHECK_EQ_INT(h.ext_profile, 0xABAC);
    CHECK_EQ_INT(h.ext_len, 4);
    CHECK_EQ_INT(h.payload_offset, 20);
    CHECK_EQ_INT(h.payload_len, 1);

    /* Padding-only probe: 12-byte header, 255 bytes of padding (count byte 255). */
    uint8_t probe[12 + 255] = {0xA0, 96};
    probe[sizeof(probe) - 1] = 255;
    CHECK_EQ_INT(parse_exact(probe, sizeof(probe), &h), 0);
    CHECK_EQ_INT(h.payload_len, 0);
    CHECK_EQ_INT(h.padding_len, 255);
    CHECK_EQ_INT(h.payload_offset, 12);
}

static void test_parse_malformed(void)
{
    uint8_t p[256];
    sy_rtp_header h;
    size_t n = make_opus(p);

    /* Shorter than the fixed header, at every length (and with no buffer at all). */
    CHECK_EQ_INT(sy_rtp_parse(NULL, 0, &h), SY_RTP_ETRUNC);
    for (size_t len = 0; len < 12; len++)
        CHECK_EQ_INT(parse_exact(p, len, &h), SY_RTP_ETRUNC);

    /* Versions 0, 1, 3. */
    for (int v = 0; v < 4; v++) {
        if (v == 2) continue;
        uint8_t q[128];
        memcpy(q, p, n);
        q[0] = (uint8_t)((q[0] & 0x3F) | v << 6);
        CHECK_EQ_INT(parse_exact(q, n, &h), SY_RTP_EVERSION);
    }

    /* Every truncation inside the extension block; after it the packet is only a
     * shorter payload. */
    for (size_t len = 12; len < 28; len++)
        CHECK_EQ_INT(parse_exact(p, len, &h), SY_RTP_ETRUNC);
    for (size_t len = 28; len <= n; len++) {
        CHECK_EQ_INT(parse_exact(p, len, &h), 0);
        CHECK_EQ_INT(h.payload_len, len - 28);
    }

    /* Extension length past the end, by one word and by the maximum. */
    uint8_t q[128];
    memcpy(q, p, n);
    put16(q + 14, (uint16_t)((n - 16) / 4 + 1));
    CHECK_EQ_INT(parse_exact(q, n, &h), SY_RTP_ETRUNC);
    put16(q + 14, 0xFFFF);
    CHECK_EQ_INT(parse_exact(q, n, &h), SY_RTP_ETRUNC);
    /* Exactly to the end: valid, empty payload. */
    memcpy(q, p, n);
    put16(q + 14, (uint16_t)((n - 16) / 4));
    CHECK_EQ_INT(parse_exact(q, 16 + ((n - 16) / 4) * 4, &h), 0);
    CHECK_EQ_INT(h.payload_len, 0);

    /* CSRC count past the end: 15 CSRCs in a 40-byte packet; and CC=2 with X=1 where the
     * CSRCs fit but the extension header does not. */
    uint8_t c[40] = {0x8F, 96};
    CHECK_EQ_INT(parse_exact(c, sizeof(c), &h), SY_RTP_ETRUNC);
    c[0] = 0x80 | 10; /* 52 bytes needed */
    CHECK_EQ_INT(parse_exact(c, sizeof(c), &h), SY_RTP_ETRUNC);
    c[0] = 0x80 | 7; /* exactly 40 */
    CHECK_EQ_INT(parse_exact(c, sizeof(c), &h), 0);
    CHECK_EQ_INT(h.payload_len, 0);
    c[0] = 0x90 | 6; /* 36 + ext header 4 = 40, block length 0: fits */
    CHECK_EQ_INT(parse_exact(c, sizeof(c), &h), 0);
    c[0] = 0x90 | 7; /* 40 + ext header: past the end */
    CHECK_EQ_INT(parse_exact(c, sizeof(c), &h), SY_RTP_ETRUNC);
    c[0] = 0x90 | 6;
    c[39] = 1; /* block of 1 word past the end */
    CHECK_EQ_INT(parse_exact(c, sizeof(c), &h), SY_RTP_ETRUNC);
}

static void test_parse_padding(void)
{
    uint8_t p[256];
    sy_rtp_header h;
    size_t n = make_vp8_csrc_padded(p); /* payload 100 + padding 4, headers 20 */

    /* Padding length 0 (pion CVE-2025-49140). */
    p[n - 1] = 0;
    CHECK_EQ_INT(parse_exact(p, n, &h), SY_RTP_EPADDING);
    /* Exactly everything after the headers: valid, empty payload. */
    p[n - 1] = 104;
    CHECK_EQ_INT(parse_exact(p, n, &h), 0);
    CHECK_EQ_INT(h.payload_len, 0);
    /* One more than that, and the maximum. */
    p[n - 1] = 105;
    CHECK_EQ_INT(parse_exact(p, n, &h), SY_RTP_EPADDING);
    p[n - 1] = 255;
    CHECK_EQ_INT(parse_exact(p, n, &h), SY_RTP_EPADDING);
    /* Count 1: only the count byte. */
    p[n - 1] = 1;
    CHECK_EQ_INT(parse_exact(p, n, &h), 0);
    CHECK_EQ_INT(h.payload_len, 103);

    /* P set on a bare header: the last byte belongs to the SSRC, nothing is padding. */
    uint8_t b[12] = {0xA0, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK_EQ_INT(parse_exact(b, sizeof(b), &h), SY_RTP_EPADDING);
    b[11] = 0;
    CHECK_EQ_INT(parse_exact(b, sizeof(b), &h), SY_RTP_EPADDING);

    /* P set with an extension block that ends the packet: the count byte would be in
     * the block. */
    uint8_t q[128];
    size_t m = make_opus(q);
    q[0] |= 0x20;
    CHECK_EQ_INT(parse_exact(q, 28, &h), SY_RTP_EPADDING);
    q[m - 1] = 40; /* the whole payload */
    CHECK_EQ_INT(parse_exact(q, m, &h), 0);
    CHECK_EQ_INT(h.payload_len, 0);
    q[m - 1] = 41; /* one byte into the extension block */
    CHECK_EQ_INT(parse_exact(q, m, &h), SY_RTP_EPADDING);
}

/* ---- rewriting ---- */

static void same_layout(const sy_rtp_header *a, const sy_rtp_header *b)
{
    CHECK_EQ_INT(a->len, b->len);
    CHECK_EQ_INT(a->csrc_count, b->csrc_count);
    CHECK_EQ_INT(a->has_extension, b->has_extension);
    CHECK_EQ_INT(a->ext_profile, b->ext_profile);
    CHECK_EQ_INT(a->ext_offset, b->ext_offset);
    CHECK_EQ_INT(a->ext_len, b->ext_len);
    CHECK_EQ_INT(a->payload_offset, b->payload_offset);
    CHECK_EQ_INT(a->payload_len, b->payload_len);
    CHECK_EQ_INT(a->padding_len, b->padding_len);
}

static void test_setters(void)
{
    uint8_t orig[256], p[256];
    size_t n = make_vp8_csrc_padded(orig);
    sy_rtp_header h0, h;
    CHECK_EQ_INT(sy_rtp_parse(orig, n, &h0), 0);

    /* The per-subscriber copy, rewritten. */
    memcpy(p, orig, n);
    CHECK_EQ_INT(sy_rtp_set_ssrc(p, n, 0x5EB5C71B), 0);
    CHECK_EQ_INT(sy_rtp_set_seq(p, n, 1), 0);
    CHECK_EQ_INT(sy_rtp_set_timestamp(p, n, 12345), 0);
    CHECK_EQ_INT(sy_rtp_set_payload_type(p, n, 100), 0);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    same_layout(&h0, &h);
    CHECK_EQ_INT(h.ssrc, 0x5EB5C71B);
    CHECK_EQ_INT(h.seq, 1);
    CHECK_EQ_INT(h.timestamp, 12345);
    CHECK_EQ_INT(h.payload_type, 100);
    CHECK(h.marker); /* kept by the payload type setter */
    CHECK_EQ_INT(sy_rtp_csrc(&h, 1), 0x02020202);
    CHECK(memcmp(p + 12, orig + 12, n - 12) == 0); /* nothing else moved */

    CHECK_EQ_INT(sy_rtp_set_marker(p, n, false), 0);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK(!h.marker);
    CHECK_EQ_INT(h.payload_type, 100); /* kept by the marker setter */
    CHECK_EQ_INT(sy_rtp_set_marker(p, n, true), 0);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK(h.marker);
    CHECK_EQ_INT(p[0], orig[0]); /* V, P, X, CC untouched */

    /* Errors. */
    CHECK_EQ_INT(sy_rtp_set_payload_type(p, n, 128), SY_RTP_EINVAL);
    CHECK_EQ_INT(sy_rtp_set_ssrc(p, 11, 1), SY_RTP_ETRUNC);
    CHECK_EQ_INT(sy_rtp_set_seq(p, 11, 1), SY_RTP_ETRUNC);
    CHECK_EQ_INT(sy_rtp_set_timestamp(p, 11, 1), SY_RTP_ETRUNC);
    CHECK_EQ_INT(sy_rtp_set_payload_type(p, 11, 1), SY_RTP_ETRUNC);
    CHECK_EQ_INT(sy_rtp_set_marker(p, 11, true), SY_RTP_ETRUNC);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(h.payload_type, 100);
}

static void test_write_header(void)
{
    uint8_t p[32];
    sy_rtp_fields f = {.marker = true,
                       .payload_type = 96,
                       .seq = 0xFFFE,
                       .timestamp = 0xDEADBEEF,
                       .ssrc = 0x01020304};
    CHECK_EQ_INT(sy_rtp_write_header(p, sizeof(p), &f), 12);
    sy_rtp_header h;
    CHECK_EQ_INT(sy_rtp_parse(p, 12, &h), 0);
    CHECK(h.marker);
    CHECK_EQ_INT(h.payload_type, 96);
    CHECK_EQ_INT(h.seq, 0xFFFE);
    CHECK_EQ_INT(h.timestamp, 0xDEADBEEF);
    CHECK_EQ_INT(h.ssrc, 0x01020304);
    CHECK(!h.has_extension);
    CHECK_EQ_INT(h.padding_len, 0);
    CHECK_EQ_INT(p[0], 0x80);
    CHECK_EQ_INT(sy_rtp_write_header(p, 11, &f), SY_RTP_ENOSPC);
    f.payload_type = 200;
    CHECK_EQ_INT(sy_rtp_write_header(p, sizeof(p), &f), SY_RTP_EINVAL);
}

/* ---- sequence numbers ---- */

static void test_seq_newer(void)
{
    CHECK(sy_seq_newer(2, 1));
    CHECK(!sy_seq_newer(1, 2));
    CHECK(!sy_seq_newer(5, 5));
    CHECK(sy_seq_newer(0, 65535)); /* wraparound */
    CHECK(!sy_seq_newer(65535, 0));
    CHECK(sy_seq_newer(100, 65000));
    CHECK(sy_seq_newer(32767, 0));
    CHECK(!sy_seq_newer(0, 32767));
    CHECK(sy_seq_newer(0, 32769));
    /* 32768 apart: exactly one direction, the larger number. */
    CHECK(sy_seq_newer(32768, 0));
    CHECK(!sy_seq_newer(0, 32768));
    CHECK(sy_seq_newer(40000, 7232));
    CHECK(!sy_seq_newer(7232, 40000));

    CHECK_EQ_INT(sy_seq_delta(2, 1), 1);
    CHECK_EQ_INT(sy_seq_delta(1, 2), -1);
    CHECK_EQ_INT(sy_seq_delta(0, 65535), 1);
    CHECK_EQ_INT(sy_seq_delta(65535, 0), -1);
    CHECK_EQ_INT(sy_seq_delta(10, 65530), 16);
    CHECK_EQ_INT(sy_seq_delta(32768, 0), 32768);
    CHECK_EQ_INT(sy_seq_delta(0, 32768), -32768);
    CHECK_EQ_INT(sy_seq_delta(7, 7), 0);

    /* Antisymmetry and consistency over a sweep. */
    int bad = 0;
    for (uint32_t a = 0; a < 65536; a += 97)
        for (uint32_t b = 0; b < 65536; b += 89) {
            int32_t d = sy_seq_delta((uint16_t)a, (uint16_t)b);
            bad += d != -sy_seq_delta((uint16_t)b, (uint16_t)a);
            bad += sy_seq_newer((uint16_t)a, (uint16_t)b) != (d > 0);
            bad += (uint16_t)(b + (uint32_t)d) != (uint16_t)a;
            if (a != b)
                bad += sy_seq_newer((uint16_t)a, (uint16_t)b) ==
                       sy_seq_newer((uint16_t)b, (uint16_t)a);
        }
    CHECK_EQ_INT(bad, 0);

    CHECK(sy_ts_newer(1, 0));
    CHECK(sy_ts_newer(0, 0xFFFFFFFFu));
    CHECK(!sy_ts_newer(0xFFFFFFFFu, 0));
    CHECK(!sy_ts_newer(9, 9));
    CHECK(sy_ts_newer(0x80000000u, 0));
    CHECK(!sy_ts_newer(0, 0x80000000u));
    CHECK(sy_ts_newer(90000, 0xFFFF0000u));
}

static void test_unroller(void)
{
    sy_seq_unroller u;
    sy_seq_unroller_init(&u);
    CHECK_EQ_INT(sy_seq_unroll(&u, 65530), 65530);
    CHECK_EQ_INT(sy_seq_unroll(&u, 65535), 65535);
    CHECK_EQ_INT(sy_seq_unroll(&u, 1), 65537);     /* wrapped, 0 lost */
    CHECK_EQ_INT(sy_seq_unroll(&u, 0), 65536);     /* late, after the wrap */
    CHECK_EQ_INT(sy_seq_unroll(&u, 65534), 65534); /* late, before the wrap */
    CHECK_EQ_INT(sy_seq_unroll(&u, 2), 65538);
    CHECK_EQ_INT(sy_seq_unroll(&u, 2), 65538); /* duplicate */
    CHECK_EQ_INT(u.highest, 65538);
    /* A jump forward of 30000 (burst loss) and a packet from before it. */
    CHECK_EQ_INT(sy_seq_unroll(&u, 30002), 95538);
    CHECK_EQ_INT(sy_seq_unroll(&u, 3), 65539);
    CHECK_EQ_INT(u.highest, 95538);

    /* Late packet from before the first one, across a wrap: negative. */
    sy_seq_unroller v = {0};
    CHECK_EQ_INT(sy_seq_unroll(&v, 2), 2);
    CHECK_EQ_INT(sy_seq_unroll(&v, 65534), -2);
    CHECK_EQ_INT(sy_seq_unroll(&v, 3), 3);

    /* Many wraps in order, every 7th packet lost, some reordering. */
    sy_seq_unroller w;
    sy_seq_unroller_init(&w);
    int bad = 0;
    int64_t start = 60000;
    for (int64_t i = start; i < start + 5 * 65536; i++) {
        if (i % 7 == 0) continue;
        int64_t got = sy_seq_unroll(&w, (uint16_t)i);
        bad += got != i;
        if (i % 11 == 0) bad += sy_seq_unroll(&w, (uint16_t)(i - 5)) != i - 5;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(w.highest, start + 5 * 65536 - 1);
}

static void test_strerror(void)
{
    CHECK_STR(sy_rtp_strerror(0), "ok");
    CHECK_CONTAINS(sy_rtp_strerror(SY_RTP_EPADDING), "padding");
    CHECK_CONTAINS(sy_rtp_strerror(SY_RTP_ETRUNC), "truncated");
    for (int e = -1; e >= SY_RTP_ENOSPC; e--)
        CHECK(strcmp(sy_rtp_strerror(e), "unknown error"));
    CHECK_STR(sy_rtp_strerror(-1000), "unknown error");
}

int main(void)
{
    test_parse_opus();
    test_parse_csrc_padding();
    test_parse_minimal_and_empty();
    test_parse_malformed();
    test_parse_padding();
    test_setters();
    test_write_header();
    test_seq_newer();
    test_unroller();
    test_strerror();
    return CHECK_DONE();
}
