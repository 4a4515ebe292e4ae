/* Unit tests: Janus API request validation and dispatch, without transports and
 * without plugins (plugin flows are covered by the integration tests). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"
#include "check.h"

static uv_loop_t loop;
static sy_config cfg;
static json_t *sent; /* messages pushed to the client */

static void client_send(sy_client *c, uint64_t session_id, json_t *msg)
{
    json_array_append_new(sent, msg);
}
static const sy_client_ops ops = {.send = client_send};
static sy_client client = {.ops = &ops, .transport = "test"};
static sy_client admin = {.ops = &ops, .transport = "test", .admin = true};

static json_t *req(const char *text, const sy_request_path *path)
{
    return sy_api_request_bytes(&client, text, strlen(text), path);
}

static int error_code(json_t *r)
{
    return (int)json_integer_value(json_object_get(json_object_get(r, "error"), "code"));
}

static const char *error_reason(json_t *r)
{
    return json_string_value(json_object_get(json_object_get(r, "error"), "reason"));
}

static const char *verb(json_t *r) { return json_string_value(json_object_get(r, "janus")); }

static void expect_error(const char *text, int code, const char *reason_part)
{
    json_t *r = req(text, NULL);
    CHECK_STR(verb(r), "error");
    CHECK_EQ_INT(error_code(r), code);
    if (reason_part) CHECK_CONTAINS(error_reason(r), reason_part);
    json_decref(r);
}

static uint64_t create_session(void)
{
    json_t *r = req("{\"janus\":\"create\",\"transaction\":\"c\"}", NULL);
    CHECK_STR(verb(r), "success");
    CHECK(json_object_get(r, "session_id") == NULL); /* not at the top level */
    uint64_t id = (uint64_t)json_integer_value(json_object_get(json_object_get(r, "data"), "id"));
    CHECK(id > 0 && id < (UINT64_C(1) << 53));
    json_decref(r);
    return id;
}

static void test_envelope(void)
{
    expect_error("{", 454, "JSON error");
    expect_error("[1,2]", 455, NULL);
    expect_error("\"str\"", 455, NULL);
    expect_error("{\"janus\":\"info\"}", 456, "Missing mandatory element (transaction)");
    expect_error("{\"janus\":\"info\",\"transaction\":5}", 467,
                 "Invalid element type (transaction should be a string)");
    expect_error("{\"transaction\":\"t\"}", 456, "Missing mandatory element (janus)");
    expect_error("{\"janus\":1,\"transaction\":\"t\"}", 467, "janus should be a string");
    expect_error("{\"janus\":\"create\",\"transaction\":\"t\",\"id\":-4}", 467,
                 "id should be a positive integer");
    expect_error("{\"janus\":\"ping\",\"transaction\":\"a\",\"transaction\":\"b\"}", 454,
                 "duplicate");
    expect_error("{\"janus\":\"keepalive\",\"transaction\":\"t\"}", 457,
                 "Unhandled request 'keepalive' at this path");
    /* Deep nesting is refused before the parser recurses. */
    char deep[4096];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    expect_error(deep, 454, "nesting");
    /* Transaction echoed on errors once it is valid. */
    json_t *r = req("{\"janus\":\"nope\",\"transaction\":\"tx9\"}", NULL);
    CHECK_STR(json_string_value(json_object_get(r, "transaction")), "tx9");
    CHECK_EQ_INT(error_code(r), 457);
    json_decref(r);
}

static void test_root(void)
{
    json_t *r = req("{\"janus\":\"PING\",\"transaction\":\"p\"}", NULL); /* case-insensitive */
    CHECK_STR(verb(r), "pong");
    CHECK_STR(json_string_value(json_object_get(r, "transaction")), "p");
    json_decref(r);
    r = req("{\"janus\":\"info\",\"transaction\":\"i\"}", NULL);
    CHECK_STR(verb(r), "server_info");
    CHECK(json_is_integer(json_object_get(r, "version")));
    CHECK(json_is_object(json_object_get(r, "plugins")));
    CHECK(json_is_object(json_object_get(r, "dependencies")));
    CHECK_EQ_INT(json_integer_value(json_object_get(r, "session-timeout")), cfg.session_timeout);
    json_decref(r);
    r = req("{\"janus\":\"create\",\"transaction\":\"c\",\"id\":12345}", NULL);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(r, "data"), "id")), 12345);
    json_decref(r);
    expect_error("{\"janus\":\"create\",\"transaction\":\"c\",\"id\":12345}", 468, NULL);
}

