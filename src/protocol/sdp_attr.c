/*
 * Typed accessors for the media-description lines: direction, c=, o=, rtpmap, fmtp,
 * rtcp-fb, extmap, msid, ssrc, ssrc-group, group, mid, sctpmap, numbers. ICE and DTLS
 * lines are in sdp_attr_ice.c, rid and simulcast in sdp_simulcast.c.
 */
#include <string.h>
#include <strings.h>

#include "sdp_attr.h"
#include "sdp_internal.h"

#define ERR(...) sy_sdpi_err(err, err_len, SY_SDP_EINVAL, __VA_ARGS__)

/* ---- direction ---- */

static const char *const dir_names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

const char *sy_sdp_direction_name(sy_sdp_direction d)
{
    return (unsigned)d < 4 ? dir_names[d] : "sendrecv";
}

int sy_sdp_direction_from_name(const char *name, sy_sdp_direction *out)
{
    for (unsigned i = 0; name && i < 4; i++) {
        if (strcasecmp(name, dir_names[i]) == 0) {
            *out = (sy_sdp_direction)i;
            return 0;
        }
    }
    return -1;
}

sy_sdp_direction sy_sdp_direction_reverse(sy_sdp_direction d)
{
    return d == SY_SDP_SENDONLY ? SY_SDP_RECVONLY : d == SY_SDP_RECVONLY ? SY_SDP_SENDONLY : d;
}

sy_sdp_direction sy_sdp_direction_make(bool send, bool recv)
{
    return send ? (recv ? SY_SDP_SENDRECV : SY_SDP_SENDONLY)
                : (recv ? SY_SDP_RECVONLY : SY_SDP_INACTIVE);
}

bool sy_sdp_direction_sends(sy_sdp_direction d)
{
    return d == SY_SDP_SENDRECV || d == SY_SDP_SENDONLY;
}

bool sy_sdp_direction_receives(sy_sdp_direction d)
{
    return d == SY_SDP_SENDRECV || d == SY_SDP_RECVONLY;
}

/* 1 and *out set if sec holds one direction attribute, 0 if none, -1 if several. */
static int section_direction(const sy_sdp_section *sec, sy_sdp_direction *out)
{
    int found = 0;
    for (size_t i = 0; i < sec->n_lines; i++) {
        const sy_sdp_line *l = &sec->lines[i];
        sy_sdp_direction d;
        if (l->type == 'a' && !l->value && sy_sdp_direction_from_name(l->name, &d) == 0) {
            if (found++) return -1;
            *out = d;
        }
    }
    return found;
}

int sy_sdp_media_direction(const sy_sdp *sdp, const sy_sdp_media *m, sy_sdp_direction *out,
                           char *err, size_t err_len)
{
    *out = SY_SDP_SENDRECV;
    int r = m ? section_direction(&m->sec, out) : 0;
    if (r < 0) return ERR("more than one direction attribute in an m-section");
    if (r == 0 && sdp && section_direction(&sdp->session, out) < 0)
        return ERR("more than one direction attribute at session level");
    return 0;
}

int sy_sdp_media_set_direction(sy_sdp *sdp, sy_sdp_media *m, sy_sdp_direction d)
{
    for (unsigned i = 0; i < 4; i++)
        sy_sdp_remove_attrs(&m->sec, dir_names[i]);
    long mid = sy_sdp_find_attr(&m->sec, "mid", NULL);
    size_t pos = mid >= 0 ? (size_t)mid + 1 : m->sec.n_lines;
    return sy_sdp_insert_line(sdp, &m->sec, pos, 'a', sy_sdp_direction_name(d), NULL);
}

/* ---- c= and o= ---- */

static int copy_tok(char *dst, size_t cap, const char *p, size_t n)
{
    return sy_sdpi_copy(dst, cap, p, n) ? 0 : -1;
}

