/*
 * Configuration: a folder of libconfig files (Janus's .jcfg syntax).
 *   switchyard.jcfg                        core (general, certificates, plugins)
 *   switchyard.transport.websockets.jcfg   WebSocket listeners
 *   switchyard.transport.http.jcfg         HTTP listeners and static html/
 *   switchyard.plugin.<name>.jcfg          one per plugin (read by the plugin)
 * Command-line overrides are applied after the files and validated the same way.
 * Errors name the file, the key and the problem.
 */
#ifndef SY_CONFIG_H
#define SY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* The admin secret shipped in conf/; refused on a non-loopback admin listener. */
#define SY_SAMPLE_ADMIN_SECRET "switchyardoverlord"

typedef struct sy_listener {
    bool enabled;
    char *ip;   /* bind address, e.g. "0.0.0.0", "127.0.0.1", "::" */
    int port;
} sy_listener;

/* Per-remote-address limits of one transport's listeners (API and admin together);
 * 0 disables a limit. IPv6 addresses count per /64. See docs/security.md. */
typedef struct sy_peer_limits {
    int max_connections; /* concurrent connections from one address */
    int rate;            /* requests per second from one address (token bucket) */
    int burst;           /* bucket size */
} sy_peer_limits;

typedef struct sy_config {
    char *config_dir;
    char *plugins_dir;
    char *html_dir;          /* static files; NULL or "" disables them */

    /* general */
    int log_level;           /* 0 fatal .. 7 huge (Janus's debug_level scale), default 4 */
    bool log_timestamps;
    bool log_colors;
    char *log_file;          /* NULL: stdout only */
    char *server_name;
    int session_timeout;     /* seconds, 0 disables; default 60 */
    int reclaim_session_timeout; /* default 0 */
    int candidates_timeout;  /* default 45 */
    bool accept_new_sessions;
    int max_sessions;        /* 0: unlimited */
    char *api_secret;        /* NULL: none */
    bool token_auth;
    char *token_auth_secret; /* NULL: stored tokens (when token_auth) */
    bool opaqueid_in_api;
    bool allow_unauthenticated_public; /* allow a non-loopback API listener without
                                        * api_secret or token_auth (warned at start) */
    char **disable_plugins;  /* packages or file names */
    int n_disable_plugins;
    int media_workers;       /* 0: one per core */
    size_t max_message_size; /* bytes of one request (WS close 1009, HTTP 413) */
    int json_max_depth;      /* nesting depth of requests */

    /* certificates for wss/https (and DTLS later) */
    char *cert_pem;
    char *cert_key;
    char *cert_pwd;

    /* admin */
    char *admin_secret;

    /* media (switchyard.jcfg "media" and "nat" sections) */
    int rtp_port_min, rtp_port_max; /* 0,0: any port */
    bool ice_lite;
    bool shared_ports;              /* ICE-lite on one UDP socket per worker and address
                                     * (default true); false: a libnice agent per PC */
    bool full_trickle;              /* send our candidates as "trickle" events, not in the SDP */
    bool ice_consent_freshness;     /* RFC 7675, default true */
    char *ice_ips;                  /* comma list of addresses to gather on; NULL: every
                                     * non-loopback address, or 127.0.0.1 if none */
    char *stun_server;              /* "host:port" or NULL */
    char *nat_1_1_mapping;          /* public address advertised instead, or NULL */
    int no_media_timer;             /* seconds without media before "media" receiving=false */
    int slowlink_threshold;         /* lost packets per second for a "slowlink" event; 0: off */
    char *allowed_remote_ranges;    /* remote candidates only in these ranges (NULL: any) */
    char *denied_remote_ranges;     /* remote candidates never in these ranges */
    bool dtls_answer_active;        /* answer a=setup:active (DTLS client); default false:
                                     * passive, so that we pick the SRTP profile (GCM) */      /* NULL: none (refused on a non-loopback admin listener) */

    /* WebSocket transport */
    sy_listener ws, wss, admin_ws, admin_wss; /* admin_wss binds admin_ws_ip */
    char *ws_allowed_origin;  /* comma-separated origins; NULL: any Origin */
    sy_peer_limits ws_limits; /* max_connections_per_address, requests_per_second_... */

    /* HTTP transport */
    sy_listener http, https, admin_http, admin_https; /* https binds ip, admin_https admin_ip */
    char *base_path;          /* "/janus" */
    char *admin_base_path;    /* "/admin" */
    char *cors_allow_origin;  /* NULL: "*" */
    bool cors_enforce;
    int http_idle_timeout;    /* seconds an idle or trickling HTTP/WS connection lives */
    int longpoll_timeout;     /* seconds before {"janus":"keepalive"}, default 30 */
    sy_peer_limits http_limits;
} sy_config;

/* Defaults for every field (no files read). */
void sy_config_defaults(sy_config *cfg);
/* Reads the files in dir over the defaults. Returns 0, or -1 after writing one
 * message per problem into err (size errlen), e.g.
 *   "conf/switchyard.jcfg: general.session_timeout: expected an integer 0..86400". */
int sy_config_load(sy_config *cfg, const char *dir, char *err, size_t errlen);
/* Cross-field checks after files and overrides (e.g. the sample admin secret on a
 * non-loopback listener). Same error convention. */
int sy_config_validate(const sy_config *cfg, char *err, size_t errlen);
void sy_config_free(sy_config *cfg);

/* Parses command-line options into cfg (after sy_config_load, with the config folder
 * found by sy_config_dir_from_args). Returns 0, 1 if the program should exit 0
 * (--help/--version printed), -1 on a usage error (message printed). */
int sy_config_apply_args(sy_config *cfg, int argc, char **argv);
/* The config folder named by -F/--configs-folder, or the default. */
const char *sy_config_dir_from_args(int argc, char **argv, const char *fallback);

bool sy_config_ip_is_loopback(const char *ip);
/* True when the API needs api_secret or a token. */
bool sy_config_api_is_authenticated(const sy_config *cfg);
/* The name of an API (non-admin) listener bound beyond loopback while the API has no
 * authentication, or NULL. sy_config_validate refuses that unless
 * allow_unauthenticated_public is set; main warns when it is. */
const char *sy_config_public_unauthenticated(const sy_config *cfg);

#endif
