/*
 * DTLS-SRTP over OpenSSL 3.0 with our own datagram BIO (see dtls.h for the contract).
 *
 * Why not BIO_s_mem: a memory BIO is a byte stream. OpenSSL writes each DTLS record
 * with its own BIO_write, and a memory BIO concatenates them, so a whole flight (5
 * records, possibly more than the MTU) comes out of one BIO_read. Our BIO keeps the
 * record boundaries instead: the write side packs whole records into datagrams of at
 * most SY_DTLS_MTU bytes (RFC 6347 4.1.1 allows several records per datagram), and the
 * read side hands OpenSSL exactly the one datagram being fed, so a bad datagram cannot
 * swallow the next one.
 *
 * Output is queued while OpenSSL runs and sent (one send() per datagram) after each
 * OpenSSL call returns, so the send callback never runs inside OpenSSL.
 *
 * The peer certificate is checked against the remote a=fingerprint inside the
 * handshake (cert_verify_callback: a mismatch makes OpenSSL send bad_certificate and
 * stop) and again after it, before any key is exported.
 */
#include "media/dtls.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/log.h"

#define SY_DTLS_MTU 1200
/* Handshake input accepted before the handshake completes (fragment floods, garbage). */
#define SY_DTLS_MAX_HANDSHAKE_INPUT (64 * 1024)
/* Total handshake time from sy_dtls_start(). */
#define SY_DTLS_HANDSHAKE_DEADLINE_MS 20000
/* Largest application record we send (an SCTP packet). OpenSSL sizes its write buffer
 * from this (~1.9 KB instead of ~16.6 KB per connection); SCTP's MTU should be at most
 * SY_DTLS_MTU - 37 (record header, GCM nonce and tag) so a record fits one datagram. */
#define SY_DTLS_MAX_APP_RECORD 1500
/* Largest datagram fed to OpenSSL (anything larger is not a DTLS datagram we accept). */
#define SY_DTLS_MAX_DATAGRAM 16384
/* Queued output per OpenSSL call (a flight is ~1.5 KB, an application record <= 1.5 KB). */
#define SY_DTLS_MAX_OUTBOX (16 * 1024)
/* Peer certificate chains larger than this are refused; it also bounds OpenSSL's
 * buffering of out-of-order handshake messages (~10 messages of at most ~16.7 KB). */
#define SY_DTLS_MAX_CERT_LIST (16 * 1024)
#define SY_DTLS_MAX_FINGERPRINTS 8
#define SY_DTLS_CIPHERS_ECDSA                                                                      \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"
/* Only when a configured certificate has an RSA key. */
#define SY_DTLS_CIPHERS_RSA                                                                        \
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"
#define SY_DTLS_SRTP_PROFILES                                                                      \
    "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32"

struct sy_dtls {
    SSL *ssl;
    sy_dtls_role role;
    sy_dtls_state state;
    const char *reason;
    sy_dtls_send_fn send;
    sy_dtls_data_fn data;
    void *user;

    /* Remote fingerprints of the strongest hash offered. */
    const EVP_MD *md;
    size_t fp_len, n_fp;
    uint8_t fp[SY_DTLS_MAX_FINGERPRINTS][EVP_MAX_MD_SIZE];

    /* The datagram being fed (read side of the BIO). */
    const uint8_t *in;
    size_t in_len;

    /* Queued output: datagrams as [u16 length][bytes], the last one still open for
     * more records while it stays under the MTU. */
    uint8_t *out;
    size_t out_len, out_cap;
    size_t open_dgram; /* offset of the open datagram's length prefix, or SIZE_MAX */
    bool flushing;

    size_t handshake_bytes;
    uint64_t deadline_ms;
    bool fatal_alert_received;
    bool close_notify_received;
    sy_srtp_keys keys;
};

static SSL_CTX *g_ctx;
static BIO_METHOD *g_bio_method;
static char g_fingerprint[3 * 32];

