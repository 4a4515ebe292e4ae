/*
 * SRTP/SRTCP on OpenSSL's libcrypto (see srtp.h; replaces the libsrtp2 wrapper srtp.c
 * when SY_SRTP_EVP is ON). Profiles: AEAD_AES_128_GCM, AEAD_AES_256_GCM (RFC 7714),
 * AES_CM_128_HMAC_SHA1_80 and _32 (RFC 3711; SRTCP always with the 80-bit tag).
 *
 * Per peer connection: one inbound direction keyed with the remote master key, one
 * outbound keyed with ours. Each direction holds its session keys (RFC 3711 4.3, KDR 0),
 * two EVP_CIPHER_CTX (RTP, RTCP) keyed once at creation, the HMAC-SHA1 inner/outer
 * states precomputed from the auth keys, and a fixed-capacity table of per-SSRC state
 * (highest index = ROC||SEQ, 1024-packet RTP replay window, SRTCP index and 128-packet
 * SRTCP window). Per packet: one IV set on a keyed context, the cipher, and for AES-CM
 * two SHA-1 passes from copied states: no allocation, no lock, no log.
 *
 * HMAC uses the low-level SHA1_* functions (deprecated in OpenSSL 3.0 but present): the
 * EVP_MAC / EVP_MD_CTX re-initialisation of a keyed context duplicates the provider
 * digest context (EVP_MD_CTX_copy_ex -> dupctx), i.e. a malloc/free per packet.
 *
 * Behaviour follows libsrtp (the implementation this replaces), so that the two
 * interoperate packet for packet: index estimation (RFC 3711 Appendix A, ROC 0 until the
 * stream passes sequence 32768), the replay checks on both send and receive, the SRTCP
 * index starting at 1, errors mapped to SY_SRTP_E_AUTH / _REPLAY / _OTHER. Differences:
 * a packet that fails authentication is left as it came in (libsrtp's GCM leaves it
 * decrypted); SRTCP without encryption (E = 0) is refused for every profile (libsrtp
 * refuses it for AES-CM and accepts it for GCM); at most SRTP_MAX_SSRCS SSRCs per
 * direction (libsrtp allocates a stream per SSRC without limit).
 */
#include "media/srtp.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* SHA1_Init/Update/Final and SHA_CTX: deprecated in 3.0, still the allocation-free way. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
#include <openssl/sha.h>

/* SSRCs per direction (the table never grows; an unknown SSRC beyond it is refused).
 * A peer connection has at most 16 m-lines (PC_MAX_MEDIA); with simulcast and RTX that
 * is at most 96 SSRCs in one direction, plus the RTCP-only sender SSRCs. */
#define SRTP_MAX_SSRCS 128
#define SRTP_SLOTS 256 /* open addressing, power of two, load <= 1/2 */
#define RTP_WINDOW 1024
#define RTCP_WINDOW 128
#define SRTCP_INDEX_MAX 0x7FFFFFFFu

typedef struct stream {
    uint32_t ssrc;
    bool rtcp_seen;             /* inbound: an SRTCP packet was accepted */
    uint32_t rtcp_index;        /* outbound: last sent; inbound: highest accepted */
    uint64_t rtp_index;         /* highest 48-bit index ROC||SEQ (libsrtp rdbx index) */
    uint64_t rtp_win[RTP_WINDOW / 64];  /* bit i: index rtp_index - i was seen */
    uint64_t rtcp_win[RTCP_WINDOW / 64]; /* bit i: index rtcp_index - i was seen */
} stream;

typedef struct hmac_key {
    SHA_CTX ipad, opad; /* states after hashing key^ipad / key^opad (one block each) */
} hmac_key;

typedef struct direction {
    EVP_CIPHER_CTX *rtp_c, *rtcp_c;
    hmac_key rtp_a, rtcp_a;                  /* AES-CM only */
    uint8_t rtp_salt[14], rtcp_salt[14];     /* 14 bytes (AES-CM) or 12 (GCM) used */
    uint16_t slot[SRTP_SLOTS];               /* stream index + 1, 0 = empty */
    uint16_t free_list[SRTP_MAX_SSRCS];
    unsigned n_free;
    /* Grown on demand (4, 8, .. SRTP_MAX_SSRCS): most sessions carry 2-6 SSRCs a
     * direction, and a full table was 21 KB per direction per PC. A stream pointer is
     * never kept across an insert (which may move the array). */
    unsigned cap;
    stream *streams;
} direction;

