/*
 * Transport-wide cc recorder (src/protocol/twcc.h): what it reports after in-order
 * arrival, loss, reordering, duplicates, wraparound, jumps and long silences, and that
 * its memory and packets stay bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "protocol/rtcp_fb.h"
#include "protocol/twcc.h"

/* What the receiver learnt, per 16-bit sequence number, over all feedback parsed. */
typedef struct seen {
    int64_t arrival[65536]; /* last reported arrival, us; -1 if only reported lost */
    uint8_t reported[65536];
    int packets;
    int statuses;
    uint8_t last_fb_count;
} seen;

static seen *S;

static void reset_seen(void)
{
    memset(S, 0, sizeof(*S));
}

/* Parses one feedback packet into S; returns its status count or -1. */
static int absorb(const uint8_t *buf, int len)
{
    if (len <= 0) return -1;
    sy_rtcp_pkt p;
    sy_rtcp_fb fb;
    sy_rtcp_twcc h;
    static sy_rtcp_twcc_status st[65536];
    CHECK_EQ_INT(sy_rtcp_validate(buf, (size_t)len), 1);
    if (sy_rtcp_parse_header(buf, (size_t)len, &p) != 0) return -1;
    CHECK_EQ_INT(sy_rtcp_kind_of(&p), SY_RTCP_KIND_TWCC);
    if (sy_rtcp_read_fb(&p, &fb) != 0) return -1;
    CHECK_EQ_INT(fb.sender_ssrc, 0x5E);
    CHECK_EQ_INT(fb.media_ssrc, 0x3D);
    int n = sy_rtcp_read_twcc(&fb, &h, st, 65536);
    CHECK(n > 0);
    if (n <= 0) return -1;
    if (S->packets) CHECK_EQ_INT(h.fb_count, (uint8_t)(S->last_fb_count + 1));
    S->last_fb_count = h.fb_count;
    S->packets++;
    for (int i = 0; i < n; i++) {
        uint16_t s = st[i].seq;
        S->reported[s] = 1;
        S->arrival[s] = st[i].status ? st[i].arrival_us : -1;
        S->statuses++;
    }
    return n;
}

/* Builds until the recorder has nothing pending; returns packets built. */
static int drain(sy_twcc_recorder *r, size_t cap)
{
    static uint8_t buf[65536];
    int packets = 0;
    for (int guard = 0; guard < 10000; guard++) {
        int len = sy_twcc_recorder_build(r, buf, cap, 0x5E, 0x3D);
        CHECK(len >= 0);
        if (len <= 0) break;
        CHECK((size_t)len <= cap);
        absorb(buf, len);
        packets++;
    }
    CHECK_EQ_INT(sy_twcc_recorder_pending(r), 0);
    return packets;
}

static void test_in_order_and_loss(void)
{
    sy_twcc_recorder *r = sy_twcc_recorder_new(0);
    CHECK(r != NULL);
    uint8_t buf[1500];
    CHECK_EQ_INT(sy_twcc_recorder_pending(r), 0);
    CHECK_EQ_INT(sy_twcc_recorder_build(r, buf, sizeof(buf), 1, 2), 0);
    reset_seen();
    uint64_t t = 5000000;
    for (uint16_t s = 1000; s < 1100; s++) {
        t += 1000 + (s % 3) * 333;
        if (s % 10 == 4) continue; /* lost */
        CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, s, t), SY_TWCC_RECORDED);
    }
    CHECK_EQ_INT(sy_twcc_recorder_pending(r), 100);
    CHECK_EQ_INT(drain(r, 1500), 1);
    CHECK_EQ_INT(S->statuses, 100);
    t = 5000000;
    int bad = 0;
    for (uint16_t s = 1000; s < 1100; s++) {
        t += 1000 + (s % 3) * 333;
        bad += !S->reported[s];
        if (s % 10 == 4)
            bad += S->arrival[s] != -1;
        else
            bad += S->arrival[s] != (int64_t)(t / 250 * 250);
    }
    CHECK_EQ_INT(bad, 0);
    /* Nothing new: nothing to send. The next packets continue where the last ended. */
    CHECK_EQ_INT(sy_twcc_recorder_build(r, buf, sizeof(buf), 1, 2), 0);
    sy_twcc_recorder_on_packet(r, 1101, t + 1000); /* 1100 lost */
    CHECK_EQ_INT(sy_twcc_recorder_pending(r), 2);
    reset_seen();
    drain(r, 1500);
    CHECK_EQ_INT(S->statuses, 2);
    CHECK(S->reported[1100] && S->arrival[1100] == -1);
    CHECK(S->reported[1101] && S->arrival[1101] == (int64_t)((t + 1000) / 250 * 250));
    sy_twcc_recorder_free(r);
    sy_twcc_recorder_free(NULL);
}

