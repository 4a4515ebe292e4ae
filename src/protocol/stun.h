/*
 * STUN (RFC 5389/8489) as ICE uses it (RFC 8445 7.2-7.3): what an ICE-lite agent needs
 * to answer Binding requests on a shared socket, and to build requests for tests.
 *
 * Pure functions on buffers: no allocation, no I/O. sy_stun_parse validates the header,
 * every attribute's bounds, the attribute order rules (nothing but FINGERPRINT after
 * MESSAGE-INTEGRITY, FINGERPRINT last) and the FINGERPRINT value; the integrity check
 * is separate because it needs the key, which the caller finds through USERNAME.
 */
#ifndef SY_STUN_H
#define SY_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SY_STUN_HEADER 20
#define SY_STUN_COOKIE 0x2112A442u

#define SY_STUN_BINDING_REQUEST 0x0001
#define SY_STUN_BINDING_INDICATION 0x0011
#define SY_STUN_BINDING_SUCCESS 0x0101
#define SY_STUN_BINDING_ERROR 0x0111

#define SY_STUN_ATTR_USERNAME 0x0006
#define SY_STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define SY_STUN_ATTR_ERROR_CODE 0x0009
#define SY_STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define SY_STUN_ATTR_PRIORITY 0x0024
#define SY_STUN_ATTR_USE_CANDIDATE 0x0025
#define SY_STUN_ATTR_FINGERPRINT 0x8028
#define SY_STUN_ATTR_ICE_CONTROLLED 0x8029
#define SY_STUN_ATTR_ICE_CONTROLLING 0x802A

/* RFC 8489: USERNAME is at most 513 bytes. */
#define SY_STUN_MAX_USERNAME 513

typedef struct sy_stun_msg {
    uint16_t type;
    const uint8_t *txid;      /* 12 bytes inside the buffer */
    const uint8_t *username;  /* inside the buffer, or NULL */
    size_t username_len;
    size_t integrity_at;      /* offset of the MESSAGE-INTEGRITY attribute, 0: none */
    bool fingerprint;         /* a (valid) FINGERPRINT is present */
    bool use_candidate;
    bool ice_controlling, ice_controlled;
    uint64_t tiebreaker;      /* of ICE-CONTROLLING / ICE-CONTROLLED */
    uint32_t priority;        /* 0: absent */
    int error_code;           /* of ERROR-CODE (300..699), 0: absent */
    bool has_mapped;          /* XOR-MAPPED-ADDRESS (decoded into mapped) */
    struct sockaddr_storage mapped;
} sy_stun_msg;

/* Could this datagram be STUN at all (RFC 7983: first byte 0..3, the magic cookie)? */
bool sy_stun_looks_like(const uint8_t *buf, size_t len);
/* 0, or -1 if the message is malformed (see the top of this file). A message without
 * FINGERPRINT parses (fingerprint false); ICE requires one, the caller decides. */
int sy_stun_parse(const uint8_t *buf, size_t len, sy_stun_msg *out);
/* Checks MESSAGE-INTEGRITY (HMAC-SHA1, short-term credential: key = the receiver's
 * ice-pwd) of a parsed message. False when absent. */
bool sy_stun_integrity_ok(const uint8_t *buf, size_t len, const sy_stun_msg *m, const char *key,
                          size_t key_len);

/* Builders: return the message length, or 0 if cap is too small. Every message gets
 * MESSAGE-INTEGRITY (when key is given) and FINGERPRINT. */
/* Binding success with XOR-MAPPED-ADDRESS = from. */
size_t sy_stun_build_success(uint8_t *out, size_t cap, const uint8_t txid[12],
                             const struct sockaddr *from, const char *key, size_t key_len);
/* Binding error response (e.g. 487 Role Conflict). */
size_t sy_stun_build_error(uint8_t *out, size_t cap, const uint8_t txid[12], int code,
                           const char *reason, const char *key, size_t key_len);
/* Binding request as an ICE agent sends it: USERNAME, PRIORITY, ICE-CONTROLLING (when
 * controlling, else ICE-CONTROLLED) with tiebreaker, USE-CANDIDATE when asked. */
size_t sy_stun_build_request(uint8_t *out, size_t cap, const uint8_t txid[12], const char *username,
                             uint32_t priority, bool controlling, uint64_t tiebreaker,
                             bool use_candidate, const char *key, size_t key_len);

#endif
