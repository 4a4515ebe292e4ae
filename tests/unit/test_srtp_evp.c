/*
 * SRTP/SRTCP on OpenSSL (src/media/srtp_evp.c, SY_SRTP_EVP=ON) against libsrtp2 and the
 * published vectors: RFC 3711 B.2 (AES-CM keystream) and B.3 (key derivation), RFC 6188
 * 7.2 (AES-256 key derivation), RFC 7714 16.1.1/16.2.1 (SRTP GCM) and 17.1/17.2 (SRTCP
 * GCM). For every profile, packets protected by ours unprotect with libsrtp and the other
 * way round (RTP and RTCP, several SSRCs, header extension and CSRCs, sequence number
 * wraparound, reordering within the window), replays and too-old packets are refused,
 * tampering is refused and leaves the packet as it was, the SSRC table is bounded, and
 * steady-state protect/unprotect make no OpenSSL allocation.
 *
 * With SY_SRTP_EVP=OFF (srtp.c, libsrtp) the test hooks below are absent (weak symbols,
 * NULL) and only the libsrtp interop checks run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include "check.h"
#include "core/log.h"
#include "media/dtls.h"
#include "media/srtp.h"

/* Test hooks of srtp_evp.c. */
__attribute__((weak)) int sy_srtp_evp_test_kdf(const uint8_t *mkey, size_t key_len,
                                               const uint8_t *msalt, size_t salt_len,
                                               uint8_t label, uint8_t *out, size_t out_len);
__attribute__((weak)) sy_srtp *sy_srtp_evp_test_new_session(sy_srtp_profile p,
                                                            const uint8_t *enc_key,
                                                            const uint8_t *auth_key,
                                                            const uint8_t *salt);

/* ---- OpenSSL allocation counter (installed before any OpenSSL call) ---- */

static long n_alloc;

static void *count_malloc(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    __atomic_add_fetch(&n_alloc, 1, __ATOMIC_RELAXED);
    return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file, (void)line;
    __atomic_add_fetch(&n_alloc, 1, __ATOMIC_RELAXED);
    return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
    (void)file, (void)line;
    free(p);
}

/* ---- helpers ---- */

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        while (*h == ' ')
            h++;
        if (!h[0] || !h[1]) break;
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static size_t tag_len(sy_srtp_profile p)
{
    return p == SY_SRTP_AES128_CM_SHA1_80 ? 10 : p == SY_SRTP_AES128_CM_SHA1_32 ? 4 : 16;
}

static size_t rtcp_tag_len(sy_srtp_profile p)
{
    return p == SY_SRTP_AES128_CM_SHA1_32 || p == SY_SRTP_AES128_CM_SHA1_80 ? 10 : 16;
}

