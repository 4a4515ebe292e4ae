/*
 * Switchyard plugin API.
 *
 * A plugin is a shared object in the plugins folder that exports one symbol,
 * SY_PLUGIN_ENTRY_NAME ("switchyard_plugin_create"), of type sy_plugin_create_fn.
 * The core calls it once at start, checks the returned descriptor's api_version
 * against SY_PLUGIN_API_VERSION (an exact match is required) and then calls init().
 *
 * Threads
 *   Control callbacks are called on the core's main loop thread, one at a time:
 *   init, destroy, create_session, handle_message, handle_admin_message,
 *   destroy_session, query_session, hangup_media. A plugin needs no lock for state
 *   that only these callbacks touch. Media callbacks (setup_media, incoming_rtp,
 *   incoming_rtcp) run on the media worker thread that owns the handle's peer
 *   connection; state shared between the two sides needs the plugin's own care
 *   (atomics, or a message to the other thread).
 *   Core functions in sy_core_api may be called from any thread unless marked
 *   otherwise; control calls from other threads are queued to the main loop.
 *
 * Handles
 *   A sy_plugin_handle is the core's object for one attached handle. It stays valid
 *   from create_session() until destroy_session() returns. A plugin that keeps it
 *   beyond that (for example in a queue another thread reads) takes a reference with
 *   core->handle_ref() and drops it with core->handle_unref(); a referenced handle
 *   stays valid memory, but once destroyed every core call on it is a no-op.
 *
 * JSON ownership (jansson references)
 *   Arguments passed to the plugin are borrowed: the plugin must json_incref()
 *   anything it keeps after the callback returns. JSON returned by the plugin (the
 *   content of a sy_plugin_result, handle_admin_message, query_session) is a new
 *   reference that the core takes. JSON passed to core->push_event() is borrowed: the
 *   core copies or references what it needs.
 *
 * Replies
 *   handle_message returns one of:
 *     SY_PLUGIN_OK        synchronous: the core replies {"janus":"success",...,
 *                         "plugindata":{"plugin":package,"data":content}}.
 *     SY_PLUGIN_OK_WAIT   asynchronous: the core replies {"janus":"ack"} (with "hint"
 *                         when text is set); the plugin later calls push_event() with
 *                         the same transaction to deliver the result as an "event".
 *     SY_PLUGIN_ERROR     the core replies error 462 with text as the reason.
 *   Plugin-level errors that the Janus protocol carries inside plugindata (for example
 *   VideoRoom's error_code) are SY_PLUGIN_OK or events whose content says so.
 */
#ifndef SWITCHYARD_PLUGIN_H
#define SWITCHYARD_PLUGIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every incompatible change of sy_plugin or sy_core_api.
 * 2: media (setup_media, incoming_rtp/rtcp, hangup_media; relay_rtp/rtcp, send_pli,
 *    send_remb, close_pc). */
#define SY_PLUGIN_API_VERSION 2
#define SY_PLUGIN_ENTRY_NAME "switchyard_plugin_create"

typedef struct sy_plugin_handle sy_plugin_handle;

/*
 * A decrypted RTP packet, as the media core hands it to plugins and takes it back.
 * data points to the whole RTP packet (header, extensions, payload). The core parsed
 * the header and the negotiated extensions once; the fields below are those values.
 * Incoming packets are valid during the callback only.
 */
typedef struct sy_rtp_packet {
    uint8_t *data;
    size_t len;
    int mindex;         /* m-line index of the peer connection it belongs to */
    bool video;
    uint32_t ssrc;
    uint16_t seq;
    uint32_t timestamp;
    uint8_t pt;
    bool marker;
    int substream;      /* simulcast layer 0 (low) .. 2, or -1 without simulcast */
    int audio_level;    /* ssrc-audio-level in -dBov 0..127, or -1 if absent */
    bool voice_activity;
    bool keyframe;      /* the core recognised the start of a key frame (VP8/VP9/H264/AV1) */
    uint64_t arrival_us; /* monotonic clock */
} sy_rtp_packet;

typedef enum sy_plugin_result_type {
    SY_PLUGIN_ERROR = -1,
    SY_PLUGIN_OK = 0,
    SY_PLUGIN_OK_WAIT = 1,
} sy_plugin_result_type;

typedef struct sy_plugin_result {
    sy_plugin_result_type type;
    /* SY_PLUGIN_ERROR: the reason (required); SY_PLUGIN_OK_WAIT: optional hint.
     * Static or plugin-owned string; copied by the core before the call returns. */
    const char *text;
    /* SY_PLUGIN_OK: the synchronous reply data, a new reference the core takes. */
    json_t *content;
} sy_plugin_result;

