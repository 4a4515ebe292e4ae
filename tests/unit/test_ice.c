/*
 * ICE over libnice on the media workers, two real agents on 127.0.0.1 talking to each
 * other through the test's main thread (which plays the signaling server):
 *   - remote candidate screening (mDNS ignored, bad addresses refused, the cap);
 *   - full ICE, controlling on one worker and controlled on the other: CONNECTED on
 *     both, 100 datagrams of 1000 bytes each way arrive intact, a datagram injected from
 *     an address ICE has not validated is dropped;
 *   - an ICE-lite side; a peer-reflexive side (the controlled agent never gets the
 *     controlling agent's candidates, as with Chromium's .local candidates);
 *   - an ICE restart (new local credentials, connected again, data flows);
 *   - freeing from inside the receive and the gathering-done callbacks (deferred), with
 *     no callback afterwards; freeing from a task (immediate);
 *   - consent freshness (RFC 7675), full and lite: when the peer disappears, the
 *     survivor reaches FAILED (5-10 s later with libnice 0.1.21, 30 s at most) and
 *     refuses to send;
 *   - shared-port ICE-lite (ice_lite.c): two agents on one worker advertise the same
 *     port, each connects with a libnice full agent and gets only its own datagrams;
 *     raw STUN from a test socket: unknown ufrag, bad MESSAGE-INTEGRITY, missing
 *     FINGERPRINT, wrong remote ufrag get no answer at all; a good check gets a success
 *     carrying our address and the right integrity; ICE-CONTROLLED gets 487; an ICE
 *     restart keeps media on the old pair until new checks come.
 * The test re-executes itself in a fresh network namespace with only loopback (unshare
 * -n), and the agents gather on 127.0.0.1 only with no STUN server but 127.0.0.1, so
 * nothing leaves the machine either way.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "core/workers.h"
#include "media/ice.h"
#include "protocol/stun.h"

#define N_PACKETS 100
#define PACKET_LEN 1000
#define BURST 25
#define MAX_CANDS 16
#define MAX_STATES 32
#define CONNECT_TIMEOUT 10.0
/* RFC 7675: consent expires at the latest 30 s after the last response. libnice 0.1.21
 * checks every ~5 s and expires consent 10 s after the last response (hard-coded), so
 * the survivor fails 5-10 s after its peer goes silent. */
#define CONSENT_MIN 4.0
#define CONSENT_MAX 20.0

static const char *const loopback_ips[] = {"127.0.0.1"};
/* Makes the receiver free itself inside its receive callback. */
static const uint8_t bye[4] = {0x80, 'B', 'Y', 'E'};

/* ---- a peer: one sy_ice and what its callbacks saw ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;

typedef struct peer {
    const char *name;
    sy_worker *worker;
    sy_ice_config cfg;
    sy_ice *ice; /* used on the worker; main reads it only to know it exists */

    /* Under mu. */
    char ufrag[300], pwd[300];
    char *cands[MAX_CANDS];
    int n_cands;
    bool gathered;
    sy_ice_state state;
    sy_ice_state states[MAX_STATES];
    int n_states;
    int rx, rx_bad, tx_ok;
    bool free_on_bye;      /* sy_ice_free from inside the receive callback on "BYE" */
    bool free_on_gathered; /* sy_ice_free from inside the gathering-done callback */
    bool freed;            /* sy_ice_free was called: callbacks must stop */
    int late;              /* callbacks after sy_ice_free */
    bool wrong_thread;     /* a callback off the worker's thread */
    double t_connected, t_failed, t_freed;
} peer;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void note_thread(peer *p)
{
    GMainContext *ctx = sy_worker_glib_context(p->worker);
    if (!g_main_context_is_owner(ctx)) p->wrong_thread = true;
}

/* Callers hold mu. True if the callback must be ignored (peer already freed). */
static bool late_locked(peer *p)
{
    note_thread(p);
    if (!p->freed) return false;
    p->late++;
    return true;
}

