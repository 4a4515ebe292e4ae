/*
 * The load generator's subscriber-side checker (tools/loadgen/lg_check.c) against
 * deliberately bad packet streams: it must see a gap, a duplicate, a reordered packet
 * and a wrong payload, across sequence-number wraparound, and read the VP8 descriptors
 * the publisher writes (keyframe and delta frames, first and later packets), and not take
 * a simulcast layer switch for a gap.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "lg_check.h"

static void test_seq_clean_and_wrap(void)
{
    lg_seq s = {0};
    for (uint32_t i = 0; i < 70000; i++) lg_seq_add(&s, (uint16_t)(65000 + i), 16);
    CHECK_EQ_INT(s.received, 70000);
    CHECK_EQ_INT(lg_seq_lost(&s), 0);
    CHECK_EQ_INT(s.duplicates, 0);
    CHECK_EQ_INT(s.reordered, 0);
}

static void test_seq_gap_dup_reorder(void)
{
    lg_seq s = {0};
    /* 65530..65535, 0, 1, [2 missing], 3, 3 (dup), 5, 4 (late), 6 */
    uint16_t in[] = {65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 3, 3, 5, 4, 6};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) lg_seq_add(&s, in[i], 16);
    CHECK_EQ_INT(lg_seq_lost(&s), 1);
    CHECK_EQ_INT(s.duplicates, 1);
    CHECK_EQ_INT(s.reordered, 1);
    CHECK_EQ_INT(s.received, 12);
    /* a late copy of an old packet is a duplicate, the missing one arriving late fills the hole */
    lg_seq_add(&s, 0, 16);
    lg_seq_add(&s, 2, 16);
    CHECK_EQ_INT(s.duplicates, 2);
    CHECK_EQ_INT(lg_seq_lost(&s), 0);
    /* a big jump: everything in between is lost */
    lg_seq_add(&s, 1006, 16);
    CHECK_EQ_INT(lg_seq_lost(&s), 999);
}

static void test_counter_32(void)
{
    lg_seq s = {0};
    uint32_t in[] = {4294967294u, 4294967295u, 0, 2, 2};
    for (size_t i = 0; i < 5; i++) lg_seq_add(&s, in[i], 32);
    CHECK_EQ_INT(lg_seq_lost(&s), 1);
    CHECK_EQ_INT(s.duplicates, 1);
}

static void test_payload(void)
{
    uint8_t p[1100];
    lg_payload_write(p, sizeof p, 7, 1234, 0x0102030405060708ull);
    lg_payload r;
    CHECK_EQ_INT(lg_payload_read(p, sizeof p, &r), 0);
    CHECK_EQ_INT(r.stream, 7);
    CHECK_EQ_INT(r.counter, 1234);
    CHECK(r.send_ns == 0x0102030405060708ull);
    /* a changed byte in the body: the block is still read, the payload is wrong */
    p[700] ^= 1;
    CHECK_EQ_INT(lg_payload_read(p, sizeof p, &r), -2);
    CHECK_EQ_INT(r.counter, 1234);
    p[700] ^= 1;
    /* a changed byte in the block: nothing is trusted */
    p[9] ^= 0x10;
    CHECK_EQ_INT(lg_payload_read(p, sizeof p, &r), -1);
    p[9] ^= 0x10;
    /* truncated */
    CHECK_EQ_INT(lg_payload_read(p, 10, &r), -1);
    CHECK_EQ_INT(lg_payload_read(p, LG_BLOCK, &r), 0);
    /* another packet's payload at this place */
    uint8_t q[200];
    lg_payload_write(q, sizeof q, 7, 1235, 1);
    memcpy(q, p, LG_BLOCK);
    CHECK_EQ_INT(lg_payload_read(q, sizeof q, &r), -2);
}

