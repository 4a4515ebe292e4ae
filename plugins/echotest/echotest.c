/*
 * janus.plugin.echotest: sends every packet back to where it came from. The first
 * plugin and the model for the others: small, no I/O and no thread of its own.
 *
 * Control (main thread): one unnamed asynchronous request (janus-api.md 3.1) with
 * optional audio, video (booleans), bitrate (REMB cap), substream, temporal, fallback,
 * audiocodec, videocodec, videoprofile, opusred, min_delay, max_delay, and an
 * optional JSEP offer, answered with {"echotest":"event","result":"ok"} and the JSEP
 * answer. Recording (record, filename) is not supported and answered with an error.
 *
 * Media (the handle's media worker): packets and feedback are relayed back unless
 * audio or video is switched off; with simulcast only the chosen substream returns.
 * Data channel messages are echoed on the same channel. Settings cross threads as
 * atomics.
 */
#include <stdatomic.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/sdp.h"
#include "protocol/sdp_build.h"
#include "protocol/rtp.h"
#include "protocol/sdp_codec.h"
#include "protocol/simulcast.h"
#include "switchyard/plugin.h"

#define ECHO_ERROR_NO_MESSAGE 411
#define ECHO_ERROR_INVALID_JSON 412
#define ECHO_ERROR_INVALID_ELEMENT 413
#define ECHO_ERROR_INVALID_SDP 414

static const sy_core_api *core;

typedef struct echo_session {
    atomic_bool audio, video;
    atomic_uint bitrate;   /* 0: no cap */
    atomic_int substream;  /* simulcast layer to echo */
    atomic_int temporal;
    atomic_int fallback_us;
    char videocodec[16];   /* answered video codec, for simulcast events (main thread) */
    /* media worker only: */
    sy_simulcast sim;
    sy_rtp_rewriter video_out;
    int applied_substream, applied_temporal;
    atomic_bool remb_now;   /* bitrate changed: send REMB with the next feedback */
    unsigned rtcp_count;    /* media worker only */
    atomic_bool has_pc;
} echo_session;

static const char *const extmaps[] = {
    "urn:ietf:params:rtp-hdrext:sdes:mid",
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "urn:3gpp:video-orientation",
    "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension",
};

static int echo_init(const sy_core_api *api, const char *config_dir)
{
    core = api;
    return 0;
}

static void echo_destroy(void) {}

static int echo_create_session(sy_plugin_handle *h)
{
    echo_session *s = calloc(1, sizeof(*s));
    if (!s) return -1;
    atomic_init(&s->audio, true);
    atomic_init(&s->video, true);
    atomic_init(&s->substream, 2);
    atomic_init(&s->temporal, 2);
    sy_simulcast_init(&s->sim, 2, 2, 0);
    sy_rtp_rewriter_init(&s->video_out, 90000);
    s->applied_substream = 2;
    s->applied_temporal = 2;
    core->set_plugin_data(h, s);
    return 0;
}

static void echo_destroy_session(sy_plugin_handle *h)
{
    free(core->get_plugin_data(h));
    core->set_plugin_data(h, NULL);
}

static void push_error(sy_plugin_handle *h, const char *tr, int code, const char *text)
{
    json_t *ev = json_pack("{s:s,s:i,s:s}", "echotest", "event", "error_code", code, "error", text);
    core->push_event(h, tr, ev, NULL);
    json_decref(ev);
}

static bool codec_list(const char *names, sy_codec *out, size_t *n)
{
    *n = 0;
    char *copy = strdup(names), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && *n < 8; tok = strtok_r(NULL, ",", &save)) {
        sy_codec c = sy_codec_from_name(tok);
        if (c != SY_CODEC_UNKNOWN) out[(*n)++] = c;
    }
    free(copy);
    return *n > 0;
}

