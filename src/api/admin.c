/*
 * The admin API (janus-api.md 1.11): its own listener and path, its own secret.
 * Same envelope as the Janus API; replies carry the admin shapes Janus uses.
 */
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/auth.h"
#include "api/errors.h"
#include "api/jsep.h"
#include "api/request_util.h"
#include "api/server_info.h"
#include "api/session.h"
#include "core/log.h"
#include "core/plugins.h"
#include "media/media_counters.h"
#include "transports/transports.h"

static json_t *success(uint64_t session_id, const char *tr)
{
    return sy_message_new("success", session_id, tr);
}

static json_t *handle_info(sy_session *s, sy_plugin_handle *h, const char *tr, bool plugin_only)
{
    json_t *info = json_object();
    if (!plugin_only) {
        uint64_t now = uv_now(sy_api_loop);
        json_object_set_new(info, "session_id", json_integer((json_int_t)s->id));
        json_object_set_new(info, "session_last_activity",
                            json_integer((json_int_t)(now - s->last_activity_ms) * 1000));
        json_object_set_new(info, "session_timeout",
                            json_integer(s->timeout >= 0 ? s->timeout
                                                         : sy_api_config->session_timeout));
        json_object_set_new(info, "session_transport",
                            json_string(s->client ? s->client->transport : ""));
        json_object_set_new(info, "handle_id", json_integer((json_int_t)h->id));
        if (h->opaque_id) json_object_set_new(info, "opaque_id", json_string(h->opaque_id));
        json_object_set_new(info, "created", json_integer(h->created_us));
        json_object_set_new(info, "current_time", json_integer(g_get_monotonic_time()));
        json_object_set_new(info, "plugin", json_string(h->plugin->package));
        json_object_set_new(info, "queued-candidates",
                            json_integer(h->pending_candidates
                                             ? g_queue_get_length(h->pending_candidates)
                                             : 0));
        json_object_set_new(info, "trickle-completed", json_boolean(h->trickle_completed));
        json_t *pc = sy_jsep_info(h);
        json_object_set_new(info, "webrtc", pc ? pc : json_null());
    }
    json_t *ps = h->plugin->query_session ? h->plugin->query_session(h) : NULL;
    json_object_set_new(info, "plugin_specific", ps ? ps : json_object());
    json_t *r = success(s->id, tr);
    json_object_set_new(r, "handle_id", json_integer((json_int_t)h->id));
    json_object_set_new(r, "info", info);
    return r;
}

static json_t *status(const char *tr)
{
    json_t *st = json_object();
    json_object_set_new(st, "token_auth", json_boolean(sy_auth_token_mode() != SY_AUTH_TOKENS_OFF));
    json_object_set_new(st, "api_secret", json_boolean(sy_auth_has_api_secret()));
    json_object_set_new(st, "session_timeout", json_integer(sy_api_config->session_timeout));
    json_object_set_new(st, "reclaim_session_timeout",
                        json_integer(sy_api_config->reclaim_session_timeout));
    json_object_set_new(st, "candidates_timeout", json_integer(sy_api_config->candidates_timeout));
    json_object_set_new(st, "log_level", json_integer(sy_log_level));
    json_object_set_new(st, "log_timestamps", json_boolean(sy_api_config->log_timestamps));
    json_object_set_new(st, "accepting_new_sessions",
                        json_boolean(sy_api_config->accept_new_sessions));
    json_object_set_new(st, "sessions", json_integer((json_int_t)sy_session_count()));
    json_object_set_new(st, "handles_alive", json_integer((json_int_t)sy_handles_alive()));
    json_t *r = success(0, tr);
    json_object_set_new(r, "status", st);
    return r;
}

static json_t *need_stored_tokens(const char *tr)
{
    if (sy_auth_token_mode() == SY_AUTH_TOKENS_STORED) return NULL;
    return sy_api_error(0, tr, SY_ERR_UNKNOWN, "Stored-Token based authentication disabled");
}

/* Validates a "plugins" array of known packages. NULL on success. */
static json_t *check_plugins(json_t *req, const char *tr, bool required)
{
    json_t *plugins = json_object_get(req, "plugins");
    if (!plugins && !required) return NULL;
    if (!plugins)
        return sy_api_error(0, tr, SY_ERR_MISSING_MANDATORY_ELEMENT,
                            "Missing mandatory element (plugins)");
    if (!json_is_array(plugins) || json_array_size(plugins) == 0)
        return sy_api_error(0, tr, SY_ERR_INVALID_ELEMENT_TYPE,
                            "Invalid element type (plugins should be a non-empty array)");
    size_t i;
    json_t *p;
    json_array_foreach(plugins, i, p)
    {
        if (!json_is_string(p))
            return sy_api_error(0, tr, SY_ERR_INVALID_ELEMENT_TYPE,
                                "Invalid element type (plugins should be an array of strings)");
        if (!sy_plugins_find(json_string_value(p)))
            return sy_api_error(0, tr, SY_ERR_PLUGIN_NOT_FOUND, "No such plugin '%s'",
                                json_string_value(p));
    }
    return NULL;
}

