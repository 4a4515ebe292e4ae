/*
 * Configuration files (libconfig, Janus .jcfg syntax), command-line overrides and
 * cross-field validation. Every key is described once in a table below: its section,
 * its type and range, and where it goes in sy_config.
 */
#include "core/config.h"
#include "core/netrange.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

#define CORE_FILE "switchyard.jcfg"
#define WS_FILE "switchyard.transport.websockets.jcfg"
#define HTTP_FILE "switchyard.transport.http.jcfg"

/* ---- small helpers ---- */

static char *xstrdup(const char *s)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) abort();
    return d;
}

static void set_str(char **field, const char *value)
{
    char *old = *field;
    *field = xstrdup(value);
    free(old);
}

/* dir/name, without doubling a slash. */
static char *path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    size_t len = dl + 1 + strlen(name) + 1;
    char *p = malloc(len);
    if (!p) abort();
    snprintf(p, len, "%.*s/%s", (int)dl, dir, name);
    return p;
}

/* A path from a config file: relative paths are relative to the config folder. */
static char *resolve_path(const char *dir, const char *value)
{
    if (!value[0] || value[0] == '/' || !dir) return xstrdup(value);
    return path_join(dir, value);
}

/* Collects "one message per problem", newline-separated, into the caller's buffer. */
typedef struct errbuf {
    char *buf;
    size_t size, used;
    int count;
} errbuf;

static void errbuf_init(errbuf *eb, char *buf, size_t size)
{
    eb->buf = buf;
    eb->size = buf ? size : 0;
    eb->used = 0;
    eb->count = 0;
    if (eb->size) buf[0] = '\0';
}

__attribute__((format(printf, 2, 3))) static void add_error(errbuf *eb, const char *fmt, ...)
{
    eb->count++;
    if (eb->used + 1 >= eb->size) return;
    if (eb->used > 0) eb->buf[eb->used++] = '\n';
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(eb->buf + eb->used, eb->size - eb->used, fmt, ap);
    va_end(ap);
    if (n > 0) eb->used += (size_t)n;
    if (eb->used >= eb->size) eb->used = eb->size - 1;
}

/* ---- the keys ---- */

typedef enum key_kind {
    K_BOOL,    /* bool */
    K_INT,     /* int in [min, max] */
    K_SIZE,    /* size_t in [min, max] */
    K_STR,     /* char *, "" stays "" */
    K_OPTSTR,  /* char *, "" means NULL */
    K_PATH,    /* char *, relative to the config folder; "" means NULL */
    K_DIR,     /* like K_PATH, but "" stays "" (disables) */
    K_IP,      /* char *, an IPv4/IPv6 literal or "localhost" */
    K_URLPATH, /* char *, starts with '/' */
    K_LIST,    /* the disabled plugins: "a,b" or ["a", "b"] */
} key_kind;

typedef struct key_spec {
    const char *name;
    key_kind kind;
    size_t offset;
    long long min, max;
} key_spec;

typedef struct section_spec {
    const char *name;
    const key_spec *keys;
} section_spec;

typedef struct file_spec {
    const char *file;
    const section_spec *sections;
} file_spec;

#define OFF(field) offsetof(sy_config, field)
#define KBOOL(n, f)                                                                                \
    {                                                                                              \
        n, K_BOOL, OFF(f), 0, 1                                                                    \
    }
#define KINT(n, f, lo, hi)                                                                         \
    {                                                                                              \
        n, K_INT, OFF(f), lo, hi                                                                   \
    }
#define KSTR(n, kind, f)                                                                           \
    {                                                                                              \
        n, kind, OFF(f), 0, 0                                                                      \
    }
#define KEND                                                                                       \
    {                                                                                              \
        NULL, K_BOOL, 0, 0, 0                                                                      \
    }

