/*
 * janus.plugin.textroom: text chat rooms over data channels (janus-api.md 3.2).
 *
 * Janus API (handle_message, main thread):
 *   setup    -> {"textroom":"event","result":"ok"} + a server JSEP offer with one
 *               m=application (data channel) section; the client answers with "ack".
 *   ack      -> {"textroom":"event","result":"ok"} (the core applies the JSEP answer).
 *   restart  -> a new offer pushed with "restart": true (the core restarts ICE).
 *   list, listparticipants, exists, create, edit, destroy, allowed, kick, announcement:
 *               synchronous; create/edit/destroy reply "created"/"edited"/"destroyed".
 *               Errors: {"textroom":"event","error_code":N,"error":"..."}.
 * Data channel (text JSON, verb in "textroom", "transaction" required):
 *   join, leave, message, announcement and all the management requests above, replied
 *   {"textroom":"success","transaction":T,...} or
 *   {"textroom":"error","error_code":N,"error":"...","transaction":T}.
 *
 * Threads: all room state lives on the main thread. incoming_data (media worker)
 * copies the message and posts it with run_on_main; replies and room events go out
 * with relay_data, which queues to the handle's worker and may be called from here.
 *
 * "permanent": true writes rooms back to switchyard.plugin.textroom.jcfg (rewritten by
 * libconfig: its comments are lost, as with Janus). Not supported (answered with 415):
 * "post" (HTTP backend) in create.
 *
 * string_ids = true (general): room IDs are JSON strings (plugins/common/strid.h keeps
 * the uint64_t IDs inside and converts where they cross the wire).
 */
#include <inttypes.h>
#include <libconfig.h>

#include "../common/jcfg.h"
#include "../common/strid.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "protocol/sdp.h"
#include "protocol/sdp_build.h"
#include "switchyard/plugin.h"

#define TR_ERROR_NO_MESSAGE 411
#define TR_ERROR_INVALID_JSON 412
#define TR_ERROR_MISSING_ELEMENT 413
#define TR_ERROR_INVALID_ELEMENT 414
#define TR_ERROR_INVALID_REQUEST 415
#define TR_ERROR_ALREADY_SETUP 416
#define TR_ERROR_NO_SUCH_ROOM 417
#define TR_ERROR_ROOM_EXISTS 418
#define TR_ERROR_UNAUTHORIZED 419
#define TR_ERROR_USERNAME_EXISTS 420
#define TR_ERROR_ALREADY_IN_ROOM 421
#define TR_ERROR_NOT_IN_ROOM 422
#define TR_ERROR_NO_SUCH_USER 423
#define TR_ERROR_UNKNOWN_ERROR 499

/* Bounds. */
#define TR_MAX_TEXT 65536          /* bytes of a message or announcement text */
#define TR_MAX_NAME 256            /* bytes of a username, display, description, secret */
#define TR_MAX_PARTICIPANTS 1024   /* per room */
#define TR_MAX_HISTORY 100         /* messages kept per room */
#define TR_MAX_ROOMS 4096
#define TR_MAX_ALLOWED 1024        /* tokens in a room's allowed list */
#define TR_MAX_DC_MESSAGE (256 * 1024)

static const sy_core_api *core;

typedef struct tr_session tr_session;

typedef struct tr_participant {
    tr_session *session;
    char *username, *display;
    struct tr_participant *next;
} tr_participant;

typedef struct tr_room {
    uint64_t id;
    char *description, *secret, *pin;
    bool is_private;
    bool check_allowed;
    json_t *allowed; /* array of token strings */
    int history_max;
    json_t *history; /* array of message objects, oldest first */
    tr_participant *parts;
    int nparts;
    struct tr_room *next;
} tr_room;

struct tr_session {
    sy_plugin_handle *h;
    uint64_t sdp_sess_id, sdp_version;
    bool offered; /* setup was sent and the peer connection did not hang up since */
};

/* A data channel message on its way from the media worker to the main thread. */
typedef struct tr_dc_message {
    sy_plugin_handle *h; /* referenced */
    size_t len;
    char data[];
} tr_dc_message;

static tr_room *rooms;
static int nrooms;
static char *admin_key;
static sy_strids ids; /* string_ids: on with its table */

static json_t *id_json(uint64_t id) { return sy_strid_json(&ids, id); }

static const char *id_text(uint64_t id, char *buf, size_t len) { return sy_strid_text(&ids, id, buf, len); }

typedef struct tr_err {
    int code;
    char text[256];
} tr_err;

__attribute__((format(printf, 3, 4))) static json_t *fail(tr_err *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
    e->code = code;
    return NULL;
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = (s && *s) ? strdup(s) : NULL;
}

/* ---- field validation ----
 * spec: "name:t[!],..." with t = u (positive integer), s (string), b (boolean),
 * a (array of strings), r (a room ID: a positive integer, or a string with string_ids);
 * ! marks a required field. */
