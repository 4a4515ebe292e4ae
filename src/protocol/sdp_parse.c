/*
 * SDP text -> model. Checks structure and limits; attribute values are interpreted
 * later (sdp_extract.c) so that the model keeps lines it does not understand.
 */
#include <stdio.h>
#include <string.h>

#include "sdp.h"
#include "sdp_attr.h"
#include "sdp_internal.h"

typedef struct {
    sy_sdp *sdp;
    sy_sdp_section *sec; /* where lines go: the session, then the current media section */
    sy_sdp_media *media; /* current media section, NULL at session level */
    size_t lineno;       /* 1-based line number in the input, blank lines counted */
    unsigned n_v, n_o, n_s, n_t;
    bool sec_has_c;
    char *err;
    size_t err_len;
} parser;

#define FAIL(ps, code, ...) sy_sdpi_err((ps)->err, (ps)->err_len, (code), __VA_ARGS__)

static int add_line(parser *ps, char type, const char *name, const char *value)
{
    int rc = sy_sdpi_insert_raw(ps->sdp, ps->sec, SIZE_MAX, type, name, value);
    if (rc == SY_SDP_ELIMIT)
        return FAIL(ps, rc, "line %zu: more than %d lines in one section", ps->lineno,
                    SY_SDP_MAX_SECTION_LINES);
    if (rc) return FAIL(ps, rc, "out of memory");
    return 0;
}

/* "m=<media> <port>[/<count>] <proto> <fmt> ..." */
static int parse_mline(parser *ps, const char *v, size_t n)
{
    const char *p = v, *end = v + n, *tok;
    size_t tn;
    char tmp[SY_SDP_MAX_LINE_LEN + 1];

    if (ps->sdp->n_media >= SY_SDP_MAX_MEDIA)
        return FAIL(ps, SY_SDP_ELIMIT, "line %zu: more than %d m-sections", ps->lineno,
                    SY_SDP_MAX_MEDIA);
    /* media */
    if (!(tok = sy_sdpi_token(&p, end, &tn)) || !sy_sdpi_is_token(tok, tn))
        return FAIL(ps, SY_SDP_EINVAL, "line %zu: m= line without a media type", ps->lineno);
    const char *media = sy_sdpi_strndup(ps->sdp, tok, tn);
    /* port[/count] */
    if (!(tok = sy_sdpi_token(&p, end, &tn)))
        return FAIL(ps, SY_SDP_EINVAL, "line %zu: m= line without a port", ps->lineno);
    const char *slash = memchr(tok, '/', tn);
    size_t pn = slash ? (size_t)(slash - tok) : tn;
    uint64_t port, count = 0;
    if (!sy_sdpi_parse_uint(tok, pn, 65535, &port))
        return FAIL(ps, SY_SDP_EINVAL, "line %zu: m= port is not a number 0..65535", ps->lineno);
    if (slash && (!sy_sdpi_parse_uint(slash + 1, tn - pn - 1, 65535, &count) || count == 0))
        return FAIL(ps, SY_SDP_EINVAL, "line %zu: m= port count is not a number 1..65535",
                    ps->lineno);
    /* proto */
    if (!(tok = sy_sdpi_token(&p, end, &tn)) || !sy_sdpi_is_proto(tok, tn))
        return FAIL(ps, SY_SDP_EINVAL, "line %zu: m= line without a valid protocol", ps->lineno);
    const char *proto = sy_sdpi_strndup(ps->sdp, tok, tn);
    if (!media || !proto) return FAIL(ps, SY_SDP_ENOMEM, "out of memory");
    bool rtp = sy_sdp_proto_is_rtp(proto);

    /* formats */
    const char *fmts[SY_SDP_MAX_FORMATS];
    bool seen_pt[128] = {false};
    size_t nf = 0;
    while ((tok = sy_sdpi_token(&p, end, &tn))) {
        if (nf == SY_SDP_MAX_FORMATS)
            return FAIL(ps, SY_SDP_ELIMIT, "line %zu: more than %d formats on the m= line",
                        ps->lineno, SY_SDP_MAX_FORMATS);
        if (!sy_sdpi_is_token(tok, tn))
            return FAIL(ps, SY_SDP_EINVAL, "line %zu: invalid format on the m= line", ps->lineno);
        if (rtp) {
            uint64_t pt;
            if (!sy_sdpi_parse_uint(tok, tn, 127, &pt))
                return FAIL(ps, SY_SDP_EINVAL, "line %zu: RTP payload type is not 0..127",
                            ps->lineno);
            if (seen_pt[pt])
                return FAIL(ps, SY_SDP_EINVAL, "line %zu: payload type %u listed twice", ps->lineno,
                            (unsigned)pt);
            seen_pt[pt] = true;
            tn = (size_t)snprintf(tmp, sizeof(tmp), "%u", (unsigned)pt);
            tok = tmp;
        }
        if (!(fmts[nf++] = sy_sdpi_strndup(ps->sdp, tok, tn)))
            return FAIL(ps, SY_SDP_ENOMEM, "out of memory");
    }
    if (nf == 0) return FAIL(ps, SY_SDP_EINVAL, "line %zu: m= line without any format", ps->lineno);

    sy_sdp_media *m = sy_sdpi_add_media_raw(ps->sdp, media, (uint16_t)port, (uint16_t)count, proto);
    if (!m) return FAIL(ps, SY_SDP_ELIMIT, "line %zu: too many lines or m-sections", ps->lineno);
    if (sy_sdpi_set_formats_raw(ps->sdp, m, fmts, nf))
        return FAIL(ps, SY_SDP_ENOMEM, "out of memory");
    ps->media = m;
    ps->sec = &m->sec;
    ps->sec_has_c = false;
    return 0;
}

