/*
 * VideoRoom rooms: the configuration file, and the synchronous requests (create, edit,
 * destroy, exists, list, listparticipants, kick). Main thread only.
 */
#include <inttypes.h>
#include <libconfig.h>

#include "../common/jcfg.h"
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vr.h"

static vr_room *rooms;
static char *admin_key;
static unsigned next_worker;
sy_strids vr_ids; /* string_ids: on with its table */

json_t *vr_error(int code, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return json_pack("{s:s,s:i,s:s}", "videoroom", "event", "error_code", code, "error", text);
}

int vr_check_field(json_t *body, const char *name, json_type type, bool required, json_t **error)
{
    json_t *v = json_object_get(body, name);
    if (!v) {
        if (required) *error = vr_error(VR_ERROR_MISSING_ELEMENT, "Missing element (%s)", name);
        return required ? -1 : 0;
    }
    bool ok = type == JSON_TRUE      ? json_is_boolean(v)
              : type == JSON_INTEGER ? json_is_integer(v) && json_integer_value(v) >= 0
              : type == JSON_ARRAY   ? json_is_array(v)
                                     : json_is_string(v);
    if (!ok) {
        *error = vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (%s should be %s)", name,
                          type == JSON_TRUE      ? "a boolean"
                          : type == JSON_INTEGER ? "a positive integer"
                          : type == JSON_ARRAY   ? "an array"
                                                 : "a string");
        return -1;
    }
    return 0;
}

/* ---- IDs ---- */

int vr_id_field(json_t *body, const char *name, bool required, uint64_t *id, json_t **error)
{
    json_t *v = json_object_get(body, name);
    *id = 0;
    if (!v) {
        if (required) *error = vr_error(VR_ERROR_MISSING_ELEMENT, "Missing element (%s)", name);
        return required ? -1 : 0;
    }
    const char *want = sy_strid_type_error(&vr_ids, v);
    if (want) {
        *error = vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (%s should be %s)", name, want);
        return -1;
    }
    *id = sy_strid_lookup(&vr_ids, v);
    return 0;
}

json_t *vr_id_json(uint64_t id) { return sy_strid_json(&vr_ids, id); }

const char *vr_id_text(uint64_t id, char *buf, size_t len) { return sy_strid_text(&vr_ids, id, buf, len); }

int vr_id_take(json_t *v, bool (*exists)(void *ctx, uint64_t id), void *ctx, uint64_t *id)
{
    if (!vr_ids.on) {
        uint64_t n = v ? (uint64_t)json_integer_value(v) : 0;
        if (n && exists(ctx, n)) return -1;
        while (!n || exists(ctx, n)) n = vr_core->random_id();
        *id = n;
        return 0;
    }
    const char *s = json_string_value(v);
    char uuid[37];
    if (s) {
        uint64_t n = sy_strid_find(&vr_ids, s);
        if (n && exists(ctx, n)) return -1;
    } else {
        uint64_t n;
        do {
            sy_strid_uuid(uuid, vr_core->random_id);
            n = sy_strid_find(&vr_ids, uuid);
        } while (n && exists(ctx, n));
        s = uuid;
    }
    *id = sy_strid_ref(&vr_ids, s);
    return *id ? 0 : -2;
}

void vr_id_release(uint64_t id) { sy_strid_unref(&vr_ids, id); }

static bool room_exists(void *ctx, uint64_t id)
{
    (void)ctx;
    return vr_room_find(id) != NULL;
}

vr_room *vr_room_find(uint64_t id)
{
    for (vr_room *r = rooms; r; r = r->next)
        if (r->id == id) return r;
    return NULL;
}

int vr_room_worker(vr_room *r)
{
    if (r->worker < 0) {
        int n = vr_core->worker_count();
        r->worker = n > 0 ? (int)(next_worker++ % (unsigned)n) : 0;
    }
    return r->worker;
}

