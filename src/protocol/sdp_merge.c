/* Anonymise (strip ICE/DTLS) and merge (add the core's ICE/DTLS), see sdp_merge.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sdp_internal.h"
#include "sdp_merge.h"

static const char *const transport_attrs[] = {
    "ice-ufrag", "ice-pwd",           "ice-options", "ice-lite",
    "candidate", "end-of-candidates", "fingerprint", "setup",
};
#define N_TRANSPORT (sizeof(transport_attrs) / sizeof(transport_attrs[0]))

bool sy_sdp_is_transport_attr(const char *name)
{
    for (size_t i = 0; name && i < N_TRANSPORT; i++)
        if (strcasecmp(name, transport_attrs[i]) == 0) return true;
    return false;
}

size_t sy_sdp_anonymize(sy_sdp *sdp)
{
    size_t removed = 0;
    if (!sdp) return 0;
    for (size_t i = 0; i < N_TRANSPORT; i++) {
        removed += sy_sdp_remove_attrs(&sdp->session, transport_attrs[i]);
        for (size_t m = 0; m < sdp->n_media; m++)
            removed += sy_sdp_remove_attrs(&sdp->media[m].sec, transport_attrs[i]);
    }
    return removed;
}

/* Removes a=group:BUNDLE lines (other groups stay). */
static void remove_bundle(sy_sdp_section *sec)
{
    for (size_t i = 0; sy_sdp_find_attr(sec, "group", &i) >= 0;) {
        const char *v = sec->lines[i].value;
        if (v && strncmp(v, "BUNDLE", 6) == 0 && (v[6] == '\0' || v[6] == ' '))
            sy_sdp_remove_line(sec, i);
        else
            i++;
    }
}

/* Index of the first 'a' line of sec (where session attributes start), or n_lines. */
static size_t first_attr(const sy_sdp_section *sec)
{
    for (size_t i = 0; i < sec->n_lines; i++)
        if (sec->lines[i].type == 'a') return i;
    return sec->n_lines;
}

static int check_opts(const sy_sdp_merge_opts *o, char *err, size_t err_len)
{
    char reason[128], fp[SY_SDP_FP_MAX + 16];
    sy_sdp_fingerprint f;
    if (sy_sdp_ice_ufrag_check(o->ice_ufrag, reason, sizeof(reason)) ||
        sy_sdp_ice_pwd_check(o->ice_pwd, reason, sizeof(reason)))
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "merge: %s", reason);
    if (!o->fingerprint || strlen(o->fingerprint) > SY_SDP_FP_MAX)
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "merge: missing fingerprint");
    snprintf(fp, sizeof(fp), "sha-256 %s", o->fingerprint);
    if (sy_sdp_fingerprint_parse(fp, &f, reason, sizeof(reason)))
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "merge: %s", reason);
    for (size_t i = 0; i < o->n_candidates; i++) {
        sy_sdp_candidate c;
        if (!o->candidates || sy_sdp_candidate_parse(o->candidates[i], &c, reason, sizeof(reason)))
            return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "merge: candidate %zu: %s", i,
                               o->candidates ? reason : "missing");
    }
    if (o->address && (!*o->address || strlen(o->address) > SY_SDP_ADDR_MAX ||
                       !sy_sdpi_is_address(o->address, strlen(o->address))))
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "merge: invalid address");
    if (o->msid_semantic && strchr(o->msid_semantic, '\n'))
        return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "merge: invalid msid-semantic");
    return 0;
}

/* "IN IP4 <addr>" / "IN IP6 <addr>" */
static void conn_value(char *buf, size_t cap, const char *address)
{
    const char *a = address ? address : "0.0.0.0";
    snprintf(buf, cap, "IN %s %s", strchr(a, ':') ? "IP6" : "IP4", a);
}

static int rewrite_origin(sy_sdp *sdp, const char *address)
{
    long idx = -1;
    for (size_t i = 0; i < sdp->session.n_lines && idx < 0; i++)
        if (sdp->session.lines[i].type == 'o') idx = (long)i;
    sy_sdp_origin o;
    if (idx < 0 || sy_sdp_origin_parse(sdp->session.lines[idx].value, &o, NULL, 0))
        return SY_SDP_EINVAL;
    char conn[SY_SDP_ADDR_MAX + 16], buf[SY_SDP_MAX_LINE_LEN];
    conn_value(conn, sizeof(conn), address);
    snprintf(buf, sizeof(buf), "%s %llu %llu %s", o.username, (unsigned long long)o.sess_id,
             (unsigned long long)o.sess_version, conn);
    return sy_sdp_set_value(sdp, &sdp->session, (size_t)idx, buf);
}

