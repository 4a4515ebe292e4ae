/* SDP model -> sy_sdp_info, with the checks of sy_sdp_info_check (see sdp_extract.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdp_extract.h"
#include "sdp_internal.h"

/* What the session level gives every m-section that does not say otherwise. */
typedef struct {
    const char *ufrag, *pwd;
    bool trickle, allow_mixed;
    size_t n_fp;
    sy_sdp_fingerprint fp[SY_SDP_MAX_FINGERPRINTS];
    sy_sdp_setup setup;
    uint8_t ext[SY_SDP_EXT_COUNT_];
} session_defaults;

/* Per-section scratch while walking the lines. */
typedef struct {
    const char *fmtp[128]; /* params per payload type */
    bool fb_seen[129][5];  /* [pt or 128 for '*'][nack, pli, fir, remb, twcc] */
    uint32_t ssrcs[32];    /* distinct ssrcs in order of first a=ssrc */
    size_t n_ssrcs;
    sy_sdp_ssrc_pair fid[16];
    size_t n_fid;
    sy_sdp_candidate cand[SY_SDP_MAX_CANDIDATES];
    bool have_msid;
} scratch;

#define MERR(idx, what, reason)                                                                    \
    sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "m-section %zu: %s: %s", (idx), (what), (reason))

static void copy_trunc(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap) n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static bool options_have_trickle(const char *v)
{
    const char *p = v, *end = v + strlen(v), *t;
    size_t n;
    while ((t = sy_sdpi_token(&p, end, &n)))
        if (sy_sdpi_span_eq(t, n, "trickle")) return true;
    return false;
}

/* An extmap line into ext[]: a known URI gets its id; one id used for two URIs is an
 * error. ids[] keeps the extmap value that took each id. */
static int take_extmap(const char *value, uint8_t *ext, const char **ids, char *reason, size_t rlen)
{
    sy_sdp_extmap e, prev;
    if (sy_sdp_extmap_parse(value, &e, reason, rlen)) return -1;
    if (ids[e.id] && sy_sdp_extmap_parse(ids[e.id], &prev, NULL, 0) == 0 &&
        strcmp(prev.uri, e.uri) != 0) {
        sy_sdpi_err(reason, rlen, -1, "extmap id %u used for two extensions", e.id);
        return -1;
    }
    if (!ids[e.id]) ids[e.id] = value;
    sy_sdp_ext k = sy_sdp_ext_from_uri(e.uri);
    if (k != SY_SDP_EXT_UNKNOWN && !ext[k]) ext[k] = (uint8_t)e.id;
    return 0;
}

static int read_session(const sy_sdp *sdp, sy_sdp_info *info, session_defaults *d,
                        sy_sdp_group *bundle, char *err, size_t err_len)
{
    char reason[128];
    const char *ext_ids[256] = {NULL};
    const sy_sdp_section *s = &sdp->session;
    for (size_t i = 0; i < s->n_lines; i++) {
        const sy_sdp_line *l = &s->lines[i];
        if (l->type != 'a') continue;
        const char *n = l->name, *v = l->value ? l->value : "";
        int rc = 0;
        if (!strcasecmp(n, "ice-lite")) {
            info->ice_lite = true;
        } else if (!strcasecmp(n, "ice-ufrag")) {
            rc = sy_sdp_ice_ufrag_check(v, reason, sizeof(reason));
            if (!d->ufrag) d->ufrag = v;
        } else if (!strcasecmp(n, "ice-pwd")) {
            rc = sy_sdp_ice_pwd_check(v, reason, sizeof(reason));
            if (!d->pwd) d->pwd = v;
        } else if (!strcasecmp(n, "ice-options")) {
            d->trickle |= options_have_trickle(v);
        } else if (!strcasecmp(n, "fingerprint")) {
            if (d->n_fp == SY_SDP_MAX_FINGERPRINTS)
                return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "too many fingerprints");
            rc = sy_sdp_fingerprint_parse(v, &d->fp[d->n_fp++], reason, sizeof(reason));
        } else if (!strcasecmp(n, "setup")) {
            rc = sy_sdp_setup_parse(v, &d->setup, reason, sizeof(reason));
        } else if (!strcasecmp(n, "extmap-allow-mixed")) {
            d->allow_mixed = true;
        } else if (!strcasecmp(n, "extmap")) {
            rc = take_extmap(v, d->ext, ext_ids, reason, sizeof(reason));
        } else if (!strcasecmp(n, "group")) {
            sy_sdp_group g;
            rc = sy_sdp_group_parse(v, &g, reason, sizeof(reason));
            if (rc == 0 && strcmp(g.semantics, "BUNDLE") == 0) {
                if (info->has_bundle)
                    return sy_sdpi_err(err, err_len, SY_SDP_EINVAL,
                                       "only one BUNDLE group is supported");
                info->has_bundle = true;
                *bundle = g;
            }
        }
        if (rc) return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "session: %s: %s", n, reason);
    }
    return 0;
}