static json_t *token_plugins_reply(const char *tr, const char *token)
{
    json_t *r = success(0, tr);
    json_t *data = json_object();
    json_object_set_new(data, "plugins", sy_auth_token_plugins(token));
    json_object_set_new(r, "data", data);
    return r;
}

static json_t *token_request(const char *verb, json_t *req, const char *tr)
{
    json_t *err = need_stored_tokens(tr);
    if (err) return err;
    if (!strcasecmp(verb, "list_tokens")) {
        json_t *r = success(0, tr);
        json_t *data = json_object();
        json_object_set_new(data, "tokens", sy_auth_token_list());
        json_object_set_new(r, "data", data);
        return r;
    }
    if ((err = sy_req_check(req, 0, tr,
                            (sy_param[]){{"token", SY_P_STRING | SY_P_REQUIRED}, {NULL, 0}})))
        return err;
    const char *token = sy_req_str(req, "token");
    if (!strcasecmp(verb, "add_token")) {
        if ((err = check_plugins(req, tr, false))) return err;
        if (!*token)
            return sy_api_error(0, tr, SY_ERR_INVALID_ELEMENT_TYPE,
                                "Invalid element type (token should be a non-empty string)");
        json_t *list = json_object_get(req, "plugins");
        json_t *all = list ? json_incref(list) : sy_plugins_packages();
        size_t n = json_array_size(all);
        const char *names[64];
        if (n > 64) n = 64;
        for (size_t i = 0; i < n; i++) names[i] = json_string_value(json_array_get(all, i));
        sy_auth_token_add(token, names, n);
        json_decref(all);
        return token_plugins_reply(tr, token);
    }
    if (!sy_auth_token_exists(token)) return sy_api_error(0, tr, SY_ERR_TOKEN_NOT_FOUND, NULL);
    if (!strcasecmp(verb, "remove_token")) {
        sy_auth_token_remove(token);
        return success(0, tr);
    }
    if ((err = check_plugins(req, tr, true))) return err;
    json_t *p;
    size_t i;
    bool allow = !strcasecmp(verb, "allow_token");
    json_array_foreach(json_object_get(req, "plugins"), i, p)
    {
        if (allow) sy_auth_token_allow(token, json_string_value(p));
        else sy_auth_token_disallow(token, json_string_value(p));
    }
    return token_plugins_reply(tr, token);
}

static json_t *set_int(json_t *req, const char *tr, const char *key, int min, int max, int *out)
{
    json_t *err = sy_req_check(req, 0, tr, (sy_param[]){{key, SY_P_INTEGER | SY_P_REQUIRED}, {NULL, 0}});
    if (err) return err;
    json_int_t v = json_integer_value(json_object_get(req, key));
    if (v < min || v > max)
        return sy_api_error(0, tr, SY_ERR_INVALID_ELEMENT_TYPE,
                            "Invalid element type (%s should be an integer from %d to %d)", key,
                            min, max);
    *out = (int)v;
    return NULL;
}

static json_t *message_plugin(json_t *req, const char *tr, uint64_t sid)
{
    json_t *err = sy_req_check(req, sid, tr,
                               (sy_param[]){{"plugin", SY_P_STRING | SY_P_REQUIRED},
                                            {"request", SY_P_OBJECT | SY_P_REQUIRED},
                                            {NULL, 0}});
    if (err) return err;
    const sy_plugin *p = sy_plugins_find(sy_req_str(req, "plugin"));
    if (!p)
        return sy_api_error(sid, tr, SY_ERR_PLUGIN_NOT_FOUND, "No such plugin '%s'",
                            sy_req_str(req, "plugin"));
    json_t *resp = p->handle_admin_message ? p->handle_admin_message(json_object_get(req, "request"))
                                           : NULL;
    if (!resp)
        return sy_api_error(sid, tr, SY_ERR_PLUGIN_MESSAGE, "Plugin didn't provide any response");
    json_t *r = success(sid, tr);
    json_object_set_new(r, "response", resp);
    return r;
}