static void test_session_verbs(void)
{
    uint64_t s = create_session();
    char buf[512];
    snprintf(buf, sizeof(buf), "{\"janus\":\"keepalive\",\"transaction\":\"k\",\"session_id\":%llu}",
             (unsigned long long)s);
    json_t *r = req(buf, NULL);
    CHECK_STR(verb(r), "ack");
    CHECK_EQ_INT(json_integer_value(json_object_get(r, "session_id")), (long long)s);
    json_decref(r);
    snprintf(buf, sizeof(buf), "{\"janus\":\"attach\",\"transaction\":\"a\",\"session_id\":%llu,"
             "\"plugin\":\"janus.plugin.none\"}", (unsigned long long)s);
    r = req(buf, NULL);
    CHECK_EQ_INT(error_code(r), 460);
    CHECK_CONTAINS(error_reason(r), "No such plugin 'janus.plugin.none'");
    json_decref(r);
    snprintf(buf, sizeof(buf), "{\"janus\":\"attach\",\"transaction\":\"a\",\"session_id\":%llu}",
             (unsigned long long)s);
    r = req(buf, NULL);
    CHECK_EQ_INT(error_code(r), 456);
    CHECK_CONTAINS(error_reason(r), "(plugin)");
    json_decref(r);
    snprintf(buf, sizeof(buf), "{\"janus\":\"bogus\",\"transaction\":\"a\",\"session_id\":%llu}",
             (unsigned long long)s);
    r = req(buf, NULL);
    CHECK_EQ_INT(error_code(r), 453);
    CHECK_CONTAINS(error_reason(r), "Unknown request 'bogus'");
    json_decref(r);
    snprintf(buf, sizeof(buf), "{\"janus\":\"message\",\"transaction\":\"a\",\"session_id\":%llu,"
             "\"handle_id\":77,\"body\":{}}", (unsigned long long)s);
    r = req(buf, NULL);
    CHECK_EQ_INT(error_code(r), 459);
    json_decref(r);
    snprintf(buf, sizeof(buf), "{\"janus\":\"message\",\"transaction\":\"a\",\"session_id\":%llu}",
             (unsigned long long)s);
    r = req(buf, NULL);
    CHECK_EQ_INT(error_code(r), 457); /* handle verb on a session */
    json_decref(r);
    expect_error("{\"janus\":\"keepalive\",\"transaction\":\"k\",\"session_id\":999}", 458,
                 "No such session 999");
    /* REST: the path's IDs, and conflicts with the body. */
    sy_request_path path = {s, 0};
    r = req("{\"janus\":\"keepalive\",\"transaction\":\"k\"}", &path);
    CHECK_STR(verb(r), "ack");
    json_decref(r);
    r = req("{\"janus\":\"keepalive\",\"transaction\":\"k\",\"session_id\":5}", &path);
    CHECK_EQ_INT(error_code(r), 457);
    CHECK_CONTAINS(error_reason(r), "Conflicting session ID (payload and path)");
    json_decref(r);
    /* destroy, then the session is gone. */
    r = req("{\"janus\":\"destroy\",\"transaction\":\"d\"}", &path);
    CHECK_STR(verb(r), "success");
    json_decref(r);
    CHECK(!sy_api_session_exists(s));
}

