/*
 * The HTTP/REST transport (janus-api.md 1.9) and the admin HTTP endpoint (1.11):
 * request routing, POST bodies, CORS and writing responses. Long polls and the
 * per-session event queues are in http_longpoll.c, static files in static_files.c.
 *
 *   POST <base>[/<session>[/<handle>]]   -> sy_api_request_bytes (admin: _admin_)
 *   GET  <base>/info, <base>/ping         -> the same as POST {"janus":"info"/"ping"}
 *   GET  <base>/<session>[?maxev=N...]    -> long poll (API only)
 *   GET  <base>/<session>/<handle>        -> 302 to <base>/<session>
 *   OPTIONS                               -> 200 with CORS
 *   anything else under <base>            -> 403 (method) / 404 (path) / 400 (info, ping)
 *   GET/HEAD elsewhere on the API listener -> static files
 *
 * Each response is written from LWS_CALLBACK_HTTP_WRITEABLE (headers, then the body
 * in chunks), because long-poll answers are produced outside lws callbacks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "tr_internal.h"

#define SY_HTTP_CHUNK 16384

/* Requests in progress (between LWS_CALLBACK_HTTP and the end of the response). */
static sy_http_pss *sy_http_active;
static uint64_t sy_http_tr_counter;

size_t sy_http_pss_size(void)
{
    return sizeof(sy_http_pss);
}

static void sy_http_list_add(sy_http_pss *pss)
{
    if (pss->listed) return;
    pss->prev = NULL;
    pss->next = sy_http_active;
    if (sy_http_active) sy_http_active->prev = pss;
    sy_http_active = pss;
    pss->listed = true;
}

static void sy_http_list_del(sy_http_pss *pss)
{
    if (!pss->listed) return;
    if (pss->prev)
        pss->prev->next = pss->next;
    else
        sy_http_active = pss->next;
    if (pss->next) pss->next->prev = pss->prev;
    pss->prev = pss->next = NULL;
    pss->listed = false;
}

/* Frees everything a request owns; leaves pss reusable (all zero but wsi and kind). */
static void sy_http_pss_cleanup(sy_http_pss *pss)
{
    sy_lp_detach(pss);
    sy_http_list_del(pss);
    free(pss->body);
    free(pss->resp.body);
    free(pss->resp.location);
    struct lws *wsi = pss->wsi;
    sy_tr_kind kind = pss->kind;
    memset(pss, 0, sizeof(*pss));
    pss->wsi = wsi;
    pss->kind = kind;
}

void sy_http_respond(sy_http_pss *pss, int status, const char *content_type, char *body, size_t len)
{
    sy_http_resp *r = &pss->resp;
    free(r->body);
    r->body = NULL;
    if (body && len) {
        /* Keep LWS_PRE bytes of headroom before the first byte for lws_write. */
        r->body = malloc(LWS_PRE + len);
        if (r->body)
            memcpy(r->body + LWS_PRE, body, len);
        else
            len = 0;
    } else {
        len = 0;
    }
    free(body);
    r->ready = true;
    r->headers_sent = false;
    r->status = status;
    r->content_type = len ? content_type : NULL;
    r->len = len;
    r->off = 0;
    pss->reading_body = false;
    lws_callback_on_writable(pss->wsi);
}

void sy_http_respond_str(sy_http_pss *pss, int status, const char *content_type, const char *text)
{
    char *copy = text ? strdup(text) : NULL;
    sy_http_respond(pss, status, content_type, copy, copy ? strlen(copy) : 0);
}

static void sy_http_respond_json(sy_http_pss *pss, int status, json_t *msg)
{
    if (!msg) {
        sy_http_respond(pss, 500, NULL, NULL, 0);
        return;
    }
    char *text = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(msg);
    if (!text) {
        sy_http_respond(pss, 500, NULL, NULL, 0);
        return;
    }
    sy_http_respond(pss, status, "application/json", text, strlen(text));
}

/* A transport-level error with a Janus-shaped body (code 450). */
static void sy_http_respond_error(sy_http_pss *pss, int status, const char *reason)
{
    json_t *e =
        json_pack("{s:s,s:{s:i,s:s}}", "janus", "error", "error", "code", 450, "reason", reason);
    sy_http_respond_json(pss, status, e);
}

/* ---- headers ---- */

