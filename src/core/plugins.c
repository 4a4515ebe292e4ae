#include "core/plugins.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

typedef struct loaded_plugin {
    const sy_plugin *plugin;
    void *dl;
    char *file;
} loaded_plugin;

#define SY_MAX_PLUGINS 64
static loaded_plugin plugins[SY_MAX_PLUGINS];
static int n_plugins;

static int is_disabled(const sy_config *cfg, const char *file, const char *package)
{
    for (int i = 0; i < cfg->n_disable_plugins; i++) {
        const char *d = cfg->disable_plugins[i];
        if (strcmp(d, file) == 0 || (package && strcmp(d, package) == 0)) return 1;
    }
    return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls > lx && strcmp(s + ls - lx, suffix) == 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_one(const sy_config *cfg, const sy_core_api *core, const char *dir,
                     const char *file)
{
    if (is_disabled(cfg, file, NULL)) {
        SY_INFO("Plugin %s disabled in configuration", file);
        return;
    }
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path)) return;
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        SY_ERROR("Plugin %s: cannot load: %s", file, dlerror());
        return;
    }
    sy_plugin_create_fn create = (sy_plugin_create_fn)dlsym(dl, SY_PLUGIN_ENTRY_NAME);
    const sy_plugin *p = create ? create() : NULL;
    const char *problem = NULL;
    if (!create) problem = "no " SY_PLUGIN_ENTRY_NAME " symbol";
    else if (!p) problem = "constructor returned NULL";
    else if (p->api_version != SY_PLUGIN_API_VERSION) problem = "plugin API version mismatch";
    else if (!p->package || !p->init || !p->handle_message || !p->create_session ||
             !p->destroy_session)
        problem = "incomplete plugin descriptor";
    else if (sy_plugins_find(p->package)) problem = "package already loaded";
    else if (n_plugins >= SY_MAX_PLUGINS) problem = "too many plugins";
    if (problem) {
        SY_ERROR("Plugin %s: %s (core API %d, plugin API %d)", file, problem,
                 SY_PLUGIN_API_VERSION, p ? p->api_version : -1);
        dlclose(dl);
        return;
    }
    if (is_disabled(cfg, file, p->package)) {
        SY_INFO("Plugin %s (%s) disabled in configuration", file, p->package);
        dlclose(dl);
        return;
    }
    if (p->init(core, cfg->config_dir) < 0) {
        SY_ERROR("Plugin %s (%s): init failed", file, p->package);
        dlclose(dl);
        return;
    }
    plugins[n_plugins].plugin = p;
    plugins[n_plugins].dl = dl;
    plugins[n_plugins].file = strdup(file);
    n_plugins++;
    SY_INFO("Plugin loaded: %s %s (%s)", p->package, p->version_string ? p->version_string : "",
            file);
}

int sy_plugins_load(const sy_config *cfg, const sy_core_api *core)
{
    const char *dir = cfg->plugins_dir;
    if (!dir || !*dir) return 0;
    DIR *d = opendir(dir);
    if (!d) {
        SY_WARN("Plugins folder %s cannot be opened; no plugins loaded", dir);
        return 0;
    }
    /* Load in name order so that start-up is reproducible. */
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (e->d_name[0] != '.' && has_suffix(e->d_name, ".so")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof(names[0]), name_cmp);
    for (int i = 0; i < n; i++) {
        load_one(cfg, core, dir, names[i]);
        free(names[i]);
    }
    return n_plugins;
}

static bool destroyed;

void sy_plugins_destroy(void)
{
    if (destroyed) return;
    destroyed = true;
    for (int i = n_plugins - 1; i >= 0; i--)
        if (plugins[i].plugin->destroy) plugins[i].plugin->destroy();
}

void sy_plugins_unload(void)
{
    sy_plugins_destroy();
    destroyed = false;
    for (int i = n_plugins - 1; i >= 0; i--) {
#ifndef SY_KEEP_PLUGINS_LOADED
        dlclose(plugins[i].dl);
#endif
        free(plugins[i].file);
    }
    n_plugins = 0;
}

const sy_plugin *sy_plugins_find(const char *package)
{
    for (int i = 0; package && i < n_plugins; i++)
        if (strcmp(plugins[i].plugin->package, package) == 0) return plugins[i].plugin;
    return NULL;
}

static json_t *str_or_empty(const char *s) { return json_string(s ? s : ""); }

json_t *sy_plugins_info(void)
{
    json_t *info = json_object();
    for (int i = 0; i < n_plugins; i++) {
        const sy_plugin *p = plugins[i].plugin;
        json_t *entry = json_object();
        json_object_set_new(entry, "name", str_or_empty(p->name));
        json_object_set_new(entry, "author", str_or_empty(p->author));
        json_object_set_new(entry, "description", str_or_empty(p->description));
        json_object_set_new(entry, "version_string", str_or_empty(p->version_string));
        json_object_set_new(entry, "version", json_integer(p->version));
        json_object_set_new(info, p->package, entry);
    }
    return info;
}

json_t *sy_plugins_packages(void)
{
    json_t *arr = json_array();
    for (int i = 0; i < n_plugins; i++)
        json_array_append_new(arr, json_string(plugins[i].plugin->package));
    return arr;
}
