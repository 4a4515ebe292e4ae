/* SCTP over DTLS with usrsctp, and DCEP. See sctp.h for the threading model. */
#include "media/sctp.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <usrsctp.h>
#include <uv.h>

#include "core/log.h"
#include "protocol/dcep.h"

#define REG_SLOTS 4096 /* associations at once */
#define TIMER_MS 10

typedef struct channel {
    char *label, *protocol;
    uint8_t type;         /* DCEP channel type */
    uint32_t reliability;
    bool acked;
} channel;

struct sy_sctp {
    uint32_t id;
    uv_thread_t owner;
    sy_sctp_callbacks cb;
    struct socket *sock;
    bool dtls_client, up;
    uint64_t max_message;
    atomic_bool want_ready;
    channel *chans[SY_SCTP_MAX_STREAMS]; /* by stream id */
    /* reassembly of a message usrsctp hands over in parts (partial delivery) */
    uint8_t *rbuf;
    size_t rlen;
    bool rdrop;
    sy_sctp_stats stats;
};

/* ---- the registry and the global stack ---- */

static uv_once_t reg_once = UV_ONCE_INIT;
static uv_mutex_t reg_lock;
static sy_sctp *slots[REG_SLOTS];
static uint32_t next_id = 1;
static unsigned n_assocs;
static bool stack_up;
static uv_thread_t timer_thread;
static atomic_bool timer_stop;

static void reg_init(void) { uv_mutex_init(&reg_lock); }

/* reg_lock held. */
static sy_sctp *lookup(uint32_t id)
{
    sy_sctp *s = slots[id % REG_SLOTS];
    return s && s->id == id ? s : NULL;
}

static bool on_owner(const sy_sctp *s)
{
    uv_thread_t self = uv_thread_self();
    return uv_thread_equal(&self, &s->owner) != 0;
}

typedef enum { TASK_OUT, TASK_RECV, TASK_READY } task_kind;

typedef struct task {
    uint32_t id;
    task_kind kind;
    void *data; /* TASK_RECV: usrsctp's buffer (free()); TASK_OUT: bytes after the struct */
    size_t len;
    uint16_t sid;
    uint32_t ppid; /* host order */
    int flags;
    uint8_t bytes[];
} task;

static void run_task(void *arg);

/* reg_lock held; s registered. Takes t (freed if it cannot be posted). */
static void post_locked(sy_sctp *s, task *t)
{
    if (s->cb.post(s->cb.post_ctx, run_task, t) < 0) {
        if (t->kind == TASK_RECV) free(t->data);
        free(t);
    }
}

static int conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df)
{
    uint32_t id = (uint32_t)(uintptr_t)addr;
    uv_mutex_lock(&reg_lock);
    sy_sctp *s = lookup(id);
    if (!s) {
        uv_mutex_unlock(&reg_lock);
        return 0;
    }
    if (on_owner(s)) {
        /* Freed only on this thread, after leaving the registry: valid without the lock. */
        uv_mutex_unlock(&reg_lock);
        s->cb.send(s->cb.user, buf, len);
        return 0;
    }
    task *t = malloc(sizeof(*t) + len);
    if (t) {
        memset(t, 0, sizeof(*t));
        t->id = id;
        t->kind = TASK_OUT;
        t->len = len;
        memcpy(t->bytes, buf, len);
        post_locked(s, t);
    }
    uv_mutex_unlock(&reg_lock);
    return 0;
}

static void *timer_main(void *arg)
{
    uint64_t last = uv_hrtime();
    while (!atomic_load(&timer_stop)) {
        struct timespec ts = {0, TIMER_MS * 1000000L};
        nanosleep(&ts, NULL);
        uint64_t now = uv_hrtime();
        uint32_t ms = (uint32_t)((now - last) / 1000000);
        if (ms == 0) continue;
        last += (uint64_t)ms * 1000000;
        usrsctp_handle_timers(ms);
    }
    return NULL;
}

static void timer_entry(void *arg) { timer_main(arg); }

/* reg_lock held. */
static int stack_start(void)
{
    if (stack_up) return 0;
    usrsctp_init_nothreads(0, conn_output, NULL);
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_pr_enable(1);
    usrsctp_sysctl_set_sctp_reconfig_enable(1);
    atomic_store(&timer_stop, false);
    if (uv_thread_create(&timer_thread, timer_entry, NULL) != 0) {
        usrsctp_finish();
        return -1;
    }
    stack_up = true;
    return 0;
}

