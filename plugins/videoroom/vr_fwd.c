/*
 * VideoRoom forwarding state, owned by the room's media worker.
 *
 * A vr_fwd_pub is one publishing handle: per published m-line the array of subscriber
 * streams it feeds. A vr_fwd_subscriber is one subscribing handle: its m-lines, each
 * pointing back at the publisher stream it receives (NULL once the publisher is gone).
 * The main thread builds both, then only posts closures (vr_op) that link, unlink,
 * change flags and free them on the worker; the packet path (vr_fwd_pub_rtp) runs on
 * the same worker and needs no lock. The handles they keep are referenced.
 *
 * NACKs: each published video stream keeps ONE history of the packets it received (per
 * simulcast layer, as received: publisher SSRC, seq, ts), shared by all its subscribers.
 * Each subscriber stream keeps only a small map from the sequence numbers it sent to
 * (layer, publisher seq, its ts, pt, VP8 picture id bytes); a NACK from the subscriber
 * is answered by looking its seq up in the map, copying the publisher's packet out of
 * the shared history and rewriting it for that subscriber (the core writes the
 * subscriber's SSRC and extension ids, and RTX when negotiated: resend_rtp). The
 * history's per-requester backoff bounds a subscriber NACKing in a loop. Both live on
 * the room's worker, like the rest: no lock.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "protocol/nack.h"
#include "protocol/rtp.h"
#include "protocol/sent_map.h"
#include "protocol/simulcast.h"
#include "protocol/svc.h"
#include "protocol/vp9.h"
#include "vr.h"

/* Packets remembered per publisher layer (about two seconds of a 2 Mbit/s stream), as
 * many as a subscriber stream's sent map. */
#define VR_NACK_SLOTS SY_SENT_MAP_SLOTS

/* Policing: a publisher whose media rate over the window (VR_POLICE_BUCKETS - 1 complete
 * one-second buckets) exceeds 4x its REMB cap + 1 Mbit/s has its video dropped (and its
 * audio, if the audio alone is over that) until the window's rate falls back to 2x the
 * cap + 1 Mbit/s. The margin is wide on purpose: Chromium publishing simulcast in the
 * 128 kbit/s demo room sends about 1 Mbit/s, REMB or not (test_videoroom_page); abuse is
 * 10x the cap. */
#define VR_POLICE_BUCKETS 4
#define VR_POLICE_SLACK 1000000u
#define VR_POLICE_LOG_US (60ull * 1000000)

/* Resend budget per subscriber video stream (security.md row 11): every packet forwarded
 * earns one resend, up to VR_RTX_BURST saved. The histories' per-packet backoff alone lets
 * a subscriber NACKing in a loop get each packet once per 100 ms for a second (10x the
 * stream), and more when over 4 subscribers NACK the same packets (a packet remembers 4
 * requesters); with the budget, retransmissions to one subscriber never exceed what it
 * was forwarded, plus the burst. A NACK over the budget is ignored and counted. */
#define VR_RTX_BURST 256

typedef struct vr_fwd_sub {
    vr_fwd_subscriber *owner;
    vr_fwd_pub *src; /* NULL: the publisher is gone */
    int src_stream;
    int mindex;
    char mid[8];
    bool video, simulcast, send;
    bool data; /* the m=application: no source, send gates the data relay */
    uint8_t pt; /* the payload type this m-line was offered with (rewritten after a switch) */
    bool rebase; /* continue the outgoing sequence at the next packet (after a gap) */
    bool need_key; /* asked for a key frame and none was forwarded yet: ask again */
    uint64_t pli_us;
    sy_rtp_rewriter rw;
    sy_vp8_rewriter vp8; /* picture id / TL0PICIDX continuity for VP8 sources */
    sy_sent_map *sent;   /* video: what went out under which seq, for NACKs */
    uint32_t requester;  /* this stream's id in the publisher histories' backoff */
    uint32_t rtx_budget; /* resends allowed now (VR_RTX_BURST) */
    sy_simulcast sim;
    sy_svc svc; /* VP9 SVC: the layers this subscriber gets (protocol/svc.c) */
} vr_fwd_sub;

struct vr_fwd_subscriber {
    sy_plugin_handle *h;
    uint64_t room_id;
    char *room_str; /* string_ids: the room's ID for the worker's events, else NULL */
    bool up, paused;
    int n;
    vr_fwd_sub s[VR_MAX_STREAMS];
    int n_dsrc; /* publishers whose data channel messages it receives */
    vr_fwd_pub *dsrc[VR_MAX_STREAMS];
    _Atomic uint64_t rtx_refused; /* NACKed packets over the resend budget (worker writes) */
};

typedef struct {
    int mindex;
    bool video, simulcast, vp8, vp9;
    _Atomic bool svc; /* VP9 layers above 0 seen: SVC (worker writes, main reads) */
    bool muted; /* moderate */
    bool talking;
    int level_sum, level_count; /* audio levels of the current window */
    vr_fwd_sub **subs;
    int n, cap;
    sy_nack_history *hist[SY_SIMULCAST_LAYERS]; /* video: per layer, shared by subscribers */
} vr_fwd_pub_stream;

