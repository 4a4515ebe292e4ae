/*
 * STUN parsing and building for ICE (see stun.h).
 */
#include "protocol/stun.h"

#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

/* Largest message handled: ICE requests are ~100 bytes; a datagram on a 1500-byte path. */
#define MAX_MESSAGE 1500
#define FINGERPRINT_XOR 0x5354554eu
#define MI_LEN 20

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* CRC-32 (ISO-HDLC, as in RFC 5389 15.5), bitwise: messages are small and rare. */
static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

bool sy_stun_looks_like(const uint8_t *buf, size_t len)
{
    return len >= SY_STUN_HEADER && buf[0] < 4 && rd32(buf + 4) == SY_STUN_COOKIE;
}

static int decode_xor_address(const uint8_t *v, size_t n, const uint8_t *header,
                              struct sockaddr_storage *out)
{
    if (n < 4) return -1;
    uint16_t port = (uint16_t)(rd16(v + 2) ^ (SY_STUN_COOKIE >> 16));
    memset(out, 0, sizeof(*out));
    if (v[1] == 1 && n == 8) {
        struct sockaddr_in *a = (struct sockaddr_in *)out;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        uint32_t ip = rd32(v + 4) ^ SY_STUN_COOKIE;
        a->sin_addr.s_addr = htonl(ip);
        return 0;
    }
    if (v[1] == 2 && n == 20) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        for (int i = 0; i < 16; i++) a->sin6_addr.s6_addr[i] = v[4 + i] ^ header[4 + i];
        return 0;
    }
    return -1;
}

int sy_stun_parse(const uint8_t *buf, size_t len, sy_stun_msg *m)
{
    memset(m, 0, sizeof(*m));
    if (!sy_stun_looks_like(buf, len) || len > MAX_MESSAGE) return -1;
    size_t body = rd16(buf + 2);
    if (body % 4 || body + SY_STUN_HEADER != len) return -1;
    m->type = rd16(buf);
    m->txid = buf + 8;
    size_t off = SY_STUN_HEADER;
    while (off < len) {
        if (len - off < 4) return -1;
        uint16_t type = rd16(buf + off), n = rd16(buf + off + 2);
        size_t padded = ((size_t)n + 3) & ~(size_t)3;
        if (padded > len - off - 4) return -1;
        const uint8_t *v = buf + off + 4;
        /* After MESSAGE-INTEGRITY only FINGERPRINT may follow, and FINGERPRINT ends it. */
        if (m->fingerprint) return -1;
        if (m->integrity_at && type != SY_STUN_ATTR_FINGERPRINT) return -1;
        switch (type) {
        case SY_STUN_ATTR_USERNAME:
            if (m->username || n == 0 || n > SY_STUN_MAX_USERNAME) return -1;
            m->username = v;
            m->username_len = n;
            break;
        case SY_STUN_ATTR_MESSAGE_INTEGRITY:
            if (n != MI_LEN) return -1;
            m->integrity_at = off;
            break;
        case SY_STUN_ATTR_FINGERPRINT: {
            if (n != 4 || off + 8 != len) return -1;
            /* CRC over everything before this attribute; the header length already
             * covers it (it is the last one). */
            if ((crc32_of(buf, off) ^ FINGERPRINT_XOR) != rd32(v)) return -1;
            m->fingerprint = true;
            break;
        }
        case SY_STUN_ATTR_USE_CANDIDATE:
            if (n != 0) return -1;
            m->use_candidate = true;
            break;
        case SY_STUN_ATTR_PRIORITY:
            if (n != 4) return -1;
            m->priority = rd32(v);
            break;
        case SY_STUN_ATTR_ICE_CONTROLLING:
        case SY_STUN_ATTR_ICE_CONTROLLED:
            if (n != 8 || m->ice_controlling || m->ice_controlled) return -1;
            m->tiebreaker = (uint64_t)rd32(v) << 32 | rd32(v + 4);
            if (type == SY_STUN_ATTR_ICE_CONTROLLING)
                m->ice_controlling = true;
            else
                m->ice_controlled = true;
            break;
        case SY_STUN_ATTR_ERROR_CODE:
            if (n < 4) return -1;
            m->error_code = (v[2] & 7) * 100 + v[3];
            if (m->error_code < 300 || m->error_code > 699) return -1;
            break;
        case SY_STUN_ATTR_XOR_MAPPED_ADDRESS:
            if (decode_xor_address(v, n, buf, &m->mapped) != 0) return -1;
            m->has_mapped = true;
            break;
        default:
            /* Anything else is ignored, comprehension-required or not (a full STUN
             * server would answer 420 to an unknown one below 0x8000): browsers add
             * their own attributes, and a lite agent needs nothing more. */
            break;
        }
        off += 4 + padded;
    }
    return 0;
}

/* HMAC-SHA1 over the message up to MESSAGE-INTEGRITY, with the header's length as if
 * the message ended right after it (RFC 5389 15.4). */
static int integrity_of(const uint8_t *buf, size_t at, const char *key, size_t key_len,
                        uint8_t mac[MI_LEN])
{
    uint8_t tmp[MAX_MESSAGE];
    if (at < SY_STUN_HEADER || at > sizeof(tmp)) return -1;
    memcpy(tmp, buf, at);
    wr16(tmp + 2, (uint16_t)(at - SY_STUN_HEADER + 4 + MI_LEN));
    unsigned int n = 0;
    if (!HMAC(EVP_sha1(), key, (int)key_len, tmp, at, mac, &n) || n != MI_LEN) return -1;
    return 0;
}

