/*
 * Peer connection: the glue between ICE (ice.c), DTLS (dtls.c), SRTP (srtp.c), the
 * pure RTP/SDP code (protocol/) and the plugin. See pc.h for the threading contract.
 *
 * Worker-side packet path (the hot path): ice recv -> RFC 7983 classify -> DTLS to
 * OpenSSL, or SRTP unprotect in place -> RTP header and negotiated extensions parsed
 * once -> m-line found (SSRC table, then mid extension, then payload type) -> plugin.
 * No allocation, lock or log per packet; drops are counted.
 */
#include "media/pc.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "media/pc_internal.h"

#include "api/ids.h"
#include "api/session.h"
#include "core/log.h"
#include "core/netrange.h"
#include "core/workers.h"
#include "media/dtls.h"
#include "media/ice.h"
#include "media/ice_lite.h"
#include "media/sctp.h"
#include "media/srtp.h"
#include "protocol/demux.h"
#include "protocol/keyframe.h"
#include "protocol/nack.h"
#include "protocol/rtcp.h"
#include "protocol/rtcp_build.h"
#include "protocol/rtcp_fb.h"
#include "protocol/twcc.h"
#include "protocol/rtp.h"
#include "protocol/rtp_ext.h"
#include "protocol/sdp.h"
#include "protocol/sdp_extract.h"
#include "protocol/sdp_merge.h"
#include "protocol/sdp_build.h"

const sy_pc_events *pc_events;
const sy_config *pc_config;
/* media.allowed_remote_ranges / denied_remote_ranges, parsed once (global init). */
static sy_netrange allowed_ranges[SY_NETRANGE_MAX], denied_ranges[SY_NETRANGE_MAX];
static size_t n_allowed_ranges, n_denied_ranges;

/* ---- small helpers ---- */

static void worker_free_pc(sy_worker *w, void *arg);
static void pc_unref(sy_pc *pc);

static void main_dispatch(void *arg)
{
    main_call *c = arg;
    sy_pc *pc = c->pc;
    sy_plugin_handle *h = pc->handle;
    bool current = !atomic_load(&h->destroyed) && h->pc == pc;
    switch (c->kind) {
    case 0:
        if (current) {
            h->pc = NULL;
            pc_events->hangup(h, c->reason);
            /* Release on the worker, after any packet callback still holding it. */
            sy_worker_post(pc->worker, worker_free_pc, pc);
        }
        break;
    case 1:
        if (current) pc_events->webrtcup(h);
        break;
    case 2:
        if (current) pc_events->media(h, c->mid, c->video, c->receiving);
        break;
    case 3:
        if (current) {
            pc_events->local_sdp_ready(h, c->event, c->sdp, c->error);
            c->sdp = NULL; /* handed over */
        } else {
            json_decref(c->event);
        }
        break;
    case 4:
        if (current) pc_events->trickle(h, c->mid, c->sdp);
        break;
    case 5:
        if (current) pc_events->slowlink(h, c->mindex, c->mid, c->video, c->receiving, c->lost);
        break;
    }
    free(c->reason);
    free(c->mid);
    free(c->sdp);
    free(c->error);
    free(c);
    pc_unref(pc); /* taken by pc_to_main */
}

void pc_to_main(sy_pc *pc, int kind, main_call *c)
{
    /* A queued call keeps the PC alive: sy_pc_close may release it before the main
     * loop gets to this call. */
    atomic_fetch_add(&pc->refs, 1);
    c->pc = pc;
    c->kind = kind;
    sy_main_post(main_dispatch, c);
}

/* Adds this PC's new drops to the global counters and, at most every
 * PC_DROP_LOG_INTERVAL_US, logs what was dropped since the last summary (rate limited
 * further per call site). Worker thread (or after the worker let go of the PC). */
static void pc_flush_counters(sy_pc *pc, uint64_t now, bool final)
{
    for (int i = 0; i < SY_MC_N_DROPS; i++) {
        if (pc->drops[i] == pc->drops_flushed[i]) continue;
        sy_media_counters_add((sy_media_counter)i, pc->drops[i] - pc->drops_flushed[i]);
        pc->drops_flushed[i] = pc->drops[i];
    }
    if (!final && now - pc->drops_log_at_us < PC_DROP_LOG_INTERVAL_US) return;
    char line[256];
    size_t off = 0;
    for (int i = 0; i < SY_MC_N_DROPS && off < sizeof(line); i++) {
        uint64_t d = pc->drops[i] - pc->drops_logged[i];
        if (!d) continue;
        int w = snprintf(line + off, sizeof(line) - off, " %s=%" PRIu64,
                         sy_media_counter_name((sy_media_counter)i), d);
        if (w > 0) off += (size_t)w;
        pc->drops_logged[i] = pc->drops[i];
    }
    if (!off) return;
    pc->drops_log_at_us = now;
    SY_INFO("Handle %" PRIu64 ": media packets dropped since the last report:%s", pc->handle->id,
            line);
}

/* Stops everything on the worker; no plugin callback for this PC after this. */
static void worker_stop(sy_pc *pc)
{
    if (pc->closed) return;
    pc->closed = true;
    pc_flush_counters(pc, pc_now_us(), true);
    /* First the association (its ABORT still goes out over DTLS): no callback after. */
    sy_sctp_free(pc->sctp);
    pc->sctp = NULL;
    if (pc->ice) sy_ice_free(pc->ice);
    pc->ice = NULL;
    if (pc->dtls) {
        if (sy_dtls_state_get(pc->dtls) == SY_DTLS_CONNECTED) sy_dtls_close(pc->dtls);
        sy_dtls_free(pc->dtls);
    }
    pc->dtls = NULL;
    if (pc->srtp) sy_srtp_free(pc->srtp);
    pc->srtp = NULL;
    if (pc->tick) {
        uv_timer_stop(pc->tick);
        uv_close((uv_handle_t *)pc->tick, (uv_close_cb)free);
        pc->tick = NULL;
    }
}

/* A failure found on the worker: stop, then tell the main thread. */
static void worker_fail(sy_pc *pc, const char *reason)
{
    if (pc->closed) return;
    SY_INFO("Handle %" PRIu64 ": PeerConnection closed on the media worker (%s)", pc->handle->id,
            reason);
    worker_stop(pc);
    main_call *c = calloc(1, sizeof(*c));
    c->reason = strdup(reason);
    pc_to_main(pc, 0, c);
}

