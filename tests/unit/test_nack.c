/*
 * NACK generator and retransmission history (src/protocol/nack.h): loss, reordering,
 * wraparound, keyframes, the retry and size caps; the history's wraparound, max age,
 * per-requester backoff and a NACK storm staying bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "protocol/nack.h"
#include "protocol/rtcp_build.h"
#include "protocol/rtcp_fb.h"

static size_t get_all(sy_nack_gen *g, uint64_t now, uint32_t rtt, uint16_t *out)
{
    return sy_nack_gen_get(g, now, rtt, out, 2000);
}

static void test_gen_in_order(void)
{
    sy_nack_gen *g = sy_nack_gen_new(NULL);
    CHECK(g != NULL);
    uint16_t out[2000];
    for (uint16_t s = 100; s < 200; s++)
        CHECK_EQ_INT(sy_nack_gen_on_packet(g, s, false, s), 0);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 0);
    CHECK_EQ_INT(get_all(g, 1000, 50, out), 0);
    /* duplicates change nothing */
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 199, false, 1000), 0);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 150, false, 1000), 0);
    sy_nack_gen_free(g);
    sy_nack_gen_free(NULL);
}

static void test_gen_loss_and_retries(void)
{
    sy_nack_gen *g = sy_nack_gen_new(NULL);
    uint16_t out[2000];
    sy_nack_gen_on_packet(g, 1, false, 0);
    sy_nack_gen_on_packet(g, 2, false, 0);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 5, false, 0), SY_NACK_GEN_MISSING);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 2);
    CHECK_EQ_INT(get_all(g, 0, 50, out), 2);
    CHECK_EQ_INT(out[0], 3);
    CHECK_EQ_INT(out[1], 4);
    /* Not again before an RTT has passed. */
    CHECK_EQ_INT(get_all(g, 10, 50, out), 0);
    CHECK_EQ_INT(get_all(g, 49, 50, out), 0);
    CHECK_EQ_INT(get_all(g, 50, 50, out), 2);
    /* 4 arrives (a retransmission): only 3 is left. */
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 4, false, 60), SY_NACK_GEN_RECOVERED);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 1);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 4, false, 61), 0); /* and again: a duplicate */
    /* rtt 0: the default (100 ms) applies. */
    CHECK_EQ_INT(get_all(g, 149, 0, out), 0);
    CHECK_EQ_INT(get_all(g, 150, 0, out), 1);
    CHECK_EQ_INT(out[0], 3);
    /* 10 NACKs in all, then it is given up. Three were sent so far. */
    uint64_t now = 150;
    int sent = 3;
    for (int i = 0; i < 20; i++) {
        now += 100;
        sent += (int)get_all(g, now, 100, out);
    }
    CHECK_EQ_INT(sent, 10);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 0);
    /* A clock going backwards does not trigger an early retry. */
    sy_nack_gen_on_packet(g, 7, false, now);
    CHECK_EQ_INT(get_all(g, now, 100, out), 1);
    CHECK_EQ_INT(get_all(g, now - 50, 100, out), 0);
    /* The retry spacing has a floor. */
    CHECK_EQ_INT(get_all(g, now + 4, 1, out), 0);
    CHECK_EQ_INT(get_all(g, now + 5, 1, out), 1);
    sy_nack_gen_free(g);

    /* A custom retry cap. */
    sy_nack_gen_config cfg = {.max_retries = 2};
    g = sy_nack_gen_new(&cfg);
    sy_nack_gen_on_packet(g, 10, false, 0);
    sy_nack_gen_on_packet(g, 12, false, 0);
    CHECK_EQ_INT(get_all(g, 0, 10, out), 1);
    CHECK_EQ_INT(get_all(g, 10, 10, out), 1);
    CHECK_EQ_INT(get_all(g, 20, 10, out), 0);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 0);
    sy_nack_gen_free(g);
}

