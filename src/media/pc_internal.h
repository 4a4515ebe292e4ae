/*
 * Internal to the peer connection (pc.c: lifecycle, descriptions, ICE/DTLS glue;
 * pc_rtp.c: the RTP path both ways; pc_rtcp.c: RTCP in and out). Worker-thread state
 * unless a field says otherwise; see pc.h for the threading contract.
 */
#ifndef SY_PC_INTERNAL_H
#define SY_PC_INTERNAL_H

#include <glib.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/session.h"
#include "core/config.h"
#include "core/workers.h"
#include "media/dtls.h"
#include "media/ice.h"
#include "media/media_counters.h"
#include "media/pc.h"
#include "media/sctp.h"
#include "media/srtp.h"
#include "protocol/nack.h"
#include "protocol/rtp.h"
#include "protocol/rtp_ext.h"
#include "protocol/sdp_attr.h"
#include "protocol/sdp_extract.h"
#include "protocol/twcc.h"

#define PC_MAX_MEDIA 16
#define PC_MAX_CANDIDATES 32
#define PC_MAX_SSRCS 4 /* per m-line: up to 3 simulcast layers plus one spare */
#define PC_PLI_INTERVAL_US 1000000
#define PC_TICK_MS 50            /* DTLS timers, NACK retries */
#define PC_TWCC_TICKS 2          /* transport-cc feedback every 100 ms */
#define PC_REPORT_TICKS 20       /* SR/RR every second */
#define PC_MAX_NACKS 64          /* sequence numbers in one NACK we send */
#define PC_CONSENT_TIMEOUT_US (30 * 1000000ull)
#define PC_DROP_LOG_INTERVAL_US (5 * 1000000ull) /* at most one drop summary per PC */

/* Receive state of one incoming RTP stream (a simulcast layer). */
typedef struct pc_rx {
    uint32_t rtx_ssrc;      /* its RTX partner, signaled or learned */
    sy_seq_unroller seq;
    bool started;
    int64_t base_seq, max_seq;
    uint32_t received, expected_prior, received_prior;
    sy_nack_gen *nack;      /* video only */
    uint32_t lsr;           /* middle 32 bits of the last SR's NTP time */
    uint64_t lsr_at_us;
} pc_rx;

typedef struct pc_media {
    int mindex;
    char mid[SY_SDP_MID_MAX + 1];
    bool video, rejected, is_data;
    uint32_t local_ssrc, local_rtx_ssrc;
    uint32_t remote_ssrc[PC_MAX_SSRCS]; /* signaled or learned, index = substream */
    char rids[3][SY_SDP_RID_MAX + 1];
    int n_rids;
    bool rid_lmh; /* rids listed low to high */
    int16_t rtx_apt[128]; /* rtx pt -> media pt, -1 (what the peer sends) */
    uint8_t codec_of_pt[128]; /* sy_video_codec of the peer's payload types */
    pc_rx rx[PC_MAX_SSRCS];
    /* what we send */
    uint8_t local_rtx_pt[128]; /* media pt -> our rtx pt, 0 if none */
    sy_nack_history *history;  /* video: packets we sent, for NACKs */
    uint16_t rtx_seq;
    uint32_t clock_rate;
    uint32_t sent_packets, sent_octets, last_ts;
    /* slowlink: losses in the current second, each way, and when we last told */
    uint32_t lost_in_window, nacked_in_window;
    uint64_t slowlink_at_us[2];
    uint64_t last_send_us;
    bool receiving;
    bool pli_pending; /* asked for inside the 1 s window: sent when it ends */
    uint64_t last_rx_us, last_pli_us;
    uint64_t packets_in, bytes_in, packets_out, bytes_out;
} pc_media;

