/* JSON from the network, with limits (see json_input.c). */
#ifndef SY_JSON_INPUT_H
#define SY_JSON_INPUT_H

#include <jansson.h>
#include <stddef.h>

/* Parses the whole buffer as one JSON value (any type). NULL on error, err filled. */
json_t *sy_json_parse(const char *data, size_t len, size_t max_depth, json_error_t *err);
/* Parses the first JSON value of the buffer; *consumed gets the bytes used (the rest
 * may hold further values). NULL on error (then *consumed = len). */
json_t *sy_json_parse_one(const char *data, size_t len, size_t max_depth, size_t *consumed,
                          json_error_t *err);

#endif
