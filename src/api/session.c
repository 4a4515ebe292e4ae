/*
 * Sessions, handles, event delivery, the session watchdog, and the core API offered
 * to plugins (including its hop from other threads to the main loop).
 */
#include "api/session.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/errors.h"
#include "api/ids.h"
#include "core/log.h"
#include "core/workers.h"
#include "media/pc.h"

sy_config *sy_api_config;
uv_loop_t *sy_api_loop;

static GHashTable *sessions; /* id -> sy_session* */
static uv_timer_t watchdog;

/* Work that plugins hand to the main loop from other threads. */
typedef enum { TASK_EVENT, TASK_END_HANDLE, TASK_SESSION_EVENT, TASK_JSEP_EVENT, TASK_CALL, TASK_CLOSE_PC } task_type;
typedef struct core_task {
    task_type type;
    sy_plugin_handle *handle; /* referenced */
    json_t *msg;              /* TASK_EVENT: the complete message */
    void (*fn)(void *);       /* TASK_CALL */
    void *arg;
} core_task;
static uv_mutex_t tasks_lock;
static GQueue tasks = G_QUEUE_INIT;
static uv_async_t tasks_async;
static bool tasks_ready;

static void post_task(task_type type, sy_plugin_handle *h, json_t *msg);


json_t *sy_message_new(const char *verb, uint64_t session_id, const char *transaction)
{
    json_t *m = json_object();
    json_object_set_new(m, "janus", json_string(verb));
    if (session_id > 0) json_object_set_new(m, "session_id", json_integer((json_int_t)session_id));
    if (transaction) json_object_set_new(m, "transaction", json_string(transaction));
    return m;
}

void sy_session_send(sy_session *s, json_t *msg)
{
    if (s && s->client && !s->client->gone && s->client->ops->send)
        s->client->ops->send(s->client, s->id, msg);
    else
        json_decref(msg);
}

/* ---- handles ---- */

/* Handle objects in memory: attached ones plus detached ones still referenced (a
 * peer connection holds its handle until the PC is freed on its worker), so this
 * returning to its baseline also means every PC is gone. Admin get_status. */
static atomic_size_t handles_alive;

size_t sy_handles_alive(void) { return atomic_load(&handles_alive); }

void sy_handle_ref(sy_plugin_handle *h) { atomic_fetch_add(&h->refcount, 1); }

void sy_handle_unref(sy_plugin_handle *h)
{
    if (atomic_fetch_sub(&h->refcount, 1) != 1) return;
    atomic_fetch_sub(&handles_alive, 1);
    free(h->opaque_id);
    free(h->token);
    free(h);
}

static void free_candidate(gpointer p)
{
    sy_queued_candidate *c = p;
    json_decref(c->candidate);
    free(c);
}

static void handle_table_unref(gpointer p) { sy_handle_unref(p); }

sy_plugin_handle *sy_handle_create(sy_session *s, const sy_plugin *plugin, const char *opaque_id,
                                   const char *token, int *err)
{
    if (g_hash_table_size(s->handles) >= SY_MAX_HANDLES_PER_SESSION) {
        *err = SY_ERR_PLUGIN_ATTACH;
        return NULL;
    }
    sy_plugin_handle *h = calloc(1, sizeof(*h));
    if (!h) {
        *err = SY_ERR_PLUGIN_ATTACH;
        return NULL;
    }
    atomic_fetch_add(&handles_alive, 1);
    atomic_init(&h->refcount, 1);
    atomic_init(&h->destroyed, false);
    do {
        h->id = sy_random_id();
    } while (g_hash_table_contains(s->handles, &h->id));
    h->session_id = s->id;
    h->session = s;
    h->plugin = plugin;
    h->opaque_id = opaque_id ? strdup(opaque_id) : NULL;
    h->token = token ? strdup(token) : NULL;
    h->created_us = g_get_monotonic_time();
    h->pending_candidates = g_queue_new();
    h->worker_hint = -1;
    /* Visible before create_session so that a plugin may push events from it. */
    g_hash_table_insert(s->handles, &h->id, h);
    int rc = plugin->create_session(h);
    if (rc < 0) {
        atomic_store(&h->destroyed, true);
        h->session = NULL;
        g_queue_free_full(h->pending_candidates, free_candidate);
        h->pending_candidates = NULL;
        g_hash_table_remove(s->handles, &h->id); /* drops the table's reference */
        *err = SY_ERR_PLUGIN_ATTACH;
        return NULL;
    }
    return h;
}