static const key_spec core_general[] = {
    KINT("debug_level", log_level, 0, 7),
    KBOOL("debug_timestamps", log_timestamps),
    KSTR("log_file", K_PATH, log_file),
    KSTR("server_name", K_STR, server_name),
    KINT("session_timeout", session_timeout, 0, 86400),
    KINT("reclaim_session_timeout", reclaim_session_timeout, 0, 86400),
    KINT("candidates_timeout", candidates_timeout, 1, 3600),
    KBOOL("accept_new_sessions", accept_new_sessions),
    KINT("max_sessions", max_sessions, 0, 10000000),
    KSTR("api_secret", K_OPTSTR, api_secret),
    KBOOL("token_auth", token_auth),
    KSTR("token_auth_secret", K_OPTSTR, token_auth_secret),
    KSTR("admin_secret", K_OPTSTR, admin_secret),
    KBOOL("allow_unauthenticated_public", allow_unauthenticated_public),
    KBOOL("opaqueid_in_api", opaqueid_in_api),
    KINT("media_workers", media_workers, 0, 1024),
    {"max_message_size", K_SIZE, OFF(max_message_size), 1024, 256 * 1024 * 1024},
    KINT("json_max_depth", json_max_depth, 1, 1024),
    KSTR("plugins_folder", K_PATH, plugins_dir),
    KEND,
};
static const key_spec core_certificates[] = {
    KSTR("cert_pem", K_PATH, cert_pem),
    KSTR("cert_key", K_PATH, cert_key),
    KSTR("cert_pwd", K_OPTSTR, cert_pwd),
    KEND,
};
static const key_spec core_plugins[] = {
    {"disable", K_LIST, 0, 0, 0},
    KEND,
};
static const key_spec core_media[] = {
    KINT("rtp_port_min", rtp_port_min, 0, 65535),
    KINT("rtp_port_max", rtp_port_max, 0, 65535),
    KINT("no_media_timer", no_media_timer, 0, 3600),
    KBOOL("dtls_answer_active", dtls_answer_active),
    KBOOL("shared_ports", shared_ports),
    KSTR("allowed_remote_ranges", K_OPTSTR, allowed_remote_ranges),
    KSTR("denied_remote_ranges", K_OPTSTR, denied_remote_ranges),
    KINT("slowlink_threshold", slowlink_threshold, 0, 100000),
    KEND,
};
static const key_spec core_nat[] = {
    KBOOL("ice_lite", ice_lite),
    KBOOL("full_trickle", full_trickle),
    KBOOL("ice_consent_freshness", ice_consent_freshness),
    KSTR("ice_ips", K_OPTSTR, ice_ips),
    KSTR("stun_server", K_OPTSTR, stun_server),
    KSTR("nat_1_1_mapping", K_OPTSTR, nat_1_1_mapping),
    KEND,
};
static const section_spec core_sections[] = {
    {"general", core_general},
    {"certificates", core_certificates},
    {"media", core_media},
    {"nat", core_nat},
    {"plugins", core_plugins},
    {NULL, NULL},
};

static const key_spec ws_general[] = {
    KBOOL("ws", ws.enabled),
    KSTR("ws_ip", K_IP, ws.ip),
    KINT("ws_port", ws.port, 1, 65535),
    KBOOL("wss", wss.enabled),
    KSTR("wss_ip", K_IP, wss.ip),
    KINT("wss_port", wss.port, 1, 65535),
    KSTR("allowed_origin", K_OPTSTR, ws_allowed_origin),
    KINT("max_connections_per_address", ws_limits.max_connections, 0, 1000000),
    KINT("requests_per_second_per_address", ws_limits.rate, 0, 1000000),
    KINT("request_burst_per_address", ws_limits.burst, 0, 1000000),
    KEND,
};
static const key_spec ws_admin[] = {
    KBOOL("admin_ws", admin_ws.enabled),
    KSTR("admin_ws_ip", K_IP, admin_ws.ip),
    KINT("admin_ws_port", admin_ws.port, 1, 65535),
    KBOOL("admin_wss", admin_wss.enabled),
    KINT("admin_wss_port", admin_wss.port, 1, 65535),
    KEND,
};
static const section_spec ws_sections[] = {
    {"general", ws_general},
    {"admin", ws_admin},
    {NULL, NULL},
};

static const key_spec http_general[] = {
    KSTR("base_path", K_URLPATH, base_path),
    KBOOL("http", http.enabled),
    KSTR("ip", K_IP, http.ip),
    KINT("port", http.port, 1, 65535),
    KBOOL("https", https.enabled),
    KINT("secure_port", https.port, 1, 65535),
    KSTR("html_folder", K_DIR, html_dir),
    KINT("idle_timeout", http_idle_timeout, 1, 86400),
    KINT("longpoll_timeout", longpoll_timeout, 1, 3600),
    KINT("max_connections_per_address", http_limits.max_connections, 0, 1000000),
    KINT("requests_per_second_per_address", http_limits.rate, 0, 1000000),
    KINT("request_burst_per_address", http_limits.burst, 0, 1000000),
    KEND,
};
static const key_spec http_admin[] = {
    KSTR("admin_base_path", K_URLPATH, admin_base_path),
    KBOOL("admin_http", admin_http.enabled),
    KSTR("admin_ip", K_IP, admin_http.ip),
    KINT("admin_port", admin_http.port, 1, 65535),
    KBOOL("admin_https", admin_https.enabled),
    KINT("admin_secure_port", admin_https.port, 1, 65535),
    KEND,
};
static const key_spec http_cors[] = {
    KSTR("allow_origin", K_OPTSTR, cors_allow_origin),
    KBOOL("enforce_cors", cors_enforce),
    KEND,
};
static const section_spec http_sections[] = {
    {"general", http_general},
    {"admin", http_admin},
    {"cors", http_cors},
    {NULL, NULL},
};

