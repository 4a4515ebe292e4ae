#include "core/netrange.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_one(const char *item, sy_netrange *r)
{
    char buf[64];
    size_t n = strlen(item);
    if (n == 0 || n >= sizeof(buf)) return -1;
    memcpy(buf, item, n + 1);
    char *slash = strchr(buf, '/');
    int prefix = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        long v = strtol(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end || v < 0 || v > 128) return -1;
        prefix = (int)v;
    }
    memset(r, 0, sizeof(*r));
    if (inet_pton(AF_INET, buf, r->addr) == 1) {
        r->family = AF_INET;
        if (prefix > 32) return -1;
        r->prefix = prefix < 0 ? 32 : prefix;
    } else if (inet_pton(AF_INET6, buf, r->addr) == 1) {
        r->family = AF_INET6;
        r->prefix = prefix < 0 ? 128 : prefix;
    } else {
        return -1;
    }
    /* Clear the host bits so that matching compares whole bytes. */
    int bytes = r->family == AF_INET ? 4 : 16;
    for (int i = 0; i < bytes; i++) {
        int keep = r->prefix - 8 * i;
        if (keep >= 8) continue;
        r->addr[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
    }
    return 0;
}

int sy_netrange_parse(const char *list, sy_netrange *out, size_t max, char *err, size_t errlen)
{
    if (!list) return 0;
    size_t n = 0;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (!*p) break;
        const char *start = p;
        while (*p && *p != ' ' && *p != ',' && *p != '\t')
            p++;
        char item[64];
        size_t len = (size_t)(p - start);
        if (len >= sizeof(item)) len = sizeof(item) - 1;
        memcpy(item, start, len);
        item[len] = '\0';
        if (n >= max) {
            snprintf(err, errlen, "more than %zu ranges", max);
            return -1;
        }
        if (parse_one(item, &out[n]) != 0) {
            snprintf(err, errlen, "'%s' is not an address or address/prefix", item);
            return -1;
        }
        n++;
    }
    return (int)n;
}

static bool in_range(const sy_netrange *r, const uint8_t *a)
{
    int full = r->prefix / 8, rest = r->prefix % 8;
    if (memcmp(r->addr, a, (size_t)full) != 0) return false;
    if (rest == 0) return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == r->addr[full];
}

bool sy_netrange_match(const sy_netrange *r, size_t n, const struct sockaddr *sa)
{
    const uint8_t *a;
    if (sa->sa_family == AF_INET) a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6) a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    else return false;
    for (size_t i = 0; i < n; i++)
        if (r[i].family == sa->sa_family && in_range(&r[i], a)) return true;
    return false;
}

bool sy_netrange_reserved(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        uint32_t ip = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (ip >> 24) == 0       /* 0.0.0.0/8 "this network" */
               || (ip >> 16) == 0xa9fe /* 169.254.0.0/16 link-local, cloud metadata */
               || (ip >> 28) == 0xe    /* 224.0.0.0/4 multicast */
               || (ip >> 28) == 0xf;   /* 240.0.0.0/4 and 255.255.255.255 broadcast */
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *ip = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_UNSPECIFIED(ip) || IN6_IS_ADDR_MULTICAST(ip) ||
               IN6_IS_ADDR_LINKLOCAL(ip) || IN6_IS_ADDR_V4MAPPED(ip) || IN6_IS_ADDR_V4COMPAT(ip);
    }
    return true;
}

bool sy_netrange_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return false;
}

void sy_netrange_format(const sy_netrange *r, size_t n, char *buf, size_t len)
{
    size_t off = 0;
    if (len) buf[0] = '\0';
    for (size_t i = 0; i < n && off < len; i++) {
        char ip[INET6_ADDRSTRLEN];
        inet_ntop(r[i].family, r[i].addr, ip, sizeof(ip));
        int w = snprintf(buf + off, len - off, "%s%s/%d", i ? ", " : "", ip, r[i].prefix);
        if (w < 0) break;
        off += (size_t)w;
    }
}