static void cb_local_candidate(void *user, const char *cand)
{
    peer *p = user;
    pthread_mutex_lock(&mu);
    if (!late_locked(p) && p->n_cands < MAX_CANDS) p->cands[p->n_cands++] = strdup(cand);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void cb_gathering_done(void *user)
{
    peer *p = user;
    pthread_mutex_lock(&mu);
    bool ignore = late_locked(p);
    bool free_now = !ignore && p->free_on_gathered;
    p->gathered = true;
    if (free_now) {
        p->freed = true;
        p->t_freed = now_s();
    }
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    if (free_now) sy_ice_free(p->ice); /* inside sy_ice_gather, inside libnice */
}

static void cb_state(void *user, sy_ice_state state)
{
    peer *p = user;
    pthread_mutex_lock(&mu);
    if (!late_locked(p)) {
        p->state = state;
        if (p->n_states < MAX_STATES) p->states[p->n_states++] = state;
        if (state == SY_ICE_CONNECTED && p->t_connected == 0) p->t_connected = now_s();
        if (state == SY_ICE_FAILED && p->t_failed == 0) p->t_failed = now_s();
    }
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void fill_packet(uint8_t *buf, uint32_t seq)
{
    buf[0] = 0x80; /* RTP-like: never mistaken for STUN */
    buf[1] = (uint8_t)(seq >> 24);
    buf[2] = (uint8_t)(seq >> 16);
    buf[3] = (uint8_t)(seq >> 8);
    buf[4] = (uint8_t)seq;
    for (int i = 5; i < PACKET_LEN; i++)
        buf[i] = (uint8_t)(seq * 7 + (uint32_t)i);
}

static bool packet_ok(const uint8_t *buf, size_t len)
{
    if (len != PACKET_LEN || buf[0] != 0x80) return false;
    uint32_t seq = (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 | buf[4];
    for (int i = 5; i < PACKET_LEN; i++)
        if (buf[i] != (uint8_t)(seq * 7 + (uint32_t)i)) return false;
    return true;
}

static void cb_recv(void *user, uint8_t *buf, size_t len)
{
    peer *p = user;
    pthread_mutex_lock(&mu);
    if (late_locked(p)) {
        pthread_mutex_unlock(&mu);
        return;
    }
    bool is_bye = len == sizeof(bye) && memcmp(buf, bye, sizeof(bye)) == 0;
    bool free_now = is_bye && p->free_on_bye;
    if (is_bye) {
        /* not counted */
    } else if (packet_ok(buf, len)) {
        p->rx++;
    } else {
        p->rx_bad++;
    }
    if (free_now) {
        p->freed = true;
        p->t_freed = now_s();
    }
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    if (free_now) sy_ice_free(p->ice); /* inside libnice's receive callback */
}

static sy_ice_callbacks callbacks_for(peer *p)
{
    return (sy_ice_callbacks){.user = p,
                              .local_candidate = cb_local_candidate,
                              .gathering_done = cb_gathering_done,
                              .state_changed = cb_state,
                              .recv = cb_recv};
}

/* ---- running code on a peer's worker and waiting for it ---- */

typedef void (*peer_fn)(peer *p, void *arg);
typedef struct call {
    peer_fn fn;
    peer *p;
    void *arg;
    bool done;
} call;

static void run_call(sy_worker *w, void *arg)
{
    call *c = arg;
    c->fn(c->p, c->arg);
    pthread_mutex_lock(&mu);
    c->done = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* Runs fn(p, arg) on p's worker and returns once it has run. */
static void on_worker(peer *p, peer_fn fn, void *arg)
{
    call c = {fn, p, arg, false};
    if (sy_worker_post(p->worker, run_call, &c) != 0) {
        CHECK(!"sy_worker_post failed");
        return;
    }
    pthread_mutex_lock(&mu);
    while (!c.done)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

/* Waits until pred() holds (checked under mu), at most timeout seconds. */
static bool wait_until(bool (*pred)(void *), void *arg, double timeout)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    long long ns = deadline.tv_nsec + (long long)(timeout * 1e9);
    deadline.tv_sec += (time_t)(ns / 1000000000LL);
    deadline.tv_nsec = (long)(ns % 1000000000LL);
    pthread_mutex_lock(&mu);
    bool ok;
    while (!(ok = pred(arg)))
        if (pthread_cond_timedwait(&cv, &mu, &deadline) == ETIMEDOUT) {
            ok = pred(arg);
            break;
        }
    pthread_mutex_unlock(&mu);
    return ok;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- steps run on the worker ---- */

static void do_create(peer *p, void *arg)
{
    sy_ice_callbacks cb = callbacks_for(p);
    p->ice = sy_ice_new(p->worker, &p->cfg, &cb);
    pthread_mutex_lock(&mu);
    if (p->ice) {
        snprintf(p->ufrag, sizeof(p->ufrag), "%s", sy_ice_local_ufrag(p->ice));
        snprintf(p->pwd, sizeof(p->pwd), "%s", sy_ice_local_pwd(p->ice));
    }
    pthread_mutex_unlock(&mu);
}

static void do_gather(peer *p, void *arg)
{
    *(int *)arg = sy_ice_gather(p->ice);
}

/* Remote credentials from the peer given as arg. */
static void do_set_creds(peer *p, void *arg)
{
    peer *from = arg;
    char ufrag[300], pwd[300];
    pthread_mutex_lock(&mu);
    memcpy(ufrag, from->ufrag, sizeof(ufrag));
    memcpy(pwd, from->pwd, sizeof(pwd));
    pthread_mutex_unlock(&mu);
    CHECK_EQ_INT(sy_ice_set_remote_credentials(p->ice, ufrag, pwd), 0);
}

/* Remote candidates from the peer given as arg, with and without "a=". */
static void do_add_cands(peer *p, void *arg)
{
    peer *from = arg;
    pthread_mutex_lock(&mu);
    int n = from->n_cands;
    char *copy[MAX_CANDS];
    for (int i = 0; i < n; i++)
        copy[i] = strdup(from->cands[i]);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < n; i++) {
        char line[600];
        snprintf(line, sizeof(line), "%s%s", i % 2 ? "a=" : "", copy[i]);
        CHECK_EQ_INT(sy_ice_add_remote_candidate(p->ice, line), 0);
        free(copy[i]);
    }
}

static void do_remote_done(peer *p, void *arg)
{
    sy_ice_remote_gathering_done(p->ice);
}

typedef struct send_range {
    uint32_t first, count;
} send_range;

static void do_send_range(peer *p, void *arg)
{
    const send_range *r = arg;
    uint8_t buf[PACKET_LEN];
    int ok = 0;
    for (uint32_t seq = r->first; seq < r->first + r->count; seq++) {
        fill_packet(buf, seq);
        if (sy_ice_send(p->ice, buf, sizeof(buf)) == PACKET_LEN) ok++;
    }
    pthread_mutex_lock(&mu);
    p->tx_ok += ok;
    pthread_mutex_unlock(&mu);
}

static void do_send_bye(peer *p, void *arg)
{
    CHECK_EQ_INT(sy_ice_send(p->ice, bye, sizeof(bye)), (int)sizeof(bye));
}

static void do_try_send(peer *p, void *arg)
{
    uint8_t buf[PACKET_LEN];
    fill_packet(buf, 0);
    *(int *)arg = sy_ice_send(p->ice, buf, sizeof(buf));
}

static void do_selected_pair(peer *p, void *arg)
{
    char *out = arg;
    if (sy_ice_selected_pair(p->ice, out, 128) != 0) out[0] = '\0';
}

/* The local candidates are reported again inside sy_ice_restart. */
static void do_restart(peer *p, void *arg)
{
    pthread_mutex_lock(&mu);
    for (int i = 0; i < p->n_cands; i++)
        free(p->cands[i]);
    p->n_cands = 0;
    p->gathered = false;
    pthread_mutex_unlock(&mu);
    CHECK_EQ_INT(sy_ice_restart(p->ice), 0);
    pthread_mutex_lock(&mu);
    snprintf(p->ufrag, sizeof(p->ufrag), "%s", sy_ice_local_ufrag(p->ice));
    snprintf(p->pwd, sizeof(p->pwd), "%s", sy_ice_local_pwd(p->ice));
    pthread_mutex_unlock(&mu);
}

static void do_free(peer *p, void *arg)
{
    pthread_mutex_lock(&mu);
    p->freed = true;
    p->t_freed = now_s();
    pthread_mutex_unlock(&mu);
    sy_ice_free(p->ice); /* from a task: released at once */
    p->ice = NULL;
}

/* ---- predicates (under mu) ---- */

static bool gathered(void *arg)
{
    return ((peer *)arg)->gathered;
}

static bool both_connected(void *arg)
{
    peer **pp = arg;
    return pp[0]->state == SY_ICE_CONNECTED && pp[1]->state == SY_ICE_CONNECTED;
}

typedef struct rx_target {
    peer *a, *b;
    int n;
} rx_target;

static bool both_received(void *arg)
{
    rx_target *t = arg;
    return t->a->rx + t->a->rx_bad >= t->n && t->b->rx + t->b->rx_bad >= t->n;
}

/* A peer's state history since a mark: CHECKING, then CONNECTED. */
typedef struct reconnect_mark {
    peer *p;
    int from;
} reconnect_mark;

static bool reconnected(void *arg)
{
    reconnect_mark *m = arg;
    bool checking = false;
    for (int i = m->from; i < m->p->n_states; i++) {
        if (m->p->states[i] == SY_ICE_CHECKING) checking = true;
        if (checking && m->p->states[i] == SY_ICE_CONNECTED) return true;
    }
    return false;
}

static bool is_freed(void *arg)
{
    return ((peer *)arg)->freed;
}

static bool has_failed(void *arg)
{
    return ((peer *)arg)->state == SY_ICE_FAILED;
}

/* ---- scenario helpers ---- */

static void peer_init(peer *p, const char *name, int worker, bool controlling, bool lite,
                      bool consent)
{
    memset(p, 0, sizeof(*p));
    p->name = name;
    p->worker = sy_worker_get(worker);
    p->cfg.controlling = controlling;
    p->cfg.lite = lite;
    p->cfg.consent_freshness = consent;
    p->cfg.local_ips = loopback_ips;
    p->cfg.n_local_ips = 1;
}

static void peer_clear(peer *p)
{
    for (int i = 0; i < p->n_cands; i++)
        free(p->cands[i]);
    p->n_cands = 0;
}

static bool create_and_gather(peer *p)
{
    on_worker(p, do_create, NULL);
    CHECK(p->ice != NULL);
    if (!p->ice) return false;
    CHECK(strlen(p->ufrag) >= 4);
    CHECK(strlen(p->pwd) >= 22);
    int r = -1;
    on_worker(p, do_gather, &r);
    CHECK_EQ_INT(r, 0);
    CHECK(wait_until(gathered, p, 5));
    pthread_mutex_lock(&mu);
    CHECK(p->n_cands >= 1);
    for (int i = 0; i < p->n_cands; i++) {
        CHECK(strncmp(p->cands[i], "candidate:", 10) == 0);
        CHECK_CONTAINS(p->cands[i], " 127.0.0.1 ");
        CHECK_CONTAINS(p->cands[i], " typ host");
    }
    pthread_mutex_unlock(&mu);
    return true;
}

/* Connects a (controlling or full) and b; b gets a's candidates unless prflx. */
static bool connect_pair(peer *a, peer *b, bool prflx)
{
    if (!create_and_gather(a) || !create_and_gather(b)) return false;
    on_worker(a, do_set_creds, b);
    on_worker(b, do_set_creds, a);
    if (!prflx) on_worker(b, do_add_cands, a);
    on_worker(b, do_remote_done, NULL); /* with prflx: nothing to wait for, as with mDNS */
    on_worker(a, do_add_cands, b);
    on_worker(a, do_remote_done, NULL);
    double t0 = now_s();
    peer *pair[2] = {a, b};
    bool ok = wait_until(both_connected, pair, CONNECT_TIMEOUT);
    CHECK(ok);
    if (ok)
        printf("  %s/%s connected in %.0f/%.0f ms\n", a->name, b->name, (a->t_connected - t0) * 1e3,
               (b->t_connected - t0) * 1e3);
    else
        fprintf(stderr, "  %s state %d, %s state %d\n", a->name, a->state, b->name, b->state);
    return ok;
}

/* 100 datagrams of 1000 bytes each way, all intact. Sent in bursts of 25 (a burst
 * must fit the receiver's socket buffer while its worker is busy sending too). */
static void exchange_data(peer *a, peer *b)
{
    pthread_mutex_lock(&mu);
    a->rx = a->rx_bad = b->rx = b->rx_bad = a->tx_ok = b->tx_ok = 0;
    pthread_mutex_unlock(&mu);
    for (uint32_t first = 0; first < N_PACKETS; first += BURST) {
        send_range r = {first, BURST};
        on_worker(a, do_send_range, &r);
        on_worker(b, do_send_range, &r);
        rx_target t = {a, b, (int)(first + BURST)};
        if (!wait_until(both_received, &t, 5)) break;
    }
    sleep_s(0.05); /* nothing extra arrives */
    pthread_mutex_lock(&mu);
    CHECK_EQ_INT(a->tx_ok, N_PACKETS);
    CHECK_EQ_INT(b->tx_ok, N_PACKETS);
    CHECK_EQ_INT(a->rx, N_PACKETS);
    CHECK_EQ_INT(b->rx, N_PACKETS);
    CHECK_EQ_INT(a->rx_bad, 0);
    CHECK_EQ_INT(b->rx_bad, 0);
    pthread_mutex_unlock(&mu);
}

/* The port of p's first candidate. */
static int candidate_port(peer *p)
{
    pthread_mutex_lock(&mu);
    char addr[64];
    int port = 0;
    if (p->n_cands < 1 ||
        sscanf(p->cands[0], "candidate:%*s %*d %*s %*u %63s %d", addr, &port) != 2)
        port = 0;
    pthread_mutex_unlock(&mu);
    return port;
}

/* ---- the scenarios ---- */

typedef struct add_arg {
    const char *cand;
    int result;
} add_arg;

static void do_add_one(peer *p, void *arg)
{
    add_arg *a = arg;
    a->result = sy_ice_add_remote_candidate(p->ice, a->cand);
}

static int add_one(peer *p, const char *cand)
{
    add_arg a = {cand, -99};
    on_worker(p, do_add_one, &a);
    return a.result;
}

static void test_screening(void)
{
    peer p;
    peer_init(&p, "screen", 0, false, false, false);
    on_worker(&p, do_create, NULL);
    CHECK(p.ice != NULL);
    if (!p.ice) return;

    /* Before the remote credentials: refused. */
    CHECK(add_one(&p, "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host") < 0);
    peer other;
    memset(&other, 0, sizeof(other));
    snprintf(other.ufrag, sizeof(other.ufrag), "abcd");
    snprintf(other.pwd, sizeof(other.pwd), "abcdefghijklmnopqrstuvwx");
    on_worker(&p, do_set_creds, &other);

    CHECK_EQ_INT(add_one(&p, "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host"), 0);
    CHECK_EQ_INT(add_one(&p, "a=candidate:2 1 UDP 2122260223 127.0.0.2 5001 typ host "
                             "generation 0 ufrag abcd network-id 1"),
                 0);
    CHECK_EQ_INT(add_one(&p, "candidate:3 1 udp 1686052607 203.0.113.7 6000 typ srflx raddr "
                             "0.0.0.0 rport 0 generation 0"),
                 0);
    CHECK_EQ_INT(add_one(&p, "candidate:4 1 udp 2122262783 2001:db8::1 5002 typ host"), 0);
    /* mDNS: ignored without a lookup. */
    CHECK_EQ_INT(add_one(&p, "candidate:5 1 udp 2122260223 "
                             "0b5c3d1e-4f2a-4c8b-9d7e-1a2b3c4d5e6f.local 5003 typ host"),
                 1);
    /* TCP and an RTCP component: ignored (ICE-TCP off, rtcp-mux mandatory). */
    CHECK_EQ_INT(add_one(&p, "candidate:6 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active"),
                 1);
    CHECK_EQ_INT(add_one(&p, "candidate:7 2 udp 2122260222 127.0.0.1 5004 typ host"), 1);
    /* Refused addresses. */
    const char *bad[] = {
        "candidate:8 1 udp 2122260223 0.0.0.0 5005 typ host",
        "candidate:8 1 udp 2122260223 224.0.0.251 5353 typ host",
        "candidate:8 1 udp 2122260223 239.1.2.3 5005 typ host",
        "candidate:8 1 udp 2122260223 255.255.255.255 5005 typ host",
        "candidate:8 1 udp 2122260223 169.254.169.254 80 typ host",
        "candidate:8 1 udp 2122260223 :: 5005 typ host",
        "candidate:8 1 udp 2122260223 ff02::1 5005 typ host",
        "candidate:8 1 udp 2122260223 fe80::1 5005 typ host",
        "candidate:8 1 udp 2122260223 ::ffff:127.0.0.1 5005 typ host",
        "candidate:8 1 udp 2122260223 127.0.0.1 0 typ host",
        "candidate:8 1 udp 2122260223 127.0.0.1 70000 typ host",
        "candidate:8 1 udp 2122260223 127.0.0.1 -5 typ host",
        "candidate:8 x udp 2122260223 127.0.0.1 5005 typ host",
        "candidate:8 1 udp 2122260223 example.com 5005 typ host",
        "candidate:8 1 udp 2122260223 127.0.0.1",
        "candidate:",
        "garbage",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = add_one(&p, bad[i]);
        if (r >= 0) fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK(r < 0);
    }
    char longc[700];
    memset(longc, 'x', sizeof(longc) - 1);
    longc[sizeof(longc) - 1] = '\0';
    memcpy(longc, "candidate:", 10);
    CHECK(add_one(&p, longc) < 0);

    /* The cap: 64 per session (4 added above). */
    int accepted = 4;
    for (int i = 0; i < 70; i++) {
        char c[128];
        snprintf(c, sizeof(c), "candidate:%d 1 udp 2122260223 127.0.1.%d 7000 typ host", 100 + i,
                 1 + i);
        if (add_one(&p, c) == 0) accepted++;
    }
    CHECK_EQ_INT(accepted, 64);

    on_worker(&p, do_free, NULL);
    peer_clear(&p);

    /* Without a loopback local address, loopback candidates are refused. */
    peer q;
    peer_init(&q, "noloop", 0, false, false, false);
    q.cfg.local_ips = NULL;
    q.cfg.n_local_ips = 0;
    on_worker(&q, do_create, NULL);
    CHECK(q.ice != NULL);
    if (q.ice) {
        on_worker(&q, do_set_creds, &other);
        CHECK(add_one(&q, "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host") < 0);
        CHECK(add_one(&q, "candidate:1 1 udp 2122260223 ::1 5000 typ host") < 0);
        CHECK_EQ_INT(add_one(&q, "candidate:1 1 udp 2122260223 192.0.2.1 5000 typ host"), 0);
        on_worker(&q, do_free, NULL);
    }
    CHECK_EQ_INT(q.late + p.late, 0);
}

typedef struct creds_arg {
    const char *ufrag, *pwd;
    int result;
} creds_arg;

static void do_set_creds_raw(peer *p, void *arg)
{
    creds_arg *c = arg;
    c->result = sy_ice_set_remote_credentials(p->ice, c->ufrag, c->pwd);
}

static void test_credentials_and_config(void)
{
    peer p;
    peer_init(&p, "creds", 1, true, false, false);
    on_worker(&p, do_create, NULL);
    CHECK(p.ice != NULL);
    if (!p.ice) return;
    creds_arg cases[] = {
        {"abcd", "abcdefghijklmnopqrstuv", 0},
        {"abc", "abcdefghijklmnopqrstuv", -1},  /* ufrag too short */
        {"abcd", "abcdefghijklmnopqrstu", -1},  /* pwd too short */
        {"ab:d", "abcdefghijklmnopqrstuv", -1}, /* the USERNAME separator */
        {"ab d", "abcdefghijklmnopqrstuv", -1},
        {NULL, "abcdefghijklmnopqrstuv", -1},
        {"a+/9", "abcdefghijklmnopqrstuv+/", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int want = cases[i].result;
        on_worker(&p, do_set_creds_raw, &cases[i]);
        CHECK_EQ_INT(cases[i].result, want);
    }
    on_worker(&p, do_free, NULL);

    /* Bad configurations are refused. */
    const char *bad_ip[] = {"not-an-ip"};
    peer q;
    peer_init(&q, "badcfg", 1, true, false, false);
    q.cfg.local_ips = bad_ip;
    on_worker(&q, do_create, NULL);
    CHECK(q.ice == NULL);
    peer_init(&q, "badcfg", 1, true, false, false);
    q.cfg.stun_server = "stun.example.com:3478";
    on_worker(&q, do_create, NULL);
    CHECK(q.ice == NULL);
    peer_init(&q, "badcfg", 1, true, false, false);
    q.cfg.port_min = 5000;
    q.cfg.port_max = 4000;
    on_worker(&q, do_create, NULL);
    CHECK(q.ice == NULL);

    /* A port range is honoured; nat_1_1_ip replaces the advertised address. */
    peer r;
    peer_init(&r, "natted", 1, true, false, false);
    r.cfg.port_min = 41000;
    r.cfg.port_max = 41010;
    r.cfg.nat_1_1_ip = "198.51.100.20";
    r.cfg.stun_server = "127.0.0.1:3478"; /* numeric: accepted (and unreachable: fine) */
    on_worker(&r, do_create, NULL);
    CHECK(r.ice != NULL);
    if (r.ice) {
        int g = -1;
        on_worker(&r, do_gather, &g);
        CHECK_EQ_INT(g, 0);
        CHECK(wait_until(gathered, &r, 5));
        int port = candidate_port(&r);
        CHECK(port >= 41000 && port <= 41010);
        pthread_mutex_lock(&mu);
        CHECK(r.n_cands >= 1);
        for (int i = 0; i < r.n_cands; i++) {
            CHECK_CONTAINS(r.cands[i], " 198.51.100.20 ");
            CHECK(strstr(r.cands[i], "127.0.0.1") == NULL);
        }
        pthread_mutex_unlock(&mu);
        on_worker(&r, do_free, NULL);
    }
    peer_clear(&r);
}

/* A datagram from an address ICE has not validated must not reach the caller. */
static void inject_unvalidated(peer *target)
{
    int port = candidate_port(target);
    CHECK(port > 0);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    if (fd < 0 || port <= 0) return;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint8_t pkt[PACKET_LEN];
    fill_packet(pkt, 4242);
    uint8_t dtls[64] = {0x16, 0xfe, 0xfd};
    pthread_mutex_lock(&mu);
    int rx0 = target->rx, bad0 = target->rx_bad;
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < 3; i++) {
        CHECK(sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) ==
              (ssize_t)sizeof(pkt));
        CHECK(sendto(fd, dtls, sizeof(dtls), 0, (struct sockaddr *)&to, sizeof(to)) ==
              (ssize_t)sizeof(dtls));
    }
    sleep_s(0.3);
    pthread_mutex_lock(&mu);
    CHECK_EQ_INT(target->rx, rx0);
    CHECK_EQ_INT(target->rx_bad, bad0);
    pthread_mutex_unlock(&mu);
    close(fd);
}

/* ---- shared-port ICE-lite ---- */

static int raw_socket(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET};
    me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&me, sizeof(me)) == 0);
    struct timeval tv = {0, 300000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Sends one datagram to 127.0.0.1:port and returns the reply's length (0: none). */
static ssize_t exchange_raw(int fd, int port, const uint8_t *msg, size_t len, uint8_t *reply,
                            size_t cap)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len);
    ssize_t n = recv(fd, reply, cap, 0);
    return n < 0 ? 0 : n;
}