static json_t *global_request(const char *verb, json_t *req, const char *tr)
{
    json_t *err;
    if (!strcasecmp(verb, "get_status")) return status(tr);
    if (!strcasecmp(verb, "get_counters")) {
        /* Switchyard's own (not in Janus): media-plane drops and events, all PCs. */
        json_t *r = success(0, tr);
        json_t *c = json_object();
        json_object_set_new(c, "media", sy_media_counters_json());
        json_object_set_new(c, "control", sy_transports_counters());
        json_object_set_new(r, "counters", c);
        return r;
    }
    if (!strcasecmp(verb, "list_sessions")) {
        json_t *r = success(0, tr);
        json_object_set_new(r, "sessions", sy_session_list());
        return r;
    }
    if (!strcasecmp(verb, "set_log_level")) {
        int level;
        if ((err = set_int(req, tr, "level", SY_LOG_NONE, SY_LOG_DBG, &level))) return err;
        sy_log_set_level(level);
        sy_api_config->log_level = level;
        json_t *r = success(0, tr);
        json_object_set_new(r, "level", json_integer(level));
        return r;
    }
    if (!strcasecmp(verb, "set_session_timeout")) {
        int t;
        if ((err = set_int(req, tr, "timeout", 0, 86400, &t))) return err;
        sy_api_config->session_timeout = t;
        json_t *r = success(0, tr);
        json_object_set_new(r, "timeout", json_integer(t));
        return r;
    }
    if (!strcasecmp(verb, "accept_new_sessions")) {
        if ((err = sy_req_check(req, 0, tr,
                                (sy_param[]){{"accept", SY_P_BOOL | SY_P_REQUIRED}, {NULL, 0}})))
            return err;
        sy_api_config->accept_new_sessions = json_is_true(json_object_get(req, "accept"));
        json_t *r = success(0, tr);
        json_object_set_new(r, "accept", json_boolean(sy_api_config->accept_new_sessions));
        return r;
    }
    if (!strcasecmp(verb, "add_token") || !strcasecmp(verb, "list_tokens") ||
        !strcasecmp(verb, "remove_token") || !strcasecmp(verb, "allow_token") ||
        !strcasecmp(verb, "disallow_token"))
        return token_request(verb, req, tr);
    if (!strcasecmp(verb, "message_plugin")) return message_plugin(req, tr, 0);
    return NULL;
}

static json_t *admin_dispatch(json_t *req, const sy_envelope *env)
{
    const char *verb = env->verb, *tr = env->transaction;
    uint64_t sid = env->session_id, hid = env->handle_id;
    if (sid == 0 && hid == 0 && !strcasecmp(verb, "info")) return sy_server_info(tr);
    if (sid == 0 && hid == 0 && !strcasecmp(verb, "ping")) return sy_message_new("pong", 0, tr);
    if (!sy_auth_secret_equal(sy_api_config->admin_secret, sy_req_str(req, "admin_secret")))
        return sy_api_error(sid, tr, SY_ERR_UNAUTHORIZED, NULL);
    if (sid == 0 && hid == 0) {
        json_t *r = global_request(verb, req, tr);
        if (r) return r;
        return sy_api_error(0, tr, SY_ERR_INVALID_REQUEST_PATH,
                            "Unhandled request '%s' at this path", verb);
    }
    sy_session *s = sy_session_find(sid);
    if (!s) return sy_api_error(sid, tr, SY_ERR_SESSION_NOT_FOUND, "No such session %" PRIu64, sid);
    if (!env->has_handle) {
        if (!strcasecmp(verb, "list_handles")) {
            json_t *r = success(sid, tr);
            json_t *arr = json_array();
            GHashTableIter it;
            gpointer k, v;
            g_hash_table_iter_init(&it, s->handles);
            while (g_hash_table_iter_next(&it, &k, &v))
                json_array_append_new(arr, json_integer((json_int_t)((sy_plugin_handle *)v)->id));
            json_object_set_new(r, "handles", arr);
            return r;
        }
        if (!strcasecmp(verb, "destroy_session")) {
            SY_INFO("Admin API: destroying session %" PRIu64, sid);
            sy_session_destroy(s, false);
            return success(sid, tr);
        }
        if (!strcasecmp(verb, "set_session_timeout")) {
            int t;
            json_t *err = set_int(req, tr, "timeout", 0, 86400, &t);
            if (err) return err;
            s->timeout = t;
            json_t *r = success(sid, tr);
            json_object_set_new(r, "timeout", json_integer(t));
            return r;
        }
        return sy_api_error(sid, tr, SY_ERR_INVALID_REQUEST_PATH,
                            "Unhandled request '%s' at this path", verb);
    }
    sy_plugin_handle *h = sy_handle_find(s, hid);
    if (!h)
        return sy_api_error(sid, tr, SY_ERR_HANDLE_NOT_FOUND,
                            "No such handle %" PRIu64 " in session %" PRIu64, hid, sid);
    if (!strcasecmp(verb, "handle_info"))
        return handle_info(s, h, tr, json_is_true(json_object_get(req, "plugin_only")));
    if (!strcasecmp(verb, "detach_handle")) {
        sy_handle_destroy(h, true);
        return success(sid, tr);
    }
    if (!strcasecmp(verb, "hangup_webrtc")) {
        sy_jsep_hangup(h, "Admin API");
        return success(sid, tr);
    }
    if (!strcasecmp(verb, "message_plugin")) return message_plugin(req, tr, sid);
    return sy_api_error(sid, tr, SY_ERR_INVALID_REQUEST_PATH, "Unhandled request '%s' at this path",
                        verb);
}

json_t *sy_api_admin_request(sy_client *client, json_t *req, const sy_request_path *path)
{
    if (!json_is_object(req))
        return sy_api_error(0, NULL, SY_ERR_INVALID_JSON_OBJECT, "JSON error: not an object");
    sy_envelope env;
    json_t *err = sy_req_envelope(req, path, &env);
    if (err) return err;
    return admin_dispatch(req, &env);
}

json_t *sy_api_admin_request_bytes(sy_client *client, const char *data, size_t len,
                                   const sy_request_path *path)
{
    return sy_api_parse_and_handle(client, data, len, path, sy_api_admin_request);
}
