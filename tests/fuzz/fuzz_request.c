/*
 * Fuzz target: Janus API request parsing and dispatch (core and admin), as the
 * transports feed it. The first input byte picks the entry point:
 *   0 sy_api_request_bytes, no path (WebSocket style)
 *   1 sy_api_handle_frame (concatenated values)
 *   2 sy_api_admin_request_bytes
 *   3 REST path /janus/1/<handle> (a live handle of the sytest plugin, when loaded)
 *   4 REST path /janus/1
 * The rest is the request. Set SY_FUZZ_PLUGINS to a folder with sytest.so to reach
 * plugin dispatch.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"

static uv_loop_t loop;
static sy_config cfg;
static uint64_t handle_id;

static void client_send(sy_client *c, uint64_t session_id, json_t *msg)
{
    /* Serialise like a transport would, to exercise the reply objects. */
    char *s = json_dumps(msg, JSON_COMPACT);
    free(s);
    json_decref(msg);
}

static const sy_client_ops ops = {.send = client_send};
static sy_client client = {.ops = &ops, .transport = "fuzz", .admin = false};
static sy_client admin_client = {.ops = &ops, .transport = "fuzz", .admin = true};

static void setup(void)
{
    uv_loop_init(&loop);
    sy_config_defaults(&cfg);
    free(cfg.plugins_dir);
    cfg.plugins_dir = getenv("SY_FUZZ_PLUGINS") ? strdup(getenv("SY_FUZZ_PLUGINS")) : NULL;
    cfg.session_timeout = 0;
    sy_log_set_level(SY_LOG_FATAL);
    sy_api_init(&loop, &cfg);
    const char *create = "{\"janus\":\"create\",\"transaction\":\"t\",\"id\":1}";
    json_decref(sy_api_request_bytes(&client, create, strlen(create), NULL));
    const char *attach =
        "{\"janus\":\"attach\",\"transaction\":\"t\",\"session_id\":1,\"plugin\":\"janus.plugin.sytest\"}";
    json_t *r = sy_api_request_bytes(&client, attach, strlen(attach), NULL);
    handle_id = (uint64_t)json_integer_value(json_object_get(json_object_get(r, "data"), "id"));
    json_decref(r);
}

static void teardown(void)
{
    sy_api_shutdown();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    sy_config_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        atexit(teardown);
        ready = 1;
    }
    if (size < 1) return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    sy_request_path path = {1, handle_id};
    sy_request_path session_path = {1, 0};
    json_t *r = NULL;
    switch (data[0] % 5) {
    case 0: r = sy_api_request_bytes(&client, body, len, NULL); break;
    case 1: sy_api_handle_frame(&client, body, len); break;
    case 2: r = sy_api_admin_request_bytes(&admin_client, body, len, NULL); break;
    case 3: r = sy_api_request_bytes(&client, body, len, handle_id ? &path : &session_path); break;
    default: r = sy_api_request_bytes(&client, body, len, &session_path); break;
    }
    json_decref(r);
    /* Deliver deferred events; re-create the fixture if an input destroyed it. */
    uv_run(&loop, UV_RUN_NOWAIT);
    if (!sy_api_session_exists(1) || sy_api_session_count() > 64) {
        teardown();
        setup();
    }
    return 0;
}
