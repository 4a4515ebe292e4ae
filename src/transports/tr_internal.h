/*
 * Private to src/transports/: state shared by the lws context (transports.c), the
 * WebSocket protocols (websockets.c), the HTTP/REST API (http.c, http_longpoll.c) and
 * static files (static_files.c).
 *
 * Everything runs on the main loop thread: lws runs on that loop as a foreign loop,
 * and api/ calls our sy_client_ops from the same thread.
 */
#ifndef SY_TR_INTERNAL_H
#define SY_TR_INTERNAL_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "core/config.h"

/* Outgoing queue bounds per WebSocket connection and per HTTP session. A WebSocket
 * client over either bound is closed (it is not reading); an HTTP session over them
 * drops new events (nobody is polling). */
#define SY_TR_QUEUE_MAX_BYTES ((size_t)8 << 20)
#define SY_TR_QUEUE_MAX_MSGS 10000

/* One serialised message with LWS_PRE bytes of headroom before it, ready for
 * lws_write on a WebSocket; the HTTP side copies data out. */
typedef struct sy_tr_msg {
    struct sy_tr_msg *next;
    size_t len;          /* bytes of JSON at buf + LWS_PRE */
    unsigned char buf[]; /* LWS_PRE + len + 1 (NUL) */
} sy_tr_msg;

static inline char *sy_tr_msg_data(sy_tr_msg *m)
{
    return (char *)m->buf + LWS_PRE;
}

typedef struct sy_tr_msgq {
    sy_tr_msg *head, *tail;
    size_t count, bytes;
} sy_tr_msgq;

/* Serialises msg compactly (does not take the reference). NULL on failure (logged). */
sy_tr_msg *sy_tr_msg_from_json(const json_t *msg);
/* Returns false (and leaves m to the caller) if the queue would exceed its bounds. */
bool sy_tr_msgq_push(sy_tr_msgq *q, sy_tr_msg *m);
sy_tr_msg *sy_tr_msgq_pop(sy_tr_msgq *q);
void sy_tr_msgq_clear(sy_tr_msgq *q);

/* lws hands every TLS vhost's SSL_CTX to protocol 0 once (LOAD_EXTRA_SERVER_VERIFY_CERTS):
 * we keep them to reload the certificate on SIGHUP. */
void sy_tr_tls_ctx_created(void *ssl_ctx);

/* Kinds of listener, stored in lws_protocols.user of each protocol we register. */
typedef enum sy_tr_kind {
    SY_TR_WS_API = 1,
    SY_TR_WS_ADMIN,
    SY_TR_HTTP_API,
    SY_TR_HTTP_ADMIN,
} sy_tr_kind;

static inline sy_tr_kind sy_tr_kind_of(struct lws *wsi)
{
    const struct lws_protocols *p = lws_get_protocol(wsi);
    return p && p->user ? (sy_tr_kind)(uintptr_t)p->user : (sy_tr_kind)0;
}

/* ---- per-remote-address limits (peer_limits.c) ---- */
typedef enum sy_tr_family {
    SY_TR_FAMILY_WS = 0, /* ws, wss, admin_ws, admin_wss */
    SY_TR_FAMILY_HTTP,   /* http, https, admin_http, admin_https */
    SY_TR_FAMILIES
} sy_tr_family;

void sy_tr_peer_limits_init(const sy_config *cfg);
/* Frees the table: only once lws has destroyed every connection. */
void sy_tr_peer_limits_free(void);
/* LWS_CALLBACK_FILTER_NETWORK_CONNECTION (user, in as given): 0 accepts, -1 refuses. */
int sy_tr_peer_filter(sy_tr_family f, void *user, void *in);
/* LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED: binds the counted address to the wsi. */
void sy_tr_peer_adopted(struct lws *wsi);
/* LWS_CALLBACK_WSI_DESTROY: gives the connection back. */
void sy_tr_peer_destroyed(struct lws *wsi, sy_tr_family f);
/* Takes one request token of wsi's address; false: over the rate (refuse it). */
bool sy_tr_peer_admit(struct lws *wsi, sy_tr_family f);
void sy_tr_peer_sweep(uint64_t now_ms);
/* Counters for admin get_counters (new reference). */
json_t *sy_tr_peer_counters(void);

/* The shared state of all transports. */
#define SY_TR_MAX_TLS_CTX 4 /* wss, admin_wss, https, admin_https */

