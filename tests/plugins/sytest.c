/*
 * janus.plugin.sytest: a test fixture plugin (not a product plugin). It exercises the
 * plugin API: synchronous replies, asynchronous ack + event with the request's
 * transaction (pushed from the plugin's own thread, as real plugins do), unsolicited
 * events, plugin errors, and a plugin-initiated detach.
 *
 * body.request:
 *   "sync"    -> success {"sytest":"sync","echo":body}
 *   "async"   -> ack, then event (same transaction) {"sytest":"async","echo":body}
 *                with jsep {"type":"answer","sdp":<offer sdp>} when an offer came
 *   "events"  -> ack, then body.count (1..100) unsolicited events {"sytest":"event","seq":i}
 *   "error"   -> plugin error "sytest error" (Janus error 462)
 *   "end"     -> ack, then the plugin ends the handle (client gets "detached")
 *   "offer"   -> ack, then an event {"sytest":"offer"} with a server offer (Opus + VP8
 *                with rtx, sendrecv): the client answers with any request carrying a
 *                jsep answer; media that arrives is echoed back (relay_rtp)
 *   other     -> success {"sytest":"error","error_code":499,"error":"unknown request"}
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/sdp.h"
#include "protocol/sdp_build.h"
#include "switchyard/plugin.h"

typedef struct job {
    struct job *next;
    sy_plugin_handle *handle; /* referenced */
    char *transaction;        /* NULL: unsolicited */
    json_t *data;
    json_t *jsep;
    int end; /* end the handle instead of pushing */
} job;

static const sy_core_api *core;
static pthread_t thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static job *head, *tail;
static int stopping;
static int sessions;

static void enqueue(sy_plugin_handle *h, const char *tr, json_t *data, json_t *jsep, int end)
{
    job *j = calloc(1, sizeof(*j));
    core->handle_ref(h);
    j->handle = h;
    j->transaction = tr ? strdup(tr) : NULL;
    j->data = data;
    j->jsep = jsep;
    j->end = end;
    pthread_mutex_lock(&lock);
    if (tail) tail->next = j;
    else head = j;
    tail = j;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
}

static void job_free(job *j)
{
    core->handle_unref(j->handle);
    free(j->transaction);
    json_decref(j->data);
    json_decref(j->jsep);
    free(j);
}

static void *run(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (!head && !stopping) pthread_cond_wait(&cond, &lock);
        job *j = head;
        if (j) {
            head = j->next;
            if (!head) tail = NULL;
        }
        pthread_mutex_unlock(&lock);
        if (!j) break; /* stopping and drained */
        if (j->end) core->end_handle(j->handle);
        else core->push_event(j->handle, j->transaction, j->data, j->jsep);
        job_free(j);
    }
    return NULL;
}

static int sytest_init(const sy_core_api *api, const char *config_dir)
{
    (void)config_dir;
    core = api;
    stopping = 0;
    return pthread_create(&thread, NULL, run, NULL) == 0 ? 0 : -1;
}

static void sytest_destroy(void)
{
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
}

static int sytest_create_session(sy_plugin_handle *h)
{
    int *counter = calloc(1, sizeof(int));
    core->set_plugin_data(h, counter);
    sessions++;
    return 0;
}

static void sytest_destroy_session(sy_plugin_handle *h)
{
    free(core->get_plugin_data(h));
    core->set_plugin_data(h, NULL);
    sessions--;
}

static json_t *reply_data(const char *kind, json_t *body)
{
    json_t *d = json_object();
    json_object_set_new(d, "sytest", json_string(kind));
    json_object_set(d, "echo", body);
    return d;
}