struct sy_srtp {
    sy_srtp_profile profile;
    bool gcm;
    size_t rtp_tag, rtcp_tag; /* 16/16 GCM, 10/10 SHA1_80, 4/10 SHA1_32 */
    direction in, out;
};

_Static_assert(SY_SRTP_MAX_TRAILER >= 16 + 4, "SY_SRTP_MAX_TRAILER covers tag and SRTCP index");

int sy_srtp_global_init(void)
{
    return 0; /* OpenSSL initialises itself */
}

void sy_srtp_global_cleanup(void)
{
}

/* ---- byte helpers ---- */

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- key derivation (RFC 3711 4.3.1/4.3.3, KDR 0; RFC 7714 11, RFC 6188) ---- */

/* AES-CM PRF: out = AES-CTR(master key, IV = (master salt ^ label<<48) || 0x0000). A
 * 12-byte GCM master salt is padded with two zero bytes, as libsrtp does. */
static int kdf(const uint8_t *mkey, size_t key_len, const uint8_t *msalt, size_t salt_len,
               uint8_t label, uint8_t *out, size_t out_len)
{
    const EVP_CIPHER *c = key_len == 16 ? EVP_aes_128_ctr()
                          : key_len == 32 ? EVP_aes_256_ctr()
                                          : NULL;
    if (!c || salt_len > 14 || out_len > (1u << 20)) return -1;
    uint8_t iv[16] = {0};
    memcpy(iv, msalt, salt_len);
    iv[7] ^= label;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = ctx && EVP_EncryptInit_ex(ctx, c, NULL, mkey, iv) == 1;
    memset(out, 0, out_len);
    int n = 0;
    ok = ok && EVP_EncryptUpdate(ctx, out, &n, out, (int)out_len) == 1 && (size_t)n == out_len;
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(iv, sizeof(iv));
    return ok ? 0 : -1;
}

/* Test hook (declared in tests/unit/test_srtp_evp.c): the AES-CM PRF. */
int sy_srtp_evp_test_kdf(const uint8_t *mkey, size_t key_len, const uint8_t *msalt,
                         size_t salt_len, uint8_t label, uint8_t *out, size_t out_len);
int sy_srtp_evp_test_kdf(const uint8_t *mkey, size_t key_len, const uint8_t *msalt,
                         size_t salt_len, uint8_t label, uint8_t *out, size_t out_len)
{
    return kdf(mkey, key_len, msalt, salt_len, label, out, out_len);
}

/* ---- HMAC-SHA1 from precomputed pad states ---- */

static void hmac_key_init(hmac_key *k, const uint8_t *key, size_t len) /* len <= 64 */
{
    uint8_t pad[64];
    memset(pad, 0x36, sizeof(pad));
    for (size_t i = 0; i < len; i++)
        pad[i] ^= key[i];
    SHA1_Init(&k->ipad);
    SHA1_Update(&k->ipad, pad, sizeof(pad));
    memset(pad, 0x5c, sizeof(pad));
    for (size_t i = 0; i < len; i++)
        pad[i] ^= key[i];
    SHA1_Init(&k->opad);
    SHA1_Update(&k->opad, pad, sizeof(pad));
    OPENSSL_cleanse(pad, sizeof(pad));
}

/* HMAC(key, a || b) */
static void hmac_sha1(const hmac_key *k, const uint8_t *a, size_t alen, const uint8_t *b,
                      size_t blen, uint8_t out[20])
{
    SHA_CTX c = k->ipad;
    SHA1_Update(&c, a, alen);
    if (blen) SHA1_Update(&c, b, blen);
    uint8_t inner[20];
    SHA1_Final(inner, &c);
    c = k->opad;
    SHA1_Update(&c, inner, sizeof(inner));
    SHA1_Final(out, &c);
}

/* ---- session setup ---- */

static void direction_free(direction *d)
{
    free(d->streams);
    d->streams = NULL;
    d->cap = d->n_free = 0;
    EVP_CIPHER_CTX_free(d->rtp_c);
    EVP_CIPHER_CTX_free(d->rtcp_c);
    d->rtp_c = d->rtcp_c = NULL;
    OPENSSL_cleanse(&d->rtp_a, sizeof(d->rtp_a));
    OPENSSL_cleanse(&d->rtcp_a, sizeof(d->rtcp_a));
    OPENSSL_cleanse(d->rtp_salt, sizeof(d->rtp_salt));
    OPENSSL_cleanse(d->rtcp_salt, sizeof(d->rtcp_salt));
}

