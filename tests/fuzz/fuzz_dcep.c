/* Fuzz target: DCEP (RFC 8832) message parsing, and a rebuild of what parsed must parse
 * back to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "protocol/dcep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sy_dcep_msg m;
    if (sy_dcep_parse(data, size, &m) < 0 || m.type != SY_DCEP_OPEN) return 0;
    uint8_t out[12 + 2 * SY_DCEP_MAX_STRING];
    int n = sy_dcep_build_open(out, sizeof(out), m.channel_type, m.priority, m.reliability, m.label,
                               m.label_len, m.protocol, m.protocol_len);
    if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0) abort();
    sy_dcep_msg again;
    if (sy_dcep_parse(out, (size_t)n, &again) < 0 || again.label_len != m.label_len) abort();
    return 0;
}