static bool check_fields(json_t *body, const char *spec, tr_err *e)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", spec);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon) continue;
        *colon = '\0';
        char t = colon[1];
        bool required = colon[2] == '!';
        json_t *v = json_object_get(body, tok);
        if (!v) {
            if (required) {
                fail(e, TR_ERROR_MISSING_ELEMENT, "Missing element (%s)", tok);
                return false;
            }
            continue;
        }
        bool ok;
        const char *what;
        switch (t) {
        case 'u':
            ok = json_is_integer(v) && json_integer_value(v) > 0;
            what = "a positive integer";
            break;
        case 'r':
            what = sy_strid_type_error(&ids, v);
            ok = !what && (ids.on || json_integer_value(v) > 0);
            if (!what) what = "a positive integer";
            break;
        case 'b':
            ok = json_is_boolean(v);
            what = "a boolean";
            break;
        case 'a':
            ok = json_is_array(v);
            what = "an array";
            for (size_t i = 0; ok && i < json_array_size(v); i++) ok = json_is_string(json_array_get(v, i));
            break;
        default:
            ok = json_is_string(v) && strlen(json_string_value(v)) < TR_MAX_NAME;
            what = "a string";
            break;
        }
        if (!ok) {
            fail(e, TR_ERROR_INVALID_ELEMENT, "Invalid element (%s should be %s)", tok, what);
            return false;
        }
    }
    return true;
}

static const char *str_field(json_t *body, const char *name)
{
    return json_string_value(json_object_get(body, name));
}

/* ---- rooms ---- */

static tr_room *room_find(uint64_t id)
{
    for (tr_room *r = rooms; r; r = r->next)
        if (r->id == id) return r;
    return NULL;
}

static tr_room *room_new(uint64_t id)
{
    tr_room *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->id = id;
    r->allowed = json_array();
    r->history = json_array();
    return r;
}

static void room_link(tr_room *r)
{
    /* Appended, so that "list" shows rooms in creation order. */
    tr_room **pp = &rooms;
    while (*pp) pp = &(*pp)->next;
    *pp = r;
    nrooms++;
}

static void participant_free(tr_participant *p)
{
    free(p->username);
    free(p->display);
    free(p);
}

static void room_free(tr_room *r)
{
    while (r->parts) {
        tr_participant *p = r->parts;
        r->parts = p->next;
        participant_free(p);
    }
    sy_strid_unref(&ids, r->id);
    free(r->description);
    free(r->secret);
    free(r->pin);
    json_decref(r->allowed);
    json_decref(r->history);
    free(r);
}

static void room_unlink(tr_room *r)
{
    for (tr_room **pp = &rooms; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            nrooms--;
            return;
        }
    }
}

static tr_participant *by_session(tr_room *r, tr_session *s)
{
    for (tr_participant *p = r->parts; p; p = p->next)
        if (p->session == s) return p;
    return NULL;
}

static tr_participant *by_name(tr_room *r, const char *username)
{
    for (tr_participant *p = r->parts; p; p = p->next)
        if (!strcmp(p->username, username)) return p;
    return NULL;
}

static void participant_unlink(tr_room *r, tr_participant *p)
{
    for (tr_participant **pp = &r->parts; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            r->nparts--;
            return;
        }
    }
}

static void history_add(tr_room *r, json_t *msg)
{
    if (r->history_max <= 0) return;
    json_array_append(r->history, msg);
    while ((int)json_array_size(r->history) > r->history_max) json_array_remove(r->history, 0);
}

/* ---- sending on data channels ---- */

static void send_text(tr_session *s, const char *text)
{
    /* -1 (no association: the PC is gone) and -2 (send buffer full) drop the message. */
    if (s && text) core->relay_data(s->h, NULL, NULL, false, (const uint8_t *)text, strlen(text));
}

static void send_json(tr_session *s, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    send_text(s, text);
    free(text);
}

/* Sends msg to every participant of r except `except` (NULL: everyone). */
static void room_broadcast(tr_room *r, json_t *msg, tr_session *except)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    for (tr_participant *p = r->parts; p; p = p->next)
        if (p->session != except) send_text(p->session, text);
    free(text);
}

static json_t *now_date(void)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", &tm);
    return json_string(buf);
}

/* Removes s from r, telling the others. */
static void leave_room(tr_room *r, tr_participant *p)
{
    participant_unlink(r, p);
    json_t *ev = json_pack("{s:s,s:o,s:s}", "textroom", "leave", "room", id_json(r->id),
                           "username", p->username);
    room_broadcast(r, ev, NULL);
    json_decref(ev);
    participant_free(p);
}

static void leave_all_rooms(tr_session *s)
{
    for (tr_room *r = rooms; r; r = r->next) {
        tr_participant *p = by_session(r, s);
        if (p) leave_room(r, p);
    }
}

/* ---- requests ---- */

static tr_room *get_room(json_t *body, tr_err *e)
{
    if (!check_fields(body, "room:r!", e)) return NULL;
    json_t *v = json_object_get(body, "room");
    tr_room *r = room_find(sy_strid_lookup(&ids, v));
    char buf[24];
    if (!r) fail(e, TR_ERROR_NO_SUCH_ROOM, "No such room (%s)", sy_strid_json_text(v, buf, sizeof(buf)));
    return r;
}

/* Constant time for equal lengths (a secret's length is not hidden). */
static bool secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la && i < lb; i++) d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static bool check_secret(const char *expected, json_t *body, const char *field, tr_err *e)
{
    if (!expected) return true;
    const char *given = str_field(body, field);
    if (!given) {
        fail(e, TR_ERROR_MISSING_ELEMENT, "Missing mandatory element (%s)", field);
        return false;
    }
    if (!secret_equal(given, expected)) {
        fail(e, TR_ERROR_UNAUTHORIZED, "Unauthorized (wrong %s)", field);
        return false;
    }
    return true;
}