struct vr_fwd_pub {
    sy_plugin_handle *h;
    uint32_t bitrate;
    uint64_t fir_us;      /* fir_freq: period of key frame requests, 0: none */
    uint64_t last_fir_us; /* the last periodic (or first) request */
    uint64_t gen;
    bool level_event;
    int active_packets, level_average;
    unsigned rtcp_count;
    int n;
    vr_fwd_pub_stream s[VR_MAX_STREAMS];
    int8_t by_mindex[VR_MAX_STREAMS];
    vr_fwd_subscriber **dsubs; /* receive its data channel messages */
    int n_dsubs, cap_dsubs;
    /* Hard policing (security.md row 13): the media bytes received, in 1 s buckets. */
    uint64_t room_id;
    char *room_str; /* string_ids: the room's ID for the worker's events, else NULL */
    uint64_t bucket_us;                /* start of the current bucket, 0: none yet */
    uint32_t bucket[VR_POLICE_BUCKETS]; /* the last complete ones, bucket[cur] filling */
    uint32_t abucket[VR_POLICE_BUCKETS]; /* the audio part of each */
    int cur;
    int full; /* complete buckets so far (up to VR_POLICE_BUCKETS - 1) */
    bool policed;
    bool audio_policed;    /* policed, and audio alone is over the limit: dropped too */
    bool wait_key;         /* released: video resumes at the next key frame */
    uint64_t key_req_us;   /* the last PLI asking for it */
    uint64_t log_us;       /* the last log line (rate-limited) */
    uint32_t rate;         /* the window's rate at the last evaluation, bit/s */
    _Atomic uint64_t police_drops; /* worker writes, main reads (handle_info) */
    _Atomic bool police_on;
};

typedef enum {
    OP_PUB_GONE,
    OP_PUB_KEYFRAME,
    OP_PUB_PARAMS,
    OP_SUB_ATTACH,
    OP_SUB_DETACH,
    OP_SUB_PAUSED,
    OP_SUB_UP,
    OP_SUB_SEND,
    OP_SUB_LAYERS,
    OP_SUB_FALLBACK,
    OP_PUB_MUTE,
    OP_SUB_ADD,
    OP_SUB_REMOVE,
    OP_SUB_SWITCH,
    OP_SUB_DATA_ADD,
    OP_SUB_DATA_DEL,
    OP_SUB_SVC,
} vr_op_kind;

typedef struct {
    vr_op_kind kind;
    vr_fwd_pub *pub;
    vr_fwd_subscriber *sub;
    int index, a, b;
    vr_fwd_sub init; /* OP_SUB_ADD */
} vr_op;

/* ---- worker side ---- */

static void pli_source(vr_fwd_sub *fs)
{
    if (!fs->src || !fs->video) return;
    /* The core coalesces PLIs to one a second per stream: a subscriber that starts
     * right after another would miss the key frame, so it keeps asking until one was
     * forwarded to it (vr_fwd_pub_rtp). */
    fs->need_key = true;
    fs->pli_us = 0;
    vr_core->send_pli(fs->src->h, fs->src->s[fs->src_stream].mindex);
}

static void unlink_sub(vr_fwd_sub *fs)
{
    if (!fs->src) return;
    vr_fwd_pub_stream *ps = &fs->src->s[fs->src_stream];
    for (int i = 0; i < ps->n; i++) {
        if (ps->subs[i] == fs) {
            ps->subs[i] = ps->subs[--ps->n];
            break;
        }
    }
    fs->src = NULL;
}

static void link_sub(vr_fwd_sub *fs)
{
    if (!fs->src) return;
    vr_fwd_pub_stream *ps = &fs->src->s[fs->src_stream];
    if (ps->n == ps->cap) {
        int cap = ps->cap ? ps->cap * 2 : 4;
        vr_fwd_sub **subs = realloc(ps->subs, (size_t)cap * sizeof(*subs));
        if (!subs) {
            fs->src = NULL;
            return;
        }
        ps->subs = subs;
        ps->cap = cap;
    }
    ps->subs[ps->n++] = fs;
}

/* Data channel links: s in src->dsubs and src in s->dsrc, both or neither. */
static void data_link(vr_fwd_subscriber *s, vr_fwd_pub *src)
{
    if (!src) return;
    for (int i = 0; i < s->n_dsrc; i++)
        if (s->dsrc[i] == src) return;
    if (s->n_dsrc >= VR_MAX_STREAMS) return;
    if (src->n_dsubs == src->cap_dsubs) {
        int cap = src->cap_dsubs ? src->cap_dsubs * 2 : 4;
        vr_fwd_subscriber **subs = realloc(src->dsubs, (size_t)cap * sizeof(*subs));
        if (!subs) return;
        src->dsubs = subs;
        src->cap_dsubs = cap;
    }
    src->dsubs[src->n_dsubs++] = s;
    s->dsrc[s->n_dsrc++] = src;
}

static void data_unlink(vr_fwd_subscriber *s, vr_fwd_pub *src)
{
    for (int i = 0; i < s->n_dsrc; i++) {
        if (s->dsrc[i] != src) continue;
        s->dsrc[i] = s->dsrc[--s->n_dsrc];
        for (int j = 0; j < src->n_dsubs; j++) {
            if (src->dsubs[j] == s) {
                src->dsubs[j] = src->dsubs[--src->n_dsubs];
                break;
            }
        }
        return;
    }
}

