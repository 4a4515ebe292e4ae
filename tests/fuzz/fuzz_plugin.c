/*
 * Fuzz target: the product plugins' request parsers, in process, through the real core
 * dispatch (security.md table 6 rows 14-17). The plugins are loaded from the build's
 * plugins/ folder (next to tests/, or SY_FUZZ_PRODUCT_PLUGINS) with their sample
 * configs copied into a scratch config folder (rooms marked permanent are written
 * there, never into conf/).
 *
 * Input: one selector byte, then a sequence of JSON values (concatenated, as a
 * WebSocket frame may carry them). Per input a fresh session attaches two handles to
 * the plugin the selector names; each JSON value becomes one request, alternating
 * between the two handles (so a publisher and a subscriber can meet in one room):
 *   selector % 8 = 0 VideoRoom "message" body     4 VideoRoom data channel message
 *                  1 TextRoom "message" body      5 TextRoom data channel message
 *                  2 EchoTest "message" body      6 VideoRoom admin message_plugin
 *                  3 TextRoom body, then the rest 7 TextRoom admin message_plugin
 *                    as data channel messages
 * A body value with a "jsep" member has it moved next to the body, so client SDPs
 * reach the core's JSEP checks and the plugin's SDP code. Data channel messages go
 * to the plugin's incoming_data as raw text (one per JSON value, verbatim bytes).
 * The session is destroyed at the end of each input, so inputs replay alike; rooms an
 * input creates stay until the plugins are destroyed at exit.
 *
 * fuzz_plugin_strids.c builds this file with SY_FUZZ_STRING_IDS: the VideoRoom and
 * TextRoom configs then set string_ids (rooms "1234" and "lobby"), corpus plugin_strids.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/request_util.h"
#include "api/session.h"
#include "core/log.h"
#include "core/plugins.h"
#include "core/workers.h"

#define MAX_REQUESTS 16

static uv_loop_t loop;
static sy_config cfg;
static char conf_dir[] = "/tmp/sy-fuzz-plugin-XXXXXX";
static uint64_t next_tr;

static void client_send(sy_client *c, uint64_t session_id, json_t *msg)
{
    char *s = json_dumps(msg, JSON_COMPACT); /* what a transport would do */
    free(s);
    json_decref(msg);
}

static const sy_client_ops ops = {.send = client_send};
static sy_client client = {.ops = &ops, .transport = "fuzz", .admin = false};
static sy_client admin_client = {.ops = &ops, .transport = "fuzz", .admin = true};

static void copy_file(const char *from_dir, const char *to_dir, const char *name)
{
    char from[PATH_MAX], to[PATH_MAX], buf[4096];
    snprintf(from, sizeof(from), "%s/%s", from_dir, name);
    snprintf(to, sizeof(to), "%s/%s", to_dir, name);
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, n, out);
    if (in) fclose(in);
    if (out) fclose(out);
}

static char *product_plugins_dir(void)
{
    if (getenv("SY_FUZZ_PRODUCT_PLUGINS")) return strdup(getenv("SY_FUZZ_PRODUCT_PLUGINS"));
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof(dir), "%s/../plugins", exe); /* build/tests/x -> build/plugins */
    return strdup(dir);
}

static void teardown(void)
{
    sy_api_shutdown();
    sy_workers_stop();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    sy_config_free(&cfg);
    char path[PATH_MAX];
    static const char *const names[] = {"switchyard.plugin.videoroom.jcfg",
                                        "switchyard.plugin.textroom.jcfg"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", conf_dir, names[i]);
        unlink(path);
    }
    rmdir(conf_dir);
}

#ifdef SY_FUZZ_STRING_IDS
static void write_file(const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", conf_dir, name);
    FILE *f = fopen(path, "w");
    if (!f) abort();
    fputs(text, f);
    fclose(f);
}

static void write_string_ids_configs(void)
{
    write_file("switchyard.plugin.videoroom.jcfg",
               "general: { string_ids = true }\n"
               "room-1234: { description = \"Demo Room\" secret = \"adminpwd\" publishers = 6\n"
               "  bitrate = 128000 fir_freq = 10 audiolevel_event = true }\n"
               "room-lobby: { description = \"Lobby\" notify_joining = true require_pvtid = false }\n");
    write_file("switchyard.plugin.textroom.jcfg",
               "general: { string_ids = true }\n"
               "room-1234: { description = \"Demo Room\" secret = \"adminpwd\" history = 5 }\n"
               "room-lobby: { description = \"Lobby\" }\n");
}
#endif

static void setup(void)
{
    /* The sample configs, from the source tree this file is in (tests/fuzz/ -> conf/). */
    char src_conf[PATH_MAX];
    snprintf(src_conf, sizeof(src_conf), "%s", __FILE__);
    char *cut = strstr(src_conf, "tests/fuzz/");
    if (cut) strcpy(cut, "conf");
    if (!mkdtemp(conf_dir)) abort();
#ifdef SY_FUZZ_STRING_IDS
    (void)copy_file;
    (void)src_conf;
    write_string_ids_configs();
#else
    copy_file(src_conf, conf_dir, "switchyard.plugin.videoroom.jcfg");
    copy_file(src_conf, conf_dir, "switchyard.plugin.textroom.jcfg");
#endif

    uv_loop_init(&loop);
    sy_config_defaults(&cfg);
    free(cfg.plugins_dir);
    cfg.plugins_dir = product_plugins_dir();
    free(cfg.config_dir);
    cfg.config_dir = strdup(conf_dir);
    cfg.session_timeout = 0;
    sy_log_set_level(SY_LOG_FATAL);
    if (sy_workers_start(1) != 0 || sy_api_init(&loop, &cfg) != 0) abort();
    if (!sy_plugins_find("janus.plugin.videoroom") || !sy_plugins_find("janus.plugin.textroom") ||
        !sy_plugins_find("janus.plugin.echotest")) {
        fprintf(stderr, "fuzz_plugin: product plugins not found in %s\n", cfg.plugins_dir);
        abort();
    }
    atexit(teardown);
}