static char config_path[1024];

/* "permanent": the room's settings as its config group. */
static void room_fill(config_setting_t *g, const void *room)
{
    const tr_room *r = room;
    cfg_put_str(g, "description", r->description ? r->description : "");
    cfg_put_str(g, "secret", r->secret);
    cfg_put_str(g, "pin", r->pin);
    cfg_put_bool(g, "is_private", r->is_private);
    cfg_put_int(g, "history", r->history_max);
}

/* Writes the room (r) or its removal (r NULL, id) back to the plugin's config file. */
static bool rooms_persist(const tr_room *r, uint64_t id)
{
    char buf[24];
    return cfg_room_persist_name(config_path, id_text(id, buf, sizeof(buf)), r ? room_fill : NULL, r);
}

static bool want_permanent(json_t *body) { return json_is_true(json_object_get(body, "permanent")); }

static json_t *success(const char *name) { return json_pack("{s:s}", "textroom", name); }

static json_t *participants_json(tr_room *r, tr_session *except)
{
    json_t *list = json_array();
    for (tr_participant *p = r->parts; p; p = p->next) {
        if (p->session == except && except) continue;
        json_t *o = json_pack("{s:s}", "username", p->username);
        if (p->display) json_object_set_new(o, "display", json_string(p->display));
        json_array_append_new(list, o);
    }
    return list;
}

static json_t *req_list(json_t *body, tr_err *e)
{
    if (!check_fields(body, "admin_key:s", e)) return NULL;
    const char *key = str_field(body, "admin_key");
    bool admin = admin_key && key && !strcmp(key, admin_key);
    json_t *list = json_array();
    for (tr_room *r = rooms; r; r = r->next) {
        if (r->is_private && !admin) continue;
        json_t *o = json_pack("{s:o,s:s,s:b,s:i}", "room", id_json(r->id), "description",
                              r->description ? r->description : "", "pin_required", r->pin != NULL,
                              "num_participants", r->nparts);
        if (r->history_max > 0) json_object_set_new(o, "history", json_integer(r->history_max));
        json_array_append_new(list, o);
    }
    json_t *res = success("success");
    json_object_set_new(res, "list", list);
    return res;
}

static json_t *req_listparticipants(json_t *body, tr_err *e)
{
    tr_room *r = get_room(body, e);
    if (!r) return NULL;
    json_t *res = success("success");
    json_object_set_new(res, "room", id_json(r->id));
    json_object_set_new(res, "participants", participants_json(r, NULL));
    return res;
}

static json_t *req_exists(json_t *body, tr_err *e)
{
    if (!check_fields(body, "room:r!", e)) return NULL;
    json_t *v = json_object_get(body, "room");
    return json_pack("{s:s,s:O,s:b}", "textroom", "success", "room", v, "exists",
                     room_find(sy_strid_lookup(&ids, v)) != NULL);
}

static bool set_allowed(tr_room *r, json_t *list, bool add, tr_err *e)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *tok = json_string_value(json_array_get(list, i));
        size_t j;
        json_t *v;
        bool found = false;
        json_array_foreach(r->allowed, j, v) {
            if (!strcmp(json_string_value(v), tok)) {
                found = true;
                break;
            }
        }
        if (add && !found) {
            if (json_array_size(r->allowed) >= TR_MAX_ALLOWED) {
                fail(e, TR_ERROR_INVALID_ELEMENT, "Too many allowed tokens (max %d)", TR_MAX_ALLOWED);
                return false;
            }
            json_array_append_new(r->allowed, json_string(tok));
        } else if (!add && found) {
            json_array_remove(r->allowed, j);
        }
    }
    return true;
}

