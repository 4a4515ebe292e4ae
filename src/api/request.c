/*
 * The Janus API request dispatcher (janus-api.md 1.2-1.3): validation in the
 * documented order, auth, session and handle lookup, then the verb.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/auth.h"
#include "api/errors.h"
#include "api/ids.h"
#include "api/jsep.h"
#include "api/request_util.h"
#include "api/server_info.h"
#include "api/session.h"
#include "core/log.h"
#include "core/plugins.h"

static bool shutting_down;

json_t *sy_api_error(uint64_t session_id, const char *transaction, int code, const char *fmt, ...)
{
    char reason[512];
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
    } else {
        snprintf(reason, sizeof(reason), "%s", sy_error_reason(code));
    }
    json_t *m = sy_message_new("error", session_id, transaction);
    json_t *e = json_object();
    json_object_set_new(e, "code", json_integer(code));
    json_object_set_new(e, "reason", json_string(reason));
    json_object_set_new(m, "error", e);
    return m;
}

/* ---- verbs at the root path ---- */

static json_t *do_create(sy_client *client, json_t *req, const char *tr)
{
    if (!sy_api_config->accept_new_sessions)
        return sy_api_error(0, tr, SY_ERR_NOT_ACCEPTING_SESSIONS, NULL);
    bool by_token = false;
    if (!sy_auth_check(sy_req_str(req, "apisecret"), sy_req_str(req, "token"), &by_token))
        return sy_api_error(0, tr, SY_ERR_UNAUTHORIZED, NULL);
    uint64_t id = 0;
    json_t *jid = json_object_get(req, "id");
    if (jid && !json_is_null(jid)) {
        id = (uint64_t)json_integer_value(jid); /* validated positive in sy_req_envelope */
        if (id > SY_ID_MAX)
            return sy_api_error(0, tr, SY_ERR_INVALID_ELEMENT_TYPE,
                                "Invalid element type (id should be a positive integer)");
        if (sy_session_find(id)) return sy_api_error(0, tr, SY_ERR_SESSION_CONFLICT, NULL);
    }
    if (sy_api_config->max_sessions > 0 &&
        sy_session_count() >= (size_t)sy_api_config->max_sessions)
        return sy_api_error(0, tr, SY_ERR_NOT_ACCEPTING_SESSIONS,
                            "Maximum number of sessions reached");
    sy_session *s = sy_session_create(client, id);
    SY_VERB("Session %" PRIu64 " created (%s)", s->id, client ? client->transport : "-");
    json_t *r = sy_message_new("success", 0, tr);
    json_t *data = json_object();
    json_object_set_new(data, "id", json_integer((json_int_t)s->id));
    json_object_set_new(r, "data", data);
    return r;
}

/* ---- verbs on a session ---- */

static json_t *do_attach(sy_session *s, json_t *req, const char *tr, bool by_token)
{
    json_t *err = sy_req_check(req, s->id, tr,
                               (sy_param[]){{"plugin", SY_P_STRING | SY_P_REQUIRED},
                                            {"opaque_id", SY_P_STRING},
                                            {"loop_index", SY_P_INTEGER},
                                            {NULL, 0}});
    if (err) return err;
    const char *package = sy_req_str(req, "plugin");
    const sy_plugin *plugin = sy_plugins_find(package);
    if (!plugin) return sy_api_error(s->id, tr, SY_ERR_PLUGIN_NOT_FOUND, "No such plugin '%s'", package);
    const char *token = sy_req_str(req, "token");
    if (by_token && !sy_auth_token_allows_plugin(token, package))
        return sy_api_error(s->id, tr, SY_ERR_UNAUTHORIZED_PLUGIN,
                            "Provided token can't access plugin '%s'", package);
    int code = 0;
    sy_plugin_handle *h = sy_handle_create(s, plugin, sy_req_str(req, "opaque_id"), token, &code);
    if (!h)
        return sy_api_error(s->id, tr, code ? code : SY_ERR_PLUGIN_ATTACH,
                            "Couldn't attach to plugin: error '%d'", code);
    json_t *r = sy_message_new("success", s->id, tr);
    json_t *data = json_object();
    json_object_set_new(data, "id", json_integer((json_int_t)h->id));
    json_object_set_new(r, "data", data);
    return r;
}

/* ---- verbs on a handle ---- */

