/*
 * The lws context shared by every control-plane listener, running on our main libuv
 * loop as a foreign loop: one context, one vhost per listener (ws, wss, admin_ws,
 * admin_wss, http, https, admin_http, admin_https).
 *
 * Lifetime: sy_transports_start creates the context and vhosts; sy_transports_stop
 * tells api/ that every client is gone, closes our sweep timer and calls
 * lws_context_destroy, which on a foreign loop only starts closing every connection and
 * lws's own uv handles. The caller then runs the loop: a timer of ours waits for those
 * closes to complete and calls lws_context_destroy a second time, which frees the
 * context (lws 4.1 needs both calls) and clears sy_tr.ctx through info.pcontext.
 */
#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "tr_internal.h"
#include "transports/transports.h"

#ifndef SY_VERSION
#define SY_VERSION 0
#endif
#ifndef SY_VERSION_STRING
#define SY_VERSION_STRING "0.0.0"
#endif

/* Floor of the WebSocket idle timeout (seconds); see sy_transports_start. */
#ifndef SY_TR_WS_IDLE_MIN
#define SY_TR_WS_IDLE_MIN 60
#endif

/* Header tables (connections sending headers plus parked long polls) and the time a
 * connection may take to send complete headers. */
#ifndef SY_TR_HEADER_POOL
#define SY_TR_HEADER_POOL 4096
#endif
#ifndef SY_TR_HEADER_TIMEOUT
#define SY_TR_HEADER_TIMEOUT 10
#endif

sy_tr_state sy_tr;

/* TLS for wss/https: TLS 1.2+ with ECDHE and AEAD suites only (security.md section 4). */
static const char sy_tls12_ciphers[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                       "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                       "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char sy_tls13_ciphers[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

/* Protocol tables, one per kind of listener. lws_protocols.user carries the kind.
 * The first entry of a table is the one lws uses for plain HTTP on that vhost. */
static struct lws_protocols sy_ws_api_protocols[3];
static struct lws_protocols sy_ws_admin_protocols[3];
static struct lws_protocols sy_http_api_protocols[2];
static struct lws_protocols sy_http_admin_protocols[2];

static void sy_tr_init_protocols(void)
{
    const struct lws_protocols http_only = {
        .name = "http-only",
        .callback = sy_ws_http_only_callback,
        .per_session_data_size = 0,
        .rx_buffer_size = 0,
    };
    struct lws_protocols ws = {
        .name = "janus-protocol",
        .callback = sy_ws_callback,
        .per_session_data_size = sy_ws_pss_size(),
        .rx_buffer_size = 16384, /* per connection; longer messages come in pieces */
        .user = (void *)(uintptr_t)SY_TR_WS_API,
    };
    struct lws_protocols http = {
        .name = "janus-http",
        .callback = sy_http_callback,
        .per_session_data_size = sy_http_pss_size(),
        .user = (void *)(uintptr_t)SY_TR_HTTP_API,
    };

    memset(sy_ws_api_protocols, 0, sizeof(sy_ws_api_protocols));
    memset(sy_ws_admin_protocols, 0, sizeof(sy_ws_admin_protocols));
    memset(sy_http_api_protocols, 0, sizeof(sy_http_api_protocols));
    memset(sy_http_admin_protocols, 0, sizeof(sy_http_admin_protocols));

    sy_ws_api_protocols[0] = http_only;
    sy_ws_api_protocols[1] = ws;
    sy_ws_admin_protocols[0] = http_only;
    ws.name = "janus-admin-protocol";
    ws.user = (void *)(uintptr_t)SY_TR_WS_ADMIN;
    sy_ws_admin_protocols[1] = ws;
    sy_http_api_protocols[0] = http;
    http.name = "janus-admin-http";
    http.user = (void *)(uintptr_t)SY_TR_HTTP_ADMIN;
    sy_http_admin_protocols[0] = http;
}

uint64_t sy_tr_now_ms(void)
{
    return sy_tr.loop ? uv_now(sy_tr.loop) : 0;
}

/* ---- message queues ---- */

sy_tr_msg *sy_tr_msg_from_json(const json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) {
        SY_WARN("transports: cannot serialise a message");
        return NULL;
    }
    size_t len = strlen(text);
    sy_tr_msg *m = malloc(sizeof(*m) + LWS_PRE + len + 1);
    if (!m) {
        free(text);
        return NULL;
    }
    m->next = NULL;
    m->len = len;
    memcpy(m->buf + LWS_PRE, text, len + 1);
    free(text);
    return m;
}

bool sy_tr_msgq_push(sy_tr_msgq *q, sy_tr_msg *m)
{
    if (q->count >= SY_TR_QUEUE_MAX_MSGS || q->bytes + m->len > SY_TR_QUEUE_MAX_BYTES) return false;
    m->next = NULL;
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->count++;
    q->bytes += m->len;
    return true;
}

sy_tr_msg *sy_tr_msgq_pop(sy_tr_msgq *q)
{
    sy_tr_msg *m = q->head;
    if (!m) return NULL;
    q->head = m->next;
    if (!q->head) q->tail = NULL;
    q->count--;
    q->bytes -= m->len;
    m->next = NULL;
    return m;
}

void sy_tr_msgq_clear(sy_tr_msgq *q)
{
    sy_tr_msg *m;
    while ((m = sy_tr_msgq_pop(q)))
        free(m);
}

bool sy_tr_parse_id(const char *s, size_t len, uint64_t *out)
{
    if (!s || len == 0 || len > 16 || s[0] == '0') return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v == 0 || v > 0x1FFFFFFFFFFFFFULL) return false;
    *out = v;
    return true;
}

