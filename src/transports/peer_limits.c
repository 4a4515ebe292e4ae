/*
 * Per-remote-address limits on the control plane (security.md section 6 rows 22, 23):
 * libwebsockets is built without LWS_WITH_PEER_LIMITS, so we count ourselves.
 *
 * One table of remote addresses (IPv4 addresses, IPv6 /64 prefixes: one host usually
 * owns a whole /64), each with, per transport family (WebSocket listeners, HTTP
 * listeners; API and admin together):
 *   - the number of open connections, capped at accept (LWS_CALLBACK_FILTER_NETWORK_
 *     CONNECTION on the vhost's protocol 0: the socket is closed before lws allocates
 *     anything for it);
 *   - a token bucket of requests (one token per Janus request: each JSON value of a
 *     WebSocket frame, each HTTP request).
 *
 * Life of a connection: FILTER (listener wsi, the accepted fd) counts it and remembers
 * the entry as "pending"; lws then adopts the fd into a new wsi and calls
 * SERVER_NEW_CLIENT_INSTANTIATED on it, where the entry moves into the wsi's opaque
 * user data; WSI_DESTROY (always to protocol 0 of the vhost, also after a WebSocket
 * upgrade) gives the count back. If an adoption fails between FILTER and
 * INSTANTIATED, the next FILTER (or the sweep) gives the pending count back.
 *
 * An entry lives while it holds connections, and until its buckets are full again
 * after the last one closed: every request arrives on a connection, so the table holds
 * at most (open connections + addresses closed in the last burst/rate seconds)
 * entries. Everything runs on the main loop thread.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "tr_internal.h"

#define SY_PL_BUCKETS 4096 /* hash buckets (chains); a power of two */
#define SY_PL_LOG_MS 5000  /* one summary line per this many ms at most */

typedef struct sy_tr_peer {
    struct sy_tr_peer *next;
    uint8_t key[16]; /* IPv4-mapped IPv6, or an IPv6 /64 (low 8 bytes zero) */
    uint32_t conns[SY_TR_FAMILIES];
    double tokens[SY_TR_FAMILIES];
    uint64_t refill_ms[SY_TR_FAMILIES];
} sy_tr_peer;

static struct {
    sy_tr_peer *buckets[SY_PL_BUCKETS];
    size_t entries;
    sy_peer_limits limits[SY_TR_FAMILIES];
    /* the connection between FILTER and INSTANTIATED */
    sy_tr_peer *pending;
    sy_tr_family pending_family;
    int pending_fd;
    /* counters (admin get_counters "control") */
    uint64_t refused_conns, limited_requests, accepted_conns;
    /* summary log */
    uint64_t win_refused, win_limited, last_log_ms;
    char last_addr[INET6_ADDRSTRLEN];
} sy_pl = {.pending_fd = -1};

static uint32_t sy_pl_hash(const uint8_t key[16])
{
    /* FNV-1a; the attacker picks addresses, but a chain only grows with connections
     * the attacker holds open, each of which costs it a socket. */
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++) {
        h ^= key[i];
        h *= 16777619u;
    }
    return h & (SY_PL_BUCKETS - 1);
}

static bool sy_pl_key(const struct sockaddr *sa, uint8_t key[16])
{
    memset(key, 0, 16);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &in->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        const uint8_t *a = in6->sin6_addr.s6_addr;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!memcmp(a, mapped, 12))
            memcpy(key, a, 16); /* an IPv4 client on a dual-stack listener */
        else
            memcpy(key, a, 8);
        return true;
    }
    return false;
}

static void sy_pl_key_str(const uint8_t key[16], char *buf, size_t len)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(key, mapped, 12)) {
        inet_ntop(AF_INET, key + 12, buf, (socklen_t)len);
    } else {
        inet_ntop(AF_INET6, key, buf, (socklen_t)len);
        size_t n = strlen(buf);
        if (n + 4 < len) memcpy(buf + n, "/64", 4);
    }
}

