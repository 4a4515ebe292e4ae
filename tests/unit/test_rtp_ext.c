/*
 * RTP header extensions: iteration in the one-byte and two-byte forms (padding, the
 * id-15 stop, zero-length elements, every malformed block), find, every value parser
 * with its size checks, the single-pass parse of the negotiated extensions, the
 * in-place writers (on the subscriber's copy), and building blocks and headers.
 * Packets are written by hand as Chromium sends them, then again with the builder.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "protocol/rtp_ext.h"

/* A 12-byte fixed header followed by a block of the given profile and bytes (padded to
 * a word with zeros), then a payload of payload_len bytes 0xEE. Returns the length. */
static size_t make_packet(uint8_t *p, uint16_t profile, const uint8_t *ext, size_t ext_len,
                          size_t payload_len)
{
    sy_rtp_fields f = {.payload_type = 96, .seq = 100, .timestamp = 9000, .ssrc = 0xABCD};
    size_t n = (size_t)sy_rtp_write_header(p, 12, &f);
    p[0] |= 0x10;
    size_t words = (ext_len + 3) / 4;
    p[n++] = (uint8_t)(profile >> 8);
    p[n++] = (uint8_t)profile;
    p[n++] = (uint8_t)(words >> 8);
    p[n++] = (uint8_t)words;
    if (ext_len) memcpy(p + n, ext, ext_len);
    memset(p + n + ext_len, 0, words * 4 - ext_len);
    n += words * 4;
    memset(p + n, 0xEE, payload_len);
    return n + payload_len;
}

/* Parses (must succeed) and collects up to 16 elements; returns the iterator's final
 * status (0 or an error) and the count in *count. */
static int collect(const uint8_t *p, size_t n, sy_rtp_ext_elem *els, int *count)
{
    sy_rtp_header h;
    *count = 0;
    if (sy_rtp_parse(p, n, &h) != 0) return 999;
    sy_rtp_ext_iter it;
    sy_rtp_ext_iter_init(&it, &h);
    int r;
    while ((r = sy_rtp_ext_next(&it, &els[*count])) > 0 && *count < 15)
        (*count)++;
    return r;
}

/* Chromium's audio: audio level (1), abs-send-time (2), twcc (3), mid (4). */
/* clang-format off */
static const uint8_t chrome_audio_ext[] = {
    0x10, 0x80 | 30,       /* id 1 len 1: voice, -30 dBov */
    0x22, 0x01, 0x02, 0x03, /* id 2 len 3 */
    0x31, 0x12, 0x34,       /* id 3 len 2: 0x1234 */
    0x40, '0',              /* id 4 len 1: "0" */
};
/* clang-format on */

static void test_iterate_one_byte(void)
{
    uint8_t p[128];
    sy_rtp_ext_elem el[16];
    int count;
    size_t n = make_packet(p, 0xBEDE, chrome_audio_ext, sizeof(chrome_audio_ext), 20);
    CHECK_EQ_INT(collect(p, n, el, &count), 0);
    CHECK_EQ_INT(count, 4);
    CHECK_EQ_INT(el[0].id, 1);
    CHECK_EQ_INT(el[0].len, 1);
    CHECK_EQ_INT(el[0].data[0], 0x80 | 30);
    CHECK_EQ_INT(el[1].id, 2);
    CHECK_EQ_INT(el[1].len, 3);
    CHECK_EQ_INT(el[2].id, 3);
    CHECK_EQ_INT(el[2].len, 2);
    CHECK_EQ_INT(el[3].id, 4);
    CHECK_EQ_INT(el[3].data[0], '0');
    CHECK(el[0].data == p + 17);

    /* Padding bytes between elements and a 16-byte element (length nibble 15). */
    uint8_t e2[] = {0,   0,   0x10, 0x7F, 0,   0x5F, 'a', 'b', 'c', 'd', 'e', 'f',
                    'g', 'h', 'i',  'j',  'k', 'l',  'm', 'n', 'o', 'p', 0,   0};
    n = make_packet(p, 0xBEDE, e2, sizeof(e2), 0);
    CHECK_EQ_INT(collect(p, n, el, &count), 0);
    CHECK_EQ_INT(count, 2);
    CHECK_EQ_INT(el[1].id, 5);
    CHECK_EQ_INT(el[1].len, 16);
    CHECK(memcmp(el[1].data, "abcdefghijklmnop", 16) == 0);

    /* Id 15 stops processing: what follows is not read, even if malformed. */
    uint8_t e3[] = {0x10, 0x01, 0xF0, 0x2F, 0xFF, 0xFF};
    n = make_packet(p, 0xBEDE, e3, sizeof(e3), 4);
    CHECK_EQ_INT(collect(p, n, el, &count), 0);
    CHECK_EQ_INT(count, 1);

    /* An empty block and an all-padding block. */
    n = make_packet(p, 0xBEDE, NULL, 0, 4);
    CHECK_EQ_INT(collect(p, n, el, &count), 0);
    CHECK_EQ_INT(count, 0);
    uint8_t zeros[8] = {0};
    n = make_packet(p, 0xBEDE, zeros, sizeof(zeros), 4);
    CHECK_EQ_INT(collect(p, n, el, &count), 0);
    CHECK_EQ_INT(count, 0);
}

