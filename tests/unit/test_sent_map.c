/* Unit tests: NACKs answered from ONE history per publisher stream shared by its
 * subscribers (sy_nack_history) through each subscriber's map of what it sent
 * (sy_sent_map): lookup by the subscriber's seq -> the publisher's seq, wraparound of
 * both sequence spaces, eviction, a change of source, per-subscriber backoff, age. */
#include <string.h>

#include "check.h"
#include "protocol/nack.h"
#include "protocol/sent_map.h"
#include "protocol/simulcast.h"

/* A 14-byte RTP packet whose payload says which publisher seq it is. */
static size_t make_pkt(uint8_t *p, uint16_t seq)
{
    memset(p, 0, 14);
    p[0] = 0x80;
    p[1] = 96;
    p[2] = (uint8_t)(seq >> 8);
    p[3] = (uint8_t)seq;
    p[12] = (uint8_t)(seq >> 8);
    p[13] = (uint8_t)seq;
    return 14;
}

static int stored_seq(const uint8_t *p) { return p[12] << 8 | p[13]; }

/* Answers subscriber m's NACK of out_seq: the publisher packet, or a negative reason. */
static int answer(sy_nack_history *h, const sy_sent_map *m, uint32_t requester, uint16_t out_seq,
                  uint64_t now_ms)
{
    const sy_sent_entry *e = sy_sent_map_get(m, out_seq);
    if (!e) return -100;
    const uint8_t *pkt;
    size_t len;
    int rc = sy_nack_history_get(h, e->in_seq, requester, 0, now_ms, &pkt, &len);
    if (rc < 0) return rc;
    CHECK_EQ_INT((int)len, 14);
    return stored_seq(pkt);
}

