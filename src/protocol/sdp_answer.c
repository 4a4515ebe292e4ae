/* Answers to client offers for plugins, as janus_sdp_generate_answer (see sdp_build.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sdp_build.h"
#include "sdp_extract.h"
#include "sdp_internal.h"

static const sy_codec default_audio[] = {SY_CODEC_OPUS};
static const sy_codec default_video[] = {SY_CODEC_VP8, SY_CODEC_VP9, SY_CODEC_H264, SY_CODEC_AV1};
static const char *const default_fbs[] = SY_SDP_DEFAULT_RTCP_FB;

typedef struct {
    sy_sdp *answer;
    const sy_sdp *offer;
    const sy_sdp_answer_opts *opts;
    char *err;
    size_t err_len;
} builder;

static bool codec_fits(const sy_sdp_pt_info *p, sy_codec want, const sy_sdp_answer_media *c)
{
    if (p->codec != want) return false;
    if (want == SY_CODEC_H264) {
        if (p->h264_packetization_mode != 1) return false;
        if (c->h264_profile_level_id) {
            sy_h264_profile wp;
            uint8_t wl;
            if (sy_h264_profile_parse(c->h264_profile_level_id, &wp, &wl) || p->h264_profile != wp)
                return false;
        }
    }
    if (want == SY_CODEC_VP9 && c->vp9_profile_id) {
        uint64_t v;
        if (!sy_sdpi_parse_uint_str(c->vp9_profile_id, 3, &v) || p->vp9_profile != (int)v)
            return false;
    }
    return true;
}

/* The offered payload type to answer, or NULL. */
static const sy_sdp_pt_info *choose_codec(const sy_sdp_media_info *mi, const sy_sdp_answer_media *c)
{
    const sy_codec *list = c->codecs;
    size_t n = c->n_codecs;
    if (!list || !n) {
        bool audio = mi->type == SY_SDP_AUDIO;
        list = audio ? default_audio : default_video;
        n = audio ? 1 : sizeof(default_video) / sizeof(default_video[0]);
    }
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < mi->n_pts; i++)
            if (codec_fits(&mi->pts[i], list[k], c)) return &mi->pts[i];
    return NULL;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s && list && i < n; i++)
        if (list[i] && strcasecmp(s, list[i]) == 0) return true;
    return false;
}

/* Value of the first "a=<name>:<pt> ..." in sec, or NULL. */
static const char *pt_attr(const sy_sdp_section *sec, const char *name, unsigned pt)
{
    for (size_t i = 0; sy_sdp_find_attr(sec, name, &i) >= 0; i++) {
        const char *v = sec->lines[i].value;
        uint64_t x;
        size_t n = v ? strcspn(v, " \t") : 0;
        if (v && sy_sdpi_parse_uint(v, n, 127, &x) && x == pt) return v;
    }
    return NULL;
}

static sy_sdp_media *start_media(builder *b, const sy_sdp_media *om, uint16_t port)
{
    sy_sdp_media *m = sy_sdp_add_media(b->answer, om->media, port, om->proto);
    if (!m) return NULL;
    const char *mid = sy_sdp_attr_value(&om->sec, "mid");
    if (sy_sdp_add_line(b->answer, &m->sec, 'c', "IN IP4 0.0.0.0") ||
        (mid && sy_sdp_add_attr(b->answer, &m->sec, "mid", mid)))
        return NULL;
    return m;
}

static int reject(builder *b, const sy_sdp_media *om)
{
    sy_sdp_media *m = start_media(b, om, 0);
    if (!m || sy_sdp_media_add_format(b->answer, m, om->fmts[0])) return SY_SDP_ELIMIT;
    if (om->type == SY_SDP_AUDIO || om->type == SY_SDP_VIDEO)
        return sy_sdp_add_attr(b->answer, &m->sec, "inactive", NULL);
    return 0;
}

