#include "api/server_info.h"

#include <glib.h>
#include <libconfig.h>
#include <libwebsockets.h>
#include <nice/agent.h>
#include <openssl/opensslv.h>
#include <srtp2/srtp.h>
#include <stdio.h>
#include <string.h>
#include <usrsctp.h>
#include <uv.h>

#include "api/auth.h"
#include "api/session.h"
#include "core/log.h"
#include "core/workers.h"
#include "core/plugins.h"
#include "transports/transports.h"

static char compile_time[64];

void sy_server_info_init(void)
{
    snprintf(compile_time, sizeof(compile_time), "%s %s", __DATE__, __TIME__);
}

static json_t *dependencies(void)
{
    char buf[64];
    json_t *d = json_object();
    snprintf(buf, sizeof(buf), "%d.%d.%d", glib_major_version, glib_minor_version,
             glib_micro_version);
    json_object_set_new(d, "glib2", json_string(buf));
    json_object_set_new(d, "jansson", json_string(jansson_version_str()));
    /* libnice has no runtime version call; the version we were built against. */
    json_object_set_new(d, "libnice", json_string(SY_NICE_VERSION));
    json_object_set_new(d, "libsrtp", json_string(srtp_get_version_string()));
#ifdef SY_SRTP_EVP
    json_object_set_new(d, "srtp", json_string("switchyard (OpenSSL EVP)"));
#else
    json_object_set_new(d, "srtp", json_string("libsrtp2"));
#endif
    json_object_set_new(d, "crypto", json_string(OPENSSL_VERSION_TEXT));
    json_object_set_new(d, "libuv", json_string(uv_version_string()));
    /* Debian's build reports "4.1.6-" (an empty git suffix): keep the version only. */
    snprintf(buf, sizeof(buf), "%s", lws_get_library_version());
    buf[strcspn(buf, "- ")] = '\0';
    json_object_set_new(d, "libwebsockets", json_string(buf));
    snprintf(buf, sizeof(buf), "%d.%d.%d", LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR,
             LIBCONFIG_VER_REVISION);
    json_object_set_new(d, "libconfig", json_string(buf));
    json_object_set_new(d, "usrsctp", json_string(SY_USRSCTP_VERSION));
    return d;
}

json_t *sy_server_info(const char *transaction)
{
    const sy_config *cfg = sy_api_config;
    json_t *m = sy_message_new("server_info", 0, transaction);
    json_object_set_new(m, "name", json_string("Switchyard"));
    json_object_set_new(m, "version", json_integer(SY_VERSION));
    json_object_set_new(m, "version_string", json_string(SY_VERSION_STRING));
    json_object_set_new(m, "author", json_string("The Switchyard developers"));
    json_object_set_new(m, "commit-hash", json_string(SY_GIT_HASH));
    json_object_set_new(m, "compile-time", json_string(compile_time));
    json_object_set_new(m, "log-to-stdout", json_true());
    json_object_set_new(m, "log-to-file", json_boolean(cfg->log_file != NULL));
    if (cfg->log_file) json_object_set_new(m, "log-path", json_string(cfg->log_file));
    json_object_set_new(m, "data_channels", json_false());
    json_object_set_new(m, "accepting-new-sessions", json_boolean(cfg->accept_new_sessions));
    json_object_set_new(m, "session-timeout", json_integer(cfg->session_timeout));
    json_object_set_new(m, "reclaim-session-timeout", json_integer(cfg->reclaim_session_timeout));
    json_object_set_new(m, "candidates-timeout", json_integer(cfg->candidates_timeout));
    json_object_set_new(m, "server-name", json_string(cfg->server_name ? cfg->server_name
                                                                         : "Switchyard"));
    json_object_set_new(m, "local-ip", json_string("127.0.0.1"));
    json_object_set_new(m, "ipv6", json_false());
    json_object_set_new(m, "ice-lite", json_boolean(cfg->ice_lite));
    json_object_set_new(m, "ice-tcp", json_false());
    json_object_set_new(m, "ice-consent-freshness", json_boolean(cfg->ice_consent_freshness));
    json_object_set_new(m, "ice-keepalive-conncheck", json_false());
    json_object_set_new(m, "hangup-on-failed", json_true());
    json_object_set_new(m, "full-trickle", json_boolean(cfg->full_trickle));
    json_object_set_new(m, "mdns-enabled", json_false());
    json_object_set_new(m, "min-nack-queue", json_integer(200));
    json_object_set_new(m, "nack-optimizations", json_false());
    json_object_set_new(m, "twcc-period", json_integer(200));
    json_object_set_new(m, "dtls-mtu", json_integer(1200));
    json_object_set_new(m, "static-event-loops", json_integer(sy_workers_count()));
    json_object_set_new(m, "api_secret", json_boolean(sy_auth_has_api_secret()));
    json_object_set_new(m, "auth_token", json_boolean(sy_auth_token_mode() != SY_AUTH_TOKENS_OFF));
    json_object_set_new(m, "event_handlers", json_false());
    json_object_set_new(m, "opaqueid_in_api", json_boolean(cfg->opaqueid_in_api));
    json_object_set_new(m, "dependencies", dependencies());
    json_object_set_new(m, "transports", sy_transports_info());
    json_object_set_new(m, "events", json_object());
    json_object_set_new(m, "loggers", json_object());
    json_object_set_new(m, "plugins", sy_plugins_info());
    return m;
}
