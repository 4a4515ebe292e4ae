/*
 * SCTP + DCEP (media/sctp.c, protocol/dcep.c): two associations wired back to back in
 * memory on this thread (the owner of both; usrsctp's timers run on sctp.c's thread and
 * post here). Each side opens a channel, messages go both ways (text, binary, empty),
 * the peer's channel is answered on its label, oversized messages are dropped and
 * counted, a full send buffer says -2 and ready() follows, and nothing runs after free.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "check.h"
#include "core/log.h"
#include "media/sctp.h"
#include "protocol/dcep.h"

typedef struct item {
    struct item *next;
    int to;                 /* packet for endpoint 0/1, or -1: a task */
    sy_sctp_task_fn fn;
    void *arg;
    size_t len;
    uint8_t data[];
} item;

static uv_mutex_t qlock;
static item *qhead, *qtail;

static void push(item *it)
{
    uv_mutex_lock(&qlock);
    it->next = NULL;
    if (qtail) qtail->next = it;
    else qhead = it;
    qtail = it;
    uv_mutex_unlock(&qlock);
}

typedef struct peer {
    int index;
    sy_sctp *s;
    int ready;
    int n_msgs;
    char last_label[64];
    bool last_binary;
    size_t last_len;
    uint8_t last[64];
} peer;

static peer peers[2];
static bool alive[2];

static void on_send(void *user, const uint8_t *pkt, size_t len)
{
    peer *p = user;
    item *it = malloc(sizeof(*it) + len);
    it->to = 1 - p->index;
    it->len = len;
    memcpy(it->data, pkt, len);
    push(it);
}

static void on_message(void *user, const char *label, const char *protocol, bool binary,
                       const uint8_t *buf, size_t len)
{
    peer *p = user;
    CHECK(alive[p->index]);
    p->n_msgs++;
    snprintf(p->last_label, sizeof(p->last_label), "%s", label);
    p->last_binary = binary;
    p->last_len = len;
    memcpy(p->last, buf, len < sizeof(p->last) ? len : sizeof(p->last));
}

static void on_ready(void *user)
{
    peer *p = user;
    CHECK(alive[p->index]);
    p->ready++;
}

static int post(void *ctx, sy_sctp_task_fn fn, void *arg)
{
    item *it = calloc(1, sizeof(*it));
    it->to = -1;
    it->fn = fn;
    it->arg = arg;
    push(it);
    return 0;
}

/* Runs what is queued; returns how many items ran. */
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
        else if (alive[it->to]) sy_sctp_incoming(peers[it->to].s, it->data, it->len);
        free(it);
    }
}

