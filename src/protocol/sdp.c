/*
 * The SDP model: an arena for its strings, ordered line arrays per section, editing
 * and lookups. Parsing is in sdp_parse.c, writing in sdp_write.c.
 */
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdp.h"
#include "sdp_internal.h"

/* ---- arena ---- */

/* The arena grows by blocks; its total is capped so that no sequence of edits can make
 * a model grow without bound. */
#define ARENA_BLOCK 4096
#define ARENA_MAX (16u * SY_SDP_MAX_SIZE)

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    alignas(max_align_t) char data[];
} arena_block;

struct sy_sdp_arena {
    arena_block *head;
    size_t total;
};

static void *arena_alloc(sy_sdp_arena *a, size_t n, size_t align)
{
    arena_block *b = a->head;
    if (b) {
        size_t off = (b->used + align - 1) & ~(align - 1);
        if (off <= b->cap && n <= b->cap - off) {
            b->used = off + n;
            return b->data + off;
        }
    }
    size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
    if (a->total + cap > ARENA_MAX) return NULL;
    b = malloc(sizeof(*b) + cap);
    if (!b) return NULL;
    b->next = a->head;
    b->cap = cap;
    b->used = n;
    a->head = b;
    a->total += cap;
    return b->data;
}

static const char *arena_strndup(sy_sdp_arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1, 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

const char *sy_sdp_strdup(sy_sdp *sdp, const char *s)
{
    return s ? arena_strndup(sdp->arena, s, strlen(s)) : NULL;
}

const char *sy_sdpi_strndup(sy_sdp *sdp, const char *s, size_t n)
{
    return arena_strndup(sdp->arena, s, n);
}

/* ---- lifecycle ---- */

sy_sdp *sy_sdp_new(void)
{
    sy_sdp *sdp = calloc(1, sizeof(*sdp));
    if (!sdp) return NULL;
    sdp->arena = calloc(1, sizeof(*sdp->arena));
    if (!sdp->arena) {
        free(sdp);
        return NULL;
    }
    return sdp;
}

void sy_sdp_free(sy_sdp *sdp)
{
    if (!sdp) return;
    free(sdp->session.lines);
    for (size_t i = 0; i < sdp->n_media; i++)
        free(sdp->media[i].sec.lines);
    free(sdp->media);
    if (sdp->arena) {
        arena_block *b = sdp->arena->head;
        while (b) {
            arena_block *next = b->next;
            free(b);
            b = next;
        }
        free(sdp->arena);
    }
    free(sdp);
}

/* ---- lines ---- */

static size_t total_lines(const sy_sdp *sdp)
{
    size_t n = sdp->session.n_lines + sdp->n_media;
    for (size_t i = 0; i < sdp->n_media; i++)
        n += sdp->media[i].sec.n_lines;
    return n;
}

static bool value_ok(const char *v)
{
    for (; *v; v++)
        if (!sy_sdpi_is_value_char((unsigned char)*v)) return false;
    return true;
}

/* Inserts a line whose strings already live in the arena and were checked. */
int sy_sdpi_insert_raw(sy_sdp *sdp, sy_sdp_section *sec, size_t pos, char type, const char *name,
                       const char *value)
{
    if (sec->n_lines >= SY_SDP_MAX_SECTION_LINES || total_lines(sdp) >= SY_SDP_MAX_LINES)
        return SY_SDP_ELIMIT;
    if (sec->n_lines == sec->cap) {
        size_t cap = sec->cap ? sec->cap * 2 : 16;
        if (cap > SY_SDP_MAX_SECTION_LINES) cap = SY_SDP_MAX_SECTION_LINES;
        sy_sdp_line *l = realloc(sec->lines, cap * sizeof(*l));
        if (!l) return SY_SDP_ENOMEM;
        sec->lines = l;
        sec->cap = cap;
    }
    if (pos > sec->n_lines) pos = sec->n_lines;
    memmove(sec->lines + pos + 1, sec->lines + pos, (sec->n_lines - pos) * sizeof(*sec->lines));
    sec->lines[pos] = (sy_sdp_line){.type = type, .name = name, .value = value};
    sec->n_lines++;
    return SY_SDP_OK;
}

int sy_sdp_insert_line(sy_sdp *sdp, sy_sdp_section *sec, size_t pos, char type, const char *name,
                       const char *value)
{
    if (!sdp || !sec || type < 'a' || type > 'z' || type == 'm') return SY_SDP_EINVAL;
    size_t len = 2;
    if (type == 'a') {
        if (!name || !sy_sdpi_is_token(name, strlen(name))) return SY_SDP_EINVAL;
        len += strlen(name) + (value ? 1 + strlen(value) : 0);
    } else {
        if (name || !value) return SY_SDP_EINVAL;
        len += strlen(value);
    }
    if (value && !value_ok(value)) return SY_SDP_EINVAL;
    if (len > SY_SDP_MAX_LINE_LEN) return SY_SDP_ELIMIT;
    const char *n = NULL, *v = NULL;
    if (name && !(n = sy_sdp_strdup(sdp, name))) return SY_SDP_ENOMEM;
    if (value && !(v = sy_sdp_strdup(sdp, value))) return SY_SDP_ENOMEM;
    return sy_sdpi_insert_raw(sdp, sec, pos, type, n, v);
}

int sy_sdp_add_attr(sy_sdp *sdp, sy_sdp_section *sec, const char *name, const char *value)
{
    return sy_sdp_insert_line(sdp, sec, SIZE_MAX, 'a', name, value);
}

int sy_sdp_add_attrf(sy_sdp *sdp, sy_sdp_section *sec, const char *name, const char *fmt, ...)
{
    char buf[SY_SDP_MAX_LINE_LEN + 1];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) return SY_SDP_EINVAL;
    if ((size_t)n >= sizeof(buf)) return SY_SDP_ELIMIT;
    return sy_sdp_add_attr(sdp, sec, name, buf);
}

