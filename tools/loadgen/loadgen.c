/*
 * loadgen: a load generator for Janus-API VideoRoom servers (Switchyard or any other),
 * built from Switchyard's own ICE, DTLS and SRTP code. See tools/README.md.
 *
 * Main thread: options, the scenario (which clients start and stop when), measurement
 * of the server process (/proc) and of ourselves, the per-second table and the JSON
 * report. Clients run on the media workers (lg_client.c).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <netdb.h>
#include <net/if.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lg.h"
#include "core/log.h"

lg_opts g_opts;

typedef enum { SC_FANOUT, SC_MEETING, SC_CHURN, SC_RAMP } scenario;

static struct {
    scenario sc;
    int subs, rooms, participants, threads;
    double churn, join_rate, duration, setup_timeout, ramp_interval, ramp_loss;
    int ramp_step;
    uint64_t room;
    int server_pid;
    const char *server_name, *json_path;
    bool floor, quiet;
} o = {
    .sc = SC_FANOUT, .subs = 10, .rooms = 1, .participants = 3, .threads = 0, .churn = 2,
    .join_rate = 50, .duration = 10, .setup_timeout = 30, .ramp_interval = 3, .ramp_loss = 0.1,
    .ramp_step = 25,
};

static lg_client **clients;
static int n_clients, cap_clients;
static uv_loop_t *mainloop;
static uv_timer_t tick;
static volatile sig_atomic_t interrupted;

/* ---- process measurement ---- */

typedef struct proc_sample {
    double cpu_s; /* user + sys */
    long rss_kb;
} proc_sample;

static int proc_read(int pid, proc_sample *s)
{
    char path[64], buf[4096];
    s->cpu_s = 0;
    s->rss_kb = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* comm may hold spaces */
    if (!p) return -1;
    unsigned long ut = 0, st = 0;
    /* fields after comm: state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
    s->cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    f = fopen(path, "r");
    if (!f) return -1;
    while (fgets(buf, sizeof buf, f))
        if (!strncmp(buf, "VmRSS:", 6)) s->rss_kb = strtol(buf + 6, NULL, 10);
    fclose(f);
    return 0;
}

/* The kernel's UDP counters of this network namespace (/proc/net/snmp): datagrams dropped
 * because a receiver's buffer was full (someone did not read fast enough) or a send buffer
 * was. Meaningful when loadgen and the server share a private namespace (tools/bench). */
typedef struct udp_snmp {
    unsigned long long rcvbuf_errors, sndbuf_errors, in_errors;
} udp_snmp;

static void udp_snmp_read(udp_snmp *u)
{
    memset(u, 0, sizeof *u);
    FILE *f = fopen("/proc/net/snmp", "r");
    if (!f) return;
    char head[512], vals[512];
    while (fgets(head, sizeof head, f)) {
        if (strncmp(head, "Udp:", 4) != 0 || !fgets(vals, sizeof vals, f)) continue;
        char *hs, *vs, *h = strtok_r(head + 4, " \n", &hs), *v = strtok_r(vals + 4, " \n", &vs);
        while (h && v) {
            unsigned long long n = strtoull(v, NULL, 10);
            if (!strcmp(h, "RcvbufErrors")) u->rcvbuf_errors = n;
            else if (!strcmp(h, "SndbufErrors")) u->sndbuf_errors = n;
            else if (!strcmp(h, "InErrors")) u->in_errors = n;
            h = strtok_r(NULL, " \n", &hs);
            v = strtok_r(NULL, " \n", &vs);
        }
        break;
    }
    fclose(f);
}

static double self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static int find_pid(const char *name)
{
    DIR *d = opendir("/proc");
    if (!d) return 0;
    struct dirent *e;
    int found = 0, count = 0;
    while ((e = readdir(d))) {
        int pid = atoi(e->d_name);
        if (pid <= 0) continue;
        char path[64], comm[64] = "";
        snprintf(path, sizeof path, "/proc/%d/comm", pid);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (fgets(comm, sizeof comm, f)) comm[strcspn(comm, "\n")] = 0;
        fclose(f);
        if (!strcmp(comm, name)) {
            found = pid;
            count++;
        }
    }
    closedir(d);
    if (count > 1) fprintf(stderr, "loadgen: %d processes named %s; measuring %d\n", count, name, found);
    return found;
}

/* ---- clients ---- */

static int n_subs_made;  /* for --substream's round-robin */
static int n_subs_total; /* subscribers created: the first --abusive ones abuse */

static lg_client *new_client(lg_role role, uint64_t room)
{
    if (n_clients == cap_clients) {
        cap_clients = cap_clients ? cap_clients * 2 : 64;
        clients = realloc(clients, sizeof *clients * (size_t)cap_clients);
        if (!clients) abort();
    }
    lg_client *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->id = n_clients;
    c->role = role;
    c->room = room;
    c->worker = sy_worker_get(n_clients % sy_workers_count());
    c->substream = -1;
    if (role == LG_SUB) {
        c->abusive = n_subs_total++ < g_opts.abusive;
        if (g_opts.n_substreams) c->substream = g_opts.substreams[n_subs_made++ % g_opts.n_substreams];
        uint32_t r;
        RAND_bytes((uint8_t *)&r, sizeof r);
        c->decrypt = (double)r / 4294967296.0 < g_opts.decrypt_sample;
    }
    clients[n_clients++] = c;
    return c;
}

static bool is_up(lg_client *c)
{
    if (c->role == LG_PUB) return LG_GET(c->state) == LG_C_MEDIA && LG_GET(c->st.tx_pkts) > 0;
    return LG_GET(c->st.t_first_media_ns) != 0;
}
static bool is_failed(lg_client *c)
{
    return __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == LG_C_FAILED;
}

/* ---- aggregation ---- */

typedef struct totals {
    uint64_t rx, rx_bytes, tx, seq_lost, seq_dup, seq_reorder, ctr_lost, ctr_dup, payload_bad,
        auth_fail, decrypted, nacks, plis_sent, plis_received;
    /* --abusive: the abusive subscribers' own figures, and the others' losses */
    uint64_t ab_rx, ab_dup, ab_plis, ab_firs, ab_nacked, normal_rx, normal_lost, normal_rtx;
    int subs_up, subs, pubs_up, pubs, failed;
    uint64_t lat[LG_LAT_BUCKETS];
} totals;

static void sum(totals *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < n_clients; i++) {
        lg_client *c = clients[i];
        lg_stats *s = &c->st;
        if (is_failed(c)) t->failed++;
        if (c->role == LG_PUB) {
            t->pubs++;
            t->pubs_up += is_up(c) && LG_GET(c->state) == LG_C_MEDIA;
            t->tx += LG_GET(s->tx_pkts);
            t->plis_received += LG_GET(s->plis_received);
            continue;
        }
        t->subs++;
        t->subs_up += is_up(c) && LG_GET(c->state) == LG_C_MEDIA;
        t->rx += LG_GET(s->rx_pkts);
        t->rx_bytes += LG_GET(s->rx_bytes);
        t->seq_lost += LG_GET(s->seq_lost);
        t->seq_dup += LG_GET(s->seq_dup);
        t->seq_reorder += LG_GET(s->seq_reorder);
        t->ctr_lost += LG_GET(s->ctr_lost);
        t->ctr_dup += LG_GET(s->ctr_dup);
        t->payload_bad += LG_GET(s->payload_bad);
        t->auth_fail += LG_GET(s->auth_fail);
        t->decrypted += LG_GET(s->decrypted);
        t->nacks += LG_GET(s->nacks_sent);
        t->plis_sent += LG_GET(s->plis_sent);
        if (c->abusive) {
            t->ab_rx += LG_GET(s->rx_pkts);
            t->ab_dup += LG_GET(s->seq_dup) + LG_GET(s->rtx_pkts);
            t->ab_plis += LG_GET(s->plis_sent);
            t->ab_firs += LG_GET(s->firs_sent);
            t->ab_nacked += LG_GET(s->nacked_seqs);
        } else {
            t->normal_rtx += LG_GET(s->seq_dup) + LG_GET(s->rtx_pkts);
            t->normal_rx += LG_GET(s->rx_pkts);
            t->normal_lost += LG_GET(s->seq_lost);
        }
        if (c->decrypt)
            for (int b = 0; b < LG_LAT_BUCKETS; b++) t->lat[b] += LG_GET(s->lat[b]);
    }
}