static sy_sdp_pt_info *find_pt(sy_sdp_media_info *mi, unsigned pt)
{
    for (size_t i = 0; i < mi->n_pts; i++)
        if (mi->pts[i].pt == pt) return &mi->pts[i];
    return NULL;
}

static void add_ssrc(scratch *sc, uint32_t ssrc)
{
    for (size_t i = 0; i < sc->n_ssrcs; i++)
        if (sc->ssrcs[i] == ssrc) return;
    if (sc->n_ssrcs < sizeof(sc->ssrcs) / sizeof(sc->ssrcs[0])) sc->ssrcs[sc->n_ssrcs++] = ssrc;
}

static uint32_t fid_of(const scratch *sc, uint32_t ssrc)
{
    for (size_t i = 0; i < sc->n_fid; i++)
        if (sc->fid[i].ssrc == ssrc) return sc->fid[i].rtx_ssrc;
    return 0;
}

static bool is_rtx_ssrc(const scratch *sc, uint32_t ssrc)
{
    for (size_t i = 0; i < sc->n_fid; i++)
        if (sc->fid[i].rtx_ssrc == ssrc) return true;
    return false;
}

/* One attribute line of a media section. Returns 0, or -1 with reason set. */
static int media_attr(const sy_sdp_line *l, bool rtp, sy_sdp_media_info *mi, scratch *sc,
                      const char **ext_ids, char *reason, size_t rlen)
{
    const char *n = l->name, *v = l->value ? l->value : "";
    if (!rtp && (!strcasecmp(n, "rtpmap") || !strcasecmp(n, "fmtp") || !strcasecmp(n, "rtcp-fb")))
        return 0; /* formats of other protocols are not payload types */
    if (!strcasecmp(n, "mid")) {
        if (mi->mid[0]) return sy_sdpi_err(reason, rlen, -1, "more than one mid");
        if (sy_sdp_mid_check(v, reason, rlen)) return -1;
        strcpy(mi->mid, v);
    } else if (!strcasecmp(n, "rtpmap")) {
        sy_sdp_rtpmap r;
        if (sy_sdp_rtpmap_parse(v, &r, reason, rlen)) return -1;
        sy_sdp_pt_info *p = find_pt(mi, r.pt);
        if (p && !p->encoding[0]) {
            strcpy(p->encoding, r.encoding);
            p->codec = sy_codec_from_name(r.encoding);
            p->clock_rate = r.clock_rate;
            p->channels = r.channels;
        }
    } else if (!strcasecmp(n, "fmtp")) {
        sy_sdp_fmtp f;
        if (sy_sdp_fmtp_parse(v, &f, reason, rlen)) return -1;
        if (!sc->fmtp[f.pt]) sc->fmtp[f.pt] = f.params;
    } else if (!strcasecmp(n, "rtcp-fb")) {
        sy_sdp_rtcp_fb fb;
        if (sy_sdp_rtcp_fb_parse(v, &fb, reason, rlen)) return -1;
        bool *seen = sc->fb_seen[fb.pt < 0 ? 128 : fb.pt];
        if (!strcasecmp(fb.type, "nack") && !fb.subtype[0]) seen[0] = true;
        if (!strcasecmp(fb.type, "nack") && !strcasecmp(fb.subtype, "pli")) seen[1] = true;
        if (!strcasecmp(fb.type, "ccm") && !strcasecmp(fb.subtype, "fir")) seen[2] = true;
        if (!strcasecmp(fb.type, "goog-remb")) seen[3] = true;
        if (!strcasecmp(fb.type, "transport-cc")) seen[4] = true;
    } else if (!strcasecmp(n, "extmap")) {
        return take_extmap(v, mi->ext, ext_ids, reason, rlen);
    } else if (!strcasecmp(n, "extmap-allow-mixed")) {
        mi->extmap_allow_mixed = true;
    } else if (!strcasecmp(n, "rtcp-mux")) {
        mi->rtcp_mux = true;
    } else if (!strcasecmp(n, "rtcp-rsize")) {
        mi->rtcp_rsize = true;
    } else if (!strcasecmp(n, "msid")) {
        sy_sdp_msid m;
        if (sy_sdp_msid_parse(v, &m, reason, rlen)) return -1;
        if (!sc->have_msid) mi->msid = m;
        sc->have_msid = true;
    } else if (!strcasecmp(n, "ssrc")) {
        sy_sdp_ssrc s;
        if (sy_sdp_ssrc_parse(v, &s, reason, rlen)) return -1;
        add_ssrc(sc, s.ssrc);
    } else if (!strcasecmp(n, "ssrc-group")) {
        sy_sdp_ssrc_group g;
        if (sy_sdp_ssrc_group_parse(v, &g, reason, rlen)) return -1;
        if (!strcmp(g.semantics, "FID")) {
            if (g.n != 2) return sy_sdpi_err(reason, rlen, -1, "FID group needs two ssrcs");
            if (sc->n_fid < sizeof(sc->fid) / sizeof(sc->fid[0]))
                sc->fid[sc->n_fid++] = (sy_sdp_ssrc_pair){g.ssrcs[0], g.ssrcs[1]};
        } else if (!strcmp(g.semantics, "SIM")) {
            if (mi->n_sim) return sy_sdpi_err(reason, rlen, -1, "more than one SIM group");
            for (size_t i = 0; i < g.n; i++)
                mi->sim[i].ssrc = g.ssrcs[i];
            mi->n_sim = g.n;
        }
    } else if (!strcasecmp(n, "rid")) {
        sy_sdp_rid r;
        if (sy_sdp_rid_parse(v, &r, reason, rlen)) return -1;
        for (size_t i = 0; i < mi->n_rids; i++)
            if (!strcmp(mi->rids[i].id, r.id)) return sy_sdpi_err(reason, rlen, -1, "rid twice");
        if (mi->n_rids == SY_SDP_MAX_RIDS)
            return sy_sdpi_err(reason, rlen, -1, "more than %d rids", SY_SDP_MAX_RIDS);
        strcpy(mi->rids[mi->n_rids].id, r.id);
        mi->rids[mi->n_rids++].send = r.send;
    } else if (!strcasecmp(n, "simulcast")) {
        if (mi->has_simulcast) return sy_sdpi_err(reason, rlen, -1, "more than one simulcast");
        if (sy_sdp_simulcast_parse(v, &mi->simulcast, reason, rlen)) return -1;
        mi->has_simulcast = true;
    } else if (!strcasecmp(n, "ice-ufrag")) {
        if (sy_sdp_ice_ufrag_check(v, reason, rlen)) return -1;
        if (!mi->ice_ufrag[0]) strcpy(mi->ice_ufrag, v);
    } else if (!strcasecmp(n, "ice-pwd")) {
        if (sy_sdp_ice_pwd_check(v, reason, rlen)) return -1;
        if (!mi->ice_pwd[0]) strcpy(mi->ice_pwd, v);
    } else if (!strcasecmp(n, "ice-options")) {
        mi->ice_trickle |= options_have_trickle(v);
    } else if (!strcasecmp(n, "fingerprint")) {
        if (mi->n_fingerprints == SY_SDP_MAX_FINGERPRINTS)
            return sy_sdpi_err(reason, rlen, -1, "more than %d", SY_SDP_MAX_FINGERPRINTS);
        if (sy_sdp_fingerprint_parse(v, &mi->fingerprints[mi->n_fingerprints], reason, rlen))
            return -1;
        mi->n_fingerprints++;
    } else if (!strcasecmp(n, "setup")) {
        return sy_sdp_setup_parse(v, &mi->setup, reason, rlen) ? -1 : 0;
    } else if (!strcasecmp(n, "candidate")) {
        if (mi->n_candidates == SY_SDP_MAX_CANDIDATES)
            return sy_sdpi_err(reason, rlen, -1, "more than %d", SY_SDP_MAX_CANDIDATES);
        if (sy_sdp_candidate_parse(v, &sc->cand[mi->n_candidates], reason, rlen)) return -1;
        mi->n_candidates++;
    } else if (!strcasecmp(n, "end-of-candidates")) {
        mi->end_of_candidates = true;
    } else if (!strcasecmp(n, "sctp-port")) {
        uint64_t x;
        if (sy_sdp_uint_parse(v, 65535, &x, reason, rlen)) return -1;
        mi->sctp_port = (uint16_t)x;
    } else if (!strcasecmp(n, "max-message-size")) {
        return sy_sdp_uint_parse(v, UINT64_MAX, &mi->max_message_size, reason, rlen) ? -1 : 0;
    } else if (!strcasecmp(n, "sctpmap")) {
        sy_sdp_sctpmap m;
        if (sy_sdp_sctpmap_parse(v, &m, reason, rlen)) return -1;
        if (!mi->sctp_port) mi->sctp_port = m.number;
        mi->legacy_sctpmap = true;
    }
    return 0;
}

