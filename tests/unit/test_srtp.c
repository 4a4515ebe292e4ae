/*
 * SRTP/SRTCP (src/media/srtp.h) keyed from a real DTLS handshake (src/media/dtls.h):
 * for every profile, protect on one side and unprotect on the other for RTP and RTCP
 * in both directions; tampering -> SY_SRTP_E_AUTH; replays and too-old packets ->
 * SY_SRTP_E_REPLAY; no repeated send of a sequence number; many SSRCs, then removed.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "check.h"
#include "core/log.h"
#include "media/dtls.h"
#include "media/srtp.h"

/* ---- a DTLS pair in memory, for the keys ---- */

typedef struct end {
    sy_dtls *d;
    struct end *other;
    uint8_t q[32][1500];
    size_t qlen[32];
    int n;
} end;

static void on_send(void *user, const uint8_t *data, size_t len)
{
    end *e = ((end *)user)->other;
    if (e->n < 32 && len <= sizeof(e->q[0])) {
        memcpy(e->q[e->n], data, len);
        e->qlen[e->n++] = len;
    }
}

static void on_data(void *user, const uint8_t *data, size_t len)
{
    (void)user, (void)data, (void)len;
}

static int drain(end *e)
{
    int n = e->n;
    static uint8_t buf[32][1500];
    static size_t len[32];
    memcpy(buf, e->q, sizeof(buf));
    memcpy(len, e->qlen, sizeof(len));
    e->n = 0;
    for (int i = 0; i < n; i++)
        sy_dtls_incoming(e->d, buf[i], len[i]);
    return n;
}

/* Handshakes a client and a server; the client offers only `offer` if not NULL. */
static bool handshake(const char *offer, sy_srtp_keys *kc, sy_srtp_keys *ks)
{
    static end c, s;
    char fp[128];
    snprintf(fp, sizeof(fp), "sha-256 %s", sy_dtls_local_fingerprint());
    const char *fps[] = {fp};
    memset(&c, 0, sizeof(c));
    memset(&s, 0, sizeof(s));
    c.other = &s;
    s.other = &c;
    c.d = sy_dtls_new(SY_DTLS_CLIENT, fps, 1, on_send, on_data, &c);
    s.d = sy_dtls_new(SY_DTLS_SERVER, fps, 1, on_send, on_data, &s);
    if (offer) SSL_set_tlsext_use_srtp(sy_dtls_test_ssl(c.d), offer);
    sy_dtls_start(s.d);
    sy_dtls_start(c.d);
    for (int i = 0; i < 20; i++)
        if (drain(&s) + drain(&c) == 0) break;
    const sy_srtp_keys *a = sy_dtls_srtp_keys(c.d), *b = sy_dtls_srtp_keys(s.d);
    bool ok = a && b;
    if (ok) {
        *kc = *a;
        *ks = *b;
    }
    sy_dtls_free(c.d);
    sy_dtls_free(s.d);
    return ok;
}

/* ---- packets ---- */

#define RTP_LEN 1200