int sy_sdp_connection_parse(const char *value, sy_sdp_connection *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *t[3];
    size_t n[3], extra;
    for (int i = 0; i < 3; i++)
        if (!(t[i] = sy_sdpi_token(&p, end, &n[i])))
            return ERR("needs <nettype> <addrtype> <address>");
    if (sy_sdpi_token(&p, end, &extra)) return ERR("extra fields after the address");
    const char *slash = memchr(t[2], '/', n[2]);
    size_t an = slash ? (size_t)(slash - t[2]) : n[2];
    if (!sy_sdpi_is_token(t[0], n[0]) || copy_tok(out->nettype, sizeof(out->nettype), t[0], n[0]))
        return ERR("invalid network type");
    if (!sy_sdpi_is_token(t[1], n[1]) || copy_tok(out->addrtype, sizeof(out->addrtype), t[1], n[1]))
        return ERR("invalid address type");
    if (!sy_sdpi_is_address(t[2], an) || copy_tok(out->address, sizeof(out->address), t[2], an))
        return ERR("invalid address");
    return 0;
}

int sy_sdp_origin_parse(const char *value, sy_sdp_origin *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *t[6];
    size_t n[6], extra;
    for (int i = 0; i < 6; i++)
        if (!(t[i] = sy_sdpi_token(&p, end, &n[i])))
            return ERR("needs <username> <sess-id> <sess-version> <nettype> <addrtype> <address>");
    if (sy_sdpi_token(&p, end, &extra)) return ERR("extra fields after the address");
    if (copy_tok(out->username, sizeof(out->username), t[0], n[0]))
        return ERR("user name too long");
    if (!sy_sdpi_parse_uint(t[1], n[1], UINT64_MAX, &out->sess_id))
        return ERR("session id is not a 64-bit number");
    if (!sy_sdpi_parse_uint(t[2], n[2], UINT64_MAX, &out->sess_version))
        return ERR("session version is not a 64-bit number");
    if (!sy_sdpi_is_token(t[3], n[3]) || copy_tok(out->nettype, sizeof(out->nettype), t[3], n[3]))
        return ERR("invalid network type");
    if (!sy_sdpi_is_token(t[4], n[4]) || copy_tok(out->addrtype, sizeof(out->addrtype), t[4], n[4]))
        return ERR("invalid address type");
    if (!sy_sdpi_is_address(t[5], n[5]) || copy_tok(out->address, sizeof(out->address), t[5], n[5]))
        return ERR("invalid address");
    return 0;
}

/* ---- payload formats ---- */

static int parse_pt(const char *p, size_t n, uint8_t *pt)
{
    uint64_t v;
    if (!sy_sdpi_parse_uint(p, n, 127, &v)) return -1;
    *pt = (uint8_t)v;
    return 0;
}

int sy_sdp_rtpmap_parse(const char *value, sy_sdp_rtpmap *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *pt, *enc;
    size_t ptn, encn, extra;
    memset(out, 0, sizeof(*out));
    if (!(pt = sy_sdpi_token(&p, end, &ptn)) || parse_pt(pt, ptn, &out->pt))
        return ERR("rtpmap payload type is not 0..127");
    if (!(enc = sy_sdpi_token(&p, end, &encn))) return ERR("rtpmap without an encoding");
    if (sy_sdpi_token(&p, end, &extra)) return ERR("extra fields after the rtpmap encoding");
    const char *s1 = memchr(enc, '/', encn);
    if (!s1) return ERR("rtpmap without a clock rate");
    size_t namen = (size_t)(s1 - enc);
    if (!sy_sdpi_is_token(enc, namen)) return ERR("invalid rtpmap encoding name");
    if (copy_tok(out->encoding, sizeof(out->encoding), enc, namen))
        return ERR("rtpmap encoding name too long");
    const char *rest = s1 + 1, *rend = enc + encn;
    const char *s2 = memchr(rest, '/', (size_t)(rend - rest));
    uint64_t v;
    if (!sy_sdpi_parse_uint(rest, (size_t)((s2 ? s2 : rend) - rest), UINT32_MAX, &v) || v == 0)
        return ERR("rtpmap clock rate is not a number 1..4294967295");
    out->clock_rate = (uint32_t)v;
    if (s2) {
        if (!sy_sdpi_parse_uint(s2 + 1, (size_t)(rend - s2 - 1), 255, &v) || v == 0)
            return ERR("rtpmap channels is not a number 1..255");
        out->channels = (uint8_t)v;
    }
    return 0;
}