static json_t *validate_jsep(sy_session *s, json_t *jsep, const char *tr)
{
    if (!json_is_object(jsep))
        return sy_api_error(s->id, tr, SY_ERR_INVALID_ELEMENT_TYPE,
                            "Invalid element type (jsep should be an object)");
    json_t *err = sy_req_check(jsep, s->id, tr,
                               (sy_param[]){{"type", SY_P_STRING | SY_P_REQUIRED},
                                            {"sdp", SY_P_STRING | SY_P_REQUIRED},
                                            {"trickle", SY_P_BOOL},
                                            {"rid_order", SY_P_STRING},
                                            {"force_relay", SY_P_BOOL},
                                            {"e2ee", SY_P_BOOL},
                                            {"svc", SY_P_ARRAY},
                                            {NULL, 0}});
    if (err) return err;
    const char *type = sy_req_str(jsep, "type");
    if (strcasecmp(type, "offer") != 0 && strcasecmp(type, "answer") != 0)
        return sy_api_error(s->id, tr, SY_ERR_JSEP_UNKNOWN_TYPE,
                            "JSEP error: unknown message type '%s'", type);
    const char *sdp = sy_req_str(jsep, "sdp");
    if (strncmp(sdp, "v=0", 3) != 0)
        return sy_api_error(s->id, tr, SY_ERR_JSEP_INVALID_SDP, "JSEP error: invalid SDP");
    return NULL;
}

static json_t *do_message(sy_session *s, sy_plugin_handle *h, json_t *req, const char *tr)
{
    json_t *err = sy_req_check(req, s->id, tr,
                               (sy_param[]){{"body", SY_P_OBJECT | SY_P_REQUIRED},
                                            {"jsep", SY_P_OBJECT},
                                            {NULL, 0}});
    if (err) return err;
    json_t *body = json_object_get(req, "body");
    json_t *jsep = json_object_get(req, "jsep");
    if (jsep && (err = validate_jsep(s, jsep, tr))) return err;
    json_t *plugin_jsep = NULL;
    if (jsep) {
        bool is_answer = strcasecmp(sy_req_str(jsep, "type"), "answer") == 0;
        if (is_answer && !atomic_exchange(&h->offer_sent, false))
            return sy_api_error(s->id, tr, SY_ERR_UNEXPECTED_ANSWER, NULL);
        if ((err = sy_jsep_incoming(h, jsep, tr, &plugin_jsep))) return err;
        if (json_is_true(json_object_get(jsep, "e2ee")) && plugin_jsep)
            json_object_set_new(plugin_jsep, "e2ee", json_true());
    }
    sy_plugin_result res = h->plugin->handle_message(h, tr, body, plugin_jsep);
    json_decref(plugin_jsep);
    /* The peer connection comes after the plugin: it may have picked the media worker.
     * (Events the plugin pushed meanwhile are queued and go out after this.) */
    if (jsep && res.type != SY_PLUGIN_ERROR) sy_jsep_apply(h, jsep);
    switch (res.type) {
    case SY_PLUGIN_OK: {
        json_t *r = sy_message_new("success", s->id, tr);
        json_object_set_new(r, "sender", json_integer((json_int_t)h->id));
        json_t *pd = json_object();
        json_object_set_new(pd, "plugin", json_string(h->plugin->package));
        json_object_set_new(pd, "data", res.content ? res.content : json_object());
        json_object_set_new(r, "plugindata", pd);
        return r;
    }
    case SY_PLUGIN_OK_WAIT: {
        json_decref(res.content);
        json_t *r = sy_message_new("ack", s->id, tr);
        if (res.text) json_object_set_new(r, "hint", json_string(res.text));
        return r;
    }
    default:
        json_decref(res.content);
        return sy_api_error(s->id, tr, SY_ERR_PLUGIN_MESSAGE, "%s",
                            res.text ? res.text : sy_error_reason(SY_ERR_PLUGIN_MESSAGE));
    }
}

/* A trickled candidate: an object with "candidate" (and sdpMid / sdpMLineIndex), or
 * null / {"completed":true} for the end of candidates. */
static json_t *check_candidate(sy_session *s, json_t *c, const char *tr)
{
    if (json_is_null(c)) return NULL;
    if (!json_is_object(c))
        return sy_api_error(s->id, tr, SY_ERR_INVALID_ELEMENT_TYPE,
                            "Invalid element type (candidate should be an object)");
    if (json_object_get(c, "completed")) return NULL;
    return sy_req_check(c, s->id, tr,
                        (sy_param[]){{"candidate", SY_P_STRING | SY_P_REQUIRED},
                                     {"sdpMid", SY_P_STRING},
                                     {"sdpMLineIndex", SY_P_INTEGER},
                                     {NULL, 0}});
}