void sy_sctp_global_cleanup(void)
{
    uv_once(&reg_once, reg_init);
    uv_mutex_lock(&reg_lock);
    bool up = stack_up && n_assocs == 0;
    if (up) stack_up = false;
    uv_mutex_unlock(&reg_lock);
    if (!up) return;
    atomic_store(&timer_stop, true);
    uv_thread_join(&timer_thread);
    /* Aborted sockets may take a few timer rounds to go away. */
    for (int i = 0; i < 100 && usrsctp_finish() != 0; i++) {
        usrsctp_handle_timers(TIMER_MS);
        struct timespec ts = {0, TIMER_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* ---- receiving (the owner thread) ---- */

static int recv_cb(struct socket *sock, union sctp_sockstore addr, void *data, size_t datalen,
                   struct sctp_rcvinfo rcv, int flags, void *ulp_info)
{
    if (!data) return 1;
    uint32_t id = (uint32_t)(uintptr_t)ulp_info;
    task *t = malloc(sizeof(*t));
    if (!t) {
        free(data);
        return 1;
    }
    memset(t, 0, sizeof(*t));
    t->id = id;
    t->kind = TASK_RECV;
    t->data = data;
    t->len = datalen;
    t->sid = rcv.rcv_sid;
    t->ppid = ntohl(rcv.rcv_ppid);
    t->flags = flags;
    uv_mutex_lock(&reg_lock);
    sy_sctp *s = lookup(id);
    if (s) {
        post_locked(s, t);
    } else {
        free(data);
        free(t);
    }
    uv_mutex_unlock(&reg_lock);
    return 1;
}

static int send_cb(struct socket *sock, uint32_t sb_free, void *ulp_info)
{
    uint32_t id = (uint32_t)(uintptr_t)ulp_info;
    uv_mutex_lock(&reg_lock);
    sy_sctp *s = lookup(id);
    if (s && atomic_exchange(&s->want_ready, false)) {
        task *t = calloc(1, sizeof(*t));
        if (t) {
            t->id = id;
            t->kind = TASK_READY;
            post_locked(s, t);
        }
    }
    uv_mutex_unlock(&reg_lock);
    return 0;
}

static int send_raw(sy_sctp *s, uint16_t sid, uint32_t ppid, const channel *c, const uint8_t *buf,
                    size_t len)
{
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof(spa));
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = sid;
    spa.sendv_sndinfo.snd_ppid = htonl(ppid);
    spa.sendv_sndinfo.snd_flags = SCTP_EOR;
    if (c && ppid != SY_DCEP_PPID) {
        if (c->type & SY_DCEP_UNORDERED) spa.sendv_sndinfo.snd_flags |= SCTP_UNORDERED;
        uint8_t base = (uint8_t)(c->type & ~SY_DCEP_UNORDERED);
        if (base == SY_DCEP_PARTIAL_RELIABLE_REXMIT || base == SY_DCEP_PARTIAL_RELIABLE_TIMED) {
            spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
            spa.sendv_prinfo.pr_policy =
                base == SY_DCEP_PARTIAL_RELIABLE_REXMIT ? SCTP_PR_SCTP_RTX : SCTP_PR_SCTP_TTL;
            spa.sendv_prinfo.pr_value = c->reliability;
        }
    }
    ssize_t r = usrsctp_sendv(s->sock, buf, len, NULL, 0, &spa, (socklen_t)sizeof(spa),
                              SCTP_SENDV_SPA, 0);
    if (r < 0) {
        if (errno == EWOULDBLOCK || errno == EAGAIN || errno == ENOBUFS) {
            atomic_store(&s->want_ready, true);
            return -2;
        }
        return -1;
    }
    return 0;
}

static void channel_free(channel *c)
{
    if (!c) return;
    free(c->label);
    free(c->protocol);
    free(c);
}

static char *dup_n(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static void on_dcep(sy_sctp *s, uint16_t sid, const uint8_t *buf, size_t len)
{
    sy_dcep_msg m;
    if (sid >= SY_SCTP_MAX_STREAMS || sy_dcep_parse(buf, len, &m) < 0) {
        s->stats.dropped_dcep++;
        return;
    }
    if (m.type == SY_DCEP_ACK) {
        if (s->chans[sid]) s->chans[sid]->acked = true;
        return;
    }
    channel *c = calloc(1, sizeof(*c));
    if (!c) return;
    c->label = dup_n(m.label, m.label_len);
    c->protocol = dup_n(m.protocol, m.protocol_len);
    c->type = m.channel_type;
    c->reliability = m.reliability;
    c->acked = true;
    if (!c->label || !c->protocol) {
        channel_free(c);
        return;
    }
    if (!s->chans[sid]) s->stats.channels++;
    channel_free(s->chans[sid]);
    s->chans[sid] = c;
    uint8_t ack[1];
    sy_dcep_build_ack(ack, sizeof(ack));
    send_raw(s, sid, SY_DCEP_PPID, NULL, ack, 1);
    SY_VERB("SCTP %u: data channel '%s' opened by the peer on stream %u", s->id, c->label, sid);
}

static void on_message(sy_sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf, size_t len)
{
    if (ppid == SY_DCEP_PPID) {
        on_dcep(s, sid, buf, len);
        return;
    }
    channel *c = sid < SY_SCTP_MAX_STREAMS ? s->chans[sid] : NULL;
    bool binary;
    switch (ppid) {
    case SY_DCEP_PPID_STRING: binary = false; break;
    case SY_DCEP_PPID_BINARY: binary = true; break;
    case SY_DCEP_PPID_STRING_EMPTY: binary = false; len = 0; break;
    case SY_DCEP_PPID_BINARY_EMPTY: binary = true; len = 0; break;
    default: c = NULL; binary = true; break; /* deprecated or unknown PPIDs */
    }
    if (!c) {
        s->stats.dropped_no_channel++;
        return;
    }
    s->stats.messages_in++;
    s->stats.bytes_in += len;
    if (s->cb.message) s->cb.message(s->cb.user, c->label, c->protocol, binary, buf, len);
}

static void on_notification(sy_sctp *s, const uint8_t *buf, size_t len)
{
    const union sctp_notification *n = (const void *)buf;
    if (len < sizeof(n->sn_header) || n->sn_header.sn_length > len) return;
    if (n->sn_header.sn_type == SCTP_ASSOC_CHANGE && len >= sizeof(n->sn_assoc_change)) {
        uint16_t st = n->sn_assoc_change.sac_state;
        if (st == SCTP_COMM_UP || st == SCTP_RESTART) {
            bool was = s->up;
            s->up = s->stats.up = true;
            SY_VERB("SCTP %u: association up", s->id);
            if (!was && s->cb.ready) s->cb.ready(s->cb.user);
        } else if (st == SCTP_COMM_LOST || st == SCTP_SHUTDOWN_COMP || st == SCTP_CANT_STR_ASSOC) {
            s->up = s->stats.up = false;
            SY_VERB("SCTP %u: association down (%u)", s->id, st);
        }
    } else if (n->sn_header.sn_type == SCTP_STREAM_RESET_EVENT &&
               len >= sizeof(n->sn_strreset_event)) {
        /* The peer closed channels (RFC 8831 6.7): reset our side of them too. */
        const struct sctp_stream_reset_event *e = &n->sn_strreset_event;
        if (!(e->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) ||
            (e->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)))
            return;
        if (e->strreset_length < sizeof(*e)) return;
        size_t count = (e->strreset_length - sizeof(*e)) / sizeof(uint16_t);
        uint16_t list[64];
        size_t nl = 0;
        for (size_t i = 0; i < count; i++) {
            uint16_t sid = e->strreset_stream_list[i];
            if (sid < SY_SCTP_MAX_STREAMS && s->chans[sid]) {
                SY_VERB("SCTP %u: data channel '%s' closed", s->id, s->chans[sid]->label);
                channel_free(s->chans[sid]);
                s->chans[sid] = NULL;
                s->stats.channels--;
                if (nl < 64) list[nl++] = sid;
            }
        }
        if (nl == 0) return;
        size_t sz = sizeof(struct sctp_reset_streams) + nl * sizeof(uint16_t);
        struct sctp_reset_streams *r = calloc(1, sz);
        if (!r) return;
        r->srs_flags = SCTP_STREAM_RESET_OUTGOING;
        r->srs_number_streams = (uint16_t)nl;
        memcpy(r->srs_stream_list, list, nl * sizeof(uint16_t));
        usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, r, (socklen_t)sz);
        free(r);
    }
}

static void on_recv(sy_sctp *s, task *t)
{
    if (t->flags & MSG_NOTIFICATION) {
        on_notification(s, t->data, t->len);
        return;
    }
    bool eor = (t->flags & MSG_EOR) != 0;
    if (eor && s->rlen == 0 && !s->rdrop) {
        if (t->len > SY_SCTP_RECV_LIMIT) s->stats.dropped_oversize++;
        else on_message(s, t->sid, t->ppid, t->data, t->len);
        return;
    }
    /* A part: collect up to the limit. */
    if (!s->rdrop) {
        if (s->rlen + t->len > SY_SCTP_RECV_LIMIT) {
            s->rdrop = true;
        } else {
            if (!s->rbuf) s->rbuf = malloc(SY_SCTP_RECV_LIMIT);
            if (!s->rbuf) {
                s->rdrop = true;
            } else {
                memcpy(s->rbuf + s->rlen, t->data, t->len);
                s->rlen += t->len;
            }
        }
    }
    if (!eor) return;
    if (s->rdrop) s->stats.dropped_oversize++;
    else on_message(s, t->sid, t->ppid, s->rbuf, s->rlen);
    s->rlen = 0;
    s->rdrop = false;
    free(s->rbuf);
    s->rbuf = NULL;
}

/* On the owner: a task posted by a usrsctp callback. */
static void run_task(void *arg)
{
    task *t = arg;
    uv_mutex_lock(&reg_lock);
    sy_sctp *s = lookup(t->id);
    uv_mutex_unlock(&reg_lock);
    /* Owner thread: s cannot be freed under us. A task for a freed association (or one
     * that reached the wrong thread, which cannot happen) is dropped. */
    if (s && on_owner(s)) {
        switch (t->kind) {
        case TASK_OUT: s->cb.send(s->cb.user, t->bytes, t->len); break;
        case TASK_RECV: on_recv(s, t); break;
        case TASK_READY:
            if (s->cb.ready) s->cb.ready(s->cb.user);
            break;
        }
    }
    if (t->kind == TASK_RECV) free(t->data);
    free(t);
}

/* ---- API ---- */

static void setopt(sy_sctp *s, int level, int name, const void *val, size_t len, const char *what)
{
    if (usrsctp_setsockopt(s->sock, level, name, val, (socklen_t)len) < 0)
        SY_WARN("SCTP %u: setsockopt %s failed: %s", s->id, what, strerror(errno));
}

sy_sctp *sy_sctp_new(const sy_sctp_config *cfg, const sy_sctp_callbacks *cb)
{
    if (!cfg || !cb || !cb->send || !cb->post) return NULL;
    uv_once(&reg_once, reg_init);
    sy_sctp *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->owner = uv_thread_self();
    s->cb = *cb;
    s->dtls_client = cfg->dtls_client;
    s->max_message = cfg->max_message_size ? cfg->max_message_size : SY_SCTP_DEFAULT_MAX_MESSAGE;
    uv_mutex_lock(&reg_lock);
    if (stack_start() < 0) {
        uv_mutex_unlock(&reg_lock);
        free(s);
        return NULL;
    }
    for (int i = 0; i < REG_SLOTS && !s->id; i++) {
        uint32_t id = next_id++;
        if (next_id == 0) next_id = 1;
        if (id && !slots[id % REG_SLOTS]) s->id = id;
    }
    if (!s->id) {
        uv_mutex_unlock(&reg_lock);
        free(s);
        return NULL;
    }
    slots[s->id % REG_SLOTS] = s;
    n_assocs++;
    uv_mutex_unlock(&reg_lock);

    void *addr = (void *)(uintptr_t)s->id; /* an opaque ID, never a pointer */
    usrsctp_register_address(addr);
    s->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, recv_cb, send_cb,
                             SY_SCTP_SEND_BUFFER / 2, addr);
    if (!s->sock) {
        sy_sctp_free(s);
        return NULL;
    }
    usrsctp_set_non_blocking(s->sock, 1);
    struct linger lg = {1, 0}; /* close = ABORT */
    setopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg), "SO_LINGER");
    int bufsize = SY_SCTP_SEND_BUFFER;
    setopt(s, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize), "SO_SNDBUF");
    setopt(s, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize), "SO_RCVBUF");
    int one = 1;
    setopt(s, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one), "SCTP_NODELAY");
    struct sctp_assoc_value av = {.assoc_id = SCTP_ALL_ASSOC,
                                  .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ |
                                                 SCTP_ENABLE_CHANGE_ASSOC_REQ};
    setopt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof(av), "SCTP_ENABLE_STREAM_RESET");
    static const uint16_t evs[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT};
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
        struct sctp_event ev = {.se_assoc_id = SCTP_ALL_ASSOC, .se_type = evs[i], .se_on = 1};
        setopt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev), "SCTP_EVENT");
    }
    struct sctp_initmsg im = {.sinit_num_ostreams = SY_SCTP_MAX_STREAMS,
                              .sinit_max_instreams = SY_SCTP_MAX_STREAMS};
    setopt(s, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im), "SCTP_INITMSG");
    struct sctp_paddrparams pp;
    memset(&pp, 0, sizeof(pp));
    pp.spp_flags = SPP_PMTUD_DISABLE;
    pp.spp_pathmtu = SY_SCTP_MTU;
    setopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp), "SCTP_PEER_ADDR_PARAMS");

    struct sockaddr_conn sc;
    memset(&sc, 0, sizeof(sc));
    sc.sconn_family = AF_CONN;
    sc.sconn_port = htons(cfg->local_port ? cfg->local_port : SY_SCTP_LOCAL_PORT);
    sc.sconn_addr = addr;
    if (usrsctp_bind(s->sock, (struct sockaddr *)&sc, sizeof(sc)) < 0) {
        SY_WARN("SCTP %u: bind failed: %s", s->id, strerror(errno));
        sy_sctp_free(s);
        return NULL;
    }
    sc.sconn_port = htons(cfg->remote_port ? cfg->remote_port : SY_SCTP_LOCAL_PORT);
    if (usrsctp_connect(s->sock, (struct sockaddr *)&sc, sizeof(sc)) < 0 && errno != EINPROGRESS) {
        SY_WARN("SCTP %u: connect failed: %s", s->id, strerror(errno));
        sy_sctp_free(s);
        return NULL;
    }
    return s;
}

