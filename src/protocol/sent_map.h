/*
 * What a forwarder sent to one receiver, for answering that receiver's NACKs from a
 * history shared by all receivers of the same source (sy_nack_history keeps the
 * packets once, as received; this keeps only how each was rewritten).
 *
 * A ring of SY_SENT_MAP_SLOTS entries indexed by the outgoing sequence number: each
 * says which incoming packet (layer, sequence number) went out under that number, with
 * the outgoing timestamp, payload type and VP8 descriptor bytes. An entry is valid only
 * for its exact sequence number (a newer one 512 later evicts it) and for the current
 * source mapping: after a change of source (switch) the old entries are void, since
 * their incoming sequence numbers belong to another history. Pure code, no allocation;
 * belongs to the worker that forwards the stream.
 */
#ifndef SY_PROTOCOL_SENT_MAP_H
#define SY_PROTOCOL_SENT_MAP_H

#include <stdbool.h>
#include <stdint.h>

#define SY_SENT_MAP_SLOTS 512 /* a power of two */

typedef struct sy_sent_entry {
    uint32_t epoch; /* the source mapping it belongs to; 0: empty */
    uint16_t out_seq, in_seq;
    uint32_t out_ts;
    uint8_t layer, pt;
    bool marker;    /* the RTP marker as sent (SVC moves it to the top forwarded layer) */
    uint8_t vp8[3]; /* picture id (1 or 2 bytes) and TL0PICIDX as written, if any */
} sy_sent_entry;

typedef struct sy_sent_map {
    uint32_t epoch;
    sy_sent_entry e[SY_SENT_MAP_SLOTS];
} sy_sent_map;

void sy_sent_map_init(sy_sent_map *m);
/* The source changed: every entry recorded so far is void. */
void sy_sent_map_new_source(sy_sent_map *m);
/* Records a packet sent; returns its entry (for the VP8 bytes). */
sy_sent_entry *sy_sent_map_put(sy_sent_map *m, uint16_t out_seq, uint16_t in_seq, uint32_t out_ts,
                               uint8_t layer, uint8_t pt);
/* The entry of out_seq, or NULL if it was never sent, was evicted, or belongs to an
 * earlier source. */
const sy_sent_entry *sy_sent_map_get(const sy_sent_map *m, uint16_t out_seq);

#endif
