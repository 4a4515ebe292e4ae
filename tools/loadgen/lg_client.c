/*
 * One synthetic client, run entirely on its media worker's thread: a Janus session over
 * WebSocket, a VideoRoom handle (publisher or subscriber), a real peer connection made of
 * Switchyard's own ICE (libnice through sy_ice), DTLS (sy_dtls) and SRTP (sy_srtp), and
 * the media: VP8 + Opus shaped like real media out (publisher), counting and checking in
 * (subscriber).
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lg.h"
#include "protocol/rtcp.h"
#include "protocol/rtcp_build.h"

#define VR "janus.plugin.videoroom"
#define MTU_PAYLOAD 1100
#define FPS 30
#define KEY_EVERY 60 /* frames: a keyframe every 2 s */
#define KEY_FACTOR 5 /* a keyframe is this many average frames */
#define OPUS_BYTES 80
#define PUB_TICK_MS 5
#define SUB_TICK_MS 20
#define SUB_TICK_IDLE_MS 100
/* --simulcast: rid ids by layer (0 low), the header extension ids we offer (Chromium's),
 * each layer's share of the video bitrate (1/16, 1/4, 1 of the top layer: /21) and the
 * picture size its keyframes announce. */
static const char *const RIDS[LG_LAYERS] = {"l", "m", "h"};
#define EXT_MID 4
#define EXT_RID 10
static const unsigned LAYER_SHARE[LG_LAYERS] = {1, 4, 16};
static const uint16_t LAYER_W[LG_LAYERS] = {320, 640, 1280}, LAYER_H[LG_LAYERS] = {180, 360, 720};

enum { STEP_CREATE, STEP_ATTACH, STEP_ROOM, STEP_JOIN, STEP_PUBLISH, STEP_START, STEP_DONE };

uint64_t lg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t rnd32(void)
{
    uint32_t v;
    RAND_bytes((uint8_t *)&v, sizeof v);
    return v;
}

static void fail(lg_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void teardown(lg_client *c);

static void fail(lg_client *c, const char *fmt, ...)
{
    if (LG_GET(c->state) == LG_C_FAILED || LG_GET(c->state) == LG_C_CLOSED) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, sizeof c->error, fmt, ap);
    va_end(ap);
    __atomic_store_n(&c->state, LG_C_FAILED, __ATOMIC_RELEASE);
    fprintf(stderr, "loadgen: client %d (%s): %s\n", c->id, c->role == LG_PUB ? "pub" : "sub",
            c->error);
    teardown(c);
}

/* ---- Janus API ---- */

static void send_json(lg_client *c, json_t *msg)
{
    char tx[32];
    snprintf(tx, sizeof tx, "%d-%d", c->id, ++c->txn);
    json_object_set_new(msg, "transaction", json_string(tx));
    if (c->session) json_object_set_new(msg, "session_id", json_integer((json_int_t)c->session));
    /* Only plugin messages go to the handle; keepalive and destroy are session requests. */
    const char *kind = json_string_value(json_object_get(msg, "janus"));
    if (c->handle && kind && !strcmp(kind, "message"))
        json_object_set_new(msg, "handle_id", json_integer((json_int_t)c->handle));
    char *s = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!s || lg_ws_send(c->ws, s, strlen(s)) != 0) fail(c, "cannot send a request");
    free(s);
}

static void send_message(lg_client *c, json_t *body, json_t *jsep)
{
    json_t *m = json_pack("{s:s,s:o}", "janus", "message", "body", body);
    if (jsep) json_object_set_new(m, "jsep", jsep);
    send_json(c, m);
}

/* ---- SDP (text in, text out: only what a WebRTC endpoint needs) ---- */

typedef struct remote_sdp {
    char ufrag[257], pwd[257], setup[16];
    char fingerprint[256];
    bool ice_lite; /* a=ice-lite: the server only answers checks, we must control */
    char *cands[LG_MAX_CANDS];
    int n_cands;
    struct {
        char media[16], mid[32], rtpmap[128];
        int port, pt;
        bool has_rtx; /* an rtx/90000 payload type in this m-line (we answer with it) */
        int rtx_pt;
    } m[LG_MAX_RSTREAMS];
    int n_m;
    int rtx_pts[8]; /* payload types mapped to rtx/90000, any m-line */
    int n_rtx_pts;
} remote_sdp;

static void copy_val(char *dst, size_t cap, const char *v, size_t len)
{
    if (len >= cap) len = cap - 1;
    memcpy(dst, v, len);
    dst[len] = 0;
}