static double lat_pct(const uint64_t *a, const uint64_t *b, double q)
{
    uint64_t total = 0;
    for (int i = 0; i < LG_LAT_BUCKETS; i++) total += b[i] - a[i];
    if (!total) return -1;
    uint64_t want = (uint64_t)(q * (double)total), acc = 0;
    for (int i = 0; i < LG_LAT_BUCKETS; i++) {
        acc += b[i] - a[i];
        if (acc > want) return i < 1000 ? i * 10.0 + 5 : (i - 1000) * 1000.0 + 500;
    }
    return -1;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double join_median_ms(void)
{
    double *v = malloc(sizeof *v * (size_t)(n_clients + 1));
    int n = 0;
    for (int i = 0; i < n_clients; i++) {
        lg_client *c = clients[i];
        if (c->role != LG_SUB || !c->st.t_first_media_ns || !c->st.t_join_ns) continue;
        v[n++] = (double)(c->st.t_first_media_ns - c->st.t_join_ns) / 1e6;
    }
    double r = -1;
    if (n) {
        qsort(v, (size_t)n, sizeof *v, cmp_dbl);
        r = v[n / 2];
    }
    free(v);
    return r;
}

/* ---- the floor: SRTP protect + sendto of 1200 bytes on loopback ---- */

static double measure_floor(sy_srtp_profile profile, double seconds)
{
    sy_srtp_keys k = {.profile = profile};
    k.key_len = profile == SY_SRTP_AEAD_AES_256_GCM ? 32 : 16;
    k.salt_len = (profile == SY_SRTP_AEAD_AES_128_GCM || profile == SY_SRTP_AEAD_AES_256_GCM) ? 12 : 14;
    RAND_bytes(k.local_key, sizeof k.local_key);
    RAND_bytes(k.remote_key, sizeof k.remote_key);
    sy_srtp *s = sy_srtp_new(&k);
    int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (!s || rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(rx, (struct sockaddr *)&a, &al) != 0) {
        if (s) sy_srtp_free(s);
        if (rx >= 0) close(rx);
        if (tx >= 0) close(tx);
        return -1;
    }
    uint8_t tmpl[1200], pkt[1200 + SY_SRTP_MAX_TRAILER];
    /* Nobody reads rx: once its small buffer is full the kernel drops at the socket, after
     * doing the receive-side work a real peer's packet costs on loopback. */
    int small = 4096;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    memset(tmpl, 0xab, sizeof tmpl);
    tmpl[0] = 0x80;
    tmpl[1] = 96;
    tmpl[8] = 0x12;
    /* CPU time of this thread, not wall time: the server's cost is in CPU-seconds too, and
     * a busy machine then stretches neither. */
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    uint64_t n = 0, t0 = lg_now_ns(), end = t0 + (uint64_t)(seconds * 1e9), t = t0;
    uint16_t seq = 0;
    while (t < end) {
        for (int i = 0; i < 256; i++) {
            memcpy(pkt, tmpl, 12); /* only the header changes; the payload is encrypted anew */
            seq++;
            pkt[2] = (uint8_t)(seq >> 8);
            pkt[3] = (uint8_t)seq;
            size_t len = 1200 - 16; /* 1200 bytes on the wire with the GCM tag */
            memcpy(pkt + 12, tmpl + 12, len - 12);
            if (sy_srtp_protect_rtp(s, pkt, &len) == 0)
                sendto(tx, pkt, len, 0, (struct sockaddr *)&a, sizeof a);
            n++;
        }
        t = lg_now_ns();
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    sy_srtp_free(s);
    close(rx);
    close(tx);
    double cpu_ns = (double)(c1.tv_sec - c0.tv_sec) * 1e9 + (double)(c1.tv_nsec - c0.tv_nsec);
    return cpu_ns / (double)n;
}

/* ---- the scenario ---- */

enum { PH_PUBS, PH_SUBS, PH_MEASURE, PH_RAMP_WAIT, PH_STOP, PH_WAIT_DONE };
static int phase = PH_PUBS;
static uint64_t phase_t0, last_start_ns;
static int to_start; /* index in clients of the next client to start */
static int ramp_target;
static int best_ramp_subs = -1;
static double best_ramp_pps = 0;

static struct {
    uint64_t t0;
    totals t;
    proc_sample srv;
    double self;
    udp_snmp udp;
} m_start, m_prev;
static struct {
    bool valid;
    totals t;
    proc_sample srv;
    double self, secs;
    udp_snmp udp;
} m_end;
static proc_sample rss_base;
static int pid;
static int seconds_done;
static double floor_ns = -1;
static const char *profile_name;
static json_t *per_second;

static uint64_t default_room(void)
{
    uint32_t r;
    RAND_bytes((uint8_t *)&r, sizeof r);
    return 100000000ull + (r % 800000000u);
}

static void plan(void)
{
    /* Publishers first; subscribers are added when their feeds are known. */
    if (o.sc == SC_MEETING) {
        for (int r = 0; r < o.rooms; r++)
            for (int p = 0; p < o.participants; p++) new_client(LG_PUB, o.room + (uint64_t)r);
    } else {
        new_client(LG_PUB, o.room);
    }
}

static void add_subscribers(void)
{
    if (o.sc == SC_MEETING) {
        for (int r = 0; r < o.rooms; r++)
            for (int p = 0; p < o.participants; p++) {
                lg_client *c = new_client(LG_SUB, o.room + (uint64_t)r);
                for (int q = 0; q < o.participants && c->n_feeds < LG_MAX_FEEDS; q++)
                    if (q != p) c->feeds[c->n_feeds++] = LG_GET(clients[r * o.participants + q]->pub_id);
            }
    } else {
        int n = o.sc == SC_RAMP ? o.ramp_step : o.subs;
        for (int i = 0; i < n; i++) {
            lg_client *c = new_client(LG_SUB, o.room);
            c->feeds[c->n_feeds++] = LG_GET(clients[0]->pub_id);
        }
    }
}

static void snapshot_start(void)
{
    LG_SET(g_opts.faults_armed, 1);
    m_start.t0 = lg_now_ns();
    sum(&m_start.t);
    if (pid) proc_read(pid, &m_start.srv);
    m_start.self = self_cpu();
    udp_snmp_read(&m_start.udp);
    m_prev = m_start;
}

static void print_header(void)
{
    if (o.quiet) return;
    printf("%5s %6s %6s %10s %8s %8s %8s %8s %9s\n", "t(s)", "subs", "failed", "rx pkt/s", "loss%",
           "srv cpu%", "own cpu%", "srv MB", "p99(us)");
    fflush(stdout);
}

static void per_second_line(void)
{
    totals t;
    sum(&t);
    proc_sample srv = {0};
    if (pid) proc_read(pid, &srv);
    double self = self_cpu();
    uint64_t now = lg_now_ns();
    double dt = (double)(now - m_prev.t0) / 1e9;
    uint64_t drx = t.rx - m_prev.t.rx;
    uint64_t dlost = t.seq_lost > m_prev.t.seq_lost ? t.seq_lost - m_prev.t.seq_lost : 0;
    double loss = drx + dlost ? 100.0 * (double)dlost / (double)(drx + dlost) : 0;
    double p99 = lat_pct(m_prev.t.lat, t.lat, 0.99);
    seconds_done++;
    if (!o.quiet) {
        printf("%5d %6d %6d %10.0f %8.3f %8.1f %8.1f %8.1f %9.0f\n", seconds_done, t.subs_up, t.failed,
               (double)drx / dt, loss, pid ? 100.0 * (srv.cpu_s - m_prev.srv.cpu_s) / dt : -1,
               100.0 * (self - m_prev.self) / dt, pid ? (double)srv.rss_kb / 1024.0 : -1, p99);
        fflush(stdout);
    }
    json_array_append_new(per_second,
                          json_pack("{s:i,s:i,s:i,s:f,s:f,s:f,s:f}", "t", seconds_done, "subs_up",
                                    t.subs_up, "failed", t.failed, "rx_pps", (double)drx / dt,
                                    "loss_pct", loss, "server_cpu_pct",
                                    pid ? 100.0 * (srv.cpu_s - m_prev.srv.cpu_s) / dt : -1.0,
                                    "own_cpu_pct", 100.0 * (self - m_prev.self) / dt));
    m_prev.t0 = now;
    m_prev.t = t;
    m_prev.srv = srv;
    m_prev.self = self;
}

static void snapshot_end(void)
{
    sum(&m_end.t);
    if (pid) proc_read(pid, &m_end.srv);
    m_end.self = self_cpu();
    udp_snmp_read(&m_end.udp);
    m_end.secs = (double)(lg_now_ns() - m_start.t0) / 1e9;
    m_end.valid = true;
}

/* Starts pending clients at the join rate. Returns true when all are started. */
static bool start_pending(uint64_t now)
{
    double gap_ns = 1e9 / (o.join_rate > 0 ? o.join_rate : 1e6);
    while (to_start < n_clients) {
        if (last_start_ns && (double)(now - last_start_ns) < gap_ns) return false;
        lg_client_start(clients[to_start++]);
        last_start_ns = last_start_ns ? last_start_ns + (uint64_t)gap_ns : now;
        if (last_start_ns + (uint64_t)gap_ns < now) last_start_ns = now - (uint64_t)gap_ns;
    }
    return true;
}

static bool all_up(lg_role role, int *n_failed)
{
    bool all = true;
    *n_failed = 0;
    for (int i = 0; i < n_clients; i++) {
        lg_client *c = clients[i];
        if (c->role != role) continue;
        if (is_failed(c)) (*n_failed)++;
        else if (!is_up(c)) all = false;
    }
    return all;
}

static void churn_step(void)
{
    /* stop the oldest running subscriber, start a new one */
    for (int i = 0; i < n_clients; i++) {
        lg_client *c = clients[i];
        if (c->role == LG_SUB && LG_GET(c->state) == LG_C_MEDIA) {
            lg_client_stop(c);
            break;
        }
    }
    lg_client *c = new_client(LG_SUB, o.room);
    c->feeds[c->n_feeds++] = LG_GET(clients[0]->pub_id);
}

static void on_tick(uv_timer_t *t)
{
    uint64_t now = lg_now_ns();
    double in_phase = (double)(now - phase_t0) / 1e9;
    int nf;
    if (interrupted && phase < PH_STOP) {
        if (phase == PH_MEASURE && !m_end.valid) snapshot_end();
        phase = PH_STOP;
    }
    switch (phase) {
    case PH_PUBS:
        start_pending(now);
        if (all_up(LG_PUB, &nf) && to_start == n_clients) {
            if (nf) {
                fprintf(stderr, "loadgen: %d publisher(s) failed\n", nf);
                phase = PH_STOP;
                break;
            }
            if (pid) proc_read(pid, &rss_base);
            add_subscribers();
            phase = PH_SUBS;
            phase_t0 = now;
        } else if (in_phase > o.setup_timeout) {
            fprintf(stderr, "loadgen: publishers not up after %.0f s\n", o.setup_timeout);
            phase = PH_STOP;
        }
        break;
    case PH_SUBS:
    case PH_RAMP_WAIT: {
        bool started = start_pending(now);
        bool up = all_up(LG_SUB, &nf);
        if ((started && up) || in_phase > o.setup_timeout) {
            if (!(started && up))
                fprintf(stderr, "loadgen: not every subscriber has media after %.0f s\n", o.setup_timeout);
            if (phase == PH_SUBS) {
                /* one second of warm-up, then the measured window */
                if (in_phase < 1.0 && started && up) break;
                snapshot_start();
                print_header();
            } else {
                m_prev.t0 = now;
                sum(&m_prev.t);
                if (pid) proc_read(pid, &m_prev.srv);
                m_prev.self = self_cpu();
                udp_snmp_read(&m_prev.udp);
                m_start = m_prev;
            }
            phase = PH_MEASURE;
            phase_t0 = now;
        }
        break;
    }
    case PH_MEASURE:
        if ((double)(now - m_prev.t0) >= 1e9) per_second_line();
        if (o.sc == SC_CHURN && o.churn > 0) {
            static uint64_t next_churn;
            if (!next_churn) next_churn = now;
            while (now >= next_churn) {
                churn_step();
                next_churn += (uint64_t)(1e9 / o.churn);
            }
            start_pending(now);
        }
        if (o.sc == SC_RAMP && in_phase >= o.ramp_interval) {
            totals tt;
            sum(&tt);
            uint64_t drx = tt.rx - m_start.t.rx;
            uint64_t dl = tt.seq_lost > m_start.t.seq_lost ? tt.seq_lost - m_start.t.seq_lost : 0;
            double loss = drx + dl ? 100.0 * (double)dl / (double)(drx + dl) : 100;
            int subs = tt.subs - tt.failed;
            printf("ramp: %d subscribers, loss %.3f%%, %d failed\n", subs, loss, tt.failed);
            fflush(stdout);
            /* A step counts if its loss is under the threshold and (almost) every client
             * negotiated: one ICE timeout in a hundred on a loaded machine is not capacity. */
            bool few_failed = tt.failed * 100 <= tt.subs;
            if (loss <= o.ramp_loss && few_failed) {
                best_ramp_subs = subs;
                best_ramp_pps = (double)drx / in_phase;
            }
            snapshot_end();
            if (loss > o.ramp_loss || !few_failed || tt.subs + o.ramp_step > o.subs) {
                phase = PH_STOP;
            } else {
                add_subscribers();
                phase = PH_RAMP_WAIT;
                phase_t0 = now;
            }
            break;
        }
        if (o.sc != SC_RAMP && in_phase >= o.duration) {
            snapshot_end();
            phase = PH_STOP;
        }
        break;
    case PH_STOP:
        for (int i = 0; i < n_clients; i++)
            if (i < to_start && !LG_GET(clients[i]->done)) lg_client_stop(clients[i]);
        for (int i = to_start; i < n_clients; i++) clients[i]->done = 1;
        phase = PH_WAIT_DONE;
        phase_t0 = now;
        break;
    case PH_WAIT_DONE: {
        bool all = true;
        for (int i = 0; i < n_clients; i++) all = all && __atomic_load_n(&clients[i]->done, __ATOMIC_ACQUIRE);
        if (all || in_phase > 10) {
            uv_timer_stop(&tick);
            uv_close((uv_handle_t *)&tick, NULL);
        }
        break;
    }
    }
    (void)ramp_target;
}

static void on_signal(int s) { interrupted = 1; }

/* ---- the report ---- */

static int report(void)
{
    totals *a = &m_start.t, *b = &m_end.t;
    double secs = m_end.valid ? m_end.secs : 0;
    uint64_t fwd = m_end.valid ? b->rx - a->rx : 0;
    uint64_t lost = m_end.valid && b->seq_lost > a->seq_lost ? b->seq_lost - a->seq_lost : 0;
    double srv_cpu = m_end.valid && pid ? m_end.srv.cpu_s - m_start.srv.cpu_s : -1;
    double own_cpu = m_end.valid ? m_end.self - m_start.self : -1;
    double loss = fwd + lost ? 100.0 * (double)lost / (double)(fwd + lost) : 0;
    double pps_cpu = srv_cpu > 0 ? (double)fwd / srv_cpu : -1;
    double p50 = lat_pct(a->lat, b->lat, 0.5), p99 = lat_pct(a->lat, b->lat, 0.99);
    totals all;
    sum(&all);
    int subs_total = all.subs;
    /* At the end of the window: per-subscriber buffers (send history) fill as media flows. */
    double rss_per_sub = pid && m_end.valid && subs_total
                             ? (double)(m_end.srv.rss_kb - rss_base.rss_kb) / (double)subs_total
                             : -1;
    double join_ms = join_median_ms();
    double cost_ns = pps_cpu > 0 ? 1e9 / pps_cpu : -1;
    static const char *names[] = {"fanout", "meeting", "churn", "ramp"};

    printf("\n== loadgen %s: %d publisher(s), %d subscriber(s), %d failed, SRTP %s ==\n", names[o.sc],
           all.pubs, subs_total, all.failed, profile_name ? profile_name : "-");
    printf("window                         %.1f s\n", secs);
    printf("forwarded packets              %llu (%.0f/s)\n", (unsigned long long)fwd, secs ? (double)fwd / secs : 0);
    if (srv_cpu >= 0) {
        printf("server CPU                     %.2f s (%.0f%% of one core)\n", srv_cpu, secs ? 100 * srv_cpu / secs : 0);
        printf("forwarded packets / CPU-second %.0f  (%.2f us per packet)\n", pps_cpu, cost_ns / 1000);
        printf("server RSS                     %ld kB at the start of the window, %ld kB at its end "
               "(before subscribers %ld kB; %.1f kB per subscriber at the end)\n",
               m_start.srv.rss_kb, m_end.srv.rss_kb, rss_base.rss_kb, rss_per_sub);
    }
    printf("loss                           %.4f%% (%llu lost, %llu duplicates, %llu reordered)\n", loss,
           (unsigned long long)lost, (unsigned long long)(b->seq_dup - a->seq_dup),
           (unsigned long long)(b->seq_reorder - a->seq_reorder));
    printf("checked payloads (whole run)   %llu decrypted, %llu content gaps, %llu content duplicates, "
           "%llu wrong payloads, %llu auth failures\n",
           (unsigned long long)all.decrypted, (unsigned long long)all.ctr_lost,
           (unsigned long long)all.ctr_dup, (unsigned long long)all.payload_bad,
           (unsigned long long)all.auth_fail);
    unsigned long long rcvbuf = m_end.valid ? m_end.udp.rcvbuf_errors - m_start.udp.rcvbuf_errors : 0;
    unsigned long long sndbuf = m_end.valid ? m_end.udp.sndbuf_errors - m_start.udp.sndbuf_errors : 0;
    printf("kernel UDP drops (namespace)   %llu receive-buffer full, %llu send-buffer full\n", rcvbuf,
           sndbuf);
    printf("latency p50 / p99              %.0f / %.0f us\n", p50, p99);
    printf("join (attach to first packet)  %.1f ms median\n", join_ms);
    printf("loadgen's own CPU              %.2f s\n", own_cpu);
    if (floor_ns > 0) {
        printf("floor (SRTP protect + sendto)  %.2f us CPU per packet", floor_ns / 1000);
        if (cost_ns > 0) printf("; server cost per forwarded packet = %.2fx the floor", cost_ns / floor_ns);
        printf("\n");
    }
    uint64_t w_kf = m_end.valid ? b->plis_received - a->plis_received : 0;
    uint64_t w_ab_rx = m_end.valid ? b->ab_rx - a->ab_rx : 0, w_ab_dup = m_end.valid ? b->ab_dup - a->ab_dup : 0;
    uint64_t w_ab_kf = m_end.valid ? (b->ab_plis + b->ab_firs) - (a->ab_plis + a->ab_firs) : 0;
    uint64_t w_ab_nacked = m_end.valid ? b->ab_nacked - a->ab_nacked : 0;
    uint64_t w_n_rx = m_end.valid ? b->normal_rx - a->normal_rx : 0;
    uint64_t w_n_lost = m_end.valid && b->normal_lost > a->normal_lost ? b->normal_lost - a->normal_lost : 0;
    printf("keyframe requests at publishers %llu in the window (%.2f/s)\n", (unsigned long long)w_kf,
           secs ? (double)w_kf / secs : 0);
    if (g_opts.abusive)
        printf("abusive subscribers            %d: sent %llu keyframe requests and NACKed %llu sequence "
               "numbers; received %llu packets, %llu of them retransmissions (RTX or duplicates); the "
               "others received %llu packets, lost %llu\n",
               g_opts.abusive, (unsigned long long)w_ab_kf, (unsigned long long)w_ab_nacked,
               (unsigned long long)w_ab_rx, (unsigned long long)w_ab_dup, (unsigned long long)w_n_rx,
               (unsigned long long)w_n_lost);
    if (o.sc == SC_RAMP)
        printf("largest fan-out under %.2f%% loss  %d subscribers (%.0f pkt/s)\n", o.ramp_loss,
               best_ramp_subs, best_ramp_pps);

    if (o.json_path) {
        json_t *subs = json_array();
        for (int i = 0; i < n_clients; i++) {
            lg_client *c = clients[i];
            json_t *j = json_pack("{s:i,s:s,s:s,s:I,s:I,s:I,s:b}", "id", c->id, "role",
                                  c->role == LG_PUB ? "publisher" : "subscriber", "state",
                                  is_failed(c) ? "failed" : "ok", "rx_pkts", (json_int_t)c->st.rx_pkts,
                                  "tx_pkts", (json_int_t)c->st.tx_pkts, "streams", (json_int_t)c->n_rs,
                                  "decrypt", c->decrypt);
            if (c->role == LG_PUB)
                json_object_set_new(j, "plis_received", json_integer((json_int_t)c->st.plis_received));
            if (c->role == LG_SUB) {
                json_object_set_new(j, "abusive", json_boolean(c->abusive));
                json_object_set_new(j, "plis_sent", json_integer((json_int_t)c->st.plis_sent));
                json_object_set_new(j, "firs_sent", json_integer((json_int_t)c->st.firs_sent));
                json_object_set_new(j, "nacks_sent", json_integer((json_int_t)c->st.nacks_sent));
                json_object_set_new(j, "nacked_seqs", json_integer((json_int_t)c->st.nacked_seqs));
                json_object_set_new(j, "rtx_pkts", json_integer((json_int_t)c->st.rtx_pkts));
                json_object_set_new(j, "seq_lost", json_integer((json_int_t)c->st.seq_lost));
                json_object_set_new(j, "seq_dup", json_integer((json_int_t)c->st.seq_dup));
                json_object_set_new(j, "content_gaps", json_integer((json_int_t)c->st.ctr_lost));
                json_object_set_new(j, "content_dups", json_integer((json_int_t)c->st.ctr_dup));
                json_object_set_new(j, "payload_bad", json_integer((json_int_t)c->st.payload_bad));
                json_object_set_new(j, "decrypted", json_integer((json_int_t)c->st.decrypted));
                json_object_set_new(j, "rx_bytes", json_integer((json_int_t)c->st.rx_bytes));
                json_object_set_new(j, "substream", json_integer(c->substream));
                json_t *lp = json_array(), *lb = json_array();
                for (int l = 0; l < LG_LAYERS; l++) {
                    json_array_append_new(lp, json_integer((json_int_t)c->st.layer_pkts[l]));
                    json_array_append_new(lb, json_integer((json_int_t)c->st.layer_bytes[l]));
                }
                json_object_set_new(j, "layer_pkts", lp);
                json_object_set_new(j, "layer_bytes", lb);
                json_object_set_new(j, "layer_switches", json_integer((json_int_t)c->st.layer_switches));
                if (c->st.t_first_media_ns && c->st.t_join_ns)
                    json_object_set_new(j, "join_ms", json_real((double)(c->st.t_first_media_ns -
                                                                         c->st.t_join_ns) / 1e6));
            }
            if (c->error[0]) json_object_set_new(j, "error", json_string(c->error));
            json_array_append_new(subs, j);
        }
        json_t *r = json_pack("{s:s,s:i,s:i,s:i,s:f,s:I,s:f,s:f,s:f,s:f,s:f}", "scenario", names[o.sc],
                              "publishers", all.pubs, "subscribers", subs_total, "failed", all.failed,
                              "window_s", secs, "forwarded_pkts", (json_int_t)fwd, "forwarded_pps",
                              secs ? (double)fwd / secs : 0.0, "server_cpu_s", srv_cpu, "pkts_per_cpu_s",
                              pps_cpu, "loss_pct", loss, "own_cpu_s", own_cpu);
        json_object_set_new(r, "seq_lost", json_integer((json_int_t)lost));
        json_object_set_new(r, "seq_dup", json_integer((json_int_t)(b->seq_dup - a->seq_dup)));
        json_object_set_new(r, "totals", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
            "rx_pkts", (json_int_t)all.rx, "tx_pkts", (json_int_t)all.tx, "seq_lost",
            (json_int_t)all.seq_lost, "seq_dup", (json_int_t)all.seq_dup, "content_gaps",
            (json_int_t)all.ctr_lost, "content_dups", (json_int_t)all.ctr_dup, "payload_bad",
            (json_int_t)all.payload_bad, "auth_fail", (json_int_t)all.auth_fail, "decrypted",
            (json_int_t)all.decrypted, "nacks_sent", (json_int_t)all.nacks, "plis_received",
            (json_int_t)all.plis_received));
        json_object_set_new(r, "window", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
            "keyframe_requests_at_publishers", (json_int_t)w_kf, "abusive_rx_pkts", (json_int_t)w_ab_rx,
            "abusive_dup_pkts", (json_int_t)w_ab_dup, "abusive_keyframe_requests", (json_int_t)w_ab_kf,
            "abusive_nacked_seqs", (json_int_t)w_ab_nacked, "normal_rx_pkts", (json_int_t)w_n_rx,
            "normal_seq_lost", (json_int_t)w_n_lost));
        json_object_set_new(r, "udp_rcvbuf_errors", json_integer((json_int_t)rcvbuf));
        json_object_set_new(r, "udp_sndbuf_errors", json_integer((json_int_t)sndbuf));
        json_object_set_new(r, "latency_p50_us", json_real(p50));
        json_object_set_new(r, "latency_p99_us", json_real(p99));
        json_object_set_new(r, "join_ms_median", json_real(join_ms));
        json_object_set_new(r, "rss_base_kb", json_integer(rss_base.rss_kb));
        json_object_set_new(r, "rss_kb", json_integer(m_end.srv.rss_kb));
        json_object_set_new(r, "rss_start_kb", json_integer(m_start.srv.rss_kb));
        json_object_set_new(r, "rss_per_sub_kb", json_real(rss_per_sub));
        json_object_set_new(r, "floor_ns", json_real(floor_ns));
        json_object_set_new(r, "floor_multiple", json_real(floor_ns > 0 && cost_ns > 0 ? cost_ns / floor_ns : -1));
        json_object_set_new(r, "srtp_profile", json_string(profile_name ? profile_name : ""));
        if (o.sc == SC_RAMP) {
            json_object_set_new(r, "ramp_max_subs", json_integer(best_ramp_subs));
            json_object_set_new(r, "ramp_max_pps", json_real(best_ramp_pps));
        }
        json_object_set_new(r, "per_second", json_incref(per_second));
        json_object_set_new(r, "clients", subs);
        if (json_dump_file(r, o.json_path, JSON_INDENT(1)) != 0)
            fprintf(stderr, "loadgen: cannot write %s\n", o.json_path);
        json_decref(r);
    }
    return m_end.valid && all.subs_up + all.failed >= 0 ? 0 : 1;
}

