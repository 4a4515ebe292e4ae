/*
 * STUN codec (src/protocol/stun.c): builders and the parser agree (round trips with
 * and without a key, IPv4 and IPv6 XOR-MAPPED-ADDRESS), integrity and fingerprint catch
 * every flipped bit, and malformed messages are refused: bad cookie, length not a
 * multiple of 4 or not the datagram's, truncated attributes, attributes after
 * MESSAGE-INTEGRITY other than FINGERPRINT, anything after FINGERPRINT, wrong attribute
 * sizes, duplicate USERNAME. Interoperability with a real agent is tested in test_ice
 * (libnice checks against our shared-port ICE-lite) and by the integration tests.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "check.h"
#include "protocol/stun.h"

static const uint8_t txid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
static const char *key = "VOkJxbRl1RmTxUk/WvJxBt";

static void test_request_round_trip(void)
{
    uint8_t buf[512];
    size_t n = sy_stun_build_request(buf, sizeof(buf), txid, "evtj:h6vY", 0x6e0001ff, true,
                                     0x932ff9b151263b36ull, true, key, strlen(key));
    CHECK(n > 20 && n % 4 == 0);
    sy_stun_msg m;
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), 0);
    CHECK_EQ_INT(m.type, SY_STUN_BINDING_REQUEST);
    CHECK(memcmp(m.txid, txid, 12) == 0);
    CHECK(m.username_len == 9 && memcmp(m.username, "evtj:h6vY", 9) == 0);
    CHECK(m.fingerprint && m.integrity_at > 0);
    CHECK(m.use_candidate && m.ice_controlling && !m.ice_controlled);
    CHECK(m.tiebreaker == 0x932ff9b151263b36ull);
    CHECK_EQ_INT(m.priority, 0x6e0001ff);
    CHECK(sy_stun_integrity_ok(buf, n, &m, key, strlen(key)));
    CHECK(!sy_stun_integrity_ok(buf, n, &m, "VOkJxbRl1RmTxUk/WvJxBT", strlen(key)));
    CHECK(sy_stun_looks_like(buf, n));

    /* Every flipped bit is caught: by the parser (structure, FINGERPRINT) or by the
     * integrity check. */
    int caught = 0, total = 0;
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++) {
            uint8_t copy[512];
            memcpy(copy, buf, n);
            copy[i] ^= (uint8_t)(1 << b);
            sy_stun_msg x;
            total++;
            if (sy_stun_parse(copy, n, &x) != 0 || !sy_stun_integrity_ok(copy, n, &x, key, strlen(key)))
                caught++;
        }
    CHECK_EQ_INT(caught, total);

    /* Without a key: FINGERPRINT only. */
    n = sy_stun_build_request(buf, sizeof(buf), txid, "a:b", 0, false, 1, false, NULL, 0);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), 0);
    CHECK(m.fingerprint && !m.integrity_at && m.ice_controlled && !m.use_candidate);
    CHECK(!sy_stun_integrity_ok(buf, n, &m, key, strlen(key)));
    /* Too small a buffer. */
    CHECK_EQ_INT(sy_stun_build_request(buf, 40, txid, "evtj:h6vY", 1, true, 1, true, key, strlen(key)), 0);
}

static void test_responses(void)
{
    uint8_t buf[256];
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(32853)};
    inet_pton(AF_INET, "192.0.2.1", &a4.sin_addr);
    size_t n = sy_stun_build_success(buf, sizeof(buf), txid, (struct sockaddr *)&a4, key, strlen(key));
    sy_stun_msg m;
    CHECK(n > 0 && sy_stun_parse(buf, n, &m) == 0);
    CHECK_EQ_INT(m.type, SY_STUN_BINDING_SUCCESS);
    CHECK(m.has_mapped && m.mapped.ss_family == AF_INET);
    CHECK(memcmp(&((struct sockaddr_in *)&m.mapped)->sin_addr, &a4.sin_addr, 4) == 0);
    CHECK_EQ_INT(ntohs(((struct sockaddr_in *)&m.mapped)->sin_port), 32853);
    CHECK(sy_stun_integrity_ok(buf, n, &m, key, strlen(key)));
    /* XOR-MAPPED-ADDRESS on the wire is not the plain address. */
    CHECK(memmem(buf, n, &a4.sin_addr, 4) == NULL);

    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(32853)};
    inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &a6.sin6_addr);
    n = sy_stun_build_success(buf, sizeof(buf), txid, (struct sockaddr *)&a6, key, strlen(key));
    CHECK(n > 0 && sy_stun_parse(buf, n, &m) == 0);
    CHECK(m.has_mapped && m.mapped.ss_family == AF_INET6);
    CHECK(memcmp(&((struct sockaddr_in6 *)&m.mapped)->sin6_addr, &a6.sin6_addr, 16) == 0);

    n = sy_stun_build_error(buf, sizeof(buf), txid, 487, "Role Conflict", key, strlen(key));
    CHECK(n > 0 && sy_stun_parse(buf, n, &m) == 0);
    CHECK_EQ_INT(m.type, SY_STUN_BINDING_ERROR);
    CHECK_EQ_INT(m.error_code, 487);
    CHECK(sy_stun_integrity_ok(buf, n, &m, key, strlen(key)));
    CHECK_EQ_INT(sy_stun_build_error(buf, sizeof(buf), txid, 200, "no", NULL, 0), 0);
}