/* ---- helpers ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void log_ssl_errors(const char *what)
{
    unsigned long e;
    char buf[256];
    while ((e = ERR_get_error()) != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        SY_VERB("dtls: %s: %s", what, buf);
    }
}

static void fail(sy_dtls *d, const char *reason)
{
    if (d->state == SY_DTLS_FAILED || d->state == SY_DTLS_CLOSED) return;
    d->state = SY_DTLS_FAILED;
    d->reason = reason;
    OPENSSL_cleanse(&d->keys, sizeof(d->keys));
    d->keys.profile = SY_SRTP_NONE;
    SY_VERB("dtls: %p failed: %s", (void *)d, reason);
}

/* ---- the datagram BIO ---- */

static int outbox_reserve(sy_dtls *d, size_t extra)
{
    if (d->out_len + extra <= d->out_cap) return 0;
    if (d->flushing || d->out_len + extra > SY_DTLS_MAX_OUTBOX) return -1;
    size_t cap = d->out_cap ? d->out_cap : 2048;
    while (cap < d->out_len + extra)
        cap *= 2;
    uint8_t *p = realloc(d->out, cap);
    if (!p) return -1;
    d->out = p;
    d->out_cap = cap;
    return 0;
}

static int bio_write(BIO *b, const char *buf, int len)
{
    sy_dtls *d = BIO_get_data(b);
    if (!d || len <= 0) return 0;
    size_t n = (size_t)len;
    if (d->open_dgram != SIZE_MAX) {
        uint8_t *hdr = d->out + d->open_dgram;
        size_t cur = (size_t)hdr[0] << 8 | hdr[1];
        if (cur + n <= SY_DTLS_MTU && outbox_reserve(d, n) == 0) {
            hdr = d->out + d->open_dgram;
            memcpy(d->out + d->out_len, buf, n);
            d->out_len += n;
            cur += n;
            hdr[0] = (uint8_t)(cur >> 8);
            hdr[1] = (uint8_t)cur;
            return len;
        }
    }
    if (n > 0xFFFF || outbox_reserve(d, 2 + n) != 0) return -1;
    d->open_dgram = d->out_len;
    d->out[d->out_len] = (uint8_t)(n >> 8);
    d->out[d->out_len + 1] = (uint8_t)n;
    memcpy(d->out + d->out_len + 2, buf, n);
    d->out_len += 2 + n;
    return len;
}

static int bio_read(BIO *b, char *buf, int len)
{
    sy_dtls *d = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!d || d->in_len == 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    /* One datagram per read; a datagram larger than the buffer is truncated, as a
     * datagram socket would do. */
    size_t n = d->in_len < (size_t)len ? d->in_len : (size_t)len;
    memcpy(buf, d->in, n);
    d->in = NULL;
    d->in_len = 0;
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    sy_dtls *d = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_PENDING:
        return d ? (long)d->in_len : 0;
    case BIO_CTRL_WPENDING:
        return 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return SY_DTLS_MTU;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        return 0; /* the MTU we are given is already the UDP payload size */
    default:
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    BIO_set_data(b, NULL);
    return 1;
}

static int bio_destroy(BIO *b)
{
    BIO_set_data(b, NULL);
    return 1;
}

/* Sends the queued datagrams, one send() each. The send callback must not call back
 * into this sy_dtls; if it did, output that fits the outbox would go out in this same
 * loop, and anything needing a larger outbox is refused (no realloc under our feet). */
static void flush(sy_dtls *d)
{
    if (d->flushing) return;
    d->flushing = true;
    size_t off = 0;
    while (off + 2 <= d->out_len) {
        size_t n = (size_t)d->out[off] << 8 | d->out[off + 1];
        if (off + 2 + n > d->out_len) break;
        if (d->send && n > 0) d->send(d->user, d->out + off + 2, n);
        off += 2 + n;
    }
    d->out_len = 0;
    d->open_dgram = SIZE_MAX;
    d->flushing = false;
}

/* ---- input screening ---- */

/* Whether a datagram is made of whole, well-formed DTLS records (RFC 6347 4.1) whose
 * plaintext epoch-0 content is self-consistent. OpenSSL treats a malformed handshake
 * fragment (e.g. offset + length past the message length) as fatal; since epoch 0 is
 * unauthenticated, one spoofed garbage datagram would otherwise end a handshake.
 * Encrypted records (epoch >= 1) are left to OpenSSL, which drops what fails
 * authentication. */