/* The last reference: everything loop-bound was closed by worker_stop already, so this
 * may run on the worker or on the main thread. */
static void pc_destroy(sy_pc *pc)
{
    free(pc->early_dtls);
    for (size_t i = 0; i < pc->n_remote_fingerprints; i++) free(pc->remote_fingerprints[i]);
    for (size_t i = 0; i < pc->n_local_candidates; i++) free(pc->local_candidates[i]);
    for (int i = 0; i < pc->n_media; i++) {
        for (int k = 0; k < PC_MAX_SSRCS; k++) sy_nack_gen_free(pc->media[i].rx[k].nack);
        sy_nack_history_free(pc->media[i].history);
    }
    sy_twcc_recorder_free(pc->twcc);
    for (int i = 0; i < SY_MC_N_DROPS; i++)
        sy_media_counters_add((sy_media_counter)i, pc->drops[i] - pc->drops_flushed[i]);
    sy_media_counters_add(SY_MC_PCS_FREED, 1);
    sy_sdp_free(pc->pending_local);
    json_decref(pc->pending_event);
    sy_handle_unref(pc->handle);
    free(pc);
}

static void pc_unref(sy_pc *pc)
{
    if (atomic_fetch_sub(&pc->refs, 1) == 1) pc_destroy(pc);
}

/* The worker's (the life) reference: after this the worker never touches the PC. */
static void worker_free_pc(sy_worker *w, void *arg)
{
    sy_pc *pc = arg;
    worker_stop(pc);
    pc_unref(pc);
}

/* ---- sending ---- */

static void dtls_send(void *user, const uint8_t *data, size_t len)
{
    sy_pc *pc = user;
    if (pc->ice) sy_ice_send(pc->ice, data, len);
}

static void dtls_data(void *user, const uint8_t *data, size_t len)
{
    sy_pc *pc = user;
    if (pc->sctp && !pc->closed) sy_sctp_incoming(pc->sctp, data, len);
}

/* ---- data channels (sctp.c; callbacks on this PC's worker) ---- */

static void sctp_send(void *user, const uint8_t *pkt, size_t len)
{
    sy_pc *pc = user;
    if (pc->dtls && sy_dtls_state_get(pc->dtls) == SY_DTLS_CONNECTED) sy_dtls_send_app(pc->dtls, pkt, len);
}

static void sctp_message(void *user, const char *label, const char *protocol, bool binary,
                         const uint8_t *buf, size_t len)
{
    sy_pc *pc = user;
    sy_plugin_handle *h = pc->handle;
    if (!pc->closed && h->plugin->incoming_data) h->plugin->incoming_data(h, label, protocol, binary, buf, len);
}

static void sctp_ready(void *user)
{
    sy_pc *pc = user;
    sy_plugin_handle *h = pc->handle;
    if (!pc->closed && h->plugin->data_ready) h->plugin->data_ready(h);
}

typedef struct sctp_call {
    sy_sctp_task_fn fn;
    void *arg;
} sctp_call;

static void sctp_call_run(sy_worker *w, void *arg)
{
    sctp_call c = *(sctp_call *)arg;
    free(arg);
    c.fn(c.arg);
}

static int sctp_post(void *ctx, sy_sctp_task_fn fn, void *arg)
{
    sctp_call *c = malloc(sizeof(*c));
    if (!c) return -1;
    c->fn = fn;
    c->arg = arg;
    if (sy_worker_post(ctx, sctp_call_run, c) < 0) {
        free(c);
        return -1;
    }
    return 0;
}

/* Once DTLS is up: the association, if the peer negotiated data channels. */
static void sctp_start(sy_pc *pc)
{
    if (pc->sctp || !pc->sctp_port) return;
    sy_sctp_config sc = {
        .local_port = SY_SCTP_LOCAL_PORT,
        .remote_port = pc->sctp_port,
        .dtls_client = pc->dtls_client,
        .max_message_size = pc->sctp_max_message,
    };
    sy_sctp_callbacks cb = {pc, sctp_send, sctp_message, sctp_ready, sctp_post, pc->worker};
    pc->sctp_thread = uv_thread_self();
    pc->sctp = sy_sctp_new(&sc, &cb);
    if (!pc->sctp) SY_WARN("Handle %" PRIu64 ": no SCTP association (data channels off)", pc->handle->id);
}

static void dtls_check(sy_pc *pc, sy_dtls_state st)
{
    if (st == SY_DTLS_FAILED) {
        if (!pc->closed) sy_media_counters_add(SY_MC_DTLS_FAILED, 1);
        worker_fail(pc, sy_dtls_failure_reason(pc->dtls));
        return;
    }
    if (st == SY_DTLS_CLOSED) {
        worker_fail(pc, "DTLS alert");
        return;
    }
    if (st != SY_DTLS_CONNECTED || pc->webrtc_up) return;
    const sy_srtp_keys *keys = sy_dtls_srtp_keys(pc->dtls);
    pc->srtp = keys ? sy_srtp_new(keys) : NULL;
    if (!pc->srtp) {
        worker_fail(pc, "DTLS-SRTP stack error");
        return;
    }
    snprintf(pc->srtp_profile, sizeof(pc->srtp_profile), "%s", sy_srtp_profile_name(keys->profile));
    pc->webrtc_up = true;
    pc->last_auth_rx_us = pc_now_us();
    SY_VERB("Handle %" PRIu64 ": WebRTC up (%s)", pc->handle->id, pc->srtp_profile);
    pc_to_main(pc, 1, calloc(1, sizeof(main_call)));
    sy_plugin_handle *h = pc->handle;
    if (h->plugin->setup_media) h->plugin->setup_media(h);
    if (!pc->closed) sctp_start(pc);
}

static bool ensure_dtls(sy_pc *pc);

