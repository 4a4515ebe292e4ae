/*
 * ICE for one peer connection: a libnice agent (one stream, one component: BUNDLE
 * and rtcp-mux are always on) attached to the owning media worker's GLib context.
 * Created, used and freed on that worker's thread only (sy_worker_*).
 *
 * libnice pitfalls handled here (testing.md): signals connected before gathering
 * (host candidates fire synchronously), upnp and ice-tcp off, loopback added
 * explicitly when configured, nice_agent_attach_recv called, peer gathering-done
 * signalled with trickle, never freed from inside a GLib callback (deferred), and
 * sy_worker_glib_forget_fds before the stream is removed.
 */
#ifndef SY_ICE_H
#define SY_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/netrange.h"
#include <sys/socket.h>

#include "core/workers.h"

typedef struct sy_ice sy_ice;

typedef enum sy_ice_state {
    SY_ICE_NEW,
    SY_ICE_GATHERING,
    SY_ICE_CHECKING,
    SY_ICE_CONNECTED, /* a pair is selected (may still be improving) */
    SY_ICE_FAILED,    /* checks failed or consent lost; sticks until sy_ice_restart */
    SY_ICE_CLOSED,
} sy_ice_state;

typedef struct sy_ice_config {
    bool controlling;        /* true when we sent the offer (full ICE) */
    bool lite;               /* ICE-lite: we never check, always controlled */
    bool shared_port;        /* ICE-lite on the worker's shared sockets (ice_lite.h);
                              * stun_server and consent_freshness are not used */
    const char *const *local_ips; /* addresses to gather on; NULL: all but loopback */
    size_t n_local_ips;
    uint16_t port_min, port_max; /* 0,0: any */
    const char *stun_server; /* "ip:port", "[ipv6]:port" or "ip" (numeric: resolve names at
                              * configuration load; port 3478 by default), or NULL */
    const char *nat_1_1_ip;  /* public address to advertise instead, or NULL */
    /* Remote candidate policy (security.md 6 row 24), the arrays outlive the agent:
     * denied ranges are refused; with allowed ranges, only those are accepted; without,
     * anything but the reserved ranges (sy_netrange_reserved), and loopback only when
     * we gather on a loopback address ourselves. */
    const sy_netrange *allowed;
    size_t n_allowed;
    const sy_netrange *denied;
    size_t n_denied;
    bool consent_freshness;  /* RFC 7675: FAILED when consent is lost (libnice 0.1.21:
                              * 10 s after the last check response; RFC bound 30 s) */
} sy_ice_config;

typedef struct sy_ice_callbacks {
    void *user;
    /* A local candidate, as an SDP attribute value "candidate:..." (no "a="). */
    void (*local_candidate)(void *user, const char *candidate);
    /* Gathering finished (all local candidates were reported). */
    void (*gathering_done)(void *user);
    void (*state_changed)(void *user, sy_ice_state state);
    /* A datagram that is not STUN, from the validated remote address (libnice already
     * filters STUN). buf is valid during the call only. */
    void (*recv)(void *user, uint8_t *buf, size_t len);
} sy_ice_callbacks;

/* NULL on error. */
sy_ice *sy_ice_new(sy_worker *worker, const sy_ice_config *cfg, const sy_ice_callbacks *cb);
/* Stops everything; callbacks never fire after this returns. Safe to call from inside a
 * callback (the agent is released later on the worker's loop). */
void sy_ice_free(sy_ice *ice);
/* Our credentials (valid after sy_ice_new). */
const char *sy_ice_local_ufrag(const sy_ice *ice);
const char *sy_ice_local_pwd(const sy_ice *ice);
/* Starts gathering. Returns 0 or -1. Host candidates are reported before it returns
 * (inside the call), and so is gathering_done when no STUN server is configured. */
int sy_ice_gather(sy_ice *ice);
/* The remote credentials from the SDP. Changing them later is an ICE restart
 * (sy_ice_restart generates new local credentials). */
int sy_ice_set_remote_credentials(sy_ice *ice, const char *ufrag, const char *pwd);
/* New local credentials, remote candidates forgotten; the local candidates (which are
 * kept) and gathering_done are reported again before it returns. */
int sy_ice_restart(sy_ice *ice);
/* A remote candidate "candidate:..." (with or without "a="), after the remote
 * credentials. .local (mDNS) candidates are ignored without any lookup, as are TCP and
 * component-2 candidates (returns 1). Returns 0 if added, negative if invalid or refused
 * (host name, unspecified/multicast/broadcast/link-local address, loopback unless we
 * gather on loopback, more than 64 per ICE session). */
int sy_ice_add_remote_candidate(sy_ice *ice, const char *candidate);
/* No more remote candidates. */
void sy_ice_remote_gathering_done(sy_ice *ice);
/* Sends one datagram on the selected pair. Returns bytes sent or negative. */
int sy_ice_send(sy_ice *ice, const uint8_t *buf, size_t len);
sy_ice_state sy_ice_state_get(const sy_ice *ice);
/* The selected pair as text ("127.0.0.1:5000 <-> 127.0.0.1:6000"), for handle_info. */
int sy_ice_selected_pair(const sy_ice *ice, char *buf, size_t len);

#endif