/* Builds the answer to a client's offer. Returns a malloc'd SDP, or NULL with err. */
static char *make_answer(const char *offer_text, const char *audiocodec, const char *videocodec,
                         const char *videoprofile, char *err, size_t errlen)
{
    sy_sdp *offer = NULL, *answer = NULL;
    if (sy_sdp_parse(offer_text, strlen(offer_text), &offer, err, errlen) < 0) return NULL;
    sy_codec acodecs[8], vcodecs[8];
    size_t na = 0, nv = 0;
    sy_sdp_answer_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.extmaps = extmaps;
    opts.n_extmaps = sizeof(extmaps) / sizeof(extmaps[0]);
    opts.audio.direction = SY_SDP_SENDRECV;
    opts.video.direction = SY_SDP_SENDRECV;
    if (audiocodec && codec_list(audiocodec, acodecs, &na)) {
        opts.audio.codecs = acodecs;
        opts.audio.n_codecs = na;
    }
    if (videocodec && codec_list(videocodec, vcodecs, &nv)) {
        opts.video.codecs = vcodecs;
        opts.video.n_codecs = nv;
    }
    if (videoprofile) {
        opts.video.vp9_profile_id = (videocodec && !strcasecmp(videocodec, "vp9")) ? videoprofile : NULL;
        opts.video.h264_profile_level_id =
            (videocodec && !strcasecmp(videocodec, "h264")) ? videoprofile : NULL;
    }
    /* Video keeps rtx: the core answers the peer's NACKs from its send history on our
     * own repair stream, and unwraps the peer's retransmissions. */
    opts.audio.no_rtx = true;
    char *text = NULL;
    if (sy_sdp_generate_answer(offer, &opts, &answer, err, errlen) == 0) {
        size_t len = 0;
        text = sy_sdp_write(answer, &len);
    }
    sy_sdp_free(offer);
    sy_sdp_free(answer);
    return text;
}

static sy_plugin_result echo_handle_message(sy_plugin_handle *h, const char *tr, json_t *body,
                                            json_t *jsep)
{
    sy_plugin_result res = {SY_PLUGIN_OK_WAIT, NULL, NULL};
    echo_session *s = core->get_plugin_data(h);
    if (!s) {
        res.type = SY_PLUGIN_ERROR;
        res.text = "No session associated with this handle";
        return res;
    }
    /* Validate every field first: a request is applied whole or not at all. */
    static const struct {
        const char *name;
        json_type type;
    } fields[] = {
        {"audio", JSON_TRUE},        {"video", JSON_TRUE},         {"bitrate", JSON_INTEGER},
        {"substream", JSON_INTEGER}, {"temporal", JSON_INTEGER},   {"fallback", JSON_INTEGER},
        {"audiocodec", JSON_STRING}, {"videocodec", JSON_STRING},  {"videoprofile", JSON_STRING},
        {"opusred", JSON_TRUE},      {"min_delay", JSON_INTEGER},  {"max_delay", JSON_INTEGER},
        {"record", JSON_TRUE},       {"filename", JSON_STRING},    {"spatial_layer", JSON_INTEGER},
        {"temporal_layer", JSON_INTEGER}, {"svc", JSON_TRUE},
    };
    int known = 0;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        json_t *v = json_object_get(body, fields[i].name);
        if (!v) continue;
        known++;
        bool ok = fields[i].type == JSON_TRUE      ? json_is_boolean(v)
                  : fields[i].type == JSON_INTEGER ? json_is_integer(v) && json_integer_value(v) >= 0
                                                   : json_is_string(v);
        if (!ok) {
            char msg[128];
            snprintf(msg, sizeof(msg), "Invalid element (%s should be %s)", fields[i].name,
                     fields[i].type == JSON_TRUE      ? "a boolean"
                     : fields[i].type == JSON_INTEGER ? "a positive integer"
                                                      : "a string");
            push_error(h, tr, ECHO_ERROR_INVALID_ELEMENT, msg);
            return res;
        }
    }
    if (!known && !jsep) {
        push_error(h, tr, ECHO_ERROR_INVALID_ELEMENT, "Message error: no supported attributes found");
        return res;
    }
    if (json_is_true(json_object_get(body, "record"))) {
        push_error(h, tr, ECHO_ERROR_INVALID_ELEMENT, "Recording is not supported by Switchyard yet");
        return res;
    }
    json_t *v;
    if ((v = json_object_get(body, "audio"))) atomic_store(&s->audio, json_is_true(v));
    if ((v = json_object_get(body, "video"))) atomic_store(&s->video, json_is_true(v));
    /* Clamped before narrowing to int (2^31 must not wrap negative). */
    if ((v = json_object_get(body, "substream")))
        atomic_store(&s->substream, json_integer_value(v) > 2 ? 2 : (int)json_integer_value(v));
    if ((v = json_object_get(body, "temporal")))
        atomic_store(&s->temporal, json_integer_value(v) > 2 ? 2 : (int)json_integer_value(v));
    if ((v = json_object_get(body, "fallback")))
        atomic_store(&s->fallback_us,
                     json_integer_value(v) > INT_MAX ? INT_MAX : (int)json_integer_value(v));
    if ((v = json_object_get(body, "bitrate"))) {
        json_int_t b = json_integer_value(v);
        atomic_store(&s->bitrate, b > UINT32_MAX ? UINT32_MAX : (unsigned)b);
        atomic_store(&s->remb_now, true);
    }
    json_t *answer = NULL;
    if (jsep) {
        const char *type = json_string_value(json_object_get(jsep, "type"));
        if (!type || strcmp(type, "offer") != 0) {
            push_error(h, tr, ECHO_ERROR_INVALID_SDP, "Only offers are accepted");
            return res;
        }
        char err[256] = "";
        char *sdp = make_answer(json_string_value(json_object_get(jsep, "sdp")),
                                json_string_value(json_object_get(body, "audiocodec")),
                                json_string_value(json_object_get(body, "videocodec")),
                                json_string_value(json_object_get(body, "videoprofile")), err,
                                sizeof(err));
        if (!sdp) {
            char msg[300];
            snprintf(msg, sizeof(msg), "Error generating the answer: %s", err);
            push_error(h, tr, ECHO_ERROR_INVALID_SDP, msg);
            return res;
        }
        /* Remember the answered video codec (the first rtpmap of the video m-line). */
        const char *mv = strstr(sdp, "m=video");
        const char *rm = mv ? strstr(mv, "a=rtpmap:") : NULL;
        const char *sp = rm ? strchr(rm, ' ') : NULL;
        if (sp) {
            size_t n = strcspn(sp + 1, "/\r\n");
            if (n >= sizeof(s->videocodec)) n = sizeof(s->videocodec) - 1;
            for (size_t i = 0; i < n; i++) s->videocodec[i] = (char)(sp[1 + i] | 0x20);
            s->videocodec[n] = '\0';
        }
        answer = json_pack("{s:s,s:s}", "type", "answer", "sdp", sdp);
        free(sdp);
    }
    json_t *ev = json_pack("{s:s,s:s}", "echotest", "event", "result", "ok");
    core->push_event(h, tr, ev, answer);
    json_decref(ev);
    json_decref(answer);
    return res;
}