static void ice_recv(void *user, uint8_t *buf, size_t len)
{
    sy_pc *pc = user;
    if (pc->closed) return;
    switch (sy_demux_classify(buf, len)) {
    case SY_PKT_DTLS:
        /* As DTLS server, a ClientHello may come on a peer-reflexive pair before ICE
         * reports it connected (testing.md 10): ice.c only hands us data from an
         * address that passed a connectivity check. */
        if (!pc->dtls && !pc->have_remote && buf[0] == 22 && len <= SY_DEMUX_MAX_DATAGRAM) {
            /* We offered and the answer is still on its way: Chromium's ClientHello
             * often overtakes it. Keep the latest one instead of making the peer wait
             * for its 1 s retransmission. */
            if (!pc->early_dtls) pc->early_dtls = malloc(SY_DEMUX_MAX_DATAGRAM);
            if (pc->early_dtls) {
                memcpy(pc->early_dtls, buf, len);
                pc->early_dtls_len = len;
                break;
            }
        }
        if (!pc->dtls && (!pc->have_remote || pc->dtls_client || !ensure_dtls(pc))) {
            pc->drops[SY_MC_DROP_DTLS]++;
            break;
        }
        dtls_check(pc, sy_dtls_incoming(pc->dtls, buf, len));
        /* DTLS records (SCTP data later) count as signs of life for consent too. */
        if (pc->webrtc_up && !pc->closed) pc->last_auth_rx_us = pc_now_us();
        break;
    case SY_PKT_RTP: pc_on_rtp(pc, buf, len); break;
    case SY_PKT_RTCP: pc_on_rtcp(pc, buf, len); break;
    default:
        pc->drops[len > SY_DEMUX_MAX_DATAGRAM ? SY_MC_DROP_OVERSIZE : SY_MC_DROP_UNKNOWN]++;
        break;
    }
}

/* ---- ICE callbacks ---- */

static void build_local_sdp(sy_pc *pc);

static void trickle_to_main(sy_pc *pc, const char *candidate)
{
    main_call *c = calloc(1, sizeof(*c));
    c->mid = strdup(pc->first_mid);
    c->sdp = candidate ? strdup(candidate) : NULL;
    pc_to_main(pc, 4, c);
}

static void clear_local_candidates(sy_pc *pc)
{
    for (size_t i = 0; i < pc->n_local_candidates; i++) free(pc->local_candidates[i]);
    pc->n_local_candidates = 0;
}

static void ice_candidate(void *user, const char *candidate)
{
    sy_pc *pc = user;
    if (pc->n_local_candidates < PC_MAX_CANDIDATES)
        pc->local_candidates[pc->n_local_candidates++] = strdup(candidate);
    if (pc_config->full_trickle && pc->local_sent) trickle_to_main(pc, candidate);
}

static void ice_gathered(void *user)
{
    sy_pc *pc = user;
    pc->gathered = true;
    if (pc_config->full_trickle && pc->local_sent) trickle_to_main(pc, NULL);
    if (pc->pending_local) build_local_sdp(pc);
}

/* Creates the DTLS endpoint for our role (once). */
static bool ensure_dtls(sy_pc *pc)
{
    if (pc->dtls) return true;
    const char *fps[SY_SDP_MAX_FINGERPRINTS];
    for (size_t i = 0; i < pc->n_remote_fingerprints; i++) fps[i] = pc->remote_fingerprints[i];
    pc->dtls = sy_dtls_new(pc->dtls_client ? SY_DTLS_CLIENT : SY_DTLS_SERVER, fps,
                           pc->n_remote_fingerprints, dtls_send, dtls_data, pc);
    if (!pc->dtls) {
        worker_fail(pc, "DTLS error");
        return false;
    }
    return true;
}

static void ice_state(void *user, sy_ice_state st)
{
    sy_pc *pc = user;
    pc->ice_state = st;
    if (st == SY_ICE_FAILED) {
        worker_fail(pc, "ICE failed");
        return;
    }
    if (st == SY_ICE_CONNECTED) {
        sy_ice_selected_pair(pc->ice, pc->selected_pair, sizeof(pc->selected_pair));
        /* An ICE-lite server connects on the peer's first check, which may overtake
         * the answer with the fingerprints: DTLS waits for it (worker_set_remote). */
        if (!pc->have_remote) return;
        bool fresh = !pc->dtls;
        if (ensure_dtls(pc) && fresh && pc->dtls_client) sy_dtls_start(pc->dtls);
    }
}

static void tick(uv_timer_t *t)
{
    sy_pc *pc = t->data;
    if (pc->closed) return;
    pc_flush_counters(pc, pc_now_us(), false);
    if (pc->dtls && !pc->webrtc_up) {
        int64_t ms = sy_dtls_timeout_ms(pc->dtls);
        if (ms == 0) dtls_check(pc, sy_dtls_handle_timeout(pc->dtls));
        if (pc->closed) return;
    }
    if (!pc->webrtc_up) return;
    uint64_t now = pc_now_us();
    pc->ticks++;
    /* Consent (RFC 7675): a peer that sent nothing authenticated for 30 s has withdrawn
     * it (browsers send RTCP every few seconds while a call is up). libnice's own
     * consent check gives up after 10 s, so it is off and this one counts. */
    if (pc_config->ice_consent_freshness && pc->last_auth_rx_us &&
        now - pc->last_auth_rx_us > PC_CONSENT_TIMEOUT_US) {
        SY_INFO("Handle %" PRIu64 ": consent lost (nothing authenticated for 30 s)", pc->handle->id);
        sy_media_counters_add(SY_MC_CONSENT_LOST, 1);
        worker_fail(pc, "ICE failed");
        return;
    }
    uint64_t limit = (uint64_t)(pc_config->no_media_timer > 0 ? pc_config->no_media_timer : 1) * 1000000;
    for (int i = 0; i < pc->n_media; i++) {
        pc_media *m = &pc->media[i];
        if (m->receiving && now - m->last_rx_us > limit) pc_report_media(pc, m, false);
        if (m->pli_pending && now - m->last_pli_us >= PC_PLI_INTERVAL_US) pc_send_pli_now(pc, m);
        for (int k = 0; k < PC_MAX_SSRCS; k++)
            if (m->rx[k].nack && sy_nack_gen_missing(m->rx[k].nack)) pc_send_nacks(pc, m, k, now);
    }
    if (pc->twcc && pc->ticks % PC_TWCC_TICKS == 0) pc_send_twcc(pc);
    if (pc->ticks % PC_REPORT_TICKS == 0) {
        pc_send_reports(pc, now);
        pc_check_slowlink(pc, now);
    }
}

