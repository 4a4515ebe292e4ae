/*
 * NACK generator (receiver side) and retransmission history (sender side). See nack.h.
 */
#include "protocol/nack.h"

#include <stdlib.h>
#include <string.h>

/* ==== receiver side ==== */

/* Missing packets further behind the newest than this are dropped silently (mediasoup's
 * MaxPacketAge). It also keeps the list's span far below 32768, so that sequence
 * distances inside it are unambiguous. */
#define NACK_MAX_AGE_PKTS 10000

enum { ITEM_LIVE = 1, ITEM_SENT = 2 };

typedef struct nack_item {
    uint64_t sent_ms; /* when last NACKed (ITEM_SENT) */
    uint16_t seq;
    uint8_t retries;
    uint8_t flags;
} nack_item;

struct sy_nack_gen {
    sy_nack_gen_config cfg;
    nack_item *items; /* ring of cfg.max_packets, in increasing sequence order from head */
    size_t head;      /* oldest item */
    size_t count;     /* items in the ring, dead ones (recovered, given up) included */
    size_t live;      /* items still missing */
    uint16_t last;    /* newest sequence number seen */
    bool started;
    bool have_bad; /* a packet far behind was seen; bad_seq is what would confirm a restart */
    uint16_t bad_seq;
};

sy_nack_gen *sy_nack_gen_new(const sy_nack_gen_config *cfg)
{
    sy_nack_gen_config c = cfg ? *cfg : (sy_nack_gen_config){0};
    if (c.max_packets == 0) c.max_packets = 1000;
    if (c.max_retries == 0) c.max_retries = 10;
    if (c.default_rtt_ms == 0) c.default_rtt_ms = 100;
    if (c.min_retry_ms == 0) c.min_retry_ms = 5;
    if (c.max_packets > 16384) return NULL;
    sy_nack_gen *g = calloc(1, sizeof(*g));
    if (!g) return NULL;
    g->items = calloc(c.max_packets, sizeof(*g->items));
    if (!g->items) {
        free(g);
        return NULL;
    }
    g->cfg = c;
    return g;
}

void sy_nack_gen_free(sy_nack_gen *g)
{
    if (!g) return;
    free(g->items);
    free(g);
}

void sy_nack_gen_reset(sy_nack_gen *g)
{
    g->head = g->count = g->live = 0;
    g->started = false;
    g->have_bad = false;
}

size_t sy_nack_gen_missing(const sy_nack_gen *g)
{
    return g->live;
}

static nack_item *item_at(sy_nack_gen *g, size_t i)
{
    return &g->items[(g->head + i) % g->cfg.max_packets];
}

static void clear_items(sy_nack_gen *g)
{
    g->head = g->count = g->live = 0;
}

static void pop_front(sy_nack_gen *g)
{
    if (g->items[g->head].flags & ITEM_LIVE) g->live--;
    g->head = (g->head + 1) % g->cfg.max_packets;
    g->count--;
}

static void pop_dead_front(sy_nack_gen *g)
{
    while (g->count && !(g->items[g->head].flags & ITEM_LIVE))
        pop_front(g);
}

/* Moves the live items together at the front of the ring, keeping their order. */
static void compact(sy_nack_gen *g)
{
    size_t w = 0;
    for (size_t i = 0; i < g->count; i++) {
        nack_item *it = item_at(g, i);
        if (!(it->flags & ITEM_LIVE)) continue;
        if (w != i) *item_at(g, w) = *it;
        w++;
    }
    g->count = w;
}

static void push_missing(sy_nack_gen *g, uint16_t seq)
{
    if (g->count == g->cfg.max_packets) compact(g); /* the caller made room among the live */
    nack_item *it = item_at(g, g->count++);
    *it = (nack_item){.seq = seq, .flags = ITEM_LIVE};
    g->live++;
}

/* Marks seq recovered if it is in the list; returns whether it was missing. */
static bool remove_seq(sy_nack_gen *g, uint16_t seq)
{
    if (!g->count) return false;
    uint16_t front = g->items[g->head].seq;
    uint16_t target = (uint16_t)(seq - front);
    if (target >= 0x8000) return false; /* older than the oldest item */
    size_t lo = 0, hi = g->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint16_t k = (uint16_t)(item_at(g, mid)->seq - front);
        if (k < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == g->count) return false;
    nack_item *it = item_at(g, lo);
    if (it->seq != seq || !(it->flags & ITEM_LIVE)) return false;
    it->flags &= (uint8_t)~ITEM_LIVE;
    g->live--;
    pop_dead_front(g);
    return true;
}