int sy_sdp_fmtp_parse(const char *value, sy_sdp_fmtp *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *pt;
    size_t ptn;
    if (!(pt = sy_sdpi_token(&p, end, &ptn)) || parse_pt(pt, ptn, &out->pt))
        return ERR("fmtp payload type is not 0..127");
    out->params = sy_sdpi_skip_space(p, end);
    return 0;
}

/* Finds key in params: *vp and *vn get the value span. */
static bool fmtp_find(const char *params, const char *key, const char **vp, size_t *vn)
{
    const char *p = params, *end = params + strlen(params);
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *pe = semi ? semi : end;
        const char *s = sy_sdpi_skip_space(p, pe);
        const char *eq = memchr(s, '=', (size_t)(pe - s));
        if (eq) {
            const char *ke = eq;
            while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t'))
                ke--;
            if (sy_sdpi_span_ieq(s, (size_t)(ke - s), key)) {
                const char *v = sy_sdpi_skip_space(eq + 1, pe), *ve = pe;
                while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                    ve--;
                *vp = v;
                *vn = (size_t)(ve - v);
                return true;
            }
        }
        p = semi ? semi + 1 : end;
    }
    return false;
}

int sy_sdp_fmtp_get(const char *params, const char *key, char *out, size_t cap)
{
    const char *v;
    size_t n;
    if (!params || !key || !fmtp_find(params, key, &v, &n)) return 0;
    if (!out) return 1;
    return sy_sdpi_copy(out, cap, v, n) ? 1 : -1;
}

int sy_sdp_fmtp_get_uint(const char *params, const char *key, uint32_t max, uint32_t *out)
{
    const char *v;
    size_t n;
    uint64_t x;
    if (!params || !key || !fmtp_find(params, key, &v, &n)) return 0;
    if (!sy_sdpi_parse_uint(v, n, max, &x)) return -1;
    *out = (uint32_t)x;
    return 1;
}

int sy_sdp_rtcp_fb_parse(const char *value, sy_sdp_rtcp_fb *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *pt, *type, *sub;
    size_t ptn, typen, subn;
    memset(out, 0, sizeof(*out));
    if (!(pt = sy_sdpi_token(&p, end, &ptn))) return ERR("empty rtcp-fb");
    if (ptn == 1 && pt[0] == '*') {
        out->pt = -1;
    } else {
        uint8_t v;
        if (parse_pt(pt, ptn, &v)) return ERR("rtcp-fb payload type is not 0..127 or *");
        out->pt = v;
    }
    if (!(type = sy_sdpi_token(&p, end, &typen)) || !sy_sdpi_is_token(type, typen) ||
        copy_tok(out->type, sizeof(out->type), type, typen))
        return ERR("rtcp-fb without a valid feedback type");
    if ((sub = sy_sdpi_token(&p, end, &subn)) &&
        (!sy_sdpi_is_token(sub, subn) || copy_tok(out->subtype, sizeof(out->subtype), sub, subn)))
        return ERR("invalid rtcp-fb parameter");
    return 0;
}

/* ---- header extensions ---- */

