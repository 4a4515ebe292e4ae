/*
 * The WebSocket transport: "janus-protocol" (API) and "janus-admin-protocol" (admin),
 * plus the "http-only" entry lws binds plain HTTP requests and subprotocol-less
 * upgrades to, which refuses both (the subprotocol is mandatory, janus-api.md 1.10).
 *
 * One sy_ws_conn per connection, holding the sy_client api/ delivers replies and
 * events to. Incoming messages are reassembled from fragments up to
 * max_message_size (over it: close 1009). Outgoing messages are queued per
 * connection and written one per LWS_CALLBACK_SERVER_WRITEABLE; a client whose queue
 * passes SY_TR_QUEUE_MAX_* is not reading and is closed.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "tr_internal.h"

typedef struct sy_ws_conn {
    sy_client client; /* first: api/ hands it back to our ops */
    struct lws *wsi;
    struct sy_ws_conn *prev, *next;
    bool admin;
    bool gone;    /* sy_api_client_gone was called */
    bool killing; /* asked lws to close it */
    bool want_ping;
    bool ping_sent;
    uint64_t last_rx_ms;
    sy_tr_msgq outq;
    char *rx; /* message being reassembled */
    size_t rx_len, rx_cap;
    char peer[64];
} sy_ws_conn;

typedef struct sy_ws_pss {
    sy_ws_conn *conn;
} sy_ws_pss;

/* Every live connection, for the sweep and for stop. */
static sy_ws_conn *sy_ws_conns;

size_t sy_ws_pss_size(void)
{
    return sizeof(sy_ws_pss);
}

static void sy_ws_send(sy_client *client, uint64_t session_id, json_t *msg);
static void sy_ws_session_created(sy_client *client, uint64_t session_id);
static void sy_ws_session_over(sy_client *client, uint64_t session_id, bool timeout, bool claimed);

static bool sy_ws_admit(sy_client *client)
{
    return sy_tr_peer_admit(((sy_ws_conn *)client)->wsi, SY_TR_FAMILY_WS);
}

static const sy_client_ops sy_ws_ops = {
    .admit = sy_ws_admit,
    .send = sy_ws_send,
    .session_created = sy_ws_session_created,
    .session_over = sy_ws_session_over,
};

/* Closes from outside the connection's own callback (e.g. from ops->send). */
static void sy_ws_kill(sy_ws_conn *c, const char *why)
{
    if (c->killing) return;
    c->killing = true;
    SY_VERB("ws %p (%s): closing: %s", (void *)c, c->peer, why);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void sy_ws_send(sy_client *client, uint64_t session_id, json_t *msg)
{
    sy_ws_conn *c = (sy_ws_conn *)client;
    (void)session_id;
    if (!msg) return;
    if (c->gone || c->killing || !sy_tr.running) {
        json_decref(msg);
        return;
    }
    sy_tr_msg *m = sy_tr_msg_from_json(msg);
    json_decref(msg);
    if (!m) return;
    if (!sy_tr_msgq_push(&c->outq, m)) {
        free(m);
        SY_WARN("ws %p (%s): outgoing queue over %zu messages / %zu bytes, closing the "
                "connection",
                (void *)c, c->peer, c->outq.count, c->outq.bytes);
        sy_ws_kill(c, "slow client");
        return;
    }
    lws_callback_on_writable(c->wsi);
}

static void sy_ws_session_created(sy_client *client, uint64_t session_id)
{
    SY_DEBUG("ws %p: session %" PRIu64 " bound", (void *)client, session_id);
}

static void sy_ws_session_over(sy_client *client, uint64_t session_id, bool timeout, bool claimed)
{
    SY_DEBUG("ws %p: session %" PRIu64 " over (timeout=%d claimed=%d)", (void *)client, session_id,
             timeout, claimed);
}

static void sy_ws_client_gone(sy_ws_conn *c)
{
    if (c->gone) return;
    c->gone = true;
    sy_api_client_gone(&c->client);
}

static void sy_ws_free(sy_ws_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (sy_ws_conns == c)
        sy_ws_conns = c->next;
    if (c->next) c->next->prev = c->prev;
    sy_tr_msgq_clear(&c->outq);
    free(c->rx);
    free(c);
}

/* Checks Origin against websockets general.allowed_origin, a comma-separated list of
 * origins compared without case. A request without Origin is not from a browser and
 * cannot be a cross-site hijack: it is accepted. */
static bool sy_ws_origin_ok(struct lws *wsi)
{
    const char *allowed = sy_tr.cfg->ws_allowed_origin;
    if (!allowed || !allowed[0]) return true;
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);
    if (n <= 0) return true;
    char origin[512];
    if (n >= (int)sizeof(origin) || lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) < 0)
        return false;
    size_t olen = strlen(origin);
    for (const char *p = allowed; *p;) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
            last--;
        if ((size_t)(last - p) == olen && olen > 0 && strncasecmp(p, origin, olen) == 0)
            return true;
        p = end;
    }
    return false;
}