int sy_sdp_add_line(sy_sdp *sdp, sy_sdp_section *sec, char type, const char *value)
{
    return sy_sdp_insert_line(sdp, sec, SIZE_MAX, type, NULL, value);
}

int sy_sdp_set_value(sy_sdp *sdp, sy_sdp_section *sec, size_t pos, const char *value)
{
    if (!sdp || !sec || pos >= sec->n_lines) return SY_SDP_EINVAL;
    sy_sdp_line *l = &sec->lines[pos];
    if (l->type != 'a' && !value) return SY_SDP_EINVAL;
    if (value && !value_ok(value)) return SY_SDP_EINVAL;
    size_t len = 2 + (l->name ? strlen(l->name) + 1 : 0) + (value ? strlen(value) : 0);
    if (len > SY_SDP_MAX_LINE_LEN) return SY_SDP_ELIMIT;
    const char *v = NULL;
    if (value && !(v = sy_sdp_strdup(sdp, value))) return SY_SDP_ENOMEM;
    l->value = v;
    return SY_SDP_OK;
}

void sy_sdp_remove_line(sy_sdp_section *sec, size_t pos)
{
    if (!sec || pos >= sec->n_lines) return;
    memmove(sec->lines + pos, sec->lines + pos + 1, (sec->n_lines - pos - 1) * sizeof(*sec->lines));
    sec->n_lines--;
}

size_t sy_sdp_remove_attrs(sy_sdp_section *sec, const char *name)
{
    size_t w = 0, removed = 0;
    for (size_t r = 0; r < sec->n_lines; r++) {
        const sy_sdp_line *l = &sec->lines[r];
        if (l->type == 'a' && strcasecmp(l->name, name) == 0) {
            removed++;
            continue;
        }
        sec->lines[w++] = *l;
    }
    sec->n_lines = w;
    return removed;
}

size_t sy_sdp_remove_lines(sy_sdp_section *sec, char type)
{
    size_t w = 0, removed = 0;
    for (size_t r = 0; r < sec->n_lines; r++) {
        if (sec->lines[r].type == type && type != 'a') {
            removed++;
            continue;
        }
        sec->lines[w++] = sec->lines[r];
    }
    sec->n_lines = w;
    return removed;
}

/* ---- media sections ---- */

sy_sdp_media_type sy_sdp_media_type_from_name(const char *media)
{
    if (!media) return SY_SDP_OTHER;
    if (strcmp(media, "audio") == 0) return SY_SDP_AUDIO;
    if (strcmp(media, "video") == 0) return SY_SDP_VIDEO;
    if (strcmp(media, "application") == 0) return SY_SDP_APPLICATION;
    return SY_SDP_OTHER;
}

const char *sy_sdp_media_type_name(sy_sdp_media_type type)
{
    switch (type) {
    case SY_SDP_AUDIO:
        return "audio";
    case SY_SDP_VIDEO:
        return "video";
    case SY_SDP_APPLICATION:
        return "application";
    default:
        return "other";
    }
}

bool sy_sdp_proto_is_rtp(const char *proto)
{
    return proto && strstr(proto, "RTP/") != NULL;
}

