/*
 * janus.plugin.videoroom: shared declarations.
 *
 * Threads and ownership
 *   Control state (rooms, participants, subscribers, the JSON API) lives on the main
 *   thread: every control callback of the plugin API runs there, so it needs no lock.
 *   Each room has a media worker (round robin at the room's first join); every handle
 *   that joins the room asks the core for that worker before its first JSEP, so the
 *   room's peer connections all live on one worker.
 *   The forwarding state (vr_fwd.c: per publisher stream the list of subscriber
 *   streams with their rewriter, simulcast context and flags) is owned by that worker.
 *   The main thread creates it, then changes it only by posting closures with
 *   core->run_on_worker; the publisher's incoming_rtp walks it with no lock. It is
 *   freed by the last closure on the worker, after which the main thread no longer
 *   holds the pointer.
 */
#ifndef SY_PLUGIN_VIDEOROOM_H
#define SY_PLUGIN_VIDEOROOM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/strid.h"
#include "protocol/sdp_codec.h"
#include "switchyard/plugin.h"

#define VR_MAX_STREAMS 16 /* m-lines per publisher and per subscriber */

#define VR_ERROR_UNKNOWN_ERROR 499
#define VR_ERROR_NO_MESSAGE 421
#define VR_ERROR_INVALID_JSON 422
#define VR_ERROR_INVALID_REQUEST 423
#define VR_ERROR_JOIN_FIRST 424
#define VR_ERROR_ALREADY_JOINED 425
#define VR_ERROR_NO_SUCH_ROOM 426
#define VR_ERROR_ROOM_EXISTS 427
#define VR_ERROR_NO_SUCH_FEED 428
#define VR_ERROR_MISSING_ELEMENT 429
#define VR_ERROR_INVALID_ELEMENT 430
#define VR_ERROR_INVALID_SDP_TYPE 431
#define VR_ERROR_PUBLISHERS_FULL 432
#define VR_ERROR_UNAUTHORIZED 433
#define VR_ERROR_ALREADY_PUBLISHED 434
#define VR_ERROR_NOT_PUBLISHED 435
#define VR_ERROR_ID_EXISTS 436
#define VR_ERROR_INVALID_SDP 437

extern const sy_core_api *vr_core;

typedef struct vr_room vr_room;
typedef struct vr_participant vr_participant;
typedef struct vr_subscriber vr_subscriber;
typedef struct vr_fwd_pub vr_fwd_pub;
typedef struct vr_fwd_subscriber vr_fwd_subscriber;

/* One published m-line, as answered. */
typedef struct vr_pub_stream {
    int mindex;
    char mid[33];
    bool video;
    sy_codec codec;
    uint8_t pt, rtx_pt; /* rtx_pt 0: none */
    char fmtp[128];     /* the answered fmtp of the codec, "" if none */
    bool simulcast;
    bool svc;     /* the publisher's jsep "svc" names it (the worker also detects VP9 SVC) */
    bool muted;   /* moderate: not forwarded */
    bool talking; /* audio: the last talking event said so */
    bool unsent;  /* the publisher's configure {mid, send:false}: not forwarded */
} vr_pub_stream;

/* The publisher's data channel m-line (one at most), as answered. */
typedef struct vr_pub_data {
    bool present;
    int mindex;
    char mid[33];
} vr_pub_data;

struct vr_room {
    vr_room *next;
    uint64_t id;
    char *description, *secret, *pin;
    bool is_private, require_pvtid, notify_joining;
    bool signed_tokens; /* joins need a core-signed token listing room=<id> */
    bool check_allowed; /* publishers must join with a token of allowed */
    json_t *allowed;    /* array of token strings (never NULL) */
    int max_publishers;
    uint32_t bitrate;
    bool bitrate_cap; /* publishers' own bitrate can't exceed the room's */
    int fir_freq;     /* seconds between periodic key frame requests, 0: none */
    bool audiolevel_event;  /* talking / stopped-talking events */
    int audio_active_packets, audio_level_average;
    char audiocodec[64], videocodec[64];
    int worker; /* -1 until the first join */
    vr_participant *participants; /* publisher-type participants (publishing or not) */
    vr_subscriber *subscribers;
};

