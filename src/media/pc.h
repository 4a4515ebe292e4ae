/*
 * The peer connection of one handle: ICE + DTLS + SRTP and the per-m-line RTP state,
 * living on one media worker. The main thread creates it and hands it descriptions;
 * everything else happens on the worker, which reports back to the main thread.
 *
 * Lifecycle
 *   main:   sy_pc_new -> sy_pc_set_remote (offer or answer) / sy_pc_set_local (the
 *           plugin's SDP; the completed SDP comes back through done()) -> ... ->
 *           sy_pc_close (waits until the worker has stopped every callback).
 *   worker: ICE gathering, checks, DTLS handshake, SRTP, packets to and from the plugin.
 *   Failures on the worker (ICE failed, DTLS alert/timeout, consent lost) close the PC
 *   there and report the hangup reason to the main thread.
 */
#ifndef SY_PC_H
#define SY_PC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "switchyard/plugin.h"

typedef struct sy_pc sy_pc;

/* Callbacks on the main thread. */
typedef struct sy_pc_events {
    /* The completed local SDP (ICE, DTLS, candidates merged) for the jsep of the event
     * the plugin pushed, or NULL with an error text. */
    void (*local_sdp_ready)(sy_plugin_handle *h, json_t *event, char *sdp, const char *error);
    void (*webrtcup)(sy_plugin_handle *h);
    /* The PC is gone; reason is a Janus hangup reason. */
    void (*hangup)(sy_plugin_handle *h, const char *reason);
    /* "media" event: receiving or not on an m-line. */
    void (*media)(sy_plugin_handle *h, const char *mid, bool video, bool receiving);
    /* "slowlink": lost packets in the last second; uplink: the peer loses what we send. */
    void (*slowlink)(sy_plugin_handle *h, int mindex, const char *mid, bool video, bool uplink,
                     uint32_t lost);
    /* full_trickle: one of our candidates ("candidate:..."), or NULL when complete. */
    void (*trickle)(sy_plugin_handle *h, const char *mid, const char *candidate);
} sy_pc_events;

/* Process-wide setup (DTLS certificate, SRTP). Main thread. */
int sy_pc_global_init(const sy_config *cfg, const sy_pc_events *events);
void sy_pc_global_cleanup(void);

/* A new PC on a worker for handle (referenced until the PC is freed). Main thread. */
sy_pc *sy_pc_new(sy_plugin_handle *h);
/* The remote description. is_offer: the peer offered (we answer: DTLS client, ICE
 * controlled); otherwise it answers our offer. Returns 0, or -1 with err filled. */
int sy_pc_set_remote(sy_pc *pc, const char *sdp, bool is_offer, char *err, size_t errlen);
/* Checks a remote description as set_remote would (465 material), without a PC. */
int sy_pc_check_remote(const char *sdp, bool is_offer, char *err, size_t errlen);
/* jsep "rid_order": "lmh" means the client lists simulcast rids low to high (the
 * default, "hml", high to low). Applies to later set_remote calls. Main thread. */
void sy_pc_set_rid_order_lmh(sy_pc *pc, bool lmh);
/* The plugin's anonymous SDP for an event it pushed; the core completes it once
 * gathering is done and calls local_sdp_ready(h, event, sdp). event is stolen.
 * restart: an ICE restart (new local credentials) before the SDP is completed. */
int sy_pc_set_local(sy_pc *pc, const char *sdp, bool is_offer, bool restart, json_t *event);
/* A trickled remote candidate ("candidate:..." or NULL for end-of-candidates). */
void sy_pc_add_remote_candidate(sy_pc *pc, const char *candidate);
/* Closes and releases the PC: after this returns no plugin callback runs for it.
 * reason: sent as "hangup" unless NULL. Main thread. */
void sy_pc_close(sy_pc *pc, const char *reason);
/* handle_info: state, selected pair, SRTP profile, counters (new reference). Main. */
json_t *sy_pc_info(sy_pc *pc);

/* Core API for plugins (worker thread of the PC). */
int sy_pc_relay_rtp(sy_plugin_handle *h, const sy_rtp_packet *pkt);
int sy_pc_resend_rtp(sy_plugin_handle *h, const sy_rtp_packet *pkt);
int sy_pc_relay_rtcp(sy_plugin_handle *h, int mindex, const uint8_t *buf, size_t len);
void sy_pc_send_pli(sy_plugin_handle *h, int mindex);
void sy_pc_send_remb(sy_plugin_handle *h, uint32_t bitrate);
/* Data channels (sctp.c): a message on the channel with this label, opened if needed.
 * 0; -1 (no association, too big); -2 (send buffer full, retry after data_ready). On
 * the PC's worker; from the main thread the message is queued to it (0). */
int sy_pc_relay_data(sy_plugin_handle *h, const char *label, const char *protocol, bool binary,
                     const uint8_t *buf, size_t len);

#endif