sy_plugin_handle *sy_handle_find(sy_session *s, uint64_t id)
{
    return s ? g_hash_table_lookup(s->handles, &id) : NULL;
}

void sy_handle_destroy(sy_plugin_handle *h, bool notify)
{
    if (atomic_exchange(&h->destroyed, true)) return;
    sy_session *s = h->session;
    sy_handle_ref(h); /* keep it while the table lets go */
    /* No media callback may run once the plugin forgets the handle. */
    if (h->pc) sy_pc_close(h->pc, notify ? "Detach" : NULL);
    h->plugin->destroy_session(h);
    if (notify && s) {
        json_t *m = sy_message_new("detached", s->id, NULL);
        json_object_set_new(m, "sender", json_integer((json_int_t)h->id));
        if (h->opaque_id && sy_api_config->opaqueid_in_api)
            json_object_set_new(m, "opaque_id", json_string(h->opaque_id));
        /* Deferred, so that the reply to a "detach" goes out before this event. */
        post_task(TASK_SESSION_EVENT, h, m);
    }
    g_queue_free_full(h->pending_candidates, free_candidate);
    h->pending_candidates = NULL;
    h->session = NULL;
    if (s) g_hash_table_remove(s->handles, &h->id);
    sy_handle_unref(h);
}

void sy_handle_queue_candidate(sy_plugin_handle *h, json_t *candidate)
{
    if (!h->pending_candidates) return;
    if (json_is_object(candidate) && json_is_true(json_object_get(candidate, "completed"))) {
        h->trickle_completed = true;
    }
    /* Bounded: a client may not grow server memory by trickling forever. */
    while (g_queue_get_length(h->pending_candidates) >= SY_MAX_PENDING_CANDIDATES)
        free_candidate(g_queue_pop_head(h->pending_candidates));
    sy_queued_candidate *c = calloc(1, sizeof(*c));
    c->candidate = json_deep_copy(candidate);
    c->received_ms = uv_now(sy_api_loop);
    g_queue_push_tail(h->pending_candidates, c);
}

static void expire_candidates(sy_plugin_handle *h, uint64_t now)
{
    uint64_t max_age = (uint64_t)sy_api_config->candidates_timeout * 1000;
    while (h->pending_candidates && !g_queue_is_empty(h->pending_candidates)) {
        sy_queued_candidate *c = g_queue_peek_head(h->pending_candidates);
        if (now - c->received_ms < max_age) break;
        free_candidate(g_queue_pop_head(h->pending_candidates));
    }
}

/* ---- sessions ---- */

static void session_free(sy_session *s)
{
    g_hash_table_destroy(s->handles);
    free(s);
}

sy_session *sy_session_create(sy_client *client, uint64_t requested_id)
{
    sy_session *s = calloc(1, sizeof(*s));
    if (requested_id) {
        s->id = requested_id;
    } else {
        do {
            s->id = sy_random_id();
        } while (g_hash_table_contains(sessions, &s->id));
    }
    s->client = client;
    s->timeout = -1;
    s->last_activity_ms = uv_now(sy_api_loop);
    s->created_us = g_get_monotonic_time();
    s->handles = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, handle_table_unref);
    g_hash_table_insert(sessions, &s->id, s);
    if (client && client->ops->session_created) client->ops->session_created(client, s->id);
    return s;
}

sy_session *sy_session_find(uint64_t id) { return g_hash_table_lookup(sessions, &id); }

void sy_session_touch(sy_session *s) { s->last_activity_ms = uv_now(sy_api_loop); }

void sy_session_destroy(sy_session *s, bool timeout)
{
    if (!g_hash_table_steal(sessions, &s->id)) return;
    /* Destroy handles one at a time: a plugin callback may not touch this table. */
    GList *hs = g_hash_table_get_values(s->handles);
    for (GList *l = hs; l; l = l->next) sy_handle_destroy(l->data, false);
    g_list_free(hs);
    sy_client *c = s->client;
    s->client = NULL;
    if (c && c->ops->session_over) c->ops->session_over(c, s->id, timeout, false);
    session_free(s);
}