static bool datagram_well_formed(const uint8_t *p, size_t len)
{
    if (len < 13) return false;
    while (len > 0) {
        if (len < 13) return false;
        uint8_t type = p[0];
        if (type < 20 || type > 23 || p[1] != 0xFE || (p[2] != 0xFF && p[2] != 0xFD)) return false;
        uint16_t epoch = (uint16_t)(p[3] << 8 | p[4]);
        size_t rl = (size_t)p[11] << 8 | p[12];
        if (rl == 0 || 13 + rl > len) return false;
        const uint8_t *body = p + 13;
        if (epoch == 0) {
            switch (type) {
            case 20: /* ChangeCipherSpec */
                if (rl != 1 || body[0] != 1) return false;
                break;
            case 21: /* alert: warning or fatal */
                if (rl != 2 || (body[0] != 1 && body[0] != 2)) return false;
                break;
            case 22: /* one or more handshake fragments filling the record exactly */
                for (size_t off = 0; off < rl;) {
                    if (rl - off < 12) return false;
                    const uint8_t *h = body + off;
                    size_t msg_len = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
                    size_t frag_off = (size_t)h[6] << 16 | (size_t)h[7] << 8 | h[8];
                    size_t frag_len = (size_t)h[9] << 16 | (size_t)h[10] << 8 | h[11];
                    if (frag_len > rl - off - 12 || frag_off + frag_len > msg_len) return false;
                    off += 12 + frag_len;
                }
                break;
            default: /* no application data before keys exist */
                return false;
            }
        }
        p += 13 + rl;
        len -= 13 + rl;
    }
    return true;
}

/* ---- fingerprints ---- */

static int hash_rank(const char *name, size_t len, const EVP_MD **md)
{
    static const struct {
        const char *name;
        int rank;
    } hashes[] = {{"sha-512", 5}, {"sha-384", 4}, {"sha-256", 3}, {"sha-224", 2}, {"sha-1", 1}};
    for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
        if (strlen(hashes[i].name) == len && strncasecmp(name, hashes[i].name, len) == 0) {
            switch (hashes[i].rank) {
            case 5:
                *md = EVP_sha512();
                break;
            case 4:
                *md = EVP_sha384();
                break;
            case 3:
                *md = EVP_sha256();
                break;
            case 2:
                *md = EVP_sha224();
                break;
            default:
                *md = EVP_sha1();
                break;
            }
            return hashes[i].rank;
        }
    }
    return 0; /* md5, md2 and unknown hashes are refused */
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* "AB:cd:..." -> bytes (case-insensitive). Returns the byte count or -1. */
static int parse_hex_fingerprint(const char *s, uint8_t *out, size_t max)
{
    size_t n = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    for (;;) {
        int hi = hex_digit((unsigned char)s[0]);
        int lo = hi < 0 ? -1 : hex_digit((unsigned char)s[1]);
        if (hi < 0 || lo < 0 || n >= max) return -1;
        out[n++] = (uint8_t)(hi << 4 | lo);
        s += 2;
        if (*s == ':') {
            s++;
            continue;
        }
        break;
    }
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s ? -1 : (int)n;
}

/* Keeps the fingerprints of the strongest hash offered (RFC 8122 5). */
static int set_fingerprints(sy_dtls *d, const char *const *fps, size_t n)
{
    int best = 0;
    for (size_t i = 0; i < n; i++) {
        const char *f = fps[i];
        if (!f) continue;
        while (*f == ' ')
            f++;
        const char *sp = strpbrk(f, " \t");
        if (!sp) continue;
        const EVP_MD *md = NULL;
        int rank = hash_rank(f, (size_t)(sp - f), &md);
        if (rank == 0) continue;
        uint8_t bytes[EVP_MAX_MD_SIZE];
        int len = parse_hex_fingerprint(sp, bytes, sizeof(bytes));
        if (len != EVP_MD_get_size(md)) continue;
        if (rank > best) {
            best = rank;
            d->md = md;
            d->fp_len = (size_t)len;
            d->n_fp = 0;
        }
        if (rank == best && d->n_fp < SY_DTLS_MAX_FINGERPRINTS)
            memcpy(d->fp[d->n_fp++], bytes, (size_t)len);
    }
    return best > 0 ? 0 : -1;
}

