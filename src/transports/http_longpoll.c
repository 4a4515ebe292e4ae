/*
 * The HTTP transport's sy_client and its long polls (janus-api.md 1.9).
 *
 * One sy_client serves every HTTP session. Events for a session are queued in an
 * sy_lp_session (created by ops->session_created) until a GET <base>/<session> takes
 * them: at once if some are queued, else when the next one arrives, else after
 * longpoll_timeout with {"janus":"keepalive"}. maxev=1 answers one object, maxev>1 a
 * JSON array of up to maxev events. A newer poll on the same session takes over and
 * the older one is answered with a keepalive (as Janus does).
 *
 * When a session is over (destroyed, timed out, claimed elsewhere) a waiting poll gets
 * the events still queued (e.g. {"janus":"timeout"}), or a 404 when none are. Leftover
 * events stay collectable by the next poll for longpoll_timeout seconds, then go.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "tr_internal.h"

typedef struct sy_lp_session {
    uint64_t id; /* first: the hash key points at it */
    sy_tr_msgq q;
    sy_http_pss *waiter; /* the parked poll, or NULL */
    bool owned;          /* api/ bound the session to us (session_created) */
    bool over;           /* session_over came */
    uint64_t expire_ms;  /* when an over session's leftovers are dropped */
} sy_lp_session;

static GHashTable *sy_lp_sessions;

static void sy_lp_send(sy_client *client, uint64_t session_id, json_t *msg);
static void sy_lp_session_created(sy_client *client, uint64_t session_id);
static void sy_lp_session_over(sy_client *client, uint64_t session_id, bool timeout, bool claimed);
static void sy_lp_admin_send(sy_client *client, uint64_t session_id, json_t *msg);

static const sy_client_ops sy_lp_ops = {
    .send = sy_lp_send,
    .session_created = sy_lp_session_created,
    .session_over = sy_lp_session_over,
};
static const sy_client_ops sy_lp_admin_ops = {
    .send = sy_lp_admin_send,
};

static sy_client sy_lp_http_client = {
    .ops = &sy_lp_ops, .transport = "janus.transport.http", .admin = false};
static sy_client sy_lp_admin = {
    .ops = &sy_lp_admin_ops, .transport = "janus.transport.http", .admin = true};

sy_client *sy_lp_client(void)
{
    return &sy_lp_http_client;
}
sy_client *sy_lp_admin_client(void)
{
    return &sy_lp_admin;
}

static void sy_lp_session_free(gpointer p)
{
    sy_lp_session *s = p;
    if (s->waiter) s->waiter->lp = NULL;
    sy_tr_msgq_clear(&s->q);
    free(s);
}

static sy_lp_session *sy_lp_find(uint64_t id)
{
    if (!sy_lp_sessions) return NULL;
    gint64 key = (gint64)id;
    return g_hash_table_lookup(sy_lp_sessions, &key);
}

static sy_lp_session *sy_lp_add(uint64_t id)
{
    sy_lp_session *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->id = id;
    g_hash_table_insert(sy_lp_sessions, &s->id, s);
    return s;
}

static void sy_lp_remove(sy_lp_session *s)
{
    gint64 key = (gint64)s->id;
    g_hash_table_remove(sy_lp_sessions, &key);
}

/* A session entry is dead when nobody can collect anything from it any more. */
static bool sy_lp_dead(const sy_lp_session *s)
{
    if (s->waiter) return false;
    if (s->over || !s->owned) return s->q.count == 0;
    return false;
}

/* Answers the poll parked on s with up to maxev queued events, or a keepalive when
 * none are queued. Unparks it. Does not remove s. */
static void sy_lp_answer(sy_lp_session *s)
{
    sy_http_pss *pss = s->waiter;
    if (!pss) return;
    s->waiter = NULL;
    pss->lp = NULL;
    int maxev = pss->maxev > 0 ? pss->maxev : 1;

    if (maxev == 1) {
        sy_tr_msg *m = sy_tr_msgq_pop(&s->q);
        if (!m) {
            sy_http_respond_str(pss, 200, "application/json", "{\"janus\":\"keepalive\"}");
            return;
        }
        char *body = malloc(m->len);
        if (body) memcpy(body, sy_tr_msg_data(m), m->len);
        sy_http_respond(pss, body ? 200 : 500, "application/json", body, body ? m->len : 0);
        free(m);
        return;
    }
    if (!s->q.head) {
        sy_http_respond_str(pss, 200, "application/json", "[{\"janus\":\"keepalive\"}]");
        return;
    }
    /* Size the array first: '[' + events joined by ',' + ']'. */
    size_t total = 2, n = 0;
    for (sy_tr_msg *m = s->q.head; m && n < (size_t)maxev; m = m->next, n++)
        total += m->len + 1;
    char *body = malloc(total);
    if (!body) {
        sy_http_respond(pss, 500, NULL, NULL, 0);
        return;
    }
    size_t off = 0;
    body[off++] = '[';
    for (size_t i = 0; i < n; i++) {
        sy_tr_msg *m = sy_tr_msgq_pop(&s->q);
        if (i) body[off++] = ',';
        memcpy(body + off, sy_tr_msg_data(m), m->len);
        off += m->len;
        free(m);
    }
    body[off++] = ']';
    sy_http_respond(pss, 200, "application/json", body, off);
}

