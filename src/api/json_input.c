/* Reading JSON from the network with the project's limits: bounded nesting (checked
 * before jansson recurses), duplicate keys rejected, NUL bytes rejected. */
#include "api/json_input.h"

#include <stdio.h>
#include <string.h>

/* Depth of the first JSON value in data, scanning brackets outside strings. Stops
 * early once max_depth is exceeded. */
static size_t json_max_nesting(const char *data, size_t len, size_t max_depth)
{
    size_t depth = 0, deepest = 0;
    int in_string = 0, escaped = 0;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_string) {
            if (escaped) escaped = 0;
            else if (c == '\\') escaped = 1;
            else if (c == '"') in_string = 0;
            continue;
        }
        if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest) deepest = depth;
            if (deepest > max_depth) return deepest;
        } else if (c == ']' || c == '}') {
            if (depth == 0) break;
            if (--depth == 0) break; /* end of the first value */
        }
    }
    return deepest;
}

json_t *sy_json_parse_one(const char *data, size_t len, size_t max_depth, size_t *consumed,
                          json_error_t *err)
{
    memset(err, 0, sizeof(*err));
    if (max_depth > 0 && json_max_nesting(data, len, max_depth) > max_depth) {
        err->line = 1;
        snprintf(err->text, sizeof(err->text), "nesting deeper than %zu levels", max_depth);
        if (consumed) *consumed = len;
        return NULL;
    }
    size_t flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY;
    if (consumed) flags |= JSON_DISABLE_EOF_CHECK;
    json_t *v = json_loadb(data, len, flags, err);
    if (consumed) *consumed = v ? (size_t)err->position : len;
    return v;
}

json_t *sy_json_parse(const char *data, size_t len, size_t max_depth, json_error_t *err)
{
    return sy_json_parse_one(data, len, max_depth, NULL, err);
}