static void test_gen_reorder_wrap(void)
{
    sy_nack_gen *g = sy_nack_gen_new(NULL);
    uint16_t out[2000];
    /* Reordering: 10, 12, 11 */
    sy_nack_gen_on_packet(g, 10, false, 0);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 12, false, 0), SY_NACK_GEN_MISSING);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 11, false, 1), SY_NACK_GEN_RECOVERED);
    CHECK_EQ_INT(get_all(g, 2, 50, out), 0);
    sy_nack_gen_free(g);

    /* Wraparound: 65533, 65535, 1, 2 -> 65534 and 0 missing, in that order. */
    g = sy_nack_gen_new(NULL);
    sy_nack_gen_on_packet(g, 65533, false, 0);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 65535, false, 0), SY_NACK_GEN_MISSING);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 1, false, 0), SY_NACK_GEN_MISSING);
    sy_nack_gen_on_packet(g, 2, false, 0);
    CHECK_EQ_INT(get_all(g, 0, 50, out), 2);
    CHECK_EQ_INT(out[0], 65534);
    CHECK_EQ_INT(out[1], 0);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 0, false, 5), SY_NACK_GEN_RECOVERED);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 65534, false, 5), SY_NACK_GEN_RECOVERED);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 0);

    /* A long run across several wraps with 1 in 7 lost and recovered later. */
    uint16_t s = 60000;
    int recovered = 0, lost = 0;
    uint16_t pending[8];
    int np = 0;
    for (int i = 0; i < 200000; i++, s++) {
        if (i % 7 == 3) {
            lost++;
            if (np < 8) pending[np++] = s;
            continue;
        }
        unsigned f = sy_nack_gen_on_packet(g, s, false, (uint64_t)i);
        CHECK(!(f & SY_NACK_GEN_KEYFRAME));
        if (np == 8) {
            for (int k = 0; k < np; k++)
                recovered += !!(sy_nack_gen_on_packet(g, pending[k], false, (uint64_t)i) &
                                SY_NACK_GEN_RECOVERED);
            np = 0;
        }
    }
    CHECK_EQ_INT(recovered, lost - np);
    CHECK_EQ_INT(sy_nack_gen_missing(g), (size_t)np);
    sy_nack_gen_free(g);
}

static void test_gen_keyframe(void)
{
    sy_nack_gen *g = sy_nack_gen_new(NULL);
    uint16_t out[2000];
    sy_nack_gen_on_packet(g, 1, false, 0);
    sy_nack_gen_on_packet(g, 5, false, 0); /* 2, 3, 4 missing */
    CHECK_EQ_INT(sy_nack_gen_missing(g), 3);
    /* A keyframe starting after a gap: nothing before it is needed any more. */
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 9, true, 0), 0);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 0);
    CHECK_EQ_INT(get_all(g, 0, 50, out), 0);
    /* A keyframe start that arrives late drops only what is older than it. */
    sy_nack_gen_on_packet(g, 20, false, 0); /* 10..19 missing */
    CHECK_EQ_INT(sy_nack_gen_missing(g), 10);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 15, true, 0), SY_NACK_GEN_RECOVERED);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 4); /* 16..19 */
    CHECK_EQ_INT(get_all(g, 0, 50, out), 4);
    CHECK_EQ_INT(out[0], 16);
    /* Reset forgets all. */
    sy_nack_gen_reset(g);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 0);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 40000, false, 0), 0);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 40002, false, 0), SY_NACK_GEN_MISSING);
    sy_nack_gen_free(g);
}