/* Appends an attribute to a hand-made message and fixes the header length. */
static size_t put_attr(uint8_t *buf, size_t len, uint16_t type, const void *v, uint16_t n)
{
    buf[len] = (uint8_t)(type >> 8);
    buf[len + 1] = (uint8_t)type;
    buf[len + 2] = (uint8_t)(n >> 8);
    buf[len + 3] = (uint8_t)n;
    memset(buf + len + 4, 0, (size_t)(n + 3) & ~3u);
    if (n) memcpy(buf + len + 4, v, n);
    len += 4 + ((size_t)(n + 3) & ~3u);
    buf[2] = (uint8_t)((len - 20) >> 8);
    buf[3] = (uint8_t)(len - 20);
    return len;
}

static size_t header(uint8_t *buf)
{
    memset(buf, 0, 20);
    buf[1] = 1;
    buf[4] = 0x21;
    buf[5] = 0x12;
    buf[6] = 0xa4;
    buf[7] = 0x42;
    memcpy(buf + 8, txid, 12);
    return 20;
}

static void test_malformed(void)
{
    uint8_t buf[600];
    sy_stun_msg m;
    size_t n = header(buf);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), 0); /* an empty request parses */
    CHECK(!m.fingerprint && !m.username);
    CHECK_EQ_INT(sy_stun_parse(buf, 19, &m), -1);
    buf[4] = 0x22;
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), -1); /* cookie */
    CHECK(!sy_stun_looks_like(buf, n));
    header(buf);
    buf[0] = 0x40;
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), -1); /* top bits */
    header(buf);
    buf[3] = 4;
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), -1); /* length past the datagram */
    n = header(buf);
    n = put_attr(buf, n, SY_STUN_ATTR_USERNAME, "ab:cd", 5);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), 0);
    CHECK_EQ_INT(sy_stun_parse(buf, n - 4, &m), -1); /* truncated */
    buf[3] -= 2;
    CHECK_EQ_INT(sy_stun_parse(buf, n - 2, &m), -1); /* not a multiple of 4 */
    n = header(buf);
    n = put_attr(buf, n, SY_STUN_ATTR_USERNAME, "ab:cd", 5);
    n = put_attr(buf, n, SY_STUN_ATTR_USERNAME, "ab:cd", 5);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), -1); /* duplicate USERNAME */
    n = header(buf);
    uint8_t mi[20] = {0};
    n = put_attr(buf, n, SY_STUN_ATTR_MESSAGE_INTEGRITY, mi, 20);
    n = put_attr(buf, n, SY_STUN_ATTR_USERNAME, "ab:cd", 5);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), -1); /* after MESSAGE-INTEGRITY */
    n = header(buf);
    n = put_attr(buf, n, SY_STUN_ATTR_MESSAGE_INTEGRITY, mi, 19);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), -1); /* MI size */
    n = header(buf);
    n = put_attr(buf, n, SY_STUN_ATTR_PRIORITY, "abc", 3);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), -1);
    n = header(buf);
    n = put_attr(buf, n, SY_STUN_ATTR_USE_CANDIDATE, "a", 1);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), -1);
    n = header(buf);
    n = put_attr(buf, n, SY_STUN_ATTR_ICE_CONTROLLING, "12345678", 8);
    n = put_attr(buf, n, SY_STUN_ATTR_ICE_CONTROLLED, "12345678", 8);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), -1); /* both roles */
    n = header(buf);
    uint8_t fp[4] = {1, 2, 3, 4};
    n = put_attr(buf, n, SY_STUN_ATTR_FINGERPRINT, fp, 4);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), -1); /* wrong CRC */
    char big[600];
    memset(big, 'u', sizeof(big));
    n = header(buf);
    n = put_attr(buf, n, SY_STUN_ATTR_USERNAME, big, 514);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), -1); /* USERNAME > 513 */
    /* Unknown attributes are skipped. */
    n = header(buf);
    n = put_attr(buf, n, 0xC057, "\x00\x01\x00\x0a", 4);
    n = put_attr(buf, n, 0x0030, "xyz", 3);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), 0);
    /* After FINGERPRINT: nothing. */
    uint8_t ok[256];
    size_t k = sy_stun_build_request(ok, sizeof(ok), txid, "a:b", 1, true, 1, false, NULL, 0);
    memcpy(buf, ok, k);
    n = put_attr(buf, k, 0xC057, "\x00\x01\x00\x0a", 4);
    CHECK_EQ_INT(sy_stun_parse(buf, n, &m), -1);
}

int main(void)
{
    test_request_round_trip();
    test_responses();
    test_malformed();
    return CHECK_DONE();
}