/* Codec parameters, rtcp-fb and rtx pairing, once all lines are read. */
static int resolve_pts(sy_sdp_media_info *mi, const scratch *sc, char *reason, size_t rlen)
{
    for (size_t i = 0; i < mi->n_pts; i++) {
        sy_sdp_pt_info *p = &mi->pts[i];
        const char *fmtp = sc->fmtp[p->pt] ? sc->fmtp[p->pt] : "";
        const bool *a = sc->fb_seen[p->pt], *all = sc->fb_seen[128];
        p->nack = a[0] || all[0];
        p->nack_pli = a[1] || all[1];
        p->ccm_fir = a[2] || all[2];
        p->goog_remb = a[3] || all[3];
        p->transport_cc = a[4] || all[4];
        uint32_t x;
        switch (p->codec) {
        case SY_CODEC_RTX:
            if (sy_sdp_fmtp_get_uint(fmtp, "apt", 127, &x) != 1)
                return sy_sdpi_err(reason, rlen, -1, "rtx payload type %u without a valid apt",
                                   p->pt);
            p->apt = (int16_t)x;
            break;
        case SY_CODEC_VP9:
            if (sy_sdp_fmtp_get_uint(fmtp, "profile-id", 3, &x) < 0)
                return sy_sdpi_err(reason, rlen, -1, "invalid VP9 profile-id");
            p->vp9_profile = sy_sdp_fmtp_get_uint(fmtp, "profile-id", 3, &x) == 1 ? (int8_t)x : 0;
            break;
        case SY_CODEC_AV1:
            if (sy_sdp_fmtp_get_uint(fmtp, "profile", 2, &x) < 0)
                return sy_sdpi_err(reason, rlen, -1, "invalid AV1 profile");
            p->av1_profile = sy_sdp_fmtp_get_uint(fmtp, "profile", 2, &x) == 1 ? (int8_t)x : 0;
            break;
        case SY_CODEC_H264: {
            int pm = sy_h264_packetization_mode(fmtp);
            if (pm < 0) return sy_sdpi_err(reason, rlen, -1, "invalid H264 packetization-mode");
            p->h264_packetization_mode = (int8_t)pm;
            p->h264_level_asymmetry =
                sy_sdp_fmtp_get_uint(fmtp, "level-asymmetry-allowed", 1, &x) == 1 && x == 1;
            int r = sy_sdp_fmtp_get(fmtp, "profile-level-id", p->h264_profile_level_id,
                                    sizeof(p->h264_profile_level_id));
            if (r < 0 || (r == 1 && strlen(p->h264_profile_level_id) != 6))
                return sy_sdpi_err(reason, rlen, -1, "invalid H264 profile-level-id");
            if (sy_h264_fmtp_profile(fmtp, &p->h264_profile, &p->h264_level) < 0)
                p->h264_profile = SY_H264_UNKNOWN; /* a profile we do not know, not an error */
            break;
        }
        default:
            break;
        }
    }
    for (size_t i = 0; i < mi->n_pts; i++) {
        const sy_sdp_pt_info *r = &mi->pts[i];
        sy_sdp_pt_info *media = r->codec == SY_CODEC_RTX ? find_pt(mi, (unsigned)r->apt) : NULL;
        if (media && media->rtx_pt < 0) media->rtx_pt = r->pt;
    }
    return 0;
}

