/*
 * The plugin loader: every shared object in the plugins folder that exports
 * SY_PLUGIN_ENTRY_NAME, with a matching API version and not disabled in config.
 * Main thread.
 */
#ifndef SY_PLUGINS_H
#define SY_PLUGINS_H

#include <jansson.h>

#include "core/config.h"
#include "switchyard/plugin.h"

/* Loads and initialises the plugins. A plugin that fails to load or init is logged
 * and skipped. Returns the number loaded (>= 0). */
int sy_plugins_load(const sy_config *cfg, const sy_core_api *core);
/* Calls destroy() on each plugin (once). */
void sy_plugins_destroy(void);
/* Calls destroy() if not done yet, then unloads every plugin. */
void sy_plugins_unload(void);
const sy_plugin *sy_plugins_find(const char *package);
/* {package: {name, author, description, version_string, version}} (new reference). */
json_t *sy_plugins_info(void);
/* Array of package names (new reference). */
json_t *sy_plugins_packages(void);

#endif