/* The functions the core offers to plugins. */
typedef struct sy_core_api {
    /* Sends an event to the client that owns the handle:
     * {"janus":"event","session_id":S,"sender":H,"transaction":T?,
     *  "plugindata":{"plugin":package,"data":data},"jsep":jsep?}.
     * transaction: the request's transaction for asynchronous replies, NULL for
     * unsolicited events. data must be an object; jsep may be NULL. Both borrowed.
     * Returns 0, or a negative value if the handle is gone or the input is invalid.
     * Any thread. */
    int (*push_event)(sy_plugin_handle *handle, const char *transaction, json_t *data,
                      json_t *jsep);

    /* Asks the core to detach the handle (the client then receives "detached").
     * Any thread; the detach happens later on the main loop. */
    void (*end_handle)(sy_plugin_handle *handle);

    /* The plugin's own per-handle state. Set on the main thread (in create_session,
     * before any JSEP); read on any thread, including media callbacks, while the
     * handle exists. */
    void (*set_plugin_data)(sy_plugin_handle *handle, void *data);
    void *(*get_plugin_data)(sy_plugin_handle *handle);

    /* Handle and session IDs as the client sees them. Any thread. */
    uint64_t (*handle_id)(const sy_plugin_handle *handle);
    uint64_t (*session_id)(const sy_plugin_handle *handle);

    /* Reference counting for handles kept beyond destroy_session. Any thread. */
    void (*handle_ref)(sy_plugin_handle *handle);
    void (*handle_unref)(sy_plugin_handle *handle);

    /* True if token is a valid signed token (token_auth_secret) for this plugin's
     * package. False when signed tokens are not configured. Any thread. */
    bool (*auth_signature_valid)(const char *package, const char *token);
    /* True if token is a valid signed token for this package that also lists item
     * (for example a room ID) after the realm. Any thread. */
    bool (*auth_signature_contains)(const char *package, const char *token, const char *item);

    /* A random 53-bit identifier, never 0 (for rooms, participants). Any thread. */
    uint64_t (*random_id)(void);

    /* ---- media (API version 2) ----
     * relay_*, send_pli and send_remb must be called on the media worker that owns the
     * handle's peer connection (inside incoming_* callbacks of any handle on that
     * worker, or setup_media); they never block, allocate or lock per packet. */

    /* Sends a packet to this handle's peer on m-line pkt->mindex. The core copies it,
     * writes its own SSRC for that m-line and the m-line's mid extension, stamps its
     * transport-wide sequence, protects and sends. The plugin sets seq/timestamp/pt
     * in pkt->data if it rewrites them. Returns 0 or negative (no such m-line, not
     * connected). */
    int (*relay_rtp)(sy_plugin_handle *handle, const sy_rtp_packet *pkt);
    /* Sends an RTCP compound packet (plaintext) on m-line mindex; media SSRCs in
     * feedback are rewritten to the peer's SSRCs for that m-line. */
    int (*relay_rtcp)(sy_plugin_handle *handle, int mindex, const uint8_t *buf, size_t len);
    /* Resends a packet this handle's peer NACKed (for a plugin with incoming_nack, which
     * keeps the packets itself): built like relay_rtp from pkt (the plugin's seq, which
     * is the one the peer NACKed, timestamp and pt), sent as RTX on the m-line's repair
     * stream when the peer negotiated RTX, else as it was sent. Not stored, counted as
     * retransmitted. Returns 0 or negative. */
    int (*resend_rtp)(sy_plugin_handle *handle, const sy_rtp_packet *pkt);
    /* Asks this handle's peer for a key frame on m-line mindex (PLI). Coalesced by the
     * core to at most one per second per stream. */
    void (*send_pli)(sy_plugin_handle *handle, int mindex);
    /* Tells this handle's peer the bitrate it may send (REMB), in bits per second. */
    void (*send_remb)(sy_plugin_handle *handle, uint32_t bitrate);
    /* Closes the handle's peer connection (the client gets "hangup" with reason
     * "Close PC"). Any thread. */
    void (*close_pc)(sy_plugin_handle *handle);

    /* ---- media workers: where peer connections live ----
     * A plugin that forwards between handles (VideoRoom) puts all of a room's peer
     * connections on one worker, so that fan-out is a plain loop with no lock. */
    /* Number of media workers (>= 1 once the server runs). Any thread. */
    int (*worker_count)(void);
    /* The worker (0 .. worker_count-1) the handle's peer connection will live on.
     * Call before the handle's first JSEP; later calls fail. Main thread. 0 or -1. */
    int (*set_media_worker)(sy_plugin_handle *handle, int index);
    /* Runs fn(arg) on worker index, after what was posted before. Any thread. Returns
     * 0, or -1 when the worker does not exist or is stopping (fn is not called). */
    int (*run_on_worker)(int index, void (*fn)(void *arg), void *arg);

    /* ---- data channels ----
     * Sends a message on the handle's data channel with this label (NULL: the first
     * channel, or a new "JanusDataChannel"), opening it (DCEP) if it does not exist yet.
     * Returns 0; -1 when there is no SCTP association; -2 when the send buffer is full
     * (back-pressure: retry after data_ready). The core copies buf. Media worker of the
     * handle's peer connection (or any thread: then the message is queued to it). */
    int (*relay_data)(sy_plugin_handle *handle, const char *label, const char *protocol,
                      bool binary, const uint8_t *buf, size_t len);

    /* Runs fn(arg) on the main loop, after what was queued before (e.g. a media
     * callback telling the control side that a publisher is up). Any thread. 0 or -1. */
    int (*run_on_main)(void (*fn)(void *arg), void *arg);
} sy_core_api;