static json_t *request(const char *verb, uint64_t session, uint64_t handle)
{
    char tr[32];
    snprintf(tr, sizeof(tr), "t%llu", (unsigned long long)++next_tr);
    json_t *r = json_pack("{s:s,s:s}", "janus", verb, "transaction", tr);
    if (session) json_object_set_new(r, "session_id", json_integer((json_int_t)session));
    if (handle) json_object_set_new(r, "handle_id", json_integer((json_int_t)handle));
    return r;
}

static uint64_t data_id(json_t *reply)
{
    json_t *id = json_object_get(json_object_get(reply, "data"), "id");
    uint64_t v = json_is_integer(id) ? (uint64_t)json_integer_value(id) : 0;
    json_decref(reply);
    return v;
}

static uint64_t attach(uint64_t session, const char *plugin)
{
    json_t *r = request("attach", session, 0);
    json_object_set_new(r, "plugin", json_string(plugin));
    json_t *reply = sy_api_request(&client, r, NULL);
    json_decref(r);
    return data_id(reply);
}

static void send_body(uint64_t session, uint64_t handle, json_t *body)
{
    json_t *r = request("message", session, handle);
    json_t *jsep = json_object_get(body, "jsep");
    if (jsep) {
        json_object_set(r, "jsep", jsep);
        json_object_del(body, "jsep");
    }
    json_object_set(r, "body", body);
    json_decref(sy_api_request(&client, r, NULL));
    json_decref(r);
}

static void send_admin(const char *plugin, json_t *body)
{
    json_t *r = request("message_plugin", 0, 0);
    json_object_set_new(r, "plugin", json_string(plugin));
    json_object_set(r, "request", body);
    json_decref(sy_api_admin_request(&admin_client, r, NULL));
    json_decref(r);
}

static void send_data(uint64_t session, uint64_t handle, const char *plugin, const char *buf,
                      size_t len)
{
    sy_session *s = sy_session_find(session);
    sy_plugin_handle *h = s ? sy_handle_find(s, handle) : NULL;
    const sy_plugin *p = sy_plugins_find(plugin);
    if (h && p && p->incoming_data)
        p->incoming_data(h, "fuzz", NULL, false, (const uint8_t *)buf, len);
}

static void settle(void)
{
    /* Twice: deferred work may post more (a data channel message goes to main, its
     * reply to the worker, the worker's notice back to main). */
    for (int i = 0; i < 3; i++) {
        sy_workers_flush();
        uv_run(&loop, UV_RUN_NOWAIT);
    }
}

static uint64_t create_session(void)
{
    json_t *r = request("create", 0, 0);
    uint64_t id = data_id(sy_api_request(&client, r, NULL));
    json_decref(r);
    return id;
}

static void destroy_session(uint64_t session)
{
    json_t *r = request("destroy", session, 0);
    json_decref(sy_api_request(&client, r, NULL));
    json_decref(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 1) return 0;
    unsigned mode = data[0] % 8;
    static const char *const plugins[8] = {
        "janus.plugin.videoroom", "janus.plugin.textroom", "janus.plugin.echotest",
        "janus.plugin.textroom",  "janus.plugin.videoroom", "janus.plugin.textroom",
        "janus.plugin.videoroom", "janus.plugin.textroom"};
    const char *plugin = plugins[mode];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    uint64_t session = 0, handles[2] = {0, 0};
    if (mode < 6) {
        session = create_session();
        if (!session) return 0;
        handles[0] = attach(session, plugin);
        handles[1] = attach(session, plugin);
    }
    /* Mode 3 sends the first value as a body (a "setup", typically), then the rest as
     * data channel messages on the same handle. */
    size_t off = 0;
    for (int i = 0; i < MAX_REQUESTS && off < len; i++) {
        json_error_t err;
        size_t used;
        json_t *v = json_loadb(text + off, len - off, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &err);
        if (v) {
            used = (size_t)err.position;
        } else {
            used = err.position > 0 ? (size_t)err.position : len - off;
        }
        if (used == 0 || used > len - off) used = len - off;
        bool dc = mode == 4 || mode == 5 || (mode == 3 && i > 0);
        uint64_t h = handles[mode == 3 ? 0 : i % 2];
        if (dc) {
            /* The raw bytes of this value (or of the unparsable rest). */
            size_t start = off;
            while (start < off + used && (text[start] == ' ' || text[start] == '\n')) start++;
            if (start < off + used) send_data(session, h, plugin, text + start, off + used - start);
        } else if (v && json_is_object(v)) {
            if (mode >= 6)
                send_admin(plugin, v);
            else
                send_body(session, h, v);
        }
        json_decref(v);
        off += used;
        settle();
    }
    if (session) destroy_session(session);
    settle();
    return 0;
}
