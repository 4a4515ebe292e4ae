/*
 * Process-wide media-plane counters (security.md section 6 rows 2-8, 24, 25): every
 * drop kind a peer connection counts, summed over all of them (live and gone), plus a
 * few events. Shown by the admin request get_counters; per-PC values are in
 * handle_info's "webrtc" object under the same names.
 *
 * The packet path never touches these: a PC counts in plain fields of its own and
 * adds the difference here from its 50 ms timer and when it stops.
 */
#ifndef SY_MEDIA_COUNTERS_H
#define SY_MEDIA_COUNTERS_H

#include <jansson.h>
#include <stdint.h>

typedef enum sy_media_counter {
    /* Drops counted per PC (pc->drops[]), in this order. */
    SY_MC_DROP_UNKNOWN,   /* first byte outside RFC 7983 ranges; malformed after decryption */
    SY_MC_DROP_EARLY,     /* RTP/RTCP before DTLS-SRTP keys exist */
    SY_MC_DROP_SRTP,      /* SRTP/SRTCP authentication (or other unprotect) failure */
    SY_MC_DROP_REPLAY,    /* SRTP/SRTCP index already seen or too old */
    SY_MC_DROP_UNMATCHED, /* authenticated RTP of an SSRC no m-line takes */
    SY_MC_DROP_OVERSIZE,  /* datagram larger than SY_DEMUX_MAX_DATAGRAM (1500) */
    SY_MC_DROP_DTLS,      /* DTLS record with no DTLS endpoint to take it */
    SY_MC_N_DROPS,
    /* Events, counted here directly (not per packet). */
    SY_MC_CANDIDATES_REFUSED = SY_MC_N_DROPS, /* remote candidates refused by the policy */
    SY_MC_DTLS_FAILED,                        /* handshakes failed / alerts ending a PC */
    SY_MC_CONSENT_LOST,                       /* PCs ended by consent freshness */
    SY_MC_PCS_CREATED,
    SY_MC_PCS_FREED,
    /* The shared media sockets (ice_lite.c), counted before any PC is known. */
    SY_MC_STUN_MALFORMED,     /* STUN-looking datagrams that do not parse, or not requests */
    SY_MC_STUN_UNKNOWN_UFRAG, /* Binding requests for no current local ufrag: never answered */
    SY_MC_STUN_UNAUTH,        /* bad/missing MESSAGE-INTEGRITY or FINGERPRINT, wrong remote ufrag */
    SY_MC_STUN_SOURCE_REFUSED,/* authenticated checks from an address the policy refuses */
    SY_MC_UNKNOWN_SOURCE,     /* non-STUN datagrams from an address no check validated */
    SY_MC_SEND_DROPPED,       /* datagrams the kernel refused to send */
    SY_MC_COUNT
} sy_media_counter;

void sy_media_counters_add(sy_media_counter which, uint64_t n);
uint64_t sy_media_counters_get(sy_media_counter which);
/* "dropped-srtp", ... */
const char *sy_media_counter_name(sy_media_counter which);
/* {"dropped-unknown": n, ..., "peer-connections-live": n} (new reference). */
json_t *sy_media_counters_json(void);

#endif