static void room_free(vr_room *r)
{
    vr_id_release(r->id);
    free(r->description);
    free(r->secret);
    free(r->pin);
    json_decref(r->allowed);
    free(r);
}

static vr_room *room_new(uint64_t id)
{
    vr_room *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->id = id;
    if (!(r->allowed = json_array())) {
        free(r);
        return NULL;
    }
    r->max_publishers = 3;
    r->worker = -1;
    r->audio_active_packets = 100;
    r->audio_level_average = 25;
    snprintf(r->audiocodec, sizeof(r->audiocodec), "opus");
    snprintf(r->videocodec, sizeof(r->videocodec), "vp8");
    return r;
}

static void room_link(vr_room *r)
{
    r->next = rooms;
    rooms = r;
}

static void room_unlink(vr_room *r)
{
    for (vr_room **pp = &rooms; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            return;
        }
    }
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = v && *v ? strdup(v) : NULL;
}

/* ---- configuration file ---- */

static char config_path[1024];

/* "permanent": the room's settings as its config group. */
static void room_fill(config_setting_t *g, const void *room)
{
    const vr_room *r = room;
    cfg_put_str(g, "description", r->description);
    cfg_put_str(g, "secret", r->secret);
    cfg_put_str(g, "pin", r->pin);
    cfg_put_bool(g, "is_private", r->is_private);
    cfg_put_bool(g, "require_pvtid", r->require_pvtid);
    cfg_put_bool(g, "signed_tokens", r->signed_tokens);
    cfg_put_bool(g, "notify_joining", r->notify_joining);
    cfg_put_int(g, "publishers", r->max_publishers);
    cfg_put_int(g, "bitrate", r->bitrate);
    cfg_put_bool(g, "bitrate_cap", r->bitrate_cap);
    cfg_put_int(g, "fir_freq", r->fir_freq);
    cfg_put_str(g, "audiocodec", r->audiocodec);
    cfg_put_str(g, "videocodec", r->videocodec);
    cfg_put_bool(g, "audiolevel_event", r->audiolevel_event);
    cfg_put_int(g, "audio_active_packets", r->audio_active_packets);
    cfg_put_int(g, "audio_level_average", r->audio_level_average);
}

/* Writes the room (r) or its removal (r NULL, id) back to the plugin's config file. */
static bool rooms_persist(const vr_room *r, uint64_t id)
{
    char buf[24];
    return cfg_room_persist_name(config_path, vr_id_text(id, buf, sizeof(buf)), r ? room_fill : NULL, r);
}

