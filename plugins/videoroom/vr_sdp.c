/*
 * VideoRoom SDP: the answer to a publisher's offer (recvonly, the room's codecs,
 * simulcast mirrored) and the server offer of a subscriber leg (one sendonly m-line per
 * subscribed publisher stream, with that stream's codec and payload type).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/sdp.h"
#include "protocol/sdp_build.h"
#include "protocol/sdp_extract.h"
#include "vr.h"

static const char *const pub_extmaps[] = {
    "urn:ietf:params:rtp-hdrext:sdes:mid",
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
};

static size_t codec_list(const char *names, sy_codec *out, size_t max)
{
    size_t n = 0;
    char *copy = strdup(names ? names : ""), *save = NULL;
    if (!copy) return 0;
    for (char *tok = strtok_r(copy, ", ", &save); tok && n < max; tok = strtok_r(NULL, ", ", &save)) {
        sy_codec c = sy_codec_from_name(tok);
        if (c != SY_CODEC_UNKNOWN) out[n++] = c;
    }
    free(copy);
    return n;
}

bool vr_codec_list_valid(const char *list, bool video)
{
    char *copy = strdup(list), *save = NULL;
    if (!copy) return false;
    bool ok = true;
    int n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        sy_codec c = sy_codec_from_name(tok);
        if (c == SY_CODEC_UNKNOWN || c >= SY_CODEC_RTX ||
            sy_codec_media_type(c) != (video ? SY_SDP_VIDEO : SY_SDP_AUDIO))
            ok = false;
        n++;
    }
    free(copy);
    return ok && n > 0;
}

/* The a=fmtp value of payload type pt in m (without the "<pt> "), into out. */
static void find_fmtp(const sy_sdp_media *m, unsigned pt, char *out, size_t outlen)
{
    out[0] = '\0';
    char prefix[8];
    int pl = snprintf(prefix, sizeof(prefix), "%u ", pt);
    for (size_t i = 0; i < m->sec.n_lines; i++) {
        const sy_sdp_line *l = &m->sec.lines[i];
        if (l->type != 'a' || strcmp(l->name, "fmtp") || !l->value) continue;
        if (strncmp(l->value, prefix, (size_t)pl)) continue;
        snprintf(out, outlen, "%s", l->value + pl);
        return;
    }
}

char *vr_sdp_publisher_answer(const char *offer_text, const char *audiocodecs,
                              const char *videocodecs, vr_pub_stream *streams, int *n_streams,
                              vr_pub_data *data, char *err, size_t errlen)
{
    *n_streams = 0;
    memset(data, 0, sizeof(*data));
    sy_sdp *offer = NULL, *answer = NULL;
    if (sy_sdp_parse(offer_text, strlen(offer_text), &offer, err, errlen) < 0) return NULL;
    if (offer->n_media > VR_MAX_STREAMS) {
        snprintf(err, errlen, "too many m-lines (at most %d)", VR_MAX_STREAMS);
        sy_sdp_free(offer);
        return NULL;
    }
    sy_codec acodecs[8], vcodecs[8];
    sy_sdp_answer_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.extmaps = pub_extmaps;
    opts.n_extmaps = sizeof(pub_extmaps) / sizeof(pub_extmaps[0]);
    opts.audio.direction = SY_SDP_RECVONLY;
    opts.video.direction = SY_SDP_RECVONLY;
    opts.audio.codecs = acodecs;
    opts.audio.n_codecs = codec_list(audiocodecs, acodecs, 8);
    opts.video.codecs = vcodecs;
    opts.video.n_codecs = codec_list(videocodecs, vcodecs, 8);
    opts.audio.no_rtx = true;
    char *text = NULL;
    if (sy_sdp_generate_answer(offer, &opts, &answer, err, errlen) == 0) {
        size_t len = 0;
        text = sy_sdp_write(answer, &len);
    }
    sy_sdp_free(offer);
    if (!text) {
        sy_sdp_free(answer);
        if (!err[0]) snprintf(err, errlen, "cannot write the answer");
        return NULL;
    }
    sy_sdp_info info;
    if (sy_sdp_extract(answer, &info, err, errlen) < 0) {
        sy_sdp_free(answer);
        free(text);
        return NULL;
    }
    for (size_t i = 0; i < info.n_media && *n_streams < VR_MAX_STREAMS; i++) {
        const sy_sdp_media_info *m = &info.media[i];
        if (!m->rejected && m->type == SY_SDP_APPLICATION && !data->present) {
            data->present = true;
            data->mindex = (int)m->index;
            snprintf(data->mid, sizeof(data->mid), "%s", m->mid[0] ? m->mid : "0");
            continue;
        }
        if (m->rejected || (m->type != SY_SDP_AUDIO && m->type != SY_SDP_VIDEO)) continue;
        if (m->direction != SY_SDP_RECVONLY && m->direction != SY_SDP_SENDRECV) continue;
        const sy_sdp_pt_info *c = sy_sdp_media_info_codec(m);
        if (!c) continue;
        vr_pub_stream *s = &streams[(*n_streams)++];
        memset(s, 0, sizeof(*s));
        s->mindex = (int)m->index;
        snprintf(s->mid, sizeof(s->mid), "%s", m->mid[0] ? m->mid : "0");
        s->video = m->type == SY_SDP_VIDEO;
        s->codec = c->codec;
        s->pt = c->pt;
        s->rtx_pt = c->rtx_pt >= 0 ? (uint8_t)c->rtx_pt : 0;
        s->simulcast = s->video && (m->n_rids > 0 || m->has_simulcast);
        if (m->index < answer->n_media)
            find_fmtp(&answer->media[m->index], c->pt, s->fmtp, sizeof(s->fmtp));
    }
    sy_sdp_info_free(&info);
    sy_sdp_free(answer);
    if (*n_streams == 0 && !data->present) {
        snprintf(err, errlen, "no audio, video or data stream could be accepted");
        free(text);
        return NULL;
    }
    return text;
}

