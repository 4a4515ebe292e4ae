/*
 * ICE-lite on the media worker's shared sockets: see ice_lite.h.
 *
 * Everything here runs on one worker thread: the per-worker state (sy_mux) is reached
 * through a thread-local pointer, and no lock is taken. Agents are found by local ufrag
 * (STUN) or by the source address their checks validated (everything else); both tables
 * hold pointers into the agent, removed when the agent goes.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "media/ice_lite.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "media/media_counters.h"
#include "protocol/stun.h"

#define MAX_SOCKS 8
#define SEND_BATCH 64
#define SEND_SLOT 2048
#define RECV_BATCH 32
#define RECV_SLOT 2048
/* Datagrams read per readable event before the loop gets a turn elsewhere. */
#define RECV_BUDGET (RECV_BATCH * 16)
/* Validated remote addresses kept per agent (a peer's interfaces and its NAT). */
#define MAX_ADDRS 4
#define MAX_CREDENTIAL_LEN 256
#define UFRAG_LEN 8
#define PWD_LEN 24
/* Requested socket buffers: one socket carries every PC of the worker. Root gets the
 * size asked for (SO_*BUFFORCE); otherwise the kernel clamps to rmem_max/wmem_max. */
#define SOCKET_BUFFER (4 * 1024 * 1024)
#define COUNTER_FOLD_MS 100

/* A remote transport address as seen on one of our sockets: the table key. */
typedef struct addr_key {
    uint8_t sock;
    uint8_t family; /* 4 or 6 */
    uint16_t port;  /* network order */
    uint8_t ip[16];
} addr_key;

typedef struct mux_sock {
    uv_poll_t poll;
    int fd;
    int family;
    char ip[INET6_ADDRSTRLEN]; /* the bound address */
    uint16_t port;
    int index;     /* in sy_mux.socks, also addr_key.sock */
    bool loopback; /* bound to a loopback address */
    /* Send queue. */
    int n;
    struct mmsghdr msgs[SEND_BATCH];
    struct iovec iov[SEND_BATCH];
    struct sockaddr_storage to[SEND_BATCH];
    uint8_t buf[SEND_BATCH][SEND_SLOT];
} mux_sock;

typedef struct sy_mux {
    sy_worker *worker;
    mux_sock *socks[MAX_SOCKS];
    int n_socks;
    GHashTable *by_ufrag; /* char * (in the agent) -> sy_lite */
    GHashTable *by_addr;  /* addr_key * (in the agent) -> sy_lite */
    bool allow_loopback;  /* a socket is on loopback: loopback peers are allowed */
    uv_prepare_t prepare;
    uv_check_t check;
    uv_timer_t fold;
    int open_handles;
    uint64_t counts[SY_MC_COUNT]; /* folded into the global counters by the timer */
    /* Receive batch. */
    struct mmsghdr rmsgs[RECV_BATCH];
    struct iovec riov[RECV_BATCH];
    struct sockaddr_storage rfrom[RECV_BATCH];
    uint8_t rbuf[RECV_BATCH][RECV_SLOT];
} sy_mux;

struct sy_lite {
    sy_mux *mux;
    sy_ice_callbacks cb;
    sy_ice_state state;
    bool gathered;
    bool remote_creds;
    bool allow_loopback;
    bool nominated;     /* the selected address came with USE-CANDIDATE */
    int selected;       /* index into addrs, -1: none */
    int n_addrs;
    addr_key addrs[MAX_ADDRS];
    uint64_t addr_seen[MAX_ADDRS]; /* loop time (ms) of the address's last check */
    unsigned n_remote;
    const sy_netrange *allowed, *denied;
    size_t n_allowed, n_denied;
    char *nat_1_1_ip;
    char ufrag[UFRAG_LEN + 1];
    char pwd[PWD_LEN + 1];
    char remote_ufrag[MAX_CREDENTIAL_LEN + 1];
};

static __thread sy_mux *tl_mux;

/* ---- addresses ---- */

static void key_from(addr_key *k, int sock, const struct sockaddr_storage *ss)
{
    memset(k, 0, sizeof(*k));
    k->sock = (uint8_t)sock;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        k->family = 4;
        k->port = a->sin_port;
        memcpy(k->ip, &a->sin_addr, 4);
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        k->family = 6;
        k->port = a->sin6_port;
        memcpy(k->ip, &a->sin6_addr, 16);
    }
}

