/*
 * The Janus API core: sessions, handles, request dispatch, auth, admin requests.
 * Everything here runs on the main loop thread (except where noted).
 *
 * Transports talk to it through sy_client: one object per place where events for a
 * session can be delivered. A WebSocket transport makes one sy_client per connection;
 * the HTTP transport makes one sy_client for all its sessions and queues events per
 * session for long polls.
 */
#ifndef SY_API_H
#define SY_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/config.h"

typedef struct sy_client sy_client;

typedef struct sy_client_ops {
    /* Optional: called before each request of a WebSocket frame is handled; false
     * refuses it with 450 "Too many requests" (the transport's per-address rate). */
    bool (*admit)(sy_client *client);
    /* Delivers an event (or a timeout notice) for session_id to this client.
     * msg is a new reference the transport takes. */
    void (*send)(sy_client *client, uint64_t session_id, json_t *msg);
    /* A session was created on, or claimed to, this client. Optional. */
    void (*session_created)(sy_client *client, uint64_t session_id);
    /* The session no longer belongs to this client (destroyed, timed out, or claimed
     * by another client). Optional. */
    void (*session_over)(sy_client *client, uint64_t session_id, bool timeout, bool claimed);
} sy_client_ops;

struct sy_client {
    const sy_client_ops *ops;
    const char *transport; /* package, e.g. "janus.transport.websockets" */
    bool admin;            /* an admin API client */
    bool gone;             /* set by sy_api_client_gone */
};

/* Where a request came from. REST puts IDs in the path; 0 means "not in the path". */
typedef struct sy_request_path {
    uint64_t session_id;
    uint64_t handle_id;
} sy_request_path;

int sy_api_init(uv_loop_t *loop, sy_config *cfg);
/* Destroys every session and handle, then the plugins. */
void sy_api_shutdown(void);

/* Parses and handles one Janus API request from raw bytes. Returns the reply
 * (a new reference; always an object). path may be NULL (WebSocket). */
json_t *sy_api_request_bytes(sy_client *client, const char *data, size_t len,
                             const sy_request_path *path);
/* The same for an already parsed value (any JSON type; non-objects are errors). */
json_t *sy_api_request(sy_client *client, json_t *req, const sy_request_path *path);
/* The same for the admin API. */
json_t *sy_api_admin_request_bytes(sy_client *client, const char *data, size_t len,
                                   const sy_request_path *path);

/* Handles a WebSocket frame: every JSON value it holds, in order (a frame may carry
 * several concatenated objects). Each reply goes to client->ops->send with
 * session_id 0. Stops at the first value that does not parse (after replying 454). */
void sy_api_handle_frame(sy_client *client, const char *data, size_t len);

/* The reply to a request refused by a transport's rate limit: error 450 "Too many
 * requests", with the transaction of the first JSON value in data if there is one
 * (data may be NULL). New reference. */
json_t *sy_api_too_many_requests(const char *data, size_t len);

/* Builds the error reply {"janus":"error",...} (new reference). */
json_t *sy_api_error(uint64_t session_id, const char *transaction, int code,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The client is gone (WebSocket closed). Sessions it owned are destroyed, or kept
 * for reclaim_session_timeout seconds in a transport_gone state. The client's memory
 * may be freed when this returns: the core keeps no pointer to it. */
void sy_api_client_gone(sy_client *client);

/* HTTP long poll support. */
bool sy_api_session_exists(uint64_t session_id);
/* Marks activity on a session (the long poll counts as a keepalive). */
void sy_api_session_touch(uint64_t session_id);
/* Checks api_secret / token for requests that carry them outside the JSON body
 * (long-poll query parameters). */
bool sy_api_check_auth(const char *apisecret, const char *token);

/* JSON reading with the project's limits: see api/json_input.h. */
#include "api/json_input.h"

/* Server statistics for tests and admin. */
size_t sy_api_session_count(void);

#endif