static void stun_probes(peer *lite)
{
    int port = candidate_port(lite);
    int fd = raw_socket();
    char user[600], pwd[300];
    pthread_mutex_lock(&mu);
    snprintf(user, sizeof(user), "%s:zzzz", lite->ufrag);
    snprintf(pwd, sizeof(pwd), "%s", lite->pwd);
    pthread_mutex_unlock(&mu);
    uint8_t txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint8_t req[512], reply[512];

    /* Silence: unknown ufrag, wrong key, no FINGERPRINT (cut it off), wrong remote half. */
    size_t n = sy_stun_build_request(req, sizeof(req), txid, "nobody00:zzzz", 1, true, 7, true,
                                     pwd, strlen(pwd));
    CHECK(n > 0 && exchange_raw(fd, port, req, n, reply, sizeof(reply)) == 0);
    n = sy_stun_build_request(req, sizeof(req), txid, user, 1, true, 7, true, "wrongpasswordwrongpass",
                              22);
    CHECK(n > 0 && exchange_raw(fd, port, req, n, reply, sizeof(reply)) == 0);
    n = sy_stun_build_request(req, sizeof(req), txid, user, 1, true, 7, true, pwd, strlen(pwd));
    uint8_t cut[512];
    memcpy(cut, req, n - 8);
    cut[2] = (uint8_t)((n - 8 - 20) >> 8);
    cut[3] = (uint8_t)(n - 8 - 20);
    CHECK(exchange_raw(fd, port, cut, n - 8, reply, sizeof(reply)) == 0);
    char wrong_remote[600];
    pthread_mutex_lock(&mu);
    snprintf(wrong_remote, sizeof(wrong_remote), "%s:not-the-peer", lite->ufrag);
    pthread_mutex_unlock(&mu);
    n = sy_stun_build_request(req, sizeof(req), txid, wrong_remote, 1, true, 7, false, pwd,
                              strlen(pwd));
    CHECK(n > 0 && exchange_raw(fd, port, req, n, reply, sizeof(reply)) == 0);
    uint8_t junk[64] = {0x00, 0x01, 0x00, 0x2c, 0x21, 0x12, 0xa4, 0x42};
    CHECK(exchange_raw(fd, port, junk, sizeof(junk), reply, sizeof(reply)) == 0);
    close(fd);
}

