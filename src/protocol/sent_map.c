#include "protocol/sent_map.h"

#include <string.h>

void sy_sent_map_init(sy_sent_map *m)
{
    memset(m, 0, sizeof(*m));
    m->epoch = 1;
}

void sy_sent_map_new_source(sy_sent_map *m)
{
    if (++m->epoch == 0) { /* wrapped after 2^32 switches: clear, so no old entry matches */
        memset(m->e, 0, sizeof(m->e));
        m->epoch = 1;
    }
}

sy_sent_entry *sy_sent_map_put(sy_sent_map *m, uint16_t out_seq, uint16_t in_seq, uint32_t out_ts,
                               uint8_t layer, uint8_t pt)
{
    sy_sent_entry *e = &m->e[out_seq % SY_SENT_MAP_SLOTS];
    *e = (sy_sent_entry){.epoch = m->epoch, .out_seq = out_seq, .in_seq = in_seq, .out_ts = out_ts,
                         .layer = layer, .pt = pt};
    return e;
}

const sy_sent_entry *sy_sent_map_get(const sy_sent_map *m, uint16_t out_seq)
{
    const sy_sent_entry *e = &m->e[out_seq % SY_SENT_MAP_SLOTS];
    return e->epoch == m->epoch && e->out_seq == out_seq ? e : NULL;
}