/* An RTP packet: flags selects CSRCs (1) and a header extension (2). */
static size_t make_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq, size_t payload, int flags)
{
    size_t h = 12;
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    uint32_t ts = (uint32_t)seq * 3000u;
    for (int i = 0; i < 4; i++) {
        buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
        buf[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    }
    if (flags & 1) {
        buf[0] |= 2; /* two CSRCs */
        for (int i = 0; i < 8; i++)
            buf[h++] = (uint8_t)(0xC0 + i);
    }
    if (flags & 2) {
        buf[0] |= 0x10; /* one-byte extension header, 2 words */
        const uint8_t ext[12] = {0xBE, 0xDE, 0, 2, 0x10, 0xAA, 0x21, 0x01, 0x02, 0, 0, 0};
        memcpy(buf + h, ext, sizeof(ext));
        h += sizeof(ext);
    }
    for (size_t i = 0; i < payload; i++)
        buf[h + i] = (uint8_t)(i * 7 + seq);
    return h + payload;
}

static size_t make_rtcp(uint8_t *buf, uint32_t ssrc, uint32_t n)
{
    static const uint8_t sr[28] = {0x80, 200,  0,    6,    0, 0, 0,    0,    0xE4, 0x5A,
                                   0x3C, 0x1D, 0x80, 0,    0, 0, 0,    0x11, 0x22, 0x33,
                                   0,    0,    0,    0x64, 0, 0, 0x27, 0x10};
    memcpy(buf, sr, sizeof(sr));
    for (int i = 0; i < 4; i++) {
        buf[4 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
        buf[20 + i] = (uint8_t)(n >> (24 - 8 * i));
    }
    return sizeof(sr);
}

/* ---- known answers ---- */

static void test_rfc3711_vectors(void)
{
    uint8_t key[32], salt[14], exp[128], out[128];
    /* B.2: AES-CM keystream, session key and salt, SSRC 0, index 0. */
    unhex("2B7E151628AED2A6ABF7158809CF4F3C", key);
    unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt);
    static uint8_t ks[0xFF02 * 16];
    CHECK_EQ_INT(sy_srtp_evp_test_kdf(key, 16, salt, 14, 0, ks, sizeof(ks)), 0);
    unhex("E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB"
          "41E95B3BB0A2E8DD477901E4FCA894C0",
          exp);
    CHECK(memcmp(ks, exp, 48) == 0);
    unhex("EC8CDF7398607CB0F2D21675EA9EA1E4362B7C3C6773516318A077D7FC5073AE"
          "6A2CC3787889374FBEB4C81B17BA6C44",
          exp);
    CHECK(memcmp(ks + 0xFEFF * 16, exp, 48) == 0);

    /* The same keystream through the packet path: a zero payload encrypts to it. */
    {
        sy_srtp *s = sy_srtp_evp_test_new_session(SY_SRTP_AES128_CM_SHA1_80, key,
                                                  (const uint8_t *)"01234567890123456789", salt);
        CHECK(s != NULL);
        uint8_t pkt[12 + 48 + SY_SRTP_MAX_TRAILER];
        memset(pkt, 0, sizeof(pkt));
        pkt[0] = 0x80; /* SSRC 0, seq 0, ROC 0 */
        size_t len = 12 + 48;
        CHECK_EQ_INT(sy_srtp_protect_rtp(s, pkt, &len), 0);
        CHECK(memcmp(pkt + 12, ks, 48) == 0);
        sy_srtp_free(s);
    }

    /* B.3: key derivation (labels 0, 1, 2). */
    unhex("E1F97A0D3E018BE0D64FA32C06DE4139", key);
    unhex("0EC675AD498AFEEBB6960B3AABE6", salt);
    CHECK_EQ_INT(sy_srtp_evp_test_kdf(key, 16, salt, 14, 0, out, 16), 0);
    unhex("C61E7A93744F39EE10734AFE3FF7A087", exp);
    CHECK(memcmp(out, exp, 16) == 0);
    CHECK_EQ_INT(sy_srtp_evp_test_kdf(key, 16, salt, 14, 2, out, 14), 0);
    unhex("30CBBC08863D8C85D49DB34A9AE1", exp);
    CHECK(memcmp(out, exp, 14) == 0);
    CHECK_EQ_INT(sy_srtp_evp_test_kdf(key, 16, salt, 14, 1, out, 94), 0);
    unhex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE"
          "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25"
          "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2",
          exp);
    CHECK(memcmp(out, exp, 94) == 0);

    /* RFC 6188 7.2: AES-256 key derivation (the AEAD_AES_256_GCM KDF). */
    unhex("f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6", key);
    unhex("3b04803de51ee7c96423ab5b78d2", salt);
    CHECK_EQ_INT(sy_srtp_evp_test_kdf(key, 32, salt, 14, 0, out, 32), 0);
    unhex("5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4", exp);
    CHECK(memcmp(out, exp, 32) == 0);
    CHECK_EQ_INT(sy_srtp_evp_test_kdf(key, 32, salt, 14, 2, out, 14), 0);
    unhex("fa31791685ca444a9e07c6c64e93", exp);
    CHECK(memcmp(out, exp, 14) == 0);
}