struct sy_pc {
    atomic_int refs;          /* the worker's (life) reference + one per queued main call */
    sy_plugin_handle *handle; /* referenced */
    sy_worker *worker;
    /* ---- worker thread only below ---- */
    sy_ice *ice;
    sy_dtls *dtls;
    sy_srtp *srtp;
    uv_timer_t *tick; /* DTLS timeouts, no-media timer */
    bool closed, controlling, dtls_client, webrtc_up, gathered;
    bool have_remote;
    /* A ClientHello that came before the peer's answer (we offered): kept, one
     * datagram, until the answer says who the DTLS server is. */
    uint8_t *early_dtls;
    size_t early_dtls_len;
    bool rid_lmh_main; /* main thread: what the next set_remote carries */
    bool local_sent;   /* our SDP went out: later candidates are trickled (full_trickle) */
    char first_mid[SY_SDP_MID_MAX + 1];
    char remote_ufrag[SY_SDP_ICE_MAX + 1];
    char *remote_fingerprints[SY_SDP_MAX_FINGERPRINTS];
    size_t n_remote_fingerprints;
    char *local_candidates[PC_MAX_CANDIDATES];
    size_t n_local_candidates;
    sy_sdp *pending_local; /* plugin SDP waiting for gathering */
    bool pending_offer;
    bool pending_restart;
    json_t *pending_event;
    sy_sdp_setup remote_setup;
    int n_media;
    pc_media media[PC_MAX_MEDIA];
    sy_rtp_ext_ids ext;
    uint16_t twcc_seq;
    sy_twcc_recorder *twcc;   /* arrivals of the peer's transport-wide sequence numbers */
    uint32_t rtt_ms;
    unsigned ticks;
    uint64_t last_auth_rx_us; /* last packet that authenticated (SRTP, SRTCP) */
    uint8_t out[1500 + SY_SRTP_MAX_TRAILER];
    uint8_t rtcp[1500];
    /* Drops by kind (sy_media_counter), added to the global counters by
     * pc_flush_counters (timer, stop); the last values added and logged. */
    uint64_t drops[SY_MC_N_DROPS], drops_flushed[SY_MC_N_DROPS], drops_logged[SY_MC_N_DROPS];
    uint64_t drops_log_at_us;
    uint64_t nacks_sent, retransmitted, plis_sent;
    char srtp_profile[32];
    char selected_pair[128];
    int ice_state;
    /* data channels: the association (created when DTLS connects, if the remote SDP
     * had an m=application with a=sctp-port) */
    sy_sctp *sctp;
    uv_thread_t sctp_thread; /* the worker's thread, the association's owner */
    uint16_t sctp_port;
    uint64_t sctp_max_message;
};

/* Runs on the main loop: a hangup reported by the worker. */
typedef struct main_call {
    sy_pc *pc;
    char *reason;
    char *mid;
    bool video, receiving;
    json_t *event;
    char *sdp;
    char *error;
    int kind; /* 0 hangup, 1 webrtcup, 2 media, 3 local sdp, 4 trickle, 5 slowlink */
    uint32_t lost;
    int mindex;
} main_call;

extern const sy_pc_events *pc_events;
extern const sy_config *pc_config;

static inline uint64_t pc_now_us(void) { return (uint64_t)g_get_monotonic_time(); }

/* The PC of a handle, if it can send now (worker thread of that PC). */
static inline sy_pc *pc_worker_pc(sy_plugin_handle *h)
{
    sy_pc *pc = h ? h->pc : NULL;
    return (pc && !pc->closed && pc->srtp && pc->ice) ? pc : NULL;
}

/* pc.c */
void pc_to_main(sy_pc *pc, int kind, main_call *c);
/* pc_rtp.c */
pc_media *pc_media_at(sy_pc *pc, int mindex);
void pc_on_rtp(sy_pc *pc, uint8_t *buf, size_t len);
void pc_report_media(sy_pc *pc, pc_media *m, bool receiving);
void pc_send_pli_now(sy_pc *pc, pc_media *m);
void pc_send_nacks(sy_pc *pc, pc_media *m, int layer, uint64_t now);
void pc_resend(sy_pc *pc, pc_media *m, uint16_t seq, uint32_t requester, uint64_t now);
/* pc_rtcp.c */
int pc_send_rtcp(sy_pc *pc, uint8_t *buf, size_t len);
void pc_on_rtcp(sy_pc *pc, uint8_t *buf, size_t len);
void pc_send_reports(sy_pc *pc, uint64_t now);
void pc_send_twcc(sy_pc *pc);
void pc_check_slowlink(sy_pc *pc, uint64_t now);

#endif