static void test_iterate_one_byte_malformed(void)
{
    uint8_t p[128];
    sy_rtp_ext_elem el[16];
    int count;
    /* Last element's length runs past the block: id 2 announces 8 bytes, 4 remain. */
    uint8_t e1[] = {0x10, 0x01, 0x27, 0xAA, 0xBB};
    size_t n = make_packet(p, 0xBEDE, e1, sizeof(e1), 0); /* block is 8 bytes */
    CHECK_EQ_INT(collect(p, n, el, &count), SY_RTP_EEXT);
    CHECK_EQ_INT(count, 1);
    /* Same with payload after the block: the element must not reach into it. */
    n = make_packet(p, 0xBEDE, e1, sizeof(e1), 40);
    CHECK_EQ_INT(collect(p, n, el, &count), SY_RTP_EEXT);
    /* 16-byte element in a 4-byte block. */
    uint8_t e2[] = {0x1F, 1, 2, 3};
    n = make_packet(p, 0xBEDE, e2, sizeof(e2), 20);
    CHECK_EQ_INT(collect(p, n, el, &count), SY_RTP_EEXT);
    CHECK_EQ_INT(count, 0);
    /* Element header as the very last byte. */
    uint8_t e3[] = {0, 0, 0, 0x30};
    n = make_packet(p, 0xBEDE, e3, sizeof(e3), 20);
    CHECK_EQ_INT(collect(p, n, el, &count), SY_RTP_EEXT);
    /* Id 0 with a non-zero length. */
    uint8_t e4[] = {0x10, 0x01, 0x03, 1, 2, 3, 4, 0};
    n = make_packet(p, 0xBEDE, e4, sizeof(e4), 20);
    CHECK_EQ_INT(collect(p, n, el, &count), SY_RTP_EEXT);
    CHECK_EQ_INT(count, 1);

    /* After an error the iterator keeps failing. */
    sy_rtp_header h;
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    sy_rtp_ext_iter it;
    sy_rtp_ext_iter_init(&it, &h);
    CHECK_EQ_INT(sy_rtp_ext_next(&it, &el[0]), 1);
    CHECK_EQ_INT(sy_rtp_ext_next(&it, &el[0]), SY_RTP_EEXT);
    CHECK_EQ_INT(sy_rtp_ext_next(&it, &el[0]), SY_RTP_EEXT);
}

static void test_iterate_two_byte(void)
{
    uint8_t p[600];
    sy_rtp_ext_elem el[16];
    int count;
    /* id 1 len 0; padding; id 200 len 3; id 15 (not a stop here) len 1; id 7 len 20. */
    uint8_t e[40] = {1, 0, 0, 0, 200, 3, 'a', 'b', 'c', 15, 1, 9, 7, 20};
    for (int i = 0; i < 20; i++)
        e[14 + i] = (uint8_t)i;
    size_t n = make_packet(p, 0x1000, e, 34, 10);
    CHECK_EQ_INT(collect(p, n, el, &count), 0);
    CHECK_EQ_INT(count, 4);
    CHECK_EQ_INT(el[0].id, 1);
    CHECK_EQ_INT(el[0].len, 0);
    CHECK_EQ_INT(el[1].id, 200);
    CHECK_EQ_INT(el[1].len, 3);
    CHECK(memcmp(el[1].data, "abc", 3) == 0);
    CHECK_EQ_INT(el[2].id, 15);
    CHECK_EQ_INT(el[2].data[0], 9);
    CHECK_EQ_INT(el[3].id, 7);
    CHECK_EQ_INT(el[3].len, 20);
    CHECK_EQ_INT(el[3].data[19], 19);

    /* Every appbits value 0x1000-0x100F is the two-byte form; 0x1010 is not. */
    for (uint16_t prof = 0x1000; prof <= 0x100F; prof++) {
        n = make_packet(p, prof, e, 34, 0);
        CHECK_EQ_INT(collect(p, n, el, &count), 0);
        CHECK_EQ_INT(count, 4);
    }
    n = make_packet(p, 0x1010, e, 34, 0);
    CHECK_EQ_INT(collect(p, n, el, &count), 0);
    CHECK_EQ_INT(count, 0);

    /* A 255-byte element. */
    uint8_t big[257] = {9, 255};
    memset(big + 2, 'x', 255);
    n = make_packet(p, 0x1000, big, sizeof(big), 0);
    CHECK_EQ_INT(collect(p, n, el, &count), 0);
    CHECK_EQ_INT(count, 1);
    CHECK_EQ_INT(el[0].len, 255);

    /* Malformed: length past the block; header with only the id byte left. */
    uint8_t m1[] = {5, 3, 1, 2};
    n = make_packet(p, 0x1000, m1, sizeof(m1), 30);
    CHECK_EQ_INT(collect(p, n, el, &count), SY_RTP_EEXT);
    uint8_t m2[] = {5, 1, 1, 6};
    n = make_packet(p, 0x1000, m2, sizeof(m2), 30);
    CHECK_EQ_INT(collect(p, n, el, &count), SY_RTP_EEXT);
    CHECK_EQ_INT(count, 1);
    uint8_t m3[] = {5, 255, 1, 2};
    n = make_packet(p, 0x1000, m3, sizeof(m3), 300);
    CHECK_EQ_INT(collect(p, n, el, &count), SY_RTP_EEXT);
}

