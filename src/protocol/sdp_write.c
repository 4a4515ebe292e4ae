/* Model -> SDP text with CRLF line endings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp.h"

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} out_buf;

static void put(out_buf *o, const char *s, size_t n)
{
    if (o->failed) return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 1024;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *b = realloc(o->buf, cap);
        if (!b) {
            o->failed = true;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void puts_(out_buf *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_section(out_buf *o, const sy_sdp_section *sec)
{
    for (size_t i = 0; i < sec->n_lines; i++) {
        const sy_sdp_line *l = &sec->lines[i];
        char head[2] = {l->type, '='};
        put(o, head, 2);
        if (l->type == 'a') {
            puts_(o, l->name);
            if (l->value) {
                put(o, ":", 1);
                puts_(o, l->value);
            }
        } else if (l->value) {
            puts_(o, l->value);
        }
        put(o, "\r\n", 2);
    }
}

char *sy_sdp_write(const sy_sdp *sdp, size_t *len)
{
    out_buf o = {0};
    char num[32];
    if (len) *len = 0;
    if (!sdp) return NULL;
    put_section(&o, &sdp->session);
    for (size_t i = 0; i < sdp->n_media; i++) {
        const sy_sdp_media *m = &sdp->media[i];
        puts_(&o, "m=");
        puts_(&o, m->media);
        int n = m->port_count ? snprintf(num, sizeof(num), " %u/%u ", m->port, m->port_count)
                              : snprintf(num, sizeof(num), " %u ", m->port);
        put(&o, num, (size_t)n);
        puts_(&o, m->proto);
        for (size_t k = 0; k < m->n_fmts; k++) {
            put(&o, " ", 1);
            puts_(&o, m->fmts[k]);
        }
        put(&o, "\r\n", 2);
        put_section(&o, &m->sec);
    }
    put(&o, "", 0); /* an empty model still gives "" */
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    if (len) *len = o.len;
    return o.buf;
}