static bool fingerprint_matches(const sy_dtls *d, X509 *cert)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!cert || !d->md || !X509_digest(cert, d->md, md, &len) || len != d->fp_len) return false;
    for (size_t i = 0; i < d->n_fp; i++)
        if (CRYPTO_memcmp(md, d->fp[i], len) == 0) return true;
    return false;
}

/* ---- OpenSSL callbacks (shared context, per-connection data through app data) ---- */

/* Replaces chain verification: a WebRTC certificate is self-signed and its validity
 * dates mean nothing; what authenticates the peer is the signaled fingerprint. */
static int cert_verify_cb(X509_STORE_CTX *store, void *arg)
{
    (void)arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    sy_dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    if (d && fingerprint_matches(d, leaf)) {
        X509_STORE_CTX_set_error(store, X509_V_OK);
        return 1;
    }
    SY_WARN("dtls: the peer certificate does not match the signaled fingerprint");
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
}

static int verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
    (void)preverify_ok;
    (void)store;
    return 1; /* not reached with cert_verify_cb; kept so SSL_VERIFY_PEER has a callback */
}

static void info_cb(const SSL *ssl, int where, int ret)
{
    sy_dtls *d = SSL_get_app_data(ssl);
    if (!d || !(where & SSL_CB_ALERT) || !(where & SSL_CB_READ)) return;
    int level = (ret >> 8) & 0xFF, desc = ret & 0xFF;
    if (desc == SSL_AD_CLOSE_NOTIFY)
        d->close_notify_received = true;
    else if (level == SSL3_AL_FATAL)
        d->fatal_alert_received = true;
    SY_VERB("dtls: %p received alert %s (%s)", (void *)d, SSL_alert_desc_string_long(ret),
            SSL_alert_type_string_long(ret));
}

/* ---- global context ---- */

static int no_password_cb(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag;
    const char *pwd = u;
    if (!pwd) return 0; /* never prompt on a terminal */
    size_t n = strlen(pwd);
    if (n > (size_t)size) return 0;
    memcpy(buf, pwd, n);
    return (int)n;
}

static int generate_certificate(X509 **out_cert, EVP_PKEY **out_key)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *cert = X509_new();
    BIGNUM *serial = BN_new();
    int ok = key && cert && serial;
    ok = ok && X509_set_version(cert, 2);
    /* 64 random bits, top bit clear so the INTEGER stays positive and short. */
    ok = ok && BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
    ok = ok && BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert));
    /* Valid from yesterday (peers with skewed clocks) for one year. */
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert), -86400L);
    ok = ok && X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 86400L);
    X509_NAME *name = ok ? X509_get_subject_name(cert) : NULL;
    ok = ok && name &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"Switchyard",
                                    -1, -1, 0);
    ok = ok && X509_set_issuer_name(cert, name);
    ok = ok && X509_set_pubkey(cert, key);
    ok = ok && X509_sign(cert, key, EVP_sha256()) > 0;
    BN_free(serial);
    if (!ok) {
        X509_free(cert);
        EVP_PKEY_free(key);
        return -1;
    }
    *out_cert = cert;
    *out_key = key;
    return 0;
}

static int load_certificate(const char *cert_pem, const char *key_pem, const char *key_pwd,
                            X509 **out_cert, EVP_PKEY **out_key)
{
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    BIO *b = BIO_new_file(cert_pem, "r");
    if (b) cert = PEM_read_bio_X509(b, NULL, no_password_cb, NULL);
    BIO_free(b);
    b = BIO_new_file(key_pem, "r");
    if (b) key = PEM_read_bio_PrivateKey(b, NULL, no_password_cb, (void *)key_pwd);
    BIO_free(b);
    if (!cert || !key) {
        SY_ERROR("dtls: cannot load %s from %s", cert ? "the key" : "the certificate",
                 cert ? key_pem : cert_pem);
        X509_free(cert);
        EVP_PKEY_free(key);
        return -1;
    }
    *out_cert = cert;
    *out_key = key;
    return 0;
}

