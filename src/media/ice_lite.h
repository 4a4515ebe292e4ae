/*
 * ICE-lite on shared sockets (the default; media.shared_ports): every peer connection
 * of a media worker uses the same UDP socket per gathering address, like mediasoup's
 * WebRtcServer. ice.c delegates to this when sy_ice_config.shared_port is set; the
 * contract is the one of ice.h.
 *
 * Per worker (created with the worker's first agent, closed when the worker stops):
 *   sockets   one per gathering address, port rtp_port_min.. (first free) or any
 *   receive   recvmmsg batches; STUN Binding requests are matched by the local ufrag
 *             of USERNAME and authenticated with that agent's ice-pwd (FINGERPRINT and
 *             MESSAGE-INTEGRITY required); anything unknown or unauthenticated is
 *             dropped silently and counted (security.md 6 row 2: never a reply to an
 *             unknown ufrag). A valid request validates its source address for that
 *             agent (ICE-lite: the peer is controlling; USE-CANDIDATE selects the pair)
 *             and gets a success response; every other datagram is routed by its
 *             source address (a hash table) or dropped and counted.
 *   send      datagrams are queued per socket and leave in sendmmsg batches, flushed
 *             before the loop blocks (uv_prepare) and after I/O (uv_check).
 */
#ifndef SY_ICE_LITE_H
#define SY_ICE_LITE_H

#include "media/ice.h"

typedef struct sy_lite sy_lite;

/* On the worker: opens its shared sockets now (otherwise its first agent does). 0 or -1. */
int sy_lite_worker_open(sy_worker *worker, const sy_ice_config *cfg);

sy_lite *sy_lite_new(sy_worker *worker, const sy_ice_config *cfg, const sy_ice_callbacks *cb);
/* Immediate: no callback fires after it returns (safe inside a callback). */
void sy_lite_free(sy_lite *l);
const char *sy_lite_local_ufrag(const sy_lite *l);
const char *sy_lite_local_pwd(const sy_lite *l);
int sy_lite_gather(sy_lite *l);
/* Credentials already checked by ice.c. */
int sy_lite_set_remote_credentials(sy_lite *l, const char *ufrag, const char *pwd);
int sy_lite_restart(sy_lite *l);
/* Screens and counts a remote candidate like ice.c; lite agents never send to them. */
int sy_lite_add_remote_candidate(sy_lite *l, const char *candidate);
int sy_lite_send(sy_lite *l, const uint8_t *buf, size_t len);
sy_ice_state sy_lite_state(const sy_lite *l);
int sy_lite_selected_pair(const sy_lite *l, char *buf, size_t len);

/* Shared with ice.c: the checks every remote candidate line goes through (strip "a=",
 * length, credentials first, syntax and port, mDNS/TCP/RTCP ignored, the per-session
 * cap). 0: go on, *candidate without "a=" and its address in addr; 1: ignored; -1:
 * refused. who: for the log. */
int sy_ice_candidate_precheck(const char **candidate, bool remote_creds, unsigned n_remote,
                              const void *who, char *addr, size_t addr_len);
/* Shared with ice.c: may a peer's address be used (policy of ice.h)? */
bool sy_ice_address_allowed(const struct sockaddr *sa, const sy_netrange *allowed, size_t n_allowed,
                            const sy_netrange *denied, size_t n_denied, bool allow_loopback);

#endif