/* ---- lws logging goes through our log ---- */

static void sy_tr_lws_log(int level, const char *line)
{
    char buf[512];
    size_t n = strlen(line);
    if (n >= sizeof(buf)) n = sizeof(buf) - 1;
    memcpy(buf, line, n);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    /* lws's own errors are mostly about one misbehaving peer: warn, not error. */
    if (level & LLL_ERR)
        SY_WARN("lws: %s", buf);
    else if (level & LLL_WARN)
        SY_VERB("lws: %s", buf);
    else
        SY_DEBUG("lws: %s", buf);
}

static void sy_tr_set_lws_log_level(void)
{
    int lvl = LLL_ERR;
    if (sy_log_level >= SY_LOG_VERB) lvl |= LLL_WARN;
    if (sy_log_level >= SY_LOG_DBG) lvl |= LLL_NOTICE;
    lws_set_log_level(lvl, sy_tr_lws_log);
}

/* ---- periodic sweep ---- */

static void sy_tr_sweep_cb(uv_timer_t *t)
{
    (void)t;
    if (!sy_tr.running) return;
    uint64_t now = sy_tr_now_ms();
    sy_ws_sweep(now);
    sy_http_sweep(now);
    sy_tr_peer_sweep(now);
    sy_lp_sweep(now);
}

/* ---- TLS certificate reload ---- */

void sy_tr_tls_ctx_created(void *ssl_ctx)
{
    if (!ssl_ctx) return;
    for (size_t i = 0; i < sy_tr.n_tls_ctx; i++)
        if (sy_tr.tls_ctx[i] == ssl_ctx) return;
    if (sy_tr.n_tls_ctx < SY_TR_MAX_TLS_CTX) sy_tr.tls_ctx[sy_tr.n_tls_ctx++] = ssl_ctx;
}