static int parse_sdp(const char *sdp, remote_sdp *r)
{
    memset(r, 0, sizeof *r);
    const char *p = sdp;
    int cur = -1;
    while (*p) {
        const char *e = p + strcspn(p, "\r\n");
        size_t len = (size_t)(e - p);
#define IS(pfx) (len > strlen(pfx) && !strncmp(p, pfx, strlen(pfx)))
#define VAL(pfx) p + strlen(pfx), len - strlen(pfx)
        if (IS("m=")) {
            if (r->n_m == LG_MAX_RSTREAMS) return -1;
            cur = r->n_m++;
            char media[16] = "";
            int port = 0, pt = -1;
            char proto[64];
            char line[512];
            copy_val(line, sizeof line, p + 2, len - 2);
            if (sscanf(line, "%15s %d %63s %d", media, &port, proto, &pt) < 3) return -1;
            snprintf(r->m[cur].media, sizeof r->m[cur].media, "%s", media);
            r->m[cur].port = port;
            r->m[cur].pt = pt;
        } else if (len >= 10 && !strncmp(p, "a=ice-lite", 10)) {
            r->ice_lite = true;
        } else if (IS("a=ice-ufrag:") && !r->ufrag[0]) {
            copy_val(r->ufrag, sizeof r->ufrag, VAL("a=ice-ufrag:"));
        } else if (IS("a=ice-pwd:") && !r->pwd[0]) {
            copy_val(r->pwd, sizeof r->pwd, VAL("a=ice-pwd:"));
        } else if (IS("a=setup:") && !r->setup[0]) {
            copy_val(r->setup, sizeof r->setup, VAL("a=setup:"));
        } else if (IS("a=fingerprint:") && !r->fingerprint[0]) {
            copy_val(r->fingerprint, sizeof r->fingerprint, VAL("a=fingerprint:"));
        } else if (IS("a=candidate:") && r->n_cands < LG_MAX_CANDS) {
            r->cands[r->n_cands++] = strndup(p + 2, len - 2);
        } else if (IS("a=mid:") && cur >= 0) {
            copy_val(r->m[cur].mid, sizeof r->m[cur].mid, VAL("a=mid:"));
        } else if (IS("a=rtpmap:") && cur >= 0) {
            char v[128];
            copy_val(v, sizeof v, VAL("a=rtpmap:"));
            int pt;
            char enc[16];
            if (sscanf(v, "%d %15[^/]", &pt, enc) == 2 && !strcasecmp(enc, "rtx")) {
                if (r->n_rtx_pts < 8) r->rtx_pts[r->n_rtx_pts++] = pt;
                r->m[cur].has_rtx = true;
                r->m[cur].rtx_pt = pt;
            } else if (!r->m[cur].rtpmap[0]) {
                snprintf(r->m[cur].rtpmap, sizeof r->m[cur].rtpmap, "%s", v);
            }
        }
#undef IS
#undef VAL
        p = e;
        while (*p == '\r' || *p == '\n') p++;
    }
    return r->ufrag[0] && r->pwd[0] && r->fingerprint[0] ? 0 : -1;
}

static void free_remote(remote_sdp *r)
{
    for (int i = 0; i < r->n_cands; i++) free(r->cands[i]);
}

typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
        char *s = realloc(b->s, cap);
        if (!s) return;
        b->s = s;
        b->cap = cap;
    }
}

static void sb_transport(sbuf *b, lg_client *c, const char *setup, bool with_cands)
{
    sb_add(b, "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n");
    sb_add(b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", sy_ice_local_ufrag(c->ice),
           sy_ice_local_pwd(c->ice));
    sb_add(b, "a=fingerprint:sha-256 %s\r\na=setup:%s\r\n", sy_dtls_local_fingerprint(), setup);
    if (with_cands) {
        for (int i = 0; i < c->n_cands; i++) sb_add(b, "a=%s\r\n", c->cands[i]);
        sb_add(b, "a=end-of-candidates\r\n");
    }
    sb_add(b, "a=rtcp-mux\r\n");
}

/* ---- ICE / DTLS / SRTP ---- */

static void on_local_candidate(void *user, const char *cand)
{
    lg_client *c = user;
    if (c->n_cands < LG_MAX_CANDS) c->cands[c->n_cands++] = strdup(cand);
}
static void on_gathering_done(void *user) {}

static void on_dtls_send(void *user, const uint8_t *data, size_t len)
{
    lg_client *c = user;
    if (c->ice) sy_ice_send(c->ice, data, len);
}
static void on_dtls_data(void *user, const uint8_t *data, size_t len) {}

static void start_dtls(lg_client *c)
{
    if (c->dtls && !c->dtls_started) {
        c->dtls_started = true;
        if (sy_dtls_start(c->dtls) != 0) fail(c, "DTLS start failed");
    }
}

static void on_ice_state(void *user, sy_ice_state s)
{
    lg_client *c = user;
    if (s == SY_ICE_CONNECTED) {
        if (c->dtls_client) start_dtls(c);
    } else if (s == SY_ICE_FAILED) {
        fail(c, "ICE failed");
    }
}

static void send_rtcp(lg_client *c, uint8_t *buf, size_t len)
{
    if (!c->srtp || !c->ice) return;
    if (sy_srtp_protect_rtcp(c->srtp, buf, &len) == 0 && sy_ice_send(c->ice, buf, len) > 0)
        LG_INC(c->st.tx_rtcp);
}

static void send_pli(lg_client *c, uint32_t media_ssrc)
{
    uint8_t buf[64 + SY_SRTP_MAX_TRAILER];
    int n = sy_rtcp_build_pli(buf, 64, c->our_ssrc, media_ssrc);
    if (n > 0) {
        send_rtcp(c, buf, (size_t)n);
        LG_INC(c->st.plis_sent);
    }
}

static void dtls_connected(lg_client *c)
{
    const sy_srtp_keys *k = sy_dtls_srtp_keys(c->dtls);
    c->srtp = k ? sy_srtp_new(k) : NULL;
    if (!c->srtp) {
        fail(c, "SRTP setup failed");
        return;
    }
    c->profile = sy_srtp_profile_name(k->profile);
    LG_SET(c->st.t_up_ns, lg_now_ns());
    __atomic_store_n(&c->state, LG_C_MEDIA, __ATOMIC_RELEASE);
    if (c->role == LG_PUB) {
        c->t0_ns = c->next_frame_ns = c->next_audio_ns = lg_now_ns();
        for (int l = 0; l < c->n_layers; l++) c->force_key[l] = true;
    }
    uint64_t sub_tick = SUB_TICK_IDLE_MS;
    if (c->abusive) {
        double rate = g_opts.pli_rate > 0 ? g_opts.pli_rate : 100;
        uint64_t t = (uint64_t)(1000.0 / rate);
        sub_tick = t < 1 ? 1 : t < SUB_TICK_IDLE_MS ? t : SUB_TICK_IDLE_MS;
    }
    uv_timer_set_repeat(&c->timer, c->role == LG_PUB ? PUB_TICK_MS : sub_tick);
}