/* "a=<name>[:<value>]" */
static int parse_attr(parser *ps, const char *v, size_t n)
{
    const char *colon = memchr(v, ':', n);
    size_t nn = colon ? (size_t)(colon - v) : n;
    if (!sy_sdpi_is_token(v, nn))
        return FAIL(ps, SY_SDP_EINVAL, "line %zu: invalid attribute name", ps->lineno);
    const char *name = sy_sdpi_strndup(ps->sdp, v, nn);
    const char *value = colon ? sy_sdpi_strndup(ps->sdp, colon + 1, n - nn - 1) : NULL;
    if (!name || (colon && !value)) return FAIL(ps, SY_SDP_ENOMEM, "out of memory");
    return add_line(ps, 'a', name, value);
}

/* "<bwtype>:<bandwidth>" */
static bool bandwidth_ok(const char *v, size_t n)
{
    const char *colon = memchr(v, ':', n);
    uint64_t bw;
    return colon && sy_sdpi_is_token(v, (size_t)(colon - v)) &&
           sy_sdpi_parse_uint(colon + 1, n - (size_t)(colon - v) - 1, UINT32_MAX, &bw);
}

static int parse_line(parser *ps, char type, const char *v, size_t n)
{
    char reason[160];
    if (type == 'm') return parse_mline(ps, v, n);
    if (type == 'a') return parse_attr(ps, v, n);

    bool session = ps->media == NULL;
    if (!session && (type == 'v' || type == 'o' || type == 's' || type == 't'))
        return FAIL(ps, SY_SDP_EINVAL, "line %zu: %c= inside a media section", ps->lineno, type);
    const char *value = sy_sdpi_strndup(ps->sdp, v, n);
    if (!value) return FAIL(ps, SY_SDP_ENOMEM, "out of memory");

    switch (type) {
    case 'v':
        if (ps->n_v++) return FAIL(ps, SY_SDP_EINVAL, "line %zu: more than one v=", ps->lineno);
        break;
    case 'o': {
        sy_sdp_origin o;
        if (ps->n_o++) return FAIL(ps, SY_SDP_EINVAL, "line %zu: more than one o=", ps->lineno);
        if (sy_sdp_origin_parse(value, &o, reason, sizeof(reason)))
            return FAIL(ps, SY_SDP_EINVAL, "line %zu: o=: %s", ps->lineno, reason);
        break;
    }
    case 's':
        if (ps->n_s++) return FAIL(ps, SY_SDP_EINVAL, "line %zu: more than one s=", ps->lineno);
        break;
    case 't': {
        const char *p = v, *end = v + n, *a, *b;
        size_t an, bn, extra;
        uint64_t x;
        a = sy_sdpi_token(&p, end, &an);
        b = sy_sdpi_token(&p, end, &bn);
        if (!a || !b || sy_sdpi_token(&p, end, &extra) ||
            !sy_sdpi_parse_uint(a, an, UINT64_MAX, &x) ||
            !sy_sdpi_parse_uint(b, bn, UINT64_MAX, &x))
            return FAIL(ps, SY_SDP_EINVAL, "line %zu: t= needs two numbers", ps->lineno);
        ps->n_t++;
        break;
    }
    case 'c': {
        sy_sdp_connection c;
        if (ps->sec_has_c)
            return FAIL(ps, SY_SDP_EINVAL, "line %zu: more than one c= in a section", ps->lineno);
        if (sy_sdp_connection_parse(value, &c, reason, sizeof(reason)))
            return FAIL(ps, SY_SDP_EINVAL, "line %zu: c=: %s", ps->lineno, reason);
        ps->sec_has_c = true;
        break;
    }
    case 'b':
        if (!bandwidth_ok(v, n))
            return FAIL(ps, SY_SDP_EINVAL, "line %zu: b= is not <type>:<number>", ps->lineno);
        break;
    default:
        break; /* i=, u=, e=, p=, k=, r=, z= and unknown letters are kept as they are */
    }
    return add_line(ps, type, NULL, value);
}