static void run_op(void *arg)
{
    vr_op *op = arg;
    vr_fwd_subscriber *s = op->sub;
    vr_fwd_sub *fs = (s && op->index >= 0 && op->index < s->n) ? &s->s[op->index] : NULL;
    switch (op->kind) {
    case OP_PUB_GONE:
        for (int i = 0; i < op->pub->n; i++) {
            vr_fwd_pub_stream *ps = &op->pub->s[i];
            for (int j = 0; j < ps->n; j++) ps->subs[j]->src = NULL;
            free(ps->subs);
            for (int k = 0; k < SY_SIMULCAST_LAYERS; k++) sy_nack_history_free(ps->hist[k]);
        }
        while (op->pub->n_dsubs > 0) data_unlink(op->pub->dsubs[0], op->pub);
        free(op->pub->dsubs);
        free(op->pub->room_str);
        vr_core->handle_unref(op->pub->h);
        free(op->pub);
        break;
    case OP_PUB_KEYFRAME:
        for (int i = 0; i < op->pub->n; i++)
            if (op->pub->s[i].video) vr_core->send_pli(op->pub->h, op->pub->s[i].mindex);
        break;
    case OP_PUB_PARAMS:
        op->pub->bitrate = (uint32_t)op->index;
        op->pub->fir_us = (uint64_t)op->a * 1000000;
        if (op->pub->bitrate) vr_core->send_remb(op->pub->h, op->pub->bitrate);
        break;
    case OP_SUB_ATTACH: {
        /* The sources set before attach (vr_fwd_sub_data_src) are linked now. */
        vr_fwd_pub *dsrc[VR_MAX_STREAMS];
        int n_dsrc = s->n_dsrc;
        memcpy(dsrc, s->dsrc, sizeof(dsrc));
        s->n_dsrc = 0;
        for (int i = 0; i < n_dsrc; i++) data_link(s, dsrc[i]);
        for (int i = 0; i < s->n; i++) {
            link_sub(&s->s[i]);
            if (s->up && !s->paused) pli_source(&s->s[i]);
        }
        break;
    }
    case OP_SUB_DATA_ADD:
        data_link(s, op->pub);
        break;
    case OP_SUB_DATA_DEL:
        data_unlink(s, op->pub);
        break;
    case OP_SUB_DETACH:
        while (s->n_dsrc > 0) data_unlink(s, s->dsrc[0]);
        for (int i = 0; i < s->n; i++) {
            unlink_sub(&s->s[i]);
            free(s->s[i].sent);
        }
        vr_core->handle_unref(s->h);
        free(s->room_str);
        free(s);
        break;
    case OP_SUB_PAUSED:
        if (s->paused && !op->a) {
            for (int i = 0; i < s->n; i++) {
                s->s[i].rebase = true;
                if (s->up) pli_source(&s->s[i]);
            }
        }
        s->paused = op->a;
        break;
    case OP_SUB_UP:
        s->up = op->a;
        break;
    case OP_SUB_SEND:
        if (fs) {
            if (!fs->send && op->a) {
                fs->rebase = true;
                if (s->up && !s->paused) pli_source(fs);
            }
            fs->send = op->a;
        }
        break;
    case OP_PUB_MUTE:
        if (op->index >= 0 && op->index < op->pub->n) {
            vr_fwd_pub_stream *ps = &op->pub->s[op->index];
            if (ps->muted && !op->a) {
                for (int j = 0; j < ps->n; j++) {
                    ps->subs[j]->rebase = true;
                    if (ps->subs[j]->owner->up && !ps->subs[j]->owner->paused) pli_source(ps->subs[j]);
                }
            }
            ps->muted = op->a;
        }
        break;
    case OP_SUB_ADD:
        if (op->index >= 0 && op->index < VR_MAX_STREAMS) {
            fs = &s->s[op->index];
            unlink_sub(fs);
            free(fs->sent);
            /* A reused m-line (a removed stream's slot) keeps its SSRC at the receiver: its
             * sequence and timestamps continue from where they were, or the receiver
             * would take the new source's packets for old ones and drop them. */
            bool reuse = op->index < s->n && fs->rw.started && !fs->data && !op->init.data;
            sy_rtp_rewriter rw = fs->rw;
            sy_vp8_rewriter vp8 = fs->vp8;
            *fs = op->init;
            if (reuse) {
                fs->rw = rw;
                fs->rw.clock_rate = op->init.rw.clock_rate;
                fs->vp8 = vp8;
                fs->rebase = true;
            }
            fs->owner = s;
            if (op->index >= s->n) s->n = op->index + 1;
            link_sub(fs);
            if (s->up && !s->paused) pli_source(fs);
        }
        break;
    case OP_SUB_REMOVE:
        if (fs) {
            unlink_sub(fs);
            fs->send = false;
        }
        break;
    case OP_SUB_SWITCH:
        if (fs) {
            unlink_sub(fs);
            fs->src = op->pub;
            fs->src_stream = op->a;
            if (fs->simulcast != (bool)op->b) {
                fs->simulcast = op->b;
                sy_simulcast_init(&fs->sim, 2, 2, 0);
            }
            fs->rebase = true; /* the rewriter continues seq/ts from where it was */
            sy_svc_init(&fs->svc, fs->svc.spatial_target, fs->svc.temporal_target);
            if (fs->sent) sy_sent_map_new_source(fs->sent); /* NACKs of the old source: void */
            link_sub(fs);
            if (s->up && !s->paused) pli_source(fs);
        }
        break;
    case OP_SUB_FALLBACK:
        if (fs) fs->sim.fallback_us = op->a > 0 ? (uint64_t)op->a : 250000;
        break;
    case OP_SUB_SVC:
        if (fs && fs->video) {
            int sp = op->a >= 0 ? op->a : fs->svc.spatial_target;
            int tl = op->b >= 0 ? op->b : fs->svc.temporal_target;
            sy_svc_set_target(&fs->svc, sp, tl);
            /* A higher spatial layer needs a key frame (or a P=0 layer frame). */
            if (fs->svc.spatial >= 0 && fs->svc.spatial_target > fs->svc.spatial && s->up &&
                !s->paused)
                pli_source(fs);
        }
        break;
    case OP_SUB_LAYERS:
        if (fs && fs->simulcast) {
            int sub = op->a >= 0 ? op->a : fs->sim.substream_target;
            int tmp = op->b >= 0 ? op->b : fs->sim.temporal_target;
            sy_simulcast_set_target(&fs->sim, sub, tmp);
            if (s->up && !s->paused) pli_source(fs);
        }
        break;
    }
    free(op);
}