static json_t *do_trickle(sy_session *s, sy_plugin_handle *h, json_t *req, const char *tr)
{
    json_t *candidate = json_object_get(req, "candidate");
    json_t *candidates = json_object_get(req, "candidates");
    if (!candidate && !candidates)
        return sy_api_error(s->id, tr, SY_ERR_MISSING_MANDATORY_ELEMENT,
                            "Missing mandatory element (candidate|candidates)");
    if (candidate && candidates)
        return sy_api_error(s->id, tr, SY_ERR_INVALID_JSON,
                            "Can't have both candidate and candidates");
    json_t *err;
    if (candidates) {
        if (!json_is_array(candidates))
            return sy_api_error(s->id, tr, SY_ERR_INVALID_ELEMENT_TYPE,
                                "candidates is not an array");
        size_t i;
        json_t *c;
        json_array_foreach(candidates, i, c) if ((err = check_candidate(s, c, tr))) return err;
        json_array_foreach(candidates, i, c) sy_jsep_trickle(h, c);
    } else {
        if ((err = check_candidate(s, candidate, tr))) return err;
        if (json_is_null(candidate)) {
            json_t *done = json_pack("{s:b}", "completed", 1);
            sy_jsep_trickle(h, done);
            json_decref(done);
        } else {
            sy_jsep_trickle(h, candidate);
        }
    }
    return sy_message_new("ack", s->id, tr);
}

static json_t *reply_success(sy_session *s, const char *tr)
{
    return sy_message_new("success", s->id, tr);
}

static json_t *dispatch(sy_client *client, json_t *req, const char *verb, const char *tr,
                        uint64_t session_id, uint64_t handle_id, bool has_handle)
{
    /* Root path: only info, ping and create. */
    if (session_id == 0 && handle_id == 0) {
        if (!strcasecmp(verb, "info")) return sy_server_info(tr);
        if (!strcasecmp(verb, "ping")) return sy_message_new("pong", 0, tr);
        if (!strcasecmp(verb, "create")) return do_create(client, req, tr);
        return sy_api_error(0, tr, SY_ERR_INVALID_REQUEST_PATH,
                            "Unhandled request '%s' at this path", verb);
    }
    if (session_id < 1) return sy_api_error(session_id, tr, SY_ERR_SESSION_NOT_FOUND, "Invalid session");
    if (has_handle && handle_id < 1)
        return sy_api_error(session_id, tr, SY_ERR_HANDLE_NOT_FOUND, "Invalid handle");
    bool by_token = false;
    if (!sy_auth_check(sy_req_str(req, "apisecret"), sy_req_str(req, "token"), &by_token))
        return sy_api_error(session_id, tr, SY_ERR_UNAUTHORIZED, NULL);
    sy_session *s = sy_session_find(session_id);
    if (!s)
        return sy_api_error(session_id, tr, SY_ERR_SESSION_NOT_FOUND,
                            "No such session %" PRIu64, session_id);
    sy_session_touch(s);
    sy_plugin_handle *h = NULL;
    if (handle_id > 0) {
        h = sy_handle_find(s, handle_id);
        if (!h)
            return sy_api_error(session_id, tr, SY_ERR_HANDLE_NOT_FOUND,
                                "No such handle %" PRIu64 " in session %" PRIu64, handle_id,
                                session_id);
    }
    bool session_verb = !strcasecmp(verb, "keepalive") || !strcasecmp(verb, "attach") ||
                        !strcasecmp(verb, "destroy") || !strcasecmp(verb, "claim");
    bool handle_verb = !strcasecmp(verb, "detach") || !strcasecmp(verb, "hangup") ||
                       !strcasecmp(verb, "message") || !strcasecmp(verb, "trickle");
    if ((session_verb && h) || (handle_verb && !h))
        return sy_api_error(session_id, tr, SY_ERR_INVALID_REQUEST_PATH,
                            "Unhandled request '%s' at this path", verb);
    if (!strcasecmp(verb, "keepalive")) return sy_message_new("ack", s->id, tr);
    if (!strcasecmp(verb, "attach")) return do_attach(s, req, tr, by_token);
    if (!strcasecmp(verb, "destroy")) {
        json_t *r = reply_success(s, tr);
        sy_session_destroy(s, false);
        return r;
    }
    if (!strcasecmp(verb, "claim")) {
        sy_session_claim(s, client);
        return reply_success(s, tr);
    }
    if (!strcasecmp(verb, "detach")) {
        sy_handle_destroy(h, true); /* "detached" follows the reply (deferred) */
        return reply_success(s, tr);
    }
    if (!strcasecmp(verb, "hangup")) {
        sy_jsep_hangup(h, "Janus API");
        return reply_success(s, tr);
    }
    if (!strcasecmp(verb, "message")) return do_message(s, h, req, tr);
    if (!strcasecmp(verb, "trickle")) return do_trickle(s, h, req, tr);
    return sy_api_error(session_id, tr, SY_ERR_UNKNOWN_REQUEST, "Unknown request '%s'", verb);
}