static void test_frames(void)
{
    json_array_clear(sent);
    const char *frame = "{\"janus\":\"ping\",\"transaction\":\"1\"} \n{\"janus\":\"ping\","
                        "\"transaction\":\"2\"}{\"janus\":\"info\",\"transaction\":\"3\"}";
    sy_api_handle_frame(&client, frame, strlen(frame));
    CHECK_EQ_INT(json_array_size(sent), 3);
    CHECK_STR(json_string_value(json_object_get(json_array_get(sent, 0), "transaction")), "1");
    CHECK_STR(json_string_value(json_object_get(json_array_get(sent, 1), "transaction")), "2");
    CHECK_STR(verb(json_array_get(sent, 2)), "server_info");
    json_array_clear(sent);
    const char *bad = "{\"janus\":\"ping\",\"transaction\":\"1\"}{oops";
    sy_api_handle_frame(&client, bad, strlen(bad));
    CHECK_EQ_INT(json_array_size(sent), 2);
    CHECK_EQ_INT(error_code(json_array_get(sent, 1)), 454);
}

static json_t *admin_req(const char *text)
{
    return sy_api_admin_request_bytes(&admin, text, strlen(text), NULL);
}

static void test_admin(void)
{
    json_t *r = admin_req("{\"janus\":\"ping\",\"transaction\":\"p\"}");
    CHECK_STR(verb(r), "pong");
    json_decref(r);
    r = admin_req("{\"janus\":\"list_sessions\",\"transaction\":\"l\"}");
    CHECK_EQ_INT(error_code(r), 403);
    json_decref(r);
    r = admin_req("{\"janus\":\"list_sessions\",\"transaction\":\"l\",\"admin_secret\":\"x\"}");
    CHECK_EQ_INT(error_code(r), 403);
    json_decref(r);
    uint64_t s = create_session();
    r = admin_req("{\"janus\":\"list_sessions\",\"transaction\":\"l\","
                  "\"admin_secret\":\"switchyardoverlord\"}");
    CHECK_STR(verb(r), "success");
    json_t *list = json_object_get(r, "sessions");
    int found = 0;
    for (size_t i = 0; i < json_array_size(list); i++)
        if ((uint64_t)json_integer_value(json_array_get(list, i)) == s) found = 1;
    CHECK(found);
    json_decref(r);
    r = admin_req("{\"janus\":\"set_log_level\",\"transaction\":\"l\","
                  "\"admin_secret\":\"switchyardoverlord\",\"level\":99}");
    CHECK_EQ_INT(error_code(r), 467);
    json_decref(r);
    r = admin_req("{\"janus\":\"accept_new_sessions\",\"transaction\":\"l\","
                  "\"admin_secret\":\"switchyardoverlord\",\"accept\":false}");
    CHECK_STR(verb(r), "success");
    json_decref(r);
    expect_error("{\"janus\":\"create\",\"transaction\":\"c\"}", 472, NULL);
    json_decref(admin_req("{\"janus\":\"accept_new_sessions\",\"transaction\":\"l\","
                          "\"admin_secret\":\"switchyardoverlord\",\"accept\":true}"));
    /* Tokens need token_auth. */
    r = admin_req("{\"janus\":\"add_token\",\"transaction\":\"l\","
                  "\"admin_secret\":\"switchyardoverlord\",\"token\":\"x\"}");
    CHECK_EQ_INT(error_code(r), 490);
    json_decref(r);
}

static void test_limits(void)
{
    cfg.max_sessions = 1;
    size_t existing = sy_api_session_count();
    if (existing == 0) create_session();
    expect_error("{\"janus\":\"create\",\"transaction\":\"c\"}", 472, "Maximum number of sessions");
    cfg.max_sessions = 0;
}

int main(void)
{
    uv_loop_init(&loop);
    sy_config_defaults(&cfg);
    free(cfg.plugins_dir);
    cfg.plugins_dir = NULL;
    sy_log_set_level(SY_LOG_ERR);
    sent = json_array();
    CHECK_EQ_INT(sy_api_init(&loop, &cfg), 0);
    test_envelope();
    test_root();
    test_session_verbs();
    test_frames();
    test_admin();
    test_limits();
    sy_api_shutdown();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    json_decref(sent);
    sy_config_free(&cfg);
    return CHECK_DONE();
}
