/*
 * Demultiplexing of the datagrams that share one media port, by their first byte
 * (RFC 7983, which updates RFC 5764 section 5.1.2), with RTP and RTCP told apart by
 * the payload type (RFC 5761 section 4).
 *
 * This is the first thing a media worker does with a datagram, before any library
 * sees it: only STUN goes to libnice, DTLS to OpenSSL, RTP/RTCP to SRTP; everything
 * else is dropped and counted (security.md, table 6 row 1). ZRTP (16-19) and TURN
 * channel data (64-79) are UNKNOWN here: this server is neither a ZRTP endpoint nor a
 * TURN server.
 */
#ifndef SY_PROTOCOL_DEMUX_H
#define SY_PROTOCOL_DEMUX_H

#include <stddef.h>
#include <stdint.h>

/* Datagrams longer than this are dropped (UNKNOWN): nothing legitimate on a WebRTC
 * media port exceeds the Ethernet MTU, and every parser behind this may rely on it. */
#define SY_DEMUX_MAX_DATAGRAM 1500

/* The smallest datagram of each kind: the fixed header a parser needs to look at. */
#define SY_DEMUX_MIN_STUN 20 /* STUN message header */
#define SY_DEMUX_MIN_DTLS 13 /* DTLS record header */
#define SY_DEMUX_MIN_RTP 12  /* RTP fixed header */
#define SY_DEMUX_MIN_RTCP 8  /* RTCP header + sender SSRC */

typedef enum sy_pkt_kind {
    SY_PKT_UNKNOWN = 0, /* drop and count */
    SY_PKT_STUN,        /* first byte 0-3 */
    SY_PKT_DTLS,        /* first byte 20-63 */
    SY_PKT_RTP,         /* first byte 128-191, second byte & 0x7F outside 64-95 */
    SY_PKT_RTCP,        /* first byte 128-191, second byte & 0x7F in 64-95 (PT 192-223) */
} sy_pkt_kind;

/*
 * Classifies one datagram of len bytes at buf (buf may be NULL when len is 0).
 * Reads at most the first two bytes. A datagram that is empty, longer than
 * SY_DEMUX_MAX_DATAGRAM, shorter than the minimum of its kind, or whose first byte is
 * in no accepted range, is SY_PKT_UNKNOWN. No state, no allocation: safe on any
 * thread, per packet.
 */
sy_pkt_kind sy_demux_classify(const uint8_t *buf, size_t len);

/* A static lowercase name for a kind ("stun", "dtls", "rtp", "rtcp", "unknown"), for
 * counters and logs. Never NULL. */
const char *sy_pkt_kind_name(sy_pkt_kind kind);

#endif
