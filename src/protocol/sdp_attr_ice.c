/* Typed accessors for the transport lines: fingerprint, setup, ICE credentials, candidates. */
#include <string.h>
#include <strings.h>

#include "sdp_attr.h"
#include "sdp_internal.h"

#define ERR(...) sy_sdpi_err(err, err_len, SY_SDP_EINVAL, __VA_ARGS__)

/* ---- fingerprint ---- */

static const struct {
    const char *name;
    unsigned bytes;
    int strength;
} hashes[] = {
    {"sha-1", 20, 1},   {"sha-224", 28, 2}, {"sha-256", 32, 3}, {"sha-384", 48, 4},
    {"sha-512", 64, 5}, {"md5", 16, 0},     {"md2", 16, 0},
};

static int hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int sy_sdp_fingerprint_parse(const char *value, sy_sdp_fingerprint *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *h, *v;
    size_t hn, vn, extra;
    memset(out, 0, sizeof(*out));
    if (!(h = sy_sdpi_token(&p, end, &hn)) || !(v = sy_sdpi_token(&p, end, &vn)))
        return ERR("fingerprint needs <hash-function> <value>");
    if (sy_sdpi_token(&p, end, &extra)) return ERR("extra fields after the fingerprint");
    unsigned bytes = 0;
    for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
        if (sy_sdpi_span_ieq(h, hn, hashes[i].name)) {
            strcpy(out->hash, hashes[i].name);
            bytes = hashes[i].bytes;
        }
    }
    if (!bytes) return ERR("unknown fingerprint hash function");
    /* "XX:XX:...:XX", bytes pairs */
    if (vn != bytes * 3 - 1) return ERR("fingerprint is not %u colon-separated hex bytes", bytes);
    for (size_t i = 0; i < vn; i++) {
        bool colon = i % 3 == 2;
        if (colon ? v[i] != ':' : hex(v[i]) < 0)
            return ERR("fingerprint is not %u colon-separated hex bytes", bytes);
    }
    memcpy(out->value, v, vn);
    out->value[vn] = '\0';
    return 0;
}

int sy_sdp_fingerprint_strength(const char *hash)
{
    for (size_t i = 0; hash && i < sizeof(hashes) / sizeof(hashes[0]); i++)
        if (strcasecmp(hash, hashes[i].name) == 0) return hashes[i].strength;
    return 0;
}

/* ---- setup ---- */

static const char *const setup_names[] = {"", "actpass", "active", "passive", "holdconn"};

int sy_sdp_setup_parse(const char *value, sy_sdp_setup *out, char *err, size_t err_len)
{
    for (int i = 1; value && i < 5; i++) {
        if (strcasecmp(value, setup_names[i]) == 0) {
            *out = (sy_sdp_setup)i;
            return 0;
        }
    }
    return ERR("setup is not actpass, active, passive or holdconn");
}

const char *sy_sdp_setup_name(sy_sdp_setup s)
{
    return (unsigned)s < 5 ? setup_names[s] : "";
}

/* ---- ICE ---- */

static bool is_ice_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

static bool ice_chars(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_ice_char(p[i])) return false;
    return true;
}

int sy_sdp_ice_ufrag_check(const char *value, char *err, size_t err_len)
{
    size_t n = value ? strlen(value) : 0;
    if (n < 4 || n > SY_SDP_ICE_MAX || !ice_chars(value, n))
        return ERR("ice-ufrag must be 4..256 ice-chars");
    return 0;
}

int sy_sdp_ice_pwd_check(const char *value, char *err, size_t err_len)
{
    size_t n = value ? strlen(value) : 0;
    if (n < 22 || n > SY_SDP_ICE_MAX || !ice_chars(value, n))
        return ERR("ice-pwd must be 22..256 ice-chars");
    return 0;
}

static const char *const cand_types[] = {"host", "srflx", "prflx", "relay"};