static void test_gen_caps(void)
{
    sy_nack_gen *g = sy_nack_gen_new(NULL);
    uint16_t out[2000];
    /* A gap larger than the list: cleared, keyframe asked. */
    sy_nack_gen_on_packet(g, 0, false, 0);
    sy_nack_gen_on_packet(g, 10, false, 0);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 9);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 1012, false, 0), SY_NACK_GEN_KEYFRAME);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 0);
    /* Exactly 1000 missing fits. */
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 2013, false, 0), SY_NACK_GEN_MISSING);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 1000);
    /* More losses push the oldest out and ask for a keyframe. */
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 2020, false, 0),
                 SY_NACK_GEN_MISSING | SY_NACK_GEN_KEYFRAME);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 1000);
    CHECK_EQ_INT(get_all(g, 0, 50, out), 1000);
    CHECK_EQ_INT(out[0], 1019);
    CHECK_EQ_INT(out[999], 2019);
    /* A small out array: oldest first, the rest on the next call. */
    uint16_t few[3];
    CHECK_EQ_INT(sy_nack_gen_get(g, 50, 50, few, 3), 3);
    CHECK_EQ_INT(few[0], 1019);
    CHECK_EQ_INT(sy_nack_gen_get(g, 50, 50, few, 3), 3);
    CHECK_EQ_INT(few[0], 1022);
    sy_nack_gen_free(g);

    /* Steady loss with constant recoveries never exceeds the cap (tombstones compact). */
    sy_nack_gen_config cfg = {.max_packets = 64};
    g = sy_nack_gen_new(&cfg);
    uint16_t s = 0;
    sy_nack_gen_on_packet(g, s, false, 0);
    for (int i = 0; i < 10000; i++) {
        s = (uint16_t)(s + 3); /* two lost every time */
        sy_nack_gen_on_packet(g, s, false, 0);
        if (i % 2) sy_nack_gen_on_packet(g, (uint16_t)(s - 1), false, 0);
        CHECK(sy_nack_gen_missing(g) <= 64);
    }
    sy_nack_gen_free(g);

    /* Missing packets over 10000 behind the newest are dropped silently. */
    g = sy_nack_gen_new(NULL);
    sy_nack_gen_on_packet(g, 0, false, 0);
    sy_nack_gen_on_packet(g, 2, false, 0); /* 1 missing */
    for (uint16_t k = 3; k < 10002; k++)
        sy_nack_gen_on_packet(g, k, false, 0);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 1);
    sy_nack_gen_on_packet(g, 10002, false, 0);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 0);
    sy_nack_gen_free(g);

    /* Restart of the sender's sequence far behind: two in a row reset the tracking. */
    g = sy_nack_gen_new(NULL);
    sy_nack_gen_on_packet(g, 30000, false, 0);
    sy_nack_gen_on_packet(g, 30005, false, 0);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 5000, false, 0), 0);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 4);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 5001, false, 0), SY_NACK_GEN_RESET);
    CHECK_EQ_INT(sy_nack_gen_missing(g), 0);
    CHECK_EQ_INT(sy_nack_gen_on_packet(g, 5003, false, 0), SY_NACK_GEN_MISSING);
    CHECK_EQ_INT(get_all(g, 0, 50, out), 1);
    CHECK_EQ_INT(out[0], 5002);
    sy_nack_gen_free(g);

    /* Bad configurations. */
    sy_nack_gen_config big = {.max_packets = 20000};
    CHECK(sy_nack_gen_new(&big) == NULL);
}

/* The generator's list goes through the NACK builder and back. */
static void test_gen_to_packet(void)
{
    sy_nack_gen *g = sy_nack_gen_new(NULL);
    uint16_t out[2000], back[2000];
    sy_nack_gen_on_packet(g, 65500, false, 0);
    for (uint32_t s = 65501; s < 65536 + 300; s++)
        if (s % 5 && s % 7) sy_nack_gen_on_packet(g, (uint16_t)s, false, 0);
    size_t n = get_all(g, 0, 50, out);
    CHECK(n > 50);
    uint8_t pkt[1500];
    size_t used = 0;
    int len = sy_rtcp_build_nack(pkt, sizeof(pkt), 1, 2, out, n, &used);
    CHECK(len > 0);
    CHECK_EQ_INT(used, n);
    sy_rtcp_pkt p;
    CHECK_EQ_INT(sy_rtcp_parse_header(pkt, (size_t)len, &p), 0);
    sy_rtcp_fb fb;
    CHECK_EQ_INT(sy_rtcp_read_fb(&p, &fb), 0);
    CHECK_EQ_INT(sy_rtcp_read_nack(&fb, back, 2000), (int)n);
    CHECK(memcmp(out, back, n * sizeof(uint16_t)) == 0);
    /* ascending input packs tightly: fewer pairs than numbers */
    CHECK((size_t)(len - 12) / 4 < n);
    sy_nack_gen_free(g);
}

/* ---- history ---- */

static void fill(uint8_t *b, size_t n, uint16_t seq)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seq + i);
}

