/*
 * RFC 7983 first-byte demultiplexing. See demux.h.
 */
#include "protocol/demux.h"

sy_pkt_kind sy_demux_classify(const uint8_t *buf, size_t len)
{
    if (len == 0 || len > SY_DEMUX_MAX_DATAGRAM) return SY_PKT_UNKNOWN;
    uint8_t b = buf[0];
    if (b <= 3) return len >= SY_DEMUX_MIN_STUN ? SY_PKT_STUN : SY_PKT_UNKNOWN;
    if (b >= 20 && b <= 63) return len >= SY_DEMUX_MIN_DTLS ? SY_PKT_DTLS : SY_PKT_UNKNOWN;
    if (b >= 128 && b <= 191) {
        /* RTCP packet types 192-223 are 64-95 once the bit that RTP uses as the marker
         * is masked (RFC 5761 section 4); an RTCP-sized datagram needs only 8 bytes. */
        if (len < SY_DEMUX_MIN_RTCP) return SY_PKT_UNKNOWN;
        uint8_t pt = buf[1] & 0x7F;
        if (pt >= 64 && pt <= 95) return SY_PKT_RTCP;
        return len >= SY_DEMUX_MIN_RTP ? SY_PKT_RTP : SY_PKT_UNKNOWN;
    }
    /* 4-19 (reserved, ZRTP), 64-127 (TURN channels, reserved), 192-255: not ours. */
    return SY_PKT_UNKNOWN;
}

const char *sy_pkt_kind_name(sy_pkt_kind kind)
{
    switch (kind) {
    case SY_PKT_STUN:
        return "stun";
    case SY_PKT_DTLS:
        return "dtls";
    case SY_PKT_RTP:
        return "rtp";
    case SY_PKT_RTCP:
        return "rtcp";
    case SY_PKT_UNKNOWN:
        break;
    }
    return "unknown";
}
