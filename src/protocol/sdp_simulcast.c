/* Typed accessors for RID-based simulcast: a=rid (RFC 8851) and a=simulcast (RFC 8853). */
#include <string.h>

#include "sdp_attr.h"
#include "sdp_internal.h"

#define ERR(...) sy_sdpi_err(err, err_len, SY_SDP_EINVAL, __VA_ARGS__)

/* rid-id = 1*(alpha-numeric / "-" / "_") */
static bool rid_ok(const char *p, size_t n)
{
    if (n == 0 || n > SY_SDP_RID_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

int sy_sdp_rid_parse(const char *value, sy_sdp_rid *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *id, *dir;
    size_t idn, dirn;
    memset(out, 0, sizeof(*out));
    if (!(id = sy_sdpi_token(&p, end, &idn)) || !rid_ok(id, idn))
        return ERR("rid id is not 1..%d letters, digits, '-' or '_'", SY_SDP_RID_MAX);
    memcpy(out->id, id, idn);
    if (!(dir = sy_sdpi_token(&p, end, &dirn))) return ERR("rid without a direction");
    if (sy_sdpi_span_eq(dir, dirn, "send"))
        out->send = true;
    else if (!sy_sdpi_span_eq(dir, dirn, "recv"))
        return ERR("rid direction is not send or recv");
    const char *rest = sy_sdpi_skip_space(p, end);
    out->params = rest < end ? rest : NULL;
    return 0;
}

/* "a;b,c;~d" into list. */
static int parse_list(const char *p, size_t n, sy_sdp_sim_list *list, char *err, size_t err_len)
{
    const char *end = p + n;
    if (n >= 4 && memcmp(p, "rid=", 4) == 0) p += 4; /* the pre-RFC draft form */
    list->n = 0;
    while (p <= end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *se = semi ? semi : end;
        if (list->n == SY_SDP_SIM_MAX_STREAMS)
            return ERR("simulcast list with more than %d streams", SY_SDP_SIM_MAX_STREAMS);
        sy_sdp_sim_stream *st = &list->streams[list->n++];
        st->n_alts = 0;
        const char *a = p;
        while (a <= se) {
            const char *comma = memchr(a, ',', (size_t)(se - a));
            const char *ae = comma ? comma : se;
            if (st->n_alts == SY_SDP_SIM_MAX_ALTS)
                return ERR("simulcast stream with more than %d alternatives", SY_SDP_SIM_MAX_ALTS);
            sy_sdp_sim_alt *alt = &st->alts[st->n_alts++];
            alt->paused = a < ae && *a == '~';
            if (alt->paused) a++;
            if (!rid_ok(a, (size_t)(ae - a))) return ERR("invalid rid in simulcast list");
            memcpy(alt->rid, a, (size_t)(ae - a));
            alt->rid[ae - a] = '\0';
            a = ae + 1;
            if (!comma) break;
        }
        p = se + 1;
        if (!semi) break;
    }
    return 0;
}

int sy_sdp_simulcast_parse(const char *value, sy_sdp_simulcast *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *d, *l;
    size_t dn, ln;
    bool have_send = false, have_recv = false;
    memset(out, 0, sizeof(*out));
    while ((d = sy_sdpi_token(&p, end, &dn))) {
        bool send = sy_sdpi_span_eq(d, dn, "send");
        if (!send && !sy_sdpi_span_eq(d, dn, "recv"))
            return ERR("simulcast direction is not send or recv");
        if (send ? have_send : have_recv) return ERR("simulcast direction given twice");
        if (!(l = sy_sdpi_token(&p, end, &ln))) return ERR("simulcast direction without a list");
        int rc = parse_list(l, ln, send ? &out->send : &out->recv, err, err_len);
        if (rc) return rc;
        if (send)
            have_send = true;
        else
            have_recv = true;
    }
    if (!have_send && !have_recv) return ERR("empty simulcast");
    return 0;
}