int vr_rooms_load(const char *config_dir)
{
    char *path = config_path;
    snprintf(config_path, sizeof(config_path), "%s/switchyard.plugin.videoroom.jcfg",
             config_dir ? config_dir : ".");
    FILE *f = fopen(path, "r");
    if (!f) return 0; /* no file: no rooms, defaults */
    fclose(f);
    config_t cfg;
    config_init(&cfg);
    if (!config_read_file(&cfg, path)) {
        fprintf(stderr, "[videoroom] %s:%d: %s\n", path, config_error_line(&cfg),
                config_error_text(&cfg));
        config_destroy(&cfg);
        return -1;
    }
    config_setting_t *root = config_root_setting(&cfg);
    char buf[64];
    config_setting_t *general = config_setting_get_member(root, "general");
    if (general) {
        const char *k = cfg_str(general, "admin_key", buf, sizeof(buf));
        if (k && *k) admin_key = strdup(k);
    }
    sy_strids_init(&vr_ids, general && cfg_bool(general, "string_ids", false));
    int rc = 0;
    for (int i = 0; i < config_setting_length(root); i++) {
        config_setting_t *g = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(g);
        unsigned long long id;
        if (!cfg_room_group(g, &id)) continue;
        if (vr_ids.on) { /* room-<string> */
            json_t *sid = json_string(name + 5);
            uint64_t n = 0;
            if (sid && !sy_strid_type_error(&vr_ids, sid) && vr_id_take(sid, room_exists, NULL, &n) < 0)
                n = 0;
            json_decref(sid);
            id = n;
        }
        if (!id || vr_room_find(id)) {
            fprintf(stderr, "[videoroom] skipping %s: bad or duplicate room ID\n", name);
            continue;
        }
        vr_room *r = room_new(id);
        if (!r) {
            vr_id_release(id);
            rc = -1;
            break;
        }
        const char *v;
        char dflt[300];
        snprintf(dflt, sizeof(dflt), "Room %s", vr_id_text(id, buf, sizeof(buf)));
        v = cfg_str(g, "description", buf, sizeof(buf));
        set_str(&r->description, v ? v : dflt);
        set_str(&r->secret, cfg_str(g, "secret", buf, sizeof(buf)));
        set_str(&r->pin, cfg_str(g, "pin", buf, sizeof(buf)));
        r->is_private = cfg_bool(g, "is_private", false);
        r->require_pvtid = cfg_bool(g, "require_pvtid", false);
        r->signed_tokens = cfg_bool(g, "signed_tokens", false);
        r->notify_joining = cfg_bool(g, "notify_joining", false);
        r->max_publishers = (int)cfg_int(g, "publishers", 3);
        long long br = cfg_int(g, "bitrate", 0);
        r->bitrate = br > 0 && br <= UINT32_MAX ? (uint32_t)br : 0;
        long long ff = cfg_int(g, "fir_freq", 0);
        r->fir_freq = ff > 0 && ff <= 3600 ? (int)ff : 0;
        r->bitrate_cap = cfg_bool(g, "bitrate_cap", false);
        r->audiolevel_event = cfg_bool(g, "audiolevel_event", false);
        long long ap = cfg_int(g, "audio_active_packets", 100), al = cfg_int(g, "audio_level_average", 25);
        r->audio_active_packets = ap > 0 && ap <= 100000 ? (int)ap : 100;
        r->audio_level_average = al > 0 && al <= 127 ? (int)al : 25;
        if ((v = cfg_str(g, "audiocodec", buf, sizeof(buf))) && vr_codec_list_valid(v, false))
            snprintf(r->audiocodec, sizeof(r->audiocodec), "%s", v);
        if ((v = cfg_str(g, "videocodec", buf, sizeof(buf))) && vr_codec_list_valid(v, true))
            snprintf(r->videocodec, sizeof(r->videocodec), "%s", v);
        room_link(r);
    }
    config_destroy(&cfg);
    return rc;
}

void vr_rooms_free(void)
{
    while (rooms) {
        vr_room *r = rooms;
        rooms = r->next;
        room_free(r);
    }
    free(admin_key);
    admin_key = NULL;
    sy_strids_free(&vr_ids);
}

/* ---- helpers ---- */

void vr_broadcast(vr_room *r, const vr_participant *except, json_t *ev)
{
    for (vr_participant *p = r->participants; p; p = p->next)
        if (p != except) vr_core->push_event(p->handle, NULL, ev, NULL);
}

static int count_participants(const vr_room *r)
{
    int n = 0;
    for (const vr_participant *p = r->participants; p; p = p->next) n++;
    for (const vr_subscriber *s = r->subscribers; s; s = s->next) n++;
    return n;
}

/* Constant time for equal lengths. */
static bool secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la && i < lb; i++) d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* The room secret check of Janus: missing 429, wrong 433. NULL when fine. */
static json_t *check_secret(const char *secret, json_t *body, const char *field)
{
    if (!secret) return NULL;
    json_t *err = NULL;
    if (vr_check_field(body, field, JSON_STRING, true, &err) < 0) return err;
    if (!secret_equal(secret, json_string_value(json_object_get(body, field))))
        return vr_error(VR_ERROR_UNAUTHORIZED, "Unauthorized (wrong %s)", field);
    return NULL;
}