static void test_rfc7714_vectors(void)
{
    uint8_t key[32], salt[12], exp[128], pkt[128 + SY_SRTP_MAX_TRAILER], plain[128];
    unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key);
    unhex("517569642070726f2071756f", salt);
    const char *rtp = "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e6973206469766973"
                      "6120696e207061727465732074726573";
    /* 16.1.1 / 16.2.1: encryption of an RTP packet (SSRC 0x5501a0b2, SEQ 0xf17b, ROC 0). */
    const struct {
        sy_srtp_profile p;
        const char *cipher;
    } v[] = {
        {SY_SRTP_AEAD_AES_128_GCM, "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bca"
                                   "be633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb1"
                                   "6a9152cf765ee4390cce"},
        {SY_SRTP_AEAD_AES_256_GCM, "8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aa"
                                   "b18012389a58e2f3b50b2a0276ffae0f1ba63799b87b7aa3db36dfff"
                                   "d6b0f9bb7878d7a76c13"},
    };
    for (size_t i = 0; i < 2; i++) {
        sy_srtp *s = sy_srtp_evp_test_new_session(v[i].p, key, NULL, salt);
        CHECK(s != NULL);
        if (!s) continue;
        size_t len = unhex(rtp, pkt), elen = unhex(v[i].cipher, exp), plen = len;
        memcpy(plain, pkt, len);
        CHECK_EQ_INT(sy_srtp_protect_rtp(s, pkt, &len), 0);
        CHECK_EQ_INT(len, elen);
        CHECK(memcmp(pkt, exp, elen) == 0);
        /* 16.1.2: and back (the same keys inbound). */
        CHECK_EQ_INT(sy_srtp_unprotect_rtp(s, pkt, &len), 0);
        CHECK_EQ_INT(len, plen);
        CHECK(memcmp(pkt, plain, plen) == 0);
        sy_srtp_free(s);
    }
    /* 17.1 / 17.2: decryption of an SRTCP packet (SSRC "Mars", index 0x5d4, E = 1). */
    const char *rtcp = "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61"
                       "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";
    const struct {
        sy_srtp_profile p;
        const char *cipher;
    } w[] = {
        {SY_SRTP_AEAD_AES_128_GCM, "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f7"
                                   "6c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa458"
                                   "96cf4d2fc5abf87245d9eade800005d4"},
        {SY_SRTP_AEAD_AES_256_GCM, "81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5d"
                                   "bffe0a50a2eaa5c1110555be8415f658c61de0476f1b6fad1d1eb30c"
                                   "4446839f57ff6f6cb26ac3be800005d4"},
    };
    for (size_t i = 0; i < 2; i++) {
        sy_srtp *s = sy_srtp_evp_test_new_session(w[i].p, key, NULL, salt);
        CHECK(s != NULL);
        if (!s) continue;
        size_t plen = unhex(rtcp, plain), len = unhex(w[i].cipher, pkt);
        CHECK_EQ_INT(sy_srtp_unprotect_rtcp(s, pkt, &len), 0);
        CHECK_EQ_INT(len, plen);
        CHECK(memcmp(pkt, plain, plen) == 0);
        len = unhex(w[i].cipher, pkt); /* again: a replay */
        CHECK_EQ_INT(sy_srtp_unprotect_rtcp(s, pkt, &len), SY_SRTP_E_REPLAY);
        sy_srtp_free(s);
    }
}

/* ---- interop with libsrtp ---- */

static void lib_policy(srtp_policy_t *p, sy_srtp_profile profile, const uint8_t *key,
                       srtp_ssrc_type_t type)
{
    memset(p, 0, sizeof(*p));
    switch (profile) {
    case SY_SRTP_AEAD_AES_128_GCM:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
        break;
    case SY_SRTP_AEAD_AES_256_GCM:
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
        break;
    case SY_SRTP_AES128_CM_SHA1_80:
        srtp_crypto_policy_set_rtp_default(&p->rtp);
        srtp_crypto_policy_set_rtcp_default(&p->rtcp);
        break;
    default:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
        srtp_crypto_policy_set_rtcp_default(&p->rtcp);
        break;
    }
    p->ssrc.type = type;
    p->key = (unsigned char *)key;
    p->window_size = 1024;
}

static srtp_t lib_session(sy_srtp_profile profile, const uint8_t *key, srtp_ssrc_type_t type)
{
    srtp_policy_t p;
    lib_policy(&p, profile, key, type);
    srtp_t s = NULL;
    CHECK_EQ_INT(srtp_create(&s, &p), srtp_err_status_ok);
    return s;
}

static void make_keys(sy_srtp_keys *k, sy_srtp_profile p)
{
    memset(k, 0, sizeof(*k));
    k->profile = p;
    k->key_len = p == SY_SRTP_AEAD_AES_256_GCM ? 32 : 16;
    k->salt_len = p == SY_SRTP_AEAD_AES_128_GCM || p == SY_SRTP_AEAD_AES_256_GCM ? 12 : 14;
    for (size_t i = 0; i < k->key_len + k->salt_len; i++) {
        k->local_key[i] = (uint8_t)rnd();
        k->remote_key[i] = (uint8_t)rnd();
    }
}

#define BUFSZ (1300 + SY_SRTP_MAX_TRAILER)