/* Addresses to gather on: configured, else every non-loopback IPv4, else 127.0.0.1. */
static size_t gather_ips(char ips[][64], size_t max)
{
    size_t n = 0;
    if (pc_config->ice_ips && *pc_config->ice_ips) {
        char *copy = strdup(pc_config->ice_ips), *save = NULL;
        for (char *tok = strtok_r(copy, ", ", &save); tok && n < max; tok = strtok_r(NULL, ", ", &save))
            snprintf(ips[n++], 64, "%s", tok);
        free(copy);
        return n;
    }
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs) == 0) {
        for (struct ifaddrs *i = ifs; i && n < max; i = i->ifa_next) {
            if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
            if ((i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP)) continue;
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, ips[n], 64);
            n++;
        }
        freeifaddrs(ifs);
    }
    if (n == 0) snprintf(ips[n++], 64, "127.0.0.1");
    return n;
}

/* The ICE settings from the configuration; ips/ipp are the caller's storage. */
static void ice_config_for(sy_ice_config *ic, bool controlling, char ips[][64], const char **ipp)
{
    size_t n = gather_ips(ips, 8);
    for (size_t i = 0; i < n; i++) ipp[i] = ips[i];
    *ic = (sy_ice_config){
        .controlling = controlling && !pc_config->ice_lite && !pc_config->shared_ports,
        .lite = pc_config->ice_lite || pc_config->shared_ports,
        .shared_port = pc_config->shared_ports,
        .local_ips = ipp,
        .n_local_ips = n,
        .port_min = (uint16_t)pc_config->rtp_port_min,
        .port_max = (uint16_t)pc_config->rtp_port_max,
        .stun_server = pc_config->stun_server,
        .nat_1_1_ip = pc_config->nat_1_1_mapping,
        .allowed = allowed_ranges,
        .n_allowed = n_allowed_ranges,
        .denied = denied_ranges,
        .n_denied = n_denied_ranges,
        .consent_freshness = false, /* see PC_CONSENT_TIMEOUT_US */
    };
}

static int ensure_ice(sy_pc *pc, bool controlling)
{
    if (pc->ice) return 0;
    char ips[8][64];
    const char *ipp[8];
    sy_ice_config ic;
    ice_config_for(&ic, controlling, ips, ipp);
    sy_ice_callbacks cb = {pc, ice_candidate, ice_gathered, ice_state, ice_recv};
    pc->controlling = ic.controlling;
    pc->ice = sy_ice_new(pc->worker, &ic, &cb);
    if (!pc->ice) return -1;
    pc->tick = calloc(1, sizeof(*pc->tick));
    uv_timer_init(sy_worker_loop(pc->worker), pc->tick);
    pc->tick->data = pc;
    uv_timer_start(pc->tick, tick, PC_TICK_MS, PC_TICK_MS);
    return sy_ice_gather(pc->ice);
}

/* ---- descriptions ---- */

/* New local credentials; candidates are reported again inside sy_ice_restart. */
static void ice_restart(sy_pc *pc)
{
    clear_local_candidates(pc);
    pc->gathered = false;
    pc->local_sent = false;
    if (sy_ice_restart(pc->ice) < 0) worker_fail(pc, "ICE failed");
}

typedef struct remote_task {
    sy_pc *pc;
    sy_sdp_info info;
    bool is_offer;
    bool rid_lmh;
} remote_task;

static pc_media *media_for(sy_pc *pc, const sy_sdp_media_info *mi, int mindex)
{
    pc_media *m = pc_media_at(pc, mindex);
    if (m || pc->n_media >= PC_MAX_MEDIA) return m;
    m = &pc->media[pc->n_media++];
    memset(m, 0, sizeof(*m));
    m->mindex = mindex;
    for (int i = 0; i < 128; i++) m->rtx_apt[i] = -1;
    snprintf(m->mid, sizeof(m->mid), "%s", mi->mid);
    m->video = mi->type == SY_SDP_VIDEO;
    m->is_data = mi->type == SY_SDP_APPLICATION;
    return m;
}

