/*
 * DCEP, the Data Channel Establishment Protocol (RFC 8832): the DATA_CHANNEL_OPEN and
 * DATA_CHANNEL_ACK messages carried on SCTP with PPID 50. Pure code over bytes, no
 * allocation: label and protocol point into the caller's buffer.
 */
#ifndef SY_DCEP_H
#define SY_DCEP_H

#include <stddef.h>
#include <stdint.h>

#define SY_DCEP_PPID 50
#define SY_DCEP_PPID_STRING 51
#define SY_DCEP_PPID_BINARY 53
#define SY_DCEP_PPID_STRING_EMPTY 56
#define SY_DCEP_PPID_BINARY_EMPTY 57

#define SY_DCEP_ACK 0x02
#define SY_DCEP_OPEN 0x03

/* Channel types (RFC 8832 5.1): bit 0x80 is "unordered". */
#define SY_DCEP_RELIABLE 0x00
#define SY_DCEP_PARTIAL_RELIABLE_REXMIT 0x01
#define SY_DCEP_PARTIAL_RELIABLE_TIMED 0x02
#define SY_DCEP_UNORDERED 0x80

/* Longest label or protocol we accept (the wire allows 65535). */
#define SY_DCEP_MAX_STRING 1024

typedef struct sy_dcep_msg {
    uint8_t type;         /* SY_DCEP_OPEN or SY_DCEP_ACK */
    uint8_t channel_type; /* OPEN only */
    uint16_t priority;
    uint32_t reliability; /* retransmissions or lifetime (ms), per channel_type */
    const char *label;    /* not NUL-terminated */
    size_t label_len;
    const char *protocol;
    size_t protocol_len;
} sy_dcep_msg;

/* Parses one DCEP message. Returns 0, or -1 (truncated, unknown type or channel type,
 * lengths that do not match, strings longer than SY_DCEP_MAX_STRING). */
int sy_dcep_parse(const uint8_t *buf, size_t len, sy_dcep_msg *out);
/* Writes a DATA_CHANNEL_OPEN. Returns its length, or -1 if cap is too small or a string
 * too long. */
int sy_dcep_build_open(uint8_t *buf, size_t cap, uint8_t channel_type, uint16_t priority,
                       uint32_t reliability, const char *label, size_t label_len,
                       const char *protocol, size_t protocol_len);
/* Writes a DATA_CHANNEL_ACK (1 byte). Returns 1 or -1. */
int sy_dcep_build_ack(uint8_t *buf, size_t cap);

#endif
