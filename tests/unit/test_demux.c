/*
 * RFC 7983 demultiplexing: the 256-value first-byte sweep (only 0-3, 20-63 and 128-191
 * reach a handler), RTP vs RTCP by payload type (RFC 5761), minimum sizes and the
 * 1500-byte cap.
 */
#include <string.h>

#include "check.h"
#include "protocol/demux.h"

static sy_pkt_kind expected_kind(unsigned first, unsigned second)
{
    if (first <= 3) return SY_PKT_STUN;
    if (first >= 20 && first <= 63) return SY_PKT_DTLS;
    if (first >= 128 && first <= 191) {
        unsigned pt = second & 0x7F;
        return pt >= 64 && pt <= 95 ? SY_PKT_RTCP : SY_PKT_RTP;
    }
    return SY_PKT_UNKNOWN;
}

static void test_first_byte_sweep(void)
{
    uint8_t buf[SY_DEMUX_MAX_DATAGRAM];
    memset(buf, 0xAB, sizeof(buf));
    int stun = 0, dtls = 0, media = 0, unknown = 0;
    for (unsigned b = 0; b < 256; b++) {
        buf[0] = (uint8_t)b;
        buf[1] = 96; /* a dynamic RTP payload type */
        sy_pkt_kind k = sy_demux_classify(buf, 100);
        CHECK_EQ_INT(k, expected_kind(b, 96));
        /* Same answer at the largest accepted size. */
        CHECK_EQ_INT(sy_demux_classify(buf, SY_DEMUX_MAX_DATAGRAM), k);
        stun += k == SY_PKT_STUN;
        dtls += k == SY_PKT_DTLS;
        media += k == SY_PKT_RTP || k == SY_PKT_RTCP;
        unknown += k == SY_PKT_UNKNOWN;
        /* The named exclusions. */
        if (b >= 16 && b <= 19) CHECK_EQ_INT(k, SY_PKT_UNKNOWN); /* ZRTP */
        if (b >= 64 && b <= 79) CHECK_EQ_INT(k, SY_PKT_UNKNOWN); /* TURN channel */
    }
    CHECK_EQ_INT(stun, 4);
    CHECK_EQ_INT(dtls, 44);
    CHECK_EQ_INT(media, 64);
    CHECK_EQ_INT(unknown, 256 - 4 - 44 - 64);
}

static void test_rtp_vs_rtcp(void)
{
    uint8_t buf[64] = {0x80};
    for (unsigned second = 0; second < 256; second++) {
        buf[1] = (uint8_t)second;
        CHECK_EQ_INT(sy_demux_classify(buf, sizeof(buf)), expected_kind(0x80, second));
    }
    /* Real RTCP types: SR 200, RR 201, SDES 202, BYE 203, APP 204, RTPFB 205, PSFB 206,
     * XR 207. */
    for (unsigned pt = 200; pt <= 207; pt++) {
        buf[1] = (uint8_t)pt;
        CHECK_EQ_INT(sy_demux_classify(buf, 8), SY_PKT_RTCP);
    }
    /* RTP: Opus 111 with and without the marker, VP8 96 with marker (0xE0). */
    buf[1] = 111;
    CHECK_EQ_INT(sy_demux_classify(buf, 12), SY_PKT_RTP);
    buf[1] = 0x80 | 111;
    CHECK_EQ_INT(sy_demux_classify(buf, 12), SY_PKT_RTP);
    buf[1] = 0xE0;
    CHECK_EQ_INT(sy_demux_classify(buf, 12), SY_PKT_RTP);
}

static void test_sizes(void)
{
    uint8_t buf[SY_DEMUX_MAX_DATAGRAM + 1];
    memset(buf, 0, sizeof(buf));
    CHECK_EQ_INT(sy_demux_classify(NULL, 0), SY_PKT_UNKNOWN);
    CHECK_EQ_INT(sy_demux_classify(buf, 0), SY_PKT_UNKNOWN);

    buf[0] = 0x00; /* STUN Binding request: 0x0001 */
    buf[1] = 0x01;
    CHECK_EQ_INT(sy_demux_classify(buf, 19), SY_PKT_UNKNOWN);
    CHECK_EQ_INT(sy_demux_classify(buf, 20), SY_PKT_STUN);

    buf[0] = 22; /* DTLS handshake record */
    buf[1] = 0xFE;
    CHECK_EQ_INT(sy_demux_classify(buf, 12), SY_PKT_UNKNOWN);
    CHECK_EQ_INT(sy_demux_classify(buf, 13), SY_PKT_DTLS);

    buf[0] = 0x80;
    buf[1] = 96;
    CHECK_EQ_INT(sy_demux_classify(buf, 1), SY_PKT_UNKNOWN);
    CHECK_EQ_INT(sy_demux_classify(buf, 7), SY_PKT_UNKNOWN);
    CHECK_EQ_INT(sy_demux_classify(buf, 8), SY_PKT_UNKNOWN); /* RTP needs 12 */
    CHECK_EQ_INT(sy_demux_classify(buf, 11), SY_PKT_UNKNOWN);
    CHECK_EQ_INT(sy_demux_classify(buf, 12), SY_PKT_RTP);

    buf[1] = 201; /* RR */
    CHECK_EQ_INT(sy_demux_classify(buf, 7), SY_PKT_UNKNOWN);
    CHECK_EQ_INT(sy_demux_classify(buf, 8), SY_PKT_RTCP);

    /* Over the MTU: dropped whatever it looks like. */
    CHECK_EQ_INT(sy_demux_classify(buf, SY_DEMUX_MAX_DATAGRAM), SY_PKT_RTCP);
    CHECK_EQ_INT(sy_demux_classify(buf, SY_DEMUX_MAX_DATAGRAM + 1), SY_PKT_UNKNOWN);
    buf[0] = 0;
    CHECK_EQ_INT(sy_demux_classify(buf, SY_DEMUX_MAX_DATAGRAM + 1), SY_PKT_UNKNOWN);
    CHECK_EQ_INT(sy_demux_classify(buf, (size_t)-1), SY_PKT_UNKNOWN); /* never read */
}

static void test_names(void)
{
    CHECK_STR(sy_pkt_kind_name(SY_PKT_STUN), "stun");
    CHECK_STR(sy_pkt_kind_name(SY_PKT_DTLS), "dtls");
    CHECK_STR(sy_pkt_kind_name(SY_PKT_RTP), "rtp");
    CHECK_STR(sy_pkt_kind_name(SY_PKT_RTCP), "rtcp");
    CHECK_STR(sy_pkt_kind_name(SY_PKT_UNKNOWN), "unknown");
    CHECK_STR(sy_pkt_kind_name((sy_pkt_kind)99), "unknown");
}

int main(void)
{
    test_first_byte_sweep();
    test_rtp_vs_rtcp();
    test_sizes();
    test_names();
    return CHECK_DONE();
}