static void worker_set_remote(sy_worker *w, void *arg)
{
    remote_task *t = arg;
    sy_pc *pc = t->pc;
    if (pc->closed) goto done;
    const sy_sdp_media_info *tag = NULL;
    for (size_t i = 0; i < t->info.n_media; i++)
        if (!t->info.media[i].rejected) {
            tag = &t->info.media[i];
            break;
        }
    if (!tag) goto done;
    if (ensure_ice(pc, !t->is_offer) < 0) {
        worker_fail(pc, "ICE gathering error");
        goto done;
    }
    /* New remote credentials on a live connection: the client restarts ICE. */
    if (pc->have_remote && pc->remote_ufrag[0] && strcmp(pc->remote_ufrag, tag->ice_ufrag) != 0) {
        SY_VERB("Handle %" PRIu64 ": ICE restart (client offer)", pc->handle->id);
        ice_restart(pc);
        if (pc->closed) goto done;
    }
    snprintf(pc->remote_ufrag, sizeof(pc->remote_ufrag), "%s", tag->ice_ufrag);
    pc->remote_setup = tag->setup;
    /* Answering an actpass offer we take the DTLS server role (a=setup:passive) unless
     * configured otherwise: the server picks the SRTP profile, and ours prefers
     * AEAD_AES_128_GCM (browsers as servers pick AES_CM_128_HMAC_SHA1_80, ~5x dearer).
     * DTLS is only accepted from the ICE-validated address either way. */
    if (pc->dtls) {
        /* A renegotiation keeps the DTLS association and its roles (RFC 8842 5.5). */
    } else if (t->is_offer) {
        pc->dtls_client = tag->setup == SY_SDP_SETUP_PASSIVE ||
                          (tag->setup == SY_SDP_SETUP_ACTPASS && pc_config->dtls_answer_active);
    } else {
        pc->dtls_client = tag->setup == SY_SDP_SETUP_PASSIVE;
    }
    for (size_t i = 0; i < pc->n_remote_fingerprints; i++) free(pc->remote_fingerprints[i]);
    pc->n_remote_fingerprints = 0;
    for (size_t i = 0; i < tag->n_fingerprints && i < SY_SDP_MAX_FINGERPRINTS; i++) {
        char fp[SY_SDP_FP_MAX + 32];
        snprintf(fp, sizeof(fp), "%s %s", tag->fingerprints[i].hash, tag->fingerprints[i].value);
        pc->remote_fingerprints[pc->n_remote_fingerprints++] = strdup(fp);
    }
    sy_ice_set_remote_credentials(pc->ice, tag->ice_ufrag, tag->ice_pwd);
    memset(&pc->ext, 0, sizeof(pc->ext));
    for (size_t i = 0; i < t->info.n_media; i++) {
        const sy_sdp_media_info *mi = &t->info.media[i];
        if (mi->rejected) continue;
        pc_media *m = media_for(pc, mi, (int)i);
        if (!m) continue;
        if (!pc->ext.mid) pc->ext.mid = mi->ext[SY_SDP_EXT_MID];
        if (!pc->ext.rid) pc->ext.rid = mi->ext[SY_SDP_EXT_RID];
        if (!pc->ext.rrid) pc->ext.rrid = mi->ext[SY_SDP_EXT_REPAIRED_RID];
        if (!pc->ext.audio_level) pc->ext.audio_level = mi->ext[SY_SDP_EXT_AUDIO_LEVEL];
        if (!pc->ext.abs_send_time) pc->ext.abs_send_time = mi->ext[SY_SDP_EXT_ABS_SEND_TIME];
        if (!pc->ext.twcc) pc->ext.twcc = mi->ext[SY_SDP_EXT_TRANSPORT_CC];
        if (!pc->ext.video_orientation)
            pc->ext.video_orientation = mi->ext[SY_SDP_EXT_VIDEO_ORIENTATION];
        if (!pc->ext.playout_delay) pc->ext.playout_delay = mi->ext[SY_SDP_EXT_PLAYOUT_DELAY];
        if (!pc->ext.dependency_descriptor)
            pc->ext.dependency_descriptor = mi->ext[SY_SDP_EXT_DEPENDENCY_DESCRIPTOR];
        for (size_t p = 0; p < mi->n_pts; p++) {
            const sy_sdp_pt_info *pi = &mi->pts[p];
            if (pi->pt >= 128) continue;
            if (pi->apt >= 0) m->rtx_apt[pi->pt] = pi->apt;
            m->codec_of_pt[pi->pt] = pi->codec == SY_CODEC_VP8    ? SY_VIDEO_VP8
                                     : pi->codec == SY_CODEC_VP9  ? SY_VIDEO_VP9
                                     : pi->codec == SY_CODEC_H264 ? SY_VIDEO_H264
                                     : pi->codec == SY_CODEC_AV1  ? SY_VIDEO_AV1
                                                                  : SY_VIDEO_NONE;
        }
        /* We offered RTX: keep it only for the payload types whose RTX the answer kept
         * (an answer without RTX gets plain retransmissions on the media SSRC). */
        if (!t->is_offer)
            for (int a = 0; a < 128; a++) {
                uint8_t rp = m->local_rtx_pt[a];
                if (rp && m->rtx_apt[rp & 0x7F] != a) m->local_rtx_pt[a] = 0;
            }
        if (m->is_data && mi->sctp_port && !pc->sctp) {
            pc->sctp_port = mi->sctp_port;
            pc->sctp_max_message = mi->max_message_size ? mi->max_message_size : SY_SCTP_DEFAULT_MAX_MESSAGE;
        }
        /* Signaled SSRCs: simulcast layers in order, else the primary. */
        if (mi->n_sim > 0) {
            for (size_t k = 0; k < mi->n_sim && k < PC_MAX_SSRCS; k++) {
                m->remote_ssrc[k] = mi->sim[k].ssrc;
                m->rx[k].rtx_ssrc = mi->sim[k].rtx_ssrc;
            }
        } else if (mi->ssrc) {
            m->remote_ssrc[0] = mi->ssrc;
            m->rx[0].rtx_ssrc = mi->rtx_ssrc;
        }
        m->n_rids = 0;
        m->rid_lmh = t->rid_lmh;
        if (mi->has_simulcast || mi->n_rids > 0)
            for (size_t r = 0; r < mi->n_rids && m->n_rids < 3; r++)
                if (mi->rids[r].send) snprintf(m->rids[m->n_rids++], SY_SDP_RID_MAX + 1, "%s", mi->rids[r].id);
        for (size_t c = 0; c < mi->n_candidates; c++) {
            char line[600];
            const sy_sdp_candidate *cd = &mi->candidates[c];
            if (strcmp(cd->transport, "udp") != 0) continue;
            snprintf(line, sizeof(line), "candidate:%s %u %s %u %s %u typ %s", cd->foundation,
                     cd->component, cd->transport, cd->priority, cd->address, cd->port,
                     sy_sdp_cand_type_name(cd->type));
            sy_ice_add_remote_candidate(pc->ice, line);
        }
        if (mi->end_of_candidates) sy_ice_remote_gathering_done(pc->ice);
    }
    if (pc->ext.twcc && !pc->twcc) pc->twcc = sy_twcc_recorder_new(0);
    pc->have_remote = true;
    if (pc->early_dtls_len && !pc->dtls && !pc->dtls_client && !pc->closed && ensure_dtls(pc))
        dtls_check(pc, sy_dtls_incoming(pc->dtls, pc->early_dtls, pc->early_dtls_len));
    free(pc->early_dtls);
    pc->early_dtls = NULL;
    pc->early_dtls_len = 0;
    /* ICE connected before the description arrived (see ice_state). */
    if (!pc->dtls && !pc->closed && pc->ice_state == SY_ICE_CONNECTED && ensure_dtls(pc) &&
        pc->dtls_client)
        sy_dtls_start(pc->dtls);
    /* A renegotiation that adds data channels to a connection already up. */
    if (pc->webrtc_up && !pc->closed) sctp_start(pc);
done:
    sy_sdp_info_free(&t->info);
    free(t);
}

typedef struct local_task {
    sy_pc *pc;
    sy_sdp *sdp;
    bool is_offer;
    bool restart;
    json_t *event;
} local_task;

