/*
 * ICE for one peer connection: a libnice agent (RFC 5245 compatibility, trickle, regular
 * nomination) with one stream of one component, attached to the owning media worker's
 * GLib context. See ice.h for the contract; testing.md ("libnice inside a libuv loop")
 * for the pitfalls this file is shaped by.
 *
 * Lifecycle: sy_ice_free() marks the object dead at once (every libnice callback checks
 * the flag first, so the user hears nothing more) and tears the agent down either right
 * away, when no GLib source and no callback of ours is running on this thread, or on the
 * next turn of the worker's loop otherwise: tearing an agent down from inside one of its
 * own callbacks would free the socket libnice is still reading.
 *
 * Remote candidates are screened before libnice sees them (security.md 1, RFC 8826 4.2;
 * section 6 rows 24 and 26): mDNS names are ignored without any lookup, host names are
 * refused (no resolution on a media thread), unspecified, multicast, broadcast, reserved
 * and link-local addresses (169.254.169.254 among them) are refused, loopback is refused
 * unless we gather on loopback ourselves, and at most SY_ICE_MAX_REMOTE_CANDIDATES are
 * accepted per ICE session.
 */
#include "media/ice.h"
#include "media/ice_lite.h"
#include "media/media_counters.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <nice/agent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"

/* Accepted remote candidates per ICE session (reset by a restart). */
#define SY_ICE_MAX_REMOTE_CANDIDATES 64
/* Longest candidate line we parse; real ones are < 200 bytes. */
#define MAX_CANDIDATE_LEN 512
/* RFC 8839 bounds: ice-ufrag 4..256 and ice-pwd 22..256 characters. */
#define MAX_CREDENTIAL_LEN 256
#define COMPONENT_ID 1
#define DEFAULT_STUN_PORT 3478
/* Requested SO_RCVBUF / SO_SNDBUF per socket (see enlarge_socket_buffers). */
#define SOCKET_BUFFER_SIZE (512 * 1024)

struct sy_ice {
    sy_worker *worker;
    NiceAgent *agent;
    guint stream;
    sy_ice_callbacks cb;
    sy_ice_state state;
    bool dead;           /* sy_ice_free was called: no more callbacks */
    bool gathering;      /* sy_ice_gather was called */
    bool remote_creds;   /* remote credentials set for the current session */
    bool allow_loopback; /* we gather on a loopback address ourselves */
    const sy_netrange *allowed, *denied;
    size_t n_allowed, n_denied;
    unsigned n_remote;   /* remote candidates accepted in this session */
    char *nat_1_1_ip;    /* advertised instead of host addresses of its family, or NULL */
    int nat_ip_version;  /* 4 or 6 */
    char ufrag[MAX_CREDENTIAL_LEN + 1];
    char pwd[MAX_CREDENTIAL_LEN + 1];
    /* The selected pair's UDP socket (owned by libnice) and remote address: packets go
     * out with one sendto, without nice_agent_send's agent lock. -1: use libnice. */
    int send_fd;
    struct sockaddr_storage send_to;
    socklen_t send_to_len;
    sy_lite *lite;      /* shared-port ICE-lite (ice_lite.c) instead of libnice */
};

/* User callbacks running on this thread (any sy_ice): sy_ice_free defers while > 0. */
static __thread int callback_depth;

/* ---- small helpers ---- */

static const char *nice_state_name(guint state)
{
    switch (state) {
    case NICE_COMPONENT_STATE_DISCONNECTED:
        return "disconnected";
    case NICE_COMPONENT_STATE_GATHERING:
        return "gathering";
    case NICE_COMPONENT_STATE_CONNECTING:
        return "connecting";
    case NICE_COMPONENT_STATE_CONNECTED:
        return "connected";
    case NICE_COMPONENT_STATE_READY:
        return "ready";
    case NICE_COMPONENT_STATE_FAILED:
        return "failed";
    default:
        return "?";
    }
}