/* Finds the room named by body.room: NULL and *err on failure. */
static vr_room *room_from(json_t *body, json_t **err)
{
    uint64_t id;
    if (vr_id_field(body, "room", true, &id, err) < 0) return NULL;
    vr_room *r = vr_room_find(id);
    char buf[24];
    if (!r)
        *err = vr_error(VR_ERROR_NO_SUCH_ROOM, "No such room (%s)",
                        sy_strid_json_text(json_object_get(body, "room"), buf, sizeof(buf)));
    return r;
}

/* ---- allowed tokens ---- */

#define VR_MAX_ALLOWED 1024 /* tokens in a room's allowed list */

/* An "allowed" array must hold strings only, and not too many. */
static json_t *check_tokens(json_t *list)
{
    if (!list) return NULL;
    if (json_array_size(list) > VR_MAX_ALLOWED)
        return vr_error(VR_ERROR_INVALID_ELEMENT, "Too many allowed tokens (max %d)", VR_MAX_ALLOWED);
    for (size_t i = 0; i < json_array_size(list); i++)
        if (!json_is_string(json_array_get(list, i)))
            return vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (allowed should contain strings)");
    return NULL;
}

static size_t token_index(const vr_room *r, const char *tok)
{
    for (size_t i = 0; i < json_array_size(r->allowed); i++)
        if (!strcmp(json_string_value(json_array_get(r->allowed, i)), tok)) return i;
    return (size_t)-1;
}

/* Adds (or removes) the tokens of a checked list; adding stops at VR_MAX_ALLOWED. */
static void set_allowed(vr_room *r, json_t *list, bool add)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *tok = json_string_value(json_array_get(list, i));
        size_t at = token_index(r, tok);
        if (add && at == (size_t)-1 && json_array_size(r->allowed) < VR_MAX_ALLOWED)
            json_array_append_new(r->allowed, json_string(tok));
        else if (!add && at != (size_t)-1)
            json_array_remove(r->allowed, at);
    }
}

/* signed_tokens rooms: every join (publisher or subscriber) carries a token signed by the
 * core's token_auth_secret for this plugin that lists "room=<id>" (Janus's rule). */
json_t *vr_check_signed(const vr_room *r, json_t *body)
{
    if (!r->signed_tokens) return NULL;
    const char *tok = json_string_value(json_object_get(body, "token"));
    char item[300], buf[24];
    snprintf(item, sizeof(item), "room=%s", vr_id_text(r->id, buf, sizeof(buf)));
    if (!tok || !vr_core->auth_signature_contains("janus.plugin.videoroom", tok, item))
        return vr_error(VR_ERROR_UNAUTHORIZED, "Unauthorized (no token or not a valid token for this room)");
    return NULL;
}

json_t *vr_check_token(const vr_room *r, json_t *body)
{
    if (!r->check_allowed) return NULL;
    const char *tok = json_string_value(json_object_get(body, "token"));
    if (!tok || token_index(r, tok) == (size_t)-1)
        return vr_error(VR_ERROR_UNAUTHORIZED, "Unauthorized (not in the allowed list)");
    return NULL;
}

/* allowed {room, secret, action: enable|disable|add|remove, allowed?} */
static json_t *req_allowed(json_t *body)
{
    json_t *err = NULL;
    vr_room *r = room_from(body, &err);
    if (!r) return err;
    if (vr_check_field(body, "secret", JSON_STRING, false, &err) < 0 ||
        vr_check_field(body, "action", JSON_STRING, true, &err) < 0 ||
        vr_check_field(body, "allowed", JSON_ARRAY, false, &err) < 0)
        return err;
    if ((err = check_secret(r->secret, body, "secret"))) return err;
    const char *action = json_string_value(json_object_get(body, "action"));
    json_t *list = json_object_get(body, "allowed");
    bool add = !strcmp(action, "add"), del = !strcmp(action, "remove");
    if (!add && !del && strcmp(action, "enable") != 0 && strcmp(action, "disable") != 0)
        return vr_error(VR_ERROR_INVALID_ELEMENT, "Unsupported action '%s' (allowed)", action);
    if ((add || del) && !json_array_size(list))
        return vr_error(VR_ERROR_MISSING_ELEMENT, "Missing element (allowed)");
    if ((err = check_tokens(list))) return err;
    if (!strcmp(action, "enable")) r->check_allowed = true;
    else if (!strcmp(action, "disable")) r->check_allowed = false;
    else set_allowed(r, list, add);
    json_t *res = json_pack("{s:s,s:o}", "videoroom", "success", "room", vr_id_json(r->id));
    /* As Janus: the list, except after disable. */
    if (strcmp(action, "disable") != 0) json_object_set(res, "allowed", r->allowed);
    return res;
}