static void build_local_sdp(sy_pc *pc)
{
    sy_sdp *sdp = pc->pending_local;
    json_t *event = pc->pending_event;
    pc->pending_local = NULL;
    pc->pending_event = NULL;
    char err[256] = "";
    sy_sdp_merge_opts mo = {
        .is_offer = pc->pending_offer,
        .answer_setup = pc->dtls_client ? SY_SDP_SETUP_ACTIVE : SY_SDP_SETUP_PASSIVE,
        .ice_ufrag = sy_ice_local_ufrag(pc->ice),
        .ice_pwd = sy_ice_local_pwd(pc->ice),
        .ice_lite = pc_config->ice_lite || pc_config->shared_ports,
        .fingerprint = sy_dtls_local_fingerprint(),
        .candidates = pc_config->full_trickle ? NULL : (const char *const *)pc->local_candidates,
        .n_candidates = pc_config->full_trickle ? 0 : pc->n_local_candidates,
        .trickle_more = pc_config->full_trickle,
    };
    main_call *c = calloc(1, sizeof(*c));
    c->event = event;
    if (sy_sdp_merge(sdp, &mo, err, sizeof(err)) == 0) {
        size_t len = 0;
        c->sdp = sy_sdp_write(sdp, &len);
    } else {
        c->error = strdup(err);
    }
    for (size_t i = 0; i < sdp->n_media && !pc->first_mid[0]; i++) {
        const char *mid = sy_sdp_attr_value(&sdp->media[i].sec, "mid");
        if (mid && sdp->media[i].port) snprintf(pc->first_mid, sizeof(pc->first_mid), "%s", mid);
    }
    sy_sdp_free(sdp);
    pc_to_main(pc, 3, c);
    if (pc_config->full_trickle) {
        /* The SDP goes first (to_main is FIFO), then every candidate we have. */
        for (size_t i = 0; i < pc->n_local_candidates; i++) trickle_to_main(pc, pc->local_candidates[i]);
        if (pc->gathered) trickle_to_main(pc, NULL);
    }
    pc->local_sent = true;
}

static void worker_set_local(sy_worker *w, void *arg)
{
    local_task *t = arg;
    sy_pc *pc = t->pc;
    if (pc->closed) {
        sy_sdp_free(t->sdp);
        json_decref(t->event);
        free(t);
        return;
    }
    if (ensure_ice(pc, t->is_offer) < 0) {
        worker_fail(pc, "ICE gathering error");
        sy_sdp_free(t->sdp);
        json_decref(t->event);
        free(t);
        return;
    }
    if (t->is_offer && !pc->srtp) pc->dtls_client = false; /* actpass: the answer decides */
    if (t->restart && pc->have_remote) {
        SY_VERB("Handle %" PRIu64 ": ICE restart (server offer)", pc->handle->id);
        ice_restart(pc);
        if (pc->closed) {
            sy_sdp_free(t->sdp);
            json_decref(t->event);
            free(t);
            return;
        }
    }
    /* Our SSRC per sending m-line, announced in the SDP. */
    sy_sdp_info info;
    char err[128];
    if (sy_sdp_extract(t->sdp, &info, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < info.n_media; i++) {
            const sy_sdp_media_info *mi = &info.media[i];
            if (mi->rejected || mi->type == SY_SDP_APPLICATION) continue;
            pc_media *m = media_for(pc, mi, (int)i);
            if (!m) continue;
            if (!m->local_ssrc) m->local_ssrc = mi->ssrc ? mi->ssrc : (uint32_t)sy_random_id();
            bool rtx = false;
            for (size_t p = 0; p < mi->n_pts; p++) {
                const sy_sdp_pt_info *pi = &mi->pts[p];
                if (pi->apt >= 0 && pi->apt < 128 && pi->pt < 128) {
                    m->local_rtx_pt[pi->apt] = pi->pt;
                    rtx = true;
                }
            }
            const sy_sdp_pt_info *codec = sy_sdp_media_info_codec(mi);
            m->clock_rate = codec && codec->clock_rate ? codec->clock_rate : (m->video ? 90000 : 48000);
            if (rtx && !m->local_rtx_ssrc)
                m->local_rtx_ssrc = mi->rtx_ssrc ? mi->rtx_ssrc : (uint32_t)sy_random_id();
            /* A plugin that answers NACKs itself keeps the packets (shared per source). */
            if (m->video && !m->history && !pc->handle->plugin->incoming_nack)
                m->history = sy_nack_history_new(NULL);
            if (!mi->ssrc && sy_sdp_direction_sends(mi->direction)) {
                char track[48];
                snprintf(track, sizeof(track), "%s%s", m->video ? "video" : "audio", m->mid);
                sy_sdp_media_add_stream(t->sdp, &t->sdp->media[i], m->local_ssrc, m->local_rtx_ssrc,
                                        "switchyard", "switchyard", track);
            }
        }
        sy_sdp_info_free(&info);
    }
    sy_sdp_free(pc->pending_local);
    json_decref(pc->pending_event);
    pc->pending_local = t->sdp;
    pc->pending_event = t->event;
    pc->pending_offer = t->is_offer;
    free(t);
    if (pc->gathered) build_local_sdp(pc);
}

/* ---- main-thread API ---- */

sy_pc *sy_pc_new(sy_plugin_handle *h)
{
    sy_pc *pc = calloc(1, sizeof(*pc));
    atomic_init(&pc->refs, 1);
    sy_handle_ref(h);
    pc->handle = h;
    pc->worker = h->worker_hint >= 0 ? sy_worker_get(h->worker_hint) : sy_worker_least_loaded();
    if (!pc->worker) {
        sy_handle_unref(h);
        free(pc);
        return NULL;
    }
    sy_worker_assign(pc->worker, 1);
    sy_media_counters_add(SY_MC_PCS_CREATED, 1);
    h->pc = pc;
    return pc;
}

int sy_pc_check_remote(const char *text, bool is_offer, char *err, size_t errlen)
{
    sy_sdp *sdp = NULL;
    sy_sdp_info info;
    if (sy_sdp_parse(text, strlen(text), &sdp, err, errlen) < 0) return -1;
    int rc = sy_sdp_extract(sdp, &info, err, errlen);
    sy_sdp_free(sdp);
    if (rc < 0) return -1;
    rc = sy_sdp_info_check(&info, is_offer, err, errlen);
    sy_sdp_info_free(&info);
    return rc < 0 ? -1 : 0;
}

