/*
 * Configuration: defaults, the sample conf/ folder, errors that name file, key and
 * problem, lenient Janus-style values, command-line overrides, validation.
 * Also the log module's line format and rate limit (config warnings go through it).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/config.h"
#include "core/log.h"

static char tmp[256]; /* a scratch folder */
static char err[4096];

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void remove_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    unlink(path);
}

static void clear_tmp(void)
{
    remove_file("switchyard.jcfg");
    remove_file("switchyard.transport.websockets.jcfg");
    remove_file("switchyard.transport.http.jcfg");
}

static char *read_file(const char *path)
{
    static char buf[65536];
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return buf;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Loads tmp/ after writing one file; returns load()'s result, err holds the message. */
static int load_one(sy_config *cfg, const char *name, const char *text)
{
    clear_tmp();
    write_file(name, text);
    sy_config_defaults(cfg);
    return sy_config_load(cfg, tmp, err, sizeof(err));
}

static void test_defaults(void)
{
    sy_config cfg;
    sy_config_defaults(&cfg);
    CHECK_EQ_INT(cfg.log_level, 4);
    CHECK(cfg.log_timestamps);
    CHECK(cfg.log_file == NULL);
    CHECK_STR(cfg.server_name, "Switchyard");
    CHECK_EQ_INT(cfg.session_timeout, 60);
    CHECK_EQ_INT(cfg.reclaim_session_timeout, 0);
    CHECK_EQ_INT(cfg.candidates_timeout, 45);
    CHECK(cfg.accept_new_sessions);
    CHECK_EQ_INT(cfg.max_sessions, 0);
    CHECK(cfg.api_secret == NULL);
    CHECK(!cfg.token_auth);
    CHECK(cfg.token_auth_secret == NULL);
    CHECK_STR(cfg.admin_secret, SY_SAMPLE_ADMIN_SECRET);
    CHECK(!cfg.opaqueid_in_api);
    CHECK_EQ_INT(cfg.media_workers, 0);
    CHECK_EQ_INT(cfg.max_message_size, 1048576);
    CHECK_EQ_INT(cfg.json_max_depth, 32);
    CHECK_EQ_INT(cfg.n_disable_plugins, 0);
    CHECK(cfg.cert_pem == NULL && cfg.cert_key == NULL && cfg.cert_pwd == NULL);
    CHECK(cfg.ws.enabled);
    CHECK_STR(cfg.ws.ip, "127.0.0.1"); /* loopback by default (security) */
    CHECK_EQ_INT(cfg.ws.port, 8188);
    CHECK(!cfg.wss.enabled);
    CHECK_EQ_INT(cfg.wss.port, 8989);
    CHECK(!cfg.admin_ws.enabled);
    CHECK_STR(cfg.admin_ws.ip, "127.0.0.1");
    CHECK_EQ_INT(cfg.admin_ws.port, 7188);
    CHECK(!cfg.admin_wss.enabled);
    CHECK_EQ_INT(cfg.admin_wss.port, 7989);
    CHECK(cfg.ws_allowed_origin == NULL);
    CHECK(cfg.http.enabled);
    CHECK_STR(cfg.http.ip, "127.0.0.1");
    CHECK_EQ_INT(cfg.http.port, 8088);
    CHECK(!cfg.https.enabled);
    CHECK_EQ_INT(cfg.https.port, 8089);
    CHECK(cfg.admin_http.enabled);
    CHECK_STR(cfg.admin_http.ip, "127.0.0.1");
    CHECK_EQ_INT(cfg.admin_http.port, 7088);
    CHECK(!cfg.admin_https.enabled);
    CHECK_EQ_INT(cfg.admin_https.port, 7889);
    CHECK_STR(cfg.base_path, "/janus");
    CHECK_STR(cfg.admin_base_path, "/admin");
    CHECK_STR(cfg.cors_allow_origin, "*");
    CHECK(!cfg.cors_enforce);
    CHECK_EQ_INT(cfg.http_idle_timeout, 120);
    CHECK_EQ_INT(cfg.longpoll_timeout, 30);
    /* Per-address limits (security.md rows 22/23) are on by default. */
    CHECK_EQ_INT(cfg.ws_limits.max_connections, 64);
    CHECK_EQ_INT(cfg.ws_limits.rate, 200);
    CHECK_EQ_INT(cfg.ws_limits.burst, 400);
    CHECK_EQ_INT(cfg.http_limits.max_connections, 64);
    CHECK_EQ_INT(cfg.http_limits.rate, 200);
    CHECK_EQ_INT(cfg.http_limits.burst, 400);
    CHECK_STR(cfg.html_dir, "../html");
    /* <folder of the executable>/plugins */
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    CHECK(n > 0);
    exe[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) strcpy(slash, "/plugins");
    CHECK_STR(cfg.plugins_dir, exe);
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), 0);
    sy_config_free(&cfg);
    sy_config_free(&cfg); /* idempotent */
}