int sy_dtls_global_init(const char *cert_pem, const char *key_pem, const char *key_pwd)
{
    if (g_ctx) return 0;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    int r = cert_pem && key_pem ? load_certificate(cert_pem, key_pem, key_pwd, &cert, &key)
                                : generate_certificate(&cert, &key);
    if (r != 0) {
        log_ssl_errors("certificate");
        return -1;
    }

    const char *ciphers = NULL;
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC:
    case EVP_PKEY_ED25519:
        ciphers = SY_DTLS_CIPHERS_ECDSA;
        break;
    case EVP_PKEY_RSA:
        ciphers = SY_DTLS_CIPHERS_RSA;
        SY_WARN("dtls: the configured certificate has an RSA key; ECDSA P-256 is preferred");
        break;
    default:
        SY_ERROR("dtls: unsupported certificate key type (use ECDSA P-256)");
        X509_free(cert);
        EVP_PKEY_free(key);
        return -1;
    }

    uint8_t md[32];
    unsigned int md_len = 0;
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    g_bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sy_dtls");
    int ok = ctx && g_bio_method;
    ok = ok && BIO_meth_set_write(g_bio_method, bio_write) &&
         BIO_meth_set_read(g_bio_method, bio_read) && BIO_meth_set_ctrl(g_bio_method, bio_ctrl) &&
         BIO_meth_set_create(g_bio_method, bio_create) &&
         BIO_meth_set_destroy(g_bio_method, bio_destroy);
    ok = ok && SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    if (ok) {
        SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                     SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU |
                                     SSL_OP_CIPHER_SERVER_PREFERENCE);
        SSL_CTX_clear_options(ctx, SSL_OP_COOKIE_EXCHANGE);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_read_ahead(ctx, 0);
        SSL_CTX_set_max_cert_list(ctx, SY_DTLS_MAX_CERT_LIST);
        SSL_CTX_set_max_send_fragment(ctx, SY_DTLS_MAX_APP_RECORD);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
        SSL_CTX_set_cert_verify_callback(ctx, cert_verify_cb, NULL);
        SSL_CTX_set_info_callback(ctx, info_cb);
    }
    ok = ok && SSL_CTX_set_cipher_list(ctx, ciphers);
    ok = ok && SSL_CTX_set1_groups_list(ctx, "P-256:X25519");
    ok = ok && SSL_CTX_set_tlsext_use_srtp(ctx, SY_DTLS_SRTP_PROFILES) == 0; /* 0 = success */
    ok = ok && SSL_CTX_use_certificate(ctx, cert) && SSL_CTX_use_PrivateKey(ctx, key) &&
         SSL_CTX_check_private_key(ctx);
    ok = ok && X509_digest(cert, EVP_sha256(), md, &md_len) && md_len == sizeof(md);
    X509_free(cert); /* the context holds its own references */
    EVP_PKEY_free(key);
    if (!ok) {
        log_ssl_errors("context");
        SY_ERROR("dtls: cannot set up the DTLS context");
        SSL_CTX_free(ctx);
        BIO_meth_free(g_bio_method);
        g_bio_method = NULL;
        return -1;
    }
    for (unsigned int i = 0; i < md_len; i++)
        snprintf(g_fingerprint + 3 * i, 4, i + 1 < md_len ? "%02X:" : "%02X", md[i]);
    g_ctx = ctx;
    SY_INFO("dtls: certificate fingerprint sha-256 %s", g_fingerprint);
    return 0;
}

void sy_dtls_global_cleanup(void)
{
    SSL_CTX_free(g_ctx);
    g_ctx = NULL;
    BIO_meth_free(g_bio_method);
    g_bio_method = NULL;
    g_fingerprint[0] = '\0';
}

const char *sy_dtls_local_fingerprint(void)
{
    return g_fingerprint;
}