static const file_spec files[] = {
    {CORE_FILE, core_sections},
    {WS_FILE, ws_sections},
    {HTTP_FILE, http_sections},
};

/* The listeners, for validation: where each one's settings live. The TLS listeners
 * share the bind address of their plain twin (the agreed keys have one address). */
typedef struct listener_spec {
    const char *name;
    size_t offset;
    const char *file, *enable_key, *ip_key, *port_key;
    bool admin, tls;
} listener_spec;

static const listener_spec listeners[] = {
    {"ws", OFF(ws), WS_FILE, "general.ws", "general.ws_ip", "general.ws_port", false, false},
    {"wss", OFF(wss), WS_FILE, "general.wss", "general.wss_ip", "general.wss_port", false, true},
    {"admin_ws", OFF(admin_ws), WS_FILE, "admin.admin_ws", "admin.admin_ws_ip",
     "admin.admin_ws_port", true, false},
    {"admin_wss", OFF(admin_wss), WS_FILE, "admin.admin_wss", "admin.admin_ws_ip",
     "admin.admin_wss_port", true, true},
    {"http", OFF(http), HTTP_FILE, "general.http", "general.ip", "general.port", false, false},
    {"https", OFF(https), HTTP_FILE, "general.https", "general.ip", "general.secure_port", false,
     true},
    {"admin_http", OFF(admin_http), HTTP_FILE, "admin.admin_http", "admin.admin_ip",
     "admin.admin_port", true, false},
    {"admin_https", OFF(admin_https), HTTP_FILE, "admin.admin_https", "admin.admin_ip",
     "admin.admin_secure_port", true, true},
};
#define N_LISTENERS (sizeof(listeners) / sizeof(listeners[0]))

static sy_listener *listener_of(const sy_config *cfg, const listener_spec *l)
{
    return (sy_listener *)((char *)cfg + l->offset);
}

/* ---- defaults ---- */

static char *default_plugins_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) return xstrdup("./plugins");
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == exe)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    return path_join(exe, "plugins");
}

static void set_listener(sy_listener *l, bool enabled, const char *ip, int port)
{
    l->enabled = enabled;
    set_str(&l->ip, ip);
    l->port = port;
}

void sy_config_defaults(sy_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->plugins_dir = default_plugins_dir();
    cfg->html_dir = xstrdup("../html"); /* made relative to the config folder on load */
    cfg->log_level = SY_LOG_INFO;
    cfg->log_timestamps = true;
    cfg->server_name = xstrdup("Switchyard");
    cfg->session_timeout = 60;
    cfg->ice_consent_freshness = true;
    cfg->shared_ports = true;
    cfg->no_media_timer = 1;
    cfg->reclaim_session_timeout = 0;
    cfg->candidates_timeout = 45;
    cfg->accept_new_sessions = true;
    cfg->admin_secret = xstrdup(SY_SAMPLE_ADMIN_SECRET);
    cfg->media_workers = 0;
    cfg->max_message_size = 1048576;
    cfg->json_max_depth = 32;
    set_listener(&cfg->ws, true, "127.0.0.1", 8188);
    set_listener(&cfg->wss, false, "127.0.0.1", 8989);
    set_listener(&cfg->admin_ws, false, "127.0.0.1", 7188);
    set_listener(&cfg->admin_wss, false, "127.0.0.1", 7989);
    set_listener(&cfg->http, true, "127.0.0.1", 8088);
    set_listener(&cfg->https, false, "127.0.0.1", 8089);
    set_listener(&cfg->admin_http, true, "127.0.0.1", 7088);
    set_listener(&cfg->admin_https, false, "127.0.0.1", 7889);
    cfg->base_path = xstrdup("/janus");
    cfg->admin_base_path = xstrdup("/admin");
    cfg->cors_allow_origin = xstrdup("*");
    cfg->cors_enforce = false;
    cfg->http_idle_timeout = 120;
    cfg->longpoll_timeout = 30;
    cfg->ws_limits = (sy_peer_limits){.max_connections = 64, .rate = 200, .burst = 400};
    cfg->http_limits = cfg->ws_limits;
}

static void free_disable_list(sy_config *cfg)
{
    for (int i = 0; i < cfg->n_disable_plugins; i++)
        free(cfg->disable_plugins[i]);
    free(cfg->disable_plugins);
    cfg->disable_plugins = NULL;
    cfg->n_disable_plugins = 0;
}

