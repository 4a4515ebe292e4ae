#define _GNU_SOURCE
#include "lg_ws.h"

#include <openssl/rand.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LG_WS_MAX_MSG (4 * 1024 * 1024)

struct lg_ws {
    uv_tcp_t tcp;
    uv_connect_t conn;
    lg_ws_cb cb;
    void *user;
    char *host, *path;
    bool upgraded, closed;
    uint8_t *in;
    size_t in_len, in_cap;
    char *msg; /* fragmented message being assembled */
    size_t msg_len;
};

typedef struct wreq {
    uv_write_t w;
    uv_buf_t b;
} wreq;

static void on_tcp_closed(uv_handle_t *h)
{
    lg_ws *ws = h->data;
    free(ws->in);
    free(ws->msg);
    free(ws->host);
    free(ws->path);
    free(ws);
}

static void fail(lg_ws *ws, const char *why)
{
    if (ws->closed) return;
    ws->closed = true;
    if (ws->cb.closed) ws->cb.closed(ws->user, why);
    if (!uv_is_closing((uv_handle_t *)&ws->tcp)) uv_close((uv_handle_t *)&ws->tcp, on_tcp_closed);
}

static void on_written(uv_write_t *w, int status)
{
    wreq *r = (wreq *)w;
    free(r->b.base);
    free(r);
}

static int write_raw(lg_ws *ws, uint8_t *data, size_t len)
{
    wreq *r = malloc(sizeof *r);
    if (!r) {
        free(data);
        return -1;
    }
    r->b = uv_buf_init((char *)data, (unsigned)len);
    if (uv_write(&r->w, (uv_stream_t *)&ws->tcp, &r->b, 1, on_written) != 0) {
        free(data);
        free(r);
        return -1;
    }
    return 0;
}