static void set_state(sy_ice *ice, sy_ice_state state)
{
    if (ice->dead || ice->state == state) return;
    /* FAILED (checks failed, or consent lost) sticks until a restart: RFC 7675 says stop
     * sending once consent is gone, and libnice may still report a late success. */
    if (ice->state == SY_ICE_FAILED) return;
    ice->state = state;
    if (ice->cb.state_changed) {
        callback_depth++;
        ice->cb.state_changed(ice->cb.user, state);
        callback_depth--;
    }
}

/* "[v6]:port", "v4:port", "host" or "v6" (default port) into a numeric address. */
static int parse_host_port(const char *s, char *host, size_t host_len, unsigned *port)
{
    const char *h = s, *p = NULL;
    size_t n;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end) return -1;
        h = s + 1;
        n = (size_t)(end - h);
        if (end[1] == ':')
            p = end + 2;
        else if (end[1] != '\0')
            return -1;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && !strchr(colon + 1, ':')) { /* exactly one colon: v4:port */
            n = (size_t)(colon - s);
            p = colon + 1;
        } else {
            n = strlen(s);
        }
    }
    if (n == 0 || n >= host_len) return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = DEFAULT_STUN_PORT;
    if (p) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(p, &end, 10);
        if (errno || *end || v == 0 || v > 65535) return -1;
        *port = (unsigned)v;
    }
    unsigned char buf[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, host, buf) != 1 && inet_pton(AF_INET6, host, buf) != 1) return -1;
    return 0;
}

static bool is_loopback(const NiceAddress *a)
{
    if (a->s.addr.sa_family == AF_INET) return (ntohl(a->s.ip4.sin_addr.s_addr) >> 24) == 127;
    if (a->s.addr.sa_family == AF_INET6) return IN6_IS_ADDR_LOOPBACK(&a->s.ip6.sin6_addr);
    return false;
}

bool sy_ice_address_allowed(const struct sockaddr *sa, const sy_netrange *allowed, size_t n_allowed,
                            const sy_netrange *denied, size_t n_denied, bool allow_loopback)
{
    if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) return false;
    if (sy_netrange_match(denied, n_denied, sa)) return false;
    if (n_allowed) return sy_netrange_match(allowed, n_allowed, sa);
    if (sy_netrange_reserved(sa)) return false;
    if (sy_netrange_loopback(sa)) return allow_loopback;
    return true;
}

/* May we send connectivity checks to this remote address? (RFC 8826 4.2: signaling must
 * not make the server send to arbitrary hosts.) */
static bool remote_address_allowed(const sy_ice *ice, const NiceAddress *a)
{
    if (nice_address_get_port(a) == 0) return false;
    return sy_ice_address_allowed(&a->s.addr, ice->allowed, ice->n_allowed, ice->denied,
                                  ice->n_denied, ice->allow_loopback);
}

/* RFC 8839 ice-char is ALPHA / DIGIT / "+" / "/"; accept any visible ASCII but ':' (the
 * USERNAME separator) so that slightly loose peers still work. */
static bool credential_ok(const char *s, size_t min)
{
    size_t n = s ? strnlen(s, MAX_CREDENTIAL_LEN + 1) : 0;
    if (n < min || n > MAX_CREDENTIAL_LEN) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~' || s[i] == ':') return false;
    return true;
}

static void refresh_local_credentials(sy_ice *ice)
{
    gchar *ufrag = NULL, *pwd = NULL;
    ice->ufrag[0] = ice->pwd[0] = '\0';
    if (nice_agent_get_local_credentials(ice->agent, ice->stream, &ufrag, &pwd)) {
        snprintf(ice->ufrag, sizeof(ice->ufrag), "%s", ufrag);
        snprintf(ice->pwd, sizeof(ice->pwd), "%s", pwd);
    }
    g_free(ufrag);
    g_free(pwd);
}

/* ---- libnice signals and the receive callback (all on the worker's thread) ---- */