bool sy_stun_integrity_ok(const uint8_t *buf, size_t len, const sy_stun_msg *m, const char *key,
                          size_t key_len)
{
    if (!m->integrity_at || m->integrity_at + 4 + MI_LEN > len) return false;
    uint8_t mac[MI_LEN];
    if (integrity_of(buf, m->integrity_at, key, key_len, mac) != 0) return false;
    const uint8_t *got = buf + m->integrity_at + 4;
    uint8_t diff = 0;
    for (int i = 0; i < MI_LEN; i++) diff |= (uint8_t)(mac[i] ^ got[i]);
    return diff == 0;
}

/* ---- building ---- */

typedef struct writer {
    uint8_t *p;
    size_t cap, len;
    bool overflow;
} writer;

static uint8_t *attr(writer *w, uint16_t type, size_t n)
{
    size_t padded = (n + 3) & ~(size_t)3;
    if (w->overflow || w->len + 4 + padded > w->cap) {
        w->overflow = true;
        return NULL;
    }
    uint8_t *a = w->p + w->len;
    wr16(a, type);
    wr16(a + 2, (uint16_t)n);
    memset(a + 4, 0, padded);
    w->len += 4 + padded;
    return a + 4;
}

static void begin(writer *w, uint8_t *out, size_t cap, uint16_t type, const uint8_t txid[12])
{
    w->p = out;
    w->cap = cap;
    w->len = SY_STUN_HEADER;
    w->overflow = cap < SY_STUN_HEADER;
    if (w->overflow) return;
    wr16(out, type);
    wr16(out + 2, 0);
    wr32(out + 4, SY_STUN_COOKIE);
    memcpy(out + 8, txid, 12);
}

/* MESSAGE-INTEGRITY (with a key) and FINGERPRINT, then the final length. */
static size_t finish(writer *w, const char *key, size_t key_len)
{
    if (key) {
        size_t at = w->len;
        uint8_t *v = attr(w, SY_STUN_ATTR_MESSAGE_INTEGRITY, MI_LEN);
        if (!v || integrity_of(w->p, at, key, key_len, v) != 0) return 0;
    }
    size_t at = w->len;
    uint8_t *v = attr(w, SY_STUN_ATTR_FINGERPRINT, 4);
    if (!v) return 0;
    wr16(w->p + 2, (uint16_t)(w->len - SY_STUN_HEADER));
    wr32(v, crc32_of(w->p, at) ^ FINGERPRINT_XOR);
    return w->len;
}

size_t sy_stun_build_success(uint8_t *out, size_t cap, const uint8_t txid[12],
                             const struct sockaddr *from, const char *key, size_t key_len)
{
    writer w;
    begin(&w, out, cap, SY_STUN_BINDING_SUCCESS, txid);
    if (from->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)from;
        uint8_t *v = attr(&w, SY_STUN_ATTR_XOR_MAPPED_ADDRESS, 8);
        if (!v) return 0;
        v[1] = 1;
        wr16(v + 2, (uint16_t)(ntohs(a->sin_port) ^ (SY_STUN_COOKIE >> 16)));
        wr32(v + 4, ntohl(a->sin_addr.s_addr) ^ SY_STUN_COOKIE);
    } else if (from->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from;
        uint8_t *v = attr(&w, SY_STUN_ATTR_XOR_MAPPED_ADDRESS, 20);
        if (!v) return 0;
        v[1] = 2;
        wr16(v + 2, (uint16_t)(ntohs(a->sin6_port) ^ (SY_STUN_COOKIE >> 16)));
        for (int i = 0; i < 16; i++) v[4 + i] = a->sin6_addr.s6_addr[i] ^ out[4 + i];
    } else {
        return 0;
    }
    return finish(&w, key, key_len);
}

size_t sy_stun_build_error(uint8_t *out, size_t cap, const uint8_t txid[12], int code,
                           const char *reason, const char *key, size_t key_len)
{
    if (code < 300 || code > 699) return 0;
    writer w;
    begin(&w, out, cap, SY_STUN_BINDING_ERROR, txid);
    size_t rn = reason ? strlen(reason) : 0;
    if (rn > 127) rn = 127;
    uint8_t *v = attr(&w, SY_STUN_ATTR_ERROR_CODE, 4 + rn);
    if (!v) return 0;
    v[2] = (uint8_t)(code / 100);
    v[3] = (uint8_t)(code % 100);
    if (rn) memcpy(v + 4, reason, rn);
    return finish(&w, key, key_len);
}

size_t sy_stun_build_request(uint8_t *out, size_t cap, const uint8_t txid[12], const char *username,
                             uint32_t priority, bool controlling, uint64_t tiebreaker,
                             bool use_candidate, const char *key, size_t key_len)
{
    writer w;
    begin(&w, out, cap, SY_STUN_BINDING_REQUEST, txid);
    size_t un = username ? strlen(username) : 0;
    if (un) {
        if (un > SY_STUN_MAX_USERNAME) return 0;
        uint8_t *v = attr(&w, SY_STUN_ATTR_USERNAME, un);
        if (!v) return 0;
        memcpy(v, username, un);
    }
    if (priority) {
        uint8_t *v = attr(&w, SY_STUN_ATTR_PRIORITY, 4);
        if (!v) return 0;
        wr32(v, priority);
    }
    uint8_t *v = attr(&w, controlling ? SY_STUN_ATTR_ICE_CONTROLLING : SY_STUN_ATTR_ICE_CONTROLLED, 8);
    if (!v) return 0;
    wr32(v, (uint32_t)(tiebreaker >> 32));
    wr32(v + 4, (uint32_t)tiebreaker);
    if (use_candidate && !attr(&w, SY_STUN_ATTR_USE_CANDIDATE, 0)) return 0;
    return finish(&w, key, key_len);
}