/* ---- options ---- */

static void usage(FILE *f)
{
    fprintf(f,
"usage: loadgen [options]\n"
"  --url ws://HOST:PORT/PATH   Janus WebSocket API (default ws://127.0.0.1:8188/)\n"
"  --scenario fanout|meeting|churn|ramp   (default fanout)\n"
"  --subs N                    subscribers (fanout, churn); the maximum for ramp (default 10)\n"
"  --rooms R --participants P  meeting: R rooms of P participants, all publish and subscribe to all\n"
"  --churn J                   churn: J subscribers leave and J join per second (default 2)\n"
"  --ramp-step N --ramp-interval S --ramp-loss PCT   ramp: add N subscribers every S s until loss > PCT\n"
"  --duration S                measured window in seconds (default 10)\n"
"  --room ID                   room id (default random); --no-create-room uses an existing room\n"
"  --room-secret S --room-publishers N   options of the created room\n"
"  --bitrate BPS               video bitrate (default 1500000)\n"
"  --decrypt-sample F          fraction of subscribers that decrypt and check everything (default 0.1)\n"
"  --ice-ip IP                 address to gather ICE candidates on (default: the first non-loopback\n"
"                              IPv4 address, or 127.0.0.1)\n"
"  --threads N                 worker threads (default: number of cores)\n"
"  --join-rate R               clients started per second (default 50)\n"
"  --setup-timeout S           seconds to wait for clients to get media (default 30)\n"
"  --server-pid PID | --server-name NAME   the server process to measure\n"
"  --floor                     also measure SRTP protect + sendto per packet (the floor)\n"
"  --simulcast                 publishers send VP8 as three rid layers (h/m/l, 16:4:1 of --bitrate)\n"
"  --substream N[,N...]        subscribers ask for this simulcast substream (0 low .. 2 high);\n"
"                              a list is given out round-robin, one value per subscriber\n"
"  --abusive N                 the first N subscribers abuse the server with keyframe requests\n"
"                              (PLI and FIR in turn) at --pli-rate per second per video stream\n"
"  --pli-rate R                abusive subscribers' request rate (default 100)\n"
"  --nack-all                  abusive subscribers also NACK their last 64 sequence numbers of every\n"
"                              video stream at --pli-rate (a NACK for every packet, repeated)\n"
"  --no-rtx                    subscribers answer without RTX (the server must then not retransmit)\n"
"  --faults                    publishers inject one content gap, duplicate and corruption (tests)\n"
"  --json FILE                 write the results as JSON\n"
"  --quiet                     no per-second lines\n");
}