/* A check with the peer's real credentials from a raw socket: success (or 487). */
static void stun_answers(peer *lite, peer *remote)
{
    int port = candidate_port(lite);
    int fd = raw_socket();
    char user[600], pwd[300];
    pthread_mutex_lock(&mu);
    snprintf(user, sizeof(user), "%s:%s", lite->ufrag, remote->ufrag);
    snprintf(pwd, sizeof(pwd), "%s", lite->pwd);
    pthread_mutex_unlock(&mu);
    uint8_t txid[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
    uint8_t req[512], reply[512];
    size_t n = sy_stun_build_request(req, sizeof(req), txid, user, 1, true, 7, false, pwd, strlen(pwd));
    ssize_t r = exchange_raw(fd, port, req, n, reply, sizeof(reply));
    sy_stun_msg m;
    CHECK(r > 0 && sy_stun_parse(reply, (size_t)r, &m) == 0);
    if (r > 0) {
        CHECK_EQ_INT(m.type, SY_STUN_BINDING_SUCCESS);
        CHECK(memcmp(m.txid, txid, 12) == 0);
        CHECK(m.fingerprint && sy_stun_integrity_ok(reply, (size_t)r, &m, pwd, strlen(pwd)));
        struct sockaddr_in me;
        socklen_t sl = sizeof(me);
        getsockname(fd, (struct sockaddr *)&me, &sl);
        CHECK(m.has_mapped && ((struct sockaddr_in *)&m.mapped)->sin_port == me.sin_port &&
              ((struct sockaddr_in *)&m.mapped)->sin_addr.s_addr == me.sin_addr.s_addr);
    }
    n = sy_stun_build_request(req, sizeof(req), txid, user, 1, false, 7, false, pwd, strlen(pwd));
    r = exchange_raw(fd, port, req, n, reply, sizeof(reply));
    CHECK(r > 0 && sy_stun_parse(reply, (size_t)r, &m) == 0);
    if (r > 0) {
        CHECK_EQ_INT(m.type, SY_STUN_BINDING_ERROR);
        CHECK_EQ_INT(m.error_code, 487);
    }
    close(fd);
}

static void test_shared_lite(void)
{
    static peer h1, h2, x1, x2;
    peer_init(&h1, "H1(shared)", 1, false, true, false);
    peer_init(&h2, "H2(shared)", 1, false, true, false);
    h1.cfg.shared_port = h2.cfg.shared_port = true;
    peer_init(&x1, "X1", 0, true, false, false);
    peer_init(&x2, "X2", 0, true, false, false);
    if (!connect_pair(&x1, &h1, false) || !connect_pair(&x2, &h2, false)) return;
    CHECK_EQ_INT(candidate_port(&h1), candidate_port(&h2));
    exchange_data(&x1, &h1);
    exchange_data(&x2, &h2);
    char pair[128];
    on_worker(&h1, do_selected_pair, pair);
    char want[64];
    snprintf(want, sizeof(want), "127.0.0.1:%d <-> 127.0.0.1:", candidate_port(&h1));
    CHECK_CONTAINS(pair, want);
    printf("  H1 selected pair %s\n", pair);
    inject_unvalidated(&h1);
    stun_probes(&h1);
    stun_answers(&h1, &x1);

    /* Restart H2 (new credentials): media keeps flowing on the old pair, then X2's checks
     * with the new credentials reconnect. */
    char old[300];
    snprintf(old, sizeof(old), "%s", h2.ufrag);
    on_worker(&h2, do_restart, NULL);
    CHECK(strcmp(old, h2.ufrag) != 0);
    exchange_data(&x2, &h2);
    pthread_mutex_lock(&mu);
    reconnect_mark mark = {&x2, x2.n_states};
    pthread_mutex_unlock(&mu);
    on_worker(&x2, do_restart, NULL);
    on_worker(&x2, do_set_creds, &h2);
    on_worker(&h2, do_set_creds, &x2);
    on_worker(&x2, do_add_cands, &h2);
    on_worker(&x2, do_remote_done, NULL);
    CHECK(wait_until(reconnected, &mark, CONNECT_TIMEOUT));
    exchange_data(&x2, &h2);

    peer *all[] = {&h1, &h2, &x1, &x2};
    for (size_t i = 0; i < 4; i++)
        if (all[i]->ice && !all[i]->freed) on_worker(all[i], do_free, NULL);
    for (size_t i = 0; i < 4; i++) {
        CHECK_EQ_INT(all[i]->late, 0);
        peer_clear(all[i]);
    }
}

static int main_in_netns(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&cv, &attr);
    pthread_condattr_destroy(&attr);

    CHECK_EQ_INT(sy_workers_start(2), 0);
    double t_start = now_s();

    test_screening();
    test_credentials_and_config();
    test_shared_lite();

    /* Full ICE, consent freshness on both sides. */
    static peer a, b;
    peer_init(&a, "A", 0, true, false, true);
    peer_init(&b, "B", 1, false, false, true);
    b.free_on_bye = true;
    if (connect_pair(&a, &b, false)) {
        char pair[128];
        on_worker(&a, do_selected_pair, pair);
        CHECK_CONTAINS(pair, "127.0.0.1:");
        CHECK_CONTAINS(pair, " <-> 127.0.0.1:");
        printf("  A selected pair %s\n", pair);
        exchange_data(&a, &b);
        inject_unvalidated(&a);
        inject_unvalidated(&b);
        /* B frees itself inside its receive callback; A must then lose consent. */
        on_worker(&a, do_send_bye, NULL);
        CHECK(wait_until(is_freed, &b, 5));
    }

    /* ICE-lite on one side. */
    static peer c, d;
    peer_init(&c, "C", 0, true, false, true);
    peer_init(&d, "D(lite)", 1, false, true, true);
    if (connect_pair(&c, &d, false)) {
        exchange_data(&c, &d);
        /* C goes away (freed from a task: released at once); lite D must lose consent. */
        on_worker(&c, do_free, NULL);
    }

    /* Peer-reflexive: F never learns E's candidates. */
    static peer e, f;
    peer_init(&e, "E", 1, true, false, false);
    peer_init(&f, "F(prflx)", 0, false, false, false);
    if (connect_pair(&e, &f, true)) {
        exchange_data(&e, &f);
        char pair[128];
        on_worker(&f, do_selected_pair, pair);
        char want[32];
        snprintf(want, sizeof(want), "<-> 127.0.0.1:%d", candidate_port(&e));
        CHECK_CONTAINS(pair, want);
        printf("  F selected pair %s (peer-reflexive)\n", pair);

        /* ICE restart on both sides: new credentials, connected again, data flows. */
        char old_e[300], old_f[300];
        snprintf(old_e, sizeof(old_e), "%s", e.ufrag);
        snprintf(old_f, sizeof(old_f), "%s", f.ufrag);
        on_worker(&e, do_restart, NULL);
        on_worker(&f, do_restart, NULL);
        CHECK(strcmp(old_e, e.ufrag) != 0);
        CHECK(strcmp(old_f, f.ufrag) != 0);
        pthread_mutex_lock(&mu);
        CHECK(e.gathered && e.n_cands >= 1); /* reported again by the restart */
        CHECK(f.gathered && f.n_cands >= 1);
        reconnect_mark marks[2] = {{&e, e.n_states}, {&f, f.n_states}};
        pthread_mutex_unlock(&mu);
        on_worker(&e, do_set_creds, &f);
        on_worker(&f, do_set_creds, &e);
        on_worker(&f, do_remote_done, NULL);
        on_worker(&e, do_add_cands, &f);
        on_worker(&e, do_remote_done, NULL);
        CHECK(wait_until(reconnected, &marks[0], CONNECT_TIMEOUT));
        CHECK(wait_until(reconnected, &marks[1], CONNECT_TIMEOUT));
        exchange_data(&e, &f);
    }

    /* Freed from inside gathering-done, which fires inside sy_ice_gather. */
    static peer g;
    peer_init(&g, "G", 0, false, false, false);
    g.free_on_gathered = true;
    on_worker(&g, do_create, NULL);
    CHECK(g.ice != NULL);
    if (g.ice) {
        int r = -1;
        on_worker(&g, do_gather, &r);
        CHECK_EQ_INT(r, 0);
        CHECK(g.freed);
    }

    /* Consent: A lost B at b.t_freed, lite D lost C at c.t_freed. */
    struct {
        peer *survivor, *gone;
    } consent[] = {{&a, &b}, {&d, &c}};
    for (int i = 0; i < 2; i++) {
        peer *s = consent[i].survivor, *gone = consent[i].gone;
        if (!gone->freed) continue;
        bool failed = wait_until(has_failed, s, CONSENT_MAX - (now_s() - gone->t_freed));
        CHECK(failed);
        if (!failed) continue;
        double dt = s->t_failed - gone->t_freed;
        printf("  %s: consent lost %.1f s after %s went away\n", s->name, dt, gone->name);
        CHECK(dt >= CONSENT_MIN && dt <= CONSENT_MAX);
        int r = 0;
        on_worker(s, do_try_send, &r);
        CHECK(r < 0);
    }

    peer *all[] = {&a, &c, &d, &e, &f};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i]->ice && !all[i]->freed) on_worker(all[i], do_free, NULL);
    sleep_s(0.2); /* late callbacks would show up now */
    sy_workers_stop();

    peer *every[] = {&a, &b, &c, &d, &e, &f, &g};
    for (size_t i = 0; i < sizeof(every) / sizeof(every[0]); i++) {
        if (every[i]->late)
            fprintf(stderr, "%s: %d late callbacks\n", every[i]->name, every[i]->late);
        CHECK_EQ_INT(every[i]->late, 0);
        CHECK(!every[i]->wrong_thread);
        peer_clear(every[i]);
    }
    printf("  total %.1f s\n", now_s() - t_start);
    pthread_cond_destroy(&cv);
    return CHECK_DONE();
}

