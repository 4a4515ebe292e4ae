/* Server offers for subscriber legs, and the line helpers both builders share. */
#include <stdio.h>
#include <string.h>

#include "sdp_build.h"
#include "sdp_internal.h"

sy_sdp *sy_sdp_new_session(uint64_t sess_id, uint64_t sess_version, const char *name)
{
    char o[96];
    sy_sdp *sdp = sy_sdp_new();
    if (!sdp) return NULL;
    snprintf(o, sizeof(o), "- %llu %llu IN IP4 0.0.0.0", (unsigned long long)sess_id,
             (unsigned long long)(sess_version ? sess_version : 1));
    if (sy_sdp_add_line(sdp, &sdp->session, 'v', "0") ||
        sy_sdp_add_line(sdp, &sdp->session, 'o', o) ||
        sy_sdp_add_line(sdp, &sdp->session, 's', name && *name ? name : "-") ||
        sy_sdp_add_line(sdp, &sdp->session, 't', "0 0")) {
        sy_sdp_free(sdp);
        return NULL;
    }
    return sdp;
}

int sy_sdp_media_add_stream(sy_sdp *sdp, sy_sdp_media *m, uint32_t ssrc, uint32_t rtx_ssrc,
                            const char *cname, const char *msid_stream, const char *msid_track)
{
    char msid[2 * SY_SDP_MSID_MAX + 2] = "";
    int rc = 0;
    if (msid_stream) {
        if (strlen(msid_stream) > SY_SDP_MSID_MAX ||
            (msid_track && strlen(msid_track) > SY_SDP_MSID_MAX))
            return SY_SDP_EINVAL;
        snprintf(msid, sizeof(msid), "%s%s%s", msid_stream, msid_track ? " " : "",
                 msid_track ? msid_track : "");
        sy_sdp_msid check;
        if (sy_sdp_msid_parse(msid, &check, NULL, 0)) return SY_SDP_EINVAL;
        rc = sy_sdp_add_attr(sdp, &m->sec, "msid", msid);
    }
    if (!rc && ssrc && rtx_ssrc)
        rc = sy_sdp_add_attrf(sdp, &m->sec, "ssrc-group", "FID %u %u", ssrc, rtx_ssrc);
    uint32_t ssrcs[2] = {ssrc, rtx_ssrc};
    for (int i = 0; i < 2 && !rc; i++) {
        if (!ssrcs[i] || (i == 1 && !ssrc)) continue;
        if (cname) rc = sy_sdp_add_attrf(sdp, &m->sec, "ssrc", "%u cname:%s", ssrcs[i], cname);
        if (!rc && msid[0])
            rc = sy_sdp_add_attrf(sdp, &m->sec, "ssrc", "%u msid:%s", ssrcs[i], msid);
    }
    return rc;
}

int sy_sdp_media_add_codec(sy_sdp *sdp, sy_sdp_media *m, uint8_t pt, sy_codec codec,
                           const char *fmtp)
{
    if (codec == SY_CODEC_UNKNOWN || pt > 127) return SY_SDP_EINVAL;
    uint32_t clock = sy_codec_clock_rate(codec);
    uint8_t ch = sy_codec_channels(codec);
    if (!clock) clock = m->type == SY_SDP_AUDIO ? 48000 : 90000; /* rtx, red, ulpfec */
    if ((codec == SY_CODEC_RTX || codec == SY_CODEC_RED) && m->type == SY_SDP_AUDIO) ch = 2;
    int rc = ch ? sy_sdp_add_attrf(sdp, &m->sec, "rtpmap", "%u %s/%u/%u", pt,
                                   sy_codec_encoding(codec), clock, ch)
                : sy_sdp_add_attrf(sdp, &m->sec, "rtpmap", "%u %s/%u", pt, sy_codec_encoding(codec),
                                   clock);
    if (!rc && fmtp && *fmtp) rc = sy_sdp_add_attrf(sdp, &m->sec, "fmtp", "%u %s", pt, fmtp);
    return rc;
}

static const char *default_fmtp(sy_codec c)
{
    switch (c) {
    case SY_CODEC_OPUS:
        return "minptime=10;useinbandfec=1";
    case SY_CODEC_VP9:
        return "profile-id=0";
    case SY_CODEC_H264:
        return "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";
    default:
        return NULL;
    }
}

