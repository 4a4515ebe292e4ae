/* Fuzz target: STUN parsing and integrity checking (src/protocol/stun.c), what the
 * shared media sockets run on every datagram whose first byte is 0..3; a parsed request
 * is answered with a rebuilt success response that must parse back. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sy_stun_msg m;
    if (sy_stun_parse(data, size, &m) != 0) return 0;
    const char *key = "fuzzfuzzfuzzfuzzfuzzfuzz";
    (void)sy_stun_integrity_ok(data, size, &m, key, strlen(key));
    if (m.username && m.username_len > SY_STUN_MAX_USERNAME) abort();
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(5000)};
    const struct sockaddr *addr = m.has_mapped ? (const struct sockaddr *)&m.mapped
                                               : (const struct sockaddr *)&from;
    uint8_t out[128];
    size_t n = sy_stun_build_success(out, sizeof(out), m.txid, addr, key, strlen(key));
    sy_stun_msg back;
    if (n == 0 || sy_stun_parse(out, n, &back) != 0 || !back.fingerprint ||
        !sy_stun_integrity_ok(out, n, &back, key, strlen(key)) || memcmp(back.txid, m.txid, 12))
        abort();
    return 0;
}