static json_t *req_create(json_t *body, bool dc, tr_err *e)
{
    if (!check_fields(body, "room:r,admin_key:s,description:s,secret:s,pin:s,is_private:b,"
                            "history:u,post:s,permanent:b,allowed:a", e))
        return NULL;
    if (admin_key && !check_secret(admin_key, body, "admin_key", e)) return NULL;
    if (json_object_get(body, "post"))
        return fail(e, TR_ERROR_INVALID_REQUEST, "The HTTP backend (post) is not supported by Switchyard yet");
    if (nrooms >= TR_MAX_ROOMS) return fail(e, TR_ERROR_UNKNOWN_ERROR, "Too many rooms (max %d)", TR_MAX_ROOMS);
    json_t *hist = json_object_get(body, "history");
    if (hist && json_integer_value(hist) > TR_MAX_HISTORY)
        return fail(e, TR_ERROR_INVALID_ELEMENT, "Invalid element (history should be at most %d)",
                    TR_MAX_HISTORY);
    json_t *allowed = json_object_get(body, "allowed");
    if (allowed && json_array_size(allowed) > TR_MAX_ALLOWED)
        return fail(e, TR_ERROR_INVALID_ELEMENT, "Too many allowed tokens (max %d)", TR_MAX_ALLOWED);
    json_t *rv = json_object_get(body, "room");
    char buf[24];
    uint64_t id = rv ? sy_strid_lookup(&ids, rv) : 0;
    if (id && room_find(id))
        return fail(e, TR_ERROR_ROOM_EXISTS, "Room %s already exists", sy_strid_json_text(rv, buf, sizeof(buf)));
    if (!ids.on) {
        while (!id || room_find(id)) id = core->random_id();
    } else {
        char uuid[37];
        const char *sid = json_string_value(rv);
        while (!sid) { /* as Janus: a random UUID */
            sy_strid_uuid(uuid, core->random_id);
            uint64_t n = sy_strid_find(&ids, uuid);
            if (!n || !room_find(n)) sid = uuid;
        }
        if (!(id = sy_strid_ref(&ids, sid))) return fail(e, TR_ERROR_UNKNOWN_ERROR, "Out of memory");
    }
    tr_room *r = room_new(id);
    if (!r) {
        sy_strid_unref(&ids, id);
        return fail(e, TR_ERROR_UNKNOWN_ERROR, "Out of memory");
    }
    const char *desc = str_field(body, "description");
    char dflt[300];
    snprintf(dflt, sizeof(dflt), "Room %s", id_text(id, buf, sizeof(buf)));
    set_str(&r->description, desc && *desc ? desc : dflt);
    set_str(&r->secret, str_field(body, "secret"));
    set_str(&r->pin, str_field(body, "pin"));
    r->is_private = json_is_true(json_object_get(body, "is_private"));
    r->history_max = (int)json_integer_value(hist);
    if (allowed) {
        r->check_allowed = true;
        set_allowed(r, allowed, true, e);
    }
    bool permanent = want_permanent(body);
    if (permanent && !rooms_persist(r, id)) {
        room_free(r);
        return fail(e, TR_ERROR_UNKNOWN_ERROR, "Could not write the room to %s", config_path);
    }
    room_link(r);
    return json_pack("{s:s,s:o,s:b}", "textroom", dc ? "success" : "created", "room", id_json(id),
                     "permanent", permanent);
}

static json_t *req_edit(json_t *body, bool dc, tr_err *e)
{
    if (!check_fields(body, "room:r!,secret:s,new_description:s,new_secret:s,new_pin:s,"
                            "new_is_private:b,new_history:u,permanent:b", e))
        return NULL;
    tr_room *r = get_room(body, e);
    if (!r || !check_secret(r->secret, body, "secret", e)) return NULL;
    json_t *nh = json_object_get(body, "new_history");
    if (nh && json_integer_value(nh) > TR_MAX_HISTORY)
        return fail(e, TR_ERROR_INVALID_ELEMENT, "Invalid element (new_history should be at most %d)",
                    TR_MAX_HISTORY);
    json_t *v;
    if ((v = json_object_get(body, "new_description")) && *json_string_value(v))
        set_str(&r->description, json_string_value(v));
    if ((v = json_object_get(body, "new_secret"))) set_str(&r->secret, json_string_value(v));
    if ((v = json_object_get(body, "new_pin"))) set_str(&r->pin, json_string_value(v));
    if ((v = json_object_get(body, "new_is_private"))) r->is_private = json_is_true(v);
    if (nh) {
        r->history_max = (int)json_integer_value(nh);
        while ((int)json_array_size(r->history) > r->history_max) json_array_remove(r->history, 0);
    }
    bool permanent = want_permanent(body);
    if (permanent && !rooms_persist(r, r->id))
        return fail(e, TR_ERROR_UNKNOWN_ERROR, "Could not write the room to %s", config_path);
    return json_pack("{s:s,s:o,s:b}", "textroom", dc ? "success" : "edited", "room", id_json(r->id),
                     "permanent", permanent);
}

static json_t *req_destroy(json_t *body, bool dc, tr_err *e)
{
    if (!check_fields(body, "room:r!,secret:s,permanent:b", e)) return NULL;
    tr_room *r = get_room(body, e);
    if (!r || !check_secret(r->secret, body, "secret", e)) return NULL;
    bool permanent = want_permanent(body);
    if (permanent && !rooms_persist(NULL, r->id))
        return fail(e, TR_ERROR_UNKNOWN_ERROR, "Could not remove the room from %s", config_path);
    json_t *ev = json_pack("{s:s,s:o}", "textroom", "destroyed", "room", id_json(r->id));
    room_broadcast(r, ev, NULL);
    json_decref(ev);
    json_t *res = json_pack("{s:s,s:o,s:b}", "textroom", dc ? "success" : "destroyed", "room",
                            id_json(r->id), "permanent", permanent);
    room_unlink(r);
    room_free(r); /* releases the ID */
    return res;
}

static json_t *req_allowed(json_t *body, tr_err *e)
{
    if (!check_fields(body, "room:r!,secret:s,action:s!,allowed:a", e)) return NULL;
    tr_room *r = get_room(body, e);
    if (!r || !check_secret(r->secret, body, "secret", e)) return NULL;
    const char *action = str_field(body, "action");
    json_t *list = json_object_get(body, "allowed");
    bool add = !strcmp(action, "add"), del = !strcmp(action, "remove");
    if (!add && !del && strcmp(action, "enable") != 0 && strcmp(action, "disable") != 0)
        return fail(e, TR_ERROR_INVALID_ELEMENT, "Unsupported action '%s' (allowed)", action);
    if ((add || del) && (!list || !json_array_size(list)))
        return fail(e, TR_ERROR_MISSING_ELEMENT, "Missing element (allowed)");
    if (!strcmp(action, "enable")) r->check_allowed = true;
    else if (!strcmp(action, "disable")) r->check_allowed = false;
    else if (!set_allowed(r, list, add, e)) return NULL;
    json_t *res = json_pack("{s:s,s:o}", "textroom", "success", "room", id_json(r->id));
    if (r->check_allowed) json_object_set(res, "allowed", r->allowed);
    return res;
}