/* Primary ssrc, FID partners, SIM layers, cname. */
static void resolve_ssrcs(const sy_sdp_media *m, sy_sdp_media_info *mi, const scratch *sc)
{
    for (size_t i = 0; i < mi->n_sim; i++)
        mi->sim[i].rtx_ssrc = fid_of(sc, mi->sim[i].ssrc);
    if (mi->n_sim)
        mi->ssrc = mi->sim[0].ssrc;
    else if (sc->n_fid)
        mi->ssrc = sc->fid[0].ssrc;
    else
        for (size_t i = 0; i < sc->n_ssrcs && !mi->ssrc; i++)
            if (!is_rtx_ssrc(sc, sc->ssrcs[i])) mi->ssrc = sc->ssrcs[i];
    mi->rtx_ssrc = fid_of(sc, mi->ssrc);
    if (!mi->ssrc) return;
    for (size_t i = 0; sy_sdp_find_attr(&m->sec, "ssrc", &i) >= 0; i++) {
        sy_sdp_ssrc s;
        if (sy_sdp_ssrc_parse(m->sec.lines[i].value, &s, NULL, 0) || s.ssrc != mi->ssrc || !s.value)
            continue;
        if (!strcasecmp(s.attribute, "cname") && !mi->cname[0])
            copy_trunc(mi->cname, sizeof(mi->cname), s.value);
        if (!strcasecmp(s.attribute, "msid") && !sc->have_msid)
            sy_sdp_msid_parse(s.value, &mi->msid, NULL, 0);
    }
}