static void test_sample_folder(void)
{
    sy_config cfg, def;
    sy_config_defaults(&cfg);
    sy_config_defaults(&def);
    const char *dir = SY_SOURCE_DIR "/conf";
    CHECK_EQ_INT(sy_config_load(&cfg, dir, err, sizeof(err)), 0);
    CHECK_STR(err, "");
    CHECK_STR(cfg.config_dir, dir);
    CHECK_STR(cfg.html_dir, SY_SOURCE_DIR "/conf/../html");
    /* The samples spell out the defaults. */
    CHECK_EQ_INT(cfg.log_level, def.log_level);
    CHECK_EQ_INT(cfg.session_timeout, def.session_timeout);
    CHECK_STR(cfg.admin_secret, SY_SAMPLE_ADMIN_SECRET);
    CHECK_STR(cfg.plugins_dir, def.plugins_dir);
    CHECK(cfg.ws.enabled && cfg.ws.port == 8188);
    CHECK(cfg.http.enabled && cfg.http.port == 8088);
    CHECK(cfg.admin_http.enabled && cfg.admin_http.port == 7088);
    CHECK_STR(cfg.admin_http.ip, "127.0.0.1");
    CHECK_STR(cfg.admin_https.ip, "127.0.0.1");
    CHECK(!cfg.admin_ws.enabled && !cfg.wss.enabled && !cfg.https.enabled);
    CHECK_EQ_INT(cfg.max_message_size, def.max_message_size);
    CHECK_EQ_INT(cfg.longpoll_timeout, def.longpoll_timeout);
    CHECK(!memcmp(&cfg.ws_limits, &def.ws_limits, sizeof(cfg.ws_limits)));
    CHECK(!memcmp(&cfg.http_limits, &def.http_limits, sizeof(cfg.http_limits)));
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), 0);
    sy_config_free(&cfg);
    sy_config_free(&def);
}