/* ---- requests ---- */

/* A (type-checked) integer field stored in an int: refused above INT_MAX rather than
 * wrapped (2^32 publishers must not become 0). NULL when fine. */
static json_t *int_in_range(json_t *body, const char *field)
{
    json_t *v = json_object_get(body, field);
    if (v && json_integer_value(v) > INT_MAX)
        return vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (%s should be at most %d)", field,
                        INT_MAX);
    return NULL;
}

static json_t *req_create(json_t *body)
{
    static const struct {
        const char *name;
        json_type type;
    } fields[] = {
        {"description", JSON_STRING},  {"secret", JSON_STRING},
        {"pin", JSON_STRING},           {"is_private", JSON_TRUE},     {"publishers", JSON_INTEGER},
        {"bitrate", JSON_INTEGER},      {"fir_freq", JSON_INTEGER},    {"audiocodec", JSON_STRING},
        {"videocodec", JSON_STRING},    {"notify_joining", JSON_TRUE}, {"require_pvtid", JSON_TRUE},
        {"signed_tokens", JSON_TRUE},
        {"admin_key", JSON_STRING},     {"permanent", JSON_TRUE},      {"record", JSON_TRUE},
        {"bitrate_cap", JSON_TRUE},     {"audiolevel_event", JSON_TRUE},
        {"audio_active_packets", JSON_INTEGER}, {"audio_level_average", JSON_INTEGER},
        {"allowed", JSON_ARRAY},
    };
    json_t *err = NULL;
    uint64_t id;
    if (vr_id_field(body, "room", false, &id, &err) < 0) return err;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (vr_check_field(body, fields[i].name, fields[i].type, false, &err) < 0) return err;
    if ((err = check_tokens(json_object_get(body, "allowed")))) return err;
    if (admin_key && (err = check_secret(admin_key, body, "admin_key"))) return err;
    if ((err = int_in_range(body, "publishers")) || (err = int_in_range(body, "fir_freq")))
        return err;
    if (json_is_true(json_object_get(body, "record")))
        return vr_error(VR_ERROR_UNKNOWN_ERROR, "Recording is not supported yet");
    const char *ac = json_string_value(json_object_get(body, "audiocodec"));
    const char *vc = json_string_value(json_object_get(body, "videocodec"));
    if (ac && !vr_codec_list_valid(ac, false))
        return vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (audiocodec)");
    if (vc && !vr_codec_list_valid(vc, true))
        return vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (videocodec)");
    if ((ac && strlen(ac) >= 64) || (vc && strlen(vc) >= 64))
        return vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (codec list too long)");
    json_t *rv = json_object_get(body, "room");
    char buf[24];
    int rc = vr_id_take(rv, room_exists, NULL, &id);
    if (rc == -1)
        return vr_error(VR_ERROR_ROOM_EXISTS, "Room %s already exists", sy_strid_json_text(rv, buf, sizeof(buf)));
    vr_room *r = rc == 0 ? room_new(id) : NULL;
    if (!r) {
        if (rc == 0) vr_id_release(id);
        return vr_error(VR_ERROR_UNKNOWN_ERROR, "Out of memory");
    }
    const char *d = json_string_value(json_object_get(body, "description"));
    char dflt[300];
    snprintf(dflt, sizeof(dflt), "Room %s", vr_id_text(id, buf, sizeof(buf)));
    set_str(&r->description, d && *d ? d : dflt);
    set_str(&r->secret, json_string_value(json_object_get(body, "secret")));
    set_str(&r->pin, json_string_value(json_object_get(body, "pin")));
    r->is_private = json_is_true(json_object_get(body, "is_private"));
    r->notify_joining = json_is_true(json_object_get(body, "notify_joining"));
    r->require_pvtid = json_is_true(json_object_get(body, "require_pvtid"));
    r->signed_tokens = json_is_true(json_object_get(body, "signed_tokens"));
    json_t *v;
    if ((v = json_object_get(body, "publishers"))) r->max_publishers = (int)json_integer_value(v);
    if ((v = json_object_get(body, "bitrate")))
        r->bitrate = json_integer_value(v) > UINT32_MAX ? UINT32_MAX : (uint32_t)json_integer_value(v);
    if ((v = json_object_get(body, "fir_freq")))
        r->fir_freq = json_integer_value(v) > 3600 ? 3600 : (int)json_integer_value(v);
    r->bitrate_cap = json_is_true(json_object_get(body, "bitrate_cap"));
    r->audiolevel_event = json_is_true(json_object_get(body, "audiolevel_event"));
    if ((v = json_object_get(body, "audio_active_packets")) && json_integer_value(v) > 0 &&
        json_integer_value(v) <= 100000)
        r->audio_active_packets = (int)json_integer_value(v);
    if ((v = json_object_get(body, "audio_level_average")) && json_integer_value(v) > 0 &&
        json_integer_value(v) <= 127)
        r->audio_level_average = (int)json_integer_value(v);
    if (ac) snprintf(r->audiocodec, sizeof(r->audiocodec), "%s", ac);
    if (vc) snprintf(r->videocodec, sizeof(r->videocodec), "%s", vc);
    json_t *allowed = json_object_get(body, "allowed");
    if (allowed) {
        r->check_allowed = true;
        set_allowed(r, allowed, true);
    }
    room_link(r);
    bool permanent = json_is_true(json_object_get(body, "permanent"));
    if (permanent && !rooms_persist(r, id)) {
        room_unlink(r);
        room_free(r);
        return vr_error(VR_ERROR_UNKNOWN_ERROR, "Could not write the room to %s", config_path);
    }
    return json_pack("{s:s,s:o,s:b}", "videoroom", "created", "room", vr_id_json(id), "permanent",
                     permanent);
}