/* A publisher-type participant. */
struct vr_participant {
    vr_participant *next;
    vr_room *room;
    sy_plugin_handle *handle;
    uint64_t id, private_id;
    char *display;
    json_t *metadata;     /* join/publish/configure "metadata", any JSON; NULL: none */
    json_t *descriptions; /* mid -> description (publish/configure "descriptions") */
    bool published; /* answered a publish offer; forwarding state exists */
    bool active;    /* its peer connection is up (setup_media reached the main thread) */
    uint32_t bitrate; /* its own REMB cap (publish/configure "bitrate"), 0: the room's */
    uint64_t gen;   /* of the current forwarding state: tells stale worker notices apart */
    int n_streams;
    vr_pub_stream streams[VR_MAX_STREAMS];
    vr_pub_data data; /* the answered m=application, if any */
    vr_fwd_pub *fwd; /* worker-owned; the main thread only posts closures with it */
};

/* One m-line of a subscriber's peer connection. */
typedef struct vr_sub_stream {
    int mindex;
    char mid[8];
    uint64_t feed_id; /* 0 once the feed left */
    char feed_mid[33];
    char *feed_display;
    bool video;
    sy_codec codec;
    uint8_t pt, rtx_pt;
    char fmtp[128];
    bool removed; /* unsubscribed or feed gone (autoupdate): the m-line stays, inactive */
    bool send;
    bool simulcast;
    int substream, temporal;
    int fallback_us; /* simulcast: silence of a layer before falling back; 0: 250 ms */
    int spatial_layer, temporal_layer; /* VP9 SVC targets (0..2, default 2) */
    bool data; /* the subscription's one m=application: feed_id 0, fed by data_feeds */
} vr_sub_stream;

struct vr_subscriber {
    vr_subscriber *next;
    vr_room *room;
    sy_plugin_handle *handle;
    bool paused;
    bool autoupdate;    /* renegotiate by itself when a subscribed publisher leaves */
    bool offer_pending; /* an offer went out and its answer has not come back */
    bool need_restart;  /* configure restart:true waits for that answer too */
    bool need_offer;    /* changes wait for that answer (coalesced into one offer) */
    bool pc_gone;       /* hangup: no more offers */
    uint64_t sess_id, sess_version;
    int n_streams;
    vr_sub_stream streams[VR_MAX_STREAMS];
    /* Publishers whose data channel messages this subscription receives (on its one
     * data m-line, created with the first of them). */
    int n_data_feeds;
    uint64_t data_feeds[VR_MAX_STREAMS];
    vr_fwd_subscriber *fwd; /* worker-owned */
};

/* Per handle (core plugin data). The two atomics are what the media callbacks of this
 * handle read on the worker: set on the main thread before the forwarding state is
 * posted, cleared before the closure that frees it. */
typedef struct vr_session {
    sy_plugin_handle *handle;
    vr_participant *pub;
    vr_subscriber *sub;
    _Atomic(vr_fwd_pub *) fwd_pub;
    _Atomic(vr_fwd_subscriber *) fwd_sub;
} vr_session;

/* ---- vr_rooms.c (main thread) ---- */
int vr_rooms_load(const char *config_dir);
void vr_rooms_free(void);
vr_room *vr_room_find(uint64_t id);
int vr_room_worker(vr_room *r);
/* Synchronous requests; returns the reply data, or NULL if request is not one. */
json_t *vr_rooms_handle_sync(const char *request, json_t *body);
/* Implemented in videoroom.c: tears down every participant of a room being destroyed. */
void vr_room_evict_all(vr_room *r);
/* edit changed the room's bitrate or fir_freq: implemented in videoroom.c (applies them
 * to the live publishers). */
void vr_room_media_params_changed(vr_room *r);
/* The REMB cap a publisher gets: its own bitrate (capped by the room's with
 * bitrate_cap), else the room's. */
uint32_t vr_publisher_bitrate(const vr_participant *p);
/* Kick: implemented in videoroom.c. Returns 0 or an error code with text. */
int vr_room_kick(vr_room *r, uint64_t id, char *err, size_t errlen);
json_t *vr_publisher_entry(const vr_participant *p);
bool vr_participant_talking(const vr_participant *p);
/* moderate {room, secret, id, mid, mute}: implemented in videoroom.c (secret checked). */
json_t *vr_room_moderate(vr_room *r, json_t *body);

/* ---- videoroom.c: shared helpers (main thread) ---- */
json_t *vr_check_secret_(const char *secret, json_t *body, const char *field);
void vr_push(sy_plugin_handle *h, const char *tr, json_t *ev, json_t *jsep);
json_t *vr_pub_streams_json(const vr_participant *p);
const char *vr_first_codec(const vr_participant *p, bool video);
vr_participant *vr_find_participant(vr_room *r, uint64_t id);
json_t *vr_room_event(vr_room *r); /* {"videoroom":"event","room":R} */
json_t *vr_sub_streams_json(const vr_subscriber *sub);
/* The subscription's new offer and its "updated" event. */
json_t *vr_sub_offer_event(vr_subscriber *sub, json_t **offer);
void vr_deferred_offer(void *arg); /* run_on_main with a referenced handle */
/* After a renegotiation gave p new streams and a new forwarding state: moves each
 * subscriber stream fed by an old stream to the new stream that continues it (same
 * mid, kind, codec), drops the ones whose stream went away (autoupdate renegotiates),
 * moves the data channel links, and frees the old state. */