static socklen_t sockaddr_from(const addr_key *k, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (k->family == 4) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = k->port;
        memcpy(&a->sin_addr, k->ip, 4);
        return sizeof(*a);
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = k->port;
    memcpy(&a->sin6_addr, k->ip, 16);
    return sizeof(*a);
}

static guint key_hash(gconstpointer p)
{
    const addr_key *k = p;
    /* FNV-1a over the key bytes: a few ns, once per datagram. */
    const uint8_t *b = p;
    uint32_t h = 2166136261u;
    size_t n = k->family == 4 ? 8 : sizeof(*k);
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
    return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(addr_key)) == 0;
}

static void format_key(const addr_key *k, char *out, size_t len)
{
    char ip[INET6_ADDRSTRLEN];
    inet_ntop(k->family == 4 ? AF_INET : AF_INET6, k->ip, ip, sizeof(ip));
    snprintf(out, len, k->family == 4 ? "%s:%u" : "[%s]:%u", ip, ntohs(k->port));
}

/* ---- the per-worker sockets ---- */

static void count(sy_mux *mux, sy_media_counter which)
{
    mux->counts[which]++;
}

static void fold_counters(sy_mux *mux)
{
    for (int i = 0; i < SY_MC_COUNT; i++)
        if (mux->counts[i]) {
            sy_media_counters_add(i, mux->counts[i]);
            mux->counts[i] = 0;
        }
}

static void on_fold(uv_timer_t *t)
{
    fold_counters(t->data);
}

static void flush_sock(sy_mux *mux, mux_sock *s)
{
    int i = 0;
    while (i < s->n) {
        int r = sendmmsg(s->fd, s->msgs + i, (unsigned)(s->n - i), MSG_DONTWAIT);
        if (r > 0) {
            i += r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            /* The first remaining datagram failed (full buffer, unreachable): drop it
             * and go on with the rest. */
            count(mux, SY_MC_SEND_DROPPED);
            i++;
        }
    }
    s->n = 0;
}

static void flush_all(sy_mux *mux)
{
    for (int i = 0; i < mux->n_socks; i++)
        if (mux->socks[i]->n) flush_sock(mux, mux->socks[i]);
}

static void on_prepare(uv_prepare_t *h)
{
    flush_all(h->data);
}

static void on_check(uv_check_t *h)
{
    flush_all(h->data);
}

static void queue_send(sy_mux *mux, int sock, const addr_key *to, const uint8_t *buf, size_t len)
{
    mux_sock *s = mux->socks[sock];
    if (len > SEND_SLOT) {
        /* Larger than a slot (never seen: media is MTU-sized): keep the order and send
         * it alone. */
        flush_sock(mux, s);
        struct sockaddr_storage ss;
        socklen_t sl = sockaddr_from(to, &ss);
        if (sendto(s->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) < 0)
            count(mux, SY_MC_SEND_DROPPED);
        return;
    }
    if (s->n == SEND_BATCH) flush_sock(mux, s);
    int i = s->n++;
    memcpy(s->buf[i], buf, len);
    s->iov[i].iov_len = len; /* the slot's pointers are set once (open_sock) */
    s->msgs[i].msg_hdr.msg_namelen = sockaddr_from(to, &s->to[i]);
}

static void handle_stun(sy_mux *mux, int sock, const struct sockaddr_storage *from, uint8_t *buf,
                        size_t len);