static const EVP_CIPHER *profile_cipher(sy_srtp_profile p)
{
    switch (p) {
    case SY_SRTP_AEAD_AES_128_GCM:
        return EVP_aes_128_gcm();
    case SY_SRTP_AEAD_AES_256_GCM:
        return EVP_aes_256_gcm();
    case SY_SRTP_AES128_CM_SHA1_80:
    case SY_SRTP_AES128_CM_SHA1_32:
        return EVP_aes_128_ctr();
    default:
        return NULL;
    }
}

static EVP_CIPHER_CTX *keyed_ctx(const EVP_CIPHER *c, const uint8_t *key, bool decrypt)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return NULL;
    int ok = decrypt ? EVP_DecryptInit_ex(ctx, c, NULL, key, NULL)
                     : EVP_EncryptInit_ex(ctx, c, NULL, key, NULL);
    if (ok != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Keys a direction with session keys: k = {rtp enc, rtp auth, rtp salt, rtcp enc, rtcp
 * auth, rtcp salt}. GCM inbound contexts decrypt; every other context encrypts (CTR). */
static int direction_init(direction *d, const sy_srtp *s, const uint8_t *const k[6],
                          bool inbound)
{
    const EVP_CIPHER *c = profile_cipher(s->profile);
    size_t salt_len = s->gcm ? 12 : 14;
    memset(d, 0, sizeof(*d));
    d->rtp_c = keyed_ctx(c, k[0], inbound && s->gcm);
    d->rtcp_c = keyed_ctx(c, k[3], inbound && s->gcm);
    if (!d->rtp_c || !d->rtcp_c) return -1;
    if (!s->gcm) {
        hmac_key_init(&d->rtp_a, k[1], 20);
        hmac_key_init(&d->rtcp_a, k[4], 20);
    }
    memcpy(d->rtp_salt, k[2], salt_len);
    memcpy(d->rtcp_salt, k[5], salt_len);
    return 0; /* no streams yet: insert grows the table */
}

static int set_profile(sy_srtp *s, sy_srtp_profile p)
{
    s->profile = p;
    switch (p) {
    case SY_SRTP_AEAD_AES_128_GCM:
    case SY_SRTP_AEAD_AES_256_GCM:
        s->gcm = true;
        s->rtp_tag = s->rtcp_tag = 16;
        return 0;
    case SY_SRTP_AES128_CM_SHA1_80:
        s->rtp_tag = s->rtcp_tag = 10;
        return 0;
    case SY_SRTP_AES128_CM_SHA1_32:
        s->rtp_tag = 4;
        s->rtcp_tag = 10; /* RFC 5764 4.1.2: SRTCP keeps the 80-bit tag */
        return 0;
    default:
        return -1;
    }
}

static size_t profile_key_len(sy_srtp_profile p)
{
    return p == SY_SRTP_AEAD_AES_256_GCM ? 32 : 16;
}

/* Derives the six session keys from master key || master salt. */
static int derive(const sy_srtp *s, const uint8_t *master, size_t key_len, size_t salt_len,
                  uint8_t out[6][32])
{
    static const size_t auth_len = 20;
    size_t sl = s->gcm ? 12 : 14;
    for (int label = 0; label < 6; label++) {
        size_t n = label % 3 == 0 ? key_len : label % 3 == 1 ? auth_len : sl;
        if (s->gcm && label % 3 == 1) continue; /* no auth key for AEAD */
        if (kdf(master, key_len, master + key_len, salt_len, (uint8_t)label, out[label], n) != 0)
            return -1;
    }
    return 0;
}

static sy_srtp *create(sy_srtp_profile p, const uint8_t *const in_k[6], const uint8_t *const out_k[6])
{
    sy_srtp *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    if (set_profile(s, p) != 0 || direction_init(&s->in, s, in_k, true) != 0 ||
        direction_init(&s->out, s, out_k, false) != 0) {
        sy_srtp_free(s);
        return NULL;
    }
    return s;
}

sy_srtp *sy_srtp_new(const sy_srtp_keys *keys)
{
    if (!keys || keys->key_len + keys->salt_len > sizeof(keys->local_key)) return NULL;
    sy_srtp tmp;
    memset(&tmp, 0, sizeof(tmp));
    if (set_profile(&tmp, keys->profile) != 0) return NULL;
    if (keys->key_len != profile_key_len(keys->profile) ||
        keys->salt_len != (tmp.gcm ? 12u : 14u))
        return NULL;
    uint8_t rk[6][32], lk[6][32];
    memset(rk, 0, sizeof(rk));
    memset(lk, 0, sizeof(lk));
    sy_srtp *s = NULL;
    if (derive(&tmp, keys->remote_key, keys->key_len, keys->salt_len, rk) == 0 &&
        derive(&tmp, keys->local_key, keys->key_len, keys->salt_len, lk) == 0) {
        const uint8_t *in_k[6] = {rk[0], rk[1], rk[2], rk[3], rk[4], rk[5]};
        const uint8_t *out_k[6] = {lk[0], lk[1], lk[2], lk[3], lk[4], lk[5]};
        s = create(keys->profile, in_k, out_k);
    }
    OPENSSL_cleanse(rk, sizeof(rk));
    OPENSSL_cleanse(lk, sizeof(lk));
    return s;
}

/* Test hook (declared in tests/unit/test_srtp_evp.c): a session keyed directly with
 * session keys (the same for RTP and RTCP, both directions), for published vectors. */
sy_srtp *sy_srtp_evp_test_new_session(sy_srtp_profile p, const uint8_t *enc_key,
                                      const uint8_t *auth_key, const uint8_t *salt);
sy_srtp *sy_srtp_evp_test_new_session(sy_srtp_profile p, const uint8_t *enc_key,
                                      const uint8_t *auth_key, const uint8_t *salt)
{
    static const uint8_t zero[32];
    if (!auth_key) auth_key = zero;
    const uint8_t *k[6] = {enc_key, auth_key, salt, enc_key, auth_key, salt};
    return create(p, k, k);
}

void sy_srtp_free(sy_srtp *s)
{
    if (!s) return;
    direction_free(&s->in);
    direction_free(&s->out);
    free(s);
}

/* ---- per-SSRC table ---- */

static inline unsigned home_slot(uint32_t ssrc)
{
    return (ssrc * 0x9E3779B1u) >> 24; /* SRTP_SLOTS == 256 */
}

static stream *find(direction *d, uint32_t ssrc)
{
    for (unsigned i = home_slot(ssrc), n = 0; n < SRTP_SLOTS; i = (i + 1) & (SRTP_SLOTS - 1), n++) {
        uint16_t v = d->slot[i];
        if (!v) return NULL;
        if (d->streams[v - 1].ssrc == ssrc) return &d->streams[v - 1];
    }
    return NULL;
}

/* No room for another SSRC (SRTP_MAX_SSRCS streams). */
static bool full(const direction *d)
{
    return d->n_free == 0 && d->cap >= SRTP_MAX_SSRCS;
}

static int grow(direction *d)
{
    unsigned cap = d->cap ? d->cap * 2 : 4;
    if (cap > SRTP_MAX_SSRCS) cap = SRTP_MAX_SSRCS;
    if (cap <= d->cap) return -1;
    stream *p = realloc(d->streams, cap * sizeof(*p));
    if (!p) return -1;
    memset(p + d->cap, 0, (cap - d->cap) * sizeof(*p));
    /* Lowest index on top of the free list. */
    for (unsigned i = cap; i-- > d->cap;)
        d->free_list[d->n_free++] = (uint16_t)i;
    d->streams = p;
    d->cap = cap;
    return 0;
}

/* A fresh stream for ssrc (which must be absent), or NULL if the table is full. */
static stream *insert(direction *d, uint32_t ssrc)
{
    if (d->n_free == 0 && grow(d) != 0) return NULL;
    uint16_t idx = d->free_list[--d->n_free];
    unsigned i = home_slot(ssrc);
    while (d->slot[i])
        i = (i + 1) & (SRTP_SLOTS - 1);
    d->slot[i] = (uint16_t)(idx + 1);
    stream *st = &d->streams[idx];
    memset(st, 0, sizeof(*st));
    st->ssrc = ssrc;
    return st;
}

static void erase(direction *d, uint32_t ssrc)
{
    unsigned i = home_slot(ssrc);
    for (unsigned n = 0;; i = (i + 1) & (SRTP_SLOTS - 1), n++) {
        if (n == SRTP_SLOTS || !d->slot[i]) return;
        if (d->streams[d->slot[i] - 1].ssrc == ssrc) break;
    }
    uint16_t idx = (uint16_t)(d->slot[i] - 1);
    memset(&d->streams[idx], 0, sizeof(d->streams[idx]));
    d->free_list[d->n_free++] = idx;
    /* Backward-shift deletion (linear probing, no tombstones). */
    unsigned j = i;
    for (;;) {
        j = (j + 1) & (SRTP_SLOTS - 1);
        if (!d->slot[j]) break;
        unsigned k = home_slot(d->streams[d->slot[j] - 1].ssrc);
        /* Move slot j into the hole at i unless its home lies cyclically in (i, j]. */
        bool in_between = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!in_between) {
            d->slot[i] = d->slot[j];
            i = j;
        }
    }
    d->slot[i] = 0;
}