static void echo_setup_media(sy_plugin_handle *h)
{
    echo_session *s = core->get_plugin_data(h);
    if (!s) return;
    atomic_store(&s->has_pc, true);
    unsigned bitrate = atomic_load(&s->bitrate);
    if (bitrate) core->send_remb(h, bitrate);
}

static void echo_incoming_rtp(sy_plugin_handle *h, sy_rtp_packet *pkt)
{
    echo_session *s = core->get_plugin_data(h);
    if (!s) return;
    if (pkt->video ? !atomic_load(&s->video) : !atomic_load(&s->audio)) return;
    if (pkt->substream < 0) {
        core->relay_rtp(h, pkt);
        return;
    }
    /* Simulcast: echo one layer, switching on key frames, as one continuous stream. */
    int target = atomic_load(&s->substream), temporal = atomic_load(&s->temporal);
    if (target != s->applied_substream || temporal != s->applied_temporal) {
        sy_simulcast_set_target(&s->sim, target, temporal);
        s->applied_substream = target;
        s->applied_temporal = temporal;
    }
    int fallback = atomic_load(&s->fallback_us);
    s->sim.fallback_us = fallback > 0 ? (uint64_t)fallback : 250000;
    sy_rtp_header hdr;
    int tid = -1;
    if (sy_rtp_parse(pkt->data, pkt->len, &hdr) == 0)
        tid = sy_vp8_temporal_id(pkt->data + hdr.payload_offset, hdr.payload_len);
    unsigned f = sy_simulcast_process(&s->sim, pkt->substream, pkt->keyframe, tid, pkt->arrival_us);
    if (f & SY_SIMULCAST_NEED_KEYFRAME) core->send_pli(h, pkt->mindex);
    if (f & SY_SIMULCAST_SWITCHED) {
        json_t *ev = json_pack("{s:s,s:s,s:i,s:i}", "echotest", "event", "videocodec", s->videocodec,
                               "substream", s->sim.substream, "temporal", s->sim.temporal);
        core->push_event(h, NULL, ev, NULL);
        json_decref(ev);
    }
    if (!(f & SY_SIMULCAST_FORWARD)) return;
    uint16_t seq;
    uint32_t ts;
    sy_rtp_rewriter_map(&s->video_out, pkt->ssrc, pkt->seq, pkt->timestamp, pkt->arrival_us, &seq, &ts);
    sy_rtp_set_seq(pkt->data, pkt->len, seq);
    sy_rtp_set_timestamp(pkt->data, pkt->len, ts);
    core->relay_rtp(h, pkt);
}