static int sy_http_add_header(struct lws *wsi, const char *name, const char *value,
                              unsigned char **p, unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

static int sy_http_add_cors(sy_http_pss *pss, unsigned char **p, unsigned char *end)
{
    const sy_config *cfg = sy_tr.cfg;
    struct lws *wsi = pss->wsi;
    const char *allow =
        cfg->cors_allow_origin && cfg->cors_allow_origin[0] ? cfg->cors_allow_origin : "*";
    if (sy_http_add_header(wsi, "access-control-allow-origin:", allow, p, end)) return -1;
    if (strcmp(allow, "*") != 0) {
        if (sy_http_add_header(wsi, "access-control-allow-credentials:", "true", p, end) ||
            sy_http_add_header(wsi, "vary:", "Origin", p, end))
            return -1;
    }
    if (sy_http_add_header(wsi, "access-control-max-age:", "86400", p, end)) return -1;
    if (pss->acr_method[0] &&
        sy_http_add_header(wsi, "access-control-allow-methods:", pss->acr_method, p, end))
        return -1;
    if (pss->acr_headers[0] &&
        sy_http_add_header(wsi, "access-control-allow-headers:", pss->acr_headers, p, end))
        return -1;
    return 0;
}

static int sy_http_write_headers(sy_http_pss *pss)
{
    sy_http_resp *r = &pss->resp;
    struct lws *wsi = pss->wsi;
    unsigned char buf[LWS_PRE + 4096];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;

    if (lws_add_http_common_headers(wsi, (unsigned int)r->status, r->content_type,
                                    (lws_filepos_t)r->len, &p, end))
        return -1;
    if (r->cors && sy_http_add_cors(pss, &p, end)) return -1;
    if (r->location && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_LOCATION,
                                                    (const unsigned char *)r->location,
                                                    (int)strlen(r->location), &p, end))
        return -1;
    if (r->content_type && sy_http_add_header(wsi, "cache-control:", "no-cache", &p, end))
        return -1;
    if (r->close_after && sy_http_add_header(wsi, "connection:", "close", &p, end)) return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
    r->headers_sent = true;
    return 0;
}

