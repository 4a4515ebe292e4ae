/*
 * Where the Janus API meets the media core: JSEP offers and answers from clients and
 * from plugins, trickled candidates, and the media events the core sends to clients
 * (webrtcup, media, hangup). Main thread.
 */
#include "api/jsep.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "api/errors.h"
#include "api/session.h"
#include "core/log.h"
#include "media/pc.h"
#include "protocol/sdp.h"
#include "protocol/sdp_merge.h"

static json_t *handle_message_new(sy_plugin_handle *h, const char *verb)
{
    json_t *m = sy_message_new(verb, h->session_id, NULL);
    json_object_set_new(m, "sender", json_integer((json_int_t)h->id));
    if (h->opaque_id && sy_api_config->opaqueid_in_api)
        json_object_set_new(m, "opaque_id", json_string(h->opaque_id));
    return m;
}

static void send_to_handle_session(sy_plugin_handle *h, json_t *m)
{
    sy_session *s = h->session ? h->session : sy_session_find(h->session_id);
    sy_session_send(s, m);
}

/* ---- events from the media core ---- */

static void on_local_sdp(sy_plugin_handle *h, json_t *event, char *sdp, const char *error)
{
    json_t *jsep = json_object_get(event, "jsep");
    if (sdp) {
        json_object_set_new(jsep, "sdp", json_string(sdp));
        const char *type = json_string_value(json_object_get(jsep, "type"));
        if (type && !strcmp(type, "offer")) atomic_store(&h->offer_sent, true);
    } else {
        SY_ERROR("Handle %" PRIu64 ": cannot complete the plugin's SDP: %s", h->id,
                 error ? error : "?");
        json_object_del(event, "jsep");
    }
    free(sdp);
    send_to_handle_session(h, event);
}

static void on_webrtcup(sy_plugin_handle *h) { send_to_handle_session(h, handle_message_new(h, "webrtcup")); }

static void on_hangup(sy_plugin_handle *h, const char *reason)
{
    json_t *m = handle_message_new(h, "hangup");
    json_object_set_new(m, "reason", json_string(reason));
    send_to_handle_session(h, m);
    atomic_store(&h->offer_sent, false);
    if (h->plugin->hangup_media) h->plugin->hangup_media(h);
}

static void on_media(sy_plugin_handle *h, const char *mid, bool video, bool receiving)
{
    json_t *m = handle_message_new(h, "media");
    json_object_set_new(m, "mid", json_string(mid));
    json_object_set_new(m, "type", json_string(video ? "video" : "audio"));
    json_object_set_new(m, "receiving", json_boolean(receiving));
    send_to_handle_session(h, m);
}

static void on_trickle(sy_plugin_handle *h, const char *mid, const char *candidate)
{
    json_t *m = handle_message_new(h, "trickle");
    json_t *c = json_object();
    if (candidate) {
        json_object_set_new(c, "sdpMid", json_string(mid ? mid : "0"));
        json_object_set_new(c, "sdpMLineIndex", json_integer(0));
        json_object_set_new(c, "candidate", json_string(candidate));
    } else {
        json_object_set_new(c, "completed", json_true());
    }
    json_object_set_new(m, "candidate", c);
    send_to_handle_session(h, m);
}

static void on_slowlink(sy_plugin_handle *h, int mindex, const char *mid, bool video, bool uplink,
                        uint32_t lost)
{
    json_t *m = handle_message_new(h, "slowlink");
    json_object_set_new(m, "mid", json_string(mid));
    json_object_set_new(m, "media", json_string(video ? "video" : "audio"));
    json_object_set_new(m, "uplink", json_boolean(uplink));
    json_object_set_new(m, "lost", json_integer(lost));
    send_to_handle_session(h, m);
    if (h->plugin->slow_link) h->plugin->slow_link(h, mindex, video, uplink);
}

static const sy_pc_events pc_events = {
    .slowlink = on_slowlink,
    .trickle = on_trickle,
    .local_sdp_ready = on_local_sdp,
    .webrtcup = on_webrtcup,
    .hangup = on_hangup,
    .media = on_media,
};

int sy_jsep_init(const sy_config *cfg) { return sy_pc_global_init(cfg, &pc_events); }
void sy_jsep_cleanup(void) { sy_pc_global_cleanup(); }

/* ---- from the plugin ---- */