static void test_errors(void)
{
    sy_config cfg;
    char want[1024];

    /* Wrong type: the message of the agreed example, exactly. */
    CHECK_EQ_INT(load_one(&cfg, "switchyard.jcfg", "general: { session_timeout = \"abc\" }\n"), -1);
    snprintf(want, sizeof(want),
             "%s/switchyard.jcfg: general.session_timeout: expected an integer from 0 to 86400, "
             "got \"abc\"",
             tmp);
    CHECK_STR(err, want);
    CHECK_EQ_INT(cfg.session_timeout, 60); /* untouched */
    sy_config_free(&cfg);

    /* Out of range. */
    CHECK_EQ_INT(load_one(&cfg, "switchyard.jcfg", "general: { session_timeout = 100000 }\n"), -1);
    CHECK_CONTAINS(err, "switchyard.jcfg: general.session_timeout: expected an integer from 0 "
                        "to 86400, got 100000");
    sy_config_free(&cfg);
    CHECK_EQ_INT(
        load_one(&cfg, "switchyard.transport.websockets.jcfg", "general: { ws_port = 70000 }\n"),
        -1);
    CHECK_CONTAINS(err, "switchyard.transport.websockets.jcfg: general.ws_port: expected an "
                        "integer from 1 to 65535, got 70000");
    sy_config_free(&cfg);
    CHECK_EQ_INT(load_one(&cfg, "switchyard.transport.http.jcfg",
                          "general: { max_connections_per_address = -1 }\n"),
                 -1);
    CHECK_CONTAINS(err, "general.max_connections_per_address: expected an integer from 0 to "
                        "1000000, got -1");
    sy_config_free(&cfg);
    CHECK_EQ_INT(load_one(&cfg, "switchyard.transport.websockets.jcfg",
                          "general: { max_connections_per_address = 3; "
                          "requests_per_second_per_address = 0 }\n"),
                 0);
    CHECK_EQ_INT(cfg.ws_limits.max_connections, 3);
    CHECK_EQ_INT(cfg.ws_limits.rate, 0);
    CHECK_EQ_INT(cfg.http_limits.max_connections, 64);
    sy_config_free(&cfg);

    /* Every problem is reported, one per line. */
    CHECK_EQ_INT(load_one(&cfg, "switchyard.transport.http.jcfg",
                          "general: { http = \"maybe\"; ip = \"nowhere\"; base_path = \"janus\";\n"
                          "           port = 1.5 }\n"
                          "admin: { admin_secure_port = true }\n"
                          "cors = 3\n"),
                 -1);
    CHECK_CONTAINS(err, "switchyard.transport.http.jcfg: general.http: expected a boolean "
                        "(true/false/yes/no/1/0), got \"maybe\"");
    CHECK_CONTAINS(err, "general.ip: expected an IP address");
    CHECK_CONTAINS(err, "got \"nowhere\"");
    CHECK_CONTAINS(err, "general.base_path: expected a path starting with '/', got \"janus\"");
    CHECK_CONTAINS(err, "general.port: expected an integer from 1 to 65535, got 1.5");
    CHECK_CONTAINS(err, "admin.admin_secure_port: expected an integer from 1 to 65535, got true");
    CHECK_CONTAINS(err, "switchyard.transport.http.jcfg: cors: expected a group { ... }, got 3");
    int lines = 1;
    for (const char *p = err; *p; p++)
        lines += *p == '\n';
    CHECK_EQ_INT(lines, 6);
    sy_config_free(&cfg);

    CHECK_EQ_INT(load_one(&cfg, "switchyard.jcfg", "general: { server_name = 42 }\n"), -1);
    CHECK_CONTAINS(err, "general.server_name: expected a string, got 42");
    sy_config_free(&cfg);

    /* Syntax error: file, line, libconfig's message. */
    CHECK_EQ_INT(load_one(&cfg, "switchyard.jcfg", "general: {\n  debug_level = 4\n  = 5\n}\n"),
                 -1);
    snprintf(want, sizeof(want), "%s/switchyard.jcfg:3: syntax error", tmp);
    CHECK_STR(err, want);
    sy_config_free(&cfg);

    /* Missing folder: an error naming it; missing files: defaults. */
    sy_config_defaults(&cfg);
    CHECK_EQ_INT(sy_config_load(&cfg, "/nonexistent/switchyard-conf", err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "/nonexistent/switchyard-conf: cannot open the config folder");
    sy_config_free(&cfg);
    clear_tmp();
    sy_config_defaults(&cfg);
    CHECK_EQ_INT(sy_config_load(&cfg, tmp, err, sizeof(err)), 0);
    CHECK_EQ_INT(cfg.ws.port, 8188);
    sy_config_free(&cfg);

    /* A tiny error buffer truncates but still fails. */
    char small[8];
    CHECK_EQ_INT(load_one(&cfg, "switchyard.jcfg", "general: { debug_level = 9 }\n"), -1);
    sy_config_free(&cfg);
    sy_config_defaults(&cfg);
    CHECK_EQ_INT(sy_config_load(&cfg, tmp, small, sizeof(small)), -1);
    CHECK_EQ_INT(strlen(small), sizeof(small) - 1);
    sy_config_free(&cfg);
}

static void test_values(void)
{
    sy_config cfg;
    char want[512];

    /* Janus-style leniency: booleans as yes/no/1/0 strings or integers, numbers as
     * strings. */
    CHECK_EQ_INT(load_one(&cfg, "switchyard.jcfg",
                          "general: { debug_timestamps = \"no\"; accept_new_sessions = 0;\n"
                          "  token_auth = \"YES\"; opaqueid_in_api = 1; session_timeout = \"30\";\n"
                          "  max_message_size = 65536L; debug_level = 7 }\n"),
                 0);
    CHECK(!cfg.log_timestamps);
    CHECK(!cfg.accept_new_sessions);
    CHECK(cfg.token_auth);
    CHECK(cfg.opaqueid_in_api);
    CHECK_EQ_INT(cfg.session_timeout, 30);
    CHECK_EQ_INT(cfg.max_message_size, 65536);
    CHECK_EQ_INT(cfg.log_level, 7);
    sy_config_free(&cfg);

    /* Relative paths resolve against the config folder; "" means unset / disabled. */
    CHECK_EQ_INT(load_one(&cfg, "switchyard.jcfg",
                          "general: { log_file = \"sy.log\"; plugins_folder = \"/opt/p\";\n"
                          "  api_secret = \"\"; admin_secret = \"s3cret\" }\n"
                          "certificates: { cert_pem = \"certs/c.pem\"; cert_key = \"/k.pem\" }\n"
                          "plugins: { disable = \" a.so, janus.plugin.b ,,\" }\n"),
                 0);
    snprintf(want, sizeof(want), "%s/sy.log", tmp);
    CHECK_STR(cfg.log_file, want);
    CHECK_STR(cfg.plugins_dir, "/opt/p");
    snprintf(want, sizeof(want), "%s/certs/c.pem", tmp);
    CHECK_STR(cfg.cert_pem, want);
    CHECK_STR(cfg.cert_key, "/k.pem");
    CHECK(cfg.api_secret == NULL);
    CHECK_STR(cfg.admin_secret, "s3cret");
    CHECK_EQ_INT(cfg.n_disable_plugins, 2);
    if (cfg.n_disable_plugins == 2) {
        CHECK_STR(cfg.disable_plugins[0], "a.so");
        CHECK_STR(cfg.disable_plugins[1], "janus.plugin.b");
    }
    snprintf(want, sizeof(want), "%s/../html", tmp);
    CHECK_STR(cfg.html_dir, want);
    sy_config_free(&cfg);

    CHECK_EQ_INT(load_one(&cfg, "switchyard.jcfg", "plugins: { disable = [\"x.so\", \"y.so\"] }\n"),
                 0);
    CHECK_EQ_INT(cfg.n_disable_plugins, 2);
    sy_config_free(&cfg);
    CHECK_EQ_INT(load_one(&cfg, "switchyard.jcfg", "plugins: { disable = [1, 2] }\n"), -1);
    CHECK_CONTAINS(err, "plugins.disable: expected a comma-separated string or a list of strings");
    sy_config_free(&cfg);

    CHECK_EQ_INT(load_one(&cfg, "switchyard.transport.http.jcfg",
                          "general: { html_folder = \"\"; ip = \"::\"; https = true;"
                          " secure_port = 9443 }\n"
                          "admin: { admin_ip = \"::1\" }\n"
                          "cors: { allow_origin = \"https://a.example\"; enforce_cors = true }\n"),
                 0);
    CHECK_STR(cfg.html_dir, "");
    CHECK_STR(cfg.http.ip, "::");
    CHECK_STR(cfg.https.ip, "::"); /* the TLS twin binds the same address */
    CHECK(cfg.https.enabled && cfg.https.port == 9443);
    CHECK_STR(cfg.admin_https.ip, "::1");
    CHECK_STR(cfg.cors_allow_origin, "https://a.example");
    CHECK(cfg.cors_enforce);
    sy_config_free(&cfg);

    CHECK_EQ_INT(
        load_one(&cfg, "switchyard.transport.http.jcfg", "general: { html_folder = \"static\" }\n"),
        0);
    snprintf(want, sizeof(want), "%s/static", tmp);
    CHECK_STR(cfg.html_dir, want);
    sy_config_free(&cfg);

    /* Unknown keys and sections are warnings (logged with file and key), not errors. */
    char logpath[512];
    snprintf(logpath, sizeof(logpath), "%s/warn.log", tmp);
    unlink(logpath);
    CHECK_EQ_INT(sy_log_set_file(logpath), 0);
    CHECK_EQ_INT(load_one(&cfg, "switchyard.transport.websockets.jcfg",
                          "general: { ws_port = 9188; json = \"indented\" }\n"
                          "admin: { admin_ws_interface = \"eth0\" }\n"
                          "certificates: { cert_pem = \"x\" }\n"),
                 0);
    sy_log_close();
    CHECK_EQ_INT(cfg.ws.port, 9188);
    const char *log = read_file(logpath);
    CHECK_CONTAINS(log, "switchyard.transport.websockets.jcfg: general.json: unknown key");
    CHECK_CONTAINS(log, "admin.admin_ws_interface: unknown key");
    CHECK_CONTAINS(log, "switchyard.transport.websockets.jcfg: certificates: unknown section");
    CHECK_CONTAINS(log, "[WARN] ");
    sy_config_free(&cfg);
    unlink(logpath);
}

static int apply(sy_config *cfg, int argc, const char **argv)
{
    return sy_config_apply_args(cfg, argc, (char **)argv);
}

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void test_args(void)
{
    sy_config cfg;
    sy_config_defaults(&cfg);
    const char *a1[] = {"switchyard",
                        "-d",
                        "7",
                        "-s",
                        "0",
                        "--ws-port",
                        "0",
                        "--http-port",
                        "9000",
                        "-P",
                        "/p",
                        "--html-folder",
                        "h",
                        "-A",
                        "-a",
                        "sec",
                        "--admin-secret",
                        "adm",
                        "--media-workers",
                        "3",
                        "--reclaim-session-timeout",
                        "15",
                        "--admin-ws-port",
                        "7555",
                        "--admin-http-port",
                        "0",
                        "-F",
                        "/conf"};
    CHECK_EQ_INT(apply(&cfg, ARGC(a1), a1), 0);
    CHECK_EQ_INT(cfg.log_level, 7);
    CHECK_EQ_INT(cfg.session_timeout, 0);
    CHECK(!cfg.ws.enabled);
    CHECK(cfg.http.enabled && cfg.http.port == 9000);
    CHECK_STR(cfg.plugins_dir, "/p");
    CHECK_STR(cfg.html_dir, "h"); /* command line: relative to the current folder */
    CHECK(cfg.token_auth);
    CHECK_STR(cfg.api_secret, "sec");
    CHECK_STR(cfg.admin_secret, "adm");
    CHECK_EQ_INT(cfg.media_workers, 3);
    CHECK_EQ_INT(cfg.reclaim_session_timeout, 15);
    CHECK(cfg.admin_ws.enabled && cfg.admin_ws.port == 7555);
    CHECK(!cfg.admin_http.enabled);

    const char *a2[] = {"switchyard", "--token-auth-secret=tok", "--debug-level=3"};
    CHECK_EQ_INT(apply(&cfg, ARGC(a2), a2), 0); /* a second call starts afresh */
    CHECK_STR(cfg.token_auth_secret, "tok");
    CHECK_EQ_INT(cfg.log_level, 3);

    const char *bad[][3] = {
        {"switchyard", "--ws-port", "70000"},
        {"switchyard", "--ws-port", "-1"},
        {"switchyard", "--http-port", "abc"},
        {"switchyard", "-d", "8"},
        {"switchyard", "-s", "1x"},
        {"switchyard", "--bogus", "1"},
        {"switchyard", "-x", "1"},
        {"switchyard", "stray", "x"},
        {"switchyard", "-d", NULL},
        {"switchyard", "--media-workers", "2000"},
    };
    for (int i = 0; i < ARGC(bad); i++) {
        int argc = bad[i][2] ? 3 : 2;
        int r = apply(&cfg, argc, bad[i]);
        if (r != -1) fprintf(stderr, "  (for %s %s)\n", bad[i][1], bad[i][2] ? bad[i][2] : "");
        CHECK_EQ_INT(r, -1);
    }
    CHECK_EQ_INT(cfg.log_level, 3); /* unchanged by the refused values */

    const char *help[] = {"switchyard", "--help"};
    const char *version[] = {"switchyard", "-v"};
    CHECK_EQ_INT(apply(&cfg, ARGC(help), help), 1);
    CHECK_EQ_INT(apply(&cfg, ARGC(version), version), 1);
    sy_config_free(&cfg);

    /* Finding the config folder before anything else is parsed. */
    const char *f1[] = {"switchyard", "-d", "4", "-F", "/a"};
    const char *f2[] = {"switchyard", "--configs-folder=/b"};
    const char *f3[] = {"switchyard", "-AF/c"};
    const char *f4[] = {"switchyard", "--configs", "/d"};
    const char *f5[] = {"switchyard", "-a", "-F"};
    const char *f6[] = {"switchyard", "--ws-port", "1", "--configs-folder", "/e", "-s", "3"};
    const char *f7[] = {"switchyard", "-F"};
    CHECK_STR(sy_config_dir_from_args(ARGC(f1), (char **)f1, "fb"), "/a");
    CHECK_STR(sy_config_dir_from_args(ARGC(f2), (char **)f2, "fb"), "/b");
    CHECK_STR(sy_config_dir_from_args(ARGC(f3), (char **)f3, "fb"), "/c");
    CHECK_STR(sy_config_dir_from_args(ARGC(f4), (char **)f4, "fb"), "/d");
    CHECK_STR(sy_config_dir_from_args(ARGC(f5), (char **)f5, "fb"), "fb");
    CHECK_STR(sy_config_dir_from_args(ARGC(f6), (char **)f6, "fb"), "/e");
    CHECK_STR(sy_config_dir_from_args(ARGC(f7), (char **)f7, "fb"), "fb");
    CHECK_STR(sy_config_dir_from_args(1, (char **)f7, "fb"), "fb");
}

static void test_validate(void)
{
    sy_config cfg;
    sy_config_defaults(&cfg);
    CHECK_EQ_INT(sy_config_load(&cfg, tmp, err, sizeof(err)), 0);

    /* The sample admin secret: fine on loopback, refused elsewhere. */
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), 0);
    free(cfg.admin_http.ip);
    cfg.admin_http.ip = strdup("0.0.0.0");
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "switchyard.transport.http.jcfg: admin.admin_ip:");
    CHECK_CONTAINS(err, "admin_http admin listener binds 0.0.0.0");
    CHECK_CONTAINS(err, "general.admin_secret");
    CHECK_CONTAINS(err, "sample secret");
    free(cfg.admin_secret);
    cfg.admin_secret = strdup("");
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "is empty");
    free(cfg.admin_secret);
    cfg.admin_secret = NULL;
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    cfg.admin_secret = strdup("a-real-secret");
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), 0);
    free(cfg.admin_secret);
    cfg.admin_secret = strdup(SY_SAMPLE_ADMIN_SECRET);
    free(cfg.admin_http.ip);
    cfg.admin_http.ip = strdup("127.0.0.1");

    cfg.admin_ws.enabled = true;
    free(cfg.admin_ws.ip);
    cfg.admin_ws.ip = strdup("::");
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "switchyard.transport.websockets.jcfg: admin.admin_ws_ip:");
    free(cfg.admin_ws.ip);
    cfg.admin_ws.ip = strdup("::1");
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), 0);
    cfg.admin_ws.enabled = false;

    /* Remote-candidate ranges must parse (security.md 6 row 24). */
    cfg.allowed_remote_ranges = strdup("10.0.0.0/8, 127.0.0.1");
    cfg.denied_remote_ranges = strdup("10.1.0.0/16");
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), 0);
    free(cfg.denied_remote_ranges);
    cfg.denied_remote_ranges = strdup("10.1.0.0/99");
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "switchyard.jcfg: media.denied_remote_ranges: '10.1.0.0/99' is not an "
                        "address or address/prefix");
    free(cfg.denied_remote_ranges);
    cfg.denied_remote_ranges = NULL;
    free(cfg.allowed_remote_ranges);
    cfg.allowed_remote_ranges = NULL;

    /* https / wss need a certificate and a key. */
    cfg.https.enabled = true;
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "switchyard.transport.http.jcfg: general.https: https is enabled but "
                        "certificates.cert_pem and certificates.cert_key are not both set");
    char pem[512], key[512];
    snprintf(pem, sizeof(pem), "%s/cert.pem", tmp);
    snprintf(key, sizeof(key), "%s/key.pem", tmp);
    write_file("cert.pem", "not really\n");
    cfg.cert_pem = strdup(pem);
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    cfg.cert_key = strdup(key); /* does not exist */
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "switchyard.jcfg: certificates.cert_key: cannot read");
    write_file("key.pem", "not really\n");
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), 0);
    cfg.https.enabled = false;
    cfg.wss.enabled = true;
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), 0);
    free(cfg.cert_key);
    cfg.cert_key = NULL;
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "general.wss: wss is enabled");
    cfg.wss.enabled = false;
    remove_file("cert.pem");
    remove_file("key.pem");

    /* An API listener beyond loopback needs api_secret, token_auth or the explicit
     * allow_unauthenticated_public. */
    free(cfg.ws.ip);
    cfg.ws.ip = strdup("0.0.0.0");
    CHECK(sy_config_public_unauthenticated(&cfg) != NULL);
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "switchyard.transport.websockets.jcfg: general.ws_ip:");
    CHECK_CONTAINS(err, "allow_unauthenticated_public");
    cfg.allow_unauthenticated_public = true;
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), 0);
    cfg.allow_unauthenticated_public = false;
    cfg.api_secret = strdup("s");
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), 0);
    CHECK(sy_config_public_unauthenticated(&cfg) == NULL);
    free(cfg.api_secret);
    cfg.api_secret = NULL;
    cfg.token_auth = true;
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), 0);
    cfg.token_auth = false;
    free(cfg.ws.ip);
    cfg.ws.ip = strdup("127.0.0.1");
    free(cfg.http.ip);
    cfg.http.ip = strdup("::");
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "general.ip:");
    free(cfg.http.ip);
    cfg.http.ip = strdup("::1");
    CHECK(sy_config_public_unauthenticated(&cfg) == NULL);

    /* Duplicate ports among enabled listeners. */
    cfg.ws.port = 8088;
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "general.port: port 8088 is already used by the ws listener");
    cfg.ws.enabled = false;
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), 0);
    sy_config_free(&cfg);

    /* From files: the sample secret with admin HTTP on all interfaces. */
    CHECK_EQ_INT(
        load_one(&cfg, "switchyard.transport.http.jcfg", "admin: { admin_ip = \"0.0.0.0\" }\n"), 0);
    CHECK_EQ_INT(sy_config_validate(&cfg, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, tmp);
    CHECK_CONTAINS(err, "admin.admin_ip");
    sy_config_free(&cfg);
    clear_tmp();

    CHECK(sy_config_ip_is_loopback("127.0.0.1"));
    CHECK(sy_config_ip_is_loopback("127.1.2.3"));
    CHECK(sy_config_ip_is_loopback("::1"));
    CHECK(sy_config_ip_is_loopback("localhost"));
    CHECK(sy_config_ip_is_loopback("::ffff:127.0.0.1"));
    CHECK(!sy_config_ip_is_loopback("0.0.0.0"));
    CHECK(!sy_config_ip_is_loopback("::"));
    CHECK(!sy_config_ip_is_loopback("128.0.0.1"));
    CHECK(!sy_config_ip_is_loopback("10.0.0.1"));
    CHECK(!sy_config_ip_is_loopback(""));
    CHECK(!sy_config_ip_is_loopback(NULL));
    CHECK(!sy_config_ip_is_loopback("localhost.example.com"));
}