static json_t *req_edit(json_t *body)
{
    static const struct {
        const char *name;
        json_type type;
    } fields[] = {
        {"secret", JSON_STRING},          {"new_description", JSON_STRING},
        {"new_secret", JSON_STRING},      {"new_pin", JSON_STRING},
        {"new_is_private", JSON_TRUE},    {"new_require_pvtid", JSON_TRUE},
        {"new_bitrate", JSON_INTEGER},    {"new_fir_freq", JSON_INTEGER},
        {"new_publishers", JSON_INTEGER}, {"permanent", JSON_TRUE},
    };
    json_t *err = NULL;
    vr_room *r = room_from(body, &err);
    if (!r) return err;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (vr_check_field(body, fields[i].name, fields[i].type, false, &err) < 0) return err;
    if ((err = check_secret(r->secret, body, "secret"))) return err;
    if ((err = int_in_range(body, "new_publishers")) || (err = int_in_range(body, "new_fir_freq")))
        return err;
    json_t *v;
    if ((v = json_object_get(body, "new_description")) && *json_string_value(v))
        set_str(&r->description, json_string_value(v));
    if ((v = json_object_get(body, "new_secret"))) set_str(&r->secret, json_string_value(v));
    if ((v = json_object_get(body, "new_pin"))) set_str(&r->pin, json_string_value(v));
    if ((v = json_object_get(body, "new_is_private"))) r->is_private = json_is_true(v);
    if ((v = json_object_get(body, "new_require_pvtid"))) r->require_pvtid = json_is_true(v);
    if ((v = json_object_get(body, "new_bitrate")))
        r->bitrate = json_integer_value(v) > UINT32_MAX ? UINT32_MAX : (uint32_t)json_integer_value(v);
    if ((v = json_object_get(body, "new_fir_freq")))
        r->fir_freq = json_integer_value(v) > 3600 ? 3600 : (int)json_integer_value(v);
    if ((v = json_object_get(body, "new_publishers"))) r->max_publishers = (int)json_integer_value(v);
    if (json_object_get(body, "new_bitrate") || json_object_get(body, "new_fir_freq"))
        vr_room_media_params_changed(r);
    if (json_is_true(json_object_get(body, "permanent")) && !rooms_persist(r, r->id))
        return vr_error(VR_ERROR_UNKNOWN_ERROR, "Edited, but could not write the room to %s", config_path);
    return json_pack("{s:s,s:o}", "videoroom", "edited", "room", vr_id_json(r->id));
}