static int answer_data(builder *b, const sy_sdp_media *om, const sy_sdp_media_info *mi)
{
    const sy_sdp_answer_opts *o = b->opts;
    unsigned port = o->sctp_port ? o->sctp_port : SY_SDP_DEFAULT_SCTP_PORT;
    sy_sdp_media *m = start_media(b, om, 9);
    if (!m) return SY_SDP_ELIMIT;
    int rc;
    if (mi->legacy_sctpmap) {
        char fmt[8];
        snprintf(fmt, sizeof(fmt), "%u", port);
        rc = sy_sdp_media_add_format(b->answer, m, fmt);
        if (!rc)
            rc = sy_sdp_add_attrf(b->answer, &m->sec, "sctpmap", "%u webrtc-datachannel 16", port);
    } else {
        rc = sy_sdp_media_add_format(b->answer, m, "webrtc-datachannel");
        if (!rc) rc = sy_sdp_add_attrf(b->answer, &m->sec, "sctp-port", "%u", port);
    }
    if (!rc)
        rc = sy_sdp_add_attrf(b->answer, &m->sec, "max-message-size", "%llu",
                              (unsigned long long)(o->max_message_size
                                                       ? o->max_message_size
                                                       : SY_SDP_DEFAULT_MAX_MESSAGE_SIZE));
    return rc;
}

/* The offered extmaps whose URI is accepted, ids kept, directions mirrored. */
static int answer_extmaps(builder *b, const sy_sdp_media *om, sy_sdp_media *m, bool *twcc,
                          bool *rid)
{
    int rc = 0;
    for (size_t i = 0; !rc && sy_sdp_find_attr(&om->sec, "extmap", &i) >= 0; i++) {
        sy_sdp_extmap e;
        if (sy_sdp_extmap_parse(om->sec.lines[i].value, &e, NULL, 0) ||
            !in_list(e.uri, b->opts->extmaps, b->opts->n_extmaps))
            continue;
        char id[24];
        if (e.has_direction)
            snprintf(id, sizeof(id), "%u/%s", e.id,
                     sy_sdp_direction_name(sy_sdp_direction_reverse(e.direction)));
        else
            snprintf(id, sizeof(id), "%u", e.id);
        rc = sy_sdp_add_attrf(b->answer, &m->sec, "extmap", "%s %s%s%s", id, e.uri,
                              e.attributes ? " " : "", e.attributes ? e.attributes : "");
        *twcc |= sy_sdp_ext_from_uri(e.uri) == SY_SDP_EXT_TRANSPORT_CC;
        *rid |= sy_sdp_ext_from_uri(e.uri) == SY_SDP_EXT_RID;
    }
    return rc;
}

/* rtcp-fb lines offered for pt or '*' and allowed, rewritten for pt, without repeats. */
static int answer_rtcp_fb(builder *b, const sy_sdp_media *om, sy_sdp_media *m, unsigned pt,
                          bool twcc)
{
    const char *const *allowed = b->opts->rtcp_fbs ? b->opts->rtcp_fbs : default_fbs;
    size_t n_allowed = b->opts->rtcp_fbs ? b->opts->n_rtcp_fbs : 5;
    char done[16][2 * SY_SDP_TOKEN_MAX + 2];
    size_t n_done = 0;
    int rc = 0;
    for (size_t i = 0; !rc && sy_sdp_find_attr(&om->sec, "rtcp-fb", &i) >= 0; i++) {
        sy_sdp_rtcp_fb fb;
        char kind[2 * SY_SDP_TOKEN_MAX + 2];
        if (sy_sdp_rtcp_fb_parse(om->sec.lines[i].value, &fb, NULL, 0) ||
            (fb.pt >= 0 && (unsigned)fb.pt != pt))
            continue;
        snprintf(kind, sizeof(kind), "%s%s%s", fb.type, fb.subtype[0] ? " " : "", fb.subtype);
        if (!in_list(kind, allowed, n_allowed)) continue;
        if (!strcasecmp(fb.type, "transport-cc") && !twcc) continue;
        bool dup = false;
        for (size_t k = 0; k < n_done; k++)
            dup |= !strcasecmp(done[k], kind);
        if (dup || n_done == 16) continue;
        strcpy(done[n_done++], kind);
        rc = sy_sdp_add_attrf(b->answer, &m->sec, "rtcp-fb", "%u %s", pt, kind);
    }
    return rc;
}