int sy_transports_reload_certs(void)
{
    const sy_config *cfg = sy_tr.cfg;
    if (!sy_tr.running || sy_tr.n_tls_ctx == 0) {
        SY_INFO("transports: no wss/https listener; no certificate to reload");
        return 0;
    }
    /* Load and check the pair in a scratch context first, so that a half-written or
     * mismatched file leaves the listeners as they were. */
    SSL_CTX *probe = SSL_CTX_new(TLS_server_method());
    if (!probe) return -1;
    if (cfg->cert_pwd && cfg->cert_pwd[0])
        SSL_CTX_set_default_passwd_cb_userdata(probe, cfg->cert_pwd);
    int ok = SSL_CTX_use_certificate_chain_file(probe, cfg->cert_pem) == 1 &&
             SSL_CTX_use_PrivateKey_file(probe, cfg->cert_key, SSL_FILETYPE_PEM) == 1 &&
             SSL_CTX_check_private_key(probe) == 1;
    if (!ok) {
        char buf[256];
        ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
        ERR_clear_error();
        SY_ERROR("transports: SIGHUP: cannot load %s / %s (%s); keeping the current certificate",
                 cfg->cert_pem, cfg->cert_key, buf);
        SSL_CTX_free(probe);
        return -1;
    }
    X509 *cert = SSL_CTX_get0_certificate(probe);
    EVP_PKEY *key = SSL_CTX_get0_privatekey(probe);
    STACK_OF(X509) *chain = NULL;
    SSL_CTX_get0_chain_certs(probe, &chain);
    int failed = 0;
    for (size_t i = 0; i < sy_tr.n_tls_ctx; i++) {
        SSL_CTX *ctx = sy_tr.tls_ctx[i];
        if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
            SSL_CTX_set1_chain(ctx, chain) != 1 || SSL_CTX_check_private_key(ctx) != 1)
            failed++;
    }
    ERR_clear_error();
    SSL_CTX_free(probe);
    if (failed) {
        SY_ERROR("transports: SIGHUP: %d of %zu TLS listeners did not take the new certificate",
                 failed, sy_tr.n_tls_ctx);
        return -1;
    }
    SY_INFO("transports: SIGHUP: reloaded %s into %zu TLS listener%s", cfg->cert_pem,
            sy_tr.n_tls_ctx, sy_tr.n_tls_ctx == 1 ? "" : "s");
    return 0;
}

/* ---- listeners ---- */

static bool sy_tr_tls_ready(const sy_config *cfg, const char *what)
{
    if (cfg->cert_pem && cfg->cert_pem[0] && cfg->cert_key && cfg->cert_key[0]) return true;
    SY_ERROR("transports: %s is enabled but certificates.cert_pem/cert_key are not set", what);
    return false;
}