static void post(int worker, vr_op_kind kind, vr_fwd_pub *pub, vr_fwd_subscriber *sub, int index,
                 int a, int b)
{
    vr_op *op = malloc(sizeof(*op));
    if (!op) return; /* out of memory: the change is lost, nothing is freed twice */
    *op = (vr_op){.kind = kind, .pub = pub, .sub = sub, .index = index, .a = a, .b = b};
    /* A stopping worker runs no more media callbacks: apply it here. */
    if (vr_core->run_on_worker(worker, run_op, op) < 0) run_op(op);
}

void vr_fwd_pub_setup(vr_fwd_pub *p)
{
    if (p->bitrate) vr_core->send_remb(p->h, p->bitrate);
    vr_notice_active(p->h, p->gen);
}

/* Talking detection (as Janus): the average -dBov over active_packets packets; below
 * level_average (louder) starts talking, at or above it stops. */
static void audio_level(vr_fwd_pub *p, vr_fwd_pub_stream *ps, int level)
{
    ps->level_sum += level;
    if (++ps->level_count < p->active_packets) return;
    double avg = (double)ps->level_sum / ps->level_count;
    ps->level_sum = ps->level_count = 0;
    bool talking = avg < p->level_average;
    if (talking == ps->talking) return;
    ps->talking = talking;
    vr_notice_talking(p->h, p->gen, ps->mindex, talking, avg);
}

void vr_fwd_pub_rtcp(vr_fwd_pub *p)
{
    /* The room's cap is repeated every few feedback packets (about once a second). */
    if (p->bitrate && ++p->rtcp_count % 5 == 0) vr_core->send_remb(p->h, p->bitrate);
}

void vr_fwd_pub_data(vr_fwd_pub *p, const char *label, const char *protocol, bool binary,
                     const uint8_t *buf, size_t len)
{
    /* As Janus: to every subscriber of this feed that has the data m-line (and sends
     * it), on a channel with the publisher's label (the core opens it on first use).
     * A subscriber whose association is not up yet (-1) or is full (-2) misses it. */
    for (int i = 0; i < p->n_dsubs; i++) {
        vr_fwd_subscriber *s = p->dsubs[i];
        if (!s->up || s->paused) continue;
        bool send = false;
        for (int j = 0; j < s->n && !send; j++) send = s->s[j].data && s->s[j].send;
        if (send) vr_core->relay_data(s->h, label, protocol, binary, buf, len);
    }
}

/* The room's ID in a worker's event (built from copies: the ID table is the main thread's). */
static json_t *room_json(uint64_t id, const char *str)
{
    return str ? json_string(str) : json_integer((json_int_t)id);
}

static void police_event(vr_fwd_pub *p)
{
    json_t *ev = json_pack("{s:s,s:o,s:b,s:I,s:I}", "videoroom", "event", "room",
                           room_json(p->room_id, p->room_str), "policed", p->policed, "bitrate",
                           (json_int_t)p->rate, "cap", (json_int_t)p->bitrate);
    if (ev) vr_core->push_event(p->h, NULL, ev, NULL);
    json_decref(ev);
    if (!p->log_us || p->bucket_us - p->log_us >= VR_POLICE_LOG_US) {
        p->log_us = p->bucket_us;
        char rbuf[24];
        snprintf(rbuf, sizeof(rbuf), "%llu", (unsigned long long)p->room_id);
        fprintf(stderr,
                "[videoroom] room %s, handle %llu: %s (%u kbit/s over the last %d s, cap %u "
                "kbit/s; logged at most once a minute)\n",
                p->room_str ? p->room_str : rbuf, (unsigned long long)vr_core->handle_id(p->h),
                p->policed ? "publisher over its bitrate cap, video (and audio if over alone) no "
                             "longer forwarded"
                           : "publisher back under its bitrate cap, video resumes",
                p->rate / 1000, VR_POLICE_BUCKETS - 1, p->bitrate / 1000);
    }
}

/* Once per second (when a packet starts a new bucket): the window's rate against the
 * cap. No cap: nothing is policed. */
static void police_evaluate(vr_fwd_pub *p)
{
    uint64_t bytes = 0, abytes = 0;
    for (int i = 0; i < VR_POLICE_BUCKETS; i++)
        if (i != p->cur) bytes += p->bucket[i], abytes += p->abucket[i];
    uint64_t rate = bytes * 8 / (VR_POLICE_BUCKETS - 1);
    uint64_t limit = 4ull * p->bitrate + VR_POLICE_SLACK;
    /* Policing drops video; the audio m-line too if it alone is over the limit (else
     * an abuser would just send its flood as "audio"). */
    p->audio_policed = p->bitrate && abytes * 8 / (VR_POLICE_BUCKETS - 1) > limit;
    p->rate = rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
    bool on = p->policed;
    if (!p->bitrate)
        on = false;
    else if (!p->policed && p->full >= VR_POLICE_BUCKETS - 1)
        on = rate > limit;
    else if (p->policed)
        on = rate > 2ull * p->bitrate + VR_POLICE_SLACK;
    if (!on) p->audio_policed = false;
    if (on == p->policed) return;
    p->policed = on;
    atomic_store_explicit(&p->police_on, on, memory_order_relaxed);
    if (!on) {
        /* Resume on a key frame, with continuous sequence numbers for every subscriber. */
        p->wait_key = true;
        p->key_req_us = 0;
        for (int i = 0; i < p->n; i++)
            for (int j = 0; p->s[i].video && j < p->s[i].n; j++) p->s[i].subs[j]->rebase = true;
    }
    police_event(p);
}