static size_t make_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq, size_t len)
{
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    uint32_t ts = (uint32_t)seq * 3000u;
    for (int i = 0; i < 4; i++) {
        buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
        buf[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    }
    for (size_t i = 12; i < len; i++)
        buf[i] = (uint8_t)(i * 7 + seq);
    return len;
}

/* An RTCP sender report (28 bytes). */
static size_t make_rtcp(uint8_t *buf, uint32_t ssrc)
{
    static const uint8_t sr[28] = {0x80, 200,  0,    6,    0, 0, 0,    0,    0xE4, 0x5A,
                                   0x3C, 0x1D, 0x80, 0,    0, 0, 0,    0x11, 0x22, 0x33,
                                   0,    0,    0,    0x64, 0, 0, 0x27, 0x10};
    memcpy(buf, sr, sizeof(sr));
    for (int i = 0; i < 4; i++)
        buf[4 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    return sizeof(sr);
}

static size_t tag_len(sy_srtp_profile p)
{
    return p == SY_SRTP_AES128_CM_SHA1_80 ? 10 : p == SY_SRTP_AES128_CM_SHA1_32 ? 4 : 16;
}

static void test_profile(const char *offer, sy_srtp_profile want)
{
    sy_srtp_keys kc, ks;
    CHECK(handshake(offer, &kc, &ks));
    CHECK_EQ_INT(kc.profile, want);
    sy_srtp *a = sy_srtp_new(&kc), *b = sy_srtp_new(&ks);
    CHECK(a && b);
    if (!a || !b) {
        sy_srtp_free(a);
        sy_srtp_free(b);
        return;
    }

    uint8_t plain[RTP_LEN], buf[RTP_LEN + SY_SRTP_MAX_TRAILER], saved[sizeof(buf)];
    for (int dir = 0; dir < 2; dir++) {
        sy_srtp *tx = dir ? b : a, *rx = dir ? a : b;
        uint32_t ssrc = dir ? 0x11111111u : 0x22222222u;
        /* RTP: protect, check it changed, unprotect, check it is back. */
        for (uint16_t seq = 1000; seq < 1010; seq++) {
            size_t len = make_rtp(plain, ssrc, seq, RTP_LEN);
            memcpy(buf, plain, len);
            CHECK_EQ_INT(sy_srtp_protect_rtp(tx, buf, &len), 0);
            CHECK_EQ_INT(len, RTP_LEN + tag_len(want));
            CHECK(memcmp(buf, plain, 12) == 0);            /* header in clear */
            CHECK(memcmp(buf + 12, plain + 12, 100) != 0); /* payload encrypted */
            memcpy(saved, buf, len);
            size_t saved_len = len;
            CHECK_EQ_INT(sy_srtp_unprotect_rtp(rx, buf, &len), 0);
            CHECK_EQ_INT(len, RTP_LEN);
            CHECK(memcmp(buf, plain, RTP_LEN) == 0);
            /* The same packet again: a replay. */
            memcpy(buf, saved, saved_len);
            len = saved_len;
            CHECK_EQ_INT(sy_srtp_unprotect_rtp(rx, buf, &len), SY_SRTP_E_REPLAY);
        }
        /* Tampered payload, header or tag: authentication fails. */
        size_t at[] = {500, 2, RTP_LEN + tag_len(want) - 1};
        for (size_t i = 0; i < 3; i++) {
            size_t len = make_rtp(buf, ssrc, (uint16_t)(2000 + i), RTP_LEN);
            CHECK_EQ_INT(sy_srtp_protect_rtp(tx, buf, &len), 0);
            buf[at[i]] ^= 0x01;
            CHECK_EQ_INT(sy_srtp_unprotect_rtp(rx, buf, &len), SY_SRTP_E_AUTH);
        }
        /* After a failed authentication the genuine packet is still accepted. */
        {
            size_t len = make_rtp(buf, ssrc, 2100, RTP_LEN);
            CHECK_EQ_INT(sy_srtp_protect_rtp(tx, buf, &len), 0);
            memcpy(saved, buf, len);
            size_t l2 = len;
            buf[20] ^= 0xFF;
            CHECK_EQ_INT(sy_srtp_unprotect_rtp(rx, buf, &len), SY_SRTP_E_AUTH);
            CHECK_EQ_INT(sy_srtp_unprotect_rtp(rx, saved, &l2), 0);
        }
        /* The sender refuses to protect a sequence number twice (no allow_repeat_tx). */
        {
            size_t len = make_rtp(buf, ssrc, 2100, RTP_LEN);
            CHECK_EQ_INT(sy_srtp_protect_rtp(tx, buf, &len), SY_SRTP_E_REPLAY);
        }
        /* Delivered late, far behind the 1024-packet window: too old. (The sender
         * refuses to protect that far behind itself, so it is protected in order and
         * held back.) */
        {
            static uint8_t old[RTP_LEN + SY_SRTP_MAX_TRAILER], near[RTP_LEN + SY_SRTP_MAX_TRAILER];
            size_t old_len = make_rtp(old, ssrc, 3000, RTP_LEN);
            CHECK_EQ_INT(sy_srtp_protect_rtp(tx, old, &old_len), 0);
            size_t near_len = make_rtp(near, ssrc, 5500, RTP_LEN);
            CHECK_EQ_INT(sy_srtp_protect_rtp(tx, near, &near_len), 0);
            size_t len = make_rtp(buf, ssrc, 6000, RTP_LEN);
            CHECK_EQ_INT(sy_srtp_protect_rtp(tx, buf, &len), 0);
            CHECK_EQ_INT(sy_srtp_unprotect_rtp(rx, buf, &len), 0);
            CHECK_EQ_INT(sy_srtp_unprotect_rtp(rx, old, &old_len), SY_SRTP_E_REPLAY);
            CHECK_EQ_INT(sy_srtp_unprotect_rtp(rx, near, &near_len), 0); /* inside */
            len = make_rtp(buf, ssrc, 2500, RTP_LEN); /* the sender will not go back */
            CHECK_EQ_INT(sy_srtp_protect_rtp(tx, buf, &len), SY_SRTP_E_REPLAY);
        }

        /* RTCP. */
        for (int k = 0; k < 3; k++) {
            uint8_t rtcp[28];
            size_t len = make_rtcp(buf, ssrc);
            memcpy(rtcp, buf, len);
            CHECK_EQ_INT(sy_srtp_protect_rtcp(tx, buf, &len), 0);
            size_t rtcp_tag = want == SY_SRTP_AES128_CM_SHA1_32 ? 10 : tag_len(want);
            CHECK_EQ_INT(len, 28 + 4 + rtcp_tag); /* E flag + index, then the tag */
            memcpy(saved, buf, len);
            size_t saved_len = len;
            CHECK_EQ_INT(sy_srtp_unprotect_rtcp(rx, buf, &len), 0);
            CHECK_EQ_INT(len, 28);
            CHECK(memcmp(buf, rtcp, 28) == 0);
            memcpy(buf, saved, saved_len);
            len = saved_len;
            CHECK_EQ_INT(sy_srtp_unprotect_rtcp(rx, buf, &len), SY_SRTP_E_REPLAY);
            /* A fresh packet, tampered. */
            len = make_rtcp(buf, ssrc);
            CHECK_EQ_INT(sy_srtp_protect_rtcp(tx, buf, &len), 0);
            buf[10] ^= 0x40;
            CHECK_EQ_INT(sy_srtp_unprotect_rtcp(rx, buf, &len), SY_SRTP_E_AUTH);
        }
        /* Packets from the wrong direction (our own outbound keys) do not authenticate. */
        {
            size_t len = make_rtp(buf, ssrc, 7000, RTP_LEN);
            CHECK_EQ_INT(sy_srtp_protect_rtp(rx, buf, &len), 0);
            CHECK_EQ_INT(sy_srtp_unprotect_rtp(rx, buf, &len), SY_SRTP_E_AUTH);
        }
    }

    /* Malformed input: errors, never a crash. */
    {
        uint8_t small[64];
        memset(small, 0x80, sizeof(small));
        for (size_t len = 0; len < sizeof(small); len += 5) {
            size_t l = len;
            CHECK(sy_srtp_unprotect_rtp(b, small, &l) < 0);
            l = len;
            CHECK(sy_srtp_unprotect_rtcp(b, small, &l) < 0);
        }
    }
    sy_srtp_free(a);
    sy_srtp_free(b);
}

/* SSRCs an authenticated peer sends without signaling them: each creates a libsrtp
 * stream on the receiving side, and sy_srtp_remove_inbound_ssrc frees it. */
static void test_many_ssrcs(void)
{
    sy_srtp_keys kc, ks;
    CHECK(handshake(NULL, &kc, &ks));
    sy_srtp *a = sy_srtp_new(&kc), *b = sy_srtp_new(&ks);
    CHECK(a && b);
    if (!a || !b) return;
    enum { N = 2000 };
    static uint8_t first[N][64 + SY_SRTP_MAX_TRAILER];
    static size_t first_len[N];
    uint8_t buf[64 + SY_SRTP_MAX_TRAILER];
    struct mallinfo2 m0 = mallinfo2();
    uint32_t n = 0;
    for (; n < N; n++) {
        size_t len = make_rtp(buf, 0x10000000u + n, 1, 64);
        int r = sy_srtp_protect_rtp(a, buf, &len);
        /* srtp_evp.c has a fixed SSRC table per direction (128): the next one is refused */
        if (r == SY_SRTP_E_OTHER && n >= 96) break;
        CHECK_EQ_INT(r, 0);
        memcpy(first[n], buf, len);
        first_len[n] = len;
        CHECK_EQ_INT(sy_srtp_unprotect_rtp(b, buf, &len), 0);
    }
    struct mallinfo2 m1 = mallinfo2();
    /* Replays are refused while the streams exist ... */
    size_t len = first_len[7];
    memcpy(buf, first[7], len);
    CHECK_EQ_INT(sy_srtp_unprotect_rtp(b, buf, &len), SY_SRTP_E_REPLAY);
    for (uint32_t i = 0; i < n; i++)
        sy_srtp_remove_inbound_ssrc(b, 0x10000000u + i);
    sy_srtp_remove_inbound_ssrc(b, 0xDEADBEEF); /* unknown: no effect */
    struct mallinfo2 m2 = mallinfo2();
    /* ... and the state is gone after removal: the same packet is new again. */
    len = first_len[7];
    memcpy(buf, first[7], len);
    CHECK_EQ_INT(sy_srtp_unprotect_rtp(b, buf, &len), 0);
    if (m1.uordblks > m0.uordblks) { /* not under ASan, whose allocator mallinfo does not see */
        size_t grown = m1.uordblks - m0.uordblks, left = m2.uordblks - m0.uordblks;
        printf("%d inbound SSRCs: +%zu KiB (%zu bytes each, both sides), %zu KiB left after "
               "removal\n",
               (int)n, grown / 1024, grown / n, left > (size_t)m2.uordblks ? 0 : left / 1024);
#ifdef SY_SRTP_EVP
        /* srtp_evp.c grows its table to at most 128 streams per direction and keeps it
         * (removal frees the slot, not the memory): bounded, a few hundred bytes each. */
        CHECK(grown / n < 1024);
        CHECK(m2.uordblks <= m1.uordblks);
#else
        /* Removing the inbound streams frees about half (the outbound ones stay). */
        CHECK(m2.uordblks < m1.uordblks - grown / 3);
#endif
    }
    printf("%u SSRCs per direction accepted\n", n);
    sy_srtp_free(a);
    sy_srtp_free(b);
}

int main(void)
{
    sy_log_set_level(SY_LOG_WARN);
    CHECK_EQ_INT(sy_srtp_global_init(), 0);
    CHECK_EQ_INT(sy_dtls_global_init(NULL, NULL, NULL), 0);

    sy_srtp_keys none;
    memset(&none, 0, sizeof(none));
    CHECK(sy_srtp_new(&none) == NULL);
    CHECK(sy_srtp_new(NULL) == NULL);

    test_profile(NULL, SY_SRTP_AEAD_AES_128_GCM);
    test_profile("SRTP_AEAD_AES_256_GCM", SY_SRTP_AEAD_AES_256_GCM);
    test_profile("SRTP_AES128_CM_SHA1_80", SY_SRTP_AES128_CM_SHA1_80);
    test_profile("SRTP_AES128_CM_SHA1_32", SY_SRTP_AES128_CM_SHA1_32);
    test_many_ssrcs();

    sy_dtls_global_cleanup();
    sy_srtp_global_cleanup();
    return CHECK_DONE();
}