/* ---- replay windows ---- */

/* RFC 3711 Appendix A index estimate, as libsrtp's srtp_rdbx_estimate_index: ROC 0 while
 * the stream is below sequence 32768. Returns guess - local. */
static int32_t estimate_index(uint64_t local, uint16_t s, uint64_t *guess)
{
    if (local <= 0x8000) {
        *guess = s;
        return (int32_t)s - (int32_t)local;
    }
    uint32_t roc = (uint32_t)(local >> 16), groc;
    int32_t lseq = (int32_t)(local & 0xFFFF), seq = s, diff;
    if (lseq < 0x8000) {
        if (seq - lseq > 0x8000) {
            groc = roc - 1;
            diff = seq - lseq - 0x10000;
        } else {
            groc = roc;
            diff = seq - lseq;
        }
    } else {
        if (lseq - 0x8000 > seq) {
            groc = roc + 1;
            diff = seq - lseq + 0x10000;
        } else {
            groc = roc;
            diff = seq - lseq;
        }
    }
    *guess = ((uint64_t)groc << 16) | s;
    return diff;
}

static inline bool win_get(const uint64_t *w, unsigned bit)
{
    return (w[bit >> 6] >> (bit & 63)) & 1;
}

static inline void win_set(uint64_t *w, unsigned bit)
{
    w[bit >> 6] |= (uint64_t)1 << (bit & 63);
}