char *vr_sdp_subscriber_offer(const vr_sub_stream *streams, int n, uint64_t sess_id,
                              uint64_t sess_version, char *err, size_t errlen)
{
    static const sy_sdp_extmap_spec audio_ext[] = {
        {1, "urn:ietf:params:rtp-hdrext:sdes:mid"},
        {2, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"},
        {3, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"},
    };
    static const sy_sdp_extmap_spec video_ext[] = {
        {1, "urn:ietf:params:rtp-hdrext:sdes:mid"},
        {3, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"},
    };
    sy_sdp_offer_media media[VR_MAX_STREAMS];
    memset(media, 0, sizeof(media));
    for (int i = 0; i < n && i < VR_MAX_STREAMS; i++) {
        const vr_sub_stream *st = &streams[i];
        const vr_sub_stream *ps = st;
        sy_sdp_offer_media *m = &media[i];
        if (st->data) {
            m->type = SY_SDP_APPLICATION;
            m->mid = st->mid;
            m->direction = SY_SDP_SENDRECV;
            continue;
        }
        /* A removed stream keeps its m-line, inactive (not port 0: the core writes no
         * ICE/DTLS attributes into rejected sections, which aiortc refuses; see the
         * report). */
        m->type = st->video ? SY_SDP_VIDEO : SY_SDP_AUDIO;
        m->mid = st->mid;
        m->direction = st->removed ? SY_SDP_INACTIVE : SY_SDP_SENDONLY;
        m->codec = ps->codec;
        m->pt = ps->pt;
        m->fmtp = ps->fmtp[0] ? ps->fmtp : NULL;
        if (st->video) {
            uint8_t rtx = ps->rtx_pt;
            if (!rtx || rtx == ps->pt) rtx = ps->pt < 127 ? (uint8_t)(ps->pt + 1) : 96;
            m->rtx_pt = rtx;
            m->extmaps = video_ext;
            m->n_extmaps = 2;
        } else {
            m->extmaps = audio_ext;
            m->n_extmaps = 3;
        }
    }
    sy_sdp_offer_opts opts = {.sess_id = sess_id, .sess_version = sess_version, .media = media,
                              .n_media = (size_t)n};
    sy_sdp *offer = NULL;
    if (sy_sdp_generate_offer(&opts, &offer, err, errlen) < 0) return NULL;
    size_t len = 0;
    char *text = sy_sdp_write(offer, &len);
    sy_sdp_free(offer);
    if (!text) snprintf(err, errlen, "cannot write the offer");
    return text;
}