int main(void)
{
    sy_nack_history_config hc = {.slots = SY_SENT_MAP_SLOTS};
    sy_nack_history *h = sy_nack_history_new(&hc);
    CHECK(h != NULL);
    static sy_sent_map a, b;
    sy_sent_map_init(&a);
    sy_sent_map_init(&b);
    uint8_t pkt[14];
    uint64_t t = 10000;
    /* 600 packets from publisher seq 65300 (wraps to 364); subscriber A sends them as
     * seq + 1000 (its output wraps too, at another point), B as seq - 30000. */
    for (int i = 0; i < 600; i++) {
        uint16_t in = (uint16_t)(65300 + i);
        CHECK_EQ_INT(sy_nack_history_put(h, in, pkt, make_pkt(pkt, in), t), 0);
        sy_sent_map_put(&a, (uint16_t)(in + 1000), in, 1000u * (uint32_t)i, 0, 96);
        sy_sent_map_put(&b, (uint16_t)(in - 30000), in, 5u * (uint32_t)i, 0, 100);
        t += 1;
    }
    uint16_t last = (uint16_t)(65300 + 599);
    /* Lookup across the wraparound of both sequence spaces. */
    CHECK_EQ_INT(answer(h, &a, 1, (uint16_t)(last + 1000), t), last);
    CHECK_EQ_INT(answer(h, &a, 1, (uint16_t)(65535 + 1000), t), 65535);
    CHECK_EQ_INT(answer(h, &a, 1, (uint16_t)(0 + 1000), t), 0);
    CHECK_EQ_INT(answer(h, &b, 2, (uint16_t)(0 - 30000), t), 0);
    const sy_sent_entry *e = sy_sent_map_get(&b, (uint16_t)(10 - 30000));
    CHECK(e && e->in_seq == 10 && e->pt == 100 && e->out_ts == 5u * (65536 - 65300 + 10));
    /* Both subscribers are served the same stored packet; one asking again at once is
     * refused (backoff), the other is not affected. */
    CHECK_EQ_INT(answer(h, &a, 1, (uint16_t)(100 + 1000), t), 100);
    CHECK_EQ_INT(answer(h, &a, 1, (uint16_t)(100 + 1000), t + 5), SY_NACK_E_BACKOFF);
    CHECK_EQ_INT(answer(h, &b, 2, (uint16_t)(100 - 30000), t + 5), 100);
    CHECK_EQ_INT(answer(h, &a, 1, (uint16_t)(100 + 1000), t + 150), 100);
    /* Eviction: the first 88 packets are more than 512 behind: gone from the maps (their
     * slots hold newer numbers) and from the history. */
    CHECK(sy_sent_map_get(&a, (uint16_t)(65300 + 1000)) == NULL);
    CHECK(sy_sent_map_get(&a, (uint16_t)(65300 + 87 + 1000)) == NULL);
    CHECK(sy_sent_map_get(&a, (uint16_t)(65300 + 88 + 1000)) != NULL);
    CHECK_EQ_INT(sy_nack_history_get(h, 65300, 9, 0, t, &(const uint8_t *){0}, &(size_t){0}),
                 SY_NACK_E_NOTFOUND);
    /* A number never sent. */
    CHECK_EQ_INT(answer(h, &a, 1, (uint16_t)(last + 1001), t), -100);
    /* A late (reordered) publisher packet, forwarded after newer ones. */
    uint16_t late = (uint16_t)(last - 3);
    sy_nack_history_put(h, late, pkt, make_pkt(pkt, late), t);
    sy_sent_map_put(&a, (uint16_t)(late + 1000), late, 7, 0, 96);
    CHECK_EQ_INT(answer(h, &a, 3, (uint16_t)(late + 1000), t), late);
    /* Age: nothing older than max_age (1 s) is resent. */
    CHECK_EQ_INT(answer(h, &b, 2, (uint16_t)(300 - 30000), t + 2000), SY_NACK_E_EXPIRED);
    /* A change of source (switch): A's earlier entries are void, B's are not. */
    sy_sent_map_new_source(&a);
    CHECK_EQ_INT(answer(h, &a, 1, (uint16_t)(last + 1000), t), -100);
    CHECK_EQ_INT(answer(h, &b, 2, (uint16_t)(last - 30000), t), last);
    sy_sent_map_put(&a, (uint16_t)(last + 1001), 42, 0, 1, 96);
    e = sy_sent_map_get(&a, (uint16_t)(last + 1001));
    CHECK(e && e->in_seq == 42 && e->layer == 1);
    /* An epoch that wraps clears the map rather than reviving old entries. */
    a.epoch = UINT32_MAX;
    sy_sent_map_put(&a, 5, 5, 0, 0, 96);
    sy_sent_map_new_source(&a);
    CHECK_EQ_INT(a.epoch, 1);
    CHECK(sy_sent_map_get(&a, 5) == NULL);
    sy_nack_history_free(h);
    {
        /* Dropped layers: the subscriber's seq closes up over them (sy_rtp_rewriter_drop),
         * and its NACKs still find the right publisher packet: a NACK of the seq just
         * before or after a run of drops gets the forwarded neighbour, never a dropped
         * packet; the hole a late drop leaves is answered with nothing. Across the
         * wraparound of the publisher's seq. */
        sy_nack_history *hv = sy_nack_history_new(&hc);
        static sy_sent_map m;
        sy_sent_map_init(&m);
        sy_rtp_rewriter rw;
        sy_rtp_rewriter_init(&rw, 90000);
        uint16_t out_of[64]; /* publisher seq 65520 + i -> subscriber seq, or 0 if dropped */
        uint64_t now = 50000;
        for (int i = 0; i < 40; i++) {
            uint16_t in = (uint16_t)(65520 + i);
            sy_nack_history_put(hv, in, pkt, make_pkt(pkt, in), now);
            out_of[i] = 0;
            if (i % 4 == 1 || i % 4 == 3) { /* an L1T3 pattern with TID 1 and 2 dropped */
                if (i == 27) continue;     /* lost upstream; arrives below, to be dropped */
                sy_rtp_rewriter_drop(&rw, 77, in);
                continue;
            }
            uint16_t so;
            uint32_t to;
            CHECK_EQ_INT(sy_rtp_rewriter_map(&rw, 77, in, 0, now, &so, &to), 0);
            sy_sent_map_put(&m, so, in, to, 0, 96);
            out_of[i] = so;
        }
        /* The forwarded ones are numbered without gaps, but for the one lost upstream. */
        uint16_t prev = out_of[0];
        for (int i = 2; i < 40; i += 2) {
            int step = (uint16_t)(out_of[i] - prev);
            CHECK_EQ_INT(step, i == 28 ? 2 : 1);
            prev = out_of[i];
        }
        /* NACKs of each forwarded seq give back exactly that publisher packet. */
        for (int i = 0; i < 40; i += 2)
            CHECK_EQ_INT(answer(hv, &m, 9, out_of[i], now), (uint16_t)(65520 + i));
        /* The hole left for 27 (it came late and was dropped): nothing to resend. */
        sy_rtp_rewriter_drop(&rw, 77, (uint16_t)(65520 + 27));
        CHECK_EQ_INT(answer(hv, &m, 9, (uint16_t)(out_of[26] + 1), now), -100);
        /* A NACK for a seq never sent yet (after the last) is not answered either. */
        CHECK_EQ_INT(answer(hv, &m, 9, (uint16_t)(out_of[38] + 1), now), -100);
        sy_nack_history_free(hv);
    }
    return CHECK_DONE();
}
