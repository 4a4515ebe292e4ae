#include "media/media_counters.h"

#include <stdatomic.h>

static _Atomic uint64_t counters[SY_MC_COUNT];

static const char *const names[SY_MC_COUNT] = {
    [SY_MC_DROP_UNKNOWN] = "dropped-unknown",
    [SY_MC_DROP_EARLY] = "dropped-early",
    [SY_MC_DROP_SRTP] = "dropped-srtp",
    [SY_MC_DROP_REPLAY] = "dropped-replay",
    [SY_MC_DROP_UNMATCHED] = "dropped-unmatched",
    [SY_MC_DROP_OVERSIZE] = "dropped-oversize",
    [SY_MC_DROP_DTLS] = "dropped-dtls",
    [SY_MC_CANDIDATES_REFUSED] = "remote-candidates-refused",
    [SY_MC_DTLS_FAILED] = "dtls-failed",
    [SY_MC_CONSENT_LOST] = "consent-lost",
    [SY_MC_PCS_CREATED] = "peer-connections-created",
    [SY_MC_PCS_FREED] = "peer-connections-freed",
    [SY_MC_STUN_MALFORMED] = "stun-malformed",
    [SY_MC_STUN_UNKNOWN_UFRAG] = "stun-unknown-ufrag",
    [SY_MC_STUN_UNAUTH] = "stun-unauthenticated",
    [SY_MC_STUN_SOURCE_REFUSED] = "stun-source-refused",
    [SY_MC_UNKNOWN_SOURCE] = "dropped-unknown-source",
    [SY_MC_SEND_DROPPED] = "send-dropped",
};

void sy_media_counters_add(sy_media_counter which, uint64_t n)
{
    if ((unsigned)which < SY_MC_COUNT && n)
        atomic_fetch_add_explicit(&counters[which], n, memory_order_relaxed);
}

uint64_t sy_media_counters_get(sy_media_counter which)
{
    return (unsigned)which < SY_MC_COUNT
               ? atomic_load_explicit(&counters[which], memory_order_relaxed)
               : 0;
}

const char *sy_media_counter_name(sy_media_counter which)
{
    return (unsigned)which < SY_MC_COUNT ? names[which] : "?";
}

json_t *sy_media_counters_json(void)
{
    json_t *o = json_object();
    for (int i = 0; i < SY_MC_COUNT; i++)
        json_object_set_new(o, names[i], json_integer((json_int_t)sy_media_counters_get(i)));
    uint64_t created = sy_media_counters_get(SY_MC_PCS_CREATED);
    uint64_t freed = sy_media_counters_get(SY_MC_PCS_FREED);
    json_object_set_new(o, "peer-connections-live",
                        json_integer((json_int_t)(created >= freed ? created - freed : 0)));
    return o;
}