static void police_count(vr_fwd_pub *p, const sy_rtp_packet *pkt, bool audio)
{
    uint64_t now = pkt->arrival_us;
    if (!p->bucket_us) p->bucket_us = now;
    if (now - p->bucket_us >= 1000000) {
        uint64_t steps = (now - p->bucket_us) / 1000000;
        p->bucket_us += steps * 1000000;
        for (uint64_t k = 0; k < steps && k < VR_POLICE_BUCKETS; k++) {
            p->cur = (p->cur + 1) % VR_POLICE_BUCKETS;
            p->bucket[p->cur] = p->abucket[p->cur] = 0;
            if (p->full < VR_POLICE_BUCKETS - 1) p->full++;
        }
        police_evaluate(p);
    }
    uint64_t b = (uint64_t)p->bucket[p->cur] + pkt->len;
    p->bucket[p->cur] = b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
    if (!audio) return;
    b = (uint64_t)p->abucket[p->cur] + pkt->len;
    p->abucket[p->cur] = b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
}

/* True: this packet is not forwarded (video: policed, or waiting for the key frame after
 * the release; audio: audio_policed); counted. */
static bool police_drop(vr_fwd_pub *p, const sy_rtp_packet *pkt, bool video)
{
    if (!video) {
        if (!p->audio_policed) return false;
    } else if (!p->policed) {
        if (!p->wait_key) return false;
        if (pkt->keyframe) {
            p->wait_key = false;
            return false;
        }
        if (!p->key_req_us || pkt->arrival_us - p->key_req_us > 500000) {
            p->key_req_us = pkt->arrival_us;
            for (int i = 0; i < p->n; i++)
                if (p->s[i].video) vr_core->send_pli(p->h, p->s[i].mindex);
        }
    }
    /* One writer (this worker): a plain load and store, no locked instruction. */
    atomic_store_explicit(&p->police_drops,
                          atomic_load_explicit(&p->police_drops, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    return true;
}

void vr_fwd_pub_police_stats(vr_fwd_pub *p, bool *policed, uint64_t *drops)
{
    *policed = atomic_load_explicit(&p->police_on, memory_order_relaxed);
    *drops = atomic_load_explicit(&p->police_drops, memory_order_relaxed);
}

/* {"videoroom":"event","room":R,"mid":M,<what>:N}: the layer a subscriber stream gets
 * changed (substream, spatial_layer, temporal_layer). Only on a change, not per packet. */
static void layer_event(vr_fwd_subscriber *s, const vr_fwd_sub *fs, const char *what, int value)
{
    json_t *ev = json_pack("{s:s,s:o,s:s,s:i}", "videoroom", "event", "room",
                           room_json(s->room_id, s->room_str), "mid", fs->mid, what, value);
    vr_core->push_event(s->h, NULL, ev, NULL);
    json_decref(ev);
}

void vr_fwd_pub_rtp(vr_fwd_pub *p, sy_rtp_packet *pkt)
{
    if (pkt->mindex < 0 || pkt->mindex >= VR_MAX_STREAMS) return;
    int si = p->by_mindex[pkt->mindex];
    if (si < 0) return;
    vr_fwd_pub_stream *ps = &p->s[si];
    police_count(p, pkt, !ps->video);
    if (ps->muted) return;
    if ((p->policed || p->wait_key) && police_drop(p, pkt, ps->video)) return;
    if (p->fir_us && ps->video) {
        /* fir_freq: a key frame every so often (Janus's periodic PLI), checked per video
         * packet with no timer. */
        if (!p->last_fir_us) {
            p->last_fir_us = pkt->arrival_us;
        } else if (pkt->arrival_us - p->last_fir_us >= p->fir_us) {
            p->last_fir_us = pkt->arrival_us;
            for (int i = 0; i < p->n; i++)
                if (p->s[i].video) vr_core->send_pli(p->h, p->s[i].mindex);
        }
    }
    if (p->level_event && !ps->video && pkt->audio_level >= 0) audio_level(p, ps, pkt->audio_level);
    if (ps->vp9 && pkt->substream < 0 && !atomic_load_explicit(&ps->svc, memory_order_relaxed)) {
        /* Until its first packet of a layer above 0: is it SVC (announced as "svc",
         * vr_fwd_pub_svc)? */
        sy_rtp_header hdr;
        sy_vp9_desc d;
        if (sy_rtp_parse(pkt->data, pkt->len, &hdr) == 0 &&
            sy_vp9_desc_parse(pkt->data + hdr.payload_offset, hdr.payload_len, &d) == 0 && d.l &&
            (d.sid > 0 || d.tid > 0)) /* plain VP9 may carry L with layer 0 only */
            atomic_store_explicit(&ps->svc, true, memory_order_relaxed);
    }
    if (!ps->n) return;
    /* The shared NACK history keeps the packet as received, before any rewriting. */
    int layer = pkt->substream > 0 && pkt->substream < SY_SIMULCAST_LAYERS ? pkt->substream : 0;
    if (ps->hist[layer]) sy_nack_history_put(ps->hist[layer], pkt->seq, pkt->data, pkt->len, pkt->arrival_us / 1000);
    int tid = -1;
    /* VP8: the descriptor as received; each subscriber gets its own picture ids written
     * over it (like seq and ts), so it is parsed once, before the loop. */
    uint8_t *vp8 = NULL;
    size_t vp8_len = 0;
    sy_vp8_desc vd;
    if (ps->vp8) {
        sy_rtp_header hdr;
        if (sy_rtp_parse(pkt->data, pkt->len, &hdr) == 0 &&
            sy_vp8_desc_parse(pkt->data + hdr.payload_offset, hdr.payload_len, &vd) == 0) {
            vp8 = pkt->data + hdr.payload_offset;
            vp8_len = hdr.payload_len;
            if (pkt->substream >= 0) tid = sy_vp8_temporal_id(vp8, vp8_len);
        }
    }
    /* VP9: the layer indices. One SSRC whose packets carry them is SVC: each subscriber
     * gets the layers up to its spatial_layer/temporal_layer (sy_svc_process). With
     * simulcast (one SSRC per layer), only the TID is used, like VP8's. */
    sy_vp9_desc v9;
    bool v9_ok = false, svc = false;
    if (ps->vp9) {
        sy_rtp_header hdr;
        v9_ok = sy_rtp_parse(pkt->data, pkt->len, &hdr) == 0 &&
                sy_vp9_desc_parse(pkt->data + hdr.payload_offset, hdr.payload_len, &v9) == 0;
        if (v9_ok && v9.l && pkt->substream >= 0) tid = v9.tid;
        svc = pkt->substream < 0 && atomic_load_explicit(&ps->svc, memory_order_relaxed);
    }
    bool pli = false;
    for (int i = 0; i < ps->n; i++) {
        vr_fwd_sub *fs = ps->subs[i];
        vr_fwd_subscriber *s = fs->owner;
        if (!s->up || s->paused || !fs->send) continue;
        if (pkt->substream >= 0 && fs->simulcast) {
            unsigned f = sy_simulcast_process(&fs->sim, pkt->substream, pkt->keyframe, tid,
                                              pkt->arrival_us);
            if (f & SY_SIMULCAST_NEED_KEYFRAME) pli = true;
            if (f & SY_SIMULCAST_SWITCHED) layer_event(s, fs, "substream", fs->sim.substream);
            if (!(f & SY_SIMULCAST_FORWARD)) {
                /* A temporal layer dropped from the layer being forwarded: the outgoing
                 * sequence closes up over it (other layers' SSRCs are ignored there). */
                if (pkt->substream == fs->sim.substream)
                    sy_rtp_rewriter_drop(&fs->rw, pkt->ssrc, pkt->seq);
                continue;
            }
        }
        bool marker = pkt->marker;
        if (svc) {
            /* A malformed descriptor in a layered stream: dropped, like a layer above. */
            unsigned f = v9_ok ? sy_svc_process(&fs->svc, &v9, pkt->keyframe) : 0;
            if (f & SY_SVC_SPATIAL_CHANGED) layer_event(s, fs, "spatial_layer", fs->svc.spatial);
            if (f & SY_SVC_TEMPORAL_CHANGED) layer_event(s, fs, "temporal_layer", fs->svc.temporal);
            if ((f & SY_SVC_NEED_KEYFRAME) && pkt->arrival_us - fs->pli_us > 300000) {
                fs->pli_us = pkt->arrival_us;
                pli = true;
            }
            if (!(f & SY_SVC_FORWARD)) {
                sy_rtp_rewriter_drop(&fs->rw, pkt->ssrc, pkt->seq);
                continue;
            }
            if (f & SY_SVC_MARKER) marker = true;
        }
        if (fs->need_key) {
            if (pkt->keyframe) {
                fs->need_key = false;
            } else if (pkt->arrival_us - fs->pli_us > 300000) {
                fs->pli_us = pkt->arrival_us;
                pli = true;
            }
        }
        if (fs->rebase) {
            if (fs->rw.started) fs->rw.ssrc_in = ~pkt->ssrc;
            sy_vp8_rewriter_rebase(&fs->vp8);
            fs->rebase = false;
        }
        uint16_t seq;
        uint32_t ts;
        if (sy_rtp_rewriter_map(&fs->rw, pkt->ssrc, pkt->seq, pkt->timestamp, pkt->arrival_us, &seq,
                                &ts) < 0)
            continue; /* reordered behind more drops than remembered: its number is unknown */
        sy_rtp_set_seq(pkt->data, pkt->len, seq);
        if (vp8) sy_vp8_rewriter_apply(&fs->vp8, pkt->ssrc, &vd, vp8, vp8_len);
        sy_rtp_set_timestamp(pkt->data, pkt->len, ts);
        sy_rtp_packet out = *pkt;
        out.mindex = fs->mindex;
        out.seq = seq;
        out.timestamp = ts;
        out.marker = marker;
        uint8_t b1 = pkt->len >= 2 ? pkt->data[1] : 0;
        if ((pkt->pt != fs->pt || marker != pkt->marker) && pkt->len >= 2) {
            pkt->data[1] = (uint8_t)((marker ? 0x80 : 0) | fs->pt);
            out.pt = fs->pt;
        }
        if (fs->sent) {
            if (fs->rtx_budget < VR_RTX_BURST) fs->rtx_budget++;
            sy_sent_entry *e = sy_sent_map_put(fs->sent, seq, pkt->seq, ts, (uint8_t)layer, out.pt);
            e->marker = marker;
            if (vp8 && vd.picture_id >= 0) {
                e->vp8[0] = vp8[vd.pid_off];
                if (vd.pid_15bit) e->vp8[1] = vp8[vd.pid_off + 1];
            }
            if (vp8 && vd.tl0picidx >= 0) e->vp8[2] = vp8[vd.tl0_off];
        }
        vr_core->relay_rtp(s->h, &out);
        if (pkt->len >= 2) pkt->data[1] = b1;
    }
    if (pli) vr_core->send_pli(p->h, pkt->mindex);
}

void vr_fwd_sub_nack(vr_fwd_subscriber *s, int mindex, const uint16_t *seqs, int n)
{
    vr_fwd_sub *fs = NULL;
    for (int i = 0; i < s->n && !fs; i++)
        if (s->s[i].mindex == mindex && s->s[i].sent) fs = &s->s[i];
    if (!fs || !fs->src || !s->up) return;
    vr_fwd_pub_stream *ps = &fs->src->s[fs->src_stream];
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t now_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
    uint8_t buf[1500];
    for (int i = 0; i < n; i++) {
        if (!fs->rtx_budget) {
            atomic_store_explicit(&s->rtx_refused,
                                  atomic_load_explicit(&s->rtx_refused, memory_order_relaxed) +
                                      (uint64_t)(n - i),
                                  memory_order_relaxed);
            break;
        }
        const sy_sent_entry *e = sy_sent_map_get(fs->sent, seqs[i]);
        if (!e || e->layer >= SY_SIMULCAST_LAYERS || !ps->hist[e->layer])
            continue; /* never sent, overwritten, or from a source before a switch */
        const uint8_t *stored;
        size_t len;
        if (sy_nack_history_get(ps->hist[e->layer], e->in_seq, fs->requester, 0, now_ms, &stored,
                                &len) < 0 || len > sizeof(buf))
            continue; /* gone, too old, or resent to this subscriber just now */
        memcpy(buf, stored, len);
        sy_rtp_set_seq(buf, len, e->out_seq);
        sy_rtp_set_timestamp(buf, len, e->out_ts);
        buf[1] = (uint8_t)((e->marker ? 0x80 : 0) | e->pt);
        sy_rtp_header hdr;
        if (sy_rtp_parse(buf, len, &hdr) < 0) continue;
        sy_vp8_desc vd;
        if (ps->vp8 && sy_vp8_desc_parse(buf + hdr.payload_offset, hdr.payload_len, &vd) == 0) {
            uint8_t *d = buf + hdr.payload_offset;
            if (vd.picture_id >= 0) {
                d[vd.pid_off] = e->vp8[0];
                if (vd.pid_15bit) d[vd.pid_off + 1] = e->vp8[1];
            }
            if (vd.tl0picidx >= 0) d[vd.tl0_off] = e->vp8[2];
        }
        sy_rtp_packet out = {
            .data = buf, .len = len, .mindex = fs->mindex, .video = true, .ssrc = hdr.ssrc,
            .seq = e->out_seq, .timestamp = e->out_ts, .pt = e->pt, .marker = e->marker,
            .substream = -1, .audio_level = -1,
        };
        vr_core->resend_rtp(s->h, &out);
        fs->rtx_budget--;
    }
}

uint64_t vr_fwd_sub_rtx_refused(vr_fwd_subscriber *s)
{
    return atomic_load_explicit(&s->rtx_refused, memory_order_relaxed);
}

void vr_fwd_sub_setup(vr_fwd_subscriber *s)
{
    s->up = true;
    if (s->paused) return;
    for (int i = 0; i < s->n; i++) pli_source(&s->s[i]);
}

void vr_fwd_sub_rtcp(vr_fwd_subscriber *s, int mindex, const uint8_t *buf, size_t len)
{
    /* A PLI or FIR from the subscriber goes to the publisher (the core coalesces). */
    bool want = false;
    size_t off = 0;
    while (off + 4 <= len) {
        uint8_t fmt = buf[off] & 0x1F, pt = buf[off + 1];
        size_t plen = ((size_t)buf[off + 2] << 8 | buf[off + 3]) * 4 + 4;
        if (plen > len - off) break;
        if (pt == 206 && (fmt == 1 || fmt == 4)) want = true;
        off += plen;
    }
    if (!want) return;
    for (int i = 0; i < s->n; i++)
        if (s->s[i].mindex == mindex) pli_source(&s->s[i]);
}

/* ---- main thread side ---- */

vr_fwd_pub *vr_fwd_pub_new(sy_plugin_handle *h, const vr_pub_stream *streams, int n,
                           uint32_t bitrate, uint64_t gen, const vr_room *room)
{
    vr_fwd_pub *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    vr_core->handle_ref(h);
    p->h = h;
    p->bitrate = bitrate;
    p->room_id = room->id;
    const char *rs = sy_strid_str(&vr_ids, room->id);
    if (rs && !(p->room_str = strdup(rs))) {
        vr_core->handle_unref(h);
        free(p);
        return NULL;
    }
    p->fir_us = room->fir_freq > 0 ? (uint64_t)room->fir_freq * 1000000 : 0;
    p->gen = gen;
    p->level_event = room->audiolevel_event;
    p->active_packets = room->audio_active_packets > 0 ? room->audio_active_packets : 100;
    p->level_average = room->audio_level_average > 0 ? room->audio_level_average : 25;
    memset(p->by_mindex, -1, sizeof(p->by_mindex));
    for (int i = 0; i < n && i < VR_MAX_STREAMS; i++) {
        p->s[i].mindex = streams[i].mindex;
        p->s[i].video = streams[i].video;
        p->s[i].simulcast = streams[i].simulcast;
        p->s[i].vp8 = streams[i].video && streams[i].codec == SY_CODEC_VP8;
        p->s[i].vp9 = streams[i].video && streams[i].codec == SY_CODEC_VP9;
        if (streams[i].video) {
            /* Allocated here, on the main thread; used and freed on the worker. Without
             * memory the stream just has no retransmissions. */
            sy_nack_history_config hc = {.slots = VR_NACK_SLOTS};
            for (int k = 0; k < (streams[i].simulcast ? SY_SIMULCAST_LAYERS : 1); k++)
                p->s[i].hist[k] = sy_nack_history_new(&hc);
        }
        p->s[i].muted = streams[i].muted || streams[i].unsent;
        if (streams[i].mindex >= 0 && streams[i].mindex < VR_MAX_STREAMS)
            p->by_mindex[streams[i].mindex] = (int8_t)i;
        p->n++;
    }
    return p;
}

void vr_fwd_pub_gone(int worker, vr_fwd_pub *p) { post(worker, OP_PUB_GONE, p, NULL, -1, 0, 0); }

void vr_fwd_pub_params(int worker, vr_fwd_pub *p, uint32_t bitrate, int fir_freq)
{
    /* index carries the bitrate: an int holds it (the API caps it below 2^31 here). */
    post(worker, OP_PUB_PARAMS, p, NULL, bitrate > INT32_MAX ? INT32_MAX : (int)bitrate,
         fir_freq > 0 ? fir_freq : 0, 0);
}

void vr_fwd_pub_keyframe(int worker, vr_fwd_pub *p)
{
    post(worker, OP_PUB_KEYFRAME, p, NULL, -1, 0, 0);
}

vr_fwd_subscriber *vr_fwd_sub_new(sy_plugin_handle *h, uint64_t room_id)
{
    vr_fwd_subscriber *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    vr_core->handle_ref(h);
    s->h = h;
    s->room_id = room_id;
    const char *rs = sy_strid_str(&vr_ids, room_id);
    if (rs && !(s->room_str = strdup(rs))) {
        vr_core->handle_unref(h);
        free(s);
        return NULL;
    }
    return s;
}

static void fill_sub(vr_fwd_sub *fs, const vr_sub_stream *st, uint32_t clock_rate, vr_fwd_pub *src,
                     int src_stream)
{
    memset(fs, 0, sizeof(*fs));
    fs->src = src;
    fs->src_stream = src_stream;
    fs->mindex = st->mindex;
    snprintf(fs->mid, sizeof(fs->mid), "%s", st->mid);
    fs->video = st->video;
    fs->data = st->data;
    fs->simulcast = st->simulcast;
    fs->send = st->send;
    fs->pt = st->pt;
    sy_rtp_rewriter_init(&fs->rw, clock_rate);
    sy_vp8_rewriter_init(&fs->vp8);
    static uint32_t requesters; /* main thread */
    fs->requester = ++requesters;
    fs->sent = st->video ? malloc(sizeof(*fs->sent)) : NULL;
    if (fs->sent) sy_sent_map_init(fs->sent);
    sy_simulcast_init(&fs->sim, st->substream, st->temporal, (uint64_t)st->fallback_us);
    sy_svc_init(&fs->svc, st->spatial_layer, st->temporal_layer);
}

void vr_fwd_sub_add_stream(vr_fwd_subscriber *s, const vr_sub_stream *st, uint32_t clock_rate,
                           vr_fwd_pub *src, int src_stream)
{
    if (s->n >= VR_MAX_STREAMS) return;
    vr_fwd_sub *fs = &s->s[s->n++];
    fill_sub(fs, st, clock_rate, src, src_stream);
    fs->owner = s;
}

void vr_fwd_sub_add(int worker, vr_fwd_subscriber *s, const vr_sub_stream *st, uint32_t clock_rate,
                    vr_fwd_pub *src, int src_stream)
{
    vr_op *op = calloc(1, sizeof(*op));
    if (!op) return;
    op->kind = OP_SUB_ADD;
    op->sub = s;
    op->index = st->mindex;
    fill_sub(&op->init, st, clock_rate, src, src_stream);
    if (vr_core->run_on_worker(worker, run_op, op) < 0) run_op(op);
}

void vr_fwd_sub_data_src(vr_fwd_subscriber *s, vr_fwd_pub *src)
{
    if (src && s->n_dsrc < VR_MAX_STREAMS) s->dsrc[s->n_dsrc++] = src;
}

void vr_fwd_sub_data_add(int worker, vr_fwd_subscriber *s, vr_fwd_pub *src)
{
    post(worker, OP_SUB_DATA_ADD, src, s, -1, 0, 0);
}

void vr_fwd_sub_data_del(int worker, vr_fwd_subscriber *s, vr_fwd_pub *src)
{
    post(worker, OP_SUB_DATA_DEL, src, s, -1, 0, 0);
}

void vr_fwd_sub_remove(int worker, vr_fwd_subscriber *s, int index)
{
    post(worker, OP_SUB_REMOVE, NULL, s, index, 0, 0);
}

void vr_fwd_sub_switch(int worker, vr_fwd_subscriber *s, int index, vr_fwd_pub *src, int src_stream,
                       bool simulcast)
{
    post(worker, OP_SUB_SWITCH, src, s, index, src_stream, simulcast);
}

void vr_fwd_pub_mute(int worker, vr_fwd_pub *p, int index, bool muted)
{
    post(worker, OP_PUB_MUTE, p, NULL, index, muted, 0);
}

void vr_fwd_sub_attach(int worker, vr_fwd_subscriber *s) { post(worker, OP_SUB_ATTACH, NULL, s, -1, 0, 0); }
void vr_fwd_sub_detach(int worker, vr_fwd_subscriber *s) { post(worker, OP_SUB_DETACH, NULL, s, -1, 0, 0); }

void vr_fwd_sub_set_paused(int worker, vr_fwd_subscriber *s, bool paused)
{
    post(worker, OP_SUB_PAUSED, NULL, s, -1, paused, 0);
}

void vr_fwd_sub_set_up(int worker, vr_fwd_subscriber *s, bool up)
{
    post(worker, OP_SUB_UP, NULL, s, -1, up, 0);
}

void vr_fwd_sub_set_send(int worker, vr_fwd_subscriber *s, int index, bool send)
{
    post(worker, OP_SUB_SEND, NULL, s, index, send, 0);
}

void vr_fwd_sub_set_layers(int worker, vr_fwd_subscriber *s, int index, int substream, int temporal)
{
    post(worker, OP_SUB_LAYERS, NULL, s, index, substream, temporal);
}

void vr_fwd_sub_set_svc(int worker, vr_fwd_subscriber *s, int index, int spatial, int temporal)
{
    post(worker, OP_SUB_SVC, NULL, s, index, spatial, temporal);
}

bool vr_fwd_pub_svc(vr_fwd_pub *p, int index)
{
    return index >= 0 && index < p->n && atomic_load_explicit(&p->s[index].svc, memory_order_relaxed);
}

void vr_fwd_sub_set_fallback(int worker, vr_fwd_subscriber *s, int index, int fallback_us)
{
    post(worker, OP_SUB_FALLBACK, NULL, s, index, fallback_us, 0);
}
