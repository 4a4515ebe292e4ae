/*
 * Fuzz target: SCTP packets from an established peer into our association
 * (src/media/sctp.c over usrsctp), as DTLS application data arrives (security.md
 * table 6 row 15): DATA chunks on any stream with any PPID (DCEP garbage, OPEN for
 * streams of the wrong parity, messages on streams without a channel, empty and
 * fragmented messages), and whatever other chunks the input holds.
 *
 * Per input a fresh pair of associations (A: ours, under test; B: the peer, also
 * sy_sctp) is wired back to back in memory and brought up. Then the input's records,
 * [u16 length][SCTP packet], are fed to A as if B had sent them. So that mutated
 * packets get past the checks an attacker with the DTLS keys also passes, the harness
 * fixes them up like a real peer would: the ports and verification tag of this
 * association, the TSN of DATA chunks taken as an offset from B's initial TSN, and the
 * CRC32c. A stub message callback checks every message A delivers.
 *
 * Seeds: SY_FUZZ_SCTP_SEEDS=<dir> makes the first run write what B sends for a few
 * messages (DCEP OPEN, text, binary, empty) in this record format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "core/log.h"
#include "media/sctp.h"

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_sctp: property failed: %s (line %d)\n", #cond, __LINE__);        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct item {
    struct item *next;
    int to; /* packet for endpoint 0/1, or -1: a task */
    sy_sctp_task_fn fn;
    void *arg;
    size_t len;
    uint8_t data[];
} item;

static item *qhead, *qtail;
static uv_mutex_t qlock;
static sy_sctp *ep[2];
static bool alive[2];
static int ready[2];
static uint32_t a_tag, b_init_tsn; /* learned from B's INIT / packets to A */
static uint16_t a_port = 5000, b_port = 5001;
static FILE *seed_out;          /* while writing seeds: B's packets after the handshake */
static bool up;

static void push(item *it)
{
    uv_mutex_lock(&qlock);
    it->next = NULL;
    if (qtail) qtail->next = it;
    else qhead = it;
    qtail = it;
    uv_mutex_unlock(&qlock);
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* CRC32c (Castagnoli), stored little-endian as RFC 4960 appendix B does it. */
static uint32_t crc32c(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void set_crc(uint8_t *pkt, size_t len)
{
    memset(pkt + 8, 0, 4);
    uint32_t c = crc32c(pkt, len);
    pkt[8] = (uint8_t)c;
    pkt[9] = (uint8_t)(c >> 8);
    pkt[10] = (uint8_t)(c >> 16);
    pkt[11] = (uint8_t)(c >> 24);
}

static void on_send(void *user, const uint8_t *pkt, size_t len)
{
    int from = (int)(intptr_t)user;
    if (from == 1 && len >= 12) {
        uint32_t tag = be32(pkt + 4);
        if (tag) a_tag = tag;
        /* B's INIT (or INIT ACK): its initial TSN. */
        if (len >= 32 && (pkt[12] == 1 || pkt[12] == 2)) b_init_tsn = be32(pkt + 12 + 16);
        if (seed_out && up) {
            /* A self-check of the CRC the harness writes, on usrsctp's own packets. */
            uint8_t copy[2048];
            if (len <= sizeof(copy)) {
                memcpy(copy, pkt, len);
                set_crc(copy, len);
                REQUIRE(memcmp(copy + 8, pkt + 8, 4) == 0);
                /* Rebase DATA TSNs to offsets from the initial TSN, as inputs hold them. */
                for (size_t off = 12; off + 4 <= len;) {
                    size_t clen = (size_t)copy[off + 2] << 8 | copy[off + 3];
                    if (clen < 4 || off + clen > len) break;
                    if (copy[off] == 0 && clen >= 16) put_be32(copy + off + 4, be32(copy + off + 4) - b_init_tsn);
                    off += (clen + 3) & ~(size_t)3;
                }
                uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
                fwrite(hdr, 1, 2, seed_out);
                fwrite(copy, 1, len, seed_out);
            }
        }
    }
    /* Once up, B is only the source of the inputs: what A answers (SACKs for TSNs B
     * never sent) would make B abort the association. */
    if (from == 0 && up && !seed_out) return;
    item *it = malloc(sizeof(*it) + len);
    it->to = 1 - from;
    it->len = len;
    memcpy(it->data, pkt, len);
    push(it);
}

static void on_message(void *user, const char *label, const char *protocol, bool binary,
                       const uint8_t *buf, size_t len)
{
    int who = (int)(intptr_t)user;
    REQUIRE(alive[who]);
    REQUIRE(label != NULL && strlen(label) <= 65535);
    REQUIRE(protocol == NULL || strlen(protocol) <= 65535);
    REQUIRE(len <= SY_SCTP_RECV_LIMIT);
    if (len) {
        volatile uint8_t last = buf[len - 1]; /* ASan: in bounds */
        (void)last;
    }
}

static void on_ready(void *user) { ready[(int)(intptr_t)user]++; }

static int post(void *ctx, sy_sctp_task_fn fn, void *arg)
{
    item *it = calloc(1, sizeof(*it));
    it->to = -1;
    it->fn = fn;
    it->arg = arg;
    push(it);
    return 0;
}

static int pump(void)
{
    int n = 0;
    for (;;) {
        uv_mutex_lock(&qlock);
        item *it = qhead;
        if (it) {
            qhead = it->next;
            if (!qhead) qtail = NULL;
        }
        uv_mutex_unlock(&qlock);
        if (!it) return n;
        n++;
        if (it->to < 0) it->fn(it->arg);
        else if (alive[it->to]) sy_sctp_incoming(ep[it->to], it->data, it->len);
        free(it);
    }
}

static bool pump_until_up(void)
{
    for (int i = 0; i < 300 && !(ready[0] && ready[1]); i++)
        if (!pump()) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    return ready[0] && ready[1];
}

static bool start_pair(void)
{
    a_tag = b_init_tsn = 0;
    ready[0] = ready[1] = 0;
    up = false;
    for (int i = 0; i < 2; i++) {
        sy_sctp_config cfg = {.local_port = i ? b_port : a_port,
                              .remote_port = i ? a_port : b_port,
                              .dtls_client = i == 1,
                              .max_message_size = 262144};
        sy_sctp_callbacks cb = {(void *)(intptr_t)i, on_send, on_message, on_ready, post, NULL};
        ep[i] = sy_sctp_new(&cfg, &cb);
        REQUIRE(ep[i] != NULL);
        alive[i] = true;
    }
    up = pump_until_up();
    return up;
}

static void stop_pair(void)
{
    for (int i = 0; i < 2; i++) {
        alive[i] = false;
        sy_sctp_free(ep[i]);
        ep[i] = NULL;
        pump();
    }
    pump();
}

static void write_seeds(const char *dir)
{
    static const struct {
        const char *name, *label, *protocol;
        bool binary;
        const char *text;
        size_t len;
    } seeds[] = {
        {"text", "chat", "", false, "hello", 5},
        {"binary_proto", "files", "x-proto", true, "\x01\x02\x03\x00", 4},
        {"empty_text", "chat", NULL, false, "", 0},
        {"default_channel", NULL, NULL, false, "{\"textroom\":\"message\"}", 23},
    };
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, seeds[i].name);
        if (!start_pair()) continue;
        seed_out = fopen(path, "wb");
        sy_sctp_send(ep[1], seeds[i].label, seeds[i].protocol, seeds[i].binary,
                     (const uint8_t *)seeds[i].text, seeds[i].len);
        sy_sctp_send(ep[1], seeds[i].label, seeds[i].protocol, !seeds[i].binary,
                     (const uint8_t *)"second", 6);
        pump();
        fclose(seed_out);
        seed_out = NULL;
        stop_pair();
    }
}