static void test_history_basic(void)
{
    sy_nack_history *h = sy_nack_history_new(NULL);
    CHECK(h != NULL);
    const uint8_t *pkt = NULL;
    size_t len = 0;
    CHECK_EQ_INT(sy_nack_history_get(h, 1, 1, 0, 0, &pkt, &len), SY_NACK_E_NOTFOUND);
    uint8_t b[1500], expect[1500];
    fill(b, 1200, 7);
    CHECK_EQ_INT(sy_nack_history_put(h, 7, b, 1200, 1000), 0);
    memcpy(expect, b, 1200);
    memset(b, 0, sizeof(b)); /* the history holds its own copy */
    CHECK_EQ_INT(sy_nack_history_get(h, 7, 1, 0, 1010, &pkt, &len), 0);
    CHECK_EQ_INT(len, 1200);
    CHECK(pkt && memcmp(pkt, expect, 1200) == 0);
    /* The same requester again: backoff until 100 ms passed (or the RTT, if larger). */
    CHECK_EQ_INT(sy_nack_history_get(h, 7, 1, 0, 1050, &pkt, &len), SY_NACK_E_BACKOFF);
    CHECK_EQ_INT(sy_nack_history_get(h, 7, 1, 0, 1109, &pkt, &len), SY_NACK_E_BACKOFF);
    CHECK_EQ_INT(sy_nack_history_get(h, 7, 1, 0, 1110, &pkt, &len), 0);
    CHECK_EQ_INT(sy_nack_history_get(h, 7, 1, 300, 1300, &pkt, &len), SY_NACK_E_BACKOFF);
    CHECK_EQ_INT(sy_nack_history_get(h, 7, 1, 300, 1410, &pkt, &len), 0);
    /* Other requesters are served independently. */
    CHECK_EQ_INT(sy_nack_history_get(h, 7, 2, 0, 1411, &pkt, &len), 0);
    CHECK_EQ_INT(sy_nack_history_get(h, 7, 3, 0, 1411, &pkt, &len), 0);
    CHECK_EQ_INT(sy_nack_history_get(h, 7, 2, 0, 1412, &pkt, &len), SY_NACK_E_BACKOFF);
    /* Max age: 1000 ms after the put it is still there, 1001 ms it is not. */
    CHECK_EQ_INT(sy_nack_history_get(h, 7, 9, 0, 2000, &pkt, &len), 0);
    CHECK_EQ_INT(sy_nack_history_get(h, 7, 10, 0, 2001, &pkt, &len), SY_NACK_E_EXPIRED);
    /* Not stored, newer than anything stored. */
    CHECK_EQ_INT(sy_nack_history_get(h, 6, 1, 0, 1500, &pkt, &len), SY_NACK_E_NOTFOUND);
    CHECK_EQ_INT(sy_nack_history_get(h, 8, 1, 0, 1500, &pkt, &len), SY_NACK_E_NOTFOUND);
    /* Too big, and a zero-length packet. */
    CHECK_EQ_INT(sy_nack_history_put(h, 8, b, 1501, 1500), SY_NACK_E_TOOBIG);
    CHECK_EQ_INT(sy_nack_history_put(h, 8, b, 0, 1500), 0);
    CHECK_EQ_INT(sy_nack_history_get(h, 8, 1, 0, 1500, &pkt, &len), 0);
    CHECK_EQ_INT(len, 0);
    /* Reset empties it. */
    sy_nack_history_reset(h);
    CHECK_EQ_INT(sy_nack_history_get(h, 8, 5, 0, 1500, &pkt, &len), SY_NACK_E_NOTFOUND);
    sy_nack_history_free(h);
    sy_nack_history_free(NULL);

    /* Bad configurations. */
    sy_nack_history_config bad = {.slots = 1000};
    CHECK(sy_nack_history_new(&bad) == NULL);
    bad = (sy_nack_history_config){.slots = 8};
    CHECK(sy_nack_history_new(&bad) == NULL);
    bad = (sy_nack_history_config){.slot_size = 11};
    CHECK(sy_nack_history_new(&bad) == NULL);
}

static void test_history_requesters(void)
{
    sy_nack_history *h = sy_nack_history_new(NULL);
    uint8_t b[100];
    const uint8_t *pkt;
    size_t len;
    fill(b, 100, 1);
    sy_nack_history_put(h, 1, b, 100, 0);
    /* Five requesters: with four remembered, the first is forgotten after the fifth. */
    for (uint32_t r = 1; r <= 5; r++)
        CHECK_EQ_INT(sy_nack_history_get(h, 1, r, 0, r, &pkt, &len), 0);
    CHECK_EQ_INT(sy_nack_history_get(h, 1, 1, 0, 10, &pkt, &len), 0);
    CHECK_EQ_INT(sy_nack_history_get(h, 1, 5, 0, 10, &pkt, &len), SY_NACK_E_BACKOFF);
    /* A new put of the slot forgets the requesters. */
    sy_nack_history_put(h, 1, b, 100, 20);
    CHECK_EQ_INT(sy_nack_history_get(h, 1, 5, 0, 21, &pkt, &len), 0);
    sy_nack_history_free(h);
}