static json_t *req_destroy(json_t *body)
{
    json_t *err = NULL;
    vr_room *r = room_from(body, &err);
    if (!r) return err;
    if (vr_check_field(body, "permanent", JSON_TRUE, false, &err) < 0) return err;
    if ((err = check_secret(r->secret, body, "secret"))) return err;
    uint64_t id = r->id;
    if (json_is_true(json_object_get(body, "permanent")) && !rooms_persist(NULL, id))
        return vr_error(VR_ERROR_UNKNOWN_ERROR, "Could not remove the room from %s", config_path);
    vr_room_evict_all(r);
    for (vr_room **pp = &rooms; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    json_t *res = json_pack("{s:s,s:o}", "videoroom", "destroyed", "room", vr_id_json(id));
    room_free(r); /* releases the ID */
    return res;
}

static json_t *req_exists(json_t *body)
{
    json_t *err = NULL;
    uint64_t id;
    if (vr_id_field(body, "room", true, &id, &err) < 0) return err;
    return json_pack("{s:s,s:O,s:b}", "videoroom", "success", "room", json_object_get(body, "room"),
                     "exists", vr_room_find(id) != NULL);
}

static json_t *room_info(const vr_room *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "room", vr_id_json(r->id));
    json_object_set_new(o, "description", json_string(r->description));
    json_object_set_new(o, "pin_required", json_boolean(r->pin != NULL));
    json_object_set_new(o, "is_private", json_boolean(r->is_private));
    json_object_set_new(o, "max_publishers", json_integer(r->max_publishers));
    json_object_set_new(o, "bitrate", json_integer(r->bitrate));
    if (r->bitrate_cap) json_object_set_new(o, "bitrate_cap", json_true());
    json_object_set_new(o, "fir_freq", json_integer(r->fir_freq));
    json_object_set_new(o, "require_pvtid", json_boolean(r->require_pvtid));
    json_object_set_new(o, "require_e2ee", json_false());
    json_object_set_new(o, "dummy_publisher", json_false());
    json_object_set_new(o, "notify_joining", json_boolean(r->notify_joining));
    json_object_set_new(o, "audiocodec", json_string(r->audiocodec));
    json_object_set_new(o, "videocodec", json_string(r->videocodec));
    json_object_set_new(o, "record", json_false());
    json_object_set_new(o, "lock_record", json_false());
    json_object_set_new(o, "num_participants", json_integer(count_participants(r)));
    json_object_set_new(o, "audiolevel_ext", json_true());
    json_object_set_new(o, "audiolevel_event", json_boolean(r->audiolevel_event));
    if (r->audiolevel_event) {
        json_object_set_new(o, "audio_active_packets", json_integer(r->audio_active_packets));
        json_object_set_new(o, "audio_level_average", json_integer(r->audio_level_average));
    }
    json_object_set_new(o, "videoorient_ext", json_false());
    json_object_set_new(o, "playoutdelay_ext", json_false());
    json_object_set_new(o, "transport_wide_cc_ext", json_true());
    return o;
}