void sy_session_claim(sy_session *s, sy_client *client)
{
    sy_client *old = s->client;
    s->gone_since_ms = 0;
    if (old == client) return;
    if (old && old->ops->session_over) old->ops->session_over(old, s->id, false, true);
    s->client = client;
    if (client->ops->session_created) client->ops->session_created(client, s->id);
}

size_t sy_session_count(void) { return sessions ? g_hash_table_size(sessions) : 0; }
size_t sy_api_session_count(void) { return sy_session_count(); }

json_t *sy_session_list(void)
{
    json_t *arr = json_array();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, sessions);
    while (g_hash_table_iter_next(&it, &k, &v))
        json_array_append_new(arr, json_integer((json_int_t)((sy_session *)v)->id));
    return arr;
}

void sy_api_client_gone(sy_client *client)
{
    if (!client || !sessions) return;
    client->gone = true;
    GList *owned = NULL;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, sessions);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (((sy_session *)v)->client == client) owned = g_list_prepend(owned, v);
    uint64_t now = uv_now(sy_api_loop);
    for (GList *l = owned; l; l = l->next) {
        sy_session *s = l->data;
        s->client = NULL; /* the client is going away: no session_over to it */
        if (sy_api_config->reclaim_session_timeout > 0) {
            s->gone_since_ms = now ? now : 1;
            SY_VERB("Session %" PRIu64 ": transport gone, kept %d s for claim", s->id,
                    sy_api_config->reclaim_session_timeout);
        } else {
            sy_session_destroy(s, false);
        }
    }
    g_list_free(owned);
}

static void watchdog_tick(uv_timer_t *t)
{
    uint64_t now = uv_now(sy_api_loop);
    GList *expired = NULL;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, sessions);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        sy_session *s = v;
        if (!s->client && s->gone_since_ms) {
            if (now - s->gone_since_ms >= (uint64_t)sy_api_config->reclaim_session_timeout * 1000)
                expired = g_list_prepend(expired, s);
            continue;
        }
        int timeout = s->timeout >= 0 ? s->timeout : sy_api_config->session_timeout;
        if (timeout > 0 && now - s->last_activity_ms >= (uint64_t)timeout * 1000)
            expired = g_list_prepend(expired, s);
        GHashTableIter hit;
        gpointer hk, hv;
        g_hash_table_iter_init(&hit, s->handles);
        while (g_hash_table_iter_next(&hit, &hk, &hv)) expire_candidates(hv, now);
    }
    for (GList *l = expired; l; l = l->next) {
        sy_session *s = l->data;
        SY_INFO("Session %" PRIu64 " timed out", s->id);
        /* Handles go first (Janus order), then the timeout notice, then session_over. */
        GList *hs = g_hash_table_get_values(s->handles);
        for (GList *h = hs; h; h = h->next) sy_handle_destroy(h->data, false);
        g_list_free(hs);
        if (s->client) sy_session_send(s, sy_message_new("timeout", s->id, NULL));
        sy_session_destroy(s, true);
    }
    g_list_free(expired);
}

/* ---- the core API for plugins ---- */

static void deliver_task(core_task *t)
{
    sy_plugin_handle *h = t->handle;
    if (t->type == TASK_CALL) {
        t->fn(t->arg);
        free(t);
        return;
    }
    if (t->type == TASK_JSEP_EVENT) {
        if (!atomic_load(&h->destroyed) && h->session) sy_handle_send_jsep_event(h, t->msg);
        else json_decref(t->msg);
    } else if (t->type == TASK_CLOSE_PC) {
        if (!atomic_load(&h->destroyed) && h->pc) sy_pc_close(h->pc, "Close PC");
    } else if (t->type == TASK_EVENT) {
        if (!atomic_load(&h->destroyed) && h->session) sy_session_send(h->session, t->msg);
        else json_decref(t->msg);
    } else if (t->type == TASK_SESSION_EVENT) {
        /* The handle is gone; its session may still be there. */
        sy_session *s = sy_session_find(h->session_id);
        if (s) sy_session_send(s, t->msg);
        else json_decref(t->msg);
    } else if (t->type == TASK_END_HANDLE) {
        if (!atomic_load(&h->destroyed) && h->session) sy_handle_destroy(h, true);
    }
    if (h) sy_handle_unref(h);
    free(t);
}