static json_t *req_kick(json_t *body, tr_err *e)
{
    if (!check_fields(body, "room:r!,secret:s,username:s!", e)) return NULL;
    tr_room *r = get_room(body, e);
    if (!r || !check_secret(r->secret, body, "secret", e)) return NULL;
    const char *username = str_field(body, "username");
    tr_participant *p = by_name(r, username);
    char buf[24];
    if (!p) return fail(e, TR_ERROR_NO_SUCH_USER, "No such user %s in room %s", username, id_text(r->id, buf, sizeof(buf)));
    /* Everyone, the kicked participant included, hears about it. */
    json_t *ev = json_pack("{s:s,s:o,s:s}", "textroom", "kicked", "room", id_json(r->id), "username",
                           username);
    room_broadcast(r, ev, NULL);
    json_decref(ev);
    participant_unlink(r, p);
    participant_free(p);
    return success("success");
}

static json_t *req_announcement(json_t *body, tr_err *e)
{
    if (!check_fields(body, "room:r!,secret:s", e)) return NULL;
    json_t *text = json_object_get(body, "text");
    if (!text) return fail(e, TR_ERROR_MISSING_ELEMENT, "Missing element (text)");
    if (!json_is_string(text)) return fail(e, TR_ERROR_INVALID_ELEMENT, "Invalid element (text should be a string)");
    if (strlen(json_string_value(text)) > TR_MAX_TEXT)
        return fail(e, TR_ERROR_INVALID_ELEMENT, "Text too long (max %d bytes)", TR_MAX_TEXT);
    tr_room *r = get_room(body, e);
    if (!r || !check_secret(r->secret, body, "secret", e)) return NULL;
    json_t *msg = json_pack("{s:s,s:o,s:o,s:O}", "textroom", "announcement", "room", id_json(r->id),
                            "date", now_date(), "text", text);
    room_broadcast(r, msg, NULL);
    history_add(r, msg);
    json_decref(msg);
    return success("success");
}

static bool token_allowed(tr_room *r, const char *token)
{
    if (!r->check_allowed) return true;
    if (!token) return false;
    size_t i;
    json_t *v;
    json_array_foreach(r->allowed, i, v)
        if (!strcmp(json_string_value(v), token)) return true;
    return false;
}

/* after: set to an array of messages to send after the reply (the history). */
static json_t *req_join(tr_session *s, json_t *body, json_t **after, tr_err *e)
{
    if (!check_fields(body, "room:r!,username:s!,display:s,pin:s,token:s,history:b", e)) return NULL;
    tr_room *r = get_room(body, e);
    if (!r) return NULL;
    if (!check_secret(r->pin, body, "pin", e)) return NULL; /* missing 413, wrong 419 */
    if (!token_allowed(r, str_field(body, "token")))
        return fail(e, TR_ERROR_UNAUTHORIZED, "Unauthorized (not in the allowed list)");
    const char *username = str_field(body, "username");
    if (!*username) return fail(e, TR_ERROR_INVALID_ELEMENT, "Invalid element (username should not be empty)");
    char buf[24];
    if (by_session(r, s)) return fail(e, TR_ERROR_ALREADY_IN_ROOM, "Already in room %s", id_text(r->id, buf, sizeof(buf)));
    if (by_name(r, username)) return fail(e, TR_ERROR_USERNAME_EXISTS, "Username '%s' already taken", username);
    if (r->nparts >= TR_MAX_PARTICIPANTS)
        return fail(e, TR_ERROR_UNKNOWN_ERROR, "Room %s is full (max %d participants)",
                    id_text(r->id, buf, sizeof(buf)), TR_MAX_PARTICIPANTS);
    tr_participant *p = calloc(1, sizeof(*p));
    if (!p) return fail(e, TR_ERROR_UNKNOWN_ERROR, "Out of memory");
    p->session = s;
    p->username = strdup(username);
    const char *display = str_field(body, "display");
    p->display = display && *display ? strdup(display) : NULL;
    json_t *others = participants_json(r, NULL);
    json_t *ev = json_pack("{s:s,s:o,s:s}", "textroom", "join", "room", id_json(r->id), "username",
                           username);
    if (p->display) json_object_set_new(ev, "display", json_string(p->display));
    room_broadcast(r, ev, NULL);
    json_decref(ev);
    /* Appended: participants are listed in joining order. */
    tr_participant **pp = &r->parts;
    while (*pp) pp = &(*pp)->next;
    *pp = p;
    r->nparts++;
    json_t *hist = json_object_get(body, "history");
    if ((!hist || json_is_true(hist)) && json_array_size(r->history)) *after = json_copy(r->history);
    json_t *res = success("success");
    json_object_set_new(res, "participants", others);
    return res;
}

static json_t *req_leave(tr_session *s, json_t *body, tr_err *e)
{
    tr_room *r = get_room(body, e);
    if (!r) return NULL;
    tr_participant *p = by_session(r, s);
    char buf[24];
    if (!p) return fail(e, TR_ERROR_NOT_IN_ROOM, "Not in room %s", id_text(r->id, buf, sizeof(buf)));
    leave_room(r, p);
    return success("success");
}