static const char *const ext_uris[SY_SDP_EXT_COUNT_] = {
    [SY_SDP_EXT_MID] = SY_SDP_URI_MID,
    [SY_SDP_EXT_RID] = SY_SDP_URI_RID,
    [SY_SDP_EXT_REPAIRED_RID] = SY_SDP_URI_REPAIRED_RID,
    [SY_SDP_EXT_AUDIO_LEVEL] = SY_SDP_URI_AUDIO_LEVEL,
    [SY_SDP_EXT_ABS_SEND_TIME] = SY_SDP_URI_ABS_SEND_TIME,
    [SY_SDP_EXT_TRANSPORT_CC] = SY_SDP_URI_TRANSPORT_CC,
    [SY_SDP_EXT_VIDEO_ORIENTATION] = SY_SDP_URI_VIDEO_ORIENTATION,
    [SY_SDP_EXT_PLAYOUT_DELAY] = SY_SDP_URI_PLAYOUT_DELAY,
    [SY_SDP_EXT_DEPENDENCY_DESCRIPTOR] = SY_SDP_URI_DEPENDENCY_DESCRIPTOR,
};

sy_sdp_ext sy_sdp_ext_from_uri(const char *uri)
{
    for (int i = 1; uri && i < SY_SDP_EXT_COUNT_; i++)
        if (strcmp(uri, ext_uris[i]) == 0) return (sy_sdp_ext)i;
    return SY_SDP_EXT_UNKNOWN;
}

const char *sy_sdp_ext_uri(sy_sdp_ext ext)
{
    return (ext > 0 && ext < SY_SDP_EXT_COUNT_) ? ext_uris[ext] : NULL;
}

int sy_sdp_extmap_parse(const char *value, sy_sdp_extmap *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *id, *uri;
    size_t idn, urin;
    uint64_t v;
    memset(out, 0, sizeof(*out));
    if (!(id = sy_sdpi_token(&p, end, &idn))) return ERR("empty extmap");
    const char *slash = memchr(id, '/', idn);
    size_t nn = slash ? (size_t)(slash - id) : idn;
    if (!sy_sdpi_parse_uint(id, nn, 255, &v) || v == 0) return ERR("extmap id is not 1..255");
    out->id = (uint16_t)v;
    if (slash) {
        char d[16];
        if (copy_tok(d, sizeof(d), slash + 1, idn - nn - 1) ||
            sy_sdp_direction_from_name(d, &out->direction))
            return ERR("invalid extmap direction");
        out->has_direction = true;
    }
    if (!(uri = sy_sdpi_token(&p, end, &urin))) return ERR("extmap without a URI");
    if (copy_tok(out->uri, sizeof(out->uri), uri, urin)) return ERR("extmap URI too long");
    const char *rest = sy_sdpi_skip_space(p, end);
    out->attributes = rest < end ? rest : NULL;
    return 0;
}

/* ---- grouping and streams ---- */

int sy_sdp_group_parse(const char *value, sy_sdp_group *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *t;
    size_t n;
    out->n_ids = 0;
    if (!(t = sy_sdpi_token(&p, end, &n)) || !sy_sdpi_is_token(t, n) ||
        copy_tok(out->semantics, sizeof(out->semantics), t, n))
        return ERR("group without valid semantics");
    while ((t = sy_sdpi_token(&p, end, &n))) {
        if (out->n_ids == SY_SDP_MAX_MEDIA) return ERR("group lists too many ids");
        if (!sy_sdpi_is_token(t, n) || n > SY_SDP_MID_MAX) return ERR("invalid id in group");
        out->ids[out->n_ids].p = t;
        out->ids[out->n_ids].n = n;
        out->n_ids++;
    }
    return 0;
}

bool sy_sdp_group_has(const sy_sdp_group *g, const char *mid)
{
    for (size_t i = 0; mid && i < g->n_ids; i++)
        if (sy_sdpi_span_eq(g->ids[i].p, g->ids[i].n, mid)) return true;
    return false;
}

int sy_sdp_mid_check(const char *value, char *err, size_t err_len)
{
    size_t n = value ? strlen(value) : 0;
    if (n == 0) return ERR("empty mid");
    if (n > SY_SDP_MID_MAX) return ERR("mid longer than %d characters", SY_SDP_MID_MAX);
    if (!sy_sdpi_is_token(value, n)) return ERR("mid is not a token");
    return 0;
}