static int check_simulcast(const sy_sdp_media_info *mi, char *reason, size_t rlen)
{
    for (int dir = 0; dir < 2 && mi->has_simulcast; dir++) {
        const sy_sdp_sim_list *l = dir ? &mi->simulcast.recv : &mi->simulcast.send;
        for (size_t s = 0; s < l->n; s++) {
            for (size_t a = 0; a < l->streams[s].n_alts; a++) {
                const char *rid = l->streams[s].alts[a].rid;
                bool ok = false;
                for (size_t r = 0; r < mi->n_rids; r++)
                    ok |= !strcmp(mi->rids[r].id, rid) && mi->rids[r].send == !dir;
                if (!ok)
                    return sy_sdpi_err(reason, rlen, -1, "rid %s has no a=rid:%s %s", rid, rid,
                                       dir ? "recv" : "send");
            }
        }
    }
    return 0;
}

static int read_media(const sy_sdp *sdp, size_t idx, const session_defaults *d,
                      sy_sdp_media_info *mi, scratch *sc, char *err, size_t err_len)
{
    const sy_sdp_media *m = &sdp->media[idx];
    char reason[160];
    const char *ext_ids[256] = {NULL};
    memset(sc, 0, sizeof(*sc));
    mi->index = idx;
    mi->type = m->type;
    copy_trunc(mi->media, sizeof(mi->media), m->media);
    copy_trunc(mi->proto, sizeof(mi->proto), m->proto);
    mi->port = m->port;
    mi->rejected = m->port == 0;
    if (sy_sdp_media_direction(sdp, m, &mi->direction, reason, sizeof(reason)))
        return MERR(idx, "direction", reason);
    bool rtp = sy_sdp_proto_is_rtp(m->proto);
    if (rtp) {
        for (size_t i = 0; i < m->n_fmts; i++) {
            uint64_t pt = 0;
            sy_sdpi_parse_uint_str(m->fmts[i], 127, &pt); /* the parser checked them */
            sy_sdp_pt_info *p = &mi->pts[mi->n_pts++];
            p->pt = (uint8_t)pt;
            p->codec = sy_codec_from_static_pt((unsigned)pt);
            p->clock_rate = sy_codec_clock_rate(p->codec);
            p->apt = p->rtx_pt = -1;
        }
    } else if (m->type == SY_SDP_APPLICATION && m->n_fmts == 1) {
        uint64_t port;
        if (sy_sdpi_parse_uint_str(m->fmts[0], 65535, &port)) mi->sctp_port = (uint16_t)port;
    }
    for (size_t i = 0; i < m->sec.n_lines; i++) {
        const sy_sdp_line *l = &m->sec.lines[i];
        if (l->type == 'a' && media_attr(l, rtp, mi, sc, ext_ids, reason, sizeof(reason)))
            return MERR(idx, l->name, reason);
    }
    /* static payload types whose rtpmap was absent keep their defaults */
    for (size_t i = 0; i < mi->n_pts; i++) {
        sy_sdp_pt_info *p = &mi->pts[i];
        if (!p->encoding[0] && p->codec != SY_CODEC_UNKNOWN)
            strcpy(p->encoding, sy_codec_encoding(p->codec));
    }
    if (resolve_pts(mi, sc, reason, sizeof(reason))) return MERR(idx, "fmtp", reason);
    if (check_simulcast(mi, reason, sizeof(reason))) return MERR(idx, "simulcast", reason);
    resolve_ssrcs(m, mi, sc);

    /* session-level fallbacks */
    if (!mi->ice_ufrag[0] && d->ufrag) strcpy(mi->ice_ufrag, d->ufrag);
    if (!mi->ice_pwd[0] && d->pwd) strcpy(mi->ice_pwd, d->pwd);
    mi->ice_trickle |= d->trickle;
    mi->extmap_allow_mixed |= d->allow_mixed;
    for (size_t i = 0; i < d->n_fp && mi->n_fingerprints < SY_SDP_MAX_FINGERPRINTS; i++)
        mi->fingerprints[mi->n_fingerprints++] = d->fp[i];
    if (mi->setup == SY_SDP_SETUP_NONE) mi->setup = d->setup;
    for (int k = 1; k < SY_SDP_EXT_COUNT_; k++)
        if (!mi->ext[k] && d->ext[k] && !ext_ids[d->ext[k]]) mi->ext[k] = d->ext[k];

    if (mi->n_candidates) {
        mi->candidates = malloc(mi->n_candidates * sizeof(*mi->candidates));
        if (!mi->candidates) return sy_sdpi_err(err, err_len, SY_SDP_ENOMEM, "out of memory");
        memcpy(mi->candidates, sc->cand, mi->n_candidates * sizeof(*mi->candidates));
    }
    return 0;
}