static lg_rstream *rstream(lg_client *c, uint32_t ssrc, uint8_t pt)
{
    for (int i = 0; i < c->n_rs; i++)
        if (c->rs[i].ssrc == ssrc) return &c->rs[i];
    if (c->n_rs == LG_MAX_RSTREAMS) return NULL;
    lg_rstream *r = &c->rs[c->n_rs++];
    memset(r, 0, sizeof *r);
    r->ssrc = ssrc;
    for (int i = 0; i < c->n_video_pts; i++)
        if (c->video_pts[i] == pt) r->video = true;
    if (r->video) send_pli(c, ssrc); /* a decoder joining mid-stream asks for a keyframe */
    return r;
}

static void send_nack(lg_client *c, lg_rstream *r, uint16_t from, uint16_t to)
{
    uint16_t seqs[16];
    size_t n = 0;
    for (uint16_t s = from; s != to && n < 16; s++) seqs[n++] = s;
    if (!n) return;
    uint8_t buf[128 + SY_SRTP_MAX_TRAILER];
    int len = sy_rtcp_build_nack(buf, 128, c->our_ssrc, r->ssrc, seqs, n, NULL);
    if (len > 0) {
        send_rtcp(c, buf, (size_t)len);
        LG_INC(c->st.nacks_sent);
    }
}

/* --abusive: keyframe requests (PLI and FIR in turn) at --pli-rate, and with --nack-all a
 * NACK of the last LG_ABUSE_NACK sequence numbers of every video stream each time. */
static void abuse_tick(lg_client *c, uint64_t now)
{
    double rate = g_opts.pli_rate > 0 ? g_opts.pli_rate : 100;
    uint64_t step = (uint64_t)(1e9 / rate);
    if (!c->next_abuse_ns || now > c->next_abuse_ns + 1000000000ull) c->next_abuse_ns = now;
    while (c->next_abuse_ns <= now) {
        c->next_abuse_ns += step;
        for (int i = 0; i < c->n_rs; i++) {
            lg_rstream *r = &c->rs[i];
            if (!r->video || !r->seq.started) continue;
            uint8_t buf[512 + SY_SRTP_MAX_TRAILER];
            if (c->fir_seq & 1) {
                sy_rtcp_fir_entry e = {.ssrc = r->ssrc, .seq_nr = c->fir_seq};
                int n = sy_rtcp_build_fir(buf, 512, c->our_ssrc, &e, 1);
                if (n > 0) {
                    send_rtcp(c, buf, (size_t)n);
                    LG_INC(c->st.firs_sent);
                }
            } else {
                send_pli(c, r->ssrc);
            }
            if (!g_opts.nack_all) continue;
            uint16_t seqs[LG_ABUSE_NACK];
            uint16_t top = (uint16_t)r->seq.highest;
            for (int k = 0; k < LG_ABUSE_NACK; k++)
                seqs[k] = (uint16_t)(top - (LG_ABUSE_NACK - 1) + k);
            int len = sy_rtcp_build_nack(buf, 512, c->our_ssrc, r->ssrc, seqs, LG_ABUSE_NACK, NULL);
            if (len > 0) {
                send_rtcp(c, buf, (size_t)len);
                LG_INC(c->st.nacks_sent);
                LG_ADD(c->st.nacked_seqs, LG_ABUSE_NACK);
            }
        }
        c->fir_seq++;
    }
}

static void lat_record(lg_client *c, uint64_t send_ns, uint64_t now)
{
    uint64_t us = now > send_ns ? (now - send_ns) / 1000 : 0;
    size_t b = us < 10000 ? us / 10 : 1000 + (us / 1000 < 999 ? us / 1000 : 999);
    LG_INC(c->st.lat[b]);
}

static void sub_rtp(lg_client *c, uint8_t *buf, size_t len, uint64_t now)
{
    LG_INC(c->st.rx_pkts);
    LG_ADD(c->st.rx_bytes, len);
    if (!c->st.t_first_media_ns) LG_SET(c->st.t_first_media_ns, now);
    uint32_t ssrc;
    uint16_t seq;
    uint8_t pt;
    size_t off, plen;
    if (lg_rtp_parse(buf, len, &ssrc, &seq, &pt, &off, &plen) != 0) {
        LG_INC(c->st.payload_bad);
        return;
    }
    for (int i = 0; i < c->n_rtx_pts; i++)
        if (c->rtx_pts[i] == pt) { /* a retransmission on the repair stream (RFC 4588) */
            LG_INC(c->st.rtx_pkts);
            return;
        }
    lg_rstream *r = rstream(c, ssrc, pt);
    if (!r) return;
    uint16_t prev = (uint16_t)r->seq.highest;
    bool had = r->seq.started;
    lg_seq_add(&r->seq, seq, 16);
    if (had) {
        uint16_t d = (uint16_t)(seq - prev);
        if (d > 1 && d < 0x8000) send_nack(c, r, (uint16_t)(prev + 1), seq);
    }
    if (!c->decrypt) return;
    if (sy_srtp_unprotect_rtp(c->srtp, buf, &len) != 0) {
        LG_INC(c->st.auth_fail);
        return;
    }
    LG_INC(c->st.decrypted);
    if (lg_rtp_parse(buf, len, &ssrc, &seq, &pt, &off, &plen) != 0) {
        LG_INC(c->st.payload_bad);
        return;
    }
    int boff = r->video ? lg_vp8_block_offset(buf + off, plen) : 0;
    lg_payload pl;
    int rc = boff < 0 ? -1 : lg_payload_read(buf + off + boff, plen - (size_t)boff, &pl);
    if (rc != 0) LG_INC(c->st.payload_bad);
    if (rc == -1) return;
    uint64_t sw = r->ctr.switches;
    lg_content_add(&r->ctr, pl.stream, pl.counter); /* a wrong body still arrived: not a gap */
    if (r->ctr.switches != sw) LG_INC(c->st.layer_switches);
    if (r->video && LG_STREAM_VIDEO(pl.stream) && LG_STREAM_LAYER(pl.stream) < LG_LAYERS) {
        LG_INC(c->st.layer_pkts[LG_STREAM_LAYER(pl.stream)]);
        LG_ADD(c->st.layer_bytes[LG_STREAM_LAYER(pl.stream)], len);
    }
    if (rc == 0) lat_record(c, pl.send_ns, now);
}

