/*
 * String IDs (Janus's `string_ids = true` in a plugin's general section): room and
 * participant IDs are JSON strings on the wire instead of integers. Header-only, for the
 * plugins in this tree (main thread only).
 *
 * The plugins keep their uint64_t IDs inside (lists, lookups, the forwarding state and
 * the packet path are untouched): with string IDs on, each string in use is interned
 * to a number of its own, and the ID is converted at the places it crosses the wire.
 * The table is reference counted (a room and a participant may share a string; each
 * holder takes a reference when it is created and drops it when it is freed), numbers
 * are never reused, and looking up a string nobody holds yields 0 (no such room/user)
 * without adding it, so requests naming unknown IDs don't grow the table.
 * With string IDs off the helpers are the identity on integers.
 */
#ifndef SY_PLUGINS_STRID_H
#define SY_PLUGINS_STRID_H

#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SY_STRID_MAX 256 /* bytes of a string ID, as a limit (Janus sets none) */

typedef struct sy_strids {
    bool on;
    uint64_t next; /* the last number given out */
    json_t *by_str; /* string -> [number, references] */
    json_t *by_num; /* decimal number -> string */
} sy_strids;

static inline void sy_strids_init(sy_strids *t, bool on)
{
    t->on = on;
    t->next = 0;
    t->by_str = on ? json_object() : NULL;
    t->by_num = on ? json_object() : NULL;
}

static inline void sy_strids_free(sy_strids *t)
{
    json_decref(t->by_str);
    json_decref(t->by_num);
    t->by_str = t->by_num = NULL;
    t->on = false;
}

/* The number of a string in use, 0 if none. */
static inline uint64_t sy_strid_find(const sy_strids *t, const char *s)
{
    json_t *e = t->on && s ? json_object_get(t->by_str, s) : NULL;
    return e ? (uint64_t)json_integer_value(json_array_get(e, 0)) : 0;
}

/* Takes a reference on a string (interning it first): its number, 0 on failure. */
static inline uint64_t sy_strid_ref(sy_strids *t, const char *s)
{
    if (!t->on || !s) return 0;
    json_t *e = json_object_get(t->by_str, s);
    if (e) {
        json_array_set_new(e, 1, json_integer(json_integer_value(json_array_get(e, 1)) + 1));
        return (uint64_t)json_integer_value(json_array_get(e, 0));
    }
    uint64_t n = ++t->next;
    char key[24];
    snprintf(key, sizeof(key), "%" PRIu64, n);
    if (json_object_set_new(t->by_str, s, json_pack("[I,I]", (json_int_t)n, (json_int_t)1)) < 0) return 0;
    if (json_object_set_new(t->by_num, key, json_string(s)) < 0) {
        json_object_del(t->by_str, s);
        return 0;
    }
    return n;
}

/* The string of a number, NULL if none. */
static inline const char *sy_strid_str(const sy_strids *t, uint64_t n)
{
    if (!t->on || !n) return NULL;
    char key[24];
    snprintf(key, sizeof(key), "%" PRIu64, n);
    return json_string_value(json_object_get(t->by_num, key));
}

/* Drops a reference taken by sy_strid_ref (no-op for 0 or with string IDs off). */
static inline void sy_strid_unref(sy_strids *t, uint64_t n)
{
    const char *s = sy_strid_str(t, n);
    json_t *e = s ? json_object_get(t->by_str, s) : NULL;
    if (!e) return;
    json_int_t refs = json_integer_value(json_array_get(e, 1)) - 1;
    if (refs > 0) {
        json_array_set_new(e, 1, json_integer(refs));
        return;
    }
    char key[24];
    snprintf(key, sizeof(key), "%" PRIu64, n);
    json_object_del(t->by_str, s); /* s is owned by by_num's value: delete that last */
    json_object_del(t->by_num, key);
}

/* An ID as the wire carries it: the string, or the integer. */
static inline json_t *sy_strid_json(const sy_strids *t, uint64_t n)
{
    if (!t->on) return json_integer((json_int_t)n);
    const char *s = sy_strid_str(t, n);
    return json_string(s ? s : "");
}

/* An ID for text (error messages, logs, signed token items). */
static inline const char *sy_strid_text(const sy_strids *t, uint64_t n, char *buf, size_t len)
{
    if (!t->on) {
        snprintf(buf, len, "%" PRIu64, n);
        return buf;
    }
    const char *s = sy_strid_str(t, n);
    return s ? s : "";
}

/* A request's ID value (string or integer) for an error message. */
static inline const char *sy_strid_json_text(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v)) return json_string_value(v);
    snprintf(buf, len, "%" PRIu64, (uint64_t)json_integer_value(v));
    return buf;
}

/* Checks an ID field's type: a string (non-empty, at most SY_STRID_MAX bytes) with string
 * IDs on, else a non-negative integer. Returns NULL if fine, else what it should be. */
static inline const char *sy_strid_type_error(const sy_strids *t, const json_t *v)
{
    if (t->on) {
        if (!json_is_string(v)) return "a string";
        size_t n = json_string_length(v);
        if (!n || n > SY_STRID_MAX || strlen(json_string_value(v)) != n) return "a non-empty string of at most 256 bytes";
        return NULL;
    }
    return json_is_integer(v) && json_integer_value(v) >= 0 ? NULL : "a positive integer";
}

/* The number of a (type-checked) ID value: the interned string's (0 if none holds it)
 * or the integer. */
static inline uint64_t sy_strid_lookup(const sy_strids *t, const json_t *v)
{
    return t->on ? sy_strid_find(t, json_string_value(v)) : (uint64_t)json_integer_value(v);
}

/* A random UUID-like string (version 4 layout), as Janus generates string IDs. */
static inline void sy_strid_uuid(char out[37], uint64_t (*random53)(void))
{
    uint64_t a = random53(), b = random53(), c = random53();
    snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
             a & 0xffffffffu, (a >> 32) & 0xffff, b & 0xfff, (uint64_t)0x8000 | ((b >> 12) & 0x3fff),
             c & (uint64_t)0xffffffffffff);
}

#endif