static void test_vp8(void)
{
    /* X, S, PID 0 | I | 15-bit picture id | keyframe payload header (10 bytes) */
    uint8_t key[] = {0x90, 0x80, 0x81, 0x23, 0x10, 0, 0, 0x9d, 0x01, 0x2a, 0, 5, 0xd0, 2, 0xee};
    CHECK_EQ_INT(lg_vp8_block_offset(key, sizeof key), 14);
    uint8_t delta[] = {0x90, 0x80, 0x81, 0x23, 0x11, 0, 0, 0xee};
    CHECK_EQ_INT(lg_vp8_block_offset(delta, sizeof delta), 7);
    uint8_t cont[] = {0x80, 0x80, 0x81, 0x23, 0xee};
    CHECK_EQ_INT(lg_vp8_block_offset(cont, sizeof cont), 4);
    uint8_t small_pid[] = {0x80, 0x80, 0x12, 0xee};
    CHECK_EQ_INT(lg_vp8_block_offset(small_pid, sizeof small_pid), 3);
    uint8_t bad[] = {0x90, 0x80};
    CHECK_EQ_INT(lg_vp8_block_offset(bad, sizeof bad), -1);
}

static void test_rtp(void)
{
    uint8_t p[40] = {0xb1, 96, 0x12, 0x34, 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd};
    /* one CSRC, an extension of one word, 3 bytes of padding */
    p[16] = 0xbe; p[17] = 0xde; p[18] = 0; p[19] = 1;
    p[39] = 3;
    uint32_t ssrc;
    uint16_t seq;
    uint8_t pt;
    size_t off, len;
    CHECK_EQ_INT(lg_rtp_parse(p, sizeof p, &ssrc, &seq, &pt, &off, &len), 0);
    CHECK(ssrc == 0xaabbccddu);
    CHECK_EQ_INT(seq, 0x1234);
    CHECK_EQ_INT(pt, 96);
    CHECK_EQ_INT(off, 24);
    CHECK_EQ_INT(len, 13);
    p[39] = 30;
    CHECK_EQ_INT(lg_rtp_parse(p, sizeof p, &ssrc, &seq, &pt, &off, &len), -1);
    CHECK_EQ_INT(lg_rtp_parse(p, 11, &ssrc, &seq, &pt, &off, &len), -1);
}

/* Simulcast: the server switches a subscriber from layer 0 to layer 2 and back; each
 * layer's counters run on while it is not forwarded. Switches are no gaps; a gap or a
 * duplicate within a segment still counts. */
static void test_content_switch(void)
{
    lg_content c = {0};
    uint32_t low = LG_STREAM(5, true, 0), high = LG_STREAM(5, true, 2);
    CHECK(LG_STREAM_LAYER(low) == 0 && LG_STREAM_LAYER(high) == 2 && LG_STREAM_VIDEO(high));
    CHECK(LG_STREAM(5, false, 0) != low);
    for (uint32_t i = 100; i < 200; i++) lg_content_add(&c, low, i);
    for (uint32_t i = 7000; i < 7300; i++) lg_content_add(&c, high, i);
    for (uint32_t i = 400; i < 450; i++) lg_content_add(&c, low, i);
    CHECK_EQ_INT(c.switches, 2);
    CHECK_EQ_INT(lg_content_lost(&c), 0);
    CHECK_EQ_INT(lg_content_dups(&c), 0);
    lg_content_add(&c, low, 451); /* 450 missing */
    lg_content_add(&c, low, 451); /* duplicate */
    CHECK_EQ_INT(lg_content_lost(&c), 1);
    CHECK_EQ_INT(lg_content_dups(&c), 1);
    lg_content_add(&c, high, 7400); /* the finished segment's counts are kept */
    CHECK_EQ_INT(lg_content_lost(&c), 1);
    CHECK_EQ_INT(lg_content_dups(&c), 1);
    CHECK_EQ_INT(c.switches, 3);
}

int main(void)
{
    test_content_switch();
    test_seq_clean_and_wrap();
    test_seq_gap_dup_reorder();
    test_counter_32();
    test_payload();
    test_vp8();
    test_rtp();
    return CHECK_DONE();
}
