/*
 * Sessions and handles: the objects behind the Janus API IDs. Main thread only,
 * except the handle reference count and the destroyed flag, which plugins may touch
 * from other threads (see plugin.h).
 */
#ifndef SY_SESSION_H
#define SY_SESSION_H

#include <glib.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "switchyard/plugin.h"

typedef struct sy_session sy_session;

/* A remote candidate that arrived before the media core could use it. */
typedef struct sy_queued_candidate {
    json_t *candidate; /* the candidate object, or {"completed":true} */
    uint64_t received_ms;
} sy_queued_candidate;

struct sy_plugin_handle {
    atomic_int refcount;
    atomic_bool destroyed;
    uint64_t id;
    uint64_t session_id;
    sy_session *session; /* NULL once destroyed */
    const sy_plugin *plugin;
    void *plugin_data;
    char *opaque_id;
    char *token; /* the token the handle was attached with (for plugins), or NULL */
    int64_t created_us;
    GQueue *pending_candidates; /* of sy_queued_candidate*, bounded */
    bool trickle_completed;
    atomic_bool offer_sent; /* the client got an offer it has not answered yet */
    /* The peer connection (media/pc.h): set and cleared on the main thread, read on
     * its media worker (see pc.c for why that is safe). */
    struct sy_pc *_Atomic pc;
    int worker_hint; /* media worker for the PC chosen by the plugin, -1: least loaded */
};

struct sy_session {
    uint64_t id;
    sy_client *client;         /* where events go; NULL while transport_gone */
    uint64_t last_activity_ms; /* uv_now of the main loop */
    uint64_t gone_since_ms;    /* when the client went away (0: not gone) */
    int timeout;               /* seconds; -1: the global session_timeout */
    int64_t created_us;
    GHashTable *handles;       /* id -> sy_plugin_handle* (the session holds a reference) */
};

/* Limits */
#define SY_MAX_PENDING_CANDIDATES 128
#define SY_MAX_HANDLES_PER_SESSION 256

int sy_sessions_init(uv_loop_t *loop, sy_config *cfg);
/* Shutdown in steps: destroy every session (plugins told), let the workers and the
 * main-thread queue run what that posted, then close the queue and the watchdog. */
void sy_sessions_destroy_all(void);
void sy_sessions_settle(void);
void sy_sessions_shutdown(void);

sy_session *sy_session_create(sy_client *client, uint64_t requested_id);
sy_session *sy_session_find(uint64_t id);
/* Destroys handles (plugins told) and the session; tells the client session_over. */
void sy_session_destroy(sy_session *s, bool timeout);
void sy_session_touch(sy_session *s);
/* Moves the session to client (claim). */
void sy_session_claim(sy_session *s, sy_client *client);
size_t sy_session_count(void);
/* Handle objects still in memory (attached, or detached but held by a closing PC). */
size_t sy_handles_alive(void);
/* Array of session IDs (new reference). */
json_t *sy_session_list(void);

/* Attaches a plugin. Returns NULL and *err set (SY_ERR_*) on failure. */
sy_plugin_handle *sy_handle_create(sy_session *s, const sy_plugin *plugin, const char *opaque_id,
                                   const char *token, int *err);
sy_plugin_handle *sy_handle_find(sy_session *s, uint64_t id);
/* Detaches: the plugin's destroy_session, then a "detached" event if notify. */
void sy_handle_destroy(sy_plugin_handle *h, bool notify);
void sy_handle_ref(sy_plugin_handle *h);
void sy_handle_unref(sy_plugin_handle *h);
/* Queues a remote candidate (borrowed) or a completed marker. */
void sy_handle_queue_candidate(sy_plugin_handle *h, json_t *candidate);

/* Sends msg (stolen) to the session's client, if it has one. */
void sy_session_send(sy_session *s, json_t *msg);
/* Base object for server messages: {"janus":verb,"session_id":S?,"transaction":T?}. */
json_t *sy_message_new(const char *verb, uint64_t session_id, const char *transaction);

/* Runs fn(arg) on the main loop, in order of posting. Any thread. */
void sy_main_post(void (*fn)(void *), void *arg);

/* Media events for the client (main thread). */
void sy_handle_send_jsep_event(sy_plugin_handle *h, json_t *msg);

/* The core API handed to plugins. */
const sy_core_api *sy_core_api_get(void);

extern sy_config *sy_api_config;
extern uv_loop_t *sy_api_loop;

#endif