static void on_new_candidate(NiceAgent *agent, NiceCandidate *cand, gpointer data)
{
    sy_ice *ice = data;
    if (ice->dead || cand->stream_id != ice->stream || !ice->cb.local_candidate) return;

    NiceCandidate *advertised = cand, *copy = NULL;
    if (ice->nat_1_1_ip && cand->type == NICE_CANDIDATE_TYPE_HOST &&
        nice_address_ip_version(&cand->addr) == ice->nat_ip_version) {
        copy = nice_candidate_copy(cand);
        guint port = nice_address_get_port(&cand->addr);
        if (nice_address_set_from_string(&copy->addr, ice->nat_1_1_ip)) {
            nice_address_set_port(&copy->addr, port);
            /* A base that differs from the address would be written as "raddr": the
             * private address must not leak. */
            copy->base_addr = copy->addr;
            advertised = copy;
        }
    }
    gchar *sdp = nice_agent_generate_local_candidate_sdp(agent, advertised);
    if (copy) nice_candidate_free(copy);
    if (!sdp) return;
    const char *line = strncmp(sdp, "a=", 2) == 0 ? sdp + 2 : sdp;
    SY_VERB("ice %p: local %s", (void *)ice, line);
    callback_depth++;
    ice->cb.local_candidate(ice->cb.user, line);
    callback_depth--;
    g_free(sdp);
}

static void on_gathering_done(NiceAgent *agent, guint stream_id, gpointer data)
{
    sy_ice *ice = data;
    if (ice->dead || stream_id != ice->stream || !ice->cb.gathering_done) return;
    callback_depth++;
    ice->cb.gathering_done(ice->cb.user);
    callback_depth--;
}

static void on_component_state(NiceAgent *agent, guint stream_id, guint component_id, guint state,
                               gpointer data)
{
    sy_ice *ice = data;
    if (ice->dead || stream_id != ice->stream) return;
    SY_VERB("ice %p: libnice state %s", (void *)ice, nice_state_name(state));
    switch (state) {
    case NICE_COMPONENT_STATE_GATHERING:
        set_state(ice, SY_ICE_GATHERING);
        break;
    case NICE_COMPONENT_STATE_CONNECTING:
        set_state(ice, SY_ICE_CHECKING);
        break;
    case NICE_COMPONENT_STATE_CONNECTED: /* fall through */
    case NICE_COMPONENT_STATE_READY:
        set_state(ice, SY_ICE_CONNECTED);
        break;
    case NICE_COMPONENT_STATE_FAILED:
        set_state(ice, SY_ICE_FAILED);
        break;
    default:
        break; /* DISCONNECTED: nothing to report */
    }
}