int sy_sdp_msid_parse(const char *value, sy_sdp_msid *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *s, *t;
    size_t sn, tn, extra;
    memset(out, 0, sizeof(*out));
    if (!(s = sy_sdpi_token(&p, end, &sn)) || !sy_sdpi_is_token(s, sn) ||
        copy_tok(out->stream, sizeof(out->stream), s, sn))
        return ERR("msid stream id missing, invalid or longer than %d", SY_SDP_MSID_MAX);
    if ((t = sy_sdpi_token(&p, end, &tn)) &&
        (!sy_sdpi_is_token(t, tn) || copy_tok(out->track, sizeof(out->track), t, tn)))
        return ERR("msid track id invalid or longer than %d", SY_SDP_MSID_MAX);
    if (sy_sdpi_token(&p, end, &extra)) return ERR("extra fields after the msid");
    return 0;
}

int sy_sdp_ssrc_parse(const char *value, sy_sdp_ssrc *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *s;
    size_t sn;
    uint64_t v;
    memset(out, 0, sizeof(*out));
    if (!(s = sy_sdpi_token(&p, end, &sn)) || !sy_sdpi_parse_uint(s, sn, UINT32_MAX, &v))
        return ERR("ssrc is not a 32-bit number");
    out->ssrc = (uint32_t)v;
    const char *a = sy_sdpi_skip_space(p, end);
    const char *colon = memchr(a, ':', (size_t)(end - a));
    size_t an = colon ? (size_t)(colon - a) : (size_t)(end - a);
    if (!sy_sdpi_is_token(a, an) || copy_tok(out->attribute, sizeof(out->attribute), a, an))
        return ERR("ssrc without a valid attribute");
    out->value = colon ? colon + 1 : NULL;
    return 0;
}

int sy_sdp_ssrc_group_parse(const char *value, sy_sdp_ssrc_group *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *t;
    size_t n;
    uint64_t v;
    out->n = 0;
    if (!(t = sy_sdpi_token(&p, end, &n)) || !sy_sdpi_is_token(t, n) ||
        copy_tok(out->semantics, sizeof(out->semantics), t, n))
        return ERR("ssrc-group without valid semantics");
    while ((t = sy_sdpi_token(&p, end, &n))) {
        if (out->n == SY_SDP_GROUP_MAX_SSRCS)
            return ERR("ssrc-group with more than %d ssrcs", SY_SDP_GROUP_MAX_SSRCS);
        if (!sy_sdpi_parse_uint(t, n, UINT32_MAX, &v))
            return ERR("ssrc-group member is not a 32-bit number");
        out->ssrcs[out->n++] = (uint32_t)v;
    }
    if (out->n == 0) return ERR("ssrc-group without ssrcs");
    return 0;
}

/* ---- data channels, numbers ---- */

int sy_sdp_sctpmap_parse(const char *value, sy_sdp_sctpmap *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *t;
    size_t n;
    uint64_t v;
    memset(out, 0, sizeof(*out));
    if (!(t = sy_sdpi_token(&p, end, &n)) || !sy_sdpi_parse_uint(t, n, 65535, &v))
        return ERR("sctpmap number is not 0..65535");
    out->number = (uint16_t)v;
    if (!(t = sy_sdpi_token(&p, end, &n)) || !sy_sdpi_is_token(t, n) ||
        copy_tok(out->app, sizeof(out->app), t, n))
        return ERR("sctpmap without a valid application");
    if ((t = sy_sdpi_token(&p, end, &n))) {
        if (!sy_sdpi_parse_uint(t, n, UINT32_MAX, &v))
            return ERR("sctpmap streams is not a number");
        out->streams = (uint32_t)v;
    }
    return 0;
}

int sy_sdp_uint_parse(const char *value, uint64_t max, uint64_t *out, char *err, size_t err_len)
{
    if (!sy_sdpi_parse_uint_str(value, max, out))
        return ERR("not a number 0..%llu", (unsigned long long)max);
    return 0;
}
