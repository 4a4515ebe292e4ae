/* Request validation helpers shared by the core and admin dispatchers. */
#ifndef SY_REQUEST_UTIL_H
#define SY_REQUEST_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"

enum {
    SY_P_STRING = 1 << 0,
    SY_P_INTEGER = 1 << 1,
    SY_P_BOOL = 1 << 2,
    SY_P_OBJECT = 1 << 3,
    SY_P_ARRAY = 1 << 4,
    SY_P_REQUIRED = 1 << 8,
    SY_P_POSITIVE = 1 << 9, /* integers: > 0 */
};

typedef struct sy_param {
    const char *name; /* NULL ends the table */
    unsigned flags;
} sy_param;

/* Checks obj against the table: a missing required member gives 456 "Missing
 * mandatory element (name)", a wrong type 467 "Invalid element type (name should be
 * ...)". JSON null counts as missing. Unknown members are ignored (Janus clients add
 * their own). Returns NULL when valid, else the error reply (new reference). */
json_t *sy_req_check(json_t *obj, uint64_t session_id, const char *transaction,
                     const sy_param *params);

/* A string member or NULL. */
const char *sy_req_str(json_t *obj, const char *key);

typedef struct sy_envelope {
    const char *verb;
    const char *transaction;
    uint64_t session_id;
    uint64_t handle_id;
    bool has_handle; /* handle_id given (body or path), even if invalid */
} sy_envelope;

/* Validates transaction, janus and id (in that order), then merges the IDs of the
 * body and the path (457 when they conflict). NULL when valid, else the error. */
json_t *sy_req_envelope(json_t *req, const sy_request_path *path, sy_envelope *env);

/* Parses data as one JSON value (454 with jansson's position when it does not parse)
 * and hands it to handle (the core or the admin dispatcher). */
typedef json_t *(*sy_request_fn)(sy_client *client, json_t *req, const sy_request_path *path);
json_t *sy_api_parse_and_handle(sy_client *client, const char *data, size_t len,
                                const sy_request_path *path, sy_request_fn handle);

/* The admin dispatcher (admin.c). */
json_t *sy_api_admin_request(sy_client *client, json_t *req, const sy_request_path *path);

#endif