static sy_tr_peer *sy_pl_find(const uint8_t key[16], bool create)
{
    uint32_t h = sy_pl_hash(key);
    for (sy_tr_peer *p = sy_pl.buckets[h]; p; p = p->next)
        if (!memcmp(p->key, key, 16)) return p;
    if (!create) return NULL;
    sy_tr_peer *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    memcpy(p->key, key, 16);
    uint64_t now = sy_tr_now_ms();
    for (int f = 0; f < SY_TR_FAMILIES; f++) {
        p->tokens[f] = sy_pl.limits[f].burst;
        p->refill_ms[f] = now;
    }
    p->next = sy_pl.buckets[h];
    sy_pl.buckets[h] = p;
    sy_pl.entries++;
    return p;
}

static void sy_pl_refill(sy_tr_peer *p, sy_tr_family f, uint64_t now)
{
    const sy_peer_limits *l = &sy_pl.limits[f];
    if (now > p->refill_ms[f]) {
        p->tokens[f] += (double)(now - p->refill_ms[f]) * l->rate / 1000.0;
        if (p->tokens[f] > l->burst) p->tokens[f] = l->burst;
    }
    p->refill_ms[f] = now;
}

static void sy_pl_release(sy_tr_peer *p, sy_tr_family f)
{
    if (p && p->conns[f] > 0) p->conns[f]--;
}

static void sy_pl_settle_pending(void)
{
    if (sy_pl.pending) sy_pl_release(sy_pl.pending, sy_pl.pending_family);
    sy_pl.pending = NULL;
    sy_pl.pending_fd = -1;
}

void sy_tr_peer_limits_init(const sy_config *cfg)
{
    sy_tr_peer_limits_free();
    memset(sy_pl.last_addr, 0, sizeof(sy_pl.last_addr));
    sy_pl.refused_conns = sy_pl.limited_requests = sy_pl.accepted_conns = 0;
    sy_pl.win_refused = sy_pl.win_limited = sy_pl.last_log_ms = 0;
    sy_pl.limits[SY_TR_FAMILY_WS] = cfg->ws_limits;
    sy_pl.limits[SY_TR_FAMILY_HTTP] = cfg->http_limits;
    for (int f = 0; f < SY_TR_FAMILIES; f++) {
        sy_peer_limits *l = &sy_pl.limits[f];
        if (l->max_connections < 0) l->max_connections = 0;
        if (l->rate < 0) l->rate = 0;
        if (l->burst < l->rate) l->burst = l->rate; /* a bucket holds at least 1 s */
    }
    SY_INFO("transports: per-address limits: WebSocket %d connections, %d requests/s "
            "(burst %d); HTTP %d connections, %d requests/s (burst %d); 0 = no limit",
            sy_pl.limits[0].max_connections, sy_pl.limits[0].rate, sy_pl.limits[0].burst,
            sy_pl.limits[1].max_connections, sy_pl.limits[1].rate, sy_pl.limits[1].burst);
}

void sy_tr_peer_limits_free(void)
{
    for (size_t i = 0; i < SY_PL_BUCKETS; i++) {
        sy_tr_peer *p = sy_pl.buckets[i];
        while (p) {
            sy_tr_peer *n = p->next;
            free(p);
            p = n;
        }
        sy_pl.buckets[i] = NULL;
    }
    sy_pl.entries = 0;
    sy_pl.pending = NULL;
    sy_pl.pending_fd = -1;
}

static void sy_pl_note(const uint8_t key[16], bool connection)
{
    if (connection) {
        sy_pl.refused_conns++;
        sy_pl.win_refused++;
    } else {
        sy_pl.limited_requests++;
        sy_pl.win_limited++;
    }
    sy_pl_key_str(key, sy_pl.last_addr, sizeof(sy_pl.last_addr));
}