static void tasks_drain(uv_async_t *a)
{
    for (;;) {
        uv_mutex_lock(&tasks_lock);
        core_task *t = g_queue_pop_head(&tasks);
        uv_mutex_unlock(&tasks_lock);
        if (!t) break;
        deliver_task(t);
    }
}

static void post_task(task_type type, sy_plugin_handle *h, json_t *msg)
{
    core_task *t = calloc(1, sizeof(*t));
    t->type = type;
    t->handle = h;
    t->msg = msg;
    if (h) sy_handle_ref(h);
    uv_mutex_lock(&tasks_lock);
    bool ready = tasks_ready;
    if (ready) g_queue_push_tail(&tasks, t);
    uv_mutex_unlock(&tasks_lock);
    if (ready) {
        uv_async_send(&tasks_async);
    } else {
        json_decref(msg);
        if (h) sy_handle_unref(h);
        free(t);
    }
}

void sy_main_post(void (*fn)(void *), void *arg)
{
    core_task *t = calloc(1, sizeof(*t));
    t->type = TASK_CALL;
    t->fn = fn;
    t->arg = arg;
    uv_mutex_lock(&tasks_lock);
    bool ready = tasks_ready;
    if (ready) g_queue_push_tail(&tasks, t);
    uv_mutex_unlock(&tasks_lock);
    if (ready) uv_async_send(&tasks_async);
    else {
        /* Shutting down: run it here so that its resources are released. */
        fn(arg);
        free(t);
    }
}

static int core_push_event(sy_plugin_handle *h, const char *transaction, json_t *data,
                           json_t *jsep)
{
    if (!h || !json_is_object(data) || (jsep && !json_is_object(jsep))) return -1;
    if (atomic_load(&h->destroyed)) return -2;
    json_t *m = sy_message_new("event", h->session_id, transaction);
    json_object_set_new(m, "sender", json_integer((json_int_t)h->id));
    if (h->opaque_id && sy_api_config->opaqueid_in_api)
        json_object_set_new(m, "opaque_id", json_string(h->opaque_id));
    json_t *pd = json_object();
    json_object_set_new(pd, "plugin", json_string(h->plugin->package));
    json_object_set_new(pd, "data", json_deep_copy(data));
    json_object_set_new(m, "plugindata", pd);
    if (jsep) {
        const char *type = json_string_value(json_object_get(jsep, "type"));
        const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
        if (!type || !sdp || (strcmp(type, "offer") && strcmp(type, "answer"))) {
            json_decref(m);
            return -1;
        }
        json_object_set_new(m, "jsep", json_deep_copy(jsep));
        /* The media core completes the SDP before the event goes out. Queued even
         * from the main thread: inside handle_message the client's description is
         * applied only when the plugin returns. */
        post_task(TASK_JSEP_EVENT, h, m);
        return 0;
    }
    /* Always through the queue, even from the main thread: an event pushed from
     * inside handle_message must reach the client after the request's "ack". */
    post_task(TASK_EVENT, h, m);
    return 0;
}

static void core_end_handle(sy_plugin_handle *h)
{
    /* Always deferred: the plugin may be inside one of its own callbacks. */
    if (h && !atomic_load(&h->destroyed)) post_task(TASK_END_HANDLE, h, NULL);
}

static void core_close_pc(sy_plugin_handle *h)
{
    if (h && !atomic_load(&h->destroyed)) post_task(TASK_CLOSE_PC, h, NULL);
}

/* Data channels: the PC's SCTP association (media/sctp.c through pc.c). */
static int core_relay_data(sy_plugin_handle *h, const char *label, const char *protocol,
                           bool binary, const uint8_t *buf, size_t len)
{
    return sy_pc_relay_data(h, label, protocol, binary, buf, len);
}

static int core_run_on_main(void (*fn)(void *), void *arg)
{
    if (!fn) return -1;
    sy_main_post(fn, arg);
    return 0;
}