typedef struct sy_tr_state {
    uv_loop_t *loop;
    const sy_config *cfg; /* owned by main; outlives the transports */
    struct lws_context *ctx;
    bool running;     /* between start and stop */
    bool stopped;     /* sy_transports_stop ran */
    uv_timer_t sweep; /* 1 s tick: long-poll deadlines, WS pings, slow bodies */
    bool sweep_inited;
    uv_timer_t finish; /* after stop: completes lws_context_destroy */
    bool finish_inited;
    uint64_t finish_deadline_ms;
    char *html_root; /* realpath of cfg->html_dir, NULL: static files off */
    size_t max_message_size;
    int http_idle_timeout; /* seconds */
    int ws_idle_timeout;   /* seconds, see transports.c */
    int longpoll_timeout;  /* seconds */
    void *tls_ctx[SY_TR_MAX_TLS_CTX]; /* SSL_CTX of each TLS vhost, for SIGHUP reload */
    size_t n_tls_ctx;
} sy_tr_state;

extern sy_tr_state sy_tr;

uint64_t sy_tr_now_ms(void);

/* websockets.c */
int sy_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len);
int sy_ws_http_only_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                             void *in, size_t len);
size_t sy_ws_pss_size(void);
void sy_ws_sweep(uint64_t now_ms);
/* At stop: tells api/ every live connection is gone (the memory goes with lws). */
void sy_ws_stop(void);

/* http.c */
int sy_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len);
size_t sy_http_pss_size(void);
void sy_http_sweep(uint64_t now_ms);
int sy_http_start(void);
void sy_http_stop(void);

/* Per-request state of an HTTP connection (lws per-session data of the HTTP protocols).
 * Shared by http.c, http_longpoll.c and static_files.c. */
typedef struct sy_http_resp {
    bool ready; /* a response is set and waits for WRITEABLE */
    bool headers_sent;
    bool close_after; /* close the connection once written (e.g. 413) */
    bool cors;        /* add CORS headers */
    int status;
    const char *content_type; /* static string or NULL */
    char *body;               /* malloc'd or NULL */
    size_t len, off;
    char *location; /* malloc'd, for 302 */
} sy_http_resp;

typedef struct sy_http_pss {
    struct lws *wsi;
    struct sy_http_pss *prev, *next; /* list of connections with a request in progress */
    bool listed;
    sy_tr_kind kind;
    int method; /* LWSHUMETH_* */
    sy_request_path path;
    /* POST body */
    bool reading_body;
    bool body_too_big;
    char *body;
    size_t body_len, body_cap;
    uint64_t deadline_ms; /* the body must be complete by then */
    /* long poll */
    struct sy_lp_session *lp; /* the session this poll waits on, or NULL */
    int maxev;
    uint64_t lp_deadline_ms;
    /* CORS: copied from the request headers */
    char origin[256];
    char acr_method[128];
    char acr_headers[512];
    sy_http_resp resp;
} sy_http_pss;

/* Sets the response and asks for WRITEABLE. Takes body (malloc'd, may be NULL). */
void sy_http_respond(sy_http_pss *pss, int status, const char *content_type, char *body,
                     size_t len);
void sy_http_respond_str(sy_http_pss *pss, int status, const char *content_type, const char *text);

/* http_longpoll.c: the one HTTP sy_client and its per-session event queues. */
sy_client *sy_lp_client(void);
sy_client *sy_lp_admin_client(void);
void sy_lp_init(void);
void sy_lp_shutdown(void);
/* Handles GET <base>/<session_id>: replies now or parks the poll. */
void sy_lp_get(sy_http_pss *pss, uint64_t session_id, int maxev);
/* The connection is finishing or gone: unparks its poll if any. */
void sy_lp_detach(sy_http_pss *pss);
void sy_lp_sweep(uint64_t now_ms);

/* static_files.c: serves cfg->html_dir. Returns the lws callback return value. */
int sy_static_serve(struct lws *wsi, sy_http_pss *pss, const char *uri, size_t len, bool head);
const char *sy_static_mime(const char *path);
/* Resolves uri (already decoded by lws) under root into a malloc'd real path of a
 * regular file, or NULL (not found, traversal, not a file). */
char *sy_static_resolve(const char *root, const char *uri, size_t len);

/* Strict decimal ID as found in a URL path: 1..2^53-1, no sign, no leading zero. */
bool sy_tr_parse_id(const char *s, size_t len, uint64_t *out);

#endif