/* Session level: BUNDLE group, ice-lite, msid-semantic, o=. */
static int merge_session(sy_sdp *sdp, const sy_sdp_merge_opts *o, char *err, size_t err_len)
{
    char bundle[SY_SDP_MAX_LINE_LEN];
    size_t len = (size_t)snprintf(bundle, sizeof(bundle), "BUNDLE");
    for (size_t i = 0; i < sdp->n_media; i++) {
        const sy_sdp_media *m = &sdp->media[i];
        if (m->port == 0) continue;
        const char *mid = sy_sdp_attr_value(&m->sec, "mid");
        if (sy_sdp_mid_check(mid, NULL, 0))
            return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "merge: m-section %zu has no valid mid",
                               i);
        len += (size_t)snprintf(bundle + len, sizeof(bundle) - len, " %s", mid);
        if (len >= sizeof(bundle))
            return sy_sdpi_err(err, err_len, SY_SDP_ELIMIT, "merge: too many mids");
    }
    remove_bundle(&sdp->session);
    sy_sdp_remove_attrs(&sdp->session, "msid-semantic");
    size_t pos = first_attr(&sdp->session);
    int rc = sy_sdp_insert_line(sdp, &sdp->session, pos++, 'a', "group", bundle);
    if (!rc && o->ice_lite)
        rc = sy_sdp_insert_line(sdp, &sdp->session, pos++, 'a', "ice-lite", NULL);
    if (!rc)
        rc = sy_sdp_add_attr(sdp, &sdp->session, "msid-semantic",
                             o->msid_semantic ? o->msid_semantic : "WMS *");
    if (!rc && o->address) rc = rewrite_origin(sdp, o->address);
    if (rc) return sy_sdpi_err(err, err_len, rc, "merge: cannot edit the session lines");
    return 0;
}

static int merge_media(sy_sdp *sdp, sy_sdp_media *m, const sy_sdp_merge_opts *o, bool session_has_c)
{
    char conn[SY_SDP_ADDR_MAX + 16];
    int rc = 0;
    /* c= right after any i= line */
    if (o->address || (!session_has_c && !sy_sdp_line_value(&m->sec, 'c'))) {
        sy_sdp_remove_lines(&m->sec, 'c');
        size_t pos = 0;
        while (pos < m->sec.n_lines && m->sec.lines[pos].type == 'i')
            pos++;
        conn_value(conn, sizeof(conn), o->address);
        if ((rc = sy_sdp_insert_line(sdp, &m->sec, pos, 'c', NULL, conn))) return rc;
    }
    /* Rejected: no transport in answers. Offers keep credentials and fingerprint in
     * every section (as Janus does; aiortc refuses an offer section without them), but
     * no candidates. */
    if (m->port == 0 && !o->is_offer) return 0;
    bool rejected = m->port == 0;

    /* ICE and DTLS right after a=mid */
    long mid = sy_sdp_find_attr(&m->sec, "mid", NULL);
    size_t pos = mid >= 0 ? (size_t)mid + 1 : first_attr(&m->sec);
    sy_sdp_setup setup = o->is_offer                            ? SY_SDP_SETUP_ACTPASS
                         : o->answer_setup == SY_SDP_SETUP_NONE ? SY_SDP_SETUP_ACTIVE
                                                                : o->answer_setup;
    char fp[SY_SDP_FP_MAX + 16];
    snprintf(fp, sizeof(fp), "sha-256 %s", o->fingerprint);
    const char *names[] = {"ice-ufrag", "ice-pwd", "ice-options", "fingerprint", "setup"};
    const char *values[] = {o->ice_ufrag, o->ice_pwd, "trickle", fp, sy_sdp_setup_name(setup)};
    for (size_t i = 0; i < 5 && !rc; i++)
        rc = sy_sdp_insert_line(sdp, &m->sec, pos++, 'a', names[i], values[i]);
    if (!rc && sy_sdp_proto_is_rtp(m->proto) && !sy_sdp_has_attr(&m->sec, "rtcp-mux"))
        rc = sy_sdp_insert_line(sdp, &m->sec, pos++, 'a', "rtcp-mux", NULL);
    if (rejected) return rc;
    for (size_t i = 0; i < o->n_candidates && !rc; i++) {
        const char *c = o->candidates[i];
        if (strncasecmp(c, "candidate:", 10) == 0) c += 10;
        rc = sy_sdp_add_attr(sdp, &m->sec, "candidate", c);
    }
    if (!rc && !o->trickle_more) rc = sy_sdp_add_attr(sdp, &m->sec, "end-of-candidates", NULL);
    return rc;
}

int sy_sdp_merge(sy_sdp *sdp, const sy_sdp_merge_opts *o, char *err, size_t err_len)
{
    if (!sdp || !o) return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "merge: no SDP or options");
    int rc = check_opts(o, err, err_len);
    if (rc) return rc;
    sy_sdp_anonymize(sdp);
    if ((rc = merge_session(sdp, o, err, err_len))) return rc;
    bool session_has_c = sy_sdp_line_value(&sdp->session, 'c') != NULL;
    for (size_t i = 0; i < sdp->n_media; i++) {
        if ((rc = merge_media(sdp, &sdp->media[i], o, session_has_c)))
            return sy_sdpi_err(err, err_len, rc,
                               "merge: m-section %zu: cannot add the lines "
                               "(over the limits?)",
                               i);
    }
    return 0;
}
