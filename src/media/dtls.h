/*
 * DTLS-SRTP for one peer connection, with OpenSSL over memory BIOs: the caller feeds
 * datagrams in and sends what comes out; no sockets here. Runs on the owning media
 * worker's thread only.
 *
 * Security (security.md 1): DTLS 1.2 minimum, ECDHE-ECDSA AEAD suites only, no
 * renegotiation (no_renegotiation alert), no compression, no tickets; a peer
 * certificate is required and must match the remote a=fingerprint (strongest hash
 * offered, case-insensitive hex) BEFORE keys are exported; SRTP profiles offered in
 * the order AEAD_AES_128_GCM, AEAD_AES_256_GCM, AES_CM_128_HMAC_SHA1_80,
 * AES_CM_128_HMAC_SHA1_32; bounded handshake buffering; handshake retransmission
 * driven by sy_dtls_timeout()/sy_dtls_handle_timeout().
 */
#ifndef SY_DTLS_H
#define SY_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Process-wide certificate and context: generated (ECDSA P-256, self-signed) or loaded
 * from PEM files. Main thread, once, before workers use it. Returns 0 or -1. */
int sy_dtls_global_init(const char *cert_pem, const char *key_pem, const char *key_pwd);
void sy_dtls_global_cleanup(void);
/* Our certificate's fingerprint, "AB:CD:..." (sha-256), for a=fingerprint. */
const char *sy_dtls_local_fingerprint(void);

typedef enum sy_dtls_role { SY_DTLS_CLIENT, SY_DTLS_SERVER } sy_dtls_role;
typedef enum sy_dtls_state {
    SY_DTLS_NEW,
    SY_DTLS_CONNECTING,
    SY_DTLS_CONNECTED, /* keys exported, fingerprint verified */
    SY_DTLS_CLOSED,    /* close_notify received */
    SY_DTLS_FAILED,    /* alert, bad fingerprint, timeout, error */
} sy_dtls_state;

typedef enum sy_srtp_profile {
    SY_SRTP_NONE = 0,
    SY_SRTP_AEAD_AES_128_GCM,
    SY_SRTP_AEAD_AES_256_GCM,
    SY_SRTP_AES128_CM_SHA1_80,
    SY_SRTP_AES128_CM_SHA1_32,
} sy_srtp_profile;

/* Keying material after the handshake (RFC 5764 4.2, label EXTRACTOR-dtls_srtp). */
typedef struct sy_srtp_keys {
    sy_srtp_profile profile;
    uint8_t local_key[32 + 14];  /* master key || master salt for what WE send */
    uint8_t remote_key[32 + 14]; /* for what we receive */
    size_t key_len, salt_len;
} sy_srtp_keys;

typedef struct sy_dtls sy_dtls;

/* Datagrams to send (one call per datagram). */
typedef void (*sy_dtls_send_fn)(void *user, const uint8_t *data, size_t len);
/* Application data (SCTP later) once connected. */
typedef void (*sy_dtls_data_fn)(void *user, const uint8_t *data, size_t len);

/* remote_fingerprints: the a=fingerprint values "hash value" (e.g. "sha-256 AB:..");
 * the strongest hash present is used (sha-512 > sha-384 > sha-256 > sha-224 > sha-1;
 * md5/md2 refused). Returns NULL if none is usable. */
sy_dtls *sy_dtls_new(sy_dtls_role role, const char *const *remote_fingerprints, size_t n,
                     sy_dtls_send_fn send, sy_dtls_data_fn data, void *user);
void sy_dtls_free(sy_dtls *d);
/* Client: sends the ClientHello. Server: waits. */
int sy_dtls_start(sy_dtls *d);
/* Feeds one received DTLS datagram. Returns the new state. */
sy_dtls_state sy_dtls_incoming(sy_dtls *d, const uint8_t *data, size_t len);
/* Milliseconds until sy_dtls_handle_timeout() must be called, or -1 if none. */
int64_t sy_dtls_timeout_ms(sy_dtls *d);
sy_dtls_state sy_dtls_handle_timeout(sy_dtls *d);
sy_dtls_state sy_dtls_state_get(const sy_dtls *d);
/* Valid once CONNECTED. */
const sy_srtp_keys *sy_dtls_srtp_keys(const sy_dtls *d);
/* Why it failed ("DTLS alert", "DTLS timeout", "DTLS error": Janus hangup reasons). */
const char *sy_dtls_failure_reason(const sy_dtls *d);
/* Sends application data (SCTP) over the connection: one record, len <= 1500 (set
 * SCTP's MTU to at most 1163 so the record fits the 1200-byte DTLS MTU). 0 or -1. */
int sy_dtls_send_app(sy_dtls *d, const uint8_t *data, size_t len);
/* Sends close_notify. */
void sy_dtls_close(sy_dtls *d);
const char *sy_srtp_profile_name(sy_srtp_profile p); /* "AEAD_AES_128_GCM", ... */

/* Test hook (unit tests and fuzzers only): the connection's OpenSSL SSL object, e.g. to
 * restrict a test client's SRTP profiles or MTU between sy_dtls_new and sy_dtls_start. */
void *sy_dtls_test_ssl(sy_dtls *d);
/* Test hook: moves the handshake deadline (normally 20 s after sy_dtls_start). */
void sy_dtls_test_set_deadline(sy_dtls *d, int64_t ms_from_now);

#endif