void sy_sctp_incoming(sy_sctp *s, const uint8_t *buf, size_t len)
{
    if (!s || !s->sock || !len) return;
    usrsctp_conninput((void *)(uintptr_t)s->id, buf, len, 0);
}

static int open_channel(sy_sctp *s, const char *label, const char *protocol)
{
    int sid = -1;
    for (int i = s->dtls_client ? 0 : 1; i < SY_SCTP_MAX_STREAMS; i += 2)
        if (!s->chans[i]) {
            sid = i;
            break;
        }
    if (sid < 0) return -1;
    size_t ll = strlen(label), pl = protocol ? strlen(protocol) : 0;
    uint8_t *msg = malloc(12 + ll + pl);
    if (!msg) return -1;
    int n = sy_dcep_build_open(msg, 12 + ll + pl, SY_DCEP_RELIABLE, 0, 0, label, ll, protocol, pl);
    channel *c = calloc(1, sizeof(*c));
    if (n < 0 || !c || !(c->label = strdup(label)) || !(c->protocol = strdup(protocol ? protocol : ""))) {
        free(msg);
        channel_free(c);
        return -1;
    }
    c->type = SY_DCEP_RELIABLE;
    int r = send_raw(s, (uint16_t)sid, SY_DCEP_PPID, NULL, msg, (size_t)n);
    free(msg);
    if (r < 0) {
        channel_free(c);
        return r;
    }
    s->chans[sid] = c;
    s->stats.channels++;
    SY_VERB("SCTP %u: opening data channel '%s' on stream %d", s->id, label, sid);
    return sid;
}