static void on_selected_pair(NiceAgent *agent, guint stream_id, guint component_id,
                             NiceCandidate *local, NiceCandidate *remote, gpointer data)
{
    sy_ice *ice = data;
    if (ice->dead) return;
    ice->send_fd = -1;
    if (local->transport == NICE_CANDIDATE_TRANSPORT_UDP && local->type != NICE_CANDIDATE_TYPE_RELAYED) {
        GSocket *gs = nice_agent_get_selected_socket(agent, stream_id, component_id);
        if (gs) {
            ice->send_to_len = (socklen_t)sizeof(ice->send_to);
            memset(&ice->send_to, 0, sizeof(ice->send_to));
            nice_address_copy_to_sockaddr(&remote->addr, (struct sockaddr *)&ice->send_to);
            ice->send_to_len = ice->send_to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                  : sizeof(struct sockaddr_in);
            ice->send_fd = g_socket_get_fd(gs);
            g_object_unref(gs); /* the agent keeps the socket */
        }
    }
    if (sy_log_level < SY_LOG_VERB) return;
    char l[NICE_ADDRESS_STRING_LEN], r[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(&local->addr, l);
    nice_address_to_string(&remote->addr, r);
    SY_VERB("ice %p: selected pair %s:%u <-> %s:%u", (void *)ice, l,
            nice_address_get_port(&local->addr), r, nice_address_get_port(&remote->addr));
}

/* libnice has consumed STUN and dropped datagrams from addresses that no check has
 * validated (component "valid candidates"); the rest is the caller's. */
static void on_recv(NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *buf,
                    gpointer data)
{
    sy_ice *ice = data;
    if (ice->dead || !ice->cb.recv || len == 0) return;
    callback_depth++;
    ice->cb.recv(ice->cb.user, (uint8_t *)buf, len);
    callback_depth--;
}

/* ---- creation and teardown ---- */

static void teardown(sy_ice *ice)
{
    if (ice->agent) {
        /* The agent's sockets close below: stop the worker's uv_polls on them first. */
        sy_worker_glib_forget_fds(ice->worker);
        g_signal_handlers_disconnect_by_data(ice->agent, ice);
        if (ice->stream) {
            nice_agent_attach_recv(ice->agent, ice->stream, COMPONENT_ID,
                                   sy_worker_glib_context(ice->worker), NULL, NULL);
            nice_agent_remove_stream(ice->agent, ice->stream);
        }
        g_object_unref(ice->agent);
    }
    free(ice->nat_1_1_ip);
    free(ice);
}

static void teardown_task(sy_worker *worker, void *arg)
{
    teardown(arg);
}

static void teardown_timer_closed(uv_handle_t *h)
{
    free(h);
}

static void teardown_timer(uv_timer_t *timer)
{
    teardown(timer->data);
    uv_close((uv_handle_t *)timer, teardown_timer_closed);
}

sy_ice *sy_ice_new(sy_worker *worker, const sy_ice_config *cfg, const sy_ice_callbacks *cb)
{
    GMainContext *ctx = sy_worker_glib_context(worker);
    if (!g_main_context_is_owner(ctx)) {
        SY_ERROR("ice: sy_ice_new called off the worker's thread");
        return NULL;
    }
    sy_ice *ice = calloc(1, sizeof(*ice));
    if (!ice) return NULL;
    ice->worker = worker;
    ice->cb = *cb;
    ice->state = SY_ICE_NEW;
    ice->send_fd = -1;
    if (cfg->shared_port) {
        ice->lite = sy_lite_new(worker, cfg, cb);
        if (ice->lite) return ice;
        free(ice);
        return NULL;
    }

    if (cfg->nat_1_1_ip) {
        NiceAddress a;
        nice_address_init(&a);
        if (!nice_address_set_from_string(&a, cfg->nat_1_1_ip)) {
            SY_ERROR("ice: nat_1_1_ip '%s' is not a numeric address", cfg->nat_1_1_ip);
            goto fail;
        }
        ice->nat_ip_version = nice_address_ip_version(&a);
        ice->nat_1_1_ip = strdup(cfg->nat_1_1_ip);
        if (!ice->nat_1_1_ip) goto fail;
    }

    /* Regular nomination (RFC 8445 dropped aggressive nomination); it matters only when
     * we are the controlling side, since a controlled libnice follows USE-CANDIDATE. */
    NiceAgentOption opts = NICE_AGENT_OPTION_ICE_TRICKLE | NICE_AGENT_OPTION_REGULAR_NOMINATION;
    if (cfg->lite) opts |= NICE_AGENT_OPTION_LITE_MODE;
    if (cfg->consent_freshness) opts |= NICE_AGENT_OPTION_CONSENT_FRESHNESS;
    ice->agent = nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245, opts);
    if (!ice->agent) goto fail;
    g_object_set(ice->agent, "upnp", FALSE, "ice-tcp", FALSE, "ice-udp", TRUE, "controlling-mode",
                 (gboolean)(cfg->controlling && !cfg->lite), NULL);

    /* A lite server has public host addresses by definition: no STUN. */
    if (cfg->stun_server && !cfg->lite) {
        char host[64];
        unsigned port;
        if (parse_host_port(cfg->stun_server, host, sizeof(host), &port) != 0) {
            SY_ERROR("ice: stun_server '%s' must be a numeric address[:port] (resolve names "
                     "when loading the configuration)",
                     cfg->stun_server);
            goto fail;
        }
        g_object_set(ice->agent, "stun-server", host, "stun-server-port", port, NULL);
    }

    for (size_t i = 0; i < cfg->n_local_ips; i++) {
        NiceAddress a;
        nice_address_init(&a);
        if (!cfg->local_ips[i] || !nice_address_set_from_string(&a, cfg->local_ips[i])) {
            SY_ERROR("ice: local address '%s' is not a numeric address",
                     cfg->local_ips[i] ? cfg->local_ips[i] : "(null)");
            goto fail;
        }
        /* libnice skips loopback when it enumerates interfaces; an added address is
         * used whatever it is, and once one is added only added ones are. */
        if (!nice_agent_add_local_address(ice->agent, &a)) goto fail;
        if (is_loopback(&a)) ice->allow_loopback = true;
    }
    ice->allowed = cfg->allowed;
    ice->n_allowed = cfg->n_allowed;
    ice->denied = cfg->denied;
    ice->n_denied = cfg->n_denied;

    ice->stream = nice_agent_add_stream(ice->agent, 1);
    if (!ice->stream) goto fail;
    if ((cfg->port_min || cfg->port_max) && (cfg->port_min == 0 || cfg->port_max < cfg->port_min)) {
        SY_ERROR("ice: bad port range %u-%u", cfg->port_min, cfg->port_max);
        goto fail;
    }
    if (cfg->port_min)
        nice_agent_set_port_range(ice->agent, ice->stream, COMPONENT_ID, cfg->port_min,
                                  cfg->port_max);

    /* Before gathering: host candidates and gathering-done fire inside it. */
    g_signal_connect(ice->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), ice);
    g_signal_connect(ice->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), ice);
    g_signal_connect(ice->agent, "component-state-changed", G_CALLBACK(on_component_state), ice);
    g_signal_connect(ice->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), ice);
    if (!nice_agent_attach_recv(ice->agent, ice->stream, COMPONENT_ID, ctx, on_recv, ice))
        goto fail;

    refresh_local_credentials(ice);
    if (!ice->ufrag[0]) goto fail;
    return ice;