typedef struct sy_plugin {
    int api_version; /* SY_PLUGIN_API_VERSION */
    const char *package;        /* e.g. "janus.plugin.echotest" (what clients attach to) */
    const char *name;           /* human-readable */
    const char *description;
    const char *author;
    const char *version_string; /* e.g. "0.1.0" */
    int version;                /* e.g. 1 */

    /* Called once. config_dir holds <package>.jcfg if the plugin has a file (with
     * "janus." replaced by "switchyard.": switchyard.plugin.echotest.jcfg).
     * Return 0 on success; a negative value disables the plugin. */
    int (*init)(const sy_core_api *core, const char *config_dir);
    /* Called once at shutdown, after every handle was destroyed. */
    void (*destroy)(void);

    /* A client attached: set up per-handle state. Return 0, or negative to refuse
     * (the client gets error 461). */
    int (*create_session)(sy_plugin_handle *handle);
    /* A "message" request. body is an object; jsep is NULL or an object with "type"
     * and "sdp" already validated. transaction is never NULL. */
    sy_plugin_result (*handle_message)(sy_plugin_handle *handle, const char *transaction,
                                       json_t *body, json_t *jsep);
    /* Admin API "message_plugin": returns a new reference (NULL: error 462). Optional. */
    json_t *(*handle_admin_message)(json_t *request);
    /* The handle is going away (detach, session destroyed, timeout, shutdown).
     * After this returns the plugin must not use the handle unless it holds a reference
     * (and even then only to call core functions, which become no-ops). */
    void (*destroy_session)(sy_plugin_handle *handle);
    /* Admin API handle_info: plugin-specific state of a handle, a new reference or
     * NULL. Optional. */
    json_t *(*query_session)(sy_plugin_handle *handle);

    /* ---- media (API version 2; all optional) ---- */
    /* ICE and DTLS are up ("webrtcup" went to the client). Media worker thread. */
    void (*setup_media)(sy_plugin_handle *handle);
    /* A decrypted RTP packet from the peer. Media worker thread. */
    void (*incoming_rtp)(sy_plugin_handle *handle, sy_rtp_packet *pkt);
    /* A decrypted RTCP compound packet from the peer, after the core handled what it
     * owns (reports, NACK retransmissions). Media worker thread. */
    void (*incoming_rtcp)(sy_plugin_handle *handle, int mindex, bool video, const uint8_t *buf,
                          size_t len);
    /* The peer NACKed the sequence numbers seqs[0..n) that we sent on m-line mindex.
     * Optional: a plugin that has it answers NACKs itself (resend_rtp), typically from
     * one history per source shared by all the handles it forwards to; the core then
     * keeps no send history for this plugin's peer connections. Media worker thread. */
    void (*incoming_nack)(sy_plugin_handle *handle, int mindex, const uint16_t *seqs, int n);
    /* The peer connection is gone (hangup, ICE/DTLS failure, consent lost). Main
     * thread; the handle stays attached. */
    void (*hangup_media)(sy_plugin_handle *handle);

    /* ---- data channels (all optional) ----
     * A message from the peer on a data channel: label and protocol as the channel was
     * opened with (DCEP), binary or text. buf is valid during the call. Media worker. */
    void (*incoming_data)(sy_plugin_handle *handle, const char *label, const char *protocol,
                          bool binary, const uint8_t *buf, size_t len);
    /* The data channel path is ready (the SCTP association is up), or the send buffer
     * drained below its low-water mark after relay_data refused for back-pressure.
     * Media worker. */
    void (*data_ready)(sy_plugin_handle *handle);

    /* Losses passed media.slowlink_threshold on m-line mindex (uplink: the peer is
     * losing what we send). The client got a "slowlink" event too. Main thread.
     * Optional. */
    void (*slow_link)(sy_plugin_handle *handle, int mindex, bool video, bool uplink);

    /* Reserved for later API versions. Must be zero. */
    void *reserved[1];
} sy_plugin;

typedef const sy_plugin *(*sy_plugin_create_fn)(void);

#ifdef __cplusplus
}
#endif

#endif