int sy_sdp_extract(const sy_sdp *sdp, sy_sdp_info *info, char *err, size_t err_len)
{
    memset(info, 0, sizeof(*info));
    info->bundle_tag = -1;
    if (!sdp) return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "no SDP");
    session_defaults d;
    memset(&d, 0, sizeof(d));
    sy_sdp_group *bundle = malloc(sizeof(*bundle));
    scratch *sc = malloc(sizeof(*sc));
    int rc = SY_SDP_ENOMEM;
    if (!bundle || !sc) {
        sy_sdpi_err(err, err_len, rc, "out of memory");
        goto out;
    }
    bundle->n_ids = 0;
    if ((rc = read_session(sdp, info, &d, bundle, err, err_len))) goto out;
    if (sdp->n_media) {
        info->media = calloc(sdp->n_media, sizeof(*info->media));
        if (!info->media) {
            rc = sy_sdpi_err(err, err_len, SY_SDP_ENOMEM, "out of memory");
            goto out;
        }
    }
    info->n_media = sdp->n_media;
    for (size_t i = 0; i < sdp->n_media; i++) {
        if ((rc = read_media(sdp, i, &d, &info->media[i], sc, err, err_len))) goto out;
        for (size_t k = 0; k < i; k++) {
            if (info->media[i].mid[0] && !strcmp(info->media[i].mid, info->media[k].mid)) {
                rc = sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "m-section %zu: mid %s used twice", i,
                                 info->media[i].mid);
                goto out;
            }
        }
    }
    for (size_t g = 0; g < bundle->n_ids; g++) {
        long found = -1;
        for (size_t i = 0; i < info->n_media && found < 0; i++)
            if (sy_sdpi_span_eq(bundle->ids[g].p, bundle->ids[g].n, info->media[i].mid))
                found = (long)i;
        if (found < 0) {
            rc = sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "BUNDLE group lists an unknown mid");
            goto out;
        }
        info->media[found].bundled = true;
        if (info->bundle_tag < 0) info->bundle_tag = found;
    }
    rc = 0;