void vr_pub_relink(vr_participant *p, vr_fwd_pub *old);
/* Takes a participant out of its room and frees it (its forwarding state is gone). */
void vr_pub_remove(vr_participant *p);

/* ---- publishers (main thread) ---- */
json_t *vr_join_publisher(vr_session *s, vr_room *r, json_t *body, json_t *jsep, json_t **answer);
json_t *vr_joined_event(vr_participant *p);
/* Answers a publish offer: NULL and *answer, or an error event. */
json_t *vr_do_publish(vr_session *s, json_t *body, json_t *jsep, json_t **answer);
json_t *vr_configured_event(vr_participant *p);
void vr_announce_publisher(vr_participant *p);
json_t *vr_pub_extras(vr_participant *p, json_t *body, bool with_streams, bool *changed);
json_t *vr_configure_publisher(vr_participant *p, json_t *body); /* configure without offer */

/* ---- subscribers (main thread) ---- */
json_t *vr_join_subscriber(vr_session *s, vr_room *r, json_t *body, json_t **offer);
json_t *vr_sub_stream_json(const vr_subscriber *sub, const vr_sub_stream *st);
json_t *vr_configure_subscriber(vr_subscriber *sub, json_t *body);
/* subscribe / unsubscribe / update, then the renegotiation. */
json_t *vr_sub_update(vr_subscriber *sub, json_t *add, json_t *del, json_t **offer);
json_t *vr_sub_switch(vr_subscriber *sub, json_t *body);

/* ---- IDs (vr_rooms.c): room and participant IDs are uint64_t inside; on the wire they
 * are integers, or strings with string_ids (plugins/common/strid.h interns them). ---- */
extern sy_strids vr_ids;
/* Reads an ID field (room, id, feed...): 0, or -1 with *error (429 missing, 430 wrong
 * type). *id: its number; 0 when absent or when nothing holds that string. */
int vr_id_field(json_t *body, const char *name, bool required, uint64_t *id, json_t **error);
/* The ID as the wire carries it (a new reference). */
json_t *vr_id_json(uint64_t id);
/* The ID as text for messages: the string, or the number in buf. */
const char *vr_id_text(uint64_t id, char *buf, size_t len);
/* A new room's or participant's ID from the request's (type-checked) value v, NULL or 0
 * for a random one: 0 and *id (a reference is taken: vr_id_release when freed), -1 when
 * exists(ctx, id) says v is taken, -2 out of memory. */
int vr_id_take(json_t *v, bool (*exists)(void *ctx, uint64_t id), void *ctx, uint64_t *id);
void vr_id_release(uint64_t id);

/* ---- helpers (vr_rooms.c) ---- */
json_t *vr_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Checks that a field has the type (JSON_INTEGER means a positive integer, JSON_TRUE
 * a boolean). Returns 0, or fills *error with a 429/430 error object. */
int vr_check_field(json_t *body, const char *name, json_type type, bool required, json_t **error);
bool vr_codec_list_valid(const char *list, bool video);
/* With the room's allowed list on: the join's token must be in it. NULL or a 433 error. */
json_t *vr_check_signed(const vr_room *r, json_t *body);
json_t *vr_check_token(const vr_room *r, json_t *body);
void vr_broadcast(vr_room *r, const vr_participant *except, json_t *ev);

/* ---- vr_sdp.c ---- */
/* Answers a publisher's offer. Returns a malloc'd SDP and fills streams, or NULL with err. */
char *vr_sdp_publisher_answer(const char *offer, const char *audiocodecs, const char *videocodecs,
                              vr_pub_stream *streams, int *n_streams, vr_pub_data *data, char *err,
                              size_t errlen);
/* A subscriber offer with one sendonly m-line per stream (removed ones inactive), and
 * m=application (webrtc-datachannel) for the data stream.
 * malloc'd, or NULL with err. */
char *vr_sdp_subscriber_offer(const vr_sub_stream *streams, int n, uint64_t sess_id,
                              uint64_t sess_version, char *err, size_t errlen);

/* ---- vr_fwd.c ---- */
vr_fwd_pub *vr_fwd_pub_new(sy_plugin_handle *h, const vr_pub_stream *streams, int n,
                           uint32_t bitrate, uint64_t gen, const vr_room *room);