/* ---- one connection ---- */

sy_dtls *sy_dtls_new(sy_dtls_role role, const char *const *remote_fingerprints, size_t n,
                     sy_dtls_send_fn send, sy_dtls_data_fn data, void *user)
{
    if (!g_ctx) return NULL;
    sy_dtls *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->role = role;
    d->state = SY_DTLS_NEW;
    d->send = send;
    d->data = data;
    d->user = user;
    d->open_dgram = SIZE_MAX;
    if (set_fingerprints(d, remote_fingerprints, n) != 0) {
        SY_WARN("dtls: no usable remote fingerprint (sha-1 or stronger required)");
        free(d);
        return NULL;
    }
    ERR_clear_error();
    d->ssl = SSL_new(g_ctx);
    BIO *rbio = BIO_new(g_bio_method), *wbio = BIO_new(g_bio_method);
    if (!d->ssl || !rbio || !wbio) {
        BIO_free(rbio);
        BIO_free(wbio);
        SSL_free(d->ssl);
        free(d);
        log_ssl_errors("new");
        return NULL;
    }
    BIO_set_data(rbio, d);
    BIO_set_data(wbio, d);
    SSL_set_bio(d->ssl, rbio, wbio);
    SSL_set_app_data(d->ssl, d);
    DTLS_set_link_mtu(d->ssl, SY_DTLS_MTU);
    return d;
}

void sy_dtls_free(sy_dtls *d)
{
    if (!d) return;
    SSL_free(d->ssl); /* frees both BIOs */
    OPENSSL_cleanse(&d->keys, sizeof(d->keys));
    free(d->out);
    free(d);
}

int sy_dtls_start(sy_dtls *d)
{
    if (!d || d->state != SY_DTLS_NEW) return -1;
    d->state = SY_DTLS_CONNECTING;
    d->deadline_ms = now_ms() + SY_DTLS_HANDSHAKE_DEADLINE_MS;
    if (d->role == SY_DTLS_SERVER) {
        /* No SSL_OP_COOKIE_EXCHANGE: the ClientHello is answered directly (DTLS is
         * accepted only from the ICE-validated address, security.md). */
        SSL_set_accept_state(d->ssl);
        return 0;
    }
    SSL_set_connect_state(d->ssl);
    ERR_clear_error();
    int r = SSL_do_handshake(d->ssl);
    flush(d);
    if (r <= 0 && SSL_get_error(d->ssl, r) != SSL_ERROR_WANT_READ) {
        log_ssl_errors("start");
        fail(d, "DTLS error");
        return -1;
    }
    return 0;
}

static const struct {
    unsigned long id;
    sy_srtp_profile profile;
    size_t key_len, salt_len;
} srtp_profiles[] = {
    {SRTP_AEAD_AES_128_GCM, SY_SRTP_AEAD_AES_128_GCM, 16, 12},
    {SRTP_AEAD_AES_256_GCM, SY_SRTP_AEAD_AES_256_GCM, 32, 12},
    {SRTP_AES128_CM_SHA1_80, SY_SRTP_AES128_CM_SHA1_80, 16, 14},
    {SRTP_AES128_CM_SHA1_32, SY_SRTP_AES128_CM_SHA1_32, 16, 14},
};