void sy_config_free(sy_config *cfg)
{
    char **strs[] = {
        &cfg->config_dir,  &cfg->plugins_dir,     &cfg->html_dir,          &cfg->log_file,
        &cfg->server_name, &cfg->api_secret,      &cfg->token_auth_secret, &cfg->cert_pem,
        &cfg->cert_key,    &cfg->cert_pwd,        &cfg->admin_secret,      &cfg->ws_allowed_origin,
        &cfg->base_path,   &cfg->admin_base_path, &cfg->cors_allow_origin, &cfg->ice_ips,
        &cfg->stun_server, &cfg->nat_1_1_mapping, &cfg->allowed_remote_ranges,
        &cfg->denied_remote_ranges,
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(*strs[i]);
    for (size_t i = 0; i < N_LISTENERS; i++)
        free(listener_of(cfg, &listeners[i])->ip);
    free_disable_list(cfg);
    memset(cfg, 0, sizeof(*cfg));
}

/* ---- reading values ---- */

/* What a setting holds, for "got ..." in messages. */
static void describe(const config_setting_t *s, char *buf, size_t size)
{
    int type = config_setting_type(s);
    if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
        snprintf(buf, size, "%lld", (long long)config_setting_get_int64(s));
    } else if (type == CONFIG_TYPE_FLOAT) {
        snprintf(buf, size, "%g", config_setting_get_float(s));
    } else if (type == CONFIG_TYPE_BOOL) {
        snprintf(buf, size, "%s", config_setting_get_bool(s) ? "true" : "false");
    } else if (type == CONFIG_TYPE_STRING) {
        const char *v = config_setting_get_string(s);
        size_t len = strlen(v);
        snprintf(buf, size, "\"%.*s%s\"", len > 60 ? 57 : (int)len, v, len > 60 ? "..." : "");
    } else {
        snprintf(buf, size, "%s", type == CONFIG_TYPE_GROUP ? "a group" : "a list");
    }
}

/* Booleans as Janus reads them: true/false, yes/no, 1/0 (also as strings). */
static bool read_bool(const config_setting_t *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "1"}, *const no[] = {"false", "no", "0"};
    int type = config_setting_type(s);
    if (type == CONFIG_TYPE_BOOL) {
        *out = config_setting_get_bool(s);
        return true;
    }
    if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
        long long v = config_setting_get_int64(s);
        *out = v == 1;
        return v == 0 || v == 1;
    }
    if (type != CONFIG_TYPE_STRING) return false;
    const char *v = config_setting_get_string(s);
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
            *out = strcasecmp(v, yes[i]) == 0;
            return true;
        }
    }
    return false;
}

static bool parse_ll(const char *s, long long *out)
{
    if (!*s) return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

/* Integers; Janus also reads numbers written as strings. */
static bool read_int(const config_setting_t *s, long long *out)
{
    int type = config_setting_type(s);
    if (type == CONFIG_TYPE_STRING) return parse_ll(config_setting_get_string(s), out);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) return false;
    *out = config_setting_get_int64(s);
    return true;
}

static bool is_ip_literal(const char *s)
{
    unsigned char addr[sizeof(struct in6_addr)];
    return strcasecmp(s, "localhost") == 0 || inet_pton(AF_INET, s, addr) == 1 ||
           inet_pton(AF_INET6, s, addr) == 1;
}

static void add_to_disable_list(sy_config *cfg, const char *name, size_t len)
{
    while (len && (*name == ' ' || *name == '\t'))
        name++, len--;
    while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
        len--;
    if (!len) return;
    char **list =
        realloc(cfg->disable_plugins, sizeof(char *) * (size_t)(cfg->n_disable_plugins + 1));
    if (!list) abort();
    cfg->disable_plugins = list;
    list[cfg->n_disable_plugins] = strndup(name, len);
    if (!list[cfg->n_disable_plugins]) abort();
    cfg->n_disable_plugins++;
}

/* Reads the disabled plugins: "a.so,janus.plugin.b" or ["a.so", "janus.plugin.b"]. */
static bool read_disable_list(sy_config *cfg, const config_setting_t *s)
{
    int type = config_setting_type(s);
    if (type == CONFIG_TYPE_STRING) {
        free_disable_list(cfg);
        const char *v = config_setting_get_string(s);
        while (*v) {
            size_t len = strcspn(v, ",");
            add_to_disable_list(cfg, v, len);
            v += len;
            if (*v) v++;
        }
        return true;
    }
    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) return false;
    int n = config_setting_length(s);
    for (int i = 0; i < n; i++)
        if (config_setting_type(config_setting_get_elem(s, (unsigned)i)) != CONFIG_TYPE_STRING)
            return false;
    free_disable_list(cfg);
    for (int i = 0; i < n; i++) {
        const char *v = config_setting_get_string_elem(s, i);
        add_to_disable_list(cfg, v, strlen(v));
    }
    return true;
}