/* *reply_wanted is cleared when the sender asked for no ack. */
static json_t *req_message(tr_session *s, json_t *body, bool *reply_wanted, tr_err *e)
{
    if (!check_fields(body, "room:r!,to:s,tos:a,ack:b", e)) return NULL;
    json_t *text = json_object_get(body, "text");
    if (!text) return fail(e, TR_ERROR_MISSING_ELEMENT, "Missing element (text)");
    if (!json_is_string(text)) return fail(e, TR_ERROR_INVALID_ELEMENT, "Invalid element (text should be a string)");
    if (strlen(json_string_value(text)) > TR_MAX_TEXT)
        return fail(e, TR_ERROR_INVALID_ELEMENT, "Text too long (max %d bytes)", TR_MAX_TEXT);
    tr_room *r = get_room(body, e);
    if (!r) return NULL;
    tr_participant *me = by_session(r, s);
    char buf[24];
    if (!me) return fail(e, TR_ERROR_NOT_IN_ROOM, "Not in room %s", id_text(r->id, buf, sizeof(buf)));
    json_t *to = json_object_get(body, "to"), *tos = json_object_get(body, "tos");
    bool whisper = to || tos;
    json_t *msg = json_pack("{s:s,s:o,s:s,s:o,s:O,s:b}", "textroom", "message", "room", id_json(r->id),
                            "from", me->username, "date", now_date(), "text", text, "whisper", whisper);
    if (whisper) {
        char *out = json_dumps(msg, JSON_COMPACT);
        /* Each named participant gets it once, however often it is named. */
        json_t *names = json_array();
        if (to) json_array_append(names, to);
        size_t i;
        json_t *v;
        json_array_foreach(tos, i, v) json_array_append(names, v);
        for (tr_participant *p = r->parts; p; p = p->next) {
            json_array_foreach(names, i, v) {
                if (!strcmp(json_string_value(v), p->username)) {
                    send_text(p->session, out);
                    break;
                }
            }
        }
        json_decref(names);
        free(out);
    } else {
        room_broadcast(r, msg, NULL);
        history_add(r, msg);
    }
    json_decref(msg);
    json_t *ack = json_object_get(body, "ack");
    if (ack && !json_is_true(ack)) *reply_wanted = false;
    return success("success");
}

/* One request over the data channel (dc) or the Janus API. Returns the reply (without
 * transaction), or NULL with e set (or with *reply_wanted false: no reply at all). */
static json_t *tr_request(tr_session *s, const char *verb, json_t *body, bool dc, json_t **after,
                          bool *reply_wanted, tr_err *e)
{
    if (!strcasecmp(verb, "list")) return req_list(body, e);
    if (!strcasecmp(verb, "listparticipants")) return req_listparticipants(body, e);
    if (!strcasecmp(verb, "exists")) return req_exists(body, e);
    if (!strcasecmp(verb, "create")) return req_create(body, dc, e);
    if (!strcasecmp(verb, "edit")) return req_edit(body, dc, e);
    if (!strcasecmp(verb, "destroy")) return req_destroy(body, dc, e);
    if (!strcasecmp(verb, "allowed")) return req_allowed(body, e);
    if (!strcasecmp(verb, "kick")) return req_kick(body, e);
    if (!strcasecmp(verb, "announcement")) return req_announcement(body, e);
    if (dc) {
        if (!strcasecmp(verb, "join")) return req_join(s, body, after, e);
        if (!strcasecmp(verb, "leave")) return req_leave(s, body, e);
        if (!strcasecmp(verb, "message")) return req_message(s, body, reply_wanted, e);
    }
    return fail(e, TR_ERROR_INVALID_REQUEST, "Unknown request '%s'", verb);
}

/* ---- the data channel (media worker -> main thread) ---- */

static void dc_send_error(tr_session *s, const char *transaction, int code, const char *text)
{
    json_t *m = json_pack("{s:s,s:i,s:s}", "textroom", "error", "error_code", code, "error", text);
    if (transaction) json_object_set_new(m, "transaction", json_string(transaction));
    send_json(s, m);
    json_decref(m);
}

static void dc_process(void *arg)
{
    tr_dc_message *m = arg;
    tr_session *s = core->get_plugin_data(m->h);
    if (!s) goto done;
    json_error_t jerr;
    json_t *root = json_loadb(m->data, m->len, 0, &jerr);
    if (!root || !json_is_object(root)) {
        dc_send_error(s, NULL, TR_ERROR_INVALID_JSON, "JSON error: not an object");
        json_decref(root);
        goto done;
    }
    json_t *jt = json_object_get(root, "transaction");
    const char *transaction = json_string_value(jt);
    const char *verb = json_string_value(json_object_get(root, "textroom"));
    if (!transaction) {
        dc_send_error(s, NULL, jt ? TR_ERROR_INVALID_ELEMENT : TR_ERROR_MISSING_ELEMENT,
                      jt ? "Invalid element (transaction should be a string)" : "Missing element (transaction)");
    } else if (!verb) {
        if (json_object_get(root, "textroom"))
            dc_send_error(s, transaction, TR_ERROR_INVALID_ELEMENT, "Invalid element (textroom should be a string)");
        else
            dc_send_error(s, transaction, TR_ERROR_MISSING_ELEMENT, "Missing element (textroom)");
    } else {
        tr_err e = {0, ""};
        json_t *after = NULL;
        bool reply_wanted = true;
        json_t *res = tr_request(s, verb, root, true, &after, &reply_wanted, &e);
        if (res) {
            if (reply_wanted) {
                json_object_set_new(res, "transaction", json_string(transaction));
                send_json(s, res);
            }
            json_decref(res);
        } else {
            dc_send_error(s, transaction, e.code ? e.code : TR_ERROR_UNKNOWN_ERROR, e.text);
        }
        size_t i;
        json_t *v;
        json_array_foreach(after, i, v) send_json(s, v);
        json_decref(after);
    }
    json_decref(root);
done:
    core->handle_unref(m->h);
    free(m);
}

