/* The Janus API side of the media core (jsep.c). Main thread. */
#ifndef SY_JSEP_H
#define SY_JSEP_H

#include <jansson.h>

#include "core/config.h"
#include "switchyard/plugin.h"

int sy_jsep_init(const sy_config *cfg);
void sy_jsep_cleanup(void);
/* A client's offer or answer (validated type and sdp): checks the SDP. Returns an error
 * reply, or NULL with *plugin_jsep set to what the plugin sees (anonymised SDP). */
json_t *sy_jsep_incoming(sy_plugin_handle *h, json_t *jsep, const char *tr, json_t **plugin_jsep);
/* After the plugin handled the message: creates the peer connection if needed (on the
 * worker the plugin chose) and applies the client's description. */
void sy_jsep_apply(sy_plugin_handle *h, json_t *jsep);
/* A trickled candidate object (or {"completed":true}); borrowed. */
void sy_jsep_trickle(sy_plugin_handle *h, json_t *candidate);
/* Closes the peer connection, if any ("hangup" request, admin hangup_webrtc). */
void sy_jsep_hangup(sy_plugin_handle *h, const char *reason);
/* The peer connection's state for handle_info, or NULL. */
json_t *sy_jsep_info(sy_plugin_handle *h);

#endif