static void test_iterate_other(void)
{
    uint8_t p[64];
    sy_rtp_ext_elem el[16];
    int count;
    size_t n = make_packet(p, 0xABAC, chrome_audio_ext, sizeof(chrome_audio_ext), 8);
    CHECK_EQ_INT(collect(p, n, el, &count), 0);
    CHECK_EQ_INT(count, 0);
    sy_rtp_header h;
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(sy_rtp_ext_form_of(&h), SY_RTP_EXT_OTHER);
    const uint8_t *d;
    size_t len;
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 1, &d, &len), SY_RTP_ENOTFOUND);

    sy_rtp_fields f = {.payload_type = 0};
    n = (size_t)sy_rtp_write_header(p, sizeof(p), &f);
    CHECK_EQ_INT(collect(p, n + 10, el, &count), 0);
    CHECK_EQ_INT(count, 0);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(sy_rtp_ext_form_of(&h), SY_RTP_EXT_NONE);
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 1, &d, &len), SY_RTP_ENOTFOUND);
}

static void test_find(void)
{
    uint8_t p[128];
    sy_rtp_header h;
    const uint8_t *d = NULL;
    size_t len = 0;
    size_t n = make_packet(p, 0xBEDE, chrome_audio_ext, sizeof(chrome_audio_ext), 20);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(sy_rtp_ext_form_of(&h), SY_RTP_EXT_ONE_BYTE);
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 3, &d, &len), 0);
    CHECK_EQ_INT(len, 2);
    CHECK(d == p + 16 + 7);
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 4, &d, &len), 0);
    CHECK_EQ_INT(d[0], '0');
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 5, &d, &len), SY_RTP_ENOTFOUND);
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 0, &d, &len), SY_RTP_EINVAL);

    /* Duplicate id: the first one. Malformed block: found before the fault, error
     * after. */
    uint8_t e[] = {0x20, 'A', 0x20, 'B', 0x30, 'C', 0x1F};
    n = make_packet(p, 0xBEDE, e, sizeof(e), 0);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 2, &d, &len), 0);
    CHECK_EQ_INT(d[0], 'A');
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 3, &d, &len), 0);
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 4, &d, &len), SY_RTP_EEXT);
}

/* ---- value parsers ---- */

static void test_read_str(void)
{
    char out[SY_RTP_EXT_STR_MAX + 1];
    CHECK_EQ_INT(sy_rtp_ext_read_str((const uint8_t *)"0", 1, out, sizeof(out)), 1);
    CHECK_STR(out, "0");
    CHECK_EQ_INT(sy_rtp_ext_read_str((const uint8_t *)"hi-res_q", 8, out, sizeof(out)), 8);
    CHECK_STR(out, "hi-res_q");
    const char *s16 = "abcdefghijklmnop";
    CHECK_EQ_INT(sy_rtp_ext_read_str((const uint8_t *)s16, 16, out, sizeof(out)), 16);
    CHECK_STR(out, s16);
    /* Too long, empty, bad bytes: error and an empty string. */
    CHECK_EQ_INT(sy_rtp_ext_read_str((const uint8_t *)"abcdefghijklmnopq", 17, out, sizeof(out)),
                 SY_RTP_EEXTVAL);
    CHECK_STR(out, "");
    CHECK_EQ_INT(sy_rtp_ext_read_str((const uint8_t *)"", 0, out, sizeof(out)), SY_RTP_EEXTVAL);
    const uint8_t bad[][3] = {{'a', 0, 'b'},    {'a', ' ', 'b'},  {'a', 0x7F, 'b'},
                              {'a', 0x80, 'b'}, {'a', '\n', 'b'}, {0xFF, 'a', 'b'}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        strcpy(out, "junk");
        CHECK_EQ_INT(sy_rtp_ext_read_str(bad[i], 3, out, sizeof(out)), SY_RTP_EEXTVAL);
        CHECK_STR(out, "");
    }
    /* Caller buffer too small (needs length + 1), and a zero-size one. */
    char small[4] = "xyz";
    CHECK_EQ_INT(sy_rtp_ext_read_str((const uint8_t *)"abcd", 4, small, sizeof(small)),
                 SY_RTP_ENOSPC);
    CHECK_STR(small, "");
    CHECK_EQ_INT(sy_rtp_ext_read_str((const uint8_t *)"abc", 3, small, sizeof(small)), 3);
    CHECK_STR(small, "abc");
    CHECK_EQ_INT(sy_rtp_ext_read_str((const uint8_t *)"abc", 3, NULL, 0), SY_RTP_ENOSPC);
}