int sy_pc_set_remote(sy_pc *pc, const char *text, bool is_offer, char *err, size_t errlen)
{
    sy_sdp *sdp = NULL;
    if (sy_sdp_parse(text, strlen(text), &sdp, err, errlen) < 0) return -1;
    remote_task *t = calloc(1, sizeof(*t));
    int rc = sy_sdp_extract(sdp, &t->info, err, errlen);
    if (rc == 0) rc = sy_sdp_info_check(&t->info, is_offer, err, errlen);
    sy_sdp_free(sdp);
    if (rc < 0) {
        sy_sdp_info_free(&t->info);
        free(t);
        return -1;
    }
    t->pc = pc;
    t->is_offer = is_offer;
    t->rid_lmh = pc->rid_lmh_main;
    if (sy_worker_post(pc->worker, worker_set_remote, t) < 0) {
        sy_sdp_info_free(&t->info);
        free(t);
        snprintf(err, errlen, "media worker unavailable");
        return -1;
    }
    return 0;
}

int sy_pc_set_local(sy_pc *pc, const char *text, bool is_offer, bool restart, json_t *event)
{
    char err[256];
    sy_sdp *sdp = NULL;
    if (sy_sdp_parse(text, strlen(text), &sdp, err, sizeof(err)) < 0) {
        SY_WARN("Handle %" PRIu64 ": the plugin's SDP does not parse: %s", pc->handle->id, err);
        json_decref(event);
        return -1;
    }
    local_task *t = calloc(1, sizeof(*t));
    t->pc = pc;
    t->sdp = sdp;
    t->is_offer = is_offer;
    t->restart = restart;
    t->event = event;
    if (sy_worker_post(pc->worker, worker_set_local, t) < 0) {
        sy_sdp_free(sdp);
        json_decref(event);
        free(t);
        return -1;
    }
    return 0;
}

typedef struct cand_task {
    sy_pc *pc;
    char *candidate;
} cand_task;

static void worker_add_candidate(sy_worker *w, void *arg)
{
    cand_task *t = arg;
    if (!t->pc->closed && t->pc->ice) {
        if (t->candidate) sy_ice_add_remote_candidate(t->pc->ice, t->candidate);
        else sy_ice_remote_gathering_done(t->pc->ice);
    }
    free(t->candidate);
    free(t);
}

void sy_pc_add_remote_candidate(sy_pc *pc, const char *candidate)
{
    cand_task *t = calloc(1, sizeof(*t));
    t->pc = pc;
    t->candidate = candidate ? strdup(candidate) : NULL;
    if (sy_worker_post(pc->worker, worker_add_candidate, t) < 0) {
        free(t->candidate);
        free(t);
    }
}

typedef struct close_sync {
    uv_mutex_t lock;
    uv_cond_t cond;
    bool done, was_up;
    sy_pc *pc;
} close_sync;

static void worker_close(sy_worker *w, void *arg)
{
    close_sync *cs = arg;
    sy_pc *pc = cs->pc;
    bool was_open = !pc->closed;
    worker_stop(pc);
    uv_mutex_lock(&cs->lock);
    cs->was_up = was_open;
    cs->done = true;
    uv_cond_signal(&cs->cond);
    uv_mutex_unlock(&cs->lock);
}

void sy_pc_close(sy_pc *pc, const char *reason)
{
    sy_plugin_handle *h = pc->handle;
    if (h->pc == pc) h->pc = NULL;
    close_sync cs = {.pc = pc};
    uv_mutex_init(&cs.lock);
    uv_cond_init(&cs.cond);
    if (sy_worker_post(pc->worker, worker_close, &cs) == 0) {
        uv_mutex_lock(&cs.lock);
        while (!cs.done) uv_cond_wait(&cs.cond, &cs.lock);
        uv_mutex_unlock(&cs.lock);
    }
    uv_cond_destroy(&cs.cond);
    uv_mutex_destroy(&cs.lock);
    sy_worker_assign(pc->worker, -1);
    if (cs.was_up && reason) pc_events->hangup(h, reason);
    if (sy_worker_post(pc->worker, worker_free_pc, pc) < 0) worker_free_pc(pc->worker, pc);
}

void sy_pc_set_rid_order_lmh(sy_pc *pc, bool lmh) { pc->rid_lmh_main = lmh; }

json_t *sy_pc_info(sy_pc *pc)
{
    /* Read without synchronisation: counters for diagnostics only. */
    json_t *o = json_object();
    json_object_set_new(o, "worker", json_integer(sy_worker_index(pc->worker)));
    json_object_set_new(o, "ice-role", json_string(pc->controlling ? "controlling" : "controlled"));
    json_object_set_new(o, "dtls-role", json_string(pc->dtls_client ? "client" : "server"));
    json_object_set_new(o, "webrtc-up", json_boolean(pc->webrtc_up));
    json_object_set_new(o, "srtp-profile", json_string(pc->srtp_profile));
    json_object_set_new(o, "selected-pair", json_string(pc->selected_pair));
    for (int i = 0; i < SY_MC_N_DROPS; i++)
        json_object_set_new(o, sy_media_counter_name((sy_media_counter)i),
                            json_integer((json_int_t)pc->drops[i]));
    json_object_set_new(o, "nacks-sent", json_integer((json_int_t)pc->nacks_sent));
    json_object_set_new(o, "retransmitted", json_integer((json_int_t)pc->retransmitted));
    json_object_set_new(o, "plis-sent", json_integer((json_int_t)pc->plis_sent));
    json_object_set_new(o, "rtt-ms", json_integer(pc->rtt_ms));
    if (pc->sctp) {
        sy_sctp_stats st;
        sy_sctp_get_stats(pc->sctp, &st);
        json_t *d = json_object();
        json_object_set_new(d, "up", json_boolean(st.up));
        json_object_set_new(d, "channels", json_integer(st.channels));
        json_object_set_new(d, "messages-in", json_integer((json_int_t)st.messages_in));
        json_object_set_new(d, "messages-out", json_integer((json_int_t)st.messages_out));
        json_object_set_new(d, "bytes-in", json_integer((json_int_t)st.bytes_in));
        json_object_set_new(d, "bytes-out", json_integer((json_int_t)st.bytes_out));
        json_object_set_new(d, "dropped-oversize", json_integer((json_int_t)st.dropped_oversize));
        json_object_set_new(d, "dropped-no-channel", json_integer((json_int_t)st.dropped_no_channel));
        json_object_set_new(o, "sctp", d);
    }
    json_t *streams = json_array();
    for (int i = 0; i < pc->n_media; i++) {
        pc_media *m = &pc->media[i];
        json_t *s = json_object();
        json_object_set_new(s, "mindex", json_integer(m->mindex));
        json_object_set_new(s, "mid", json_string(m->mid));
        json_object_set_new(s, "type", json_string(m->is_data ? "data" : m->video ? "video" : "audio"));
        json_object_set_new(s, "packets-in", json_integer((json_int_t)m->packets_in));
        json_object_set_new(s, "bytes-in", json_integer((json_int_t)m->bytes_in));
        json_object_set_new(s, "packets-out", json_integer((json_int_t)m->packets_out));
        json_object_set_new(s, "bytes-out", json_integer((json_int_t)m->bytes_out));
        json_array_append_new(streams, s);
    }
    json_object_set_new(o, "streams", streams);
    return o;
}

