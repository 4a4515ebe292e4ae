/*
 * Receiver side of transport-wide congestion control
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01): records when each packet with a
 * transport-wide sequence number arrived, and builds the RTCP feedback packets (RTPFB
 * FMT 15) that tell the sender, on demand.
 *
 * The recorder keeps a ring of arrival times, sized at creation, indexed by the unwrapped
 * sequence number: memory is bounded whatever arrives. Wraparound is handled by
 * unwrapping; duplicates keep their first arrival; a packet that arrives after its range
 * was reported (reordering) moves the next report back to include it, as libwebrtc's
 * RemoteEstimatorProxy does; packets older than the ring are dropped.
 *
 * The caller passes times in (microseconds of any monotonic clock) and decides when to
 * send (every 50-100 ms is usual). Not thread-safe: one recorder per incoming transport,
 * owned by its worker. Nothing allocates after sy_twcc_recorder_new.
 */
#ifndef SY_PROTOCOL_TWCC_H
#define SY_PROTOCOL_TWCC_H

#include <stddef.h>
#include <stdint.h>

typedef struct sy_twcc_recorder sy_twcc_recorder;

/* Results of sy_twcc_recorder_on_packet. */
enum {
    SY_TWCC_RECORDED = 0,
    SY_TWCC_DUPLICATE = 1, /* already recorded: the first arrival time is kept */
    SY_TWCC_E_TOOOLD = -1, /* older than the ring: dropped */
};

/*
 * A recorder remembering the last `window` sequence numbers (a power of two, 64..32768;
 * 0 gives 2048), which bounds how far back a late packet can still be reported and how
 * many statuses a feedback covers. Returns NULL on a bad size or no memory.
 */
sy_twcc_recorder *sy_twcc_recorder_new(uint32_t window);

/* Frees a recorder (NULL is fine). */
void sy_twcc_recorder_free(sy_twcc_recorder *r);

/* Records that transport-wide sequence number seq arrived at arrival_us. */
int sy_twcc_recorder_on_packet(sy_twcc_recorder *r, uint16_t seq, uint64_t arrival_us);

/* Statuses not reported yet (0: building now would produce nothing). */
size_t sy_twcc_recorder_pending(const sy_twcc_recorder *r);

/*
 * Builds one feedback packet (from sender_ssrc about media_ssrc) into out[0..cap) for
 * the statuses not reported yet, from the oldest pending one to the newest received, and
 * marks what it covered as reported. Returns the bytes written, 0 when nothing is
 * pending, or a negative SY_RTCP_E_* error (SY_RTCP_E_NOSPACE: cap too small for even one
 * chunk). One packet may not cover everything (cap reached, an arrival gap over ~8 s, or
 * 65535 statuses): call again until it returns 0. Each packet gets the next feedback
 * packet count.
 */
int sy_twcc_recorder_build(sy_twcc_recorder *r, uint8_t *out, size_t cap, uint32_t sender_ssrc,
                           uint32_t media_ssrc);

/* Forgets everything (e.g. after an ICE restart); the feedback count carries on. */
void sy_twcc_recorder_reset(sy_twcc_recorder *r);

#endif