static void test_read_values(void)
{
    bool voice = false;
    uint8_t level = 0;
    const uint8_t al[] = {0x80 | 127, 0};
    CHECK_EQ_INT(sy_rtp_ext_read_audio_level(al, 1, &voice, &level), 0);
    CHECK(voice);
    CHECK_EQ_INT(level, 127);
    const uint8_t al2[] = {25};
    CHECK_EQ_INT(sy_rtp_ext_read_audio_level(al2, 1, &voice, &level), 0);
    CHECK(!voice);
    CHECK_EQ_INT(level, 25);
    CHECK_EQ_INT(sy_rtp_ext_read_audio_level(al, 0, &voice, &level), SY_RTP_EEXTVAL);
    CHECK_EQ_INT(sy_rtp_ext_read_audio_level(al, 2, &voice, &level), SY_RTP_EEXTVAL);

    uint32_t ast = 0;
    const uint8_t a3[] = {0xFE, 0xDC, 0xBA, 0x98};
    CHECK_EQ_INT(sy_rtp_ext_read_abs_send_time(a3, 3, &ast), 0);
    CHECK_EQ_INT(ast, 0xFEDCBA);
    CHECK_EQ_INT(sy_rtp_ext_read_abs_send_time(a3, 2, &ast), SY_RTP_EEXTVAL);
    CHECK_EQ_INT(sy_rtp_ext_read_abs_send_time(a3, 4, &ast), SY_RTP_EEXTVAL);

    uint16_t seq = 0;
    const uint8_t t[] = {0xFF, 0xFE, 0x80, 0x05, 0};
    CHECK_EQ_INT(sy_rtp_ext_read_twcc(t, 2, &seq), 0);
    CHECK_EQ_INT(seq, 0xFFFE);
    seq = 0;
    CHECK_EQ_INT(sy_rtp_ext_read_twcc(t, 4, &seq), 0); /* version 2 with a feedback request */
    CHECK_EQ_INT(seq, 0xFFFE);
    CHECK_EQ_INT(sy_rtp_ext_read_twcc(t, 1, &seq), SY_RTP_EEXTVAL);
    CHECK_EQ_INT(sy_rtp_ext_read_twcc(t, 3, &seq), SY_RTP_EEXTVAL);
    CHECK_EQ_INT(sy_rtp_ext_read_twcc(t, 5, &seq), SY_RTP_EEXTVAL);

    sy_rtp_cvo cvo;
    for (unsigned b = 0; b < 256; b++) {
        uint8_t v = (uint8_t)b;
        CHECK_EQ_INT(sy_rtp_ext_read_video_orientation(&v, 1, &cvo), 0);
        CHECK_EQ_INT(cvo.camera, (b >> 3) & 1);
        CHECK_EQ_INT(cvo.flip, (b >> 2) & 1);
        CHECK_EQ_INT(cvo.rotation, (b & 3) * 90);
    }
    const uint8_t c2[] = {0x0B, 0};
    CHECK_EQ_INT(sy_rtp_ext_read_video_orientation(c2, 1, &cvo), 0);
    CHECK(cvo.camera && !cvo.flip && cvo.rotation == 270);
    CHECK_EQ_INT(sy_rtp_ext_read_video_orientation(c2, 0, &cvo), SY_RTP_EEXTVAL);
    CHECK_EQ_INT(sy_rtp_ext_read_video_orientation(c2, 2, &cvo), SY_RTP_EEXTVAL);

    uint16_t mn = 0, mx = 0;
    const uint8_t pd[] = {0x12, 0x34, 0x56, 0x78};
    CHECK_EQ_INT(sy_rtp_ext_read_playout_delay(pd, 3, &mn, &mx), 0);
    CHECK_EQ_INT(mn, 0x123);
    CHECK_EQ_INT(mx, 0x456);
    const uint8_t pd2[] = {0xFF, 0xFF, 0xFF};
    CHECK_EQ_INT(sy_rtp_ext_read_playout_delay(pd2, 3, &mn, &mx), 0);
    CHECK_EQ_INT(mn, 4095);
    CHECK_EQ_INT(mx, 4095);
    const uint8_t pd3[] = {0, 0, 0};
    CHECK_EQ_INT(sy_rtp_ext_read_playout_delay(pd3, 3, &mn, &mx), 0);
    CHECK_EQ_INT(mn, 0);
    CHECK_EQ_INT(mx, 0);
    CHECK_EQ_INT(sy_rtp_ext_read_playout_delay(pd, 2, &mn, &mx), SY_RTP_EEXTVAL);
    CHECK_EQ_INT(sy_rtp_ext_read_playout_delay(pd, 4, &mn, &mx), SY_RTP_EEXTVAL);

    sy_rtp_dd dd;
    const uint8_t d1[] = {0x80 | 0x40 | 5, 0x12, 0x34};
    CHECK_EQ_INT(sy_rtp_ext_read_dd(d1, 3, &dd), 0);
    CHECK(dd.start_of_frame && dd.end_of_frame);
    CHECK_EQ_INT(dd.template_id, 5);
    CHECK_EQ_INT(dd.frame_number, 0x1234);
    /* A descriptor with an extended structure (template_dependency_structure follows):
     * the mandatory fields still parse. */
    const uint8_t d2[] = {0x40 | 63, 0xFF, 0xFF, 0x80, 1, 2, 3, 4};
    CHECK_EQ_INT(sy_rtp_ext_read_dd(d2, sizeof(d2), &dd), 0);
    CHECK(!dd.start_of_frame && dd.end_of_frame);
    CHECK_EQ_INT(dd.template_id, 63);
    CHECK_EQ_INT(dd.frame_number, 0xFFFF);
    CHECK_EQ_INT(sy_rtp_ext_read_dd(d1, 2, &dd), SY_RTP_EEXTVAL);
    CHECK_EQ_INT(sy_rtp_ext_read_dd(d1, 0, &dd), SY_RTP_EEXTVAL);
}

/* ---- the single pass ---- */

/* Chromium's simulcast video with the ids it offers: two-byte form because the
 * dependency descriptor is longer than 16 bytes. */