/* Stores one setting into cfg; on a bad value, reports "file: section.key: problem". */
static void apply_key(sy_config *cfg, const key_spec *k, const config_setting_t *s,
                      const char *path, const char *section, errbuf *eb)
{
    char got[96];
    void *field = (char *)cfg + k->offset;
    const char *str =
        config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
    const char *expected = NULL;
    char range[96];
    long long v;
    bool b;

    switch (k->kind) {
    case K_BOOL:
        if (read_bool(s, &b))
            *(bool *)field = b;
        else
            expected = "a boolean (true/false/yes/no/1/0)";
        break;
    case K_INT:
    case K_SIZE:
        if (read_int(s, &v) && v >= k->min && v <= k->max) {
            if (k->kind == K_INT)
                *(int *)field = (int)v;
            else
                *(size_t *)field = (size_t)v;
        } else {
            snprintf(range, sizeof(range), "an integer from %lld to %lld", k->min, k->max);
            expected = range;
        }
        break;
    case K_STR:
    case K_OPTSTR:
        if (str)
            set_str((char **)field, k->kind == K_OPTSTR && !*str ? NULL : str);
        else
            expected = "a string";
        break;
    case K_PATH:
    case K_DIR:
        if (str) {
            char *old = *(char **)field;
            *(char **)field =
                k->kind == K_PATH && !*str ? NULL : resolve_path(cfg->config_dir, str);
            free(old);
        } else {
            expected = "a path (a string)";
        }
        break;
    case K_IP:
        if (str && is_ip_literal(str))
            set_str((char **)field, str);
        else
            expected = "an IP address such as \"0.0.0.0\", \"127.0.0.1\" or \"::\"";
        break;
    case K_URLPATH:
        if (str && str[0] == '/')
            set_str((char **)field, str);
        else
            expected = "a path starting with '/'";
        break;
    case K_LIST:
        if (!read_disable_list(cfg, s)) expected = "a comma-separated string or a list of strings";
        break;
    }
    if (expected) {
        describe(s, got, sizeof(got));
        add_error(eb, "%s: %s.%s: expected %s, got %s", path, section, k->name, expected, got);
    }
}

static void load_section(sy_config *cfg, const section_spec *sec, const config_setting_t *group,
                         const char *path, errbuf *eb)
{
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        const key_spec *k = sec->keys;
        while (k->name && strcmp(k->name, name) != 0)
            k++;
        if (k->name)
            apply_key(cfg, k, s, path, sec->name, eb);
        else
            sy_log_write(SY_LOG_WARN, NULL, "%s: %s.%s: unknown key, ignored", path, sec->name,
                         name);
    }
}

static void load_file(sy_config *cfg, const file_spec *fs, const char *dir, errbuf *eb)
{
    char *path = path_join(dir, fs->file);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno != ENOENT) add_error(eb, "%s: cannot read: %s", path, strerror(errno));
        free(path);
        return; /* a missing file means defaults */
    }
    fclose(f);

    config_t lc;
    config_init(&lc);
    config_set_include_dir(&lc, dir);
    if (!config_read_file(&lc, path)) {
        if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
            add_error(eb, "%s: cannot read: %s", path, config_error_text(&lc));
        else
            add_error(eb, "%s:%d: %s", config_error_file(&lc) ? config_error_file(&lc) : path,
                      config_error_line(&lc), config_error_text(&lc));
        config_destroy(&lc);
        free(path);
        return;
    }
    const config_setting_t *root = config_root_setting(&lc);
    int n = config_setting_length(root);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(s);
        const section_spec *sec = fs->sections;
        while (sec->name && strcmp(sec->name, name) != 0)
            sec++;
        char got[96];
        if (!sec->name) {
            sy_log_write(SY_LOG_WARN, NULL, "%s: %s: unknown section, ignored", path, name);
        } else if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
            describe(s, got, sizeof(got));
            add_error(eb, "%s: %s: expected a group { ... }, got %s", path, name, got);
        } else {
            load_section(cfg, sec, s, path, eb);
        }
    }
    config_destroy(&lc);
    free(path);
}