static void pub_rtcp(lg_client *c, uint8_t *buf, size_t len)
{
    if (sy_srtp_unprotect_rtcp(c->srtp, buf, &len) != 0) return;
    sy_rtcp_iter it = {.buf = buf, .len = len};
    sy_rtcp_pkt p;
    while (sy_rtcp_iter_next(&it, &p) > 0) {
        if (p.pt == 206 && (p.count == 1 || p.count == 4)) { /* PLI, FIR */
            /* A PLI names the layer's SSRC: a keyframe on that layer; FIR or an SSRC we
             * do not know: on all. */
            uint32_t media = 0;
            if (p.count == 1 && p.len >= 12)
                media = (uint32_t)p.data[8] << 24 | (uint32_t)p.data[9] << 16 |
                        (uint32_t)p.data[10] << 8 | p.data[11];
            bool hit = false;
            for (int l = 0; l < c->n_layers; l++)
                if (c->v_ssrc[l] == media) c->force_key[l] = hit = true;
            if (!hit)
                for (int l = 0; l < c->n_layers; l++) c->force_key[l] = true;
            LG_INC(c->st.plis_received);
        }
    }
}

static void on_ice_recv(void *user, uint8_t *buf, size_t len)
{
    lg_client *c = user;
    if (len < 2) return;
    uint8_t b = buf[0];
    if (b >= 20 && b <= 63) {
        if (!c->dtls) return;
        sy_dtls_state was = sy_dtls_state_get(c->dtls);
        sy_dtls_state s = sy_dtls_incoming(c->dtls, buf, len);
        if (s == SY_DTLS_CONNECTED && was != SY_DTLS_CONNECTED) dtls_connected(c);
        else if (s == SY_DTLS_FAILED) fail(c, "DTLS: %s", sy_dtls_failure_reason(c->dtls));
        return;
    }
    if (b < 128 || b > 191 || !c->srtp) return;
    if (buf[1] >= 192 && buf[1] <= 223) {
        LG_INC(c->st.rx_rtcp);
        if (c->role == LG_PUB) pub_rtcp(c, buf, len);
        return;
    }
    if (c->role == LG_SUB) sub_rtp(c, buf, len, lg_now_ns());
}

static int make_ice(lg_client *c, bool controlling)
{
    const char *ips[1] = {g_opts.ice_ip};
    sy_ice_config cfg = {.controlling = controlling, .local_ips = ips, .n_local_ips = 1};
    sy_ice_callbacks cb = {c, on_local_candidate, on_gathering_done, on_ice_state, on_ice_recv};
    c->ice = sy_ice_new(c->worker, &cfg, &cb);
    if (!c->ice || sy_ice_gather(c->ice) != 0) {
        fail(c, "ICE setup failed");
        return -1;
    }
    return 0;
}

static int apply_remote(lg_client *c, const remote_sdp *r, bool we_offered)
{
    if (sy_ice_set_remote_credentials(c->ice, r->ufrag, r->pwd) != 0) return -1;
    for (int i = 0; i < r->n_cands; i++) sy_ice_add_remote_candidate(c->ice, r->cands[i]);
    sy_ice_remote_gathering_done(c->ice);
    /* We answer "active" to an offer; to our actpass offer the answer decides. */
    c->dtls_client = we_offered ? strcmp(r->setup, "active") != 0 : true;
    const char *fps[1] = {r->fingerprint};
    c->dtls = sy_dtls_new(c->dtls_client ? SY_DTLS_CLIENT : SY_DTLS_SERVER, fps, 1, on_dtls_send,
                          on_dtls_data, c);
    if (!c->dtls) return -1;
    if (!c->dtls_client) start_dtls(c);
    else if (sy_ice_state_get(c->ice) == SY_ICE_CONNECTED) start_dtls(c);
    return 0;
}

/* ---- publisher ---- */