static const sy_rtp_ext_ids video_ids = {
    .mid = 4,
    .rid = 10,
    .rrid = 11,
    .abs_send_time = 2,
    .twcc = 3,
    .video_orientation = 13,
    .playout_delay = 12,
    .dependency_descriptor = 20,
};

static size_t make_video(uint8_t *p, size_t cap)
{
    uint8_t dd[24] = {0xC0 | 2, 0x00, 0x2A, 0x80};
    for (int i = 4; i < 24; i++)
        dd[i] = (uint8_t)i;
    const uint8_t ast[] = {0x01, 0x02, 0x03}, tw[] = {0x00, 0x09}, cvo[] = {0x01},
                  pd[] = {0x00, 0x00, 0x0A};
    sy_rtp_ext_elem els[] = {
        {2, 3, ast},  {3, 2, tw},  {4, 1, (const uint8_t *)"1"}, {10, 1, (const uint8_t *)"h"},
        {13, 1, cvo}, {12, 3, pd}, {20, sizeof(dd), dd},         {99, 2, tw}, /* unnegotiated */
    };
    sy_rtp_fields f = {
        .marker = true, .payload_type = 96, .seq = 7, .timestamp = 90000, .ssrc = 0x12345678};
    int off = sy_rtp_write_header_ext(p, cap, &f, els, sizeof(els) / sizeof(els[0]));
    if (off < 0) return 0;
    for (int i = 0; i < 300; i++)
        p[off + i] = (uint8_t)i;
    return (size_t)off + 300;
}

static void test_parse_all(void)
{
    uint8_t p[512];
    size_t n = make_video(p, sizeof(p));
    CHECK(n > 0);
    sy_rtp_header h;
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(sy_rtp_ext_form_of(&h), SY_RTP_EXT_TWO_BYTE);
    CHECK_EQ_INT(h.payload_len, 300);
    sy_rtp_ext_values v;
    memset(&v, 0x5A, sizeof(v)); /* garbage in, must not leak into the result */
    CHECK_EQ_INT(sy_rtp_ext_parse_all(&h, &video_ids, &v), 0);
    CHECK_EQ_INT(v.present, SY_RTP_EXT_MID | SY_RTP_EXT_RID | SY_RTP_EXT_ABS_SEND_TIME |
                                SY_RTP_EXT_TWCC | SY_RTP_EXT_VIDEO_ORIENTATION |
                                SY_RTP_EXT_PLAYOUT_DELAY | SY_RTP_EXT_DD);
    CHECK_EQ_INT(v.invalid, 0);
    CHECK_STR(v.mid, "1");
    CHECK_STR(v.rid, "h");
    CHECK_STR(v.rrid, "");
    CHECK_EQ_INT(v.abs_send_time, 0x010203);
    CHECK_EQ_INT(v.twcc_seq, 9);
    CHECK(!v.video_orientation.camera && !v.video_orientation.flip);
    CHECK_EQ_INT(v.video_orientation.rotation, 90);
    CHECK_EQ_INT(v.playout_min, 0);
    CHECK_EQ_INT(v.playout_max, 10);
    CHECK(v.dd.start_of_frame && v.dd.end_of_frame);
    CHECK_EQ_INT(v.dd.template_id, 2);
    CHECK_EQ_INT(v.dd.frame_number, 42);
    CHECK_EQ_INT(v.dd_len, 24);
    CHECK(v.dd_data > p && v.dd_data + v.dd_len <= p + h.payload_offset);
    CHECK_EQ_INT(v.dd_data[23], 23);

    /* Nothing negotiated: nothing found, no error. */
    sy_rtp_ext_ids none = {0};
    CHECK_EQ_INT(sy_rtp_ext_parse_all(&h, &none, &v), 0);
    CHECK_EQ_INT(v.present, 0);
    CHECK(v.dd_data == NULL);

    /* Audio, one-byte form. */
    sy_rtp_ext_ids audio_ids = {.audio_level = 1, .abs_send_time = 2, .twcc = 3, .mid = 4};
    n = make_packet(p, 0xBEDE, chrome_audio_ext, sizeof(chrome_audio_ext), 50);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(sy_rtp_ext_parse_all(&h, &audio_ids, &v), 0);
    CHECK_EQ_INT(v.present, SY_RTP_EXT_AUDIO_LEVEL | SY_RTP_EXT_ABS_SEND_TIME | SY_RTP_EXT_TWCC |
                                SY_RTP_EXT_MID);
    CHECK(v.voice_activity);
    CHECK_EQ_INT(v.audio_level, 30);
    CHECK_EQ_INT(v.twcc_seq, 0x1234);
    CHECK_STR(v.mid, "0");

    /* A packet without extensions. */
    sy_rtp_fields f = {.payload_type = 111};
    n = (size_t)sy_rtp_write_header(p, sizeof(p), &f) + 20;
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(sy_rtp_ext_parse_all(&h, &audio_ids, &v), 0);
    CHECK_EQ_INT(v.present, 0);
    CHECK_STR(v.mid, "");
}