fail:
    SY_ERROR("ice: cannot create the ICE agent");
    teardown(ice);
    return NULL;
}

void sy_ice_free(sy_ice *ice)
{
    if (!ice || ice->dead) return;
    if (ice->lite) {
        sy_lite_free(ice->lite);
        free(ice);
        return;
    }
    ice->dead = true;
    ice->state = SY_ICE_CLOSED;
    /* Outside any GLib dispatch and any callback of ours, nothing of libnice is on the
     * stack: release now. Otherwise on the next loop turn. */
    if (callback_depth == 0 && g_main_current_source() == NULL) {
        SY_DEBUG("ice %p: released now", (void *)ice);
        teardown(ice);
        return;
    }
    SY_DEBUG("ice %p: released on the next loop turn", (void *)ice);
    if (sy_worker_post(ice->worker, teardown_task, ice) == 0) return;
    /* The worker is stopping (no more tasks). A GLib dispatch only runs in the loop's
     * check phase, and the stop task runs in a later poll phase: a zero timer fires in
     * between, at the start of the next iteration. */
    uv_timer_t *timer = malloc(sizeof(*timer));
    if (!timer || uv_timer_init(sy_worker_loop(ice->worker), timer) != 0) {
        SY_ERROR("ice: cannot defer the release of an agent (leaked)");
        free(timer);
        return;
    }
    timer->data = ice;
    uv_timer_start(timer, teardown_timer, 0, 0);
}

/* ---- the rest of the API ---- */

const char *sy_ice_local_ufrag(const sy_ice *ice)
{
    if (ice->lite) return sy_lite_local_ufrag(ice->lite);
    return ice->ufrag;
}

const char *sy_ice_local_pwd(const sy_ice *ice)
{
    if (ice->lite) return sy_lite_local_pwd(ice->lite);
    return ice->pwd;
}

/* The default receive buffer (rmem_default, 208 KiB here) holds only ~90 datagrams of
 * 1000 bytes (each costs ~2.3 KiB of kernel memory): a keyframe burst that arrives
 * while the worker is busy elsewhere would be dropped. Ask for more; the kernel clamps
 * the request to net.core.rmem_max / wmem_max (and doubles it). */
static void enlarge_socket_buffers(sy_ice *ice)
{
    GPtrArray *sockets = nice_agent_get_sockets(ice->agent, ice->stream, COMPONENT_ID);
    if (!sockets) return;
    for (guint i = 0; i < sockets->len; i++) {
        int fd = g_socket_get_fd(g_ptr_array_index(sockets, i));
        int size = SOCKET_BUFFER_SIZE;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    }
    g_ptr_array_unref(sockets);
}

