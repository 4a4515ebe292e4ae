/*
 * The remote-candidate address ranges (core/netrange.c, security.md 6 row 24): parsing of
 * media.allowed_remote_ranges / denied_remote_ranges, matching, the reserved set.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/netrange.h"

static struct sockaddr_storage addr(const char *ip)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) v4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) v6->sin6_family = AF_INET6;
    return ss;
}

static bool match(const sy_netrange *r, int n, const char *ip)
{
    struct sockaddr_storage ss = addr(ip);
    return sy_netrange_match(r, (size_t)n, (struct sockaddr *)&ss);
}

static bool reserved(const char *ip)
{
    struct sockaddr_storage ss = addr(ip);
    return sy_netrange_reserved((struct sockaddr *)&ss);
}

int main(void)
{
    sy_netrange r[SY_NETRANGE_MAX];
    char err[128];
    CHECK_EQ_INT(sy_netrange_parse(NULL, r, SY_NETRANGE_MAX, err, sizeof(err)), 0);
    CHECK_EQ_INT(sy_netrange_parse("", r, SY_NETRANGE_MAX, err, sizeof(err)), 0);
    CHECK_EQ_INT(sy_netrange_parse(" , ", r, SY_NETRANGE_MAX, err, sizeof(err)), 0);
    int n = sy_netrange_parse("10.0.0.0/8, 192.168.1.77/24,127.0.0.3 2001:db8::/32 ::1", r,
                              SY_NETRANGE_MAX, err, sizeof(err));
    CHECK_EQ_INT(n, 5);
    CHECK(match(r, n, "10.255.1.2"));
    CHECK(!match(r, n, "11.0.0.1"));
    CHECK(match(r, n, "192.168.1.1")); /* host bits of 192.168.1.77/24 ignored */
    CHECK(!match(r, n, "192.168.2.1"));
    CHECK(match(r, n, "127.0.0.3"));
    CHECK(!match(r, n, "127.0.0.4"));
    CHECK(match(r, n, "2001:db8:ffff::1"));
    CHECK(!match(r, n, "2001:db9::1"));
    CHECK(match(r, n, "::1"));
    CHECK(!match(r, n, "::2"));
    char buf[256];
    sy_netrange_format(r, (size_t)n, buf, sizeof(buf));
    CHECK_STR(buf, "10.0.0.0/8, 192.168.1.0/24, 127.0.0.3/32, 2001:db8::/32, ::1/128");
    /* Odd prefixes and /0. */
    n = sy_netrange_parse("172.16.0.0/12 0.0.0.0/0", r, SY_NETRANGE_MAX, err, sizeof(err));
    CHECK_EQ_INT(n, 2);
    CHECK(match(r, 1, "172.31.255.255"));
    CHECK(!match(r, 1, "172.32.0.0"));
    CHECK(match(r, n, "8.8.8.8"));
    CHECK(!match(r, n, "::1")); /* families never mix */

    const char *bad[] = {"10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "host.example", "1.2.3.4/-1",
                         "::/129", "10.0.0.0/8x", "1.2.3.4/8/8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CHECK_EQ_INT(sy_netrange_parse(bad[i], r, SY_NETRANGE_MAX, err, sizeof(err)), -1);
        CHECK(strstr(err, "is not an address") != NULL);
    }
    char many[SY_NETRANGE_MAX * 16 + 32] = "";
    for (int i = 0; i <= SY_NETRANGE_MAX; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "10.0.%d.0/24,", i);
    CHECK_EQ_INT(sy_netrange_parse(many, r, SY_NETRANGE_MAX, err, sizeof(err)), -1);

    const char *res[] = {"0.0.0.0", "0.1.2.3", "169.254.169.254", "224.0.0.251", "239.1.2.3",
                         "240.0.0.1", "255.255.255.255", "::", "ff02::1", "fe80::1",
                         "::ffff:127.0.0.1", "::1.2.3.4"};
    for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
        if (!reserved(res[i])) fprintf(stderr, "not reserved: %s\n", res[i]);
        CHECK(reserved(res[i]));
    }
    const char *ok[] = {"127.0.0.1", "10.0.0.1", "192.0.2.1", "8.8.8.8", "223.255.255.255",
                        "::1", "2001:db8::1", "fd00::1"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        CHECK(!reserved(ok[i]));
    struct sockaddr_storage lo = addr("127.9.9.9"), lo6 = addr("::1"), pub = addr("10.0.0.1");
    CHECK(sy_netrange_loopback((struct sockaddr *)&lo));
    CHECK(sy_netrange_loopback((struct sockaddr *)&lo6));
    CHECK(!sy_netrange_loopback((struct sockaddr *)&pub));
    return CHECK_DONE();
}