/* Mirrors the offered simulcast: its send list becomes our recv list and back. */
static int answer_simulcast(builder *b, const sy_sdp_media_info *mi, sy_sdp_media *m, bool send,
                            bool recv)
{
    char value[SY_SDP_MAX_LINE_LEN];
    size_t len = 0;
    int rc = 0;
    for (int dir = 0; dir < 2 && !rc; dir++) {
        /* dir 0: offer send -> answer recv; dir 1: offer recv -> answer send */
        const sy_sdp_sim_list *l = dir == 0 ? &mi->simulcast.send : &mi->simulcast.recv;
        if (!l->n || !(dir == 0 ? recv : send)) continue;
        if (len + 8 >= sizeof(value)) return SY_SDP_ELIMIT;
        len += (size_t)snprintf(value + len, sizeof(value) - len, "%s%s ", len ? " " : "",
                                dir == 0 ? "recv" : "send");
        for (size_t s = 0; s < l->n && len < sizeof(value); s++) {
            for (size_t a = 0; a < l->streams[s].n_alts && len < sizeof(value); a++) {
                const sy_sdp_sim_alt *alt = &l->streams[s].alts[a];
                len += (size_t)snprintf(value + len, sizeof(value) - len, "%s%s%s",
                                        a ? "," : (s ? ";" : ""), alt->paused ? "~" : "", alt->rid);
                if (!rc)
                    rc = sy_sdp_add_attrf(b->answer, &m->sec, "rid", "%s %s", alt->rid,
                                          dir == 0 ? "recv" : "send");
            }
        }
    }
    if (len >= sizeof(value)) return SY_SDP_ELIMIT;
    if (!rc && len) rc = sy_sdp_add_attr(b->answer, &m->sec, "simulcast", value);
    return rc;
}

static int answer_rtp(builder *b, const sy_sdp_media *om, const sy_sdp_media_info *mi,
                      const sy_sdp_answer_media *c)
{
    const sy_sdp_pt_info *p = choose_codec(mi, c);
    if (!p) return reject(b, om);
    int rtx = (!c->no_rtx && p->rtx_pt >= 0) ? p->rtx_pt : -1;
    bool send = sy_sdp_direction_sends(c->direction) && sy_sdp_direction_receives(mi->direction);
    bool recv = sy_sdp_direction_receives(c->direction) && sy_sdp_direction_sends(mi->direction);
    sy_sdp *a = b->answer;
    sy_sdp_media *m = start_media(b, om, 9);
    if (!m) return SY_SDP_ELIMIT;
    char num[8];
    snprintf(num, sizeof(num), "%u", p->pt);
    int rc = sy_sdp_media_add_format(a, m, num);
    if (!rc && rtx >= 0) {
        snprintf(num, sizeof(num), "%d", rtx);
        rc = sy_sdp_media_add_format(a, m, num);
    }
    if (!rc)
        rc = sy_sdp_add_attr(a, &m->sec, sy_sdp_direction_name(sy_sdp_direction_make(send, recv)),
                             NULL);
    if (!rc && mi->rtcp_rsize) rc = sy_sdp_add_attr(a, &m->sec, "rtcp-rsize", NULL);
    if (!rc && sy_sdp_has_attr(&om->sec, "extmap-allow-mixed"))
        rc = sy_sdp_add_attr(a, &m->sec, "extmap-allow-mixed", NULL);
    bool twcc = false, rid = false;
    if (!rc) rc = answer_extmaps(b, om, m, &twcc, &rid);

    /* the codec: the offer's rtpmap (or the static default), fmtp, rtcp-fb */
    const char *rtpmap = pt_attr(&om->sec, "rtpmap", p->pt);
    const char *fmtp = pt_attr(&om->sec, "fmtp", p->pt);
    if (!rc && rtpmap) rc = sy_sdp_add_attr(a, &m->sec, "rtpmap", rtpmap);
    if (!rc && !rtpmap) rc = sy_sdp_media_add_codec(a, m, p->pt, p->codec, NULL);
    if (!rc && c->fmtp && *c->fmtp)
        rc = sy_sdp_add_attrf(a, &m->sec, "fmtp", "%u %s", p->pt, c->fmtp);
    if (!rc && !c->fmtp && fmtp) rc = sy_sdp_add_attr(a, &m->sec, "fmtp", fmtp);
    if (!rc) rc = answer_rtcp_fb(b, om, m, p->pt, twcc);
    if (!rc && rtx >= 0) {
        const char *rtx_map = pt_attr(&om->sec, "rtpmap", (unsigned)rtx);
        const char *rtx_fmtp = pt_attr(&om->sec, "fmtp", (unsigned)rtx);
        char apt[16];
        snprintf(apt, sizeof(apt), "apt=%u", p->pt);
        rc = rtx_map ? sy_sdp_add_attr(a, &m->sec, "rtpmap", rtx_map)
                     : sy_sdp_media_add_codec(a, m, (uint8_t)rtx, SY_CODEC_RTX, NULL);
        if (!rc)
            rc = rtx_fmtp ? sy_sdp_add_attr(a, &m->sec, "fmtp", rtx_fmtp)
                          : sy_sdp_add_attrf(a, &m->sec, "fmtp", "%d %s", rtx, apt);
    }
    if (!rc && mi->type == SY_SDP_VIDEO && !c->no_simulcast && mi->has_simulcast && rid)
        rc = answer_simulcast(b, mi, m, send, recv);
    if (!rc && send && c->ssrc)
        rc = sy_sdp_media_add_stream(a, m, c->ssrc, rtx >= 0 ? c->rtx_ssrc : 0, c->cname,
                                     c->msid_stream, c->msid_track);
    return rc;
}