static void on_readable(uv_poll_t *poll, int status, int events)
{
    mux_sock *s = poll->data;
    sy_mux *mux = tl_mux;
    if (status < 0 || !mux) return;
    int sock = s->index;
    for (int budget = RECV_BUDGET; budget > 0; budget -= RECV_BATCH) {
        /* The kernel writes the address length back: the rest was set once (mux_get). */
        for (int i = 0; i < RECV_BATCH; i++)
            mux->rmsgs[i].msg_hdr.msg_namelen = sizeof(mux->rfrom[i]);
        int n = recvmmsg(s->fd, mux->rmsgs, RECV_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        for (int i = 0; i < n; i++) {
            uint8_t *buf = mux->rbuf[i];
            size_t len = mux->rmsgs[i].msg_len;
            const struct sockaddr_storage *from = &mux->rfrom[i];
            if (len == 0 || (from->ss_family != AF_INET && from->ss_family != AF_INET6)) continue;
            if ((mux->rmsgs[i].msg_hdr.msg_flags & MSG_TRUNC) || len > RECV_SLOT) {
                count(mux, SY_MC_DROP_OVERSIZE);
                continue;
            }
            if (buf[0] < 4) {
                handle_stun(mux, sock, from, buf, len);
                continue;
            }
            addr_key k;
            key_from(&k, sock, from);
            sy_lite *l = g_hash_table_lookup(mux->by_addr, &k);
            if (!l) {
                count(mux, SY_MC_UNKNOWN_SOURCE);
                continue;
            }
            /* The callback may free the agent: nothing of it is used afterwards. */
            if (l->cb.recv) l->cb.recv(l->cb.user, buf, len);
            /* What this datagram fanned out leaves now, in sendmmsg batches, rather
             * than after the whole receive batch (which would add its processing time
             * to every copy's latency). */
            flush_all(mux);
        }
        if (n < RECV_BATCH) return;
    }
}

static void handle_closed(uv_handle_t *h)
{
    sy_mux *mux = h->data;
    if (--mux->open_handles > 0) return;
    for (int i = 0; i < mux->n_socks; i++) {
        close(mux->socks[i]->fd);
        free(mux->socks[i]);
    }
    g_hash_table_destroy(mux->by_ufrag);
    g_hash_table_destroy(mux->by_addr);
    free(mux);
}

static void close_handle(sy_mux *mux, uv_handle_t *h)
{
    h->data = mux;
    mux->open_handles++;
    uv_close(h, handle_closed);
}

/* The worker stops: flush, close everything (agents are gone by now). */
static void mux_stop(void *arg)
{
    sy_mux *mux = arg;
    flush_all(mux);
    fold_counters(mux);
    if (tl_mux == mux) tl_mux = NULL;
    if (g_hash_table_size(mux->by_ufrag))
        SY_WARN("ice-lite: %u agent(s) still registered at worker stop",
                g_hash_table_size(mux->by_ufrag));
    mux->open_handles = 1; /* held until every close is requested */
    for (int i = 0; i < mux->n_socks; i++) {
        uv_poll_stop(&mux->socks[i]->poll);
        close_handle(mux, (uv_handle_t *)&mux->socks[i]->poll);
    }
    close_handle(mux, (uv_handle_t *)&mux->prepare);
    close_handle(mux, (uv_handle_t *)&mux->check);
    close_handle(mux, (uv_handle_t *)&mux->fold);
    mux->open_handles--;
}

static void enlarge_buffers(int fd)
{
    int size = SOCKET_BUFFER;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/* Binds a socket on ip, on the first free port of the range (or any port). */
static mux_sock *open_sock(const char *ip, uint16_t port_min, uint16_t port_max)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sl;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        sl = sizeof(*a4);
    } else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        sl = sizeof(*a6);
    } else {
        SY_ERROR("ice-lite: local address '%s' is not a numeric address", ip);
        return NULL;
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        SY_ERROR("ice-lite: socket: %s", strerror(errno));
        return NULL;
    }
    if (ss.ss_family == AF_INET6) {
        int one = 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    unsigned lo = port_min, hi = port_min ? port_max : 0;
    int bound = -1;
    for (unsigned p = lo; p <= hi; p++) {
        if (ss.ss_family == AF_INET)
            a4->sin_port = htons((uint16_t)p);
        else
            a6->sin6_port = htons((uint16_t)p);
        if (bind(fd, (struct sockaddr *)&ss, sl) == 0) {
            bound = 0;
            break;
        }
        if (errno != EADDRINUSE) break;
    }
    if (bound != 0) {
        SY_ERROR("ice-lite: cannot bind a UDP socket on %s (ports %u-%u): %s", ip, lo, hi,
                 strerror(errno));
        close(fd);
        return NULL;
    }
    sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    enlarge_buffers(fd);
    mux_sock *s = calloc(1, sizeof(*s));
    if (!s) {
        close(fd);
        return NULL;
    }
    s->fd = fd;
    s->family = ss.ss_family;
    for (int i = 0; i < SEND_BATCH; i++) {
        s->iov[i].iov_base = s->buf[i];
        s->msgs[i].msg_hdr.msg_name = &s->to[i];
        s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
        s->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    s->port = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
    s->loopback = sy_netrange_loopback((struct sockaddr *)&ss);
    snprintf(s->ip, sizeof(s->ip), "%s", ip);
    return s;
}

static sy_mux *mux_get(sy_worker *worker, const sy_ice_config *cfg)
{
    if (tl_mux) return tl_mux;
    sy_mux *mux = calloc(1, sizeof(*mux));
    if (!mux) return NULL;
    mux->worker = worker;
    mux->by_ufrag = g_hash_table_new(g_str_hash, g_str_equal);
    mux->by_addr = g_hash_table_new(key_hash, key_equal);
    for (int i = 0; i < RECV_BATCH; i++) {
        mux->riov[i].iov_base = mux->rbuf[i];
        mux->riov[i].iov_len = RECV_SLOT;
        mux->rmsgs[i].msg_hdr.msg_name = &mux->rfrom[i];
        mux->rmsgs[i].msg_hdr.msg_iov = &mux->riov[i];
        mux->rmsgs[i].msg_hdr.msg_iovlen = 1;
    }
    for (size_t i = 0; i < cfg->n_local_ips && mux->n_socks < MAX_SOCKS; i++) {
        mux_sock *s = open_sock(cfg->local_ips[i], cfg->port_min, cfg->port_max);
        if (!s) continue;
        s->index = mux->n_socks;
        mux->socks[mux->n_socks++] = s;
        if (s->loopback) mux->allow_loopback = true;
    }
    if (mux->n_socks == 0) {
        g_hash_table_destroy(mux->by_ufrag);
        g_hash_table_destroy(mux->by_addr);
        free(mux);
        return NULL;
    }
    uv_loop_t *loop = sy_worker_loop(worker);
    for (int i = 0; i < mux->n_socks; i++) {
        mux_sock *s = mux->socks[i];
        uv_poll_init(loop, &s->poll, s->fd);
        s->poll.data = s;
        uv_poll_start(&s->poll, UV_READABLE, on_readable);
        uv_unref((uv_handle_t *)&s->poll);
        SY_INFO("ice-lite: worker %d shares UDP %s port %u", sy_worker_index(worker), s->ip, s->port);
    }
    uv_prepare_init(loop, &mux->prepare);
    uv_check_init(loop, &mux->check);
    uv_timer_init(loop, &mux->fold);
    mux->prepare.data = mux->check.data = mux->fold.data = mux;
    uv_prepare_start(&mux->prepare, on_prepare);
    uv_check_start(&mux->check, on_check);
    uv_timer_start(&mux->fold, on_fold, COUNTER_FOLD_MS, COUNTER_FOLD_MS);
    uv_unref((uv_handle_t *)&mux->prepare);
    uv_unref((uv_handle_t *)&mux->check);
    uv_unref((uv_handle_t *)&mux->fold);
    sy_worker_at_stop(worker, mux_stop, mux);
    tl_mux = mux;
    return mux;
}

int sy_lite_worker_open(sy_worker *worker, const sy_ice_config *cfg)
{
    return mux_get(worker, cfg) ? 0 : -1;
}

/* ---- agents ---- */

static void set_state(sy_lite *l, sy_ice_state st)
{
    if (l->state == st) return;
    l->state = st;
    if (l->cb.state_changed) l->cb.state_changed(l->cb.user, st);
}

static void random_string(char *out, size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t rnd[64];
    if (RAND_bytes(rnd, (int)n) != 1) {
        /* Never seen; fail safe with something unusable rather than predictable. */
        memset(out, 0, n + 1);
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] = alphabet[rnd[i] & 63];
    out[n] = '\0';
}

/* New local credentials, registered under the new ufrag. */
static int new_credentials(sy_lite *l)
{
    if (l->ufrag[0]) g_hash_table_remove(l->mux->by_ufrag, l->ufrag);
    for (int tries = 0; tries < 8; tries++) {
        random_string(l->ufrag, UFRAG_LEN);
        if (!l->ufrag[0]) break;
        if (!g_hash_table_contains(l->mux->by_ufrag, l->ufrag)) {
            random_string(l->pwd, PWD_LEN);
            if (!l->pwd[0]) break;
            g_hash_table_insert(l->mux->by_ufrag, l->ufrag, l);
            return 0;
        }
    }
    l->ufrag[0] = '\0';
    return -1;
}

sy_lite *sy_lite_new(sy_worker *worker, const sy_ice_config *cfg, const sy_ice_callbacks *cb)
{
    sy_mux *mux = mux_get(worker, cfg);
    if (!mux) {
        SY_ERROR("ice-lite: no shared socket on this worker");
        return NULL;
    }
    sy_lite *l = calloc(1, sizeof(*l));
    if (!l) return NULL;
    l->mux = mux;
    l->cb = *cb;
    l->state = SY_ICE_NEW;
    l->selected = -1;
    l->allowed = cfg->allowed;
    l->n_allowed = cfg->n_allowed;
    l->denied = cfg->denied;
    l->n_denied = cfg->n_denied;
    l->allow_loopback = mux->allow_loopback;
    if (cfg->nat_1_1_ip) {
        unsigned char tmp[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, cfg->nat_1_1_ip, tmp) != 1 && inet_pton(AF_INET6, cfg->nat_1_1_ip, tmp) != 1) {
            SY_ERROR("ice: nat_1_1_ip '%s' is not a numeric address", cfg->nat_1_1_ip);
            free(l);
            return NULL;
        }
        l->nat_1_1_ip = strdup(cfg->nat_1_1_ip);
    }
    if (new_credentials(l) != 0) {
        SY_ERROR("ice-lite: cannot make ICE credentials");
        free(l->nat_1_1_ip);
        free(l);
        return NULL;
    }
    return l;
}