static void tr_incoming_data(sy_plugin_handle *h, const char *label, const char *protocol, bool binary,
                             const uint8_t *buf, size_t len)
{
    if (!len || len > TR_MAX_DC_MESSAGE) return;
    tr_dc_message *m = malloc(sizeof(*m) + len);
    if (!m) return;
    memcpy(m->data, buf, len);
    m->len = len;
    m->h = h;
    core->handle_ref(h);
    if (core->run_on_main(dc_process, m) < 0) {
        core->handle_unref(h);
        free(m);
    }
}

/* ---- the Janus API ---- */

static json_t *api_error(int code, const char *text)
{
    return json_pack("{s:s,s:i,s:s}", "textroom", "event", "error_code", code, "error", text);
}

static void push_error(sy_plugin_handle *h, const char *tr, int code, const char *text)
{
    json_t *ev = api_error(code, text);
    core->push_event(h, tr, ev, NULL);
    json_decref(ev);
}

static char *make_offer(tr_session *s)
{
    sy_sdp_offer_media media = {.type = SY_SDP_APPLICATION, .mid = "d", .direction = SY_SDP_SENDRECV};
    sy_sdp_offer_opts opts = {.sess_id = s->sdp_sess_id, .sess_version = ++s->sdp_version,
                              .session_name = "Switchyard TextRoom plugin", .media = &media, .n_media = 1};
    sy_sdp *offer = NULL;
    char err[128];
    if (sy_sdp_generate_offer(&opts, &offer, err, sizeof(err)) < 0) return NULL;
    size_t len = 0;
    char *text = sy_sdp_write(offer, &len);
    sy_sdp_free(offer);
    return text;
}

static sy_plugin_result tr_handle_message(sy_plugin_handle *h, const char *tr, json_t *body, json_t *jsep)
{
    sy_plugin_result res = {SY_PLUGIN_OK, NULL, NULL};
    tr_session *s = core->get_plugin_data(h);
    if (!s) {
        res.type = SY_PLUGIN_ERROR;
        res.text = "No session associated with this handle";
        return res;
    }
    json_t *jr = json_object_get(body, "request");
    const char *request = json_string_value(jr);
    if (!request) {
        res.content = jr ? api_error(TR_ERROR_INVALID_ELEMENT, "Invalid element (request should be a string)")
                         : api_error(TR_ERROR_MISSING_ELEMENT, "Missing element (request)");
        return res;
    }
    bool setup = !strcasecmp(request, "setup"), restart = !strcasecmp(request, "restart");
    if (setup || restart || !strcasecmp(request, "ack")) {
        res.type = SY_PLUGIN_OK_WAIT;
        if (setup || restart) {
            if (setup && s->offered) {
                push_error(h, tr, TR_ERROR_ALREADY_SETUP, "PeerConnection already setup");
                return res;
            }
            if (restart && !s->offered) {
                push_error(h, tr, TR_ERROR_INVALID_REQUEST, "PeerConnection not setup");
                return res;
            }
            char *sdp = make_offer(s);
            if (!sdp) {
                push_error(h, tr, TR_ERROR_UNKNOWN_ERROR, "Error generating the offer");
                return res;
            }
            json_t *offer = json_pack("{s:s,s:s}", "type", "offer", "sdp", sdp);
            free(sdp);
            if (restart) json_object_set_new(offer, "restart", json_true());
            s->offered = true;
            json_t *ev = json_pack("{s:s,s:s}", "textroom", "event", "result", "ok");
            core->push_event(h, tr, ev, offer);
            json_decref(ev);
            json_decref(offer);
            return res;
        }
        /* ack: the core applied the answer already. */
        const char *type = jsep ? json_string_value(json_object_get(jsep, "type")) : NULL;
        if (type && strcmp(type, "answer") != 0) {
            push_error(h, tr, TR_ERROR_INVALID_ELEMENT, "Unexpected offer: ack carries an answer");
            return res;
        }
        json_t *ev = json_pack("{s:s,s:s}", "textroom", "event", "result", "ok");
        core->push_event(h, tr, ev, NULL);
        json_decref(ev);
        return res;
    }
    tr_err e = {0, ""};
    bool reply_wanted = true;
    json_t *reply = tr_request(s, request, body, false, NULL, &reply_wanted, &e);
    res.content = reply ? reply : api_error(e.code ? e.code : TR_ERROR_UNKNOWN_ERROR, e.text);
    return res;
}

/* ---- configuration ---- */