void sy_handle_send_jsep_event(sy_plugin_handle *h, json_t *msg)
{
    json_t *jsep = json_object_get(msg, "jsep");
    const char *type = json_string_value(json_object_get(jsep, "type"));
    const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
    bool offer = type && !strcmp(type, "offer");
    if (!h->pc && offer) sy_pc_new(h); /* a server offer starts a peer connection */
    if (!h->pc || !sdp) {
        SY_WARN("Handle %" PRIu64 ": plugin %s sent an %s with no peer connection", h->id,
                h->plugin->package, type ? type : "SDP");
        json_object_del(msg, "jsep");
        send_to_handle_session(h, msg);
        return;
    }
    bool restart = json_is_true(json_object_get(jsep, "restart"));
    json_object_del(jsep, "restart"); /* the client gets type and sdp (and e2ee) */
    char *text = strdup(sdp);
    sy_pc_set_local(h->pc, text, offer, restart, msg);
    free(text);
}

/* ---- from the client ---- */

static void flush_candidates(sy_plugin_handle *h)
{
    if (!h->pc || !h->pending_candidates) return;
    while (!g_queue_is_empty(h->pending_candidates)) {
        sy_queued_candidate *c = g_queue_pop_head(h->pending_candidates);
        json_t *cand = json_object_get(c->candidate, "candidate");
        if (json_is_string(cand)) sy_pc_add_remote_candidate(h->pc, json_string_value(cand));
        else sy_pc_add_remote_candidate(h->pc, NULL);
        json_decref(c->candidate);
        free(c);
    }
}

json_t *sy_jsep_incoming(sy_plugin_handle *h, json_t *jsep, const char *tr, json_t **plugin_jsep)
{
    uint64_t sid = h->session_id;
    const char *type = json_string_value(json_object_get(jsep, "type"));
    const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
    bool offer = strcasecmp(type, "offer") == 0;
    char err[256] = "";
    if (!offer && !h->pc) return sy_api_error(sid, tr, SY_ERR_UNEXPECTED_ANSWER, NULL);
    /* Checked now, applied after the plugin had its say (it may choose the worker). */
    if (sy_pc_check_remote(sdp, offer, err, sizeof(err)) < 0)
        return sy_api_error(sid, tr, SY_ERR_JSEP_INVALID_SDP, "JSEP error: invalid SDP (%s)", err);
    /* The plugin sees the SDP without ICE and DTLS. */
    sy_sdp *model = NULL;
    if (sy_sdp_parse(sdp, strlen(sdp), &model, err, sizeof(err)) == 0) {
        sy_sdp_anonymize(model);
        size_t len = 0;
        char *anon = sy_sdp_write(model, &len);
        sy_sdp_free(model);
        *plugin_jsep = json_object();
        json_object_set_new(*plugin_jsep, "type", json_string(offer ? "offer" : "answer"));
        json_object_set_new(*plugin_jsep, "sdp", json_string(anon));
        if (h->pc && offer) json_object_set_new(*plugin_jsep, "update", json_true());
        /* janus.js's per-stream SVC modes ([{mindex|mid, svc:"L3T3"}]): the plugin's to
         * read (VideoRoom announces those streams as svc). */
        json_t *svc = json_object_get(jsep, "svc");
        if (offer && json_is_array(svc)) json_object_set(*plugin_jsep, "svc", svc);
        free(anon);
    }
    return NULL;
}

void sy_jsep_apply(sy_plugin_handle *h, json_t *jsep)
{
    const char *type = json_string_value(json_object_get(jsep, "type"));
    const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
    bool offer = type && strcasecmp(type, "offer") == 0;
    char err[256] = "";
    if (atomic_load(&h->destroyed) || !sdp) return;
    if (!h->pc && (!offer || !sy_pc_new(h))) {
        SY_ERROR("Handle %" PRIu64 ": no peer connection for the client's %s", h->id,
                 offer ? "offer (no media worker)" : "answer");
        return;
    }
    const char *rid_order = json_string_value(json_object_get(jsep, "rid_order"));
    sy_pc_set_rid_order_lmh(h->pc, rid_order && !strcmp(rid_order, "lmh"));
    if (sy_pc_set_remote(h->pc, sdp, offer, err, sizeof(err)) < 0) {
        SY_ERROR("Handle %" PRIu64 ": the checked SDP failed: %s", h->id, err);
        sy_pc_close(h->pc, "DTLS-SRTP stack error");
        return;
    }
    flush_candidates(h);
}

void sy_jsep_trickle(sy_plugin_handle *h, json_t *candidate)
{
    sy_handle_queue_candidate(h, candidate);
    flush_candidates(h);
}

void sy_jsep_hangup(sy_plugin_handle *h, const char *reason)
{
    if (h->pc) sy_pc_close(h->pc, reason);
}

json_t *sy_jsep_info(sy_plugin_handle *h) { return h->pc ? sy_pc_info(h->pc) : NULL; }
