/*
 * Transport-wide cc recorder. See twcc.h.
 *
 * Sequence numbers are unwrapped to int64 around the newest one seen. The ring holds
 * the arrival time of each of the last `window` unwrapped numbers (SY_TWCC_NOT_RECEIVED
 * when none), so slot (ext & mask) belongs to ext for every ext in (highest - window,
 * highest]. next is the first number not reported yet.
 */
#include "protocol/twcc.h"

#include <stdbool.h>
#include <stdlib.h>

#include "protocol/rtcp_build.h"

struct sy_twcc_recorder {
    uint64_t *ring;
    size_t mask;     /* window - 1 */
    int64_t highest; /* newest unwrapped sequence number seen */
    int64_t next;    /* first one not reported yet; > highest when all are */
    bool started;
    uint8_t fb_count;
};

static void clear_ring(sy_twcc_recorder *r)
{
    for (size_t i = 0; i <= r->mask; i++)
        r->ring[i] = SY_TWCC_NOT_RECEIVED;
}

sy_twcc_recorder *sy_twcc_recorder_new(uint32_t window)
{
    if (window == 0) window = 2048;
    if (window < 64 || window > 32768 || (window & (window - 1))) return NULL;
    sy_twcc_recorder *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->ring = malloc(window * sizeof(*r->ring));
    if (!r->ring) {
        free(r);
        return NULL;
    }
    r->mask = window - 1;
    clear_ring(r);
    return r;
}

void sy_twcc_recorder_free(sy_twcc_recorder *r)
{
    if (!r) return;
    free(r->ring);
    free(r);
}

void sy_twcc_recorder_reset(sy_twcc_recorder *r)
{
    clear_ring(r);
    r->started = false;
}

int sy_twcc_recorder_on_packet(sy_twcc_recorder *r, uint16_t seq, uint64_t arrival_us)
{
    if (arrival_us == SY_TWCC_NOT_RECEIVED) arrival_us--; /* keep the marker unambiguous */
    int64_t window = (int64_t)r->mask + 1;
    int64_t ext;
    if (!r->started) {
        r->started = true;
        ext = seq;
        r->highest = ext;
        r->next = ext;
    } else {
        ext = r->highest + (int16_t)(uint16_t)(seq - (uint16_t)r->highest);
        if (ext > r->highest) {
            /* Free the slots of the numbers now in the window: they were not received
             * (yet). A jump of a whole window or more clears them all. */
            int64_t from = r->highest + 1;
            if (ext - from >= window) from = ext - window + 1;
            for (int64_t e = from; e <= ext; e++)
                r->ring[(size_t)e & r->mask] = SY_TWCC_NOT_RECEIVED;
            r->highest = ext;
            /* Numbers that fell out of the window before being reported never will be. */
            if (r->next < ext - window + 1) r->next = ext - window + 1;
        } else if (ext <= r->highest - window) {
            return SY_TWCC_E_TOOOLD;
        }
    }
    uint64_t *slot = &r->ring[(size_t)ext & r->mask];
    if (*slot != SY_TWCC_NOT_RECEIVED) return SY_TWCC_DUPLICATE;
    *slot = arrival_us;
    if (ext < r->next) r->next = ext; /* late: report it (again) from here */
    return SY_TWCC_RECORDED;
}

size_t sy_twcc_recorder_pending(const sy_twcc_recorder *r)
{
    if (!r->started || r->next > r->highest) return 0;
    return (size_t)(r->highest - r->next + 1);
}

int sy_twcc_recorder_build(sy_twcc_recorder *r, uint8_t *out, size_t cap, uint32_t sender_ssrc,
                           uint32_t media_ssrc)
{
    size_t n = sy_twcc_recorder_pending(r);
    if (n == 0) return 0;
    size_t covered = 0;
    int len =
        sy_rtcp_build_twcc_ring(out, cap, sender_ssrc, media_ssrc, r->fb_count, (uint16_t)r->next,
                                r->ring, r->mask, (size_t)r->next & r->mask, n, &covered);
    if (len < 0) return len;
    r->next += (int64_t)covered;
    r->fb_count++;
    return len;
}