static int sy_tr_add_vhost(const char *name, const sy_listener *l, bool tls,
                           const struct lws_protocols *protocols)
{
    const sy_config *cfg = sy_tr.cfg;
    if (!l->enabled || l->port <= 0) return 0;
    if (l->port > 65535) {
        SY_ERROR("transports: %s: port %d out of range", name, l->port);
        return -1;
    }
    if (tls && !sy_tr_tls_ready(cfg, name)) return -1;

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.vhost_name = name;
    info.port = l->port;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    /* Bind address: an IPv4 literal binds IPv4 only; "::" binds dual stack; NULL/""
     * and "0.0.0.0" bind every IPv4 address. lws accepts an IP literal as iface. */
    const char *ip = l->ip;
    if (!ip || !ip[0] || !strcmp(ip, "0.0.0.0")) {
        info.iface = NULL;
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    } else if (!strcmp(ip, "::")) {
        info.iface = NULL;
    } else {
        info.iface = ip;
        if (!strchr(ip, ':')) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    }
    /* Idle and trickling connections: keepalive_timeout between requests,
     * timeout_secs_ah_idle for a connection that has not sent complete headers (also
     * a silent connection on a WebSocket port), timeout_secs for lws's network round
     * trips; bodies are bounded by our sweep (http.c). */
    info.keepalive_timeout = sy_tr.http_idle_timeout;
    info.timeout_secs = (unsigned int)sy_tr.http_idle_timeout;
    /* A connection holds one of the context's header tables from accept until its
     * headers are complete; while every table is taken, new clients queue behind the
     * holders. So a connection that sends no complete headers gets only
     * SY_TR_HEADER_TIMEOUT seconds (or idle_timeout if shorter), not idle_timeout: a
     * few thousand silent sockets cannot lock everyone out for minutes (security.md
     * row 23; test_churn.py test_ten_thousand_idle_connections). */
    info.timeout_secs_ah_idle = (unsigned int)(sy_tr.http_idle_timeout < SY_TR_HEADER_TIMEOUT
                                                   ? sy_tr.http_idle_timeout
                                                   : SY_TR_HEADER_TIMEOUT);
    info.alpn = "http/1.1"; /* Janus's REST API is HTTP/1.1; no h2 */
    info.server_string = "Switchyard";
    if (tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT; /* lws: "use TLS here" */
        info.ssl_cert_filepath = cfg->cert_pem;
        info.ssl_private_key_filepath = cfg->cert_key;
        info.ssl_private_key_password = cfg->cert_pwd && cfg->cert_pwd[0] ? cfg->cert_pwd : NULL;
        info.ssl_cipher_list = sy_tls12_ciphers;
        info.tls1_3_plus_cipher_list = sy_tls13_ciphers;
        info.ssl_options_set = (long)(SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                                      SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
    }
    struct lws_vhost *vh = lws_create_vhost(sy_tr.ctx, &info);
    if (!vh) {
        SY_ERROR("transports: cannot start %s listener on %s:%d (port in use, bad address "
                 "or bad certificate?)",
                 name, ip && ip[0] ? ip : "0.0.0.0", l->port);
        return -1;
    }
    SY_VERB("transports: %s listening on %s:%d", name, ip && ip[0] ? ip : "0.0.0.0", l->port);
    return 0;
}

static bool sy_tr_any_tls(const sy_config *cfg)
{
    return (cfg->wss.enabled && cfg->wss.port > 0) ||
           (cfg->admin_wss.enabled && cfg->admin_wss.port > 0) ||
           (cfg->https.enabled && cfg->https.port > 0) ||
           (cfg->admin_https.enabled && cfg->admin_https.port > 0);
}

int sy_transports_start(uv_loop_t *loop, const sy_config *cfg)
{
    if (sy_tr.running || sy_tr.ctx || sy_tr.finish_inited || sy_tr.sweep_inited) {
        SY_ERROR("transports: already started");
        return -1;
    }
    memset(&sy_tr, 0, sizeof(sy_tr));
    sy_tr.loop = loop;
    sy_tr.cfg = cfg;
    sy_tr.max_message_size = cfg->max_message_size > 0 ? cfg->max_message_size : 1048576;
    sy_tr.http_idle_timeout = cfg->http_idle_timeout > 0 ? cfg->http_idle_timeout : 120;
    sy_tr.longpoll_timeout = cfg->longpoll_timeout > 0 ? cfg->longpoll_timeout : 30;
    /* WebSocket idle: janus.js sends a keepalive every 25 s, janode every ~25 s while it
     * has sessions, but a connection without sessions may legitimately be silent. So we
     * never close a live peer for silence: after ws_idle/2 seconds without any frame we
     * send a WS ping, and only a connection that has sent nothing (not even the pong)
     * for ws_idle seconds is closed. ws_idle = max(http_idle_timeout, 60). */
    sy_tr.ws_idle_timeout =
        sy_tr.http_idle_timeout < SY_TR_WS_IDLE_MIN ? SY_TR_WS_IDLE_MIN : sy_tr.http_idle_timeout;

    sy_tr_set_lws_log_level();
    sy_tr_init_protocols();
    sy_tr_peer_limits_init(cfg);

    if (cfg->html_dir && cfg->html_dir[0]) {
        char *real = realpath(cfg->html_dir, NULL);
        if (!real)
            SY_WARN("transports: html folder %s: %s; static files are off", cfg->html_dir,
                    strerror(errno));
        sy_tr.html_root = real;
    }

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    void *foreign_loops[1] = {loop};
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                   LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN;
    if (sy_tr_any_tls(cfg)) info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = foreign_loops;
    info.pcontext = &sy_tr.ctx;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.server_string = "Switchyard";
    info.alpn = "http/1.1";
    /* janus.js long-poll URLs carry rid, maxev and maybe a token. */
    info.max_http_header_data = 4096;
    /* Every parked long poll and every connection still sending its headers holds a
     * header table (about 5 KB each when in use); see timeout_secs_ah_idle. */
    info.max_http_header_pool = SY_TR_HEADER_POOL;
    info.timeout_secs = (unsigned int)sy_tr.http_idle_timeout;
    info.pt_serv_buf_size = 16384;
    sy_tr.ctx = lws_create_context(&info);
    if (!sy_tr.ctx) {
        SY_ERROR("transports: cannot create the libwebsockets context");
        goto fail;
    }
    sy_tr.running = true;
    sy_lp_init();
    if (sy_http_start() < 0) goto fail;

    if (sy_tr_add_vhost("ws", &cfg->ws, false, sy_ws_api_protocols) < 0 ||
        sy_tr_add_vhost("wss", &cfg->wss, true, sy_ws_api_protocols) < 0 ||
        sy_tr_add_vhost("admin_ws", &cfg->admin_ws, false, sy_ws_admin_protocols) < 0 ||
        sy_tr_add_vhost("admin_wss", &cfg->admin_wss, true, sy_ws_admin_protocols) < 0 ||
        sy_tr_add_vhost("http", &cfg->http, false, sy_http_api_protocols) < 0 ||
        sy_tr_add_vhost("https", &cfg->https, true, sy_http_api_protocols) < 0 ||
        sy_tr_add_vhost("admin_http", &cfg->admin_http, false, sy_http_admin_protocols) < 0 ||
        sy_tr_add_vhost("admin_https", &cfg->admin_https, true, sy_http_admin_protocols) < 0)
        goto fail;

    if (uv_timer_init(loop, &sy_tr.sweep) == 0) {
        sy_tr.sweep_inited = true;
        uv_timer_start(&sy_tr.sweep, sy_tr_sweep_cb, 1000, 1000);
        uv_unref((uv_handle_t *)&sy_tr.sweep);
    }
    return 0;

fail:
    sy_transports_stop();
    return -1;
}

static void sy_tr_count_closing(uv_handle_t *h, void *arg)
{
    if (h != (uv_handle_t *)&sy_tr.finish && uv_is_closing(h)) (*(int *)arg)++;
}

static void sy_tr_finish_closed(uv_handle_t *h)
{
    (void)h;
    sy_tr.finish_inited = false;
}

/* lws 4.1 on a foreign loop: the first lws_context_destroy closes every wsi and lws's
 * own uv handles, but only frees the context when called a second time after those
 * close callbacks have run (freeing earlier would be a use after free in them). So
 * after stop, this timer waits until no handle of the loop is still closing, then
 * calls lws_context_destroy again and closes itself: the caller's uv_run returns with
 * nothing of ours left. */
static void sy_tr_finish_cb(uv_timer_t *t)
{
    int closing = 0;
    uv_walk(sy_tr.loop, sy_tr_count_closing, &closing);
    if (closing > 0 && uv_now(sy_tr.loop) < sy_tr.finish_deadline_ms) return;
    if (closing > 0) SY_WARN("transports: lws handles still closing after 10 s; finishing anyway");
    if (sy_tr.ctx) lws_context_destroy(sy_tr.ctx); /* frees it; info.pcontext clears sy_tr.ctx */
    if (sy_tr.ctx) {
        SY_WARN("transports: the lws context was not freed");
        sy_tr.ctx = NULL;
    }
    sy_tr_peer_limits_free(); /* every wsi is gone: nothing points into the table */
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, sy_tr_finish_closed);
}