/* ---- core API for plugins (worker thread) ---- */

/* Data channels. On the PC's worker: sent now. Elsewhere (the main thread): copied and
 * queued to the worker, 0 returned, and a later failure is not reported. */
typedef struct data_task {
    sy_plugin_handle *h; /* referenced */
    char *label, *protocol;
    bool binary;
    size_t len;
    uint8_t buf[];
} data_task;

static void worker_relay_data(sy_worker *w, void *arg)
{
    data_task *t = arg;
    sy_pc *pc = atomic_load(&t->h->destroyed) ? NULL : t->h->pc;
    if (pc && !pc->closed && pc->sctp)
        sy_sctp_send(pc->sctp, t->label, t->protocol, t->binary, t->buf, t->len);
    sy_handle_unref(t->h);
    free(t->label);
    free(t->protocol);
    free(t);
}

int sy_pc_relay_data(sy_plugin_handle *h, const char *label, const char *protocol, bool binary,
                     const uint8_t *buf, size_t len)
{
    sy_pc *pc = h ? h->pc : NULL;
    if (!pc || (len && !buf)) return -1;
    uv_thread_t self = uv_thread_self();
    if (pc->sctp && uv_thread_equal(&self, &pc->sctp_thread))
        return pc->closed ? -1 : sy_sctp_send(pc->sctp, label, protocol, binary, buf, len);
    if (len > SY_SCTP_RECV_LIMIT) return -1;
    data_task *t = malloc(sizeof(*t) + len);
    if (!t) return -1;
    t->h = h;
    t->label = label ? strdup(label) : NULL;
    t->protocol = protocol ? strdup(protocol) : NULL;
    t->binary = binary;
    t->len = len;
    if (len) memcpy(t->buf, buf, len);
    sy_handle_ref(h);
    if (sy_worker_post(pc->worker, worker_relay_data, t) < 0) {
        sy_handle_unref(h);
        free(t->label);
        free(t->protocol);
        free(t);
        return -1;
    }
    return 0;
}

/* ---- global ---- */

static void open_shared_ports(sy_worker *w, void *arg)
{
    char ips[8][64];
    const char *ipp[8];
    sy_ice_config ic;
    ice_config_for(&ic, false, ips, ipp);
    if (sy_lite_worker_open(w, &ic) != 0) __atomic_add_fetch((int *)arg, 1, __ATOMIC_RELAXED);
}

int sy_pc_global_init(const sy_config *cfg, const sy_pc_events *ev)
{
    pc_config = cfg;
    pc_events = ev;
    char err[128], list[1024];
    int na = sy_netrange_parse(cfg->allowed_remote_ranges, allowed_ranges, SY_NETRANGE_MAX, err,
                               sizeof(err));
    int nd = sy_netrange_parse(cfg->denied_remote_ranges, denied_ranges, SY_NETRANGE_MAX, err,
                               sizeof(err));
    if (na < 0 || nd < 0) {
        SY_ERROR("media: remote ranges: %s", err);
        return -1;
    }
    n_allowed_ranges = (size_t)na;
    n_denied_ranges = (size_t)nd;
    if (n_allowed_ranges) {
        sy_netrange_format(allowed_ranges, n_allowed_ranges, list, sizeof(list));
        SY_INFO("media: remote candidates accepted only in %s (media.allowed_remote_ranges)", list);
    } else {
        SY_INFO("media: remote candidates accepted anywhere but 0.0.0.0/8, 169.254.0.0/16, "
                "224.0.0.0/4, 240.0.0.0/4, ::, ff00::/8, fe80::/10 and IPv4-mapped IPv6; "
                "loopback only when gathering on loopback (media.allowed_remote_ranges unset)");
    }
    if (n_denied_ranges) {
        sy_netrange_format(denied_ranges, n_denied_ranges, list, sizeof(list));
        SY_INFO("media: remote candidates refused in %s (media.denied_remote_ranges)", list);
    }
    if (sy_dtls_global_init(cfg->cert_pem, cfg->cert_key, cfg->cert_pwd) < 0) return -1;
    if (sy_srtp_global_init() < 0) return -1;
    /* Shared ports are opened now, on each worker: their ports are known (and logged) at
     * start, and a range that is too small is a start-up error, not a failed call. */
    if (cfg->shared_ports) {
        int failed = 0;
        for (int i = 0; i < sy_workers_count(); i++)
            if (sy_worker_post(sy_worker_get(i), open_shared_ports, &failed) != 0) failed++;
        sy_workers_flush();
        if (__atomic_load_n(&failed, __ATOMIC_RELAXED)) {
            SY_ERROR("media: cannot open the shared UDP ports (media.rtp_port_min/max, nat.ice_ips)");
            return -1;
        }
    }
    return 0;
}

void sy_pc_global_cleanup(void)
{
    sy_sctp_global_cleanup();
    sy_srtp_global_cleanup();
    sy_dtls_global_cleanup();
}