static int core_worker_count(void) { return sy_workers_count(); }

static int core_set_media_worker(sy_plugin_handle *h, int index)
{
    if (!h || h->pc || index < 0 || index >= sy_workers_count()) return -1;
    h->worker_hint = index;
    return 0;
}

typedef struct worker_call {
    void (*fn)(void *);
    void *arg;
} worker_call;

static void run_worker_call(sy_worker *w, void *arg)
{
    worker_call *c = arg;
    c->fn(c->arg);
    free(c);
}

static int core_run_on_worker(int index, void (*fn)(void *), void *arg)
{
    sy_worker *w = (index >= 0 && index < sy_workers_count()) ? sy_worker_get(index) : NULL;
    if (!w || !fn) return -1;
    worker_call *c = malloc(sizeof(*c));
    c->fn = fn;
    c->arg = arg;
    if (sy_worker_post(w, run_worker_call, c) < 0) {
        free(c);
        return -1;
    }
    return 0;
}

static void core_set_plugin_data(sy_plugin_handle *h, void *data) { h->plugin_data = data; }
static void *core_get_plugin_data(sy_plugin_handle *h) { return h->plugin_data; }
static uint64_t core_handle_id(const sy_plugin_handle *h) { return h->id; }
static uint64_t core_session_id(const sy_plugin_handle *h) { return h->session_id; }

static const sy_core_api core_api = {
    .push_event = core_push_event,
    .end_handle = core_end_handle,
    .set_plugin_data = core_set_plugin_data,
    .get_plugin_data = core_get_plugin_data,
    .handle_id = core_handle_id,
    .session_id = core_session_id,
    .handle_ref = sy_handle_ref,
    .handle_unref = sy_handle_unref,
    .auth_signature_valid = sy_auth_plugin_signature_valid,
    .auth_signature_contains = sy_auth_plugin_signature_contains,
    .random_id = sy_random_id,
    .relay_rtp = sy_pc_relay_rtp,
    .relay_rtcp = sy_pc_relay_rtcp,
    .resend_rtp = sy_pc_resend_rtp,
    .send_pli = sy_pc_send_pli,
    .send_remb = sy_pc_send_remb,
    .close_pc = core_close_pc,
    .worker_count = core_worker_count,
    .set_media_worker = core_set_media_worker,
    .run_on_worker = core_run_on_worker,
    .relay_data = core_relay_data,
    .run_on_main = core_run_on_main,
};

const sy_core_api *sy_core_api_get(void) { return &core_api; }

/* ---- lifecycle ---- */

int sy_sessions_init(uv_loop_t *loop, sy_config *cfg)
{
    sy_api_loop = loop;
    sy_api_config = cfg;
    sessions = g_hash_table_new(g_int64_hash, g_int64_equal);
    uv_mutex_init(&tasks_lock);
    uv_async_init(loop, &tasks_async, tasks_drain);
    tasks_ready = true;
    uv_timer_init(loop, &watchdog);
    /* Twice a second, so that a 1 s session timeout is honoured within 1.5 s. */
    uv_timer_start(&watchdog, watchdog_tick, 500, 500);
    return 0;
}

void sy_sessions_destroy_all(void)
{
    if (!sessions) return;
    GList *all = g_hash_table_get_values(sessions);
    for (GList *l = all; l; l = l->next) sy_session_destroy(l->data, false);
    g_list_free(all);
}

void sy_sessions_settle(void)
{
    if (!sessions) return;
    /* Twice: work the workers post back may post to the workers again. */
    for (int i = 0; i < 2; i++) {
        sy_workers_flush();
        tasks_drain(&tasks_async);
    }
}

void sy_sessions_shutdown(void)
{
    if (!sessions) return;
    sy_sessions_destroy_all();
    sy_sessions_settle();
    uv_mutex_lock(&tasks_lock);
    tasks_ready = false;
    uv_mutex_unlock(&tasks_lock);
    tasks_drain(&tasks_async);
    uv_close((uv_handle_t *)&tasks_async, NULL);
    uv_close((uv_handle_t *)&watchdog, NULL);
    g_hash_table_destroy(sessions);
    sessions = NULL;
}
