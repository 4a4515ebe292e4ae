/*
 * SRTP/SRTCP sessions (libsrtp2) for one peer connection: one inbound session keyed
 * with the remote keys, one outbound keyed with ours. Owning worker thread only.
 * Failures (auth, replay) are returned, never fatal; the caller drops and counts.
 */
#ifndef SY_SRTP_H
#define SY_SRTP_H

#include <stddef.h>
#include <stdint.h>

#include "media/dtls.h"

/* Once per process (srtp_init), main thread. */
int sy_srtp_global_init(void);
void sy_srtp_global_cleanup(void);

typedef struct sy_srtp sy_srtp;

/* Creates both directions from the exported keys. NULL on error. */
sy_srtp *sy_srtp_new(const sy_srtp_keys *keys);
void sy_srtp_free(sy_srtp *s);

/* In place. *len is the datagram length in, the plaintext length out.
 * Return 0, or a negative error (SY_SRTP_E_AUTH, SY_SRTP_E_REPLAY, SY_SRTP_E_OTHER). */
int sy_srtp_unprotect_rtp(sy_srtp *s, uint8_t *buf, size_t *len);
int sy_srtp_unprotect_rtcp(sy_srtp *s, uint8_t *buf, size_t *len);
/* In place; buf must have room for SY_SRTP_MAX_TRAILER more bytes. */
int sy_srtp_protect_rtp(sy_srtp *s, uint8_t *buf, size_t *len);
int sy_srtp_protect_rtcp(sy_srtp *s, uint8_t *buf, size_t *len);
/* Removes the inbound stream state of an SSRC (unsignaled SSRC floods). */
void sy_srtp_remove_inbound_ssrc(sy_srtp *s, uint32_t ssrc);

#define SY_SRTP_MAX_TRAILER 148 /* SRTP_MAX_TRAILER_LEN */
enum { SY_SRTP_E_AUTH = -1, SY_SRTP_E_REPLAY = -2, SY_SRTP_E_OTHER = -3 };

#endif
