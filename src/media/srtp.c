/*
 * SRTP/SRTCP with libsrtp2 (see srtp.h). Two libsrtp sessions per peer connection: the
 * inbound one keyed with the remote keys (ssrc_any_inbound: a stream per SSRC is
 * created on the first packet that authenticates), the outbound one keyed with ours
 * (ssrc_any_outbound). Protect and unprotect work in place; nothing here allocates,
 * locks or logs per packet (libsrtp allocates once per new SSRC).
 */
#include "media/srtp.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "core/log.h"

/* Replay window (libsrtp allows 64 <= w < 0x8000; its default is 128). 1024 tolerates
 * the reordering of a video keyframe burst over a jittery path. */
#define SY_SRTP_WINDOW 1024

struct sy_srtp {
    srtp_t in;
    srtp_t out;
};

_Static_assert(SY_SRTP_MAX_TRAILER >= SRTP_MAX_TRAILER_LEN + 4,
               "SY_SRTP_MAX_TRAILER must cover the SRTP trailer and the SRTCP index");

int sy_srtp_global_init(void)
{
    srtp_err_status_t st = srtp_init();
    if (st != srtp_err_status_ok) {
        SY_ERROR("srtp: srtp_init failed (%d)", (int)st);
        return -1;
    }
    return 0;
}

void sy_srtp_global_cleanup(void)
{
    srtp_shutdown();
}

/* The libsrtp crypto policies of a DTLS-SRTP profile (RFC 5764 4.1.2, RFC 7714 14.2). */
static int set_policy(srtp_policy_t *p, sy_srtp_profile profile)
{
    switch (profile) {
    case SY_SRTP_AEAD_AES_128_GCM:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
        return 0;
    case SY_SRTP_AEAD_AES_256_GCM:
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
        return 0;
    case SY_SRTP_AES128_CM_SHA1_80:
        srtp_crypto_policy_set_rtp_default(&p->rtp); /* AES_CM_128_HMAC_SHA1_80 */
        srtp_crypto_policy_set_rtcp_default(&p->rtcp);
        return 0;
    case SY_SRTP_AES128_CM_SHA1_32:
        /* The 32-bit tag is for SRTP only; SRTCP keeps the 80-bit tag (RFC 5764). */
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
        srtp_crypto_policy_set_rtcp_default(&p->rtcp);
        return 0;
    default:
        return -1;
    }
}

static srtp_t create_session(const sy_srtp_keys *keys, const uint8_t *key, srtp_ssrc_type_t type)
{
    srtp_policy_t policy;
    memset(&policy, 0, sizeof(policy));
    if (set_policy(&policy, keys->profile) != 0) return NULL;
    policy.ssrc.type = type;
    policy.key = (unsigned char *)key; /* master key || master salt; libsrtp copies it */
    policy.window_size = SY_SRTP_WINDOW;
    /* No repeated sequence numbers on send: retransmissions go out as RTX on their own
     * SSRC (RFC 4588). If the media core ever resends an already protected packet on
     * the same SSRC, srtp_protect refuses it (srtp_err_status_replay_fail ->
     * SY_SRTP_E_REPLAY) instead of encrypting twice with the same keystream; enabling
     * allow_repeat_tx would be safe only if the payload were byte-identical. */
    policy.allow_repeat_tx = 0;
    policy.next = NULL;
    srtp_t s = NULL;
    srtp_err_status_t st = srtp_create(&s, &policy);
    if (st != srtp_err_status_ok) {
        SY_WARN("srtp: srtp_create failed (%d) for %s", (int)st,
                sy_srtp_profile_name(keys->profile));
        return NULL;
    }
    return s;
}

sy_srtp *sy_srtp_new(const sy_srtp_keys *keys)
{
    if (!keys || keys->key_len + keys->salt_len > sizeof(keys->local_key)) return NULL;
    sy_srtp *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->in = create_session(keys, keys->remote_key, ssrc_any_inbound);
    s->out = s->in ? create_session(keys, keys->local_key, ssrc_any_outbound) : NULL;
    if (!s->out) {
        sy_srtp_free(s);
        return NULL;
    }
    return s;
}

void sy_srtp_free(sy_srtp *s)
{
    if (!s) return;
    if (s->in) srtp_dealloc(s->in);
    if (s->out) srtp_dealloc(s->out);
    free(s);
}

static int map_status(srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok:
        return 0;
    case srtp_err_status_auth_fail:
        return SY_SRTP_E_AUTH;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        return SY_SRTP_E_REPLAY;
    default:
        return SY_SRTP_E_OTHER;
    }
}

/* libsrtp takes an int length; a datagram is far below INT_MAX, but check anyway. */
static inline int to_int_len(const size_t *len, int *out)
{
    if (*len > (size_t)INT_MAX - SY_SRTP_MAX_TRAILER) return -1;
    *out = (int)*len;
    return 0;
}

int sy_srtp_unprotect_rtp(sy_srtp *s, uint8_t *buf, size_t *len)
{
    int n;
    if (to_int_len(len, &n) != 0) return SY_SRTP_E_OTHER;
    int r = map_status(srtp_unprotect(s->in, buf, &n));
    if (r == 0) *len = (size_t)n;
    return r;
}

int sy_srtp_unprotect_rtcp(sy_srtp *s, uint8_t *buf, size_t *len)
{
    int n;
    if (to_int_len(len, &n) != 0) return SY_SRTP_E_OTHER;
    int r = map_status(srtp_unprotect_rtcp(s->in, buf, &n));
    if (r == 0) *len = (size_t)n;
    return r;
}

int sy_srtp_protect_rtp(sy_srtp *s, uint8_t *buf, size_t *len)
{
    int n;
    if (to_int_len(len, &n) != 0) return SY_SRTP_E_OTHER;
    int r = map_status(srtp_protect(s->out, buf, &n));
    if (r == 0) *len = (size_t)n;
    return r;
}

int sy_srtp_protect_rtcp(sy_srtp *s, uint8_t *buf, size_t *len)
{
    int n;
    if (to_int_len(len, &n) != 0) return SY_SRTP_E_OTHER;
    int r = map_status(srtp_protect_rtcp(s->out, buf, &n));
    if (r == 0) *len = (size_t)n;
    return r;
}

void sy_srtp_remove_inbound_ssrc(sy_srtp *s, uint32_t ssrc)
{
    if (s) srtp_remove_stream(s->in, htonl(ssrc)); /* libsrtp wants network byte order */
}