static void forget_addr(sy_lite *l, int i)
{
    int last = l->n_addrs - 1;
    g_hash_table_remove(l->mux->by_addr, &l->addrs[i]);
    if (l->selected == i) {
        l->selected = -1;
        l->nominated = false;
    }
    if (i != last) {
        /* Move the last one into the hole; the table holds pointers into addrs. */
        g_hash_table_remove(l->mux->by_addr, &l->addrs[last]);
        l->addrs[i] = l->addrs[last];
        l->addr_seen[i] = l->addr_seen[last];
        g_hash_table_insert(l->mux->by_addr, &l->addrs[i], l);
        if (l->selected == last) l->selected = i;
    }
    l->n_addrs--;
}

void sy_lite_free(sy_lite *l)
{
    if (!l) return;
    while (l->n_addrs) forget_addr(l, l->n_addrs - 1);
    if (l->ufrag[0]) g_hash_table_remove(l->mux->by_ufrag, l->ufrag);
    free(l->nat_1_1_ip);
    free(l);
}

const char *sy_lite_local_ufrag(const sy_lite *l)
{
    return l->ufrag;
}

const char *sy_lite_local_pwd(const sy_lite *l)
{
    return l->pwd;
}

static void report_candidates(sy_lite *l)
{
    sy_mux *mux = l->mux;
    for (int i = 0; i < mux->n_socks && l->cb.local_candidate; i++) {
        const mux_sock *s = mux->socks[i];
        const char *ip = s->ip;
        if (l->nat_1_1_ip && (strchr(l->nat_1_1_ip, ':') != NULL) == (s->family == AF_INET6))
            ip = l->nat_1_1_ip;
        /* Host candidates, type preference 126, local preference by order. */
        uint32_t prio = (126u << 24) | ((uint32_t)(65535 - i) << 8) | 255u;
        char line[160];
        snprintf(line, sizeof(line), "candidate:%d 1 udp %u %s %u typ host generation 0", i + 1,
                 prio, ip, s->port);
        l->cb.local_candidate(l->cb.user, line);
    }
    if (l->cb.gathering_done) l->cb.gathering_done(l->cb.user);
}

