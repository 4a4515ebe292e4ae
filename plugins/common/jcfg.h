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

#endif
