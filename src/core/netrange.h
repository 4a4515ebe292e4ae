/*
 * Address ranges ("10.0.0.0/8, 2001:db8::/32, 192.0.2.7") for the remote-candidate
 * policy (security.md section 6 row 24). Pure code, no state.
 */
#ifndef SY_NETRANGE_H
#define SY_NETRANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SY_NETRANGE_MAX 32

typedef struct sy_netrange {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network byte order, 4 bytes used for AF_INET */
    int prefix;       /* 0..32 or 0..128 */
} sy_netrange;

/* Parses a comma/space separated list into out (at most max entries). A missing
 * "/n" means a single address. Returns the number of ranges (0 for NULL or ""), or -1
 * with a message naming the bad item in err. */
int sy_netrange_parse(const char *list, sy_netrange *out, size_t max, char *err, size_t errlen);
/* True if the address (AF_INET or AF_INET6 sockaddr) is in one of the ranges. */
bool sy_netrange_match(const sy_netrange *r, size_t n, const struct sockaddr *sa);
/* True for addresses Switchyard never sends to, whatever the configuration:
 * 0.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 240.0.0.0/4 (with 255.255.255.255), ::,
 * ff00::/8, fe80::/10, IPv4-mapped and IPv4-compatible IPv6. */
bool sy_netrange_reserved(const struct sockaddr *sa);
/* True for 127.0.0.0/8 and ::1. */
bool sy_netrange_loopback(const struct sockaddr *sa);
/* "a/n, b/n" into buf (for the start log). */
void sy_netrange_format(const sy_netrange *r, size_t n, char *buf, size_t len);

#endif