/* The handshake is complete: check the peer, then export the SRTP keys. */
static void handshake_done(sy_dtls *d)
{
    X509 *peer = SSL_get1_peer_certificate(d->ssl);
    bool have_peer = peer != NULL, match = fingerprint_matches(d, peer);
    X509_free(peer);
    if (!match) {
        SY_WARN("dtls: peer certificate %s",
                have_peer ? "does not match the fingerprint" : "missing");
        fail(d, "DTLS error");
        return;
    }
    const SRTP_PROTECTION_PROFILE *sp = SSL_get_selected_srtp_profile(d->ssl);
    size_t i = 0, n = sizeof(srtp_profiles) / sizeof(srtp_profiles[0]);
    while (sp && i < n && srtp_profiles[i].id != sp->id)
        i++;
    if (!sp || i == n) {
        SY_WARN("dtls: no SRTP profile negotiated");
        fail(d, "DTLS error");
        return;
    }
    size_t kl = srtp_profiles[i].key_len, sl = srtp_profiles[i].salt_len;
    uint8_t m[2 * (32 + 14)];
    static const char label[] = "EXTRACTOR-dtls_srtp";
    ERR_clear_error();
    if (SSL_export_keying_material(d->ssl, m, 2 * (kl + sl), label, sizeof(label) - 1, NULL, 0,
                                   0) != 1) {
        log_ssl_errors("export");
        fail(d, "DTLS error");
        return;
    }
    /* RFC 5764 4.2: client key | server key | client salt | server salt. */
    const uint8_t *ck = m, *sk = m + kl, *cs = m + 2 * kl, *ss = m + 2 * kl + sl;
    bool client = d->role == SY_DTLS_CLIENT;
    sy_srtp_keys *k = &d->keys;
    memcpy(k->local_key, client ? ck : sk, kl);
    memcpy(k->local_key + kl, client ? cs : ss, sl);
    memcpy(k->remote_key, client ? sk : ck, kl);
    memcpy(k->remote_key + kl, client ? ss : cs, sl);
    k->key_len = kl;
    k->salt_len = sl;
    k->profile = srtp_profiles[i].profile;
    OPENSSL_cleanse(m, sizeof(m));
    d->state = SY_DTLS_CONNECTED;
    SY_VERB("dtls: %p connected (%s, %s)", (void *)d, SSL_get_cipher_name(d->ssl),
            sy_srtp_profile_name(k->profile));
}