const char *sy_sdp_cand_type_name(sy_sdp_cand_type t)
{
    return (unsigned)t < 4 ? cand_types[t] : "host";
}

/* Host names and addresses: letters, digits and . : - _ % (IPv6 zones). */
static bool address_ok(const char *p, size_t n)
{
    if (n == 0 || n > SY_SDP_ADDR_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == ':' || c == '-' || c == '_' || c == '%'))
            return false;
    }
    return true;
}

int sy_sdp_candidate_parse(const char *value, sy_sdp_candidate *out, char *err, size_t err_len)
{
    const char *p = value, *end = value + strlen(value), *t[8];
    size_t n[8];
    uint64_t v;
    memset(out, 0, sizeof(*out));
    if (strncasecmp(p, "candidate:", 10) == 0) p += 10;
    for (int i = 0; i < 8; i++)
        if (!(t[i] = sy_sdpi_token(&p, end, &n[i])))
            return ERR("candidate needs foundation, component, transport, priority, address, "
                       "port, typ and type");
    if (n[0] > 32 || !ice_chars(t[0], n[0]))
        return ERR("candidate foundation is not 1..32 ice-chars");
    memcpy(out->foundation, t[0], n[0]);
    if (!sy_sdpi_parse_uint(t[1], n[1], 256, &v) || v == 0)
        return ERR("candidate component is not 1..256");
    out->component = (uint16_t)v;
    if (n[2] >= sizeof(out->transport) || !sy_sdpi_is_token(t[2], n[2]))
        return ERR("invalid candidate transport");
    for (size_t i = 0; i < n[2]; i++) {
        char c = t[2][i];
        out->transport[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    if (!sy_sdpi_parse_uint(t[3], n[3], UINT32_MAX, &v))
        return ERR("candidate priority is not a 32-bit number");
    out->priority = (uint32_t)v;
    if (!address_ok(t[4], n[4])) return ERR("invalid candidate address");
    memcpy(out->address, t[4], n[4]);
    if (!sy_sdpi_parse_uint(t[5], n[5], 65535, &v)) return ERR("candidate port is not 0..65535");
    out->port = (uint16_t)v;
    if (!sy_sdpi_span_eq(t[6], n[6], "typ")) return ERR("candidate without \"typ\"");
    int type = -1;
    for (int i = 0; i < 4; i++)
        if (sy_sdpi_span_ieq(t[7], n[7], cand_types[i])) type = i;
    if (type < 0) return ERR("unknown candidate type");
    out->type = (sy_sdp_cand_type)type;

    /* name value pairs */
    const char *k, *x;
    size_t kn, xn;
    bool raddr = false, rport = false;
    while ((k = sy_sdpi_token(&p, end, &kn))) {
        if (!(x = sy_sdpi_token(&p, end, &xn))) return ERR("candidate extension without a value");
        if (sy_sdpi_span_eq(k, kn, "raddr")) {
            if (!address_ok(x, xn)) return ERR("invalid candidate raddr");
            memcpy(out->raddr, x, xn);
            out->raddr[xn] = '\0';
            raddr = true;
        } else if (sy_sdpi_span_eq(k, kn, "rport")) {
            if (!sy_sdpi_parse_uint(x, xn, 65535, &v))
                return ERR("candidate rport is not 0..65535");
            out->rport = (uint16_t)v;
            rport = true;
        } else if (sy_sdpi_span_eq(k, kn, "tcptype")) {
            if (!sy_sdpi_span_eq(x, xn, "active") && !sy_sdpi_span_eq(x, xn, "passive") &&
                !sy_sdpi_span_eq(x, xn, "so"))
                return ERR("candidate tcptype is not active, passive or so");
            memcpy(out->tcptype, x, xn);
            out->tcptype[xn] = '\0';
        }
    }
    if (raddr != rport) return ERR("candidate raddr and rport must come together");
    out->has_related = raddr;
    return 0;
}