static void cleanup(void) { sy_sctp_global_cleanup(); pump(); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        init = true;
        sy_log_set_level(SY_LOG_FATAL);
        uv_mutex_init(&qlock);
        atexit(cleanup);
        if (getenv("SY_FUZZ_SCTP_SEEDS")) write_seeds(getenv("SY_FUZZ_SCTP_SEEDS"));
    }
    if (!start_pair()) {
        stop_pair();
        return 0;
    }
    static uint8_t pkt[SY_SCTP_MTU + 64];
    size_t off = 0;
    for (int n = 0; n < 32 && off + 2 <= size; n++) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (len > size - off) len = size - off;
        if (len > sizeof(pkt)) len = sizeof(pkt);
        memcpy(pkt, data + off, len);
        off += len;
        if (len < 12) continue;
        /* Fix up what a peer with the keys gets right: ports, tag, TSNs, CRC. */
        pkt[0] = (uint8_t)(b_port >> 8);
        pkt[1] = (uint8_t)b_port;
        pkt[2] = (uint8_t)(a_port >> 8);
        pkt[3] = (uint8_t)a_port;
        put_be32(pkt + 4, a_tag);
        for (size_t c = 12; c + 4 <= len;) {
            size_t clen = (size_t)pkt[c + 2] << 8 | pkt[c + 3];
            if (clen < 4 || c + clen > len) break;
            if (pkt[c] == 0 && clen >= 16) put_be32(pkt + c + 4, be32(pkt + c + 4) + b_init_tsn);
            c += (clen + 3) & ~(size_t)3;
        }
        set_crc(pkt, len);
        sy_sctp_incoming(ep[0], pkt, len);
        pump();
    }
    if (getenv("SY_FUZZ_SCTP_DEBUG")) {
        sy_sctp_stats st;
        sy_sctp_get_stats(ep[0], &st);
        fprintf(stderr, "sctp: in %llu dcep-drop %llu no-chan %llu channels %u up %d tag %08x tsn %08x\n",
                (unsigned long long)st.messages_in, (unsigned long long)st.dropped_dcep,
                (unsigned long long)st.dropped_no_channel, st.channels, st.up, a_tag, b_init_tsn);
    }
    stop_pair();
    return 0;
}