int sy_sdp_parse(const char *text, size_t len, sy_sdp **out, char *err, size_t err_len)
{
    *out = NULL;
    if (!text || len == 0) return sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "empty SDP");
    if (len > SY_SDP_MAX_SIZE)
        return sy_sdpi_err(err, err_len, SY_SDP_ELIMIT, "SDP larger than %d bytes",
                           SY_SDP_MAX_SIZE);
    sy_sdp *sdp = sy_sdp_new();
    if (!sdp) return sy_sdpi_err(err, err_len, SY_SDP_ENOMEM, "out of memory");
    parser ps = {.sdp = sdp, .sec = &sdp->session, .err = err, .err_len = err_len};

    const char *p = text, *end = text + len;
    size_t lines = 0, size = 0;
    int rc = 0;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end, *next = nl ? nl + 1 : end;
        ps.lineno++;
        if (le > p && le[-1] == '\r') le--;
        size_t n = (size_t)(le - p);
        if (n == 0) {
            p = next;
            continue;
        }
        if (n > SY_SDP_MAX_LINE_LEN) {
            rc = FAIL(&ps, SY_SDP_ELIMIT, "line %zu: longer than %d bytes", ps.lineno,
                      SY_SDP_MAX_LINE_LEN);
            break;
        }
        size += n + 2;
        if (++lines > SY_SDP_MAX_LINES || size > SY_SDP_MAX_SIZE) {
            rc = FAIL(&ps, SY_SDP_ELIMIT, "line %zu: more than %d lines or %d bytes", ps.lineno,
                      SY_SDP_MAX_LINES, SY_SDP_MAX_SIZE);
            break;
        }
        if (n < 2 || p[1] != '=' || p[0] < 'a' || p[0] > 'z') {
            rc = FAIL(&ps, SY_SDP_EINVAL, "line %zu: not of the form <letter>=<value>", ps.lineno);
            break;
        }
        for (size_t i = 2; i < n; i++) {
            if (!sy_sdpi_is_value_char((unsigned char)p[i])) {
                rc =
                    FAIL(&ps, SY_SDP_EINVAL, "line %zu: control character in the value", ps.lineno);
                break;
            }
        }
        if (rc) break;
        if (lines == 1 && !(n == 3 && p[0] == 'v' && p[2] == '0')) {
            rc = FAIL(&ps, SY_SDP_EINVAL, "line %zu: an SDP must start with v=0", ps.lineno);
            break;
        }
        rc = parse_line(&ps, p[0], p + 2, n - 2);
        p = next;
    }
    if (rc == 0) {
        if (lines == 0)
            rc = sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "empty SDP");
        else if (!ps.n_o)
            rc = sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "missing o= line");
        else if (!ps.n_s)
            rc = sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "missing s= line");
        else if (!ps.n_t)
            rc = sy_sdpi_err(err, err_len, SY_SDP_EINVAL, "missing t= line");
    }
    if (rc) {
        sy_sdp_free(sdp);
        return rc;
    }
    *out = sdp;
    return 0;
}