/* srtp_evp.c (not libsrtp behind srtp.c): a packet failing authentication is left as it
 * came (libsrtp's GCM leaves it decrypted). */
static bool evp;

static const char *pname(sy_srtp_profile p)
{
    return sy_srtp_profile_name(p);
}

static void test_interop(sy_srtp_profile prof)
{
    printf("interop %s\n", pname(prof));
    sy_srtp_keys k;
    make_keys(&k, prof);
    sy_srtp *ours = sy_srtp_new(&k);
    CHECK(ours != NULL);
    if (!ours) return;
    /* libsrtp as the peer: decrypts what we send (our local key), sends with our remote. */
    srtp_t lib_rx = lib_session(prof, k.local_key, ssrc_any_inbound);
    srtp_t lib_tx = lib_session(prof, k.remote_key, ssrc_any_outbound);
    static uint8_t buf[BUFSZ], plain[BUFSZ], saved[BUFSZ];
    const uint32_t ssrcs[] = {0x11111111u, 0xDEADBEEFu, 0x00000001u};
    size_t tag = tag_len(prof);

    /* RTP ours -> libsrtp: from sequence 65000 through the wrap (ROC 0 -> 1 -> 2) per
     * SSRC, with CSRCs and header extensions, varying sizes. */
    int bad = 0;
    for (int si = 0; si < 3; si++) {
        uint16_t seq = (uint16_t)(65000 + si * 100);
        for (int i = 0; i < 1300 + 65536 / 50; i++, seq++) {
            if (i > 1300 && (i % 50) != 0) continue;
            size_t len = make_rtp(buf, ssrcs[si], seq, 1 + rnd() % 1200, (int)(rnd() % 4));
            memcpy(plain, buf, len);
            size_t plen = len;
            if (sy_srtp_protect_rtp(ours, buf, &len) != 0 || len != plen + tag) {
                bad++;
                continue;
            }
            int n = (int)len;
            if (srtp_unprotect(lib_rx, buf, &n) != srtp_err_status_ok || (size_t)n != plen ||
                memcmp(buf, plain, plen) != 0)
                bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
    /* ... the skipping loop above sends every 50th packet after the first 1300: in
     * sequence order for both sides, so ROC tracking goes past 65535 twice. Now jump
     * further: one packet per 30000 sequence numbers (still < 2^15 apart). */
    {
        uint16_t seq = 0;
        for (int i = 0; i < 8; i++) {
            seq = (uint16_t)(seq + 30000);
            size_t len = make_rtp(buf, 0x77777777u, seq, 100, 0), plen = len;
            memcpy(plain, buf, len);
            CHECK_EQ_INT(sy_srtp_protect_rtp(ours, buf, &len), 0);
            int n = (int)len;
            CHECK_EQ_INT(srtp_unprotect(lib_rx, buf, &n), srtp_err_status_ok);
            CHECK(memcmp(buf, plain, plen) == 0);
        }
    }

    /* RTP libsrtp -> ours, reordered inside the window, through the wrap. */
    enum { BATCH = 64 };
    static uint8_t held[BATCH][BUFSZ], held_plain[BATCH][BUFSZ];
    static size_t held_len[BATCH], held_plen[BATCH];
    bad = 0;
    int replays_ok = 0;
    for (int si = 0; si < 3; si++) {
        uint16_t seq = (uint16_t)(65200 + si * 7);
        for (int b = 0; b < 20; b++) { /* 20 * 64 = 1280 packets: crosses 65535 */
            for (int i = 0; i < BATCH; i++, seq++) {
                size_t len = make_rtp(held[i], ssrcs[si], seq, 1 + rnd() % 1200, (int)(rnd() % 4));
                memcpy(held_plain[i], held[i], len);
                held_plen[i] = len;
                int n = (int)len;
                CHECK_EQ_INT(srtp_protect(lib_tx, held[i], &n), srtp_err_status_ok);
                held_len[i] = (size_t)n;
            }
            /* deliver in a shuffled order */
            int order[BATCH];
            for (int i = 0; i < BATCH; i++)
                order[i] = i;
            for (int i = BATCH - 1; i > 0; i--) {
                int j = (int)(rnd() % (unsigned)(i + 1)), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int oi = 0; oi < BATCH; oi++) {
                int i = order[oi];
                size_t len = held_len[i];
                memcpy(buf, held[i], len);
                if (sy_srtp_unprotect_rtp(ours, buf, &len) != 0 || len != held_plen[i] ||
                    memcmp(buf, held_plain[i], len) != 0)
                    bad++;
            }
            /* every one of them again: replays */
            for (int i = 0; i < BATCH; i += 7) {
                size_t len = held_len[i];
                memcpy(buf, held[i], len);
                if (sy_srtp_unprotect_rtp(ours, buf, &len) == SY_SRTP_E_REPLAY) replays_ok++;
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(replays_ok, 3 * 20 * ((BATCH + 6) / 7));

    /* Too old: a packet held back while more than 1024 newer ones arrive. */
    {
        uint32_t ssrc = ssrcs[0];
        uint16_t seq = 20000;
        static uint8_t old[BUFSZ], edge[BUFSZ];
        size_t old_len = make_rtp(old, ssrc, seq, 200, 0);
        int n = (int)old_len;
        CHECK_EQ_INT(srtp_protect(lib_tx, old, &n), srtp_err_status_ok);
        old_len = (size_t)n;
        size_t edge_len = make_rtp(edge, ssrc, (uint16_t)(seq + 1), 200, 0);
        n = (int)edge_len;
        CHECK_EQ_INT(srtp_protect(lib_tx, edge, &n), srtp_err_status_ok);
        edge_len = (size_t)n;
        /* highest = seq + 1024: seq is 1024 behind (out), seq + 1 is 1023 behind (in) */
        for (uint16_t s = (uint16_t)(seq + 2); s != (uint16_t)(seq + 1025); s++) {
            size_t len = make_rtp(buf, ssrc, s, 20, 0);
            n = (int)len;
            CHECK_EQ_INT(srtp_protect(lib_tx, buf, &n), srtp_err_status_ok);
            len = (size_t)n;
            if (s == (uint16_t)(seq + 1024)) CHECK_EQ_INT(sy_srtp_unprotect_rtp(ours, buf, &len), 0);
        }
        CHECK_EQ_INT(sy_srtp_unprotect_rtp(ours, old, &old_len), SY_SRTP_E_REPLAY);
        CHECK_EQ_INT(sy_srtp_unprotect_rtp(ours, edge, &edge_len), 0);
    }

    /* Tampered tag, payload, header byte, CSRC, extension: SY_SRTP_E_AUTH, packet unchanged,
     * and the genuine packet still accepted afterwards. */
    {
        uint32_t ssrc = ssrcs[1];
        uint16_t seq = 30000;
        for (int what = 0; what < 5; what++, seq++) {
            size_t len = make_rtp(buf, ssrc, seq, 300, 3);
            size_t plen = len;
            memcpy(plain, buf, len);
            int n = (int)len;
            CHECK_EQ_INT(srtp_protect(lib_tx, buf, &n), srtp_err_status_ok);
            len = (size_t)n;
            memcpy(saved, buf, len);
            size_t at = what == 0 ? len - 1 : what == 1 ? 100 : what == 2 ? 1 : what == 3 ? 14 : 26;
            buf[at] ^= 0x04;
            uint8_t tampered[BUFSZ];
            memcpy(tampered, buf, len);
            size_t l2 = len;
            CHECK_EQ_INT(sy_srtp_unprotect_rtp(ours, buf, &l2), SY_SRTP_E_AUTH);
            if (evp) CHECK(memcmp(buf, tampered, len) == 0); /* untouched */
            l2 = len;
            CHECK_EQ_INT(sy_srtp_unprotect_rtp(ours, saved, &l2), 0);
            CHECK_EQ_INT(l2, plen);
            CHECK(memcmp(saved, plain, plen) == 0);
        }
        /* Truncated below header + tag, and garbage lengths. */
        size_t len = 12 + tag - 1;
        CHECK(sy_srtp_unprotect_rtp(ours, buf, &len) < 0);
        uint8_t small[64];
        memset(small, 0x90, sizeof(small)); /* X bit set, CC 0 */
        for (size_t l = 0; l < sizeof(small); l += 3) {
            size_t x = l;
            CHECK(sy_srtp_unprotect_rtp(ours, small, &x) < 0);
            x = l;
            CHECK(sy_srtp_unprotect_rtcp(ours, small, &x) < 0);
        }
    }

    /* The sender side refuses the same index twice and far behind (as libsrtp). */
    {
        size_t len = make_rtp(buf, 0x55555555u, 100, 50, 0);
        CHECK_EQ_INT(sy_srtp_protect_rtp(ours, buf, &len), 0);
        len = make_rtp(buf, 0x55555555u, 100, 50, 0);
        CHECK_EQ_INT(sy_srtp_protect_rtp(ours, buf, &len), SY_SRTP_E_REPLAY);
        len = make_rtp(buf, 0x55555555u, 99, 50, 0); /* behind, never sent: fine */
        CHECK_EQ_INT(sy_srtp_protect_rtp(ours, buf, &len), 0);
        len = make_rtp(buf, 0x55555555u, 3000, 50, 0);
        CHECK_EQ_INT(sy_srtp_protect_rtp(ours, buf, &len), 0);
        len = make_rtp(buf, 0x55555555u, 1000, 50, 0);
        CHECK_EQ_INT(sy_srtp_protect_rtp(ours, buf, &len), SY_SRTP_E_REPLAY);
    }

    /* RTCP both ways, several SSRCs. */
    bad = 0;
    for (int si = 0; si < 3; si++) {
        for (uint32_t i = 0; i < 40; i++) {
            /* ours -> libsrtp */
            size_t len = make_rtcp(buf, ssrcs[si], i), plen = len;
            memcpy(plain, buf, len);
            if (sy_srtp_protect_rtcp(ours, buf, &len) != 0 || len != plen + 4 + rtcp_tag_len(prof))
                bad++;
            int n = (int)len;
            if (srtp_unprotect_rtcp(lib_rx, buf, &n) != srtp_err_status_ok || (size_t)n != plen ||
                memcmp(buf, plain, plen) != 0)
                bad++;
            /* libsrtp -> ours */
            len = make_rtcp(buf, ssrcs[si], i + 1000);
            memcpy(plain, buf, len);
            n = (int)len;
            if (srtp_protect_rtcp(lib_tx, buf, &n) != srtp_err_status_ok) bad++;
            len = (size_t)n;
            memcpy(saved, buf, len);
            size_t slen = len;
            if (sy_srtp_unprotect_rtcp(ours, buf, &len) != 0 || len != plen ||
                memcmp(buf, plain, plen) != 0)
                bad++;
            /* replay */
            len = slen;
            memcpy(buf, saved, len);
            if (sy_srtp_unprotect_rtcp(ours, buf, &len) != SY_SRTP_E_REPLAY) bad++;
            /* tampered (a fresh one) */
            len = make_rtcp(buf, ssrcs[si], i + 5000);
            n = (int)len;
            if (srtp_protect_rtcp(lib_tx, buf, &n) != srtp_err_status_ok) bad++;
            len = (size_t)n;
            /* header, payload or tag; not the E+index word (a changed index may be a
             * replay, refused before authentication) */
            static const size_t at[] = {1, 5, 10, 20, 27};
            bool gcm = prof == SY_SRTP_AEAD_AES_128_GCM || prof == SY_SRTP_AEAD_AES_256_GCM;
            buf[i % 6 == 5 ? len - (gcm ? 5 : 1) : at[i % 5]] ^= 0x20;
            memcpy(saved, buf, len);
            if (sy_srtp_unprotect_rtcp(ours, buf, &len) != SY_SRTP_E_AUTH) bad++;
            if (evp && memcmp(buf, saved, len) != 0) bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);

    /* SRTCP authenticated but not encrypted (E = 0), from libsrtp: every profile here
     * encrypts, so ours refuses it (libsrtp 2.5 refuses it for AES-CM, cant_check, but
     * accepts it for GCM). */
    {
        srtp_policy_t p;
        lib_policy(&p, prof, k.remote_key, ssrc_any_outbound);
        p.rtcp.sec_serv = sec_serv_auth;
        srtp_t lib_auth = NULL;
        CHECK_EQ_INT(srtp_create(&lib_auth, &p), srtp_err_status_ok);
        bool gcm = prof == SY_SRTP_AEAD_AES_128_GCM || prof == SY_SRTP_AEAD_AES_256_GCM;
        for (uint32_t i = 0; lib_auth && i < 6; i++) {
            size_t len = make_rtcp(buf, 0x0E0E0E0Eu, i), plen = len;
            memcpy(plain, buf, len);
            int n = (int)len;
            CHECK_EQ_INT(srtp_protect_rtcp(lib_auth, buf, &n), srtp_err_status_ok);
            CHECK_EQ_INT(buf[n - (gcm ? 4 : 14)] & 0x80, 0); /* E = 0 */
            CHECK(memcmp(buf, plain, plen) == 0);             /* in clear */
            len = (size_t)n;
            int r = sy_srtp_unprotect_rtcp(ours, buf, &len);
            if (evp || !gcm) CHECK_EQ_INT(r, SY_SRTP_E_OTHER);
        }
        if (lib_auth) srtp_dealloc(lib_auth);
    }

    srtp_dealloc(lib_rx);
    srtp_dealloc(lib_tx);
    sy_srtp_free(ours);
}

/* The per-direction SSRC table is fixed: the 129th SSRC is refused, removal frees a slot. */
static void test_capacity(void)
{
    sy_srtp_keys ka, kb;
    make_keys(&ka, SY_SRTP_AEAD_AES_128_GCM);
    kb = ka;
    memcpy(kb.local_key, ka.remote_key, sizeof(kb.local_key));
    memcpy(kb.remote_key, ka.local_key, sizeof(kb.remote_key));
    sy_srtp *a = sy_srtp_new(&ka), *b = sy_srtp_new(&kb);
    CHECK(a && b);
    if (!a || !b) return;
    static uint8_t buf[BUFSZ], keep[BUFSZ];
    size_t keep_len = 0;
    int bad = 0;
    for (uint32_t i = 0; i < 128; i++) {
        size_t len = make_rtp(buf, 0x10000000u + i * 977, 1, 64, 0);
        if (sy_srtp_protect_rtp(a, buf, &len) != 0) bad++;
        if (i == 7) memcpy(keep, buf, keep_len = len);
        if (sy_srtp_unprotect_rtp(b, buf, &len) != 0) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    size_t len = make_rtp(buf, 0x20000000u, 1, 64, 0);
    CHECK_EQ_INT(sy_srtp_protect_rtp(a, buf, &len), SY_SRTP_E_OTHER); /* outbound full */
    len = make_rtcp(buf, 0x20000000u, 0);
    CHECK_EQ_INT(sy_srtp_protect_rtcp(a, buf, &len), SY_SRTP_E_OTHER);
    /* inbound full: a valid packet of a new SSRC (from a third, unbounded sender) */
    sy_srtp *c = sy_srtp_new(&ka);
    len = make_rtp(buf, 0x20000000u, 1, 64, 0);
    CHECK_EQ_INT(sy_srtp_protect_rtp(c, buf, &len), 0);
    memcpy(keep + 1000, buf, len); /* scratch copy */
    size_t l2 = len;
    CHECK_EQ_INT(sy_srtp_unprotect_rtp(b, buf, &l2), SY_SRTP_E_OTHER);
    /* the replay of a known SSRC is still a replay */
    l2 = keep_len;
    memcpy(buf, keep, keep_len);
    CHECK_EQ_INT(sy_srtp_unprotect_rtp(b, buf, &l2), SY_SRTP_E_REPLAY);
    /* removal: the SSRC's state is gone (its old packet is new again) and a slot is free */
    sy_srtp_remove_inbound_ssrc(b, 0x10000000u + 7 * 977);
    sy_srtp_remove_inbound_ssrc(b, 0xDEADBEEFu); /* unknown: nothing */
    l2 = len;
    memcpy(buf, keep + 1000, len);
    CHECK_EQ_INT(sy_srtp_unprotect_rtp(b, buf, &l2), 0); /* the new SSRC took the slot */
    l2 = keep_len;
    memcpy(buf, keep, keep_len);
    CHECK_EQ_INT(sy_srtp_unprotect_rtp(b, buf, &l2), SY_SRTP_E_OTHER); /* full again */
    /* remove many, in an order that exercises the backward shift, then all still found */
    for (uint32_t i = 0; i < 128; i += 2)
        if (i != 7) sy_srtp_remove_inbound_ssrc(b, 0x10000000u + i * 977);
    bad = 0;
    for (uint32_t i = 1; i < 128; i += 2) {
        if (i == 7) continue;
        size_t x = make_rtp(buf, 0x10000000u + i * 977, 1, 64, 0);
        /* re-send seq 1 from a fresh sender: a replay if the state was kept */
        sy_srtp *d = sy_srtp_new(&ka);
        if (sy_srtp_protect_rtp(d, buf, &x) != 0) bad++;
        if (sy_srtp_unprotect_rtp(b, buf, &x) != SY_SRTP_E_REPLAY) bad++;
        sy_srtp_free(d);
    }
    CHECK_EQ_INT(bad, 0);
    sy_srtp_free(a);
    sy_srtp_free(b);
    sy_srtp_free(c);
}

/* No OpenSSL allocation per packet once streams exist. */
static void test_no_alloc(sy_srtp_profile prof)
{
    sy_srtp_keys ka, kb;
    make_keys(&ka, prof);
    kb = ka;
    memcpy(kb.local_key, ka.remote_key, sizeof(kb.local_key));
    memcpy(kb.remote_key, ka.local_key, sizeof(kb.remote_key));
    sy_srtp *a = sy_srtp_new(&ka), *b = sy_srtp_new(&kb);
    CHECK(a && b);
    if (!a || !b) return;
    static uint8_t buf[BUFSZ];
    uint16_t seq = 60000;
    for (int i = 0; i < 10; i++, seq++) { /* warm-up */
        size_t len = make_rtp(buf, 0xABCD, seq, 1188, 0);
        sy_srtp_protect_rtp(a, buf, &len);
        sy_srtp_unprotect_rtp(b, buf, &len);
        len = make_rtcp(buf, 0xABCD, 0);
        sy_srtp_protect_rtcp(a, buf, &len);
        sy_srtp_unprotect_rtcp(b, buf, &len);
    }
    long before = __atomic_load_n(&n_alloc, __ATOMIC_RELAXED);
    int bad = 0;
    for (int i = 0; i < 10000; i++, seq++) {
        size_t len = make_rtp(buf, 0xABCD, seq, 1188, 0);
        if (sy_srtp_protect_rtp(a, buf, &len) != 0) bad++;
        if (i % 100 == 0) { /* failure paths too */
            buf[40] ^= 1;
            size_t l = len;
            if (sy_srtp_unprotect_rtp(b, buf, &l) != SY_SRTP_E_AUTH) bad++;
            buf[40] ^= 1;
        }
        if (sy_srtp_unprotect_rtp(b, buf, &len) != 0) bad++;
        if (i % 10 == 0) {
            len = make_rtcp(buf, 0xABCD, (uint32_t)i);
            if (sy_srtp_protect_rtcp(a, buf, &len) != 0) bad++;
            if (sy_srtp_unprotect_rtcp(b, buf, &len) != 0) bad++;
        }
    }
    long after = __atomic_load_n(&n_alloc, __ATOMIC_RELAXED);
    CHECK_EQ_INT(bad, 0);
    printf("%s: %ld OpenSSL allocations in 10000 RTP + 1000 RTCP protect/unprotect\n",
           pname(prof), after - before);
    CHECK_EQ_INT(after - before, 0);
    sy_srtp_free(a);
    sy_srtp_free(b);
}

int main(void)
{
    /* First: count OpenSSL's allocations (possible only before its first one). */
    int hooked = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
    CHECK_EQ_INT(hooked, 1);
    sy_log_set_level(SY_LOG_WARN);
    evp = sy_srtp_evp_test_kdf != NULL && sy_srtp_evp_test_new_session != NULL;
    CHECK_EQ_INT(sy_srtp_global_init(), 0);
    if (evp) CHECK_EQ_INT(srtp_init(), srtp_err_status_ok); /* else srtp.c did it */
    if (!evp) printf("SY_SRTP_EVP is OFF: only the libsrtp interop checks run\n");
    if (evp) {
        test_rfc3711_vectors();
        test_rfc7714_vectors();
    }
    /* wrong key lengths are refused */
    {
        sy_srtp_keys k;
        make_keys(&k, SY_SRTP_AEAD_AES_128_GCM);
        k.key_len = 32;
        if (evp) CHECK(sy_srtp_new(&k) == NULL);
        k.profile = SY_SRTP_NONE;
        CHECK(sy_srtp_new(&k) == NULL);
        CHECK(sy_srtp_new(NULL) == NULL);
    }
    const sy_srtp_profile all[] = {SY_SRTP_AEAD_AES_128_GCM, SY_SRTP_AEAD_AES_256_GCM,
                                   SY_SRTP_AES128_CM_SHA1_80, SY_SRTP_AES128_CM_SHA1_32};
    for (size_t i = 0; i < 4; i++)
        test_interop(all[i]);
    if (evp) {
        test_capacity();
        for (size_t i = 0; i < 4; i++)
            if (hooked) test_no_alloc(all[i]);
    }
    sy_srtp_global_cleanup();
    if (evp) srtp_shutdown();
    return CHECK_DONE();
}