static int rooms_load(const char *config_dir)
{
    char *path = config_path;
    snprintf(config_path, sizeof(config_path), "%s/switchyard.plugin.textroom.jcfg",
             config_dir ? config_dir : ".");
    FILE *f = fopen(path, "r");
    if (!f) return 0; /* no file: no rooms */
    fclose(f);
    config_t cfg;
    config_init(&cfg);
    if (!config_read_file(&cfg, path)) {
        fprintf(stderr, "[textroom] %s:%d: %s\n", path, config_error_line(&cfg), config_error_text(&cfg));
        config_destroy(&cfg);
        return -1;
    }
    config_setting_t *root = config_root_setting(&cfg);
    char buf[TR_MAX_NAME];
    config_setting_t *general = config_setting_get_member(root, "general");
    if (general) {
        const char *k = cfg_str(general, "admin_key", buf, sizeof(buf));
        if (k && *k) admin_key = strdup(k);
    }
    sy_strids_init(&ids, general && cfg_bool(general, "string_ids", false));
    int rc = 0;
    for (int i = 0; i < config_setting_length(root); i++) {
        config_setting_t *g = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(g);
        unsigned long long id;
        if (!cfg_room_group(g, &id)) continue;
        if (ids.on) { /* room-<string>: taken unless bad, a duplicate or one too many */
            json_t *sid = json_string(name + 5);
            bool ok = sid && !sy_strid_type_error(&ids, sid) && !room_find(sy_strid_find(&ids, name + 5)) &&
                      nrooms < TR_MAX_ROOMS;
            json_decref(sid);
            id = ok ? sy_strid_ref(&ids, name + 5) : 0;
        }
        if (!id || (!ids.on && room_find(id)) || nrooms >= TR_MAX_ROOMS) {
            fprintf(stderr, "[textroom] skipping %s: bad or duplicate room ID, or too many rooms\n", name);
            continue;
        }
        tr_room *r = room_new(id);
        if (!r) {
            sy_strid_unref(&ids, id);
            rc = -1;
            break;
        }
        char dflt[300], ibuf[24];
        snprintf(dflt, sizeof(dflt), "Room %s", id_text(id, ibuf, sizeof(ibuf)));
        const char *v = cfg_str(g, "description", buf, sizeof(buf));
        set_str(&r->description, v && *v ? v : dflt);
        set_str(&r->secret, cfg_str(g, "secret", buf, sizeof(buf)));
        set_str(&r->pin, cfg_str(g, "pin", buf, sizeof(buf)));
        r->is_private = cfg_bool(g, "is_private", false);
        v = cfg_str(g, "history", buf, sizeof(buf));
        long long hist = v ? strtoll(v, NULL, 10) : 0;
        r->history_max = hist < 0 ? 0 : hist > TR_MAX_HISTORY ? TR_MAX_HISTORY : (int)hist;
        if (config_setting_get_member(g, "post"))
            fprintf(stderr, "[textroom] %s: post (HTTP backend) is not supported: ignored\n", name);
        room_link(r);
    }
    config_destroy(&cfg);
    return rc;
}

/* ---- plugin callbacks ---- */

static int tr_init(const sy_core_api *api, const char *config_dir)
{
    core = api;
    return rooms_load(config_dir);
}

static void tr_destroy(void)
{
    while (rooms) {
        tr_room *r = rooms;
        rooms = r->next;
        room_free(r);
    }
    nrooms = 0;
    free(admin_key);
    admin_key = NULL;
    sy_strids_free(&ids);
}

static int tr_create_session(sy_plugin_handle *h)
{
    tr_session *s = calloc(1, sizeof(*s));
    if (!s) return -1;
    s->h = h;
    s->sdp_sess_id = core->random_id();
    core->set_plugin_data(h, s);
    return 0;
}

static void tr_destroy_session(sy_plugin_handle *h)
{
    tr_session *s = core->get_plugin_data(h);
    if (!s) return;
    core->set_plugin_data(h, NULL);
    leave_all_rooms(s);
    free(s);
}

static void tr_hangup_media(sy_plugin_handle *h)
{
    tr_session *s = core->get_plugin_data(h);
    if (!s) return;
    /* Without a peer connection there is no data channel: leave every room (as Janus). */
    leave_all_rooms(s);
    s->offered = false;
}

static json_t *tr_query_session(sy_plugin_handle *h)
{
    tr_session *s = core->get_plugin_data(h);
    if (!s) return NULL;
    json_t *list = json_array();
    for (tr_room *r = rooms; r; r = r->next) {
        tr_participant *p = by_session(r, s);
        if (p) json_array_append_new(list, json_pack("{s:o,s:s}", "room", id_json(r->id), "username", p->username));
    }
    return json_pack("{s:b,s:o}", "setup", s->offered, "rooms", list);
}

static const sy_plugin textroom = {
    .api_version = SY_PLUGIN_API_VERSION,
    .package = "janus.plugin.textroom",
    .name = "TextRoom",
    .description = "Text chat rooms over data channels",
    .author = "The Switchyard developers",
    .version_string = "0.1.0",
    .version = 100,
    .init = tr_init,
    .destroy = tr_destroy,
    .create_session = tr_create_session,
    .handle_message = tr_handle_message,
    .destroy_session = tr_destroy_session,
    .query_session = tr_query_session,
    .hangup_media = tr_hangup_media,
    .incoming_data = tr_incoming_data,
};

__attribute__((visibility("default"))) const sy_plugin *switchyard_plugin_create(void)
{
    return &textroom;
}