static json_t *req_list(json_t *body)
{
    json_t *err = NULL;
    if (vr_check_field(body, "admin_key", JSON_STRING, false, &err) < 0) return err;
    const char *key = json_string_value(json_object_get(body, "admin_key"));
    bool all = admin_key && key && secret_equal(admin_key, key);
    json_t *list = json_array();
    for (vr_room *r = rooms; r; r = r->next)
        if (!r->is_private || all) json_array_append_new(list, room_info(r));
    json_t *o = json_pack("{s:s}", "videoroom", "success");
    json_object_set_new(o, "list", list);
    return o;
}

static json_t *req_listparticipants(json_t *body)
{
    json_t *err = NULL;
    vr_room *r = room_from(body, &err);
    if (!r) return err;
    json_t *list = json_array();
    for (vr_participant *p = r->participants; p; p = p->next) {
        json_t *o = json_pack("{s:o,s:b}", "id", vr_id_json(p->id), "publisher", p->active);
        if (p->display) json_object_set_new(o, "display", json_string(p->display));
        if (r->audiolevel_event && p->active)
            json_object_set_new(o, "talking", json_boolean(vr_participant_talking(p)));
        json_array_append_new(list, o);
    }
    json_t *o = json_pack("{s:s,s:o}", "videoroom", "participants", "room", vr_id_json(r->id));
    json_object_set_new(o, "participants", list);
    return o;
}

static json_t *req_kick(json_t *body)
{
    json_t *err = NULL;
    vr_room *r = room_from(body, &err);
    if (!r) return err;
    if ((err = check_secret(r->secret, body, "secret"))) return err;
    uint64_t id;
    if (vr_id_field(body, "id", true, &id, &err) < 0) return err;
    char buf[24], rbuf[24];
    if (!vr_find_participant(r, id))
        return vr_error(VR_ERROR_NO_SUCH_FEED, "No such user %s in room %s",
                        sy_strid_json_text(json_object_get(body, "id"), buf, sizeof(buf)),
                        vr_id_text(r->id, rbuf, sizeof(rbuf)));
    char text[600];
    int code = vr_room_kick(r, id, text, sizeof(text));
    if (code) return vr_error(code, "%s", text);
    return json_pack("{s:s}", "videoroom", "success");
}

json_t *vr_rooms_handle_sync(const char *request, json_t *body)
{
    if (!strcasecmp(request, "create")) return req_create(body);
    if (!strcasecmp(request, "edit")) return req_edit(body);
    if (!strcasecmp(request, "destroy")) return req_destroy(body);
    if (!strcasecmp(request, "exists")) return req_exists(body);
    if (!strcasecmp(request, "list")) return req_list(body);
    if (!strcasecmp(request, "listparticipants")) return req_listparticipants(body);
    if (!strcasecmp(request, "kick")) return req_kick(body);
    if (!strcasecmp(request, "allowed")) return req_allowed(body);
    if (!strcasecmp(request, "moderate")) {
        json_t *err = NULL;
        vr_room *r = room_from(body, &err);
        if (!r) return err;
        if ((err = check_secret(r->secret, body, "secret"))) return err;
        return vr_room_moderate(r, body);
    }
    static const char *const later[] = {
        "enable_recording", "listforwarders", "rtp_forward",
        "stop_rtp_forward", "add_remote_publisher", "update_remote_publisher",
        "remove_remote_publisher", "publish_remotely", "unpublish_remotely", "listremotes",
        "list_remotes",
    };
    for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
        if (!strcasecmp(request, later[i]))
            return vr_error(VR_ERROR_UNKNOWN_ERROR, "Request '%s' is not supported yet", request);
    return NULL;
}