/* The choice for m-section i before the plugin's callback. */
static sy_sdp_answer_media default_choice(const builder *b, const sy_sdp_media *om)
{
    sy_sdp_answer_media c = {.reject = true};
    bool srtp = strstr(om->proto, "RTP/SAVP") != NULL;
    if (om->port == 0) return c;
    if (om->type == SY_SDP_AUDIO && srtp) c = b->opts->audio;
    if (om->type == SY_SDP_VIDEO && srtp) c = b->opts->video;
    if (om->type == SY_SDP_APPLICATION && strstr(om->proto, "DTLS/SCTP"))
        c.reject = b->opts->reject_data;
    return c;
}

int sy_sdp_generate_answer(const sy_sdp *offer, const sy_sdp_answer_opts *opts, sy_sdp **answer,
                           char *err, size_t err_len)
{
    static const sy_sdp_answer_opts no_opts;
    sy_sdp_info info;
    sy_sdp_origin origin;
    *answer = NULL;
    if (!opts) opts = &no_opts;
    if (!offer) return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "no offer");
    int rc = sy_sdp_extract(offer, &info, err, err_len);
    if (rc) return rc;
    const char *o = sy_sdp_line_value(&offer->session, 'o');
    uint64_t sess_id = opts->sess_id;
    if (!sess_id && o && sy_sdp_origin_parse(o, &origin, NULL, 0) == 0) sess_id = origin.sess_id;
    builder b = {.offer = offer, .opts = opts, .err = err, .err_len = err_len};
    b.answer = sy_sdp_new_session(sess_id, opts->sess_version, opts->session_name);
    if (!b.answer) {
        sy_sdp_info_free(&info);
        return sy_sdpi_err(err, err_len, SY_SDP_ENOMEM, "out of memory");
    }
    if (sy_sdp_has_attr(&offer->session, "extmap-allow-mixed"))
        rc = sy_sdp_add_attr(b.answer, &b.answer->session, "extmap-allow-mixed", NULL);
    for (size_t i = 0; i < offer->n_media && !rc; i++) {
        const sy_sdp_media *om = &offer->media[i];
        sy_sdp_answer_media c = default_choice(&b, om);
        if (opts->choose) opts->choose(opts->opaque, offer, i, &c);
        /* only what WebRTC can carry: DTLS-SRTP media, SCTP over DTLS */
        bool media_ok = om->port != 0 &&
                        ((om->type == SY_SDP_AUDIO || om->type == SY_SDP_VIDEO)
                             ? strstr(om->proto, "RTP/SAVP") != NULL
                             : om->type == SY_SDP_APPLICATION && strstr(om->proto, "DTLS/SCTP"));
        if (c.reject || !media_ok)
            rc = reject(&b, om);
        else if (om->type == SY_SDP_APPLICATION)
            rc = answer_data(&b, om, &info.media[i]);
        else
            rc = answer_rtp(&b, om, &info.media[i], &c);
        if (rc) sy_sdpi_err(err, err_len, rc, "m-section %zu: cannot build the answer lines", i);
    }
    sy_sdp_info_free(&info);
    if (rc) {
        sy_sdp_free(b.answer);
        return rc;
    }
    *answer = b.answer;
    return 0;
}