/* Appends a media section whose strings already live in the arena. */
sy_sdp_media *sy_sdpi_add_media_raw(sy_sdp *sdp, const char *media, uint16_t port,
                                    uint16_t port_count, const char *proto)
{
    if (sdp->n_media >= SY_SDP_MAX_MEDIA || total_lines(sdp) >= SY_SDP_MAX_LINES) return NULL;
    if (sdp->n_media == sdp->cap_media) {
        size_t cap = sdp->cap_media ? sdp->cap_media * 2 : 4;
        if (cap > SY_SDP_MAX_MEDIA) cap = SY_SDP_MAX_MEDIA;
        sy_sdp_media *m = realloc(sdp->media, cap * sizeof(*m));
        if (!m) return NULL;
        sdp->media = m;
        sdp->cap_media = cap;
    }
    sy_sdp_media *m = &sdp->media[sdp->n_media++];
    memset(m, 0, sizeof(*m));
    m->type = sy_sdp_media_type_from_name(media);
    m->media = media;
    m->port = port;
    m->port_count = port_count;
    m->proto = proto;
    return m;
}

sy_sdp_media *sy_sdp_add_media(sy_sdp *sdp, const char *media, uint16_t port, const char *proto)
{
    if (!sdp || !media || !proto || !sy_sdpi_is_token(media, strlen(media)) ||
        !sy_sdpi_is_proto(proto, strlen(proto)))
        return NULL;
    const char *md = sy_sdp_strdup(sdp, media), *pr = sy_sdp_strdup(sdp, proto);
    if (!md || !pr) return NULL;
    return sy_sdpi_add_media_raw(sdp, md, port, 0, pr);
}

/* Length of the m= line as written (without CRLF). */
static size_t mline_len(const sy_sdp_media *m)
{
    size_t n = 2 + strlen(m->media) + 1 + 5 + (m->port_count ? 6 : 0) + 1 + strlen(m->proto);
    for (size_t i = 0; i < m->n_fmts; i++)
        n += 1 + strlen(m->fmts[i]);
    return n;
}

int sy_sdp_media_add_format(sy_sdp *sdp, sy_sdp_media *m, const char *fmt)
{
    if (!sdp || !m || !fmt || !sy_sdpi_is_token(fmt, strlen(fmt))) return SY_SDP_EINVAL;
    if (m->n_fmts >= SY_SDP_MAX_FORMATS) return SY_SDP_ELIMIT;
    if (mline_len(m) + 1 + strlen(fmt) > SY_SDP_MAX_LINE_LEN) return SY_SDP_ELIMIT;
    char canon[8];
    if (sy_sdp_proto_is_rtp(m->proto)) {
        uint64_t pt;
        if (!sy_sdpi_parse_uint_str(fmt, 127, &pt)) return SY_SDP_EINVAL;
        snprintf(canon, sizeof(canon), "%u", (unsigned)pt);
        for (size_t i = 0; i < m->n_fmts; i++)
            if (strcmp(m->fmts[i], canon) == 0) return SY_SDP_EINVAL;
        fmt = canon;
    }
    /* The array lives in the arena: grow it by copying (formats are few). */
    const char **arr = arena_alloc(sdp->arena, (m->n_fmts + 1) * sizeof(*arr), alignof(char *));
    const char *f = sy_sdp_strdup(sdp, fmt);
    if (!arr || !f) return SY_SDP_ENOMEM;
    if (m->n_fmts) memcpy(arr, m->fmts, m->n_fmts * sizeof(*arr));
    arr[m->n_fmts++] = f;
    m->fmts = arr;
    return SY_SDP_OK;
}

/* Sets the format array of a parsed m= line (strings already in the arena). */
int sy_sdpi_set_formats_raw(sy_sdp *sdp, sy_sdp_media *m, const char *const *fmts, size_t n)
{
    const char **arr = arena_alloc(sdp->arena, (n ? n : 1) * sizeof(*arr), alignof(char *));
    if (!arr) return SY_SDP_ENOMEM;
    if (n) memcpy(arr, fmts, n * sizeof(*arr));
    m->fmts = arr;
    m->n_fmts = n;
    return SY_SDP_OK;
}

void sy_sdp_media_clear_formats(sy_sdp_media *m)
{
    if (m) m->n_fmts = 0;
}

/* ---- copy and compare ---- */