/* Moves the window forward by n (bit i becomes bit i + n). */
static void win_shift(uint64_t *w, unsigned words, uint64_t n)
{
    if (n >= (uint64_t)words * 64) {
        memset(w, 0, words * sizeof(*w));
        return;
    }
    unsigned ws = (unsigned)(n >> 6), bs = (unsigned)(n & 63);
    for (unsigned i = words; i-- > 0;) {
        uint64_t v = i >= ws ? w[i - ws] << bs : 0;
        if (bs && i >= ws + 1) v |= w[i - ws - 1] >> (64 - bs);
        w[i] = v;
    }
}

/* 0, or SY_SRTP_E_REPLAY (seen, or older than the window). */
static inline int rtp_check(const stream *st, int32_t delta)
{
    if (delta > 0) return 0;
    if (delta <= -RTP_WINDOW) return SY_SRTP_E_REPLAY;
    return win_get(st->rtp_win, (unsigned)-delta) ? SY_SRTP_E_REPLAY : 0;
}

static inline void rtp_commit(stream *st, int32_t delta, uint64_t guess)
{
    if (delta > 0) {
        win_shift(st->rtp_win, RTP_WINDOW / 64, (uint64_t)delta);
        win_set(st->rtp_win, 0);
        st->rtp_index = guess;
    } else {
        win_set(st->rtp_win, (unsigned)-delta);
    }
}

static inline int rtcp_check(const stream *st, uint32_t idx)
{
    if (!st->rtcp_seen || idx > st->rtcp_index) return 0;
    uint32_t d = st->rtcp_index - idx;
    if (d >= RTCP_WINDOW) return SY_SRTP_E_REPLAY;
    return win_get(st->rtcp_win, d) ? SY_SRTP_E_REPLAY : 0;
}