int sy_sctp_send(sy_sctp *s, const char *label, const char *protocol, bool binary,
                 const uint8_t *buf, size_t len)
{
    if (!s || !s->sock || !s->up || len > s->max_message || (len && !buf)) return -1;
    int sid = -1;
    for (int i = 0; i < SY_SCTP_MAX_STREAMS && sid < 0; i++)
        if (s->chans[i] && (!label || !strcmp(s->chans[i]->label, label))) sid = i;
    if (sid < 0) {
        sid = open_channel(s, label ? label : "JanusDataChannel", protocol);
        if (sid < 0) return sid == -2 ? -2 : -1;
    }
    static const uint8_t zero = 0;
    uint32_t ppid = binary ? (len ? SY_DCEP_PPID_BINARY : SY_DCEP_PPID_BINARY_EMPTY)
                           : (len ? SY_DCEP_PPID_STRING : SY_DCEP_PPID_STRING_EMPTY);
    int r = send_raw(s, (uint16_t)sid, ppid, s->chans[sid], len ? buf : &zero, len ? len : 1);
    if (r == 0) {
        s->stats.messages_out++;
        s->stats.bytes_out += len;
    }
    return r;
}

void sy_sctp_get_stats(const sy_sctp *s, sy_sctp_stats *out)
{
    if (s) *out = s->stats;
    else memset(out, 0, sizeof(*out));
}

void sy_sctp_free(sy_sctp *s)
{
    if (!s) return;
    /* The ABORT goes out synchronously on this thread, while still registered. */
    if (s->sock) usrsctp_close(s->sock);
    s->sock = NULL;
    uv_mutex_lock(&reg_lock);
    if (lookup(s->id) == s) {
        slots[s->id % REG_SLOTS] = NULL;
        n_assocs--;
    }
    uv_mutex_unlock(&reg_lock);
    usrsctp_deregister_address((void *)(uintptr_t)s->id);
    for (int i = 0; i < SY_SCTP_MAX_STREAMS; i++) channel_free(s->chans[i]);
    free(s->rbuf);
    free(s);
}