/* A new REMB cap (sent at once; 0: none) and key frame period (seconds, 0: none). */
void vr_fwd_pub_params(int worker, vr_fwd_pub *p, uint32_t bitrate, int fir_freq);
void vr_fwd_pub_mute(int worker, vr_fwd_pub *p, int index, bool muted);
void vr_fwd_pub_gone(int worker, vr_fwd_pub *p); /* unlinks its subscribers, frees */
void vr_fwd_pub_keyframe(int worker, vr_fwd_pub *p);
/* Policing state (main thread, while the main thread holds p): policed now, and the
 * packets policing dropped so far (video, and audio when over the limit alone). */
void vr_fwd_pub_police_stats(vr_fwd_pub *p, bool *policed, uint64_t *drops);
/* NACKed packets a subscriber did not get because it was over its resend budget
 * (any thread). */
uint64_t vr_fwd_sub_rtx_refused(vr_fwd_subscriber *s);
vr_fwd_subscriber *vr_fwd_sub_new(sy_plugin_handle *h, uint64_t room_id);
void vr_fwd_sub_add_stream(vr_fwd_subscriber *s, const vr_sub_stream *st, uint32_t clock_rate,
                           vr_fwd_pub *src, int src_stream);
void vr_fwd_sub_attach(int worker, vr_fwd_subscriber *s);
void vr_fwd_sub_detach(int worker, vr_fwd_subscriber *s); /* unlinks, frees */
void vr_fwd_sub_set_paused(int worker, vr_fwd_subscriber *s, bool paused);
void vr_fwd_sub_set_up(int worker, vr_fwd_subscriber *s, bool up);
void vr_fwd_sub_set_send(int worker, vr_fwd_subscriber *s, int index, bool send);
void vr_fwd_sub_set_layers(int worker, vr_fwd_subscriber *s, int index, int substream, int temporal);
void vr_fwd_sub_set_fallback(int worker, vr_fwd_subscriber *s, int index, int fallback_us);
/* VP9 SVC targets of stream index (-1: unchanged); a higher spatial layer asks for a key
 * frame. */
void vr_fwd_sub_set_svc(int worker, vr_fwd_subscriber *s, int index, int spatial, int temporal);
/* Published stream index is VP9 with layer indices (SVC), as seen by the worker so far
 * (main thread, while it holds p). */
bool vr_fwd_pub_svc(vr_fwd_pub *p, int index);
/* After attach: a new stream at index st->mindex, one removed, one fed by another source. */
void vr_fwd_sub_add(int worker, vr_fwd_subscriber *s, const vr_sub_stream *st, uint32_t clock_rate,
                    vr_fwd_pub *src, int src_stream);
void vr_fwd_sub_remove(int worker, vr_fwd_subscriber *s, int index);
/* Data channel sources: the subscriber receives (or no longer) what this publisher sends. */
void vr_fwd_sub_data_src(vr_fwd_subscriber *s, vr_fwd_pub *src); /* before attach */
void vr_fwd_sub_data_add(int worker, vr_fwd_subscriber *s, vr_fwd_pub *src);
void vr_fwd_sub_data_del(int worker, vr_fwd_subscriber *s, vr_fwd_pub *src);
void vr_fwd_sub_switch(int worker, vr_fwd_subscriber *s, int index, vr_fwd_pub *src, int src_stream,
                       bool simulcast);
/* Worker -> main notices (videoroom.c): the publisher is up; talking changed. */
void vr_notice_active(sy_plugin_handle *h, uint64_t gen);
void vr_notice_talking(sy_plugin_handle *h, uint64_t gen, int mindex, bool talking, double avg);
/* Media worker callbacks. */
void vr_fwd_pub_setup(vr_fwd_pub *p);
void vr_fwd_pub_rtp(vr_fwd_pub *p, sy_rtp_packet *pkt);
void vr_fwd_pub_rtcp(vr_fwd_pub *p);
void vr_fwd_pub_data(vr_fwd_pub *p, const char *label, const char *protocol, bool binary,
                     const uint8_t *buf, size_t len);
void vr_fwd_sub_setup(vr_fwd_subscriber *s);
void vr_fwd_sub_rtcp(vr_fwd_subscriber *s, int mindex, const uint8_t *buf, size_t len);
/* The subscriber NACKed seqs on m-line mindex: answered from the publishers' histories. */
void vr_fwd_sub_nack(vr_fwd_subscriber *s, int mindex, const uint16_t *seqs, int n);

#endif