static void test_parse_all_errors(void)
{
    uint8_t p[128];
    sy_rtp_header h;
    sy_rtp_ext_values v;
    sy_rtp_ext_ids ids = {.audio_level = 1,
                          .abs_send_time = 2,
                          .twcc = 3,
                          .mid = 4,
                          .rid = 5,
                          .video_orientation = 6,
                          .playout_delay = 7,
                          .dependency_descriptor = 8,
                          .rrid = 9};

    /* Bad values (audio level of 2 bytes, mid with a space, a 2-byte DD, a 1-byte twcc):
     * flagged invalid, the good ones still present. */
    uint8_t e1[] = {0x11, 1, 2, 0x22, 1, 2, 3, 0x41, 'a', ' ', 0x81, 0, 0, 0x30, 0x55};
    size_t n = make_packet(p, 0xBEDE, e1, sizeof(e1), 10);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(sy_rtp_ext_parse_all(&h, &ids, &v), SY_RTP_EEXTVAL);
    CHECK_EQ_INT(v.present, SY_RTP_EXT_ABS_SEND_TIME);
    CHECK_EQ_INT(v.invalid,
                 SY_RTP_EXT_AUDIO_LEVEL | SY_RTP_EXT_MID | SY_RTP_EXT_DD | SY_RTP_EXT_TWCC);
    CHECK_STR(v.mid, "");
    CHECK(v.dd_data == NULL);

    /* Repeated id: the first element decides, valid or not. */
    uint8_t e2[] = {0x30, 1, 0x31, 0, 2, 0x40, 'x', 0x40, 'y'};
    n = make_packet(p, 0xBEDE, e2, sizeof(e2), 10);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(sy_rtp_ext_parse_all(&h, &ids, &v), SY_RTP_EEXTVAL);
    CHECK_EQ_INT(v.invalid, SY_RTP_EXT_TWCC);
    CHECK_EQ_INT(v.present, SY_RTP_EXT_MID);
    CHECK_STR(v.mid, "x");

    /* Malformed block: what came before the fault is kept. */
    uint8_t e3[] = {0x50, 'q', 0x6F, 1};
    n = make_packet(p, 0xBEDE, e3, sizeof(e3), 10);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(sy_rtp_ext_parse_all(&h, &ids, &v), SY_RTP_EEXT);
    CHECK_EQ_INT(v.present, SY_RTP_EXT_RID);
    CHECK_STR(v.rid, "q");

    /* Two-byte form: a zero-length element for a negotiated id is an invalid value;
     * rrid present. */
    uint8_t e4[] = {4, 0, 9, 2, 'r', '1'};
    n = make_packet(p, 0x1000, e4, sizeof(e4), 10);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(sy_rtp_ext_parse_all(&h, &ids, &v), SY_RTP_EEXTVAL);
    CHECK_EQ_INT(v.invalid, SY_RTP_EXT_MID);
    CHECK_EQ_INT(v.present, SY_RTP_EXT_RRID);
    CHECK_STR(v.rrid, "r1");
}

/* ---- writers ---- */