int sy_tr_peer_filter(sy_tr_family f, void *user, void *in)
{
    sy_pl_settle_pending(); /* an adoption that never reached INSTANTIATED */
    if (!sy_tr.running) return -1;
    const struct lws_filter_network_conn_args *a = user;
    uint8_t key[16];
    if (!a || !sy_pl_key((const struct sockaddr *)&a->cli_addr, key))
        return 0; /* not an IP peer (no limit applies) */
    sy_tr_peer *p = sy_pl_find(key, true);
    if (!p) return -1; /* out of memory: refuse rather than not count */
    int max = sy_pl.limits[f].max_connections;
    if (max > 0 && p->conns[f] >= (uint32_t)max) {
        sy_pl_note(key, true);
        SY_DEBUG("transports: refusing a connection from %s: %u open", sy_pl.last_addr,
                 p->conns[f]);
        return -1;
    }
    p->conns[f]++;
    sy_pl.accepted_conns++;
    sy_pl.pending = p;
    sy_pl.pending_family = f;
    sy_pl.pending_fd = (int)(intptr_t)in;
    return 0;
}

void sy_tr_peer_adopted(struct lws *wsi)
{
    if (!sy_pl.pending) return;
    if ((int)lws_get_socket_fd(wsi) != sy_pl.pending_fd) {
        sy_pl_settle_pending();
        return;
    }
    lws_set_opaque_user_data(wsi, sy_pl.pending);
    sy_pl.pending = NULL;
    sy_pl.pending_fd = -1;
}

void sy_tr_peer_destroyed(struct lws *wsi, sy_tr_family f)
{
    sy_tr_peer *p = lws_get_opaque_user_data(wsi);
    if (!p) return;
    lws_set_opaque_user_data(wsi, NULL);
    sy_pl_release(p, f);
}

bool sy_tr_peer_admit(struct lws *wsi, sy_tr_family f)
{
    const sy_peer_limits *l = &sy_pl.limits[f];
    if (l->rate <= 0) return true;
    sy_tr_peer *p = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    if (!p) return true; /* not an IP peer */
    sy_pl_refill(p, f, sy_tr_now_ms());
    if (p->tokens[f] >= 1.0) {
        p->tokens[f] -= 1.0;
        return true;
    }
    sy_pl_note(p->key, false);
    return false;
}

void sy_tr_peer_sweep(uint64_t now_ms)
{
    /* Forget addresses with no connection whose buckets are full again. */
    for (size_t i = 0; i < SY_PL_BUCKETS; i++) {
        sy_tr_peer **pp = &sy_pl.buckets[i];
        while (*pp) {
            sy_tr_peer *p = *pp;
            bool idle = p != sy_pl.pending;
            for (int f = 0; f < SY_TR_FAMILIES && idle; f++) {
                if (p->conns[f]) {
                    idle = false;
                    break;
                }
                sy_pl_refill(p, (sy_tr_family)f, now_ms);
                if (p->tokens[f] < sy_pl.limits[f].burst) idle = false;
            }
            if (idle) {
                *pp = p->next;
                free(p);
                sy_pl.entries--;
            } else {
                pp = &p->next;
            }
        }
    }
    if ((sy_pl.win_refused || sy_pl.win_limited) && now_ms - sy_pl.last_log_ms >= SY_PL_LOG_MS) {
        sy_log_write(SY_LOG_WARN, NULL,
                     "transports: over the per-address limits: refused %llu connections and "
                     "%llu requests in the last %llu s (last from %s; %zu addresses tracked)",
                     (unsigned long long)sy_pl.win_refused, (unsigned long long)sy_pl.win_limited,
                     (unsigned long long)((now_ms - sy_pl.last_log_ms) / 1000), sy_pl.last_addr,
                     sy_pl.entries);
        sy_pl.win_refused = sy_pl.win_limited = 0;
        sy_pl.last_log_ms = now_ms;
    } else if (!sy_pl.win_refused && !sy_pl.win_limited &&
               now_ms - sy_pl.last_log_ms >= SY_PL_LOG_MS) {
        sy_pl.last_log_ms = now_ms - SY_PL_LOG_MS; /* the next event logs at once */
    }
}

json_t *sy_tr_peer_counters(void)
{
    return json_pack("{s:I,s:I,s:I,s:I}", "connections-accepted", (json_int_t)sy_pl.accepted_conns,
                     "connections-refused-per-address", (json_int_t)sy_pl.refused_conns,
                     "requests-refused-per-address", (json_int_t)sy_pl.limited_requests,
                     "addresses-tracked", (json_int_t)sy_pl.entries);
}
