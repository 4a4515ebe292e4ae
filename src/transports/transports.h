/*
 * Control-plane transports on the main libuv loop, built on libwebsockets running on
 * that foreign loop: WebSocket (janus-protocol / janus-admin-protocol), HTTP/REST with
 * long polls, the admin HTTP endpoint, and static files from html/.
 * They call into api/ (api.h) and know nothing of media.
 */
#ifndef SY_TRANSPORTS_H
#define SY_TRANSPORTS_H

#include <jansson.h>
#include <uv.h>

#include "core/config.h"

/* Starts every enabled listener on loop. Returns 0, or -1 (logged) if a listener
 * cannot start (port in use, bad certificate). */
int sy_transports_start(uv_loop_t *loop, const sy_config *cfg);
/* Closes listeners and connections; the loop must then run until it has no more
 * active handles from the transports. */
void sy_transports_stop(void);

/* Reloads certificates.cert_pem/cert_key (with cert_pwd) into every wss/https listener
 * (SIGHUP). New TLS connections use the new certificate; open ones keep theirs. On a
 * bad file, logs why and keeps the old certificate. Returns 0, or -1. */
int sy_transports_reload_certs(void);

/* For server_info: {"janus.transport.http":{name,author,description,version_string,
 * version}, "janus.transport.websockets":{...}} (new reference). */
json_t *sy_transports_info(void);

/* For admin get_counters "control": connections accepted, connections and requests
 * refused over the per-address limits, addresses tracked (new reference). */
json_t *sy_transports_counters(void);

#endif