/* ---- log (config's warnings go through it) ---- */

static void log_site(int i)
{
    SY_INFO("rate %d", i);
}

static void test_log(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/test.log", tmp);
    unlink(path);
    /* Keep this test's lines off stdout. */
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    close(devnull);

    CHECK_EQ_INT(sy_log_set_file(path), 0);
    sy_log_set_level(SY_LOG_INFO);
    sy_log_set_timestamps(false);
    SY_WARN("hello %s\n", "world");
    SY_ERROR("e");
    SY_VERB("not shown");
    SY_DEBUG("not shown");
    for (int i = 0; i < 15; i++)
        log_site(i);
    usleep(1100 * 1000);
    log_site(15);
    for (int i = 0; i < 12; i++)
        sy_log_write(SY_LOG_INFO, NULL, "unlimited %d", i);
    char big[5000];
    memset(big, 'b', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    SY_INFO("%s|end", big);
    sy_log_set_timestamps(true);
    SY_INFO("stamped");
    sy_log_set_timestamps(false);
    sy_log_set_level(99);
    CHECK_EQ_INT(sy_log_level, SY_LOG_DBG);
    sy_log_set_level(SY_LOG_INFO);
    sy_log_close();
    CHECK_EQ_INT(sy_log_set_file("/nonexistent/dir/x.log"), -1);

    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);

    const char *log = read_file(path);
    const char *head = "[WARN] hello world\n[ERR] e\nrate 0\n";
    CHECK(strncmp(log, head, strlen(head)) == 0);
    CHECK(strstr(log, "not shown") == NULL);
    CHECK_CONTAINS(log, "rate 9\n");
    CHECK(strstr(log, "rate 10") == NULL);
    CHECK(strstr(log, "rate 14") == NULL);
    CHECK_CONTAINS(log, "\nrate 15 (5 similar messages suppressed)\n");
    CHECK_CONTAINS(log, "unlimited 11\n");
    CHECK_CONTAINS(log, "bbbb|end\n");
    const char *st = strstr(log, "stamped");
    /* [YYYY-MM-DDTHH:MM:SS.mmm+hh:mm] stamped */
    CHECK(st && st - log > 32 && st[-1] == ' ' && st[-2] == ']' && st[-32] == '[' &&
          st[-21] == 'T' && st[-12] == '.' && st[-5] == ':');
    unlink(path);
}

int main(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/sy-test-config-XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    test_defaults();
    test_sample_folder();
    test_errors();
    test_values();
    test_args();
    test_validate();
    test_log();
    clear_tmp();
    rmdir(tmp);
    return CHECK_DONE();
}