static inline void rtcp_commit(stream *st, uint32_t idx)
{
    if (!st->rtcp_seen || idx > st->rtcp_index) {
        if (st->rtcp_seen)
            win_shift(st->rtcp_win, RTCP_WINDOW / 64, idx - st->rtcp_index);
        else
            memset(st->rtcp_win, 0, sizeof(st->rtcp_win));
        win_set(st->rtcp_win, 0);
        st->rtcp_index = idx;
        st->rtcp_seen = true;
    } else {
        win_set(st->rtcp_win, st->rtcp_index - idx);
    }
}

/* ---- IVs ---- */

/* RFC 3711 4.1.1: (salt << 16) ^ (SSRC << 64) ^ (index << 16); index 48 bits (RTP) or the
 * 31-bit SRTCP index. */
static inline void cm_iv(uint8_t iv[16], const uint8_t salt[14], uint32_t ssrc, uint64_t index)
{
    memcpy(iv, salt, 14);
    iv[14] = iv[15] = 0;
    iv[4] ^= (uint8_t)(ssrc >> 24);
    iv[5] ^= (uint8_t)(ssrc >> 16);
    iv[6] ^= (uint8_t)(ssrc >> 8);
    iv[7] ^= (uint8_t)ssrc;
    for (int i = 0; i < 6; i++)
        iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/* RFC 7714 8.1 / 9.1: (0x0000 || SSRC || ROC || SEQ) ^ salt, and
 * (0x0000 || SSRC || 0x0000 || 0 || SRTCP index) ^ salt: the same shape as the 48-bit
 * index in the last six bytes. */
static inline void gcm_iv(uint8_t iv[12], const uint8_t salt[12], uint32_t ssrc, uint64_t index)
{
    memcpy(iv, salt, 12);
    iv[2] ^= (uint8_t)(ssrc >> 24);
    iv[3] ^= (uint8_t)(ssrc >> 16);
    iv[4] ^= (uint8_t)(ssrc >> 8);
    iv[5] ^= (uint8_t)ssrc;
    for (int i = 0; i < 6; i++)
        iv[6 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/* ---- cipher primitives on keyed contexts ---- */

static int ctr_xor(EVP_CIPHER_CTX *c, const uint8_t iv[16], uint8_t *p, size_t n)
{
    int outl;
    if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1) return -1;
    if (n && EVP_EncryptUpdate(c, p, &outl, p, (int)n) != 1) return -1;
    return 0;
}

/* AAD a1 || a2, plaintext p (in place), tag out. */
static int gcm_seal(EVP_CIPHER_CTX *c, const uint8_t iv[12], const uint8_t *a1, size_t a1n,
                    const uint8_t *a2, size_t a2n, uint8_t *p, size_t n, uint8_t tag[16])
{
    int outl;
    uint8_t fin[16];
    if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1) return -1;
    if (a1n && EVP_EncryptUpdate(c, NULL, &outl, a1, (int)a1n) != 1) return -1;
    if (a2n && EVP_EncryptUpdate(c, NULL, &outl, a2, (int)a2n) != 1) return -1;
    if (n && EVP_EncryptUpdate(c, p, &outl, p, (int)n) != 1) return -1;
    if (EVP_EncryptFinal_ex(c, fin, &outl) != 1) return -1;
    return EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1 ? 0 : -1;
}

/* Decrypts in place and verifies the tag; on failure the ciphertext is restored (CTR is
 * its own inverse) and SY_SRTP_E_AUTH returned. */
static int gcm_open(EVP_CIPHER_CTX *c, const uint8_t iv[12], const uint8_t *a1, size_t a1n,
                    const uint8_t *a2, size_t a2n, uint8_t *p, size_t n, const uint8_t tag[16])
{
    int outl;
    uint8_t fin[16];
    if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) != 1) return SY_SRTP_E_OTHER;
    if (a1n && EVP_DecryptUpdate(c, NULL, &outl, a1, (int)a1n) != 1) return SY_SRTP_E_OTHER;
    if (a2n && EVP_DecryptUpdate(c, NULL, &outl, a2, (int)a2n) != 1) return SY_SRTP_E_OTHER;
    if (n && EVP_DecryptUpdate(c, p, &outl, p, (int)n) != 1) return SY_SRTP_E_OTHER;
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) != 1) return SY_SRTP_E_OTHER;
    if (EVP_DecryptFinal_ex(c, fin, &outl) == 1) return 0;
    if (n && EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) == 1)
        EVP_DecryptUpdate(c, p, &outl, p, (int)n); /* the same keystream: back to the ciphertext */
    return SY_SRTP_E_AUTH;
}

