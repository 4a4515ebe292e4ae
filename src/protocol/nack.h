/*
 * Retransmission state for RTP streams (RFC 4585 generic NACK), both sides:
 *
 *  - sy_nack_gen, the receiver side, one per incoming (publisher) stream: fed with every
 *    arriving sequence number and the time, it tracks the missing ones in a bounded list
 *    and says which to NACK now, respecting RTT-based spacing and a retry cap (after
 *    mediasoup's NackGenerator: MaxNackPackets 1000, MaxNackRetries 10). Its output feeds
 *    sy_rtcp_build_nack (rtcp_build.h).
 *  - sy_nack_history, the sender side, one per publisher stream shared by all of its
 *    subscribers: a ring of copies of the packets sent, in a slab sized at creation, that
 *    answers NACKs within a max age and with a per-packet, per-requester resend backoff,
 *    so that NACK storms stay bounded.
 *
 * Both are plain state machines: the caller passes time in (milliseconds of any monotonic
 * clock) and gets data back. Memory is allocated only by the _new functions; nothing on
 * the per-packet calls allocates, locks or logs. Neither is thread-safe: each belongs to
 * the worker that owns its stream.
 */
#ifndef SY_PROTOCOL_NACK_H
#define SY_PROTOCOL_NACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- receiver side: which packets to NACK ---- */

typedef struct sy_nack_gen sy_nack_gen;

typedef struct sy_nack_gen_config {
    uint16_t max_packets;    /* missing packets tracked at once, 1..16384 (0: 1000) */
    uint8_t max_retries;     /* NACKs sent for one packet before giving up (0: 10) */
    uint32_t default_rtt_ms; /* retry spacing when the caller's RTT is 0 (0: 100) */
    uint32_t min_retry_ms;   /* floor of the retry spacing (0: 5) */
} sy_nack_gen_config;

/* Flags returned by sy_nack_gen_on_packet. */
enum {
    SY_NACK_GEN_MISSING = 1 << 0,   /* new packets went missing: a NACK is due now */
    SY_NACK_GEN_RECOVERED = 1 << 1, /* this packet was missing (retransmitted or reordered) */
    SY_NACK_GEN_KEYFRAME = 1 << 2,  /* losses were given up on: ask the sender for a keyframe */
    SY_NACK_GEN_RESET = 1 << 3,     /* the sender restarted far behind: tracking restarted */
};

/* A generator with cfg (NULL: all defaults). Returns NULL on a bad config or no memory. */
sy_nack_gen *sy_nack_gen_new(const sy_nack_gen_config *cfg);

/* Frees a generator (NULL is fine). */
void sy_nack_gen_free(sy_nack_gen *g);

/*
 * Records an arriving RTP packet. keyframe: the packet starts a keyframe (its first
 * packet, as the codec's payload descriptor says): everything missing before it is no
 * longer needed and is dropped. Returns a mask of SY_NACK_GEN_* flags (0: in order).
 * - A gap after the highest sequence number adds the numbers in between as missing. If
 *   the list would exceed max_packets, the oldest are dropped (KEYFRAME); a gap larger
 *   than max_packets clears the list and flags KEYFRAME.
 * - An older packet that was missing is removed from the list (RECOVERED). Other old
 *   packets (duplicates, too old) change nothing, except that two consecutive packets far
 *   behind (more than max_packets) restart tracking at them (RESET), as RFC 3550 A.1
 *   does for a source that restarted its sequence.
 */
unsigned sy_nack_gen_on_packet(sy_nack_gen *g, uint16_t seq, bool keyframe, uint64_t now_ms);

/*
 * The sequence numbers to NACK now, oldest first, into out (up to max): those never
 * NACKed, and those last NACKed at least max(rtt_ms or default_rtt_ms, min_retry_ms) ago.
 * Each one returned counts a retry; after max_retries it is dropped from the list. Items
 * left out because out was full stay for the next call. Returns the number written.
 * It walks the whole list (up to max_packets items): call it when on_packet reports
 * SY_NACK_GEN_MISSING and from a timer (every 10-20 ms), not for every packet.
 */
size_t sy_nack_gen_get(sy_nack_gen *g, uint64_t now_ms, uint32_t rtt_ms, uint16_t *out, size_t max);

/* Packets currently tracked as missing. */
size_t sy_nack_gen_missing(const sy_nack_gen *g);

/* Forgets everything (e.g. on an SSRC change): the next packet starts tracking afresh. */
void sy_nack_gen_reset(sy_nack_gen *g);

/* ---- sender side: the packets that may be resent ---- */

typedef struct sy_nack_history sy_nack_history;

typedef struct sy_nack_history_config {
    uint16_t slots;         /* packets kept: a power of two, 16..32768 (0: 1024) */
    uint16_t slot_size;     /* largest packet kept, bytes, >= 12 (0: 1500) */
    uint32_t max_age_ms;    /* older packets are not resent (0: 1000) */
    uint32_t min_resend_ms; /* floor of the per-requester resend spacing (0: 100) */
} sy_nack_history_config;

/* Errors of the history (negative). */
enum {
    SY_NACK_E_NOTFOUND = -1, /* never stored, overwritten, or newer than anything stored */
    SY_NACK_E_EXPIRED = -2,  /* stored but older than max_age_ms */
    SY_NACK_E_BACKOFF = -3,  /* resent to this requester too recently: ignore the NACK */
    SY_NACK_E_TOOBIG = -4,   /* put: the packet is larger than slot_size */
    SY_NACK_E_TOOOLD = -5,   /* put: the sequence number is older than the ring holds */
};

/*
 * A history with cfg (NULL: defaults), allocating slots * slot_size bytes of slab plus a
 * small index. Returns NULL on a bad config or no memory.
 */
sy_nack_history *sy_nack_history_new(const sy_nack_history_config *cfg);

/* Frees a history (NULL is fine). */
void sy_nack_history_free(sy_nack_history *h);

/*
 * Stores a copy of the packet pkt[0..len) sent with sequence number seq at now_ms,
 * replacing whatever held its slot. Packets may be put slightly out of order; one more
 * than `slots` behind the newest is refused (SY_NACK_E_TOOOLD) so it cannot evict a newer
 * packet. Returns 0, SY_NACK_E_TOOBIG or SY_NACK_E_TOOOLD.
 */
int sy_nack_history_put(sy_nack_history *h, uint16_t seq, const uint8_t *pkt, size_t len,
                        uint64_t now_ms);

/*
 * Looks up seq for a resend to `requester` (any id the caller uses per subscriber, e.g.
 * its SSRC). On success returns 0, sets *pkt / *len to the stored copy (owned by the
 * history: valid until the next put; the caller copies it before rewriting it for the
 * subscriber) and records the resend. Refuses with SY_NACK_E_NOTFOUND, SY_NACK_E_EXPIRED,
 * or SY_NACK_E_BACKOFF when this requester got this packet less than
 * max(rtt_ms, min_resend_ms) ago. Each packet remembers its last 4 requesters, so
 * several subscribers missing the same packet are each served, and one subscriber
 * NACKing in a loop gets at most one copy per interval.
 */
int sy_nack_history_get(sy_nack_history *h, uint16_t seq, uint32_t requester, uint32_t rtt_ms,
                        uint64_t now_ms, const uint8_t **pkt, size_t *len);

/* Empties the history (e.g. on an SSRC change). */
void sy_nack_history_reset(sy_nack_history *h);

#endif