static int sy_ws_established(struct lws *wsi, sy_ws_pss *pss, bool admin)
{
    sy_ws_conn *c = calloc(1, sizeof(*c));
    if (!c) return -1;
    c->client.ops = &sy_ws_ops;
    c->client.transport = "janus.transport.websockets";
    c->client.admin = admin;
    c->admin = admin;
    c->wsi = wsi;
    c->last_rx_ms = sy_tr_now_ms();
    lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
    c->next = sy_ws_conns;
    if (sy_ws_conns) sy_ws_conns->prev = c;
    sy_ws_conns = c;
    pss->conn = c;
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, sy_tr.ws_idle_timeout);
    SY_VERB("ws %p: new %s connection from %s", (void *)c, admin ? "admin" : "API", c->peer);
    return 0;
}

static void sy_ws_dispatch(sy_ws_conn *c)
{
    if (c->admin) {
        json_t *reply = sy_ws_admit(&c->client)
                            ? sy_api_admin_request_bytes(&c->client, c->rx, c->rx_len, NULL)
                            : sy_api_too_many_requests(c->rx, c->rx_len);
        if (reply) sy_ws_send(&c->client, 0, reply);
    } else {
        sy_api_handle_frame(&c->client, c->rx, c->rx_len);
    }
    c->rx_len = 0;
    /* Do not keep a large buffer around for a connection's lifetime. */
    if (c->rx_cap > 65536) {
        free(c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
    }
}

static int sy_ws_receive(struct lws *wsi, sy_ws_conn *c, const char *in, size_t len)
{
    size_t remaining = lws_remaining_packet_payload(wsi);
    size_t max = sy_tr.max_message_size;

    c->last_rx_ms = sy_tr_now_ms();
    c->ping_sent = false;
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, sy_tr.ws_idle_timeout);
    if (c->killing || c->gone) return 0;

    /* Refuse as soon as the announced size says it will not fit. */
    if (len > max || c->rx_len > max - len || remaining > max - c->rx_len - len) {
        static const char reason[] = "message too large";
        SY_VERB("ws %p (%s): message over %zu bytes, closing with 1009", (void *)c, c->peer, max);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)reason,
                         sizeof(reason) - 1);
        return -1;
    }
    size_t need = c->rx_len + len + remaining + 1;
    if (need > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 4096;
        while (cap < need)
            cap *= 2;
        if (cap > max + 1) cap = max + 1;
        char *p = realloc(c->rx, cap);
        if (!p) return -1;
        c->rx = p;
        c->rx_cap = cap;
    }
    if (len) memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    c->rx[c->rx_len] = '\0';

    if (remaining == 0 && lws_is_final_fragment(wsi)) sy_ws_dispatch(c);
    return 0;
}