/* ---- RTP ---- */

/* Length of the RTP header (fixed part, CSRCs, extension), or 0 if it does not fit. */
static size_t rtp_header_len(const uint8_t *buf, size_t len)
{
    if (len < 12) return 0;
    size_t h = 12 + 4u * (buf[0] & 0x0F);
    if (buf[0] & 0x10) {
        if (len < h + 4) return 0;
        h += 4 + 4u * ((size_t)buf[h + 2] << 8 | buf[h + 3]);
    }
    return h <= len ? h : 0;
}

/* Datagrams are far below this; it keeps every length in an int for EVP. */
#define SRTP_MAX_LEN (1u << 20)

int sy_srtp_protect_rtp(sy_srtp *s, uint8_t *buf, size_t *len)
{
    size_t n = *len, h = rtp_header_len(buf, n);
    if (!s || !h || n > SRTP_MAX_LEN) return SY_SRTP_E_OTHER;
    direction *d = &s->out;
    uint32_t ssrc = rd32(buf + 8);
    stream *st = find(d, ssrc);
    if (!st && !(st = insert(d, ssrc))) return SY_SRTP_E_OTHER;
    uint64_t idx;
    int32_t delta = estimate_index(st->rtp_index, (uint16_t)(buf[2] << 8 | buf[3]), &idx);
    int r = rtp_check(st, delta); /* never the same index twice (no allow_repeat_tx) */
    if (r) return r;
    if (s->gcm) {
        uint8_t iv[12];
        gcm_iv(iv, d->rtp_salt, ssrc, idx);
        if (gcm_seal(d->rtp_c, iv, buf, h, NULL, 0, buf + h, n - h, buf + n) != 0)
            return SY_SRTP_E_OTHER;
    } else {
        uint8_t iv[16], mac[20], roc[4];
        cm_iv(iv, d->rtp_salt, ssrc, idx);
        if (ctr_xor(d->rtp_c, iv, buf + h, n - h) != 0) return SY_SRTP_E_OTHER;
        wr32(roc, (uint32_t)(idx >> 16));
        hmac_sha1(&d->rtp_a, buf, n, roc, 4, mac);
        memcpy(buf + n, mac, s->rtp_tag);
    }
    rtp_commit(st, delta, idx);
    *len = n + s->rtp_tag;
    return 0;
}

int sy_srtp_unprotect_rtp(sy_srtp *s, uint8_t *buf, size_t *len)
{
    size_t n = *len, h = rtp_header_len(buf, n);
    if (!s || !h || n > SRTP_MAX_LEN || n < h + s->rtp_tag) return SY_SRTP_E_OTHER;
    direction *d = &s->in;
    uint32_t ssrc = rd32(buf + 8);
    stream fresh, *st = find(d, ssrc);
    if (!st) {
        /* A new SSRC gets a stream only once a packet of it authenticates. */
        if (full(d)) return SY_SRTP_E_OTHER;
        memset(&fresh, 0, sizeof(fresh));
        fresh.ssrc = ssrc;
    }
    const stream *cur = st ? st : &fresh;
    uint64_t idx;
    int32_t delta = estimate_index(cur->rtp_index, (uint16_t)(buf[2] << 8 | buf[3]), &idx);
    int r = rtp_check(cur, delta);
    if (r) return r;
    size_t body = n - s->rtp_tag; /* header + payload */
    if (s->gcm) {
        uint8_t iv[12];
        gcm_iv(iv, d->rtp_salt, ssrc, idx);
        r = gcm_open(d->rtp_c, iv, buf, h, NULL, 0, buf + h, body - h, buf + body);
        if (r) return r;
    } else {
        uint8_t iv[16], mac[20], roc[4];
        wr32(roc, (uint32_t)(idx >> 16));
        hmac_sha1(&d->rtp_a, buf, body, roc, 4, mac);
        if (CRYPTO_memcmp(mac, buf + body, s->rtp_tag) != 0) return SY_SRTP_E_AUTH;
        cm_iv(iv, d->rtp_salt, ssrc, idx);
        if (ctr_xor(d->rtp_c, iv, buf + h, body - h) != 0) return SY_SRTP_E_OTHER;
    }
    if (!st) {
        st = insert(d, ssrc); /* fails only if growing the table fails */
        if (!st) return SY_SRTP_E_OTHER;
    }
    rtp_commit(st, delta, idx);
    *len = body;
    return 0;
}