static void echo_incoming_rtcp(sy_plugin_handle *h, int mindex, bool video, const uint8_t *buf,
                               size_t len)
{
    echo_session *s = core->get_plugin_data(h);
    if (!s) return;
    core->relay_rtcp(h, mindex, buf, len);
    /* The cap is repeated every few feedback packets (about once a second). */
    unsigned bitrate = atomic_load(&s->bitrate);
    if (bitrate && (atomic_exchange(&s->remb_now, false) || ++s->rtcp_count % 5 == 0))
        core->send_remb(h, bitrate);
}

/* Data channels: every message goes back on the channel it came on, binary as binary
 * and text as text. A full send buffer drops the message (the echo has no queue). */
static void echo_incoming_data(sy_plugin_handle *h, const char *label, const char *protocol,
                               bool binary, const uint8_t *buf, size_t len)
{
    if (!core->get_plugin_data(h)) return;
    core->relay_data(h, label, protocol, binary, buf, len);
}

static void echo_hangup_media(sy_plugin_handle *h)
{
    echo_session *s = core->get_plugin_data(h);
    if (!s) return;
    atomic_store(&s->has_pc, false);
    json_t *ev = json_pack("{s:s,s:s}", "echotest", "event", "result", "done");
    core->push_event(h, NULL, ev, NULL);
    json_decref(ev);
}

/* The link is losing packets: tell the client, with the cap it asked for (as Janus's
 * EchoTest does); main thread. */
static void echo_slow_link(sy_plugin_handle *h, int mindex, bool video, bool uplink)
{
    echo_session *s = core->get_plugin_data(h);
    if (!s) return;
    json_t *ev = json_pack("{s:s,s:s,s:s}", "echotest", "event", "event", "slow_link", "media",
                           video ? "video" : "audio");
    unsigned bitrate = atomic_load(&s->bitrate);
    if (bitrate) json_object_set_new(ev, "current-bitrate", json_integer(bitrate));
    core->push_event(h, NULL, ev, NULL);
    json_decref(ev);
}

static json_t *echo_query_session(sy_plugin_handle *h)
{
    echo_session *s = core->get_plugin_data(h);
    if (!s) return NULL;
    return json_pack("{s:b,s:b,s:i,s:i}", "audio_active", atomic_load(&s->audio), "video_active",
                     atomic_load(&s->video), "bitrate", (int)atomic_load(&s->bitrate), "substream",
                     atomic_load(&s->substream));
}

static const sy_plugin echotest = {
    .api_version = SY_PLUGIN_API_VERSION,
    .package = "janus.plugin.echotest",
    .name = "EchoTest",
    .description = "Sends your audio, video and feedback back to you",
    .author = "The Switchyard developers",
    .version_string = "0.1.0",
    .version = 100,
    .init = echo_init,
    .destroy = echo_destroy,
    .create_session = echo_create_session,
    .handle_message = echo_handle_message,
    .destroy_session = echo_destroy_session,
    .query_session = echo_query_session,
    .setup_media = echo_setup_media,
    .incoming_rtp = echo_incoming_rtp,
    .incoming_rtcp = echo_incoming_rtcp,
    .hangup_media = echo_hangup_media,
    .slow_link = echo_slow_link,
    .incoming_data = echo_incoming_data,
};

__attribute__((visibility("default"))) const sy_plugin *switchyard_plugin_create(void)
{
    return &echotest;
}