int sy_ice_gather(sy_ice *ice)
{
    if (ice->lite) return sy_lite_gather(ice->lite);
    if (ice->dead || ice->gathering) return -1;
    ice->gathering = true;
    if (!nice_agent_gather_candidates(ice->agent, ice->stream)) {
        SY_ERROR("ice %p: gathering failed (no usable local address or port)", (void *)ice);
        return -1;
    }
    if (!ice->dead) enlarge_socket_buffers(ice);
    return 0;
}

int sy_ice_set_remote_credentials(sy_ice *ice, const char *ufrag, const char *pwd)
{
    if (ice->dead) return -1;
    if (!credential_ok(ufrag, 4) || !credential_ok(pwd, 22)) {
        SY_WARN("ice %p: invalid remote ice-ufrag/ice-pwd", (void *)ice);
        return -1;
    }
    if (ice->lite) return sy_lite_set_remote_credentials(ice->lite, ufrag, pwd);
    if (!nice_agent_set_remote_credentials(ice->agent, ice->stream, ufrag, pwd)) return -1;
    ice->remote_creds = true;
    return 0;
}

int sy_ice_restart(sy_ice *ice)
{
    if (ice->lite) return sy_lite_restart(ice->lite);
    if (ice->dead) return -1;
    if (!nice_agent_restart_stream(ice->agent, ice->stream)) return -1;
    refresh_local_credentials(ice);
    ice->remote_creds = false;
    ice->n_remote = 0;
    /* A new session: FAILED no longer sticks; libnice reports the new checks. */
    if (ice->state == SY_ICE_FAILED) {
        ice->state = SY_ICE_NEW;
        set_state(ice, SY_ICE_CHECKING);
    }
    /* libnice keeps its local candidates (and sockets) over a restart and does not
     * announce them again, but the new offer or answer must carry them: report them
     * again, then gathering-done, as a fresh gathering would. */
    if (ice->gathering) {
        GSList *cands = nice_agent_get_local_candidates(ice->agent, ice->stream, COMPONENT_ID);
        for (GSList *l = cands; l; l = l->next)
            on_new_candidate(ice->agent, l->data, ice);
        g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
        on_gathering_done(ice->agent, ice->stream, ice);
    }
    return 0;
}

/* Splits "candidate:<foundation> <component> <transport> <priority> <address> <port>
 * typ <type> ..." enough to screen it before libnice parses it. */
static int screen_candidate(const char *line, char *addr, size_t addr_len, long *component,
                            bool *udp)
{
    const char *p = line + strlen("candidate:");
    const char *tok[6];
    size_t len[6];
    for (int i = 0; i < 6; i++) {
        while (*p == ' ')
            p++;
        if (!*p) return -1;
        tok[i] = p;
        while (*p && *p != ' ')
            p++;
        len[i] = (size_t)(p - tok[i]);
    }
    if (len[4] == 0 || len[4] >= addr_len) return -1;
    memcpy(addr, tok[4], len[4]);
    addr[len[4]] = '\0';
    char *end;
    *component = strtol(tok[1], &end, 10);
    if (end != tok[1] + len[1]) return -1;
    /* libnice would truncate a port above 65535 to 16 bits. */
    long port = strtol(tok[5], &end, 10);
    if (end != tok[5] + len[5] || port < 1 || port > 65535) return -1;
    *udp = len[2] == 3 && strncasecmp(tok[2], "udp", 3) == 0;
    return 0;
}