static int sy_ws_writeable(struct lws *wsi, sy_ws_conn *c)
{
    if (c->killing) return -1;
    if (c->want_ping) {
        /* With a payload: lws 4.1 does not report an empty pong to the callback. */
        unsigned char buf[LWS_PRE + 8];
        memcpy(buf + LWS_PRE, "sy-ping!", 8);
        c->want_ping = false;
        c->ping_sent = true;
        if (lws_write(wsi, buf + LWS_PRE, 8, LWS_WRITE_PING) < 0) return -1;
        if (c->outq.head) lws_callback_on_writable(wsi);
        return 0;
    }
    sy_tr_msg *m = sy_tr_msgq_pop(&c->outq);
    if (!m) return 0;
    int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    free(m);
    if (n < 0) {
        SY_VERB("ws %p (%s): write failed", (void *)c, c->peer);
        return -1;
    }
    if (c->outq.head) lws_callback_on_writable(wsi);
    return 0;
}

int sy_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    sy_ws_pss *pss = user;
    sy_tr_kind kind = sy_tr_kind_of(wsi);
    bool admin = kind == SY_TR_WS_ADMIN;

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        if (!sy_tr.running) return -1;
        if (!sy_ws_origin_ok(wsi)) {
            SY_VERB("ws: refusing an upgrade from an Origin not in allowed_origin");
            return -1;
        }
        return 0;
    case LWS_CALLBACK_ESTABLISHED:
        if (!pss || !sy_tr.running) return -1;
        return sy_ws_established(wsi, pss, admin);
    case LWS_CALLBACK_RECEIVE:
        if (!pss || !pss->conn) return -1;
        return sy_ws_receive(wsi, pss->conn, in, len);
    case LWS_CALLBACK_RECEIVE_PONG:
        if (pss && pss->conn) {
            pss->conn->last_rx_ms = sy_tr_now_ms();
            pss->conn->ping_sent = false;
            lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, sy_tr.ws_idle_timeout);
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!pss || !pss->conn) return 0;
        return sy_ws_writeable(wsi, pss->conn);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        return 0;
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        if (pss && pss->conn) {
            sy_ws_conn *c = pss->conn;
            pss->conn = NULL;
            SY_VERB("ws %p (%s): closed", (void *)c, c->peer);
            sy_ws_client_gone(c);
            sy_ws_free(c);
        }
        return 0;
    default:
        return 0;
    }
}

/* Plain HTTP on a WebSocket listener, and upgrades without a subprotocol. */
int sy_ws_http_only_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                             void *in, size_t len)
{
    (void)len;
    switch (reason) {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
        sy_tr_tls_ctx_created(user); /* user: the vhost's SSL_CTX */
        return 0;
    /* Per-address accounting: protocol 0 of a WebSocket vhost sees every connection's
     * accept, adoption and destruction, upgraded or not. */
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return sy_tr_peer_filter(SY_TR_FAMILY_WS, user, in);
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        sy_tr_peer_adopted(wsi);
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        sy_tr_peer_destroyed(wsi, SY_TR_FAMILY_WS);
        return 0;
    case LWS_CALLBACK_HTTP:
        SY_DEBUG("ws: refusing a plain HTTP request on a WebSocket listener");
        lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, NULL);
        return -1;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        SY_VERB("ws: refusing an upgrade without the janus-protocol subprotocol");
        (void)in;
        return -1;
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
        return -1;
    default:
        return 0;
    }
}

void sy_ws_sweep(uint64_t now_ms)
{
    uint64_t half = (uint64_t)sy_tr.ws_idle_timeout * 1000 / 2;
    for (sy_ws_conn *c = sy_ws_conns; c; c = c->next) {
        if (c->killing || c->gone || c->ping_sent || c->want_ping) continue;
        if (now_ms - c->last_rx_ms >= half) {
            c->want_ping = true;
            lws_callback_on_writable(c->wsi);
        }
    }
}

void sy_ws_stop(void)
{
    for (sy_ws_conn *c = sy_ws_conns; c; c = c->next) {
        sy_ws_client_gone(c);
        sy_tr_msgq_clear(&c->outq);
    }
}