int sy_lite_gather(sy_lite *l)
{
    if (l->gathered) return -1;
    l->gathered = true;
    set_state(l, SY_ICE_GATHERING);
    report_candidates(l);
    set_state(l, SY_ICE_CHECKING);
    return 0;
}

int sy_lite_set_remote_credentials(sy_lite *l, const char *ufrag, const char *pwd)
{
    (void)pwd; /* a lite agent sends no checks: only its peer's ufrag is checked */
    snprintf(l->remote_ufrag, sizeof(l->remote_ufrag), "%s", ufrag);
    l->remote_creds = true;
    return 0;
}

int sy_lite_restart(sy_lite *l)
{
    if (new_credentials(l) != 0) return -1;
    l->remote_creds = false;
    l->remote_ufrag[0] = '\0';
    l->n_remote = 0;
    /* The validated addresses stay: media goes on over the current pair until the peer's
     * checks with the new credentials arrive. */
    if (l->state == SY_ICE_FAILED) l->state = SY_ICE_CHECKING;
    if (l->gathered) report_candidates(l);
    return 0;
}

int sy_lite_add_remote_candidate(sy_lite *l, const char *candidate)
{
    char addr[INET6_ADDRSTRLEN + 64];
    int pre = sy_ice_candidate_precheck(&candidate, l->remote_creds, l->n_remote, l, addr,
                                        sizeof(addr));
    if (pre != 0) return pre;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
        ss.ss_family = AF_INET;
    else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
        ss.ss_family = AF_INET6;
    else
        return -1; /* host names are refused, never resolved */
    if (!sy_ice_address_allowed((struct sockaddr *)&ss, l->allowed, l->n_allowed, l->denied,
                                l->n_denied, l->allow_loopback)) {
        SY_WARN("ice %p: refused remote candidate address %s (media.allowed_remote_ranges, "
                "media.denied_remote_ranges, reserved ranges)", (void *)l, addr);
        sy_media_counters_add(SY_MC_CANDIDATES_REFUSED, 1);
        return -1;
    }
    /* A lite agent sends no checks: the candidate is only counted. Checks from the peer
     * validate its real addresses (host, reflexive or relayed alike). */
    l->n_remote++;
    return 0;
}

