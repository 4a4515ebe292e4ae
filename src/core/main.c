/*
 * The switchyard executable: configuration, then the main loop (transports, API) and
 * the media workers, until SIGINT or SIGTERM asks for an orderly shutdown.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "api/api.h"
#include "core/config.h"
#include "core/log.h"
#include "core/workers.h"
#include "transports/transports.h"

static uv_signal_t sigint_handle, sigterm_handle, sighup_handle;

/* The default config folder: the source tree's conf/ when it exists (running from a
 * build folder), else ./conf. */
static const char *default_config_dir(void)
{
    struct stat st;
    if (stat(SY_SOURCE_DIR "/conf", &st) == 0 && S_ISDIR(st.st_mode)) return SY_SOURCE_DIR "/conf";
    return "./conf";
}

static void on_second_signal(int signum)
{
    static const char msg[] = "Second signal during shutdown: exiting now\n";
    ssize_t r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)r;
    _exit(1);
}

static void stop_everything(bool transports_started)
{
    /* Sessions go first, while every transport client they point to is alive: each
     * client hears session_over. Requests that arrive while the transports close get
     * "shutting down" errors. */
    sy_api_shutdown();
    if (transports_started) sy_transports_stop();
    sy_workers_stop();
}

static void on_signal(uv_signal_t *handle, int signum)
{
    SY_INFO("Got signal %d (%s), shutting down", signum, strsignal(signum));
    /* Closing the handles gives the signals back their default action; from now on a
     * second signal exits at once, even while a step below blocks. */
    uv_close((uv_handle_t *)&sigint_handle, NULL);
    uv_close((uv_handle_t *)&sigterm_handle, NULL);
    uv_close((uv_handle_t *)&sighup_handle, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_second_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    stop_everything(true);
}

/* SIGHUP: reload the wss/https certificate and key (same paths, new contents). */
static void on_sighup(uv_signal_t *handle, int signum)
{
    (void)handle;
    (void)signum;
    SY_INFO("Got SIGHUP: reloading the TLS certificate");
    sy_transports_reload_certs();
}

static void close_leftover(uv_handle_t *h, void *arg)
{
    if (uv_is_closing(h)) return;
    SY_WARN("Closing a %s handle left open at shutdown",
            uv_handle_type_name(uv_handle_get_type(h)));
    uv_close(h, NULL);
}

/* Runs the loop until nothing is left, then closes it (closing leftovers if needed). */
static int finish_loop(uv_loop_t *loop)
{
    uv_run(loop, UV_RUN_DEFAULT);
    int r = uv_loop_close(loop);
    if (r == UV_EBUSY) {
        uv_walk(loop, close_leftover, NULL);
        uv_run(loop, UV_RUN_DEFAULT);
        r = uv_loop_close(loop);
    }
    if (r) SY_ERROR("Main loop did not close: %s", uv_strerror(r));
    return r;
}

/* "ws 0.0.0.0:8188, http 0.0.0.0:8088, ..." for the enabled listeners. */
static void describe_listeners(const sy_config *cfg, char *buf, size_t size)
{
    const struct {
        const char *name;
        const sy_listener *l;
    } all[] = {
        {"ws", &cfg->ws},
        {"wss", &cfg->wss},
        {"http", &cfg->http},
        {"https", &cfg->https},
        {"admin_ws", &cfg->admin_ws},
        {"admin_wss", &cfg->admin_wss},
        {"admin_http", &cfg->admin_http},
        {"admin_https", &cfg->admin_https},
    };
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const sy_listener *l = all[i].l;
        if (!l->enabled || used >= size) continue;
        const char *ip = l->ip ? l->ip : "0.0.0.0";
        bool v6 = strchr(ip, ':') != NULL;
        int n = snprintf(buf + used, size - used, "%s%s %s%s%s:%d", used ? ", " : "", all[i].name,
                         v6 ? "[" : "", ip, v6 ? "]" : "", l->port);
        if (n > 0) used += (size_t)n;
    }
    if (!used) snprintf(buf, size, "none");
}

int main(int argc, char **argv)
{
    sy_config cfg;
    char err[4096];
    const char *dir = sy_config_dir_from_args(argc, argv, default_config_dir());

    sy_config_defaults(&cfg);
    int loaded = sy_config_load(&cfg, dir, err, sizeof(err));
    int r = sy_config_apply_args(&cfg, argc, argv);
    if (r != 0) { /* --help, --version, or a usage error (printed) */
        sy_config_free(&cfg);
        return r > 0 ? 0 : 1;
    }
    if (loaded != 0 || sy_config_validate(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        sy_config_free(&cfg);
        return 1;
    }

    sy_log_set_level(cfg.log_level);
    sy_log_set_timestamps(cfg.log_timestamps);
    if (cfg.log_file && sy_log_set_file(cfg.log_file) != 0) {
        fprintf(stderr, "%s/switchyard.jcfg: general.log_file: cannot open %s: %s\n", dir,
                cfg.log_file, strerror(errno));
        sy_config_free(&cfg);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    SY_INFO("Switchyard %s (%s) starting, config folder %s", SY_VERSION_STRING, SY_GIT_HASH, dir);

    uv_loop_t loop;
    if ((r = uv_loop_init(&loop)) != 0) {
        SY_FATAL("Cannot create the main loop: %s", uv_strerror(r));
        sy_config_free(&cfg);
        sy_log_close();
        return 1;
    }
    int status = 1;
    if (sy_workers_start(cfg.media_workers) != 0) {
        SY_FATAL("Cannot start the media workers");
        goto out;
    }
    if (sy_api_init(&loop, &cfg) != 0) {
        SY_FATAL("Cannot initialise the API");
        stop_everything(false);
        goto out;
    }
    if (sy_transports_start(&loop, &cfg) != 0) {
        SY_FATAL("Cannot start the transports");
        stop_everything(true); /* closes what did start */
        goto out;
    }
    uv_signal_init(&loop, &sigint_handle);
    uv_signal_init(&loop, &sigterm_handle);
    uv_signal_start(&sigint_handle, on_signal, SIGINT);
    uv_signal_start(&sigterm_handle, on_signal, SIGTERM);
    uv_signal_init(&loop, &sighup_handle);
    uv_signal_start(&sighup_handle, on_sighup, SIGHUP);

    const char *open_listener = sy_config_public_unauthenticated(&cfg);
    if (open_listener)
        SY_WARN("The %s listener binds beyond loopback and the API has no api_secret and no "
                "token_auth: anyone who can reach it can create sessions and use every plugin "
                "(general.allow_unauthenticated_public = true)",
                open_listener);
    char listeners[512];
    describe_listeners(&cfg, listeners, sizeof(listeners));
    SY_INFO("Switchyard ready: listening on %s; %d media worker%s", listeners, sy_workers_count(),
            sy_workers_count() == 1 ? "" : "s");
    status = 0;
out:
    if (finish_loop(&loop) != 0) status = 1;
    if (status == 0) SY_INFO("Bye");
    sy_config_free(&cfg);
    sy_log_close();
    return status;
}
