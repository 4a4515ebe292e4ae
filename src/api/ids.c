#include "api/ids.h"

#include <openssl/rand.h>
#include <string.h>

uint64_t sy_random_id(void)
{
    for (;;) {
        uint64_t v = 0;
        unsigned char buf[8];
        if (RAND_bytes(buf, sizeof(buf)) != 1) continue; /* retry: the pool refills */
        memcpy(&v, buf, sizeof(v));
        v &= SY_ID_MAX;
        if (v != 0) return v;
    }
}