static int parse_url(const char *url)
{
    const char *p = url;
    if (strncmp(p, "ws://", 5) != 0) return -1;
    p += 5;
    const char *slash = strchr(p, '/');
    char hostport[256];
    size_t hl = slash ? (size_t)(slash - p) : strlen(p);
    if (hl >= sizeof hostport) return -1;
    memcpy(hostport, p, hl);
    hostport[hl] = 0;
    snprintf(g_opts.path, sizeof g_opts.path, "%s", slash ? slash : "/");
    snprintf(g_opts.host, sizeof g_opts.host, "%s", hostport);
    char host[256], port[16] = "80";
    if (hostport[0] == '[') {
        char *e = strchr(hostport, ']');
        if (!e) return -1;
        *e = 0;
        snprintf(host, sizeof host, "%s", hostport + 1);
        if (e[1] == ':') snprintf(port, sizeof port, "%s", e + 2);
    } else {
        char *c = strrchr(hostport, ':');
        if (c) {
            *c = 0;
            snprintf(port, sizeof port, "%s", c + 1);
        }
        snprintf(host, sizeof host, "%s", hostport);
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, port, &hints, &res) != 0) return -1;
    memcpy(&g_opts.addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

static const char *default_ice_ip(void)
{
    static char ip[INET_ADDRSTRLEN] = "127.0.0.1";
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) != 0) return ip;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
            !(i->ifa_flags & IFF_UP))
            continue;
        inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, ip, sizeof ip);
        break;
    }
    freeifaddrs(ifs);
    return ip;
}