static int send_frame(lg_ws *ws, int opcode, const uint8_t *payload, size_t len)
{
    uint8_t *f = malloc(len + 14);
    if (!f) return -1;
    size_t o = 0;
    f[o++] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        f[o++] = (uint8_t)(0x80 | len);
    } else if (len < 65536) {
        f[o++] = 0x80 | 126;
        f[o++] = (uint8_t)(len >> 8);
        f[o++] = (uint8_t)len;
    } else {
        f[o++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--) f[o++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    uint8_t mask[4];
    RAND_bytes(mask, 4);
    memcpy(f + o, mask, 4);
    o += 4;
    for (size_t i = 0; i < len; i++) f[o + i] = payload[i] ^ mask[i & 3];
    return write_raw(ws, f, o + len);
}

int lg_ws_send(lg_ws *ws, const char *text, size_t len)
{
    if (!ws || ws->closed || !ws->upgraded) return -1;
    return send_frame(ws, 1, (const uint8_t *)text, len);
}

/* Consumes complete frames from ws->in. Returns false if the connection was closed. */
static bool parse_frames(lg_ws *ws)
{
    size_t pos = 0;
    while (!ws->closed) {
        uint8_t *p = ws->in + pos;
        size_t avail = ws->in_len - pos;
        if (avail < 2) break;
        bool fin = p[0] & 0x80;
        int op = p[0] & 0x0f;
        bool masked = p[1] & 0x80;
        uint64_t plen = p[1] & 0x7f;
        size_t h = 2;
        if (plen == 126) {
            if (avail < 4) break;
            plen = (uint64_t)p[2] << 8 | p[3];
            h = 4;
        } else if (plen == 127) {
            if (avail < 10) break;
            plen = 0;
            for (int i = 0; i < 8; i++) plen = plen << 8 | p[2 + i];
            h = 10;
        }
        if (plen > LG_WS_MAX_MSG) {
            fail(ws, "WebSocket frame too large");
            return false;
        }
        size_t mh = masked ? 4 : 0;
        if (avail < h + mh + plen) break;
        uint8_t *pl = p + h + mh;
        if (masked)
            for (uint64_t i = 0; i < plen; i++) pl[i] ^= p[h + (i & 3)];
        pos += h + mh + plen;
        if (op == 8) {
            fail(ws, "WebSocket closed by the server");
            return false;
        } else if (op == 9) {
            send_frame(ws, 10, pl, plen);
        } else if (op == 1 || op == 2 || op == 0) {
            if (op != 0 || ws->msg) {
                if (op != 0) ws->msg_len = 0;
                char *m = realloc(ws->msg, ws->msg_len + plen + 1);
                if (!m || ws->msg_len + plen > LG_WS_MAX_MSG) {
                    free(m ? m : NULL);
                    ws->msg = NULL;
                    fail(ws, "WebSocket message too large");
                    return false;
                }
                ws->msg = m;
                memcpy(m + ws->msg_len, pl, plen);
                ws->msg_len += plen;
                m[ws->msg_len] = 0;
                if (fin) {
                    ws->msg = NULL;
                    size_t l = ws->msg_len;
                    ws->msg_len = 0;
                    if (ws->cb.message) ws->cb.message(ws->user, m, l);
                    free(m);
                }
            }
        }
    }
    if (ws->closed) return false;
    memmove(ws->in, ws->in + pos, ws->in_len - pos);
    ws->in_len -= pos;
    return true;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    lg_ws *ws = h->data;
    if (ws->in_cap - ws->in_len < 65536) {
        size_t cap = ws->in_cap ? ws->in_cap * 2 : 131072;
        uint8_t *n = realloc(ws->in, cap);
        if (!n) {
            *buf = uv_buf_init(NULL, 0);
            return;
        }
        ws->in = n;
        ws->in_cap = cap;
    }
    *buf = uv_buf_init((char *)ws->in + ws->in_len, (unsigned)(ws->in_cap - ws->in_len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    lg_ws *ws = s->data;
    if (n < 0) {
        fail(ws, n == UV_EOF ? "connection closed" : uv_strerror((int)n));
        return;
    }
    ws->in_len += (size_t)n;
    if (!ws->upgraded) {
        char *end = memmem(ws->in, ws->in_len, "\r\n\r\n", 4);
        if (!end) {
            if (ws->in_len > 16384) fail(ws, "bad HTTP upgrade response");
            return;
        }
        if (strncmp((char *)ws->in, "HTTP/1.1 101", 12) != 0) {
            fail(ws, "WebSocket upgrade refused");
            return;
        }
        size_t hl = (size_t)(end + 4 - (char *)ws->in);
        memmove(ws->in, ws->in + hl, ws->in_len - hl);
        ws->in_len -= hl;
        ws->upgraded = true;
        if (ws->cb.open) ws->cb.open(ws->user);
        if (ws->closed) return;
    }
    parse_frames(ws);
}

static void on_connect(uv_connect_t *c, int status)
{
    lg_ws *ws = c->data;
    if (ws->closed) return;
    if (status < 0) {
        fail(ws, uv_strerror(status));
        return;
    }
    uint8_t key[16];
    RAND_bytes(key, sizeof key);
    char b64[32];
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (int i = 0; i < 15; i += 3) {
        uint32_t v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8 | key[i + 2];
        b64[o++] = tbl[v >> 18];
        b64[o++] = tbl[(v >> 12) & 63];
        b64[o++] = tbl[(v >> 6) & 63];
        b64[o++] = tbl[v & 63];
    }
    b64[o++] = tbl[key[15] >> 2];
    b64[o++] = tbl[(key[15] & 3) << 4];
    b64[o++] = '=';
    b64[o++] = '=';
    b64[o] = 0;
    char *req = malloc(1024);
    if (!req) {
        fail(ws, "out of memory");
        return;
    }
    int n = snprintf(req, 1024,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Protocol: janus-protocol\r\n\r\n",
                     ws->path, ws->host, b64);
    if (write_raw(ws, (uint8_t *)req, (size_t)n) != 0 ||
        uv_read_start((uv_stream_t *)&ws->tcp, on_alloc, on_read) != 0)
        fail(ws, "write failed");
}

lg_ws *lg_ws_connect(uv_loop_t *loop, const struct sockaddr_storage *addr, const char *host_header,
                     const char *path, const lg_ws_cb *cb, void *user)
{
    lg_ws *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->cb = *cb;
    ws->user = user;
    ws->host = strdup(host_header);
    ws->path = strdup(path);
    uv_tcp_init(loop, &ws->tcp);
    ws->tcp.data = ws;
    ws->conn.data = ws;
    uv_tcp_nodelay(&ws->tcp, 1);
    if (!ws->host || !ws->path ||
        uv_tcp_connect(&ws->conn, &ws->tcp, (const struct sockaddr *)addr, on_connect) != 0) {
        ws->closed = true;
        uv_close((uv_handle_t *)&ws->tcp, on_tcp_closed);
        return NULL;
    }
    return ws;
}

void lg_ws_close(lg_ws *ws)
{
    if (!ws) return;
    if (ws->closed) return;
    ws->closed = true;
    if (ws->upgraded) {
        uint8_t code[2] = {0x03, 0xe8};
        send_frame(ws, 8, code, 2);
    }
    uv_close((uv_handle_t *)&ws->tcp, on_tcp_closed);
}