void sy_transports_stop(void)
{
    if (!sy_tr.loop || sy_tr.stopped) return;
    sy_tr.stopped = true;
    bool was_running = sy_tr.running;
    if (was_running) {
        sy_ws_stop();
        sy_http_stop();
        sy_lp_shutdown();
    }
    sy_tr.running = false;
    if (sy_tr.sweep_inited) {
        uv_timer_stop(&sy_tr.sweep);
        uv_close((uv_handle_t *)&sy_tr.sweep, NULL);
        sy_tr.sweep_inited = false;
    }
    if (sy_tr.ctx) {
        /* On a foreign loop this only starts closing lws's uv handles. */
        lws_context_destroy(sy_tr.ctx);
        if (sy_tr.ctx && uv_timer_init(sy_tr.loop, &sy_tr.finish) == 0) {
            sy_tr.finish_inited = true;
            sy_tr.finish_deadline_ms = uv_now(sy_tr.loop) + 10000;
            uv_timer_start(&sy_tr.finish, sy_tr_finish_cb, 0, 5);
        }
    }
    if (!sy_tr.ctx) sy_tr_peer_limits_free();
    free(sy_tr.html_root);
    sy_tr.html_root = NULL;
}

static json_t *sy_tr_info_entry(const char *name, const char *description)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", name, "author", "Switchyard", "description",
                     description, "version_string", SY_VERSION_STRING, "version", (int)SY_VERSION);
}

json_t *sy_transports_counters(void)
{
    return sy_tr_peer_counters();
}

json_t *sy_transports_info(void)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "janus.transport.http",
                        sy_tr_info_entry("JANUS REST (HTTP/HTTPS) transport plugin",
                                         "Janus API over HTTP/HTTPS (REST and long polls), "
                                         "Switchyard built-in transport"));
    json_object_set_new(o, "janus.transport.websockets",
                        sy_tr_info_entry("JANUS WebSockets transport plugin",
                                         "Janus API over WebSockets (janus-protocol), "
                                         "Switchyard built-in transport"));
    return o;
}