/* Drops every item older than seq (a keyframe starts at seq). */
static void drop_before(sy_nack_gen *g, uint16_t seq)
{
    while (g->count && (int16_t)(g->items[g->head].seq - seq) < 0)
        pop_front(g);
}

unsigned sy_nack_gen_on_packet(sy_nack_gen *g, uint16_t seq, bool keyframe, uint64_t now_ms)
{
    (void)now_ms; /* the list is time-free; time matters when NACKs are sent */
    if (!g->started) {
        g->started = true;
        g->last = seq;
        return 0;
    }
    int d = (int16_t)(uint16_t)(seq - g->last);
    if (d == 0) return 0;
    unsigned flags = 0;
    if (d < 0) {
        if (-d > (int)g->cfg.max_packets) {
            /* Far behind: a late straggler, or the source restarted its sequence. Two in
             * a row settle it. */
            if (g->have_bad && seq == g->bad_seq) {
                clear_items(g);
                g->last = seq;
                g->have_bad = false;
                return SY_NACK_GEN_RESET;
            }
            g->have_bad = true;
            g->bad_seq = (uint16_t)(seq + 1);
            return 0;
        }
        g->have_bad = false;
        if (remove_seq(g, seq)) flags |= SY_NACK_GEN_RECOVERED;
        if (keyframe) drop_before(g, seq);
        return flags;
    }

    g->have_bad = false;
    uint32_t gap = (uint32_t)d - 1;
    g->last = seq;
    if (keyframe) {
        clear_items(g); /* everything tracked, and the gap, is before the keyframe */
        return 0;
    }
    while (g->count && (uint16_t)(seq - g->items[g->head].seq) > NACK_MAX_AGE_PKTS)
        pop_front(g);
    if (gap == 0) return 0;
    if (gap > g->cfg.max_packets) {
        clear_items(g);
        return SY_NACK_GEN_KEYFRAME;
    }
    while (g->live + gap > g->cfg.max_packets) {
        pop_dead_front(g);
        pop_front(g); /* the oldest still missing: given up */
        flags |= SY_NACK_GEN_KEYFRAME;
    }
    pop_dead_front(g);
    for (uint32_t i = 1; i <= gap; i++)
        push_missing(g, (uint16_t)(seq - gap - 1 + i));
    return flags | SY_NACK_GEN_MISSING;
}

size_t sy_nack_gen_get(sy_nack_gen *g, uint64_t now_ms, uint32_t rtt_ms, uint16_t *out, size_t max)
{
    uint64_t interval = rtt_ms ? rtt_ms : g->cfg.default_rtt_ms;
    if (interval < g->cfg.min_retry_ms) interval = g->cfg.min_retry_ms;
    size_t n = 0;
    for (size_t i = 0; i < g->count && n < max; i++) {
        nack_item *it = item_at(g, i);
        if (!(it->flags & ITEM_LIVE)) continue;
        if ((it->flags & ITEM_SENT) && (now_ms < it->sent_ms || now_ms - it->sent_ms < interval))
            continue;
        out[n++] = it->seq;
        it->sent_ms = now_ms;
        it->flags |= ITEM_SENT;
        if (++it->retries >= g->cfg.max_retries) {
            it->flags &= (uint8_t)~ITEM_LIVE;
            g->live--;
        }
    }
    pop_dead_front(g);
    return n;
}

/* ==== sender side ==== */

#define HIST_TAGS 4 /* requesters remembered per packet */

typedef struct hist_slot {
    uint64_t put_ms;
    uint16_t seq;
    uint16_t len;
    uint8_t used;
    uint8_t ntags;
    uint32_t tag[HIST_TAGS];    /* requester ids */
    uint32_t tag_ms[HIST_TAGS]; /* when each was served, ms after put_ms */
} hist_slot;