static void test_history_wrap(void)
{
    sy_nack_history_config cfg = {.slots = 256, .slot_size = 200};
    sy_nack_history *h = sy_nack_history_new(&cfg);
    uint8_t b[200];
    const uint8_t *pkt;
    size_t len;
    uint16_t seq = 65000;
    for (int i = 0; i < 1000; i++, seq++) {
        fill(b, 100 + (size_t)(seq % 100), seq);
        CHECK_EQ_INT(sy_nack_history_put(h, seq, b, 100 + (size_t)(seq % 100), 0), 0);
    }
    /* The newest is 65000 + 999 = 463 (wrapped); the last 256 are kept. */
    CHECK_EQ_INT((uint16_t)(seq - 1), 463);
    int found = 0, bad = 0;
    for (int back = 0; back < 300; back++) {
        uint16_t s = (uint16_t)(463 - back);
        int r = sy_nack_history_get(h, s, 1, 0, 0, &pkt, &len);
        if (back < 256) {
            found += r == 0;
            if (r == 0) {
                uint8_t want[200];
                fill(want, 100 + (size_t)(s % 100), s);
                bad += len != 100 + (size_t)(s % 100) || memcmp(pkt, want, len) != 0;
            }
        } else {
            CHECK_EQ_INT(r, SY_NACK_E_NOTFOUND);
        }
    }
    CHECK_EQ_INT(found, 256);
    CHECK_EQ_INT(bad, 0);
    /* Across the wrap: 65535 and 0 are both there if recent. */
    sy_nack_history_reset(h);
    sy_nack_history_put(h, 65535, b, 10, 0);
    sy_nack_history_put(h, 0, b, 11, 0);
    CHECK_EQ_INT(sy_nack_history_get(h, 65535, 1, 0, 0, &pkt, &len), 0);
    CHECK_EQ_INT(len, 10);
    CHECK_EQ_INT(sy_nack_history_get(h, 0, 1, 0, 0, &pkt, &len), 0);
    CHECK_EQ_INT(len, 11);
    /* Slightly out of order puts are fine; far behind is refused, not evicting. */
    CHECK_EQ_INT(sy_nack_history_put(h, 65530, b, 12, 0), 0);
    CHECK_EQ_INT(sy_nack_history_put(h, (uint16_t)(0 - 256), b, 12, 0), SY_NACK_E_TOOOLD);
    CHECK_EQ_INT(sy_nack_history_get(h, 0, 2, 0, 0, &pkt, &len), 0);
    CHECK_EQ_INT(len, 11);
    /* A jump ahead: old entries in the new window's slots are not mistaken. */
    sy_nack_history_put(h, 10000, b, 13, 0);
    CHECK_EQ_INT(sy_nack_history_get(h, 65535, 3, 0, 0, &pkt, &len), SY_NACK_E_NOTFOUND);
    CHECK_EQ_INT(sy_nack_history_get(h, 9984, 3, 0, 0, &pkt, &len),
                 SY_NACK_E_NOTFOUND); /* slot of 0 */
    sy_nack_history_free(h);
}

/* A subscriber NACKs every packet of the window every millisecond for a second: each
 * packet is resent to it at most once per 100 ms, and never after it expired. */
static void test_history_storm(void)
{
    sy_nack_history *h = sy_nack_history_new(NULL);
    uint8_t b[1200];
    const uint8_t *pkt;
    size_t len;
    fill(b, sizeof(b), 0);
    for (uint16_t s = 0; s < 1024; s++)
        sy_nack_history_put(h, s, b, sizeof(b), 0);
    long resent = 0, other = 0;
    for (uint64_t now = 0; now < 1500; now++) {
        for (uint16_t s = 0; s < 1024; s++) {
            resent += sy_nack_history_get(h, s, 77, 0, now, &pkt, &len) == 0;
            if (now == 555 && s == 100) /* another subscriber mid-storm is still served */
                other += sy_nack_history_get(h, s, 78, 0, now, &pkt, &len) == 0;
        }
    }
    /* ticks 0, 100, ..., 1000 (expired after 1000 ms): 11 per packet */
    CHECK_EQ_INT(resent, 1024L * 11);
    CHECK_EQ_INT(other, 1);
    sy_nack_history_free(h);
}

int main(void)
{
    test_gen_in_order();
    test_gen_loss_and_retries();
    test_gen_reorder_wrap();
    test_gen_keyframe();
    test_gen_caps();
    test_gen_to_packet();
    test_history_basic();
    test_history_requesters();
    test_history_wrap();
    test_history_storm();
    return CHECK_DONE();
}