/* An OpenSSL call returned r <= 0: decide whether that is fatal. */
static void check_error(sy_dtls *d, int r, const char *what)
{
    int err = SSL_get_error(d->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
    if (err == SSL_ERROR_ZERO_RETURN || d->close_notify_received) {
        d->state = SY_DTLS_CLOSED;
        return;
    }
    log_ssl_errors(what);
    fail(d, d->fatal_alert_received ? "DTLS alert" : "DTLS error");
}

/* Connected: read and deliver application data until OpenSSL wants more input. */
static void read_app_data(sy_dtls *d)
{
    uint8_t buf[SY_DTLS_MAX_DATAGRAM];
    while (d->state == SY_DTLS_CONNECTED) {
        ERR_clear_error();
        int r = SSL_read(d->ssl, buf, sizeof(buf));
        flush(d); /* retransmitted Finished flight, no_renegotiation alert */
        if (r <= 0) {
            check_error(d, r, "read");
            return;
        }
        if (d->data) d->data(d->user, buf, (size_t)r);
    }
}

sy_dtls_state sy_dtls_incoming(sy_dtls *d, const uint8_t *data, size_t len)
{
    if (!d) return SY_DTLS_FAILED;
    if (d->state == SY_DTLS_NEW && d->role == SY_DTLS_SERVER) sy_dtls_start(d);
    if (d->state != SY_DTLS_CONNECTING && d->state != SY_DTLS_CONNECTED) return d->state;
    if (!data || len == 0 || len > SY_DTLS_MAX_DATAGRAM) return d->state;
    if (!datagram_well_formed(data, len)) return d->state; /* dropped, not counted */

    if (d->state == SY_DTLS_CONNECTING) {
        d->handshake_bytes += len;
        if (d->handshake_bytes > SY_DTLS_MAX_HANDSHAKE_INPUT) {
            SY_WARN("dtls: more than %d bytes of handshake input, giving up",
                    SY_DTLS_MAX_HANDSHAKE_INPUT);
            fail(d, "DTLS error");
            return d->state;
        }
    }
    d->in = data;
    d->in_len = len;
    if (d->state == SY_DTLS_CONNECTING) {
        ERR_clear_error();
        int r = SSL_do_handshake(d->ssl);
        flush(d);
        if (r == 1)
            handshake_done(d);
        else
            check_error(d, r, "handshake");
    }
    /* Application data may follow the Finished in the same datagram. */
    if (d->state == SY_DTLS_CONNECTED) read_app_data(d);
    d->in = NULL;
    d->in_len = 0;
    return d->state;
}

int64_t sy_dtls_timeout_ms(sy_dtls *d)
{
    if (!d || d->state != SY_DTLS_CONNECTING) return -1;
    uint64_t now = now_ms();
    int64_t left = d->deadline_ms > now ? (int64_t)(d->deadline_ms - now) : 0;
    struct timeval tv;
    if (DTLSv1_get_timeout(d->ssl, &tv) == 1) {
        int64_t t = (int64_t)tv.tv_sec * 1000 + ((int64_t)tv.tv_usec + 999) / 1000;
        if (t < left) left = t;
    }
    return left;
}

sy_dtls_state sy_dtls_handle_timeout(sy_dtls *d)
{
    if (!d) return SY_DTLS_FAILED;
    if (d->state != SY_DTLS_CONNECTING) return d->state;
    if (now_ms() >= d->deadline_ms) {
        SY_WARN("dtls: handshake not complete after %d ms", SY_DTLS_HANDSHAKE_DEADLINE_MS);
        fail(d, "DTLS timeout");
        return d->state;
    }
    ERR_clear_error();
    int r = DTLSv1_handle_timeout(d->ssl); /* retransmits the last flight if it is due */
    flush(d);
    if (r < 0) {
        log_ssl_errors("timeout");
        fail(d, "DTLS timeout");
    }
    return d->state;
}

sy_dtls_state sy_dtls_state_get(const sy_dtls *d)
{
    return d ? d->state : SY_DTLS_FAILED;
}

const sy_srtp_keys *sy_dtls_srtp_keys(const sy_dtls *d)
{
    if (!d || d->keys.profile == SY_SRTP_NONE) return NULL;
    if (d->state != SY_DTLS_CONNECTED && d->state != SY_DTLS_CLOSED) return NULL;
    return &d->keys;
}

const char *sy_dtls_failure_reason(const sy_dtls *d)
{
    return d && d->state == SY_DTLS_FAILED ? d->reason : NULL;
}

int sy_dtls_send_app(sy_dtls *d, const uint8_t *data, size_t len)
{
    /* Checked here: OpenSSL treats a record over max_send_fragment as a fatal error. */
    if (!d || d->state != SY_DTLS_CONNECTED || !data || len == 0 || len > SY_DTLS_MAX_APP_RECORD)
        return -1;
    ERR_clear_error();
    int r = SSL_write(d->ssl, data, (int)len);
    flush(d);
    if (r == (int)len) return 0;
    if (r <= 0) check_error(d, r, "write");
    return -1;
}

void sy_dtls_close(sy_dtls *d)
{
    if (!d) return;
    if (d->state == SY_DTLS_CONNECTED) {
        ERR_clear_error();
        SSL_shutdown(d->ssl); /* close_notify */
        flush(d);
        ERR_clear_error();
    }
    if (d->state == SY_DTLS_NEW || d->state == SY_DTLS_CONNECTING || d->state == SY_DTLS_CONNECTED)
        d->state = SY_DTLS_CLOSED;
}

const char *sy_srtp_profile_name(sy_srtp_profile p)
{
    switch (p) {
    case SY_SRTP_AEAD_AES_128_GCM:
        return "AEAD_AES_128_GCM";
    case SY_SRTP_AEAD_AES_256_GCM:
        return "AEAD_AES_256_GCM";
    case SY_SRTP_AES128_CM_SHA1_80:
        return "AES_CM_128_HMAC_SHA1_80";
    case SY_SRTP_AES128_CM_SHA1_32:
        return "AES_CM_128_HMAC_SHA1_32";
    default:
        return "none";
    }
}

/* Test hook (dtls.h): the connection's SSL object. */
void *sy_dtls_test_ssl(sy_dtls *d)
{
    return d ? d->ssl : NULL;
}

void sy_dtls_test_set_deadline(sy_dtls *d, int64_t ms_from_now)
{
    uint64_t now = now_ms();
    if (d) d->deadline_ms = ms_from_now > 0 ? now + (uint64_t)ms_from_now : now;
}
