/* The "server_info" reply (janus-api.md 1.6). */
#ifndef SY_SERVER_INFO_H
#define SY_SERVER_INFO_H

#include <jansson.h>

void sy_server_info_init(void);
/* {"janus":"server_info","transaction":T,...} (new reference). */
json_t *sy_server_info(const char *transaction);

#endif