static int copy_section(sy_sdp *dst, sy_sdp_section *to, const sy_sdp_section *from)
{
    for (size_t i = 0; i < from->n_lines; i++) {
        const sy_sdp_line *l = &from->lines[i];
        const char *n = l->name ? sy_sdp_strdup(dst, l->name) : NULL;
        const char *v = l->value ? sy_sdp_strdup(dst, l->value) : NULL;
        if ((l->name && !n) || (l->value && !v)) return SY_SDP_ENOMEM;
        int rc = sy_sdpi_insert_raw(dst, to, SIZE_MAX, l->type, n, v);
        if (rc) return rc;
    }
    return SY_SDP_OK;
}

sy_sdp *sy_sdp_copy(const sy_sdp *sdp)
{
    if (!sdp) return NULL;
    sy_sdp *c = sy_sdp_new();
    if (!c) return NULL;
    if (copy_section(c, &c->session, &sdp->session)) goto fail;
    for (size_t i = 0; i < sdp->n_media; i++) {
        const sy_sdp_media *m = &sdp->media[i];
        const char *md = sy_sdp_strdup(c, m->media), *pr = sy_sdp_strdup(c, m->proto);
        if (!md || !pr) goto fail;
        sy_sdp_media *cm = sy_sdpi_add_media_raw(c, md, m->port, m->port_count, pr);
        if (!cm) goto fail;
        const char *fmts[SY_SDP_MAX_FORMATS];
        for (size_t k = 0; k < m->n_fmts && k < SY_SDP_MAX_FORMATS; k++)
            if (!(fmts[k] = sy_sdp_strdup(c, m->fmts[k]))) goto fail;
        if (sy_sdpi_set_formats_raw(c, cm, fmts, m->n_fmts)) goto fail;
        if (copy_section(c, &cm->sec, &m->sec)) goto fail;
    }
    return c;
fail:
    sy_sdp_free(c);
    return NULL;
}

static bool str_eq(const char *a, const char *b)
{
    return (a && b) ? strcmp(a, b) == 0 : a == b;
}

static bool section_equal(const sy_sdp_section *a, const sy_sdp_section *b)
{
    if (a->n_lines != b->n_lines) return false;
    for (size_t i = 0; i < a->n_lines; i++) {
        const sy_sdp_line *x = &a->lines[i], *y = &b->lines[i];
        if (x->type != y->type || !str_eq(x->name, y->name) || !str_eq(x->value, y->value))
            return false;
    }
    return true;
}

bool sy_sdp_equal(const sy_sdp *a, const sy_sdp *b)
{
    if (!a || !b) return a == b;
    if (!section_equal(&a->session, &b->session) || a->n_media != b->n_media) return false;
    for (size_t i = 0; i < a->n_media; i++) {
        const sy_sdp_media *x = &a->media[i], *y = &b->media[i];
        if (x->type != y->type || !str_eq(x->media, y->media) || x->port != y->port ||
            x->port_count != y->port_count || !str_eq(x->proto, y->proto) ||
            x->n_fmts != y->n_fmts || !section_equal(&x->sec, &y->sec))
            return false;
        for (size_t k = 0; k < x->n_fmts; k++)
            if (!str_eq(x->fmts[k], y->fmts[k])) return false;
    }
    return true;
}

/* ---- lookups ---- */

long sy_sdp_find_attr(const sy_sdp_section *sec, const char *name, size_t *pos)
{
    if (!sec || !name) return -1;
    for (size_t i = pos ? *pos : 0; i < sec->n_lines; i++) {
        const sy_sdp_line *l = &sec->lines[i];
        if (l->type == 'a' && strcasecmp(l->name, name) == 0) {
            if (pos) *pos = i;
            return (long)i;
        }
    }
    if (pos) *pos = sec->n_lines;
    return -1;
}

const char *sy_sdp_attr_value(const sy_sdp_section *sec, const char *name)
{
    long i = sy_sdp_find_attr(sec, name, NULL);
    return i < 0 ? NULL : sec->lines[i].value;
}

bool sy_sdp_has_attr(const sy_sdp_section *sec, const char *name)
{
    return sy_sdp_find_attr(sec, name, NULL) >= 0;
}

const char *sy_sdp_line_value(const sy_sdp_section *sec, char type)
{
    if (!sec || type == 'a') return NULL;
    for (size_t i = 0; i < sec->n_lines; i++)
        if (sec->lines[i].type == type) return sec->lines[i].value;
    return NULL;
}

sy_sdp_media *sy_sdp_media_by_mid(const sy_sdp *sdp, const char *mid)
{
    if (!sdp || !mid) return NULL;
    for (size_t i = 0; i < sdp->n_media; i++) {
        const char *v = sy_sdp_attr_value(&sdp->media[i].sec, "mid");
        if (v && strcmp(v, mid) == 0) return &sdp->media[i];
    }
    return NULL;
}