/* Re-executes the test inside a fresh network namespace that has only loopback, unless
 * it already runs in one. If no namespace can be made, it runs here: the agents use
 * 127.0.0.1 only and no STUN server but 127.0.0.1, so no packet leaves the machine. */
int main(int argc, char **argv)
{
    if (getenv("SY_IN_NETNS") || getenv("SY_NETNS")) return main_in_netns();
    const char *path = getenv("PATH");
    char newpath[4096];
    snprintf(newpath, sizeof(newpath), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
    setenv("PATH", newpath, 1);
    const char *unshare = geteuid() == 0 ? "unshare -n" : "unshare -r -n";
    char probe[128];
    snprintf(probe, sizeof(probe), "%s sh -c 'ip link set lo up' >/dev/null 2>&1", unshare);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0 && system(probe) == 0) {
        self[n] = '\0';
        setenv("SY_IN_NETNS", "1", 1);
        char *args[argc + 8];
        int k = 0;
        args[k++] = "unshare";
        if (geteuid() != 0) args[k++] = "-r";
        args[k++] = "-n";
        args[k++] = "sh";
        args[k++] = "-c";
        args[k++] = "ip link set lo up && exec \"$0\" \"$@\"";
        args[k++] = self;
        for (int i = 1; i < argc; i++)
            args[k++] = argv[i];
        args[k] = NULL;
        execvp("unshare", args);
    }
    fprintf(stderr, "test_ice: no network namespace (%s); running on 127.0.0.1 only\n", unshare);
    return main_in_netns();
}