out:
    free(bundle);
    free(sc);
    if (rc) sy_sdp_info_free(info);
    return rc;
}

void sy_sdp_info_free(sy_sdp_info *info)
{
    if (!info) return;
    for (size_t i = 0; i < info->n_media; i++)
        free(info->media[i].candidates);
    free(info->media);
    memset(info, 0, sizeof(*info));
    info->bundle_tag = -1;
}

int sy_sdp_info_check(const sy_sdp_info *info, bool is_offer, char *err, size_t err_len)
{
    const sy_sdp_media_info *tag = NULL;
    size_t accepted = 0;
    for (size_t i = 0; i < info->n_media; i++) {
        const sy_sdp_media_info *m = &info->media[i];
        if (m->rejected) continue;
        accepted++;
        if (!m->mid[0])
            return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "m-section %zu: missing mid", i);
        if (!m->bundled)
            return sy_sdpi_err(err, err_len, SY_SDP_EINVAL,
                               "m-section %zu: not in the BUNDLE group", i);
        bool rtp = strstr(m->proto, "RTP/SAVPF") != NULL;
        if (!rtp && !strstr(m->proto, "DTLS/SCTP"))
            return sy_sdpi_err(err, err_len, SY_SDP_EINVAL,
                               "m-section %zu: protocol %s is not DTLS-SRTP or DTLS/SCTP", i,
                               m->proto);
        if (rtp && !m->rtcp_mux)
            return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "m-section %zu: rtcp-mux is required",
                               i);
    }
    if (accepted == 0) return 0; /* everything rejected: nothing to connect */
    if (info->bundle_tag < 0 || info->media[info->bundle_tag].rejected)
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "the BUNDLE tag m-section is rejected");
    tag = &info->media[info->bundle_tag];
    if (!tag->ice_ufrag[0] || !tag->ice_pwd[0])
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "missing ice-ufrag or ice-pwd");
    bool usable = false;
    for (size_t i = 0; i < tag->n_fingerprints; i++)
        usable |= sy_sdp_fingerprint_strength(tag->fingerprints[i].hash) > 0;
    if (!usable)
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "missing a usable DTLS fingerprint");
    sy_sdp_setup s = tag->setup;
    bool ok = is_offer ? (s == SY_SDP_SETUP_ACTPASS || s == SY_SDP_SETUP_ACTIVE ||
                          s == SY_SDP_SETUP_PASSIVE)
                       : (s == SY_SDP_SETUP_ACTIVE || s == SY_SDP_SETUP_PASSIVE);
    if (!ok)
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "a=setup:%s is not valid in an %s",
                           s == SY_SDP_SETUP_NONE ? "(missing)" : sy_sdp_setup_name(s),
                           is_offer ? "offer" : "answer");
    return 0;
}

const sy_sdp_pt_info *sy_sdp_media_info_pt(const sy_sdp_media_info *m, unsigned pt)
{
    for (size_t i = 0; m && i < m->n_pts; i++)
        if (m->pts[i].pt == pt) return &m->pts[i];
    return NULL;
}

const sy_sdp_pt_info *sy_sdp_media_info_codec(const sy_sdp_media_info *m)
{
    for (size_t i = 0; m && i < m->n_pts; i++) {
        sy_codec c = m->pts[i].codec;
        if (c != SY_CODEC_RTX && c != SY_CODEC_RED && c != SY_CODEC_ULPFEC) return &m->pts[i];
    }
    return NULL;
}
