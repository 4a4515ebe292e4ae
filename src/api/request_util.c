#include "api/request_util.h"

#include "api/errors.h"

static const char *type_words(unsigned flags)
{
    if (flags & SY_P_STRING) return "a string";
    if (flags & SY_P_INTEGER) return (flags & SY_P_POSITIVE) ? "a positive integer" : "an integer";
    if (flags & SY_P_BOOL) return "a boolean";
    if (flags & SY_P_OBJECT) return "an object";
    if (flags & SY_P_ARRAY) return "an array";
    return "valid";
}

static bool type_ok(json_t *v, unsigned flags)
{
    if ((flags & SY_P_STRING) && json_is_string(v)) return true;
    if ((flags & SY_P_INTEGER) && json_is_integer(v))
        return !(flags & SY_P_POSITIVE) || json_integer_value(v) > 0;
    if ((flags & SY_P_BOOL) && json_is_boolean(v)) return true;
    if ((flags & SY_P_OBJECT) && json_is_object(v)) return true;
    if ((flags & SY_P_ARRAY) && json_is_array(v)) return true;
    return false;
}

json_t *sy_req_check(json_t *obj, uint64_t session_id, const char *transaction,
                     const sy_param *params)
{
    for (const sy_param *p = params; p->name; p++) {
        json_t *v = json_object_get(obj, p->name);
        if (!v || json_is_null(v)) {
            if (p->flags & SY_P_REQUIRED)
                return sy_api_error(session_id, transaction, SY_ERR_MISSING_MANDATORY_ELEMENT,
                                    "Missing mandatory element (%s)", p->name);
            continue;
        }
        if (!type_ok(v, p->flags))
            return sy_api_error(session_id, transaction, SY_ERR_INVALID_ELEMENT_TYPE,
                                "Invalid element type (%s should be %s)", p->name,
                                type_words(p->flags));
    }
    return NULL;
}

const char *sy_req_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* An ID member: absent, null and non-integers count as 0 (as Janus reads them). */
static uint64_t body_id(json_t *req, const char *key, bool *present)
{
    json_t *v = json_object_get(req, key);
    if (!v || json_is_null(v) || !json_is_integer(v)) {
        *present = false;
        return 0;
    }
    *present = true;
    /* Janus reads IDs into a guint64: a negative value becomes a large one, which
     * then fails the lookup with 458/459. */
    return (uint64_t)json_integer_value(v);
}

json_t *sy_req_envelope(json_t *req, const sy_request_path *path, sy_envelope *env)
{
    json_t *tr = json_object_get(req, "transaction");
    const char *trs = json_is_string(tr) ? json_string_value(tr) : NULL;
    json_t *err = sy_req_check(req, 0, trs,
                               (sy_param[]){{"transaction", SY_P_STRING | SY_P_REQUIRED},
                                            {"janus", SY_P_STRING | SY_P_REQUIRED},
                                            {"id", SY_P_INTEGER | SY_P_POSITIVE},
                                            {NULL, 0}});
    if (err) return err;
    env->transaction = trs;
    env->verb = sy_req_str(req, "janus");
    bool s_present = false, h_present = false;
    uint64_t sid = body_id(req, "session_id", &s_present);
    uint64_t hid = body_id(req, "handle_id", &h_present);
    if (path && path->session_id) {
        if (s_present && sid != path->session_id)
            return sy_api_error(sid, trs, SY_ERR_INVALID_REQUEST_PATH,
                                "Conflicting session ID (payload and path)");
        sid = path->session_id;
    }
    if (path && path->handle_id) {
        if (h_present && hid != path->handle_id)
            return sy_api_error(sid, trs, SY_ERR_INVALID_REQUEST_PATH,
                                "Conflicting handle ID (payload and path)");
        hid = path->handle_id;
        h_present = true;
    }
    env->session_id = sid;
    env->handle_id = hid;
    env->has_handle = h_present;
    return NULL;
}