/* Pumps until cond or about 5 s. */
#define PUMP_UNTIL(cond)                                                                           \
    do {                                                                                           \
        for (int i_ = 0; i_ < 500 && !(cond); i_++) {                                              \
            if (!pump()) {                                                                         \
                struct timespec ts_ = {0, 10000000};                                               \
                nanosleep(&ts_, NULL);                                                             \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static void test_dcep(void)
{
    uint8_t buf[64];
    int n = sy_dcep_build_open(buf, sizeof(buf), SY_DCEP_PARTIAL_RELIABLE_REXMIT | SY_DCEP_UNORDERED, 7,
                               3, "chat", 4, "json", 4);
    CHECK_EQ_INT(n, 20);
    sy_dcep_msg m;
    CHECK_EQ_INT(sy_dcep_parse(buf, (size_t)n, &m), 0);
    CHECK_EQ_INT(m.type, SY_DCEP_OPEN);
    CHECK_EQ_INT(m.channel_type, 0x81);
    CHECK_EQ_INT(m.priority, 7);
    CHECK_EQ_INT(m.reliability, 3);
    CHECK(m.label_len == 4 && !memcmp(m.label, "chat", 4));
    CHECK(m.protocol_len == 4 && !memcmp(m.protocol, "json", 4));
    CHECK_EQ_INT(sy_dcep_parse(buf, (size_t)n - 1, &m), -1);  /* truncated */
    buf[1] = 0x03;
    CHECK_EQ_INT(sy_dcep_parse(buf, (size_t)n, &m), -1);      /* unknown channel type */
    CHECK_EQ_INT(sy_dcep_build_ack(buf, sizeof(buf)), 1);
    CHECK_EQ_INT(sy_dcep_parse(buf, 1, &m), 0);
    CHECK_EQ_INT(m.type, SY_DCEP_ACK);
    CHECK_EQ_INT(sy_dcep_parse(buf, 2, &m), -1);
    CHECK_EQ_INT(sy_dcep_parse(buf, 0, &m), -1);
}

static void test_back_to_back(void)
{
    for (int i = 0; i < 2; i++) {
        peers[i].index = i;
        sy_sctp_config cfg = {
            .local_port = (uint16_t)(5000 + i),
            .remote_port = (uint16_t)(5001 - i),
            .dtls_client = i == 0,
            .max_message_size = 2 * SY_SCTP_RECV_LIMIT, /* so that A can send what B must refuse */
        };
        sy_sctp_callbacks cb = {&peers[i], on_send, on_message, on_ready, post, NULL};
        peers[i].s = sy_sctp_new(&cfg, &cb);
        CHECK(peers[i].s != NULL);
        alive[i] = true;
    }
    if (!peers[0].s || !peers[1].s) return;
    PUMP_UNTIL(peers[0].ready && peers[1].ready);
    CHECK_EQ_INT(peers[0].ready, 1);
    CHECK_EQ_INT(peers[1].ready, 1);

    /* A opens "from-a" (even stream), B opens "from-b" (odd stream). */
    CHECK_EQ_INT(sy_sctp_send(peers[0].s, "from-a", "", false, (const uint8_t *)"hello", 5), 0);
    CHECK_EQ_INT(sy_sctp_send(peers[1].s, "from-b", "proto", true, (const uint8_t *)"\x01\x02\x03", 3), 0);
    PUMP_UNTIL(peers[0].n_msgs == 1 && peers[1].n_msgs == 1);
    CHECK_STR(peers[1].last_label, "from-a");
    CHECK(!peers[1].last_binary && peers[1].last_len == 5 && !memcmp(peers[1].last, "hello", 5));
    CHECK_STR(peers[0].last_label, "from-b");
    CHECK(peers[0].last_binary && peers[0].last_len == 3 && !memcmp(peers[0].last, "\x01\x02\x03", 3));

    /* B answers on A's channel; empty text and binary messages (PPID 56/57). */
    CHECK_EQ_INT(sy_sctp_send(peers[1].s, "from-a", NULL, false, (const uint8_t *)"back", 4), 0);
    PUMP_UNTIL(peers[0].n_msgs == 2);
    CHECK_STR(peers[0].last_label, "from-a");
    CHECK(peers[0].last_len == 4 && !memcmp(peers[0].last, "back", 4));
    CHECK_EQ_INT(sy_sctp_send(peers[0].s, "from-a", NULL, false, NULL, 0), 0);
    PUMP_UNTIL(peers[1].n_msgs == 2);
    CHECK(!peers[1].last_binary && peers[1].last_len == 0);
    CHECK_EQ_INT(sy_sctp_send(peers[0].s, "from-b", NULL, true, NULL, 0), 0);
    PUMP_UNTIL(peers[1].n_msgs == 3);
    CHECK(peers[1].last_binary && peers[1].last_len == 0);
    sy_sctp_stats st;
    sy_sctp_get_stats(peers[0].s, &st);
    CHECK_EQ_INT(st.channels, 2);

    /* Over our max-message-size: refused. Over the receive limit: dropped, counted. */
    size_t over = 2 * SY_SCTP_RECV_LIMIT + 1, drop = SY_SCTP_RECV_LIMIT + 1;
    uint8_t *big = calloc(1, over);
    CHECK_EQ_INT(sy_sctp_send(peers[0].s, "from-a", NULL, true, big, over), -1);
    CHECK_EQ_INT(sy_sctp_send(peers[0].s, "from-a", NULL, true, big, drop), 0);
    CHECK_EQ_INT(sy_sctp_send(peers[0].s, "from-a", NULL, false, (const uint8_t *)"after", 5), 0);
    PUMP_UNTIL(peers[1].n_msgs == 4);
    CHECK_EQ_INT(peers[1].n_msgs, 4);
    CHECK(peers[1].last_len == 5 && !memcmp(peers[1].last, "after", 5));
    sy_sctp_get_stats(peers[1].s, &st);
    CHECK_EQ_INT(st.dropped_oversize, 1);

    /* Back-pressure: fill the buffer without pumping, then ready() after draining. */
    int r = 0, sent = 0;
    while (sent < 100 && (r = sy_sctp_send(peers[0].s, "from-a", NULL, true, big, 200 * 1024)) == 0) sent++;
    CHECK_EQ_INT(r, -2);
    CHECK(sent >= 1 && (size_t)sent * 200 * 1024 <= SY_SCTP_SEND_BUFFER + 200 * 1024);
    int before = peers[0].ready;
    PUMP_UNTIL(peers[0].ready > before);
    CHECK_EQ_INT(peers[0].ready, before + 1);
    free(big);
    PUMP_UNTIL(peers[1].n_msgs == 4 + sent);
    CHECK_EQ_INT(peers[1].n_msgs, 4 + sent);

    /* Teardown: nothing runs after free (on_* check alive). */
    alive[0] = false;
    sy_sctp_free(peers[0].s);
    pump();
    alive[1] = false;
    sy_sctp_free(peers[1].s);
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    pump();
}

int main(void)
{
    sy_log_set_level(getenv("SY_TEST_VERBOSE") ? SY_LOG_DBG : SY_LOG_WARN);
    uv_mutex_init(&qlock);
    test_dcep();
    test_back_to_back();
    sy_sctp_global_cleanup();
    pump();
    return CHECK_DONE();
}
