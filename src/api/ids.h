/* Random identifiers for sessions, handles, rooms: 64 CSPRNG bits masked to 53 so they
 * stay exact in JavaScript numbers; never 0. */
#ifndef SY_IDS_H
#define SY_IDS_H

#include <stdint.h>

#define SY_ID_MAX UINT64_C(0x1FFFFFFFFFFFFF)

uint64_t sy_random_id(void);

#endif