/* Returns the lws callback result. */
static int sy_http_writeable(sy_http_pss *pss)
{
    sy_http_resp *r = &pss->resp;
    struct lws *wsi = pss->wsi;
    if (!r->ready) return 0;
    if (!r->headers_sent) {
        if (sy_http_write_headers(pss) < 0) return -1;
        if (r->len > 0) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    } else if (r->off < r->len) {
        size_t n = r->len - r->off;
        if (n > SY_HTTP_CHUNK) n = SY_HTTP_CHUNK;
        bool final = r->off + n == r->len;
        /* The LWS_PRE bytes before this chunk are headroom or already sent. */
        unsigned char *data = (unsigned char *)r->body + LWS_PRE + r->off;
        if (lws_write(wsi, data, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
            return -1;
        r->off += n;
        if (!final) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    /* Done. */
    bool close_after = r->close_after;
    sy_http_pss_cleanup(pss);
    if (close_after) return -1;
    if (lws_http_transaction_completed(wsi)) return -1;
    return 0;
}

/* ---- requests ---- */

static void sy_http_copy_hdr(struct lws *wsi, enum lws_token_indexes tok, char *dst, size_t dstlen)
{
    dst[0] = '\0';
    int n = lws_hdr_total_length(wsi, tok);
    if (n <= 0 || (size_t)n >= dstlen || lws_hdr_copy(wsi, dst, (int)dstlen, tok) < 0)
        dst[0] = '\0';
}

static void sy_http_copy_custom(struct lws *wsi, const char *name, char *dst, size_t dstlen)
{
    dst[0] = '\0';
    int nlen = (int)strlen(name);
    int n = lws_hdr_custom_length(wsi, name, nlen);
    if (n <= 0 || (size_t)n >= dstlen || lws_hdr_custom_copy(wsi, dst, (int)dstlen, name, nlen) < 0)
        dst[0] = '\0';
}

static const char *sy_http_base(sy_tr_kind kind)
{
    const sy_config *cfg = sy_tr.cfg;
    const char *b = kind == SY_TR_HTTP_ADMIN ? cfg->admin_base_path : cfg->base_path;
    if (!b || !b[0]) b = kind == SY_TR_HTTP_ADMIN ? "/admin" : "/janus";
    return b;
}

/* Splits uri under base into up to 3 components. Returns the count, -1 if the uri is
 * not under base, -2 if it has too many components. */
static int sy_http_split(const char *base, const char *uri, size_t len, const char **comp,
                         size_t *clen)
{
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    if (len < blen || memcmp(uri, base, blen) != 0) return -1;
    if (len > blen && uri[blen] != '/') return -1;
    const char *p = uri + blen, *end = uri + len;
    if (end > p && end[-1] == '/') /* one trailing slash is ignored */
        end--;
    int n = 0;
    while (p < end) {
        p++; /* the '/' */
        const char *s = p;
        while (p < end && *p != '/')
            p++;
        if (n == 2) return -2;
        comp[n] = s;
        clen[n] = (size_t)(p - s);
        n++;
    }
    return n;
}

static bool sy_http_comp_is(const char *c, size_t len, const char *word)
{
    return len == strlen(word) && memcmp(c, word, len) == 0;
}

static void sy_http_info_or_ping(sy_http_pss *pss, const char *verb)
{
    char req[128];
    int n = snprintf(req, sizeof(req), "{\"janus\":\"%s\",\"transaction\":\"sy-http-%" PRIu64 "\"}",
                     verb, ++sy_http_tr_counter);
    sy_request_path path = {0, 0};
    json_t *reply = pss->kind == SY_TR_HTTP_ADMIN
                        ? sy_api_admin_request_bytes(sy_lp_admin_client(), req, (size_t)n, &path)
                        : sy_api_request_bytes(sy_lp_client(), req, (size_t)n, &path);
    sy_http_respond_json(pss, 200, reply);
}

static void sy_http_long_poll(sy_http_pss *pss, uint64_t session_id)
{
    struct lws *wsi = pss->wsi;
    char buf[2048];
    const char *secret = lws_get_urlarg_by_name(wsi, "apisecret=", buf, sizeof(buf));
    char *secret_copy = secret ? strdup(secret) : NULL;
    const char *token = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof(buf));
    bool ok = sy_api_check_auth(secret_copy, token);
    free(secret_copy);
    if (!ok) {
        sy_http_respond(pss, 403, NULL, NULL, 0);
        return;
    }
    int maxev = 1;
    const char *m = lws_get_urlarg_by_name(wsi, "maxev=", buf, sizeof(buf));
    if (m) {
        char *endp;
        long v = strtol(m, &endp, 10);
        if (endp != m && v > 1) maxev = v > 1000 ? 1000 : (int)v;
    }
    sy_lp_get(pss, session_id, maxev);
}

static void sy_http_post_done(sy_http_pss *pss)
{
    sy_client *client = pss->kind == SY_TR_HTTP_ADMIN ? sy_lp_admin_client() : sy_lp_client();
    const char *data = pss->body ? pss->body : "";
    json_t *reply = pss->kind == SY_TR_HTTP_ADMIN
                        ? sy_api_admin_request_bytes(client, data, pss->body_len, &pss->path)
                        : sy_api_request_bytes(client, data, pss->body_len, &pss->path);
    free(pss->body);
    pss->body = NULL;
    pss->body_len = pss->body_cap = 0;
    sy_http_respond_json(pss, 200, reply);
}

static void sy_http_too_big(sy_http_pss *pss)
{
    pss->body_too_big = true;
    pss->resp.cors = true;
    pss->resp.close_after = true;
    free(pss->body);
    pss->body = NULL;
    pss->body_len = pss->body_cap = 0;
    SY_VERB("http: request body over %zu bytes, replying 413", sy_tr.max_message_size);
    sy_http_respond_error(pss, 413, "Request too large");
}

static void sy_http_start_post(sy_http_pss *pss)
{
    struct lws *wsi = pss->wsi;
    char cl[32];
    sy_http_copy_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof(cl));
    bool chunked = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
    if (cl[0]) {
        char *endp;
        unsigned long long v = strtoull(cl, &endp, 10);
        if (endp == cl || *endp) {
            sy_http_respond_error(pss, 400, "Bad Content-Length");
            pss->resp.close_after = true;
            return;
        }
        if (v > sy_tr.max_message_size) {
            sy_http_too_big(pss);
            return;
        }
        if (v == 0) {
            sy_http_post_done(pss);
            return;
        }
    } else if (chunked) {
        /* lws 4.1 does not decode chunked request bodies; Janus clients always send a
         * Content-Length. */
        pss->resp.close_after = true;
        sy_http_respond_error(pss, 411, "Content-Length required");
        return;
    } else {
        /* No body at all. */
        sy_http_post_done(pss);
        return;
    }
    pss->reading_body = true;
    pss->deadline_ms = sy_tr_now_ms() + (uint64_t)sy_tr.http_idle_timeout * 1000;
}

static int sy_http_body(sy_http_pss *pss, const char *in, size_t len)
{
    if (pss->body_too_big || !pss->reading_body) return 0;
    size_t max = sy_tr.max_message_size;
    if (len > max || pss->body_len > max - len) {
        sy_http_too_big(pss);
        return 0;
    }
    if (pss->body_len + len + 1 > pss->body_cap) {
        size_t cap = pss->body_cap ? pss->body_cap : 4096;
        while (cap < pss->body_len + len + 1)
            cap *= 2;
        if (cap > max + 1) cap = max + 1;
        char *p = realloc(pss->body, cap);
        if (!p) return -1;
        pss->body = p;
        pss->body_cap = cap;
    }
    memcpy(pss->body + pss->body_len, in, len);
    pss->body_len += len;
    pss->body[pss->body_len] = '\0';
    return 0;
}

/* CORS enforcement (cors.enforce_cors): a browser request from another origin is
 * refused when a specific allow_origin is configured. */
static bool sy_http_cors_refused(sy_http_pss *pss)
{
    const sy_config *cfg = sy_tr.cfg;
    if (!cfg->cors_enforce || !cfg->cors_allow_origin || !cfg->cors_allow_origin[0] ||
        !strcmp(cfg->cors_allow_origin, "*") || !pss->origin[0])
        return false;
    return strcasecmp(pss->origin, cfg->cors_allow_origin) != 0;
}

static int sy_http_request(struct lws *wsi, sy_http_pss *pss, const char *uri, size_t len)
{
    sy_http_pss_cleanup(pss);
    pss->wsi = wsi;
    pss->kind = sy_tr_kind_of(wsi);
    if (!sy_tr.running) return -1;

    char *muri = NULL;
    int mlen = 0;
    pss->method = lws_http_get_uri_and_method(wsi, &muri, &mlen);
    if (!sy_tr_peer_admit(wsi, SY_TR_FAMILY_HTTP)) {
        /* Over the per-address request rate: 429, and close (the body is not read). */
        pss->resp.cors = true;
        pss->resp.close_after = true;
        sy_http_respond_json(pss, 429, sy_api_too_many_requests(NULL, 0));
        sy_http_list_add(pss);
        return 0;
    }
    if (!uri || memchr(uri, '\0', len)) {
        sy_http_respond(pss, 404, NULL, NULL, 0);
        sy_http_list_add(pss);
        return 0;
    }
    sy_http_copy_hdr(wsi, WSI_TOKEN_ORIGIN, pss->origin, sizeof(pss->origin));
    sy_http_copy_custom(wsi, "access-control-request-method:", pss->acr_method,
                        sizeof(pss->acr_method));
    sy_http_copy_hdr(wsi, WSI_TOKEN_HTTP_AC_REQUEST_HEADERS, pss->acr_headers,
                     sizeof(pss->acr_headers));
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, sy_tr.http_idle_timeout);

    const char *comp[2];
    size_t clen[2];
    int n = sy_http_split(sy_http_base(pss->kind), uri, len, comp, clen);
    sy_http_list_add(pss);

    if (n == -1) {
        if (pss->kind == SY_TR_HTTP_API &&
            (pss->method == LWSHUMETH_GET || pss->method == LWSHUMETH_HEAD)) {
            sy_http_list_del(pss);
            return sy_static_serve(wsi, pss, uri, len, pss->method == LWSHUMETH_HEAD);
        }
        sy_http_respond(pss, 404, NULL, NULL, 0);
        return 0;
    }

    pss->resp.cors = true;
    if (n == -2) {
        sy_http_respond(pss, 404, NULL, NULL, 0);
        return 0;
    }
    if (pss->method == LWSHUMETH_OPTIONS) {
        sy_http_respond(pss, 200, NULL, NULL, 0);
        return 0;
    }
    if (pss->method != LWSHUMETH_GET && pss->method != LWSHUMETH_POST) {
        sy_http_respond(pss, 403, NULL, NULL, 0);
        return 0;
    }
    if (sy_http_cors_refused(pss)) {
        sy_http_respond(pss, 403, NULL, NULL, 0);
        return 0;
    }
    if (n == 1 &&
        (sy_http_comp_is(comp[0], clen[0], "info") || sy_http_comp_is(comp[0], clen[0], "ping"))) {
        bool info = sy_http_comp_is(comp[0], clen[0], "info");
        if (pss->method != LWSHUMETH_GET) {
            sy_http_respond_error(pss, 400, "Use GET for info and ping");
            return 0;
        }
        sy_http_info_or_ping(pss, info ? "info" : "ping");
        return 0;
    }
    if ((n >= 1 && !sy_tr_parse_id(comp[0], clen[0], &pss->path.session_id)) ||
        (n >= 2 && !sy_tr_parse_id(comp[1], clen[1], &pss->path.handle_id))) {
        sy_http_respond(pss, 404, NULL, NULL, 0);
        return 0;
    }
    if (pss->method == LWSHUMETH_POST) {
        sy_http_start_post(pss);
        return 0;
    }
    /* GET */
    if (pss->kind == SY_TR_HTTP_ADMIN) {
        sy_http_respond_error(pss, 400, "No long polls on the admin API");
        return 0;
    }
    if (n == 0) {
        sy_http_respond(pss, 404, NULL, NULL, 0);
        return 0;
    }
    if (n == 2) {
        const char *base = sy_http_base(pss->kind);
        size_t blen = strlen(base);
        while (blen > 0 && base[blen - 1] == '/')
            blen--;
        size_t need = blen + 1 + clen[0] + 1;
        char *l = malloc(need);
        if (l) {
            memcpy(l, base, blen);
            l[blen] = '/';
            memcpy(l + blen + 1, comp[0], clen[0]);
            l[need - 1] = '\0';
        }
        pss->resp.location = l;
        sy_http_respond(pss, 302, NULL, NULL, 0);
        return 0;
    }
    sy_http_long_poll(pss, pss->path.session_id);
    return 0;
}

