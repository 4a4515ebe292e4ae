/*
 * A tiny WebSocket client (RFC 6455, ws:// only, text messages) on a libuv loop, for
 * the Janus API's "janus-protocol" subprotocol. One connection per synthetic client;
 * everything runs on the loop's thread.
 */
#ifndef LG_WS_H
#define LG_WS_H

#include <netinet/in.h>
#include <stddef.h>
#include <uv.h>

typedef struct lg_ws lg_ws;

typedef struct lg_ws_cb {
    void (*open)(void *user);
    void (*message)(void *user, char *text, size_t len); /* NUL-terminated, writable */
    void (*closed)(void *user, const char *why);         /* once; no callback after it */
} lg_ws_cb;

lg_ws *lg_ws_connect(uv_loop_t *loop, const struct sockaddr_storage *addr, const char *host_header,
                     const char *path, const lg_ws_cb *cb, void *user);
int lg_ws_send(lg_ws *ws, const char *text, size_t len);
/* Closes now; no callback fires after it returns. Memory is released by the loop. */
void lg_ws_close(lg_ws *ws);

#endif
