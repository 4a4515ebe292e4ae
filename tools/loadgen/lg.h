/*
 * The load generator's shared types: options, the synthetic client, and the functions
 * loadgen.c (scenarios, measurement, main thread) and lg_client.c (one client on a media
 * worker: Janus API over WebSocket, ICE, DTLS, SRTP, media) call on each other.
 */
#ifndef LG_H
#define LG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/workers.h"
#include "lg_check.h"
#include "lg_ws.h"
#include "media/dtls.h"
#include "media/ice.h"
#include "media/srtp.h"

#define LG_MAX_FEEDS 32
#define LG_MAX_RSTREAMS 64
#define LG_MAX_CANDS 16
#define LG_LAYERS 3      /* simulcast layers a publisher sends with --simulcast */
#define LG_MAX_SUBSTREAMS 8
#define LG_LAT_BUCKETS 2000 /* 0..10 ms in 10 us steps, then 1 ms steps to 1 s */

typedef struct lg_opts {
    struct sockaddr_storage addr; /* the server's WebSocket address */
    char host[256], path[256];
    const char *ice_ip;
    uint64_t bitrate;
    double decrypt_sample;
    bool faults;       /* the publisher sends one content gap, duplicate and corrupt payload */
    int faults_armed;  /* set by main once every subscriber has media (atomic) */
    bool create_room;  /* create the room (else it must exist) */
    const char *room_secret;
    int room_publishers;
    bool simulcast;                      /* publishers send three rid layers */
    int substreams[LG_MAX_SUBSTREAMS];   /* --substream list, given out round-robin */
    int n_substreams;
    /* Abusive subscribers (security.md row 11/12): the first `abusive` subscribers send
     * keyframe requests at pli_rate per second per video stream (alternating PLI and FIR),
     * and with nack_all also NACK the last LG_ABUSE_NACK sequence numbers of every video
     * stream at the same rate. */
    int abusive;
    double pli_rate;
    bool nack_all;
    bool no_rtx; /* subscribers answer without RTX (a client that never negotiates it) */
} lg_opts;

#define LG_ABUSE_NACK 64

extern lg_opts g_opts;

typedef enum lg_role { LG_PUB, LG_SUB } lg_role;

/* One received stream (subscriber side), by SSRC. */
typedef struct lg_rstream {
    uint32_t ssrc;
    bool video;
    lg_seq seq; /* RTP sequence numbers (every packet, no decryption) */
    lg_content ctr; /* embedded counters (decrypted packets only), per sent stream */
    uint32_t last_rr_received;
    uint64_t last_rr_expected;
} lg_rstream;

/* Counters written by the client's worker only (relaxed atomic stores), read by main. */
typedef struct lg_stats {
    uint64_t rx_pkts, rx_bytes, rx_rtcp, tx_pkts, tx_rtcp;
    uint64_t seq_lost, seq_dup, seq_reorder;    /* summed over streams, refreshed per second */
    uint64_t ctr_lost, ctr_dup, payload_bad, auth_fail, decrypted;
    uint64_t nacks_sent, plis_sent, plis_received;
    uint64_t firs_sent, nacked_seqs; /* abusive subscribers: FIRs sent, sequence numbers NACKed */
    uint64_t rtx_pkts;               /* received on an RTX payload type (retransmissions) */
    uint64_t layer_pkts[LG_LAYERS], layer_bytes[LG_LAYERS]; /* decrypted video, by sent layer */
    uint64_t layer_switches;
    uint64_t t_join_ns, t_first_media_ns, t_up_ns; /* monotonic */
    uint32_t lat[LG_LAT_BUCKETS];                   /* decrypted packets only */
} lg_stats;

typedef enum lg_cstate {
    LG_C_NEW,
    LG_C_CONNECTING,
    LG_C_SIGNALING,
    LG_C_MEDIA, /* DTLS up, SRTP keyed */
    LG_C_FAILED,
    LG_C_CLOSED,
} lg_cstate;

typedef struct lg_client {
    int id;
    lg_role role;
    uint64_t room;
    uint64_t feeds[LG_MAX_FEEDS]; /* subscriber: publisher ids to subscribe to */
    int n_feeds;
    int substream; /* subscriber: the substream to ask for, -1 none */
    bool decrypt;
    bool abusive; /* subscriber: --abusive */
    sy_worker *worker;
    bool stop_posted; /* main only */

    /* Worker-owned. */
    uv_loop_t *loop;
    uv_timer_t timer;
    bool timer_on;
    lg_ws *ws;
    uint64_t session, handle;
    int txn;
    int step;
    sy_ice *ice;
    sy_dtls *dtls;
    sy_srtp *srtp;
    bool dtls_client, dtls_started;
    char *cands[LG_MAX_CANDS];
    int n_cands;
    uint64_t next_keepalive_ns, next_report_ns;
    /* publisher media: video per layer (one without --simulcast; 0 is the lowest) */
    int n_layers;
    uint32_t v_ssrc[LG_LAYERS], v_ctr[LG_LAYERS], v_octets[LG_LAYERS], since_key[LG_LAYERS];
    uint16_t v_seq[LG_LAYERS], picid[LG_LAYERS];
    bool force_key[LG_LAYERS];
    uint32_t a_ssrc, v_ts, a_ts, a_ctr, a_octets;
    uint16_t a_seq;
    uint64_t next_frame_ns, next_audio_ns, t0_ns;
    int fault_step;
    uint32_t fault_base;
    int v_pt, a_pt;
    /* subscriber */
    int video_pts[8], n_video_pts;
    int rtx_pts[8], n_rtx_pts; /* the offer's rtx payload types */
    lg_rstream rs[LG_MAX_RSTREAMS];
    int n_rs;
    uint32_t our_ssrc;
    uint64_t next_abuse_ns;
    uint8_t fir_seq;

    /* Shared with main (atomics). */
    int state;           /* lg_cstate */
    uint64_t pub_id;     /* publisher: its feed id once joined */
    int done;            /* torn down on the worker; main may free */
    char error[160];     /* set before state becomes FAILED */
    const char *profile; /* SRTP profile name once keyed */
    lg_stats st;
} lg_client;

#define LG_SET(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define LG_GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define LG_INC(x) LG_SET(x, (x) + 1)
#define LG_ADD(x, n) LG_SET(x, (x) + (n))

uint64_t lg_now_ns(void);
/* Starts the client on its worker (main thread). */
void lg_client_start(lg_client *c);
/* Asks the worker to tear it down; done becomes 1 when main may free it. */
void lg_client_stop(lg_client *c);

#endif