int sy_config_load(sy_config *cfg, const char *dir, char *err, size_t errlen)
{
    errbuf eb;
    errbuf_init(&eb, err, errlen);
    struct stat st;
    if (!dir || !*dir) {
        add_error(&eb, "no config folder given");
        return -1;
    }
    if (stat(dir, &st) != 0) {
        add_error(&eb, "%s: cannot open the config folder: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        add_error(&eb, "%s: the config folder is not a folder", dir);
        return -1;
    }
    set_str(&cfg->config_dir, dir);
    /* The default html folder is relative to the config folder, like the files' paths. */
    if (cfg->html_dir && cfg->html_dir[0] && cfg->html_dir[0] != '/') {
        char *abs = path_join(dir, cfg->html_dir);
        free(cfg->html_dir);
        cfg->html_dir = abs;
    }
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        load_file(cfg, &files[i], dir, &eb);
    /* One address per plain/TLS pair (see listeners[]). */
    set_str(&cfg->https.ip, cfg->http.ip);
    set_str(&cfg->admin_https.ip, cfg->admin_http.ip);
    set_str(&cfg->admin_wss.ip, cfg->admin_ws.ip);
    return eb.count ? -1 : 0;
}

/* ---- validation ---- */

bool sy_config_ip_is_loopback(const char *ip)
{
    if (!ip) return false;
    if (strcasecmp(ip, "localhost") == 0) return true;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, ip, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, ip, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6)) return true;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    return false;
}

bool sy_config_api_is_authenticated(const sy_config *cfg)
{
    return (cfg->api_secret && cfg->api_secret[0]) || cfg->token_auth;
}

const char *sy_config_public_unauthenticated(const sy_config *cfg)
{
    if (sy_config_api_is_authenticated(cfg)) return NULL;
    for (size_t i = 0; i < N_LISTENERS; i++) {
        const sy_listener *l = listener_of(cfg, &listeners[i]);
        if (!listeners[i].admin && l->enabled && !sy_config_ip_is_loopback(l->ip))
            return listeners[i].name;
    }
    return NULL;
}

int sy_config_validate(const sy_config *cfg, char *err, size_t errlen)
{
    errbuf eb;
    errbuf_init(&eb, err, errlen);
    const char *dir = cfg->config_dir ? cfg->config_dir : ".";
    char *core = path_join(dir, CORE_FILE);
    bool sample = !cfg->admin_secret || !cfg->admin_secret[0] ||
                  strcmp(cfg->admin_secret, SY_SAMPLE_ADMIN_SECRET) == 0;
    bool tls_used = false;

    if (cfg->shared_ports && cfg->stun_server && cfg->stun_server[0])
        add_error(&eb,
                  "%s: nat.stun_server is set while media.shared_ports is on (the default): an "
                  "ICE-lite server on shared ports has no server-reflexive candidates; set "
                  "nat.nat_1_1_mapping to the public address instead, or media.shared_ports = false",
                  core);

    for (size_t i = 0; i < N_LISTENERS; i++) {
        const listener_spec *ls = &listeners[i];
        const sy_listener *l = listener_of(cfg, ls);
        if (!l->enabled) continue;
        char *file = path_join(dir, ls->file);
        if (ls->admin && sample && !sy_config_ip_is_loopback(l->ip))
            add_error(&eb,
                      "%s: %s: the %s admin listener binds %s, which is not loopback, while "
                      "general.admin_secret in %s is %s; set your own admin_secret or bind the "
                      "admin listener to 127.0.0.1",
                      file, ls->ip_key, ls->name, l->ip ? l->ip : "(any)", core,
                      cfg->admin_secret && cfg->admin_secret[0] ? "the sample secret" : "empty");
        if (!ls->admin && !sy_config_api_is_authenticated(cfg) &&
            !cfg->allow_unauthenticated_public && !sy_config_ip_is_loopback(l->ip))
            add_error(&eb,
                      "%s: %s: the %s listener binds %s, which is not loopback, while neither "
                      "general.api_secret nor general.token_auth is set in %s, so anyone who can "
                      "reach it can use the API; configure api_secret or token_auth, bind the "
                      "listener to 127.0.0.1, or set general.allow_unauthenticated_public = true "
                      "in %s to accept this",
                      file, ls->ip_key, ls->name, l->ip && l->ip[0] ? l->ip : "(any)", core, core);
        if (ls->tls) {
            tls_used = true;
            if (!cfg->cert_pem || !cfg->cert_key)
                add_error(&eb,
                          "%s: %s: %s is enabled but certificates.cert_pem and "
                          "certificates.cert_key are not both set in %s",
                          file, ls->enable_key, ls->name, core);
        }
        if (l->port < 1 || l->port > 65535)
            add_error(&eb, "%s: %s: expected a port from 1 to 65535, got %d", file, ls->port_key,
                      l->port);
        for (size_t j = 0; j < i; j++) {
            const sy_listener *o = listener_of(cfg, &listeners[j]);
            if (o->enabled && o->port == l->port)
                add_error(&eb, "%s: %s: port %d is already used by the %s listener (%s in %s)",
                          file, ls->port_key, l->port, listeners[j].name, listeners[j].port_key,
                          listeners[j].file);
        }
        free(file);
    }
    if (tls_used) {
        const char *certs[][2] = {{"certificates.cert_pem", cfg->cert_pem},
                                  {"certificates.cert_key", cfg->cert_key}};
        for (int i = 0; i < 2; i++)
            if (certs[i][1] && access(certs[i][1], R_OK) != 0)
                add_error(&eb, "%s: %s: cannot read %s: %s", core, certs[i][0], certs[i][1],
                          strerror(errno));
    }
    const char *ranges[][2] = {{"media.allowed_remote_ranges", cfg->allowed_remote_ranges},
                               {"media.denied_remote_ranges", cfg->denied_remote_ranges}};
    for (int i = 0; i < 2; i++) {
        sy_netrange tmp[SY_NETRANGE_MAX];
        char why[128];
        if (sy_netrange_parse(ranges[i][1], tmp, SY_NETRANGE_MAX, why, sizeof(why)) < 0)
            add_error(&eb, "%s: %s: %s", core, ranges[i][0], why);
    }
    free(core);
    return eb.count ? -1 : 0;
}