int main(int argc, char **argv)
{
    enum { O_URL = 256, O_SC, O_SUBS, O_ROOMS, O_PART, O_CHURN, O_RSTEP, O_RINT, O_RLOSS, O_DUR,
           O_ROOM, O_NOCREATE, O_RSECRET, O_RPUBS, O_BITRATE, O_DEC, O_ICEIP, O_THREADS, O_JRATE,
           O_SETUP, O_PID, O_PNAME, O_FLOOR, O_FAULTS, O_JSON, O_QUIET, O_HELP, O_SIM, O_SUBSTREAM,
           O_ABUSIVE, O_PLIRATE, O_NACKALL, O_NORTX };
    static const struct option lo[] = {
        {"url", 1, 0, O_URL}, {"scenario", 1, 0, O_SC}, {"subs", 1, 0, O_SUBS},
        {"rooms", 1, 0, O_ROOMS}, {"participants", 1, 0, O_PART}, {"churn", 1, 0, O_CHURN},
        {"ramp-step", 1, 0, O_RSTEP}, {"ramp-interval", 1, 0, O_RINT}, {"ramp-loss", 1, 0, O_RLOSS},
        {"duration", 1, 0, O_DUR}, {"room", 1, 0, O_ROOM}, {"no-create-room", 0, 0, O_NOCREATE},
        {"room-secret", 1, 0, O_RSECRET}, {"room-publishers", 1, 0, O_RPUBS},
        {"bitrate", 1, 0, O_BITRATE}, {"decrypt-sample", 1, 0, O_DEC}, {"ice-ip", 1, 0, O_ICEIP},
        {"threads", 1, 0, O_THREADS}, {"join-rate", 1, 0, O_JRATE}, {"setup-timeout", 1, 0, O_SETUP},
        {"server-pid", 1, 0, O_PID}, {"server-name", 1, 0, O_PNAME}, {"floor", 0, 0, O_FLOOR},
        {"faults", 0, 0, O_FAULTS}, {"json", 1, 0, O_JSON}, {"quiet", 0, 0, O_QUIET},
        {"simulcast", 0, 0, O_SIM}, {"substream", 1, 0, O_SUBSTREAM},
        {"abusive", 1, 0, O_ABUSIVE}, {"pli-rate", 1, 0, O_PLIRATE}, {"nack-all", 0, 0, O_NACKALL}, {"no-rtx", 0, 0, O_NORTX},
        {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
    const char *url = "ws://127.0.0.1:8188/";
    g_opts.bitrate = 1500000;
    g_opts.decrypt_sample = 0.1;
    g_opts.create_room = true;
    g_opts.room_publishers = 100;
    g_opts.pli_rate = 100;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (opt) {
        case O_URL: url = optarg; break;
        case O_SC:
            if (!strcmp(optarg, "fanout")) o.sc = SC_FANOUT;
            else if (!strcmp(optarg, "meeting")) o.sc = SC_MEETING;
            else if (!strcmp(optarg, "churn")) o.sc = SC_CHURN;
            else if (!strcmp(optarg, "ramp")) o.sc = SC_RAMP;
            else { usage(stderr); return 2; }
            break;
        case O_SUBS: o.subs = atoi(optarg); break;
        case O_ROOMS: o.rooms = atoi(optarg); break;
        case O_PART: o.participants = atoi(optarg); break;
        case O_CHURN: o.churn = atof(optarg); break;
        case O_RSTEP: o.ramp_step = atoi(optarg); break;
        case O_RINT: o.ramp_interval = atof(optarg); break;
        case O_RLOSS: o.ramp_loss = atof(optarg); break;
        case O_DUR: o.duration = atof(optarg); break;
        case O_ROOM: o.room = strtoull(optarg, NULL, 10); break;
        case O_NOCREATE: g_opts.create_room = false; break;
        case O_RSECRET: g_opts.room_secret = optarg; break;
        case O_RPUBS: g_opts.room_publishers = atoi(optarg); break;
        case O_BITRATE: g_opts.bitrate = strtoull(optarg, NULL, 10); break;
        case O_DEC: g_opts.decrypt_sample = atof(optarg); break;
        case O_ICEIP: g_opts.ice_ip = optarg; break;
        case O_THREADS: o.threads = atoi(optarg); break;
        case O_JRATE: o.join_rate = atof(optarg); break;
        case O_SETUP: o.setup_timeout = atof(optarg); break;
        case O_PID: o.server_pid = atoi(optarg); break;
        case O_PNAME: o.server_name = optarg; break;
        case O_FLOOR: o.floor = true; break;
        case O_FAULTS: g_opts.faults = true; break;
        case O_SIM: g_opts.simulcast = true; break;
        case O_ABUSIVE: g_opts.abusive = atoi(optarg); break;
        case O_PLIRATE: g_opts.pli_rate = atof(optarg); break;
        case O_NACKALL: g_opts.nack_all = true; break;
        case O_NORTX: g_opts.no_rtx = true; break;
        case O_SUBSTREAM: {
            g_opts.n_substreams = 0;
            for (char *p = optarg;;) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p || v < 0 || v > 2 || g_opts.n_substreams == LG_MAX_SUBSTREAMS ||
                    (*end && *end != ',')) {
                    fprintf(stderr, "loadgen: --substream wants up to %d values 0..2, comma-separated\n",
                            LG_MAX_SUBSTREAMS);
                    return 2;
                }
                g_opts.substreams[g_opts.n_substreams++] = (int)v;
                if (!*end) break;
                p = end + 1;
            }
            break;
        }
        case O_JSON: o.json_path = optarg; break;
        case O_QUIET: o.quiet = true; break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (parse_url(url) != 0) {
        fprintf(stderr, "loadgen: bad or unresolvable --url %s\n", url);
        return 2;
    }
    if (o.subs < 1 || o.rooms < 1 || o.participants < 2 || o.participants > LG_MAX_FEEDS + 1 ||
        o.ramp_step < 1 || o.duration <= 0 || g_opts.abusive < 0 || g_opts.pli_rate <= 0 ||
        g_opts.pli_rate > 1000) {
        fprintf(stderr, "loadgen: bad counts\n");
        return 2;
    }
    if (!g_opts.ice_ip) g_opts.ice_ip = default_ice_ip();
    if (!o.room) o.room = default_room();
    if (o.sc == SC_MEETING && g_opts.room_publishers < o.participants) g_opts.room_publishers = o.participants;
    pid = o.server_pid;
    if (!pid && o.server_name) {
        pid = find_pid(o.server_name);
        if (!pid) fprintf(stderr, "loadgen: no process named %s; server not measured\n", o.server_name);
    }
    /* Two descriptors per client (WebSocket, ICE socket): lift the soft limit to the hard one. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    sy_log_set_level(2);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (sy_dtls_global_init(NULL, NULL, NULL) != 0 || sy_srtp_global_init() != 0 ||
        sy_workers_start(o.threads) != 0) {
        fprintf(stderr, "loadgen: cannot initialise DTLS/SRTP/workers\n");
        return 1;
    }
    per_second = json_array();
    mainloop = uv_default_loop();
    uv_timer_init(mainloop, &tick);
    plan();
    phase_t0 = lg_now_ns();
    uv_timer_start(&tick, on_tick, 0, 50);
    uv_run(mainloop, UV_RUN_DEFAULT);

    for (int i = 0; i < n_clients && !profile_name; i++) profile_name = clients[i]->profile;
    sy_srtp_profile prof = SY_SRTP_AEAD_AES_128_GCM;
    if (profile_name)
        for (int p = SY_SRTP_AEAD_AES_128_GCM; p <= SY_SRTP_AES128_CM_SHA1_32; p++)
            if (!strcmp(sy_srtp_profile_name((sy_srtp_profile)p), profile_name)) prof = (sy_srtp_profile)p;
    sy_workers_stop();
    if (o.floor) floor_ns = measure_floor(prof, 1.0);
    int rc = report();
    for (int i = 0; i < n_clients; i++) free(clients[i]);
    free(clients);
    json_decref(per_second);
    uv_loop_close(mainloop);
    sy_srtp_global_cleanup();
    sy_dtls_global_cleanup();
    return rc;
}