static void test_write_in_place(void)
{
    uint8_t orig[128], p[128];
    sy_rtp_header h, h2;
    const uint8_t *d;
    size_t len;
    /* audio level 1, twcc 3, mid 4 = "video1" (6 bytes), abs-send-time 2. */
    uint8_t e[] = {0x10, 0x05, 0x31, 0x00, 0x01, 0x45, 'v',  'i',
                   'd',  'e',  'o',  '1',  0x22, 0xAA, 0xBB, 0xCC};
    size_t n = make_packet(orig, 0xBEDE, e, sizeof(e), 30);
    CHECK_EQ_INT(sy_rtp_parse(orig, n, &h), 0);

    /* The subscriber's copy: twcc, abs-send-time and a shorter mid. */
    memcpy(p, orig, n);
    CHECK_EQ_INT(sy_rtp_ext_write_twcc(p, n, &h, 3, 0xBEEF), 0);
    CHECK_EQ_INT(sy_rtp_ext_write_abs_send_time(p, n, &h, 2, 0xFF123456), 0);
    CHECK_EQ_INT(sy_rtp_ext_write_mid(p, n, &h, 4, "a"), 0);
    CHECK(memcmp(p, orig, 16) == 0);               /* header untouched */
    CHECK(memcmp(p + 32, orig + 32, n - 32) == 0); /* payload untouched */
    CHECK_EQ_INT(sy_rtp_parse(orig, n, &h2), 0);   /* the original is unchanged */
    CHECK_EQ_INT(sy_rtp_ext_find(&h2, 4, &d, &len), 0);
    CHECK_EQ_INT(len, 6);

    CHECK_EQ_INT(sy_rtp_parse(p, n, &h2), 0);
    CHECK_EQ_INT(h2.payload_offset, h.payload_offset);
    CHECK_EQ_INT(h2.ext_len, h.ext_len);
    sy_rtp_ext_ids ids = {.audio_level = 1, .abs_send_time = 2, .twcc = 3, .mid = 4};
    sy_rtp_ext_values v;
    CHECK_EQ_INT(sy_rtp_ext_parse_all(&h2, &ids, &v), 0);
    CHECK_EQ_INT(v.twcc_seq, 0xBEEF);
    CHECK_EQ_INT(v.abs_send_time, 0x123456);
    CHECK_STR(v.mid, "a");
    CHECK_EQ_INT(v.audio_level, 5);
    CHECK_EQ_INT(p[16 + 5], 0x40); /* id 4, length nibble 0 */
    CHECK_EQ_INT(p[16 + 7], 0);    /* freed bytes are padding */
    CHECK_EQ_INT(p[16 + 11], 0);

    /* Same length, then longer than the existing element. */
    CHECK_EQ_INT(sy_rtp_ext_write_mid(orig, n, &h, 4, "video9"), 0);
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 4, &d, &len), 0);
    CHECK(len == 6 && memcmp(d, "video9", 6) == 0);
    CHECK_EQ_INT(sy_rtp_ext_write_mid(orig, n, &h, 4, "video10"), SY_RTP_ENOSPC);

    /* Errors. */
    CHECK_EQ_INT(sy_rtp_ext_write_mid(p, n, &h, 4, ""), SY_RTP_EINVAL);
    CHECK_EQ_INT(sy_rtp_ext_write_mid(p, n, &h, 4, NULL), SY_RTP_EINVAL);
    CHECK_EQ_INT(sy_rtp_ext_write_mid(p, n, &h, 4, "a b"), SY_RTP_EINVAL);
    CHECK_EQ_INT(sy_rtp_ext_write_mid(p, n, &h, 4, "abcdefghijklmnopq"), SY_RTP_EINVAL);
    CHECK_EQ_INT(sy_rtp_ext_write_mid(p, n, &h, 7, "a"), SY_RTP_ENOTFOUND);
    CHECK_EQ_INT(sy_rtp_ext_write_twcc(p, n, &h, 7, 1), SY_RTP_ENOTFOUND);
    CHECK_EQ_INT(sy_rtp_ext_write_twcc(p, n, &h, 2, 1), SY_RTP_EEXTVAL); /* 3-byte element */
    CHECK_EQ_INT(sy_rtp_ext_write_twcc(p, n, &h, 0, 1), SY_RTP_EINVAL);
    CHECK_EQ_INT(sy_rtp_ext_write_abs_send_time(p, n, &h, 3, 1), SY_RTP_EEXTVAL);
    CHECK_EQ_INT(sy_rtp_ext_write_abs_send_time(p, n, &h, 9, 1), SY_RTP_ENOTFOUND);
    CHECK_EQ_INT(sy_rtp_ext_write_abs_send_time(p, 20, &h, 2, 1), SY_RTP_EINVAL);
    /* A destination shorter than hdr's layout. */
    CHECK_EQ_INT(sy_rtp_ext_write_twcc(p, 31, &h, 3, 1), SY_RTP_EINVAL);
    CHECK_EQ_INT(sy_rtp_ext_write_twcc(p, 32, &h, 3, 1), 0);
    /* One-byte form cannot hold an empty value. */
    CHECK_EQ_INT(sy_rtp_ext_write(p, n, &h, 1, NULL, 0), SY_RTP_ENOSPC);
    CHECK_EQ_INT(sy_rtp_ext_write(p, n, &h, 1, NULL, 1), SY_RTP_EINVAL);
    CHECK_EQ_INT(sy_rtp_ext_write(p, n, &h, 0, (const uint8_t *)"x", 1), SY_RTP_EINVAL);
}

static void test_write_two_byte(void)
{
    uint8_t p[128];
    sy_rtp_header h;
    const uint8_t *d;
    size_t len;
    /* twcc v2 (4 bytes) id 30, mid id 40 "abcd". */
    uint8_t e[] = {30, 4, 0x00, 0x01, 0x80, 0x03, 40, 4, 'a', 'b', 'c', 'd'};
    size_t n = make_packet(p, 0x1000, e, sizeof(e), 10);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(sy_rtp_ext_write_twcc(p, n, &h, 30, 0x0203), 0);
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 30, &d, &len), 0);
    CHECK_EQ_INT(len, 4);
    CHECK(d[0] == 0x02 && d[1] == 0x03 && d[2] == 0x80 && d[3] == 0x03); /* request kept */
    CHECK_EQ_INT(sy_rtp_ext_write_mid(p, n, &h, 40, "xy"), 0);
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 40, &d, &len), 0);
    CHECK(len == 2 && memcmp(d, "xy", 2) == 0);
    CHECK_EQ_INT(d[2], 0);
    /* Two-byte form: shrink to empty is allowed. */
    CHECK_EQ_INT(sy_rtp_ext_write(p, n, &h, 40, NULL, 0), 0);
    CHECK_EQ_INT(sy_rtp_ext_find(&h, 40, &d, &len), 0);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(sy_rtp_parse(p, n, &h), 0);
    CHECK_EQ_INT(h.payload_len, 10);
}

/* ---- building ---- */