int sy_lite_send(sy_lite *l, const uint8_t *buf, size_t len)
{
    if (l->selected < 0 || l->state == SY_ICE_FAILED || len == 0 || len > 65535) return -1;
    const addr_key *k = &l->addrs[l->selected];
    queue_send(l->mux, k->sock, k, buf, len);
    return (int)len;
}

sy_ice_state sy_lite_state(const sy_lite *l)
{
    return l->state;
}

int sy_lite_selected_pair(const sy_lite *l, char *buf, size_t len)
{
    if (l->selected < 0 || len == 0) return -1;
    const addr_key *k = &l->addrs[l->selected];
    const mux_sock *s = l->mux->socks[k->sock];
    char r[INET6_ADDRSTRLEN + 10];
    format_key(k, r, sizeof(r));
    int n = snprintf(buf, len, s->family == AF_INET6 ? "[%s]:%u <-> %s" : "%s:%u <-> %s", s->ip,
                     s->port, r);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ---- STUN ---- */

static void send_now(sy_mux *mux, int sock, const struct sockaddr_storage *to, const uint8_t *buf,
                     size_t len)
{
    addr_key k;
    key_from(&k, sock, to);
    queue_send(mux, sock, &k, buf, len);
}

/* A check authenticated for l from (sock, from): validate the address, select it when
 * nominated (or when nothing is selected yet). */
static void validated(sy_lite *l, int sock, const struct sockaddr_storage *from, bool use_candidate)
{
    sy_mux *mux = l->mux;
    addr_key k;
    key_from(&k, sock, from);
    uint64_t now = uv_now(sy_worker_loop(mux->worker));
    int i;
    for (i = 0; i < l->n_addrs; i++)
        if (key_equal(&l->addrs[i], &k)) break;
    if (i == l->n_addrs) {
        sy_lite *other = g_hash_table_lookup(mux->by_addr, &k);
        if (other && other != l) {
            /* The same remote transport address checked for another agent (a peer that
             * reuses its port across PCs never does; a restart of another PC might):
             * the newest check wins. */
            for (int j = 0; j < other->n_addrs; j++)
                if (key_equal(&other->addrs[j], &k)) {
                    forget_addr(other, j);
                    break;
                }
        }
        if (l->n_addrs == MAX_ADDRS) {
            /* Evict the least recently checked address that is not selected. */
            int victim = -1;
            for (int j = 0; j < l->n_addrs; j++)
                if (j != l->selected && (victim < 0 || l->addr_seen[j] < l->addr_seen[victim]))
                    victim = j;
            forget_addr(l, victim);
        }
        i = l->n_addrs++;
        l->addrs[i] = k;
        g_hash_table_insert(mux->by_addr, &l->addrs[i], l);
    }
    l->addr_seen[i] = now;
    bool changed = false;
    if (l->selected < 0 || (use_candidate && (l->selected != i || !l->nominated))) {
        changed = l->selected != i;
        l->selected = i;
        l->nominated = use_candidate;
    }
    if (changed && sy_log_level >= SY_LOG_VERB) {
        char text[128];
        sy_lite_selected_pair(l, text, sizeof(text));
        SY_VERB("ice %p: selected pair %s%s", (void *)l, text, use_candidate ? " (nominated)" : "");
    }
    if (l->state != SY_ICE_CONNECTED && l->state != SY_ICE_FAILED)
        set_state(l, SY_ICE_CONNECTED);
}

static void handle_stun(sy_mux *mux, int sock, const struct sockaddr_storage *from, uint8_t *buf,
                        size_t len)
{
    sy_stun_msg m;
    if (sy_stun_parse(buf, len, &m) != 0 || m.type != SY_STUN_BINDING_REQUEST) {
        /* Indications (keepalives) from a validated address are fine; anything else
         * (responses: we send no requests) is not ours. */
        if (m.type != SY_STUN_BINDING_INDICATION) count(mux, SY_MC_STUN_MALFORMED);
        return;
    }
    if (!m.username || !m.fingerprint || !m.integrity_at) {
        count(mux, SY_MC_STUN_UNAUTH);
        return;
    }
    /* USERNAME is "<our ufrag>:<their ufrag>". */
    const uint8_t *colon = memchr(m.username, ':', m.username_len);
    size_t ours = colon ? (size_t)(colon - m.username) : m.username_len;
    char ufrag[UFRAG_LEN + 1];
    if (ours != UFRAG_LEN) {
        count(mux, SY_MC_STUN_UNKNOWN_UFRAG);
        return;
    }
    memcpy(ufrag, m.username, ours);
    ufrag[ours] = '\0';
    sy_lite *l = g_hash_table_lookup(mux->by_ufrag, ufrag);
    if (!l) {
        count(mux, SY_MC_STUN_UNKNOWN_UFRAG);
        return;
    }
    if (!sy_stun_integrity_ok(buf, len, &m, l->pwd, PWD_LEN)) {
        count(mux, SY_MC_STUN_UNAUTH);
        return;
    }
    /* Their half, once we know it (a check may overtake the answer that carries it). */
    if (l->remote_creds) {
        size_t theirs = colon ? m.username_len - ours - 1 : 0;
        if (theirs != strlen(l->remote_ufrag) || memcmp(colon + 1, l->remote_ufrag, theirs) != 0) {
            count(mux, SY_MC_STUN_UNAUTH);
            return;
        }
    }
    if (!sy_ice_address_allowed((const struct sockaddr *)from, l->allowed, l->n_allowed, l->denied,
                                l->n_denied, l->allow_loopback)) {
        count(mux, SY_MC_STUN_SOURCE_REFUSED);
        return;
    }
    uint8_t out[128];
    if (m.ice_controlled) {
        /* Both sides controlled: a lite agent cannot take control (RFC 8445 6.1.1), so
         * the full agent must; 487 tells it to switch roles. */
        size_t n = sy_stun_build_error(out, sizeof(out), m.txid, 487, "Role Conflict", l->pwd, PWD_LEN);
        if (n) send_now(mux, sock, from, out, n);
        return;
    }
    size_t n = sy_stun_build_success(out, sizeof(out), m.txid, (const struct sockaddr *)from, l->pwd,
                                     PWD_LEN);
    if (n) send_now(mux, sock, from, out, n);
    /* Last: the state callback may free the agent. */
    validated(l, sock, from, m.use_candidate);
}