/* ---- command line ---- */

enum {
    OPT_RECLAIM = 256,
    OPT_TOKEN_SECRET,
    OPT_ADMIN_SECRET,
    OPT_WS_PORT,
    OPT_HTTP_PORT,
    OPT_ADMIN_HTTP_PORT,
    OPT_ADMIN_WS_PORT,
    OPT_HTML,
    OPT_WORKERS,
};

static const struct option long_options[] = {
    {"configs-folder", required_argument, NULL, 'F'},
    {"plugins-folder", required_argument, NULL, 'P'},
    {"debug-level", required_argument, NULL, 'd'},
    {"session-timeout", required_argument, NULL, 's'},
    {"reclaim-session-timeout", required_argument, NULL, OPT_RECLAIM},
    {"apisecret", required_argument, NULL, 'a'},
    {"token-auth", no_argument, NULL, 'A'},
    {"token-auth-secret", required_argument, NULL, OPT_TOKEN_SECRET},
    {"admin-secret", required_argument, NULL, OPT_ADMIN_SECRET},
    {"ws-port", required_argument, NULL, OPT_WS_PORT},
    {"http-port", required_argument, NULL, OPT_HTTP_PORT},
    {"admin-http-port", required_argument, NULL, OPT_ADMIN_HTTP_PORT},
    {"admin-ws-port", required_argument, NULL, OPT_ADMIN_WS_PORT},
    {"html-folder", required_argument, NULL, OPT_HTML},
    {"media-workers", required_argument, NULL, OPT_WORKERS},
    {"version", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
/* '+': stop at the first non-option (no argv permutation); ':': we print errors. */
static const char short_options[] = "+:F:P:d:s:a:Avh";

static void print_usage(FILE *out)
{
    fprintf(
        out,
        "Usage: switchyard [options]\n"
        "  -F, --configs-folder DIR       config folder (default: conf/ of the source tree)\n"
        "  -P, --plugins-folder DIR       plugins folder (default: <executable's folder>/plugins)\n"
        "  -d, --debug-level N            log level 0..7 (default 4)\n"
        "  -s, --session-timeout N        session timeout in seconds (0 disables)\n"
        "      --reclaim-session-timeout N  seconds a session outlives its transport\n"
        "  -a, --apisecret S              API secret required in every request\n"
        "  -A, --token-auth               require stored tokens\n"
        "      --token-auth-secret S      require tokens signed with S\n"
        "      --admin-secret S           admin API secret\n"
        "      --ws-port N                WebSocket API port (0 disables)\n"
        "      --http-port N              HTTP API port (0 disables it and static files)\n"
        "      --admin-http-port N        admin HTTP port (0 disables)\n"
        "      --admin-ws-port N          admin WebSocket port (0 disables)\n"
        "      --html-folder DIR          static files folder (\"\" disables)\n"
        "      --media-workers N          media worker threads (0: one per core)\n"
        "  -v, --version                  print the version and exit\n"
        "  -h, --help                     print this help and exit\n"
        "Relative paths in config files are relative to the config folder; relative paths\n"
        "on the command line are relative to the current folder.\n");
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "switchyard: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'switchyard --help' for more information.\n");
    va_end(ap);
    return -1;
}

static bool arg_int(const char *s, long long lo, long long hi, int *out)
{
    long long v;
    if (!parse_ll(s, &v) || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

static const char *option_name(int c)
{
    for (const struct option *o = long_options; o->name; o++)
        if (o->val == c) return o->name;
    return "?";
}

int sy_config_apply_args(sy_config *cfg, int argc, char **argv)
{
    int c, n;
    optind = 0; /* glibc: full re-initialisation, so that this can be called again */
    opterr = 0;
    while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
        sy_listener *port_target = NULL;
        switch (c) {
        case 'F':
            if (!cfg->config_dir) set_str(&cfg->config_dir, optarg);
            break;
        case 'P':
            set_str(&cfg->plugins_dir, optarg);
            break;
        case 'd':
            if (!arg_int(optarg, 0, 7, &cfg->log_level))
                return usage_error("--debug-level: expected 0..7, got \"%s\"", optarg);
            break;
        case 's':
            if (!arg_int(optarg, 0, 86400, &cfg->session_timeout))
                return usage_error("--session-timeout: expected 0..86400 seconds, got \"%s\"",
                                   optarg);
            break;
        case OPT_RECLAIM:
            if (!arg_int(optarg, 0, 86400, &cfg->reclaim_session_timeout))
                return usage_error(
                    "--reclaim-session-timeout: expected 0..86400 seconds, got \"%s\"", optarg);
            break;
        case 'a':
            set_str(&cfg->api_secret, *optarg ? optarg : NULL);
            break;
        case 'A':
            cfg->token_auth = true;
            break;
        case OPT_TOKEN_SECRET:
            set_str(&cfg->token_auth_secret, *optarg ? optarg : NULL);
            cfg->token_auth = true;
            break;
        case OPT_ADMIN_SECRET:
            set_str(&cfg->admin_secret, *optarg ? optarg : NULL);
            break;
        case OPT_WS_PORT:
            port_target = &cfg->ws;
            break;
        case OPT_HTTP_PORT:
            port_target = &cfg->http;
            break;
        case OPT_ADMIN_HTTP_PORT:
            port_target = &cfg->admin_http;
            break;
        case OPT_ADMIN_WS_PORT:
            port_target = &cfg->admin_ws;
            break;
        case OPT_HTML:
            set_str(&cfg->html_dir, optarg);
            break;
        case OPT_WORKERS:
            if (!arg_int(optarg, 0, 1024, &cfg->media_workers))
                return usage_error("--media-workers: expected 0..1024, got \"%s\"", optarg);
            break;
        case 'v':
            printf("Switchyard %s (%s)\n", SY_VERSION_STRING, SY_GIT_HASH);
            return 1;
        case 'h':
            print_usage(stdout);
            return 1;
        case ':':
            return usage_error("%s: missing value", argv[optind - 1]);
        default:
            if (optopt > 0 && optopt < 128 && strncmp(argv[optind - 1], "--", 2) != 0)
                return usage_error("-%c: unknown option", optopt);
            return usage_error("%s: unknown option", argv[optind - 1]);
        }
        if (port_target) {
            if (!arg_int(optarg, 0, 65535, &n))
                return usage_error("--%s: expected a port from 1 to 65535 (0 disables), got \"%s\"",
                                   option_name(c), optarg);
            port_target->enabled = n != 0;
            if (n) port_target->port = n;
        }
    }
    if (optind < argc) return usage_error("unexpected argument \"%s\"", argv[optind]);
    return 0;
}

/* The long option named by name[0..len), exactly or by an unambiguous prefix (as
 * getopt_long accepts). */
static const struct option *find_long_option(const char *name, size_t len)
{
    const struct option *found = NULL;
    for (const struct option *o = long_options; o->name; o++) {
        if (strncmp(o->name, name, len) != 0) continue;
        if (strlen(o->name) == len) return o;
        if (found) return NULL; /* ambiguous */
        found = o;
    }
    return found;
}

/* Short options that take a value (a copy of the value-taking letters above). */
static bool short_takes_value(char c)
{
    return c && strchr("FPdsa", c) != NULL;
}

const char *sy_config_dir_from_args(int argc, char **argv, const char *fallback)
{
    const char *dir = fallback;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0 || a[0] != '-' || a[1] == '\0') break;
        if (a[1] == '-') {
            const char *eq = strchr(a, '=');
            size_t len = eq ? (size_t)(eq - a) : strlen(a);
            const struct option *o = find_long_option(a + 2, len - 2);
            if (!o || o->has_arg != required_argument) continue;
            const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (o->val == 'F' && value) dir = value;
            continue;
        }
        for (const char *p = a + 1; *p; p++) {
            if (!short_takes_value(*p)) continue;
            const char *value = p[1] ? p + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (*p == 'F' && value) dir = value;
            break;
        }
    }
    return dir;
}