static void test_build(void)
{
    uint8_t out[2048];
    const uint8_t al[] = {0x80 | 30}, ast[] = {1, 2, 3}, tw[] = {0x12, 0x34};
    sy_rtp_ext_elem els[] = {{1, 1, al}, {2, 3, ast}, {3, 2, tw}, {4, 1, (const uint8_t *)"0"}};
    /* The same bytes as Chromium's audio block, written by hand above. */
    CHECK_EQ_INT(sy_rtp_ext_build(out, sizeof(out), els, 4), 16);
    const uint8_t want[] = {0xBE, 0xDE, 0, 3};
    CHECK(memcmp(out, want, 4) == 0);
    CHECK(memcmp(out + 4, chrome_audio_ext, sizeof(chrome_audio_ext)) == 0);
    CHECK_EQ_INT(out[15], 0);
    /* Every too-small capacity fails without writing past it. */
    for (size_t cap = 0; cap < 16; cap++) {
        uint8_t *b = malloc(cap ? cap : 1);
        CHECK_EQ_INT(sy_rtp_ext_build(b, cap, els, 4), SY_RTP_ENOSPC);
        free(b);
    }
    CHECK_EQ_INT(sy_rtp_ext_build(out, sizeof(out), els, 0), 0);

    /* Each reason for the two-byte form: id 15, a zero length, a length of 17. */
    uint8_t data17[17];
    memset(data17, 'z', sizeof(data17));
    sy_rtp_ext_elem t1[] = {{1, 1, al}, {15, 1, al}};
    sy_rtp_ext_elem t2[] = {{1, 1, al}, {2, 0, NULL}};
    sy_rtp_ext_elem t3[] = {{1, 17, data17}};
    sy_rtp_ext_elem t4[] = {{14, 16, data17}};
    CHECK_EQ_INT(sy_rtp_ext_build(out, sizeof(out), t1, 2), 12);
    CHECK(out[0] == 0x10 && out[1] == 0x00);
    const uint8_t w1[] = {1, 1, 0x80 | 30, 15, 1, 0x80 | 30, 0, 0};
    CHECK(memcmp(out + 4, w1, 8) == 0);
    CHECK_EQ_INT(sy_rtp_ext_build(out, sizeof(out), t2, 2), 12);
    CHECK_EQ_INT(out[1], 0x00);
    CHECK_EQ_INT(sy_rtp_ext_build(out, sizeof(out), t3, 1), 4 + 20);
    CHECK_EQ_INT(out[0], 0x10);
    CHECK_EQ_INT(sy_rtp_ext_build(out, sizeof(out), t4, 1), 4 + 20); /* 17 bytes, one-byte */
    CHECK(out[0] == 0xBE && out[4] == 0xEF);

    /* Errors. */
    sy_rtp_ext_elem b1[] = {{0, 1, al}};
    sy_rtp_ext_elem b2[] = {{1, 2, NULL}};
    CHECK_EQ_INT(sy_rtp_ext_build(out, sizeof(out), b1, 1), SY_RTP_EINVAL);
    CHECK_EQ_INT(sy_rtp_ext_build(out, sizeof(out), b2, 1), SY_RTP_EINVAL);
    /* Longer than a 16-bit word count can say. */
    static uint8_t big[255];
    static sy_rtp_ext_elem many[1100];
    for (int i = 0; i < 1100; i++)
        many[i] = (sy_rtp_ext_elem){200, 255, big};
    CHECK_EQ_INT(sy_rtp_ext_build(out, sizeof(out), many, 1100), SY_RTP_EINVAL);
    CHECK_EQ_INT(sy_rtp_ext_build(out, sizeof(out), many, 8), SY_RTP_ENOSPC);

    /* Round trip through the parser, both forms. */
    uint8_t p[600];
    sy_rtp_fields f = {.payload_type = 111, .seq = 1, .timestamp = 2, .ssrc = 3};
    sy_rtp_ext_elem *sets[] = {els, t3};
    size_t counts[] = {4, 1};
    for (int s = 0; s < 2; s++) {
        int off = sy_rtp_write_header_ext(p, sizeof(p), &f, sets[s], counts[s]);
        CHECK(off > 12);
        sy_rtp_header h;
        CHECK_EQ_INT(sy_rtp_parse(p, (size_t)off + 5, &h), 0);
        CHECK(h.has_extension);
        CHECK_EQ_INT(h.payload_offset, off);
        CHECK_EQ_INT(h.payload_len, 5);
        sy_rtp_ext_iter it;
        sy_rtp_ext_elem el;
        sy_rtp_ext_iter_init(&it, &h);
        for (size_t i = 0; i < counts[s]; i++) {
            CHECK_EQ_INT(sy_rtp_ext_next(&it, &el), 1);
            CHECK_EQ_INT(el.id, sets[s][i].id);
            CHECK_EQ_INT(el.len, sets[s][i].len);
            CHECK(memcmp(el.data, sets[s][i].data, el.len) == 0);
        }
        CHECK_EQ_INT(sy_rtp_ext_next(&it, &el), 0);
    }
    /* No elements: no X bit. Errors pass through. */
    CHECK_EQ_INT(sy_rtp_write_header_ext(p, sizeof(p), &f, NULL, 0), 12);
    CHECK_EQ_INT(p[0], 0x80);
    CHECK_EQ_INT(sy_rtp_write_header_ext(p, 20, &f, els, 4), SY_RTP_ENOSPC);
    CHECK_EQ_INT(sy_rtp_write_header_ext(p, 8, &f, els, 4), SY_RTP_ENOSPC);
    CHECK_EQ_INT(sy_rtp_write_header_ext(p, sizeof(p), &f, b1, 1), SY_RTP_EINVAL);
}

int main(void)
{
    test_iterate_one_byte();
    test_iterate_one_byte_malformed();
    test_iterate_two_byte();
    test_iterate_other();
    test_find();
    test_read_str();
    test_read_values();
    test_parse_all();
    test_parse_all_errors();
    test_write_in_place();
    test_write_two_byte();
    test_build();
    return CHECK_DONE();
}
