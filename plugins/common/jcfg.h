/*
 * Reading plugin configuration files (libconfig, Janus's .jcfg syntax) the lenient way
 * Janus users write them: a value may be a string, a number or a boolean. Header-only,
 * for the plugins in this tree; they link libconfig themselves.
 */
#ifndef SY_PLUGINS_JCFG_H
#define SY_PLUGINS_JCFG_H

#include <libconfig.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* libconfig values as Janus writes them: strings, numbers or booleans. */
static inline const char *cfg_str(const config_setting_t *g, const char *name, char *buf, size_t len)
{
    config_setting_t *s = config_setting_get_member(g, name);
    if (!s) return NULL;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_STRING: return config_setting_get_string(s);
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: snprintf(buf, len, "%lld", (long long)config_setting_get_int64(s)); return buf;
    case CONFIG_TYPE_BOOL: return config_setting_get_bool(s) ? "true" : "false";
    default: return NULL;
    }
}

static inline bool cfg_bool(const config_setting_t *g, const char *name, bool def)
{
    char buf[32];
    const char *v = cfg_str(g, name, buf, sizeof(buf));
    if (!v) return def;
    return !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1");
}

static inline long long cfg_int(const config_setting_t *g, const char *name, long long def)
{
    char buf[32];
    const char *v = cfg_str(g, name, buf, sizeof(buf));
    return v ? strtoll(v, NULL, 10) : def;
}

/* True for a top-level "room-<id>" group; *id is its id, 0 when the id is bad. */
static inline bool cfg_room_group(const config_setting_t *g, unsigned long long *id)
{
    const char *name = config_setting_name(g);
    if (!name || strncmp(name, "room-", 5) || !config_setting_is_group(g)) return false;
    char *end = NULL;
    *id = strtoull(name + 5, &end, 10);
    if (*end) *id = 0;
    return true;
}

/* ---- writing rooms back ("permanent") ---- */

static inline void cfg_put_str(config_setting_t *g, const char *name, const char *v)
{
    config_setting_t *s;
    if (v && (s = config_setting_add(g, name, CONFIG_TYPE_STRING))) config_setting_set_string(s, v);
}

static inline void cfg_put_int(config_setting_t *g, const char *name, long long v)
{
    /* int when it fits: libconfig writes int64 with an "L" suffix. */
    bool small = v >= -2147483648LL && v <= 2147483647LL;
    config_setting_t *s = config_setting_add(g, name, small ? CONFIG_TYPE_INT : CONFIG_TYPE_INT64);
    if (s && small) config_setting_set_int(s, (int)v);
    else if (s) config_setting_set_int64(s, v);
}

static inline void cfg_put_bool(config_setting_t *g, const char *name, bool v)
{
    config_setting_t *s = config_setting_add(g, name, CONFIG_TYPE_BOOL);
    if (s) config_setting_set_bool(s, v);
}

/* Writes one room back to a plugin's config file: reads the file (a missing one is an
 * empty config), drops the group room-<id>, and when fill is given adds a fresh group
 * for fill(group, room) to populate; then writes a temporary file and renames it over
 * the original. libconfig drops the file's comments when it rewrites it (as Janus's
 * jcfg does). False when reading or writing failed. */
static inline bool cfg_room_persist_name(const char *path, const char *id,
                                         void (*fill)(config_setting_t *group, const void *room),
                                         const void *room);

static inline bool cfg_room_persist(const char *path, unsigned long long id,
                                    void (*fill)(config_setting_t *group, const void *room),
                                    const void *room)
{
    char text[24];
    snprintf(text, sizeof(text), "%llu", id);
    return cfg_room_persist_name(path, text, fill, room);
}

/* The same for a room whose ID is text (string_ids): libconfig refuses group names with
 * other characters than letters, digits, '-', '_' and '*', so such rooms can't be
 * written (false). */
static inline bool cfg_room_persist_name(const char *path, const char *id,
                                         void (*fill)(config_setting_t *group, const void *room),
                                         const void *room)
{
    config_t cfg;
    config_init(&cfg);
    FILE *f = fopen(path, "r");
    if (f) {
        fclose(f);
        if (!config_read_file(&cfg, path)) {
            config_destroy(&cfg);
            return false;
        }
    }
    char name[300];
    if (snprintf(name, sizeof(name), "room-%s", id) >= (int)sizeof(name)) {
        config_destroy(&cfg);
        return false;
    }
    config_setting_t *root = config_root_setting(&cfg);
    if (config_setting_get_member(root, name)) config_setting_remove(root, name);
    bool ok = true;
    if (fill) {
        config_setting_t *g = config_setting_add(root, name, CONFIG_TYPE_GROUP);
        ok = g != NULL;
        if (ok) fill(g, room);
    }
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    ok = ok && config_write_file(&cfg, tmp) == CONFIG_TRUE && rename(tmp, path) == 0;
    if (!ok) remove(tmp);
    config_destroy(&cfg);
    return ok;
}

#endif