int sy_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    sy_http_pss *pss = user;
    switch (reason) {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
        sy_tr_tls_ctx_created(user); /* user: the vhost's SSL_CTX */
        return 0;
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: /* user: the peer's address, not pss */
        return sy_tr_peer_filter(SY_TR_FAMILY_HTTP, user, in);
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        sy_tr_peer_adopted(wsi);
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        sy_tr_peer_destroyed(wsi, SY_TR_FAMILY_HTTP);
        return 0;
    case LWS_CALLBACK_HTTP:
        if (!pss) return -1;
        return sy_http_request(wsi, pss, in, len);
    case LWS_CALLBACK_HTTP_BODY:
        if (!pss) return -1;
        return sy_http_body(pss, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!pss) return -1;
        if (pss->reading_body && !pss->body_too_big) {
            pss->reading_body = false;
            sy_http_post_done(pss);
        }
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!pss) return 0;
        return sy_http_writeable(pss);
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    case LWS_CALLBACK_ESTABLISHED:
        /* No WebSocket (nor h2c) on the HTTP listeners: Janus has none there. */
        SY_DEBUG("http: refusing a protocol upgrade on an HTTP listener");
        return -1;
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        if (lws_http_transaction_completed(wsi)) return -1;
        return 0;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (pss) sy_http_pss_cleanup(pss);
        return 0;
    default:
        return 0;
    }
}

void sy_http_sweep(uint64_t now_ms)
{
    for (sy_http_pss *p = sy_http_active; p; p = p->next) {
        if (p->reading_body && now_ms >= p->deadline_ms) {
            SY_VERB("http: request body not complete after %d s, closing", sy_tr.http_idle_timeout);
            p->reading_body = false;
            lws_set_timeout(p->wsi, PENDING_TIMEOUT_HTTP_CONTENT, LWS_TO_KILL_ASYNC);
        }
    }
}

int sy_http_start(void)
{
    sy_http_active = NULL;
    return 0;
}

void sy_http_stop(void)
{
    /* The connections close with the context; forget them so their close callbacks
     * do not touch freed state. */
    while (sy_http_active)
        sy_http_list_del(sy_http_active);
}