static void publish(lg_client *c)
{
    if (make_ice(c, true) != 0) return;
    c->a_ssrc = rnd32();
    c->n_layers = g_opts.simulcast ? LG_LAYERS : 1;
    for (int l = 0; l < c->n_layers; l++) {
        c->v_ssrc[l] = rnd32();
        c->v_seq[l] = (uint16_t)rnd32();
        c->picid[l] = (uint16_t)(rnd32() & 0x7fff);
    }
    c->a_pt = 111;
    c->v_pt = 96;
    c->a_seq = (uint16_t)rnd32();
    sbuf b = {0};
    sb_add(&b, "v=0\r\no=- %u 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
               "a=msid-semantic: WMS lg\r\n", rnd32() & 0x7fffffff);
    sb_add(&b, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
    sb_transport(&b, c, "actpass", true);
    sb_add(&b, "a=mid:0\r\na=sendonly\r\na=msid:lg a%d\r\na=rtpmap:111 opus/48000/2\r\n"
               "a=fmtp:111 minptime=10;useinbandfec=1\r\na=ssrc:%u cname:lg%d\r\n",
           c->id, c->a_ssrc, c->id);
    sb_add(&b, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
    sb_transport(&b, c, "actpass", false);
    sb_add(&b, "a=mid:1\r\na=sendonly\r\na=msid:lg v%d\r\na=rtpmap:96 VP8/90000\r\n"
               "a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n",
           c->id);
    if (c->n_layers > 1) {
        /* As Chromium offers simulcast: rids high first, SSRCs unsignaled (the server
         * learns them from the mid and rid header extensions of the first packets). */
        sb_add(&b, "a=extmap:%d urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
                   "a=extmap:%d urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n",
               EXT_MID, EXT_RID);
        for (int l = c->n_layers - 1; l >= 0; l--) sb_add(&b, "a=rid:%s send\r\n", RIDS[l]);
        sb_add(&b, "a=simulcast:send %s;%s;%s\r\n", RIDS[2], RIDS[1], RIDS[0]);
    } else {
        sb_add(&b, "a=ssrc:%u cname:lg%d\r\n", c->v_ssrc[0], c->id);
    }
    if (!b.s) {
        fail(c, "out of memory");
        return;
    }
    json_t *body = json_pack("{s:s,s:b,s:b}", "request", "publish", "audio", 1, "video", 1);
    json_t *jsep = json_pack("{s:s,s:s}", "type", "offer", "sdp", b.s);
    free(b.s);
    c->step = STEP_PUBLISH;
    send_message(c, body, jsep);
}

static void send_rtp(lg_client *c, uint8_t *pkt, size_t len)
{
    if (sy_srtp_protect_rtp(c->srtp, pkt, &len) == 0 && sy_ice_send(c->ice, pkt, len) > 0)
        LG_INC(c->st.tx_pkts);
}

static size_t rtp_header(uint8_t *p, bool marker, int pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    p[0] = 0x80;
    p[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
    p[2] = (uint8_t)(seq >> 8);
    p[3] = (uint8_t)seq;
    p[4] = (uint8_t)(ts >> 24);
    p[5] = (uint8_t)(ts >> 16);
    p[6] = (uint8_t)(ts >> 8);
    p[7] = (uint8_t)ts;
    p[8] = (uint8_t)(ssrc >> 24);
    p[9] = (uint8_t)(ssrc >> 16);
    p[10] = (uint8_t)(ssrc >> 8);
    p[11] = (uint8_t)ssrc;
    return 12;
}

/* The counter of the next video packet, with the faults of --faults injected once main
 * arms them (every subscriber has media): one counter skipped, 50 packets later one
 * counter repeated, 50 packets later one payload byte flipped. Returns whether to corrupt. */
static bool next_counter(lg_client *c, int layer, uint32_t *ctr)
{
    bool corrupt = false;
    if (layer != c->n_layers - 1) {
        *ctr = c->v_ctr[layer]++;
        return false;
    }
    uint32_t *v_ctr = &c->v_ctr[layer]; /* the faults go into the top layer */
    if (g_opts.faults && c->fault_step < 3 && LG_GET(g_opts.faults_armed)) {
        if (c->fault_step == 0) {
            (*v_ctr)++; /* gap */
            c->fault_base = *v_ctr;
            c->fault_step = 1;
        } else if (c->fault_step == 1 && *v_ctr == c->fault_base + 50) {
            (*v_ctr)--; /* duplicate */
            c->fault_step = 2;
        } else if (c->fault_step == 2 && *v_ctr == c->fault_base + 100) {
            corrupt = true;
            c->fault_step = 3;
        }
    }
    *ctr = (*v_ctr)++;
    return corrupt;
}

/* One frame of one layer: its share of the bitrate, a keyframe every 2 s (counted per
 * layer, restarted by a PLI) and whenever asked. */
static void send_layer(lg_client *c, int l, uint64_t now)
{
    unsigned share_sum = 0;
    for (int k = 0; k < c->n_layers; k++) share_sum += LAYER_SHARE[LG_LAYERS - c->n_layers + k];
    unsigned share = LAYER_SHARE[LG_LAYERS - c->n_layers + l];
    uint64_t avg = g_opts.bitrate * share / share_sum / 8 / FPS;
    bool key = c->force_key[l] || c->since_key[l] >= KEY_EVERY;
    c->force_key[l] = false;
    if (key) c->since_key[l] = 0; /* keep the 2 s rhythm from here */
    c->since_key[l]++;
    size_t size = key ? avg * KEY_FACTOR : (avg * KEY_EVERY - avg * KEY_FACTOR) / (KEY_EVERY - 1);
    if (size < 200) size = 200;
    size_t npk = (size + MTU_PAYLOAD - 1) / MTU_PAYLOAD;
    size_t per = size / npk;
    uint16_t pid = c->picid[l];
    c->picid[l] = (c->picid[l] + 1) & 0x7fff;
    int wl = LG_LAYERS - c->n_layers + l; /* the picture size: 720p without simulcast */
    uint32_t stream = LG_STREAM(c->id, true, l);
    for (size_t i = 0; i < npk; i++) {
        uint8_t pkt[1500 + SY_SRTP_MAX_TRAILER];
        size_t o = rtp_header(pkt, i == npk - 1, c->v_pt, c->v_seq[l]++, c->v_ts, c->v_ssrc[l]);
        if (c->n_layers > 1) {
            /* RFC 8285 one-byte header extensions: mid "1" and the layer's rid */
            pkt[0] |= 0x10;
            static const uint8_t hdr[4] = {0xbe, 0xde, 0x00, 0x01};
            memcpy(pkt + o, hdr, 4);
            pkt[o + 4] = EXT_MID << 4;
            pkt[o + 5] = '1';
            pkt[o + 6] = EXT_RID << 4;
            pkt[o + 7] = (uint8_t)RIDS[l][0];
            o += 8;
        }
        size_t start = o;
        pkt[o++] = (uint8_t)(0x80 | (i == 0 ? 0x10 : 0)); /* X, S, PID 0 */
        pkt[o++] = 0x80;                                  /* I: picture id present */
        pkt[o++] = (uint8_t)(0x80 | (pid >> 8));          /* 15-bit picture id */
        pkt[o++] = (uint8_t)pid;
        if (i == 0) {
            /* VP8 payload header: frame tag (P bit = 0 on a keyframe, show_frame) */
            pkt[o++] = key ? 0x10 : 0x11;
            pkt[o++] = 0;
            pkt[o++] = 0;
            if (key) { /* start code, 14-bit width and height, little-endian */
                uint8_t kf[7] = {0x9d, 0x01, 0x2a, (uint8_t)LAYER_W[wl], (uint8_t)(LAYER_W[wl] >> 8),
                                 (uint8_t)LAYER_H[wl], (uint8_t)(LAYER_H[wl] >> 8)};
                memcpy(pkt + o, kf, 7);
                o += 7;
            }
        }
        size_t body = per > o - start + LG_BLOCK ? per - (o - start) : LG_BLOCK;
        uint32_t ctr;
        bool corrupt = next_counter(c, l, &ctr);
        lg_payload_write(pkt + o, body, stream, ctr, now);
        if (corrupt) pkt[o + body - 1] ^= 0x55;
        o += body;
        c->v_octets[l] += (uint32_t)(o - start);
        send_rtp(c, pkt, o);
    }
}

static void send_frame(lg_client *c, uint64_t now)
{
    for (int l = 0; l < c->n_layers; l++) send_layer(c, l, now);
    c->v_ts += 90000 / FPS;
}

static void send_audio(lg_client *c, uint64_t now)
{
    uint8_t pkt[200 + SY_SRTP_MAX_TRAILER];
    size_t o = rtp_header(pkt, false, c->a_pt, c->a_seq++, c->a_ts, c->a_ssrc);
    lg_payload_write(pkt + o, OPUS_BYTES, LG_STREAM(c->id, false, 0), c->a_ctr++, now);
    c->a_ts += 960;
    c->a_octets += OPUS_BYTES;
    send_rtp(c, pkt, o + OPUS_BYTES);
}

/* Sums the per-stream trackers into the counters main reads (once a second, and at
 * the end). */
static void publish_counters(lg_client *c)
{
    uint64_t lost = 0, dup = 0, reo = 0, clost = 0, cdup = 0;
    for (int i = 0; i < c->n_rs; i++) {
        lg_rstream *r = &c->rs[i];
        lost += lg_seq_lost(&r->seq);
        dup += r->seq.duplicates;
        reo += r->seq.reordered;
        clost += lg_content_lost(&r->ctr);
        cdup += lg_content_dups(&r->ctr);
    }
    LG_SET(c->st.seq_lost, lost);
    LG_SET(c->st.seq_dup, dup);
    LG_SET(c->st.seq_reorder, reo);
    LG_SET(c->st.ctr_lost, clost);
    LG_SET(c->st.ctr_dup, cdup);
}

static void send_reports(lg_client *c, uint64_t now)
{
    uint8_t buf[1024 + SY_SRTP_MAX_TRAILER];
    size_t n = 0;
    if (c->role == LG_PUB) {
        struct timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        uint64_t ntp = ((uint64_t)rt.tv_sec + 2208988800ull) << 32 |
                       (uint64_t)(((uint64_t)rt.tv_nsec << 32) / 1000000000ull);
        sy_rtcp_sr sr = {.ntp = ntp, .rtp_ts = c->v_ts};
        int k;
        for (int l = 0; l < c->n_layers; l++) {
            sr.ssrc = c->v_ssrc[l];
            sr.packets = c->v_seq[l];
            sr.octets = c->v_octets[l];
            k = sy_rtcp_build_sr(buf + n, 1024 - n, &sr, NULL, 0);
            if (k > 0) n += (size_t)k;
        }
        sr.ssrc = c->a_ssrc;
        sr.rtp_ts = c->a_ts;
        sr.packets = c->a_seq; /* a running count, as the video's (the start is random) */
        sr.octets = c->a_octets;
        k = sy_rtcp_build_sr(buf + n, 1024 - n, &sr, NULL, 0);
        if (k > 0) n += (size_t)k;
    } else {
        sy_rtcp_report_block blocks[31];
        size_t nb = 0;
        publish_counters(c);
        for (int i = 0; i < c->n_rs; i++) {
            lg_rstream *r = &c->rs[i];
            if (nb == 31 || !r->seq.started) continue;
            uint64_t expected = r->seq.highest - r->seq.first + 1;
            uint64_t de = expected - r->last_rr_expected;
            uint64_t dr = r->seq.received - r->last_rr_received;
            r->last_rr_expected = expected;
            r->last_rr_received = (uint32_t)r->seq.received;
            blocks[nb++] = (sy_rtcp_report_block){
                .ssrc = r->ssrc,
                .fraction_lost = de > dr && de ? (uint8_t)((de - dr) * 256 / de) : 0,
                .cumulative_lost = (int32_t)lg_seq_lost(&r->seq),
                .ext_highest_seq = (uint32_t)r->seq.highest,
            };
        }
        int k = sy_rtcp_build_rr(buf, 1024, c->our_ssrc, blocks, nb);
        if (k > 0) n += (size_t)k;
    }
    char cname[16];
    int cl = snprintf(cname, sizeof cname, "lg%d", c->id);
    int k = sy_rtcp_build_sdes_cname(buf + n, 1024 - n,
                                     c->role == LG_PUB ? c->v_ssrc[0] : c->our_ssrc, cname, (size_t)cl);
    if (k > 0) n += (size_t)k;
    if (n) send_rtcp(c, buf, n);
}

/* ---- subscriber ---- */

static void answer_offer(lg_client *c, const char *sdp)
{
    remote_sdp r;
    if (parse_sdp(sdp, &r) != 0) {
        free_remote(&r);
        fail(c, "cannot read the server's offer");
        return;
    }
    /* We answer, so we would be controlled; a lite server never controls. */
    if (make_ice(c, r.ice_lite) != 0) {
        free_remote(&r);
        return;
    }
    c->our_ssrc = rnd32();
    for (int i = 0; i < r.n_rtx_pts && c->n_rtx_pts < 8; i++) c->rtx_pts[c->n_rtx_pts++] = r.rtx_pts[i];
    sbuf b = {0};
    sb_add(&b, "v=0\r\no=- %u 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE", rnd32() & 0x7fffffff);
    for (int i = 0; i < r.n_m; i++)
        if (r.m[i].port && strcmp(r.m[i].media, "application") && r.m[i].pt >= 0)
            sb_add(&b, " %s", r.m[i].mid);
    sb_add(&b, "\r\n");
    bool first = true;
    for (int i = 0; i < r.n_m; i++) {
        bool rtp = strcmp(r.m[i].media, "application") != 0 && r.m[i].pt >= 0;
        if (!r.m[i].port || !rtp) {
            if (!rtp)
                sb_add(&b, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
                           "a=mid:%s\r\n", r.m[i].mid);
            else
                sb_add(&b, "m=%s 0 UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\na=mid:%s\r\na=inactive\r\n",
                       r.m[i].media, r.m[i].pt, r.m[i].mid);
            continue;
        }
        bool video = !strcmp(r.m[i].media, "video");
        if (video && c->n_video_pts < 8) c->video_pts[c->n_video_pts++] = r.m[i].pt;
        /* Keep RTX as browsers do: without it the server cannot retransmit (it never
         * re-encrypts a packet under an index it already used). */
        bool rtx = video && r.m[i].has_rtx && !g_opts.no_rtx;
        if (rtx)
            sb_add(&b, "m=%s 9 UDP/TLS/RTP/SAVPF %d %d\r\n", r.m[i].media, r.m[i].pt, r.m[i].rtx_pt);
        else
            sb_add(&b, "m=%s 9 UDP/TLS/RTP/SAVPF %d\r\n", r.m[i].media, r.m[i].pt);
        sb_transport(&b, c, "active", first);
        first = false;
        sb_add(&b, "a=mid:%s\r\na=recvonly\r\n", r.m[i].mid);
        if (r.m[i].rtpmap[0]) sb_add(&b, "a=rtpmap:%s\r\n", r.m[i].rtpmap);
        if (rtx)
            sb_add(&b, "a=rtpmap:%d rtx/90000\r\na=fmtp:%d apt=%d\r\n", r.m[i].rtx_pt,
                   r.m[i].rtx_pt, r.m[i].pt);
        if (video)
            sb_add(&b, "a=rtcp-fb:%d nack\r\na=rtcp-fb:%d nack pli\r\na=rtcp-fb:%d ccm fir\r\n",
                   r.m[i].pt, r.m[i].pt, r.m[i].pt);
    }
    int rc = apply_remote(c, &r, false);
    free_remote(&r);
    if (rc != 0 || !b.s) {
        free(b.s);
        fail(c, "cannot apply the server's offer");
        return;
    }
    json_t *body = json_pack("{s:s}", "request", "start");
    json_t *jsep = json_pack("{s:s,s:s}", "type", "answer", "sdp", b.s);
    free(b.s);
    c->step = STEP_START;
    send_message(c, body, jsep);
}

/* ---- the state machine ---- */

static void join(lg_client *c)
{
    json_t *body;
    if (c->role == LG_PUB) {
        body = json_pack("{s:s,s:s,s:I,s:s}", "request", "join", "ptype", "publisher", "room",
                         (json_int_t)c->room, "display", "loadgen");
    } else {
        json_t *streams = json_array();
        for (int i = 0; i < c->n_feeds; i++) {
            json_t *item = json_pack("{s:I}", "feed", (json_int_t)c->feeds[i]);
            if (c->substream >= 0) json_object_set_new(item, "substream", json_integer(c->substream));
            json_array_append_new(streams, item);
        }
        body = json_pack("{s:s,s:s,s:I,s:o}", "request", "join", "ptype", "subscriber", "room",
                         (json_int_t)c->room, "streams", streams);
    }
    c->step = STEP_JOIN;
    send_message(c, body, NULL);
}

static void on_ws_message(void *user, char *text, size_t len)
{
    lg_client *c = user;
    json_error_t err;
    json_t *m = json_loadb(text, len, 0, &err);
    if (!m) return;
    const char *janus = json_string_value(json_object_get(m, "janus"));
    json_t *data = json_object_get(m, "data");
    json_t *pd = json_object_get(json_object_get(m, "plugindata"), "data");
    json_t *jsep = json_object_get(m, "jsep");
    if (!janus) goto out;
    if (!strcmp(janus, "error")) {
        fail(c, "error %lld: %s",
             (long long)json_integer_value(json_object_get(json_object_get(m, "error"), "code")),
             json_string_value(json_object_get(json_object_get(m, "error"), "reason")));
        goto out;
    }
    if (!strcmp(janus, "hangup")) {
        fail(c, "hangup: %s", json_string_value(json_object_get(m, "reason")));
        goto out;
    }
    if (pd && json_object_get(pd, "error_code")) {
        int code = (int)json_integer_value(json_object_get(pd, "error_code"));
        if (c->step == STEP_ROOM && code == 427) { /* the room exists already */
            join(c);
            goto out;
        }
        fail(c, "videoroom error %d: %s", code, json_string_value(json_object_get(pd, "error")));
        goto out;
    }
    if (!strcmp(janus, "success") && c->step == STEP_CREATE) {
        c->session = (uint64_t)json_integer_value(json_object_get(data, "id"));
        c->step = STEP_ATTACH;
        send_json(c, json_pack("{s:s,s:s}", "janus", "attach", "plugin", VR));
    } else if (!strcmp(janus, "success") && c->step == STEP_ATTACH) {
        c->handle = (uint64_t)json_integer_value(json_object_get(data, "id"));
        LG_SET(c->st.t_join_ns, lg_now_ns());
        if (c->role == LG_PUB && g_opts.create_room) {
            c->step = STEP_ROOM;
            json_t *body = json_pack("{s:s,s:I,s:i,s:s,s:s,s:I}", "request", "create", "room",
                                     (json_int_t)c->room, "publishers", g_opts.room_publishers,
                                     "videocodec", "vp8", "audiocodec", "opus", "bitrate",
                                     (json_int_t)g_opts.bitrate);
            if (g_opts.room_secret) json_object_set_new(body, "secret", json_string(g_opts.room_secret));
            send_message(c, body, NULL);
        } else {
            join(c);
        }
    } else if (!strcmp(janus, "success") && c->step == STEP_ROOM) {
        join(c);
    } else if (!strcmp(janus, "event") && pd) {
        const char *vr = json_string_value(json_object_get(pd, "videoroom"));
        if (c->role == LG_PUB && c->step == STEP_JOIN && vr && !strcmp(vr, "joined")) {
            LG_SET(c->pub_id, (uint64_t)json_integer_value(json_object_get(pd, "id")));
            publish(c);
        } else if (c->role == LG_PUB && c->step == STEP_PUBLISH && jsep) {
            remote_sdp r;
            const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
            if (!sdp || parse_sdp(sdp, &r) != 0) {
                if (sdp) free_remote(&r);
                fail(c, "cannot read the server's answer");
                goto out;
            }
            int rc = apply_remote(c, &r, true);
            free_remote(&r);
            if (rc != 0) fail(c, "cannot apply the server's answer");
            c->step = STEP_DONE;
        } else if (c->role == LG_SUB && c->step == STEP_JOIN && jsep) {
            const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
            if (sdp) answer_offer(c, sdp);
        } else if (c->role == LG_SUB && c->step == STEP_START && vr && !strcmp(vr, "event")) {
            c->step = STEP_DONE;
        }
    }
out:
    json_decref(m);
}

static void on_ws_open(void *user)
{
    lg_client *c = user;
    c->step = STEP_CREATE;
    __atomic_store_n(&c->state, LG_C_SIGNALING, __ATOMIC_RELEASE);
    send_json(c, json_pack("{s:s}", "janus", "create"));
}

static void on_ws_closed(void *user, const char *why)
{
    lg_client *c = user;
    c->ws = NULL;
    fail(c, "WebSocket: %s", why);
}

static void on_timer(uv_timer_t *t)
{
    lg_client *c = t->data;
    uint64_t now = lg_now_ns();
    if (c->dtls && LG_GET(c->state) == LG_C_SIGNALING && c->dtls_started &&
        sy_dtls_timeout_ms(c->dtls) == 0) {
        if (sy_dtls_handle_timeout(c->dtls) == SY_DTLS_FAILED) {
            fail(c, "DTLS: %s", sy_dtls_failure_reason(c->dtls));
            return;
        }
    }
    if (c->session && now >= c->next_keepalive_ns) {
        c->next_keepalive_ns = now + 25000000000ull;
        send_json(c, json_pack("{s:s}", "janus", "keepalive"));
        if (LG_GET(c->state) == LG_C_FAILED) return;
    }
    if (LG_GET(c->state) != LG_C_MEDIA) return;
    if (c->role == LG_PUB) {
        if (now > c->next_frame_ns + 1000000000ull) c->next_frame_ns = now; /* stalled: skip */
        if (now > c->next_audio_ns + 1000000000ull) c->next_audio_ns = now;
        while (c->next_frame_ns <= now) {
            send_frame(c, now);
            c->next_frame_ns += 1000000000ull / FPS;
        }
        while (c->next_audio_ns <= now) {
            send_audio(c, now);
            c->next_audio_ns += 20000000ull;
        }
    }
    if (c->role == LG_SUB && c->abusive) abuse_tick(c, now);
    if (now >= c->next_report_ns) {
        c->next_report_ns = now + 1000000000ull;
        send_reports(c, now);
    }
}

static void start_task(sy_worker *w, void *arg)
{
    lg_client *c = arg;
    c->loop = sy_worker_loop(w);
    uv_timer_init(c->loop, &c->timer);
    c->timer.data = c;
    c->timer_on = true;
    c->next_keepalive_ns = lg_now_ns() + 25000000000ull;
    uv_timer_start(&c->timer, on_timer, SUB_TICK_MS, SUB_TICK_MS);
    __atomic_store_n(&c->state, LG_C_CONNECTING, __ATOMIC_RELEASE);
    lg_ws_cb cb = {on_ws_open, on_ws_message, on_ws_closed};
    c->ws = lg_ws_connect(c->loop, &g_opts.addr, g_opts.host, g_opts.path, &cb, c);
    if (!c->ws) fail(c, "cannot connect");
}

static void on_timer_closed(uv_handle_t *h)
{
    lg_client *c = h->data;
    __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
}

/* Releases the media objects and the connection; the client stays until stop. */
static void teardown(lg_client *c)
{
    if (c->ws) {
        lg_ws *ws = c->ws;
        c->ws = NULL;
        lg_ws_close(ws);
    }
    if (c->dtls) sy_dtls_free(c->dtls);
    c->dtls = NULL;
    if (c->srtp) sy_srtp_free(c->srtp);
    c->srtp = NULL;
    if (c->ice) sy_ice_free(c->ice);
    c->ice = NULL;
    for (int i = 0; i < c->n_cands; i++) free(c->cands[i]);
    c->n_cands = 0;
}

static void stop_task(sy_worker *w, void *arg)
{
    lg_client *c = arg;
    publish_counters(c);
    if (c->ws && c->session) {
        /* Leave politely: destroy the session (the server hangs up the PC). */
        send_json(c, json_pack("{s:s}", "janus", "destroy"));
    }
    if (LG_GET(c->state) != LG_C_FAILED) __atomic_store_n(&c->state, LG_C_CLOSED, __ATOMIC_RELEASE);
    teardown(c);
    if (c->timer_on) {
        c->timer_on = false;
        uv_close((uv_handle_t *)&c->timer, on_timer_closed);
    } else {
        __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
    }
}

void lg_client_start(lg_client *c)
{
    if (sy_worker_post(c->worker, start_task, c) != 0) {
        snprintf(c->error, sizeof c->error, "worker stopping");
        c->state = LG_C_FAILED;
    }
}

void lg_client_stop(lg_client *c)
{
    if (c->stop_posted) return;
    c->stop_posted = true;
    if (sy_worker_post(c->worker, stop_task, c) != 0) __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
}