json_t *sy_api_request(sy_client *client, json_t *req, const sy_request_path *path)
{
    if (!json_is_object(req))
        return sy_api_error(0, NULL, SY_ERR_INVALID_JSON_OBJECT, "JSON error: not an object");
    sy_envelope env;
    json_t *err = sy_req_envelope(req, path, &env);
    if (err) return err;
    if (shutting_down)
        return sy_api_error(env.session_id, env.transaction, SY_ERR_UNKNOWN,
                            "Server shutting down");
    return dispatch(client, req, env.verb, env.transaction, env.session_id, env.handle_id,
                    env.has_handle);
}

json_t *sy_api_parse_and_handle(sy_client *client, const char *data, size_t len,
                                const sy_request_path *path, sy_request_fn handle)
{
    json_error_t jerr;
    json_t *req = sy_json_parse(data, len, (size_t)sy_api_config->json_max_depth, &jerr);
    if (!req)
        return sy_api_error(0, NULL, SY_ERR_INVALID_JSON, "JSON error: on line %d: %s", jerr.line,
                            jerr.text);
    json_t *r = handle(client, req, path);
    json_decref(req);
    return r;
}

json_t *sy_api_request_bytes(sy_client *client, const char *data, size_t len,
                             const sy_request_path *path)
{
    return sy_api_parse_and_handle(client, data, len, path, sy_api_request);
}

static json_t *too_many(const json_t *req)
{
    const json_t *t = json_is_object(req) ? json_object_get(req, "transaction") : NULL;
    return sy_api_error(0, json_is_string(t) ? json_string_value(t) : NULL,
                        SY_ERR_TRANSPORT_SPECIFIC, "Too many requests");
}

json_t *sy_api_too_many_requests(const char *data, size_t len)
{
    json_t *req = NULL;
    if (data && len) {
        json_error_t jerr;
        size_t used = 0;
        req = sy_json_parse_one(data, len, (size_t)sy_api_config->json_max_depth, &used, &jerr);
    }
    json_t *r = too_many(req);
    json_decref(req);
    return r;
}

void sy_api_handle_frame(sy_client *client, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        /* Skip whitespace between concatenated values. */
        while (off < len && (data[off] == ' ' || data[off] == '\n' || data[off] == '\r' ||
                             data[off] == '\t'))
            off++;
        if (off >= len) break;
        json_error_t jerr;
        size_t used = 0;
        json_t *req = sy_json_parse_one(data + off, len - off,
                                        (size_t)sy_api_config->json_max_depth, &used, &jerr);
        json_t *reply;
        if (!req) {
            reply = sy_api_error(0, NULL, SY_ERR_INVALID_JSON, "JSON error: on line %d: %s",
                                 jerr.line, jerr.text);
            used = len - off;
        } else if (client->ops->admit && !client->ops->admit(client)) {
            reply = too_many(req);
            json_decref(req);
        } else {
            reply = client->admin ? sy_api_admin_request(client, req, NULL)
                                  : sy_api_request(client, req, NULL);
            json_decref(req);
        }
        if (reply) client->ops->send(client, 0, reply);
        if (used == 0) break;
        off += used;
    }
}

/* ---- long-poll helpers for the HTTP transport ---- */

bool sy_api_session_exists(uint64_t session_id) { return sy_session_find(session_id) != NULL; }

void sy_api_session_touch(uint64_t session_id)
{
    sy_session *s = sy_session_find(session_id);
    if (s) sy_session_touch(s);
}

bool sy_api_check_auth(const char *apisecret, const char *token)
{
    return sy_auth_check(apisecret, token, NULL);
}

/* ---- lifecycle ---- */

int sy_api_init(uv_loop_t *loop, sy_config *cfg)
{
    shutting_down = false;
    sy_auth_init(cfg->api_secret, cfg->token_auth, cfg->token_auth_secret);
    sy_sessions_init(loop, cfg);
    sy_server_info_init();
    if (sy_jsep_init(cfg) < 0) {
        SY_FATAL("Cannot set up DTLS/SRTP (certificate?)");
        return -1;
    }
    int n = sy_plugins_load(cfg, sy_core_api_get());
    SY_INFO("%d plugin%s loaded", n, n == 1 ? "" : "s");
    return 0;
}

void sy_api_shutdown(void)
{
    if (shutting_down) return;
    shutting_down = true;
    /* Sessions first; then let the workers and the main queue finish what the plugins
     * posted (closures into plugin code), destroy the plugins and settle again, and
     * only then unmap them. */
    sy_sessions_destroy_all();
    sy_sessions_settle();
    sy_plugins_destroy();
    sy_sessions_settle();
    sy_sessions_shutdown();
    sy_plugins_unload();
    sy_jsep_cleanup();
    sy_auth_shutdown();
}