static void test_reorder_duplicates(void)
{
    sy_twcc_recorder *r = sy_twcc_recorder_new(0);
    reset_seen();
    CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, 10, 1000000), SY_TWCC_RECORDED);
    CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, 12, 1001000), SY_TWCC_RECORDED);
    CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, 11, 1002000), SY_TWCC_RECORDED);
    CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, 12, 1003000), SY_TWCC_DUPLICATE);
    drain(r, 1500);
    CHECK_EQ_INT(S->statuses, 3);
    CHECK_EQ_INT(S->arrival[11], 1002000);
    CHECK_EQ_INT(S->arrival[12], 1001000); /* the first arrival is kept */

    /* A packet older than the start of the first report arrives late: it is reported,
     * with everything after it again. */
    reset_seen();
    CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, 8, 1004000), SY_TWCC_RECORDED);
    CHECK_EQ_INT(sy_twcc_recorder_pending(r), 5);
    drain(r, 1500);
    CHECK_EQ_INT(S->statuses, 5);
    CHECK_EQ_INT(S->arrival[8], 1004000);
    CHECK_EQ_INT(S->arrival[9], -1);
    CHECK_EQ_INT(S->arrival[12], 1001000);
    /* A late packet that was reported lost is reported again, received. */
    sy_twcc_recorder_on_packet(r, 14, 1005000);
    drain(r, 1500);
    reset_seen();
    CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, 13, 1006000), SY_TWCC_RECORDED);
    drain(r, 1500);
    CHECK_EQ_INT(S->statuses, 2);
    CHECK_EQ_INT(S->arrival[13], 1006000);
    CHECK_EQ_INT(S->arrival[14], 1005000);
    /* A duplicate of something already reported sends nothing. */
    CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, 13, 1007000), SY_TWCC_DUPLICATE);
    CHECK_EQ_INT(sy_twcc_recorder_pending(r), 0);
    sy_twcc_recorder_free(r);
}

static void test_wraparound(void)
{
    sy_twcc_recorder *r = sy_twcc_recorder_new(64);
    CHECK(r != NULL);
    reset_seen();
    uint64_t t = 0;
    for (uint32_t s = 65530; s < 65536 + 11; s++)
        sy_twcc_recorder_on_packet(r, (uint16_t)s, t += 500);
    CHECK_EQ_INT(sy_twcc_recorder_pending(r), 17);
    drain(r, 1500);
    CHECK_EQ_INT(S->statuses, 17);
    CHECK(S->reported[65535] && S->reported[0] && S->reported[10]);
    CHECK_EQ_INT(S->arrival[0], 3500);

    /* Many wraps, sent in batches, with some loss: every number reported exactly as sent. */
    reset_seen();
    sy_twcc_recorder_reset(r);
    uint16_t s = 40000;
    long lost = 0, statuses = 0;
    for (int i = 0; i < 300000; i++, s++) {
        t += 100 + (uint64_t)(i % 7) * 50;
        if (i % 13 == 5) {
            lost++;
        } else {
            CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, s, t), SY_TWCC_RECORDED);
        }
        if (i % 40 == 39) {
            int before = S->statuses;
            drain(r, 1500);
            statuses += S->statuses - before;
            /* numbers reported lost were really lost */
            for (int k = 0; k < 40; k++) {
                uint16_t q = (uint16_t)(s - k);
                int was_lost = ((i - k) % 13) == 5;
                if (S->arrival[q] == -1 && !was_lost) {
                    CHECK(!"received packet reported lost");
                    break;
                }
            }
        }
    }
    CHECK_EQ_INT(statuses, 300000);
    CHECK(lost > 0);
    sy_twcc_recorder_free(r);
}