/* ---- RTCP ---- */

int sy_srtp_protect_rtcp(sy_srtp *s, uint8_t *buf, size_t *len)
{
    size_t n = *len;
    if (!s || n < 8 || n > SRTP_MAX_LEN) return SY_SRTP_E_OTHER;
    direction *d = &s->out;
    uint32_t ssrc = rd32(buf + 4);
    stream *st = find(d, ssrc);
    if (!st && !(st = insert(d, ssrc))) return SY_SRTP_E_OTHER;
    if (st->rtcp_index >= SRTCP_INDEX_MAX) return SY_SRTP_E_OTHER; /* key exhausted */
    uint32_t idx = st->rtcp_index + 1;
    uint8_t trailer[4];
    wr32(trailer, 0x80000000u | idx); /* E = 1: encrypted */
    if (s->gcm) {
        /* header || ciphertext || tag || E+index; AAD = header(8) || E+index */
        uint8_t iv[12];
        gcm_iv(iv, d->rtcp_salt, ssrc, idx);
        if (gcm_seal(d->rtcp_c, iv, buf, 8, trailer, 4, buf + 8, n - 8, buf + n) != 0)
            return SY_SRTP_E_OTHER;
        memcpy(buf + n + 16, trailer, 4);
    } else {
        /* header || ciphertext || E+index || tag; tag over everything before it */
        uint8_t iv[16], mac[20];
        cm_iv(iv, d->rtcp_salt, ssrc, idx);
        if (ctr_xor(d->rtcp_c, iv, buf + 8, n - 8) != 0) return SY_SRTP_E_OTHER;
        memcpy(buf + n, trailer, 4);
        hmac_sha1(&d->rtcp_a, buf, n + 4, NULL, 0, mac);
        memcpy(buf + n + 4, mac, 10);
    }
    st->rtcp_index = idx;
    *len = n + 4 + s->rtcp_tag;
    return 0;
}

int sy_srtp_unprotect_rtcp(sy_srtp *s, uint8_t *buf, size_t *len)
{
    size_t n = *len;
    if (!s || n > SRTP_MAX_LEN || n < 8 + 4 + s->rtcp_tag) return SY_SRTP_E_OTHER;
    direction *d = &s->in;
    size_t body = n - 4 - s->rtcp_tag; /* header + (encrypted) payload */
    const uint8_t *trailer = s->gcm ? buf + n - 4 : buf + body;
    uint32_t t = rd32(trailer), idx = t & SRTCP_INDEX_MAX;
    /* Every profile here encrypts SRTCP: E = 0 is refused, as libsrtp does (cant_check). */
    if (!(t >> 31)) return SY_SRTP_E_OTHER;
    uint32_t ssrc = rd32(buf + 4);
    stream fresh, *st = find(d, ssrc);
    if (!st) {
        if (full(d)) return SY_SRTP_E_OTHER;
        memset(&fresh, 0, sizeof(fresh));
        fresh.ssrc = ssrc;
    }
    int r = rtcp_check(st ? st : &fresh, idx);
    if (r) return r;
    if (s->gcm) {
        uint8_t iv[12];
        gcm_iv(iv, d->rtcp_salt, ssrc, idx);
        r = gcm_open(d->rtcp_c, iv, buf, 8, trailer, 4, buf + 8, body - 8, buf + body);
        if (r) return r;
    } else {
        uint8_t iv[16], mac[20];
        hmac_sha1(&d->rtcp_a, buf, body + 4, NULL, 0, mac);
        if (CRYPTO_memcmp(mac, buf + body + 4, 10) != 0) return SY_SRTP_E_AUTH;
        cm_iv(iv, d->rtcp_salt, ssrc, idx);
        if (ctr_xor(d->rtcp_c, iv, buf + 8, body - 8) != 0) return SY_SRTP_E_OTHER;
    }
    if (!st) {
        st = insert(d, ssrc);
        if (!st) return SY_SRTP_E_OTHER;
    }
    rtcp_commit(st, idx);
    *len = body;
    return 0;
}

void sy_srtp_remove_inbound_ssrc(sy_srtp *s, uint32_t ssrc)
{
    if (s) erase(&s->in, ssrc);
}

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