int sy_ice_candidate_precheck(const char **candidate, bool remote_creds, unsigned n_remote,
                              const void *who, char *addr, size_t addr_len)
{
    const char *line = *candidate;
    if (!line) return -1;
    if (strncmp(line, "a=", 2) == 0) line += 2;
    size_t n = strnlen(line, MAX_CANDIDATE_LEN + 1);
    if (n > MAX_CANDIDATE_LEN || strncmp(line, "candidate:", 10) != 0) return -1;
    if (!remote_creds) {
        SY_WARN("ice %p: remote candidate before the remote credentials", who);
        return -1;
    }
    long component;
    bool udp;
    if (screen_candidate(line, addr, addr_len, &component, &udp) != 0) return -1;
    size_t alen = strlen(addr);
    /* Ignored: mDNS names (never looked up), TCP (ICE-TCP is off), and an RTCP component
     * (rtcp-mux is mandatory). */
    if (alen > 6 && strcasecmp(addr + alen - 6, ".local") == 0) return 1;
    if (!udp || component != COMPONENT_ID) return 1;
    if (n_remote >= SY_ICE_MAX_REMOTE_CANDIDATES) {
        SY_WARN("ice %p: more than %d remote candidates, ignoring the rest", who,
                SY_ICE_MAX_REMOTE_CANDIDATES);
        return -1;
    }
    *candidate = line;
    return 0;
}

int sy_ice_add_remote_candidate(sy_ice *ice, const char *candidate)
{
    if (ice->lite) return sy_lite_add_remote_candidate(ice->lite, candidate);
    if (ice->dead) return -1;
    char addr[NICE_ADDRESS_STRING_LEN + 64];
    int pre = sy_ice_candidate_precheck(&candidate, ice->remote_creds, ice->n_remote, ice, addr,
                                        sizeof(addr));
    if (pre != 0) return pre;

    char sdp[MAX_CANDIDATE_LEN + 3];
    snprintf(sdp, sizeof(sdp), "a=%s", candidate);
    /* NULL for host names too: libnice only takes numeric addresses here. */
    NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(ice->agent, ice->stream, sdp);
    if (!c) return -1;
    if (!remote_address_allowed(ice, &c->addr)) {
        SY_WARN("ice %p: refused remote candidate address %s (media.allowed_remote_ranges, "
                "media.denied_remote_ranges, reserved ranges)", (void *)ice, addr);
        sy_media_counters_add(SY_MC_CANDIDATES_REFUSED, 1);
        nice_candidate_free(c);
        return -1;
    }
    GSList one = {.data = c, .next = NULL};
    int added = nice_agent_set_remote_candidates(ice->agent, ice->stream, COMPONENT_ID, &one);
    nice_candidate_free(c);
    if (added < 1) return -1;
    ice->n_remote++;
    return 0;
}

void sy_ice_remote_gathering_done(sy_ice *ice)
{
    if (ice->lite) return;
    if (ice->dead) return;
    nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream);
}

int sy_ice_send(sy_ice *ice, const uint8_t *buf, size_t len)
{
    if (ice->lite) return sy_lite_send(ice->lite, buf, len);
    if (ice->dead || ice->state == SY_ICE_FAILED || len == 0 || len > 65535) return -1;
    if (ice->send_fd >= 0) {
        ssize_t n = sendto(ice->send_fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ice->send_to,
                           ice->send_to_len);
        return n < 0 ? -1 : (int)n;
    }
    return nice_agent_send(ice->agent, ice->stream, COMPONENT_ID, (guint)len, (const gchar *)buf);
}

sy_ice_state sy_ice_state_get(const sy_ice *ice)
{
    if (ice->lite) return sy_lite_state(ice->lite);
    return ice->state;
}

static void format_address(const NiceAddress *a, char *out, size_t len)
{
    char ip[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(a, ip);
    if (nice_address_ip_version(a) == 6)
        snprintf(out, len, "[%s]:%u", ip, nice_address_get_port(a));
    else
        snprintf(out, len, "%s:%u", ip, nice_address_get_port(a));
}

int sy_ice_selected_pair(const sy_ice *ice, char *buf, size_t len)
{
    if (ice->lite) return sy_lite_selected_pair(ice->lite, buf, len);
    NiceCandidate *local = NULL, *remote = NULL;
    if (ice->dead || len == 0 ||
        !nice_agent_get_selected_pair(ice->agent, ice->stream, COMPONENT_ID, &local, &remote))
        return -1;
    char l[NICE_ADDRESS_STRING_LEN + 8], r[NICE_ADDRESS_STRING_LEN + 8];
    format_address(&local->addr, l, sizeof(l));
    format_address(&remote->addr, r, sizeof(r));
    int n = snprintf(buf, len, "%s <-> %s", l, r);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}