struct sy_nack_history {
    sy_nack_history_config cfg;
    hist_slot *slots;
    uint8_t *slab; /* cfg.slots * cfg.slot_size bytes */
    uint16_t highest;
    bool started;
};

sy_nack_history *sy_nack_history_new(const sy_nack_history_config *cfg)
{
    sy_nack_history_config c = cfg ? *cfg : (sy_nack_history_config){0};
    if (c.slots == 0) c.slots = 1024;
    if (c.slot_size == 0) c.slot_size = 1500;
    if (c.max_age_ms == 0) c.max_age_ms = 1000;
    if (c.min_resend_ms == 0) c.min_resend_ms = 100;
    if (c.slots < 16 || c.slots > 32768 || (c.slots & (c.slots - 1)) || c.slot_size < 12)
        return NULL;
    sy_nack_history *h = calloc(1, sizeof(*h));
    if (!h) return NULL;
    h->slots = calloc(c.slots, sizeof(*h->slots));
    h->slab = malloc((size_t)c.slots * c.slot_size);
    if (!h->slots || !h->slab) {
        sy_nack_history_free(h);
        return NULL;
    }
    h->cfg = c;
    return h;
}

void sy_nack_history_free(sy_nack_history *h)
{
    if (!h) return;
    free(h->slots);
    free(h->slab);
    free(h);
}

void sy_nack_history_reset(sy_nack_history *h)
{
    memset(h->slots, 0, (size_t)h->cfg.slots * sizeof(*h->slots));
    h->started = false;
}

int sy_nack_history_put(sy_nack_history *h, uint16_t seq, const uint8_t *pkt, size_t len,
                        uint64_t now_ms)
{
    if (len > h->cfg.slot_size || (len && !pkt)) return SY_NACK_E_TOOBIG;
    if (!h->started) {
        h->started = true;
        h->highest = seq;
    } else {
        uint16_t behind = (uint16_t)(h->highest - seq);
        if (behind >= 0x8000)
            h->highest = seq; /* newer */
        else if (behind >= h->cfg.slots)
            return SY_NACK_E_TOOOLD;
    }
    size_t idx = seq & (h->cfg.slots - 1);
    hist_slot *s = &h->slots[idx];
    s->put_ms = now_ms;
    s->seq = seq;
    s->len = (uint16_t)len;
    s->used = 1;
    s->ntags = 0;
    if (len) memcpy(h->slab + idx * h->cfg.slot_size, pkt, len);
    return 0;
}

int sy_nack_history_get(sy_nack_history *h, uint16_t seq, uint32_t requester, uint32_t rtt_ms,
                        uint64_t now_ms, const uint8_t **pkt, size_t *len)
{
    if (!h->started) return SY_NACK_E_NOTFOUND;
    if ((uint16_t)(h->highest - seq) >= h->cfg.slots) return SY_NACK_E_NOTFOUND;
    size_t idx = seq & (h->cfg.slots - 1);
    hist_slot *s = &h->slots[idx];
    if (!s->used || s->seq != seq) return SY_NACK_E_NOTFOUND;
    uint64_t age = now_ms > s->put_ms ? now_ms - s->put_ms : 0;
    if (age > h->cfg.max_age_ms) return SY_NACK_E_EXPIRED;
    uint32_t rel = (uint32_t)age; /* <= max_age_ms, so it fits */
    uint32_t interval = rtt_ms > h->cfg.min_resend_ms ? rtt_ms : h->cfg.min_resend_ms;

    int t = -1;
    for (int i = 0; i < s->ntags; i++) {
        if (s->tag[i] != requester) continue;
        if (rel < s->tag_ms[i] || rel - s->tag_ms[i] < interval) return SY_NACK_E_BACKOFF;
        t = i;
        break;
    }
    if (t < 0) {
        if (s->ntags < HIST_TAGS) {
            t = s->ntags++;
        } else {
            t = 0; /* forget the requester served longest ago */
            for (int i = 1; i < HIST_TAGS; i++)
                if (s->tag_ms[i] < s->tag_ms[t]) t = i;
        }
        s->tag[t] = requester;
    }
    s->tag_ms[t] = rel;
    *pkt = h->slab + idx * h->cfg.slot_size;
    *len = s->len;
    return 0;
}