static void test_bounds(void)
{
    /* Too old for the ring: dropped. */
    sy_twcc_recorder *r = sy_twcc_recorder_new(64);
    sy_twcc_recorder_on_packet(r, 1000, 1000);
    sy_twcc_recorder_on_packet(r, 1100, 2000);
    CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, 1036, 3000), SY_TWCC_E_TOOOLD);
    CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, 1037, 3000), SY_TWCC_RECORDED);
    /* Pending never exceeds the ring: what fell out was never reported. */
    CHECK_EQ_INT(sy_twcc_recorder_pending(r), 64);
    reset_seen();
    drain(r, 1500);
    CHECK_EQ_INT(S->statuses, 64);
    CHECK(!S->reported[1000]);
    CHECK(S->reported[1037] && S->reported[1100]);
    CHECK_EQ_INT(S->arrival[1037], 3000);

    /* A jump of more than a window clears the ring. */
    sy_twcc_recorder_on_packet(r, 1101, 4000);
    sy_twcc_recorder_on_packet(r, 31000, 5000);
    CHECK_EQ_INT(sy_twcc_recorder_pending(r), 64);
    reset_seen();
    drain(r, 1500);
    CHECK_EQ_INT(S->statuses, 64);
    CHECK_EQ_INT(S->arrival[31000], 5000);
    CHECK_EQ_INT(S->arrival[30999], -1);
    /* Half a sequence space backwards is "older", not a wrap forward. */
    CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, (uint16_t)(31000 + 32768), 6000), SY_TWCC_E_TOOOLD);
    sy_twcc_recorder_free(r);

    /* 100000 packets without a build: memory is the ring, pending stays bounded. */
    r = sy_twcc_recorder_new(0);
    for (uint32_t i = 0; i < 100000; i++)
        sy_twcc_recorder_on_packet(r, (uint16_t)i, 1000 + i);
    CHECK_EQ_INT(sy_twcc_recorder_pending(r), 2048);
    reset_seen();
    int packets = drain(r, 1500);
    CHECK(packets >= 2); /* 2048 deltas do not fit 1500 bytes */
    CHECK_EQ_INT(S->statuses, 2048);
    sy_twcc_recorder_free(r);

    /* Bad sizes. */
    CHECK(sy_twcc_recorder_new(100) == NULL);
    CHECK(sy_twcc_recorder_new(32) == NULL);
    CHECK(sy_twcc_recorder_new(65536) == NULL);
}

static void test_small_buffers_and_gaps(void)
{
    sy_twcc_recorder *r = sy_twcc_recorder_new(0);
    uint8_t buf[64];
    for (uint16_t s = 0; s < 200; s++)
        sy_twcc_recorder_on_packet(r, s, 1000000 + s * 2000ull);
    /* Too small for anything: an error, nothing marked reported. */
    CHECK_EQ_INT(sy_twcc_recorder_build(r, buf, 20, 1, 2), -4 /* SY_RTCP_E_NOSPACE */);
    CHECK_EQ_INT(sy_twcc_recorder_pending(r), 200);
    /* 64-byte packets: many of them, fb_count increasing, everything covered once. */
    reset_seen();
    int packets = drain(r, 64);
    CHECK_EQ_INT(packets, 5); /* 42 one-byte deltas per 64-byte packet */
    CHECK_EQ_INT(S->statuses, 200);
    CHECK_EQ_INT(S->arrival[199], 1000000 + 199 * 2000);

    /* 10 s of silence between two packets: two feedback packets (a delta over 8 s). */
    sy_twcc_recorder_on_packet(r, 200, 2000000);
    sy_twcc_recorder_on_packet(r, 201, 12000000);
    reset_seen();
    CHECK_EQ_INT(drain(r, 1500), 2);
    CHECK_EQ_INT(S->arrival[200], 2000000);
    CHECK_EQ_INT(S->arrival[201], 12000000);
    /* Arrival times at the top of the clock do not collide with the "not received" marker. */
    sy_twcc_recorder_reset(r);
    CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, 5, UINT64_MAX), SY_TWCC_RECORDED);
    CHECK_EQ_INT(sy_twcc_recorder_on_packet(r, 5, 1), SY_TWCC_DUPLICATE);
    CHECK_EQ_INT(sy_twcc_recorder_pending(r), 1);
    uint8_t big[100];
    CHECK(sy_twcc_recorder_build(r, big, sizeof(big), 1, 2) > 0);
    sy_twcc_recorder_free(r);
}

int main(void)
{
    S = calloc(1, sizeof(*S));
    test_in_order_and_loss();
    test_reorder_duplicates();
    test_wraparound();
    test_bounds();
    test_small_buffers_and_gaps();
    free(S);
    return CHECK_DONE();
}
