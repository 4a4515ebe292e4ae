#include "protocol/dcep.h"

#include <string.h>

static int valid_channel_type(uint8_t t)
{
    uint8_t base = (uint8_t)(t & ~SY_DCEP_UNORDERED);
    return base == SY_DCEP_RELIABLE || base == SY_DCEP_PARTIAL_RELIABLE_REXMIT ||
           base == SY_DCEP_PARTIAL_RELIABLE_TIMED;
}

int sy_dcep_parse(const uint8_t *buf, size_t len, sy_dcep_msg *out)
{
    if (!buf || !out || len < 1) return -1;
    memset(out, 0, sizeof(*out));
    out->type = buf[0];
    if (buf[0] == SY_DCEP_ACK) return len == 1 ? 0 : -1;
    if (buf[0] != SY_DCEP_OPEN || len < 12) return -1;
    out->channel_type = buf[1];
    if (!valid_channel_type(out->channel_type)) return -1;
    out->priority = (uint16_t)(buf[2] << 8 | buf[3]);
    out->reliability = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
    size_t ll = (size_t)buf[8] << 8 | buf[9];
    size_t pl = (size_t)buf[10] << 8 | buf[11];
    if (ll > SY_DCEP_MAX_STRING || pl > SY_DCEP_MAX_STRING) return -1;
    if (len - 12 != ll + pl) return -1;
    out->label = (const char *)buf + 12;
    out->label_len = ll;
    out->protocol = (const char *)buf + 12 + ll;
    out->protocol_len = pl;
    if (memchr(out->label, '\0', ll) || memchr(out->protocol, '\0', pl)) return -1;
    return 0;
}

int sy_dcep_build_open(uint8_t *buf, size_t cap, uint8_t channel_type, uint16_t priority,
                       uint32_t reliability, const char *label, size_t label_len,
                       const char *protocol, size_t protocol_len)
{
    if (!buf || label_len > SY_DCEP_MAX_STRING || protocol_len > SY_DCEP_MAX_STRING ||
        !valid_channel_type(channel_type))
        return -1;
    size_t n = 12 + label_len + protocol_len;
    if (n > cap) return -1;
    buf[0] = SY_DCEP_OPEN;
    buf[1] = channel_type;
    buf[2] = (uint8_t)(priority >> 8);
    buf[3] = (uint8_t)priority;
    buf[4] = (uint8_t)(reliability >> 24);
    buf[5] = (uint8_t)(reliability >> 16);
    buf[6] = (uint8_t)(reliability >> 8);
    buf[7] = (uint8_t)reliability;
    buf[8] = (uint8_t)(label_len >> 8);
    buf[9] = (uint8_t)label_len;
    buf[10] = (uint8_t)(protocol_len >> 8);
    buf[11] = (uint8_t)protocol_len;
    if (label_len) memcpy(buf + 12, label, label_len);
    if (protocol_len) memcpy(buf + 12 + label_len, protocol, protocol_len);
    return (int)n;
}

int sy_dcep_build_ack(uint8_t *buf, size_t cap)
{
    if (!buf || cap < 1) return -1;
    buf[0] = SY_DCEP_ACK;
    return 1;
}