static void sy_lp_send(sy_client *client, uint64_t session_id, json_t *msg)
{
    (void)client;
    if (!msg) return;
    if (!sy_tr.running || !sy_lp_sessions || session_id == 0) {
        json_decref(msg);
        return;
    }
    sy_lp_session *s = sy_lp_find(session_id);
    if (!s || s->over) {
        SY_DEBUG("http: dropping an event for session %" PRIu64 " (no queue)", session_id);
        json_decref(msg);
        return;
    }
    sy_tr_msg *m = sy_tr_msg_from_json(msg);
    json_decref(msg);
    if (!m) return;
    if (!sy_tr_msgq_push(&s->q, m)) {
        free(m);
        SY_WARN("http: session %" PRIu64 ": %zu events queued and nobody polls, dropping",
                session_id, s->q.count);
        return;
    }
    if (s->waiter) sy_lp_answer(s);
}

static void sy_lp_session_created(sy_client *client, uint64_t session_id)
{
    (void)client;
    if (!sy_tr.running || !sy_lp_sessions) return;
    sy_lp_session *s = sy_lp_find(session_id);
    if (s) {
        /* Left over from an earlier session with this ID, or polled before it was
         * bound to us: start clean. */
        sy_tr_msgq_clear(&s->q);
        s->over = false;
    } else {
        s = sy_lp_add(session_id);
        if (!s) return;
    }
    s->owned = true;
    SY_DEBUG("http: session %" PRIu64 " bound", session_id);
}

static void sy_lp_session_over(sy_client *client, uint64_t session_id, bool timeout, bool claimed)
{
    (void)client;
    if (!sy_lp_sessions) return;
    sy_lp_session *s = sy_lp_find(session_id);
    if (!s) return;
    SY_DEBUG("http: session %" PRIu64 " over (timeout=%d claimed=%d)", session_id, timeout,
             claimed);
    s->over = true;
    s->expire_ms = sy_tr_now_ms() + (uint64_t)sy_tr.longpoll_timeout * 1000;
    if (s->waiter) {
        if (s->q.head) {
            sy_lp_answer(s);
        } else {
            sy_http_pss *pss = s->waiter;
            s->waiter = NULL;
            pss->lp = NULL;
            sy_http_respond(pss, 404, NULL, NULL, 0);
        }
    }
    if (sy_lp_dead(s)) sy_lp_remove(s);
}

static void sy_lp_admin_send(sy_client *client, uint64_t session_id, json_t *msg)
{
    (void)client;
    (void)session_id;
    json_decref(msg);
}

void sy_lp_get(sy_http_pss *pss, uint64_t session_id, int maxev)
{
    sy_lp_session *s = sy_lp_find(session_id);
    pss->maxev = maxev;

    if (!sy_api_session_exists(session_id)) {
        if (s && s->over && s->q.head && !s->waiter) {
            s->waiter = pss;
            pss->lp = s;
            sy_lp_answer(s);
            if (sy_lp_dead(s)) sy_lp_remove(s);
            return;
        }
        sy_http_respond(pss, 404, NULL, NULL, 0);
        return;
    }
    sy_api_session_touch(session_id);
    if (!s) {
        /* A session of another transport (or not yet bound): park anyway, the poll
         * ends with a keepalive; the entry goes when the poll does. */
        s = sy_lp_add(session_id);
        if (!s) {
            sy_http_respond(pss, 500, NULL, NULL, 0);
            return;
        }
    }
    if (s->waiter) {
        SY_DEBUG("http: session %" PRIu64 ": a newer poll takes over", session_id);
        sy_lp_answer(s); /* the queue is empty here: a keepalive */
    }
    s->waiter = pss;
    pss->lp = s;
    if (s->q.head) {
        sy_lp_answer(s);
        return;
    }
    pss->lp_deadline_ms = sy_tr_now_ms() + (uint64_t)sy_tr.longpoll_timeout * 1000;
    lws_set_timeout(pss->wsi, PENDING_TIMEOUT_HTTP_CONTENT,
                    sy_tr.longpoll_timeout + sy_tr.http_idle_timeout);
}

void sy_lp_detach(sy_http_pss *pss)
{
    sy_lp_session *s = pss->lp;
    if (!s) return;
    pss->lp = NULL;
    if (s->waiter == pss) s->waiter = NULL;
    if (sy_lp_sessions && sy_lp_dead(s)) sy_lp_remove(s);
}

void sy_lp_sweep(uint64_t now_ms)
{
    if (!sy_lp_sessions) return;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, sy_lp_sessions);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        sy_lp_session *s = value;
        if (s->waiter && now_ms >= s->waiter->lp_deadline_ms) sy_lp_answer(s);
        if (s->over && !s->waiter && now_ms >= s->expire_ms) sy_tr_msgq_clear(&s->q);
        if (sy_lp_dead(s)) g_hash_table_iter_remove(&it);
    }
}

void sy_lp_init(void)
{
    if (!sy_lp_sessions)
        sy_lp_sessions =
            g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, sy_lp_session_free);
}

void sy_lp_shutdown(void)
{
    if (!sy_lp_sessions) return;
    /* Still running: api/ may call our ops from here (session_over, send). */
    sy_api_client_gone(&sy_lp_http_client);
    sy_api_client_gone(&sy_lp_admin);
    GHashTable *t = sy_lp_sessions;
    sy_lp_sessions = NULL;
    g_hash_table_destroy(t); /* unparks the polls; their connections close with lws */
}