static int offer_rtp(sy_sdp *sdp, sy_sdp_media *m, const sy_sdp_offer_media *e, char *err,
                     size_t err_len)
{
    static const char *const video_fb[] = SY_SDP_DEFAULT_RTCP_FB;
    static const char *const audio_fb[] = {"transport-cc"};
    char num[8];
    if (sy_codec_media_type(e->codec) != e->type)
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "mid %s: codec %s is not %s", e->mid,
                           sy_codec_id(e->codec), sy_sdp_media_type_name(e->type));
    if (e->pt > 127 || e->rtx_pt > 127 || (e->rtx_pt && e->rtx_pt == e->pt))
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "mid %s: invalid payload types", e->mid);
    int rc = 0;
    snprintf(num, sizeof(num), "%u", e->pt);
    rc = sy_sdp_media_add_format(sdp, m, num);
    if (!rc && e->rtx_pt && !e->rejected) {
        snprintf(num, sizeof(num), "%u", e->rtx_pt);
        rc = sy_sdp_media_add_format(sdp, m, num);
    }
    if (rc || e->rejected) return rc;
    if (e->type == SY_SDP_VIDEO || e->type == SY_SDP_AUDIO)
        rc = sy_sdp_add_attr(sdp, &m->sec, "rtcp-rsize", NULL);
    for (size_t i = 0; i < e->n_extmaps && !rc; i++) {
        const sy_sdp_extmap_spec *x = &e->extmaps[i];
        if (!x->uri || x->id == 0 || x->id > 255 || strchr(x->uri, ' '))
            return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "mid %s: invalid extmap %zu", e->mid,
                               i);
        rc = sy_sdp_add_attrf(sdp, &m->sec, "extmap", "%u %s", x->id, x->uri);
    }
    if (!rc)
        rc = sy_sdp_media_add_codec(sdp, m, e->pt, e->codec,
                                    e->fmtp ? e->fmtp : default_fmtp(e->codec));
    const char *const *fbs = e->rtcp_fbs               ? e->rtcp_fbs
                             : e->type == SY_SDP_VIDEO ? video_fb
                                                       : audio_fb;
    size_t n_fbs = e->rtcp_fbs ? e->n_rtcp_fbs : e->type == SY_SDP_VIDEO ? 5 : 1;
    for (size_t i = 0; i < n_fbs && !rc; i++)
        rc = sy_sdp_add_attrf(sdp, &m->sec, "rtcp-fb", "%u %s", e->pt, fbs[i]);
    if (!rc && e->rtx_pt) {
        char apt[16];
        snprintf(apt, sizeof(apt), "apt=%u", e->pt);
        rc = sy_sdp_media_add_codec(sdp, m, e->rtx_pt, SY_CODEC_RTX, apt);
    }
    if (!rc && sy_sdp_direction_sends(e->direction) && (e->ssrc || e->msid_stream))
        rc = sy_sdp_media_add_stream(sdp, m, e->ssrc, e->rtx_pt ? e->rtx_ssrc : 0, e->cname,
                                     e->msid_stream, e->msid_track);
    return rc;
}

static int offer_media(sy_sdp *sdp, const sy_sdp_offer_media *e, char *err, size_t err_len)
{
    bool data = e->type == SY_SDP_APPLICATION;
    if (!data && e->type != SY_SDP_AUDIO && e->type != SY_SDP_VIDEO)
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "mid %s: unsupported media type", e->mid);
    sy_sdp_media *m = sy_sdp_add_media(sdp, sy_sdp_media_type_name(e->type), e->rejected ? 0 : 9,
                                       data ? "UDP/DTLS/SCTP" : "UDP/TLS/RTP/SAVPF");
    if (!m) return sy_sdpi_err(err, err_len, SY_SDP_ELIMIT, "too many m-sections");
    int rc = sy_sdp_add_line(sdp, &m->sec, 'c', "IN IP4 0.0.0.0");
    if (!rc) rc = sy_sdp_add_attr(sdp, &m->sec, "mid", e->mid);
    if (data) {
        if (!rc) rc = sy_sdp_media_add_format(sdp, m, "webrtc-datachannel");
        if (!rc && !e->rejected)
            rc = sy_sdp_add_attrf(sdp, &m->sec, "sctp-port", "%u",
                                  e->sctp_port ? e->sctp_port : SY_SDP_DEFAULT_SCTP_PORT);
        if (!rc && !e->rejected)
            rc = sy_sdp_add_attrf(sdp, &m->sec, "max-message-size", "%llu",
                                  (unsigned long long)(e->max_message_size
                                                           ? e->max_message_size
                                                           : SY_SDP_DEFAULT_MAX_MESSAGE_SIZE));
        return rc;
    }
    if (!rc)
        rc = sy_sdp_add_attr(sdp, &m->sec,
                             sy_sdp_direction_name(e->rejected ? SY_SDP_INACTIVE : e->direction),
                             NULL);
    if (rc) return rc;
    return offer_rtp(sdp, m, e, err, err_len);
}

int sy_sdp_generate_offer(const sy_sdp_offer_opts *opts, sy_sdp **offer, char *err, size_t err_len)
{
    *offer = NULL;
    if (err && err_len) err[0] = '\0';
    if (!opts || (opts->n_media && !opts->media))
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "no offer options");
    if (opts->n_media > SY_SDP_MAX_MEDIA)
        return sy_sdpi_err(err, err_len, SY_SDP_ELIMIT, "more than %d m-sections",
                           SY_SDP_MAX_MEDIA);
    for (size_t i = 0; i < opts->n_media; i++) {
        const char *mid = opts->media[i].mid;
        if (sy_sdp_mid_check(mid, NULL, 0))
            return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "m-section %zu: missing or invalid mid",
                               i);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(mid, opts->media[k].mid))
                return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "mid %s used twice", mid);
    }
    sy_sdp *sdp = sy_sdp_new_session(opts->sess_id, opts->sess_version, opts->session_name);
    if (!sdp) return sy_sdpi_err(err, err_len, SY_SDP_ENOMEM, "out of memory");
    int rc = 0;
    if (opts->extmap_allow_mixed)
        rc = sy_sdp_add_attr(sdp, &sdp->session, "extmap-allow-mixed", NULL);
    for (size_t i = 0; i < opts->n_media && !rc; i++) {
        rc = offer_media(sdp, &opts->media[i], err, err_len);
        if (rc && err && !err[0])
            sy_sdpi_err(err, err_len, rc, "m-section %zu: cannot build the lines", i);
    }
    if (rc) {
        if (err && !err[0]) sy_sdpi_err(err, err_len, rc, "cannot build the offer");
        sy_sdp_free(sdp);
        return rc;
    }
    *offer = sdp;
    return 0;
}