static sy_plugin_result sytest_handle_message(sy_plugin_handle *h, const char *tr, json_t *body,
                                              json_t *jsep)
{
    sy_plugin_result res = {SY_PLUGIN_OK, NULL, NULL};
    int *counter = core->get_plugin_data(h);
    if (counter) (*counter)++;
    const char *request = json_string_value(json_object_get(body, "request"));
    if (!request) request = "";
    if (!strcmp(request, "sync")) {
        res.content = reply_data("sync", body);
    } else if (!strcmp(request, "async")) {
        json_t *answer = NULL;
        if (jsep) {
            answer = json_object();
            json_object_set_new(answer, "type", json_string("answer"));
            json_object_set(answer, "sdp", json_object_get(jsep, "sdp"));
        }
        enqueue(h, tr, reply_data("async", body), answer, 0);
        res.type = SY_PLUGIN_OK_WAIT;
    } else if (!strcmp(request, "events")) {
        json_int_t count = json_integer_value(json_object_get(body, "count"));
        if (count < 1 || count > 100) {
            res.type = SY_PLUGIN_ERROR;
            res.text = "count must be 1..100";
            return res;
        }
        for (json_int_t i = 0; i < count; i++)
            enqueue(h, NULL, json_pack("{s:s,s:I}", "sytest", "event", "seq", i), NULL, 0);
        res.type = SY_PLUGIN_OK_WAIT;
        res.text = "events follow";
    } else if (!strcmp(request, "error")) {
        res.type = SY_PLUGIN_ERROR;
        res.text = "sytest error";
    } else if (!strcmp(request, "offer")) {
        static const sy_sdp_extmap_spec ext[] = {{1, "urn:ietf:params:rtp-hdrext:sdes:mid"}};
        sy_sdp_offer_media media[2] = {
            {.type = SY_SDP_AUDIO, .mid = "a", .direction = SY_SDP_SENDRECV, .codec = SY_CODEC_OPUS,
             .pt = 111, .extmaps = ext, .n_extmaps = 1},
            {.type = SY_SDP_VIDEO, .mid = "v", .direction = SY_SDP_SENDRECV, .codec = SY_CODEC_VP8,
             .pt = 96, .rtx_pt = 97, .extmaps = ext, .n_extmaps = 1},
        };
        sy_sdp_offer_opts opts = {.sess_id = core->random_id(), .sess_version = 1, .media = media,
                                  .n_media = 2};
        sy_sdp *offer = NULL;
        char err[128];
        if (sy_sdp_generate_offer(&opts, &offer, err, sizeof(err)) < 0) {
            res.type = SY_PLUGIN_ERROR;
            res.text = "cannot build an offer";
            return res;
        }
        size_t len = 0;
        char *text = sy_sdp_write(offer, &len);
        sy_sdp_free(offer);
        json_t *jo = json_pack("{s:s,s:s}", "type", "offer", "sdp", text);
        free(text);
        enqueue(h, tr, json_pack("{s:s}", "sytest", "offer"), jo, 0);
        res.type = SY_PLUGIN_OK_WAIT;
    } else if (!strcmp(request, "end")) {
        enqueue(h, NULL, NULL, NULL, 1);
        res.type = SY_PLUGIN_OK_WAIT;
    } else {
        res.content = json_pack("{s:s,s:i,s:s}", "sytest", "error", "error_code", 499, "error",
                                "unknown request");
    }
    return res;
}

/* Media: echo what arrives (server-offer tests). */
static void sytest_incoming_rtp(sy_plugin_handle *h, sy_rtp_packet *pkt) { core->relay_rtp(h, pkt); }

static void sytest_hangup_media(sy_plugin_handle *h)
{
    json_t *ev = json_pack("{s:s}", "sytest", "hangup");
    core->push_event(h, NULL, ev, NULL);
    json_decref(ev);
}

static json_t *sytest_handle_admin_message(json_t *request)
{
    return json_pack("{s:s,s:i,s:O}", "sytest", "admin", "sessions", sessions, "echo", request);
}

static json_t *sytest_query_session(sy_plugin_handle *h)
{
    int *counter = core->get_plugin_data(h);
    return json_pack("{s:i}", "messages", counter ? *counter : 0);
}

static const sy_plugin sytest = {
    .api_version = SY_PLUGIN_API_VERSION,
    .package = "janus.plugin.sytest",
    .name = "Switchyard test plugin",
    .description = "A fixture that exercises the plugin API in tests",
    .author = "The Switchyard developers",
    .version_string = "0.1.0",
    .version = 1,
    .init = sytest_init,
    .destroy = sytest_destroy,
    .create_session = sytest_create_session,
    .handle_message = sytest_handle_message,
    .handle_admin_message = sytest_handle_admin_message,
    .destroy_session = sytest_destroy_session,
    .query_session = sytest_query_session,
    .incoming_rtp = sytest_incoming_rtp,
    .hangup_media = sytest_hangup_media,
};

__attribute__((visibility("default"))) const sy_plugin *switchyard_plugin_create(void)
{
    return &sytest;
}
