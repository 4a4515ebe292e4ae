/*
 * DTLS-SRTP (src/media/dtls.h): a client and a server sy_dtls wired to each other in
 * memory (each one's send callback queues datagrams for the other), driven until both
 * are connected. Checks the negotiated suite and SRTP profile, mirrored keys, the
 * fingerprint rules (strongest hash, mismatch, md5, missing certificate), lost
 * flights and retransmission, a fragmented ClientHello, garbage, a fragment flood with
 * bounded memory, renegotiation refused, close_notify and the handshake deadline.
 *
 * OpenSSL's allocations are counted (CRYPTO_set_mem_functions) to bound memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "check.h"
#include "core/log.h"
#include "media/dtls.h"

/* ---- OpenSSL memory accounting ---- */

static size_t mem_now, mem_peak;

static void *count_malloc(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    uint8_t *p = malloc(n + 16);
    if (!p) return NULL;
    memcpy(p, &n, sizeof(n));
    mem_now += n;
    if (mem_now > mem_peak) mem_peak = mem_now;
    return p + 16;
}

static void count_free(void *ptr, const char *file, int line)
{
    (void)file, (void)line;
    if (!ptr) return;
    uint8_t *p = (uint8_t *)ptr - 16;
    size_t n;
    memcpy(&n, p, sizeof(n));
    mem_now -= n;
    free(p);
}

static void *count_realloc(void *ptr, size_t n, const char *file, int line)
{
    if (!ptr) return count_malloc(n, file, line);
    if (n == 0) {
        count_free(ptr, file, line);
        return NULL;
    }
    uint8_t *p = (uint8_t *)ptr - 16;
    size_t old;
    memcpy(&old, p, sizeof(old));
    uint8_t *q = realloc(p, n + 16);
    if (!q) return NULL;
    memcpy(q, &n, sizeof(n));
    mem_now = mem_now - old + n;
    if (mem_now > mem_peak) mem_peak = mem_now;
    return q + 16;
}

/* ---- two peers in memory ---- */

#define MAX_QUEUE 256

typedef struct datagram {
    uint8_t *data;
    size_t len;
} datagram;

typedef struct peer {
    const char *name;
    sy_dtls *d;
    struct peer *other;
    datagram inbox[MAX_QUEUE];
    size_t n_in;
    int drop;            /* drop this many of our next outgoing datagrams */
    int sent;            /* datagrams sent */
    size_t max_sent_len; /* largest datagram sent */
    datagram first;      /* copy of the first datagram sent */
    int alerts_sent;     /* records of content type 21 sent */
    uint8_t app[2048];   /* last application data received */
    size_t app_len;
    int app_count;
} peer;

static void on_send(void *user, const uint8_t *data, size_t len)
{
    peer *p = user;
    p->sent++;
    if (len > p->max_sent_len) p->max_sent_len = len;
    if (!p->first.data) {
        p->first.data = malloc(len);
        memcpy(p->first.data, data, len);
        p->first.len = len;
    }
    /* Walk the records of the datagram and count alerts. */
    for (size_t off = 0; off + 13 <= len;) {
        if (data[off] == 21) p->alerts_sent++;
        off += 13 + ((size_t)data[off + 11] << 8 | data[off + 12]);
    }
    if (p->drop > 0) {
        p->drop--;
        return;
    }
    peer *o = p->other;
    if (o->n_in == MAX_QUEUE) return;
    o->inbox[o->n_in].data = malloc(len);
    memcpy(o->inbox[o->n_in].data, data, len);
    o->inbox[o->n_in].len = len;
    o->n_in++;
}

static void on_data(void *user, const uint8_t *data, size_t len)
{
    peer *p = user;
    p->app_count++;
    p->app_len = len < sizeof(p->app) ? len : sizeof(p->app);
    memcpy(p->app, data, p->app_len);
}

/* Delivers everything queued for p. Returns the number of datagrams delivered. */
static int deliver(peer *p)
{
    int n = 0;
    while (p->n_in > 0) {
        datagram g = p->inbox[0];
        memmove(p->inbox, p->inbox + 1, (p->n_in - 1) * sizeof(datagram));
        p->n_in--;
        sy_dtls_incoming(p->d, g.data, g.len);
        free(g.data);
        n++;
    }
    return n;
}

static void pump(peer *a, peer *b)
{
    for (int i = 0; i < 100; i++)
        if (deliver(a) + deliver(b) == 0) break;
}

static bool settled(const peer *p)
{
    sy_dtls_state s = sy_dtls_state_get(p->d);
    return s == SY_DTLS_CONNECTED || s == SY_DTLS_FAILED || s == SY_DTLS_CLOSED;
}

/* Pumps, and when both are stuck waits for the retransmission timer and fires it. */
static void run(peer *a, peer *b, int max_timeouts)
{
    pump(a, b);
    for (int i = 0; i < max_timeouts && !(settled(a) && settled(b)); i++) {
        int64_t ta = sy_dtls_timeout_ms(a->d), tb = sy_dtls_timeout_ms(b->d);
        int64_t t = ta < 0 ? tb : tb < 0 ? ta : ta < tb ? ta : tb;
        if (t < 0) break;
        usleep((useconds_t)(t + 5) * 1000);
        sy_dtls_handle_timeout(a->d);
        sy_dtls_handle_timeout(b->d);
        pump(a, b);
    }
}

static char local_fp[128];

static void peer_init(peer *p, const char *name, sy_dtls_role role, const char *const *fps,
                      size_t n)
{
    memset(p, 0, sizeof(*p));
    p->name = name;
    p->d = sy_dtls_new(role, fps, n, on_send, on_data, p);
}

static void peer_clear(peer *p)
{
    sy_dtls_free(p->d);
    p->d = NULL;
    for (size_t i = 0; i < p->n_in; i++)
        free(p->inbox[i].data);
    p->n_in = 0;
    free(p->first.data);
    p->first.data = NULL;
}

/* A connected-pair setup: client c, server s, both expecting our own fingerprint. */
static void pair_new(peer *c, peer *s)
{
    const char *fps[] = {local_fp};
    peer_init(c, "client", SY_DTLS_CLIENT, fps, 1);
    peer_init(s, "server", SY_DTLS_SERVER, fps, 1);
    c->other = s;
    s->other = c;
}

static void pair_free(peer *c, peer *s)
{
    peer_clear(c);
    peer_clear(s);
}

static bool keys_mirror(const sy_srtp_keys *a, const sy_srtp_keys *b)
{
    size_t n = a->key_len + a->salt_len;
    return a->profile == b->profile && a->key_len == b->key_len && a->salt_len == b->salt_len &&
           memcmp(a->local_key, b->remote_key, n) == 0 &&
           memcmp(a->remote_key, b->local_key, n) == 0 &&
           memcmp(a->local_key, a->remote_key, n) != 0;
}

/* ---- tests ---- */

static void test_local_fingerprint(void)
{
    const char *fp = sy_dtls_local_fingerprint();
    CHECK(fp != NULL);
    CHECK_EQ_INT(strlen(fp), 32 * 3 - 1);
    for (size_t i = 0; fp && i < strlen(fp); i++) {
        char ch = fp[i];
        if (i % 3 == 2)
            CHECK(ch == ':');
        else if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F')))
            CHECK(!"fingerprint is uppercase hex");
    }
}

static void test_connect(void)
{
    peer c, s;
    pair_new(&c, &s);
    CHECK(c.d && s.d);
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_NEW);
    CHECK(sy_dtls_srtp_keys(c.d) == NULL);
    CHECK_EQ_INT(sy_dtls_timeout_ms(c.d), -1);
    CHECK_EQ_INT(sy_dtls_start(s.d), 0);
    CHECK_EQ_INT(sy_dtls_start(c.d), 0);
    CHECK_EQ_INT(sy_dtls_start(c.d), -1); /* only once */
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTING);
    CHECK_EQ_INT(c.sent, 1); /* the ClientHello */
    int64_t t = sy_dtls_timeout_ms(c.d);
    CHECK(t > 0 && t <= 1000);
    run(&c, &s, 0);
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTED);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
    CHECK(sy_dtls_failure_reason(c.d) == NULL);
    CHECK_EQ_INT(sy_dtls_timeout_ms(s.d), -1);

    /* No HelloVerifyRequest: the server's first handshake message is ServerHello. */
    CHECK(s.first.len > 13 && s.first.data[0] == 22 && s.first.data[13] == 2);
    /* Every datagram fits the 1200-byte MTU. */
    CHECK(c.max_sent_len <= 1200 && s.max_sent_len <= 1200);
    /* A flight of several records goes out packed: ServerHello..ServerHelloDone in one. */
    CHECK(s.sent <= 3);

    SSL *ssl = sy_dtls_test_ssl(s.d);
    CHECK_STR(SSL_get_version(ssl), "DTLSv1.2");
    CHECK_STR(SSL_get_cipher_name(ssl), "ECDHE-ECDSA-AES128-GCM-SHA256");

    const sy_srtp_keys *kc = sy_dtls_srtp_keys(c.d), *ks = sy_dtls_srtp_keys(s.d);
    CHECK(kc && ks);
    if (kc && ks) {
        CHECK_EQ_INT(kc->profile, SY_SRTP_AEAD_AES_128_GCM);
        CHECK_STR(sy_srtp_profile_name(kc->profile), "AEAD_AES_128_GCM");
        CHECK_EQ_INT(kc->key_len, 16);
        CHECK_EQ_INT(kc->salt_len, 12);
        CHECK(keys_mirror(kc, ks));
    }

    /* Application data both ways. */
    CHECK_EQ_INT(sy_dtls_send_app(c.d, (const uint8_t *)"hello", 5), 0);
    pump(&c, &s);
    CHECK_EQ_INT(s.app_count, 1);
    CHECK(s.app_len == 5 && memcmp(s.app, "hello", 5) == 0);
    uint8_t big[1100];
    memset(big, 0xAB, sizeof(big));
    CHECK_EQ_INT(sy_dtls_send_app(s.d, big, sizeof(big)), 0);
    pump(&c, &s);
    CHECK(c.app_len == sizeof(big) && memcmp(c.app, big, sizeof(big)) == 0);
    /* One record per call, at most 1500 bytes; a larger one is refused, not fatal. */
    uint8_t huge[1501];
    memset(huge, 1, sizeof(huge));
    CHECK_EQ_INT(sy_dtls_send_app(s.d, huge, sizeof(huge)), -1);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
    CHECK_EQ_INT(sy_dtls_send_app(s.d, huge, 1500), 0);
    pump(&c, &s);
    CHECK_EQ_INT(c.app_len, 1500);

    /* close_notify: the other side is CLOSED, the keys it already has stay readable. */
    sy_dtls_close(c.d);
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CLOSED);
    pump(&c, &s);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CLOSED);
    CHECK(sy_dtls_failure_reason(s.d) == NULL);
    CHECK_EQ_INT(sy_dtls_send_app(s.d, (const uint8_t *)"x", 1), -1);
    pair_free(&c, &s);
}

/* The server's datagrams cannot start it without sy_dtls_start: a ClientHello that
 * arrives first starts it implicitly. */
static void test_server_implicit_start(void)
{
    peer c, s;
    pair_new(&c, &s);
    sy_dtls_start(c.d);
    run(&c, &s, 0);
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTED);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
    pair_free(&c, &s);
}

static void test_fingerprint_rules(void)
{
    char sha256[160], sha256_lower[160], sha1_wrong[160], sha256_wrong[160], sha1_right[160];
    snprintf(sha256, sizeof(sha256), "sha-256 %s", sy_dtls_local_fingerprint());
    snprintf(sha256_lower, sizeof(sha256_lower), "SHA-256 %s", sy_dtls_local_fingerprint());
    for (char *p = sha256_lower + 8; *p; p++)
        if (*p >= 'A' && *p <= 'F') *p = (char)(*p - 'A' + 'a');
    snprintf(sha1_wrong, sizeof(sha1_wrong),
             "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33");
    snprintf(sha256_wrong, sizeof(sha256_wrong), "sha-256 %s", sy_dtls_local_fingerprint());
    sha256_wrong[8] = sha256_wrong[8] == '0' ? '1' : '0';
    /* The sha-1 fingerprint of our certificate. */
    {
        const char *fps[] = {local_fp};
        sy_dtls *d = sy_dtls_new(SY_DTLS_CLIENT, fps, 1, on_send, on_data, NULL);
        uint8_t md[20];
        unsigned int len = 0;
        X509_digest(SSL_get_certificate(sy_dtls_test_ssl(d)), EVP_sha1(), md, &len);
        int off = snprintf(sha1_right, sizeof(sha1_right), "sha-1 ");
        for (unsigned int i = 0; i < len; i++)
            off += snprintf(sha1_right + off, sizeof(sha1_right) - (size_t)off,
                            i + 1 < len ? "%02x:" : "%02x", md[i]);
        sy_dtls_free(d);
    }

    /* Refused at creation: md5 only, md2, unknown hashes, malformed, none. */
    const char *md5[] = {"md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"};
    const char *md2[] = {"md2 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"};
    const char *unknown[] = {"sha-3 00:11"};
    const char *short_fp[] = {"sha-256 00:11:22"};
    const char *bad_hex[] = {"sha-256 zz"};
    const char *no_hash[] = {"00:11:22"};
    CHECK(sy_dtls_new(SY_DTLS_SERVER, md5, 1, on_send, on_data, NULL) == NULL);
    CHECK(sy_dtls_new(SY_DTLS_SERVER, md2, 1, on_send, on_data, NULL) == NULL);
    CHECK(sy_dtls_new(SY_DTLS_SERVER, unknown, 1, on_send, on_data, NULL) == NULL);
    CHECK(sy_dtls_new(SY_DTLS_SERVER, short_fp, 1, on_send, on_data, NULL) == NULL);
    CHECK(sy_dtls_new(SY_DTLS_SERVER, bad_hex, 1, on_send, on_data, NULL) == NULL);
    CHECK(sy_dtls_new(SY_DTLS_SERVER, no_hash, 1, on_send, on_data, NULL) == NULL);
    CHECK(sy_dtls_new(SY_DTLS_SERVER, NULL, 0, on_send, on_data, NULL) == NULL);

    /* md5 next to a good sha-256: the md5 one is ignored. */
    {
        const char *fps[] = {md5[0], sha256};
        sy_dtls *d = sy_dtls_new(SY_DTLS_SERVER, fps, 2, on_send, on_data, NULL);
        CHECK(d != NULL);
        sy_dtls_free(d);
    }

    struct {
        const char *what;
        const char *server_fps[2]; /* what the server expects of the client */
        size_t n;
        bool ok;
    } cases[] = {
        {"sha-1 wrong + sha-256 right: the strongest hash decides", {sha1_wrong, sha256}, 2, true},
        {"sha-256 in lowercase hex", {sha256_lower}, 1, true},
        {"sha-256 wrong + sha-1 wrong", {sha256_wrong, sha1_wrong}, 2, false},
        {"sha-1 right alone", {sha1_right}, 1, true},
        {"sha-256 wrong + sha-1 right: the strongest hash decides",
         {sha1_right, sha256_wrong},
         2,
         false},
        {"two sha-256, one right", {sha256_wrong, sha256}, 2, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        peer c, s;
        const char *cfps[] = {local_fp};
        peer_init(&c, "client", SY_DTLS_CLIENT, cfps, 1);
        peer_init(&s, "server", SY_DTLS_SERVER, cases[i].server_fps, cases[i].n);
        c.other = &s;
        s.other = &c;
        CHECK(c.d && s.d);
        sy_dtls_start(s.d);
        sy_dtls_start(c.d);
        run(&c, &s, 0);
        sy_dtls_state want = cases[i].ok ? SY_DTLS_CONNECTED : SY_DTLS_FAILED;
        if (sy_dtls_state_get(s.d) != want) fprintf(stderr, "case: %s\n", cases[i].what);
        CHECK_EQ_INT(sy_dtls_state_get(s.d), want);
        CHECK_EQ_INT(sy_dtls_srtp_keys(s.d) != NULL, cases[i].ok);
        if (!cases[i].ok) {
            CHECK_STR(sy_dtls_failure_reason(s.d), "DTLS error");
            /* The server refused the client's certificate with an alert; the client
             * fails on it and has no keys either. */
            CHECK(s.alerts_sent > 0);
            CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_FAILED);
            CHECK_STR(sy_dtls_failure_reason(c.d), "DTLS alert");
            CHECK(sy_dtls_srtp_keys(c.d) == NULL);
        }
        pair_free(&c, &s);
    }
}

/* The client checks the server too: a wrong expectation on the client side. */
static void test_client_rejects_server(void)
{
    char wrong[160];
    snprintf(wrong, sizeof(wrong), "sha-256 %s", sy_dtls_local_fingerprint());
    wrong[sizeof("sha-256 ") - 1 + 3] = wrong[sizeof("sha-256 ") - 1 + 3] == 'A' ? 'B' : 'A';
    const char *cfps[] = {wrong}, *sfps[] = {local_fp};
    peer c, s;
    peer_init(&c, "client", SY_DTLS_CLIENT, cfps, 1);
    peer_init(&s, "server", SY_DTLS_SERVER, sfps, 1);
    c.other = &s;
    s.other = &c;
    sy_dtls_start(s.d);
    sy_dtls_start(c.d);
    run(&c, &s, 0);
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_FAILED);
    CHECK_STR(sy_dtls_failure_reason(c.d), "DTLS error");
    CHECK(sy_dtls_srtp_keys(c.d) == NULL);
    /* The server never completes: it got bad_certificate instead of a Finished. */
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_FAILED);
    CHECK_STR(sy_dtls_failure_reason(s.d), "DTLS alert");
    CHECK(sy_dtls_srtp_keys(s.d) == NULL);
    pair_free(&c, &s);
}

/* A peer with a certificate of its own (a test context): fingerprints of a really
 * different certificate, a client without a certificate, no SRTP extension. */
static SSL_CTX *test_ctx(bool with_cert, bool with_srtp, char *fp_out, size_t fp_size)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256");
    if (with_srtp) SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AES128_CM_SHA1_80");
    if (with_cert) {
        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        X509 *x = X509_new();
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_NAME *n = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"other", -1, -1,
                                   0);
        X509_set_issuer_name(x, n);
        X509_set_pubkey(x, key);
        X509_sign(x, key, EVP_sha256());
        SSL_CTX_use_certificate(ctx, x);
        SSL_CTX_use_PrivateKey(ctx, key);
        uint8_t md[32];
        unsigned int len = 0;
        X509_digest(x, EVP_sha256(), md, &len);
        int off = snprintf(fp_out, fp_size, "sha-256 ");
        for (unsigned int i = 0; i < len; i++)
            off += snprintf(fp_out + off, fp_size - (size_t)off, i + 1 < len ? "%02X:" : "%02X",
                            md[i]);
        X509_free(x);
        EVP_PKEY_free(key);
    }
    return ctx;
}

static void test_other_certificates(void)
{
    char other_fp[160] = "";
    /* 1. A client with another certificate and the server expecting ours: mismatch. */
    {
        SSL_CTX *ctx = test_ctx(true, true, other_fp, sizeof(other_fp));
        peer c, s;
        pair_new(&c, &s);
        SSL_set_SSL_CTX(sy_dtls_test_ssl(c.d), ctx);
        sy_dtls_start(s.d);
        sy_dtls_start(c.d);
        run(&c, &s, 0);
        CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_FAILED);
        CHECK(sy_dtls_srtp_keys(s.d) == NULL);
        CHECK(sy_dtls_srtp_keys(c.d) == NULL);
        pair_free(&c, &s);

        /* ... and with the server expecting that certificate: connects (SHA1_80). */
        const char *sfps[] = {other_fp}, *cfps[] = {local_fp};
        peer_init(&c, "client", SY_DTLS_CLIENT, cfps, 1);
        peer_init(&s, "server", SY_DTLS_SERVER, sfps, 1);
        c.other = &s;
        s.other = &c;
        SSL_set_SSL_CTX(sy_dtls_test_ssl(c.d), ctx);
        sy_dtls_start(s.d);
        sy_dtls_start(c.d);
        run(&c, &s, 0);
        CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
        const sy_srtp_keys *k = sy_dtls_srtp_keys(s.d);
        CHECK(k && k->profile == SY_SRTP_AES128_CM_SHA1_80);
        pair_free(&c, &s);
        SSL_CTX_free(ctx);
    }
    /* 2. A client without a certificate: refused (SSL_VERIFY_FAIL_IF_NO_PEER_CERT). */
    {
        SSL_CTX *ctx = test_ctx(false, true, NULL, 0);
        peer c, s;
        pair_new(&c, &s);
        SSL_set_SSL_CTX(sy_dtls_test_ssl(c.d), ctx);
        SSL_certs_clear(sy_dtls_test_ssl(c.d));
        sy_dtls_start(s.d);
        sy_dtls_start(c.d);
        run(&c, &s, 0);
        CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_FAILED);
        CHECK_STR(sy_dtls_failure_reason(s.d), "DTLS error");
        CHECK(sy_dtls_srtp_keys(s.d) == NULL);
        pair_free(&c, &s);
        SSL_CTX_free(ctx);
    }
    /* 3. A client that offers no use_srtp extension: the handshake completes but both
     * sides fail without keys. */
    {
        SSL_CTX *ctx = test_ctx(true, false, other_fp, sizeof(other_fp));
        const char *sfps[] = {other_fp}, *cfps[] = {local_fp};
        peer c, s;
        peer_init(&c, "client", SY_DTLS_CLIENT, cfps, 1);
        peer_init(&s, "server", SY_DTLS_SERVER, sfps, 1);
        c.other = &s;
        s.other = &c;
        SSL_set_SSL_CTX(sy_dtls_test_ssl(c.d), ctx);
        sy_dtls_start(s.d);
        sy_dtls_start(c.d);
        run(&c, &s, 0);
        CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_FAILED);
        CHECK_STR(sy_dtls_failure_reason(s.d), "DTLS error");
        CHECK(sy_dtls_srtp_keys(s.d) == NULL);
        CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_FAILED);
        CHECK(sy_dtls_srtp_keys(c.d) == NULL);
        pair_free(&c, &s);
        SSL_CTX_free(ctx);
    }
}

static void test_profiles(void)
{
    struct {
        const char *client_offer;
        sy_srtp_profile want;
        size_t key_len, salt_len;
    } cases[] = {
        {"SRTP_AES128_CM_SHA1_80", SY_SRTP_AES128_CM_SHA1_80, 16, 14},
        {"SRTP_AES128_CM_SHA1_32", SY_SRTP_AES128_CM_SHA1_32, 16, 14},
        {"SRTP_AEAD_AES_256_GCM", SY_SRTP_AEAD_AES_256_GCM, 32, 12},
        /* The server's preference wins: GCM-128 first. */
        {"SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM",
         SY_SRTP_AEAD_AES_128_GCM, 16, 12},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        peer c, s;
        pair_new(&c, &s);
        CHECK_EQ_INT(SSL_set_tlsext_use_srtp(sy_dtls_test_ssl(c.d), cases[i].client_offer), 0);
        sy_dtls_start(s.d);
        sy_dtls_start(c.d);
        run(&c, &s, 0);
        CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTED);
        CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
        const sy_srtp_keys *kc = sy_dtls_srtp_keys(c.d), *ks = sy_dtls_srtp_keys(s.d);
        CHECK(kc && ks);
        if (kc && ks) {
            CHECK_EQ_INT(kc->profile, cases[i].want);
            CHECK_EQ_INT(kc->key_len, cases[i].key_len);
            CHECK_EQ_INT(kc->salt_len, cases[i].salt_len);
            CHECK(keys_mirror(kc, ks));
        }
        pair_free(&c, &s);
    }
    CHECK_STR(sy_srtp_profile_name(SY_SRTP_AES128_CM_SHA1_80), "AES_CM_128_HMAC_SHA1_80");
    CHECK_STR(sy_srtp_profile_name(SY_SRTP_NONE), "none");
}

/* Lost flights are retransmitted when the timer fires. */
static void test_retransmission(void)
{
    for (int which = 0; which < 3; which++) {
        peer c, s;
        pair_new(&c, &s);
        if (which == 0) c.drop = 1;       /* the ClientHello */
        if (which == 1) s.drop = 1;       /* the server's first flight */
        if (which == 2) s.drop = 1 << 30; /* everything the server says until we stop */
        sy_dtls_start(s.d);
        sy_dtls_start(c.d);
        pump(&c, &s);
        CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTING);
        if (which == 2) {
            run(&c, &s, 1);
            s.drop = 0;
        }
        int sent_before = c.sent;
        run(&c, &s, 4);
        CHECK(c.sent > sent_before); /* the client retransmitted */
        CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTED);
        CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
        const sy_srtp_keys *kc = sy_dtls_srtp_keys(c.d), *ks = sy_dtls_srtp_keys(s.d);
        CHECK(kc && ks && keys_mirror(kc, ks));
        pair_free(&c, &s);
    }
}

/* The server's final flight (ChangeCipherSpec + Finished) is lost: the server is
 * connected, the client retransmits its flight and the server answers from SSL_read. */
static void test_lost_server_finished(void)
{
    peer c, s;
    pair_new(&c, &s);
    sy_dtls_start(s.d);
    sy_dtls_start(c.d);
    deliver(&s); /* ClientHello -> server flight 1 */
    deliver(&c); /* -> client flight 2 */
    s.drop = 8;  /* drop whatever the server says next */
    deliver(&s); /* server completes, its Finished is lost */
    s.drop = 0;
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTING);
    run(&c, &s, 4);
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTED);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
    const sy_srtp_keys *kc = sy_dtls_srtp_keys(c.d), *ks = sy_dtls_srtp_keys(s.d);
    CHECK(kc && ks && keys_mirror(kc, ks));
    pair_free(&c, &s);
}

/* Chromium's ClientHello (~1.4 KB) arrives fragmented over two datagrams. Here the
 * test client's ClientHello is padded to that size with a long ALPN list (which the
 * server ignores), so that OpenSSL fragments it at the 1200-byte MTU. */
static void test_fragmented_client_hello(void)
{
    peer c, s;
    pair_new(&c, &s);
    uint8_t alpn[1100];
    for (size_t i = 0; i < sizeof(alpn); i += 110) {
        alpn[i] = 109;
        memset(alpn + i + 1, 'a' + (int)(i / 110), 109);
    }
    CHECK_EQ_INT(SSL_set_alpn_protos(sy_dtls_test_ssl(c.d), alpn, sizeof(alpn)), 0);
    sy_dtls_start(s.d);
    sy_dtls_start(c.d);
    CHECK_EQ_INT(c.sent, 2);
    CHECK(c.max_sent_len <= 1200);
    /* The first datagram is a ClientHello fragment shorter than the message. */
    const uint8_t *h = c.first.data + 13;
    size_t msg_len = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    size_t frag_len = (size_t)h[9] << 16 | (size_t)h[10] << 8 | h[11];
    CHECK(h[0] == 1 && frag_len < msg_len && msg_len > 1200);
    printf("fragmented ClientHello: %zu bytes, first fragment %zu\n", msg_len, frag_len);
    /* Deliver the second fragment first: reassembly does not depend on order. */
    if (s.n_in == 2) {
        datagram t = s.inbox[0];
        s.inbox[0] = s.inbox[1];
        s.inbox[1] = t;
    }
    run(&c, &s, 0);
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTED);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
    pair_free(&c, &s);
}

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

static void garbage(uint8_t *buf, size_t len, bool dtls_like)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)rnd();
    if (dtls_like && len >= 13) {
        buf[0] = (uint8_t)(20 + rnd() % 4); /* ccs, alert, handshake, app data */
        buf[1] = 0xFE;
        buf[2] = rnd() & 1 ? 0xFD : 0xFF;
        buf[3] = 0;
        buf[4] = (uint8_t)(rnd() % 2);
        size_t body = len - 13;
        buf[11] = (uint8_t)(body >> 8);
        buf[12] = (uint8_t)body;
    }
}

static void test_garbage(void)
{
    peer c, s;
    pair_new(&c, &s);
    sy_dtls_start(s.d);
    uint8_t buf[1500];
    /* Before the ClientHello. */
    for (int i = 0; i < 20; i++) {
        size_t len = 1 + rnd() % sizeof(buf);
        garbage(buf, len, i % 2 == 0);
        sy_dtls_incoming(s.d, buf, len);
    }
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTING);
    sy_dtls_incoming(s.d, NULL, 0);
    sy_dtls_incoming(s.d, buf, 0);
    sy_dtls_start(c.d);
    /* During the handshake, to both sides, between each flight. */
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 5; i++) {
            size_t len = 1 + rnd() % 300;
            garbage(buf, len, true);
            sy_dtls_incoming(round % 2 ? c.d : s.d, buf, len);
        }
        deliver(&s);
        deliver(&c);
    }
    run(&c, &s, 3);
    /* Garbage is dropped by DTLS record processing; the handshake completes. */
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTED);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);

    /* After the handshake: garbage, a replayed ClientHello (epoch 0), a plaintext
     * alert in epoch 0 (spoofable by anyone): all ignored, data still flows. */
    for (int i = 0; i < 50; i++) {
        size_t len = 1 + rnd() % sizeof(buf);
        garbage(buf, len, i % 3 != 0);
        sy_dtls_incoming(s.d, buf, len);
        sy_dtls_incoming(c.d, buf, len);
    }
    sy_dtls_incoming(s.d, c.first.data, c.first.len);
    uint8_t alert[] = {21, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 99, 0, 2, 2, 40};
    sy_dtls_incoming(s.d, alert, sizeof(alert));
    sy_dtls_incoming(c.d, alert, sizeof(alert));
    pump(&c, &s);
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTED);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
    CHECK_EQ_INT(sy_dtls_send_app(c.d, (const uint8_t *)"still", 5), 0);
    pump(&c, &s);
    CHECK(s.app_len == 5 && memcmp(s.app, "still", 5) == 0);
    pair_free(&c, &s);
}

/* A DTLS handshake fragment record (epoch 0). */
static size_t fragment(uint8_t *out, uint64_t rec_seq, uint8_t msg_type, uint32_t msg_len,
                       uint16_t msg_seq, uint32_t off, const uint8_t *body, uint32_t len)
{
    size_t rl = 12 + (size_t)len;
    uint8_t *p = out;
    *p++ = 22;
    *p++ = 0xFE;
    *p++ = 0xFD;
    *p++ = 0;
    *p++ = 0;
    for (int i = 5; i >= 0; i--)
        *p++ = (uint8_t)(rec_seq >> (8 * i));
    *p++ = (uint8_t)(rl >> 8);
    *p++ = (uint8_t)rl;
    *p++ = msg_type;
    *p++ = (uint8_t)(msg_len >> 16);
    *p++ = (uint8_t)(msg_len >> 8);
    *p++ = (uint8_t)msg_len;
    *p++ = (uint8_t)(msg_seq >> 8);
    *p++ = (uint8_t)msg_seq;
    *p++ = (uint8_t)(off >> 16);
    *p++ = (uint8_t)(off >> 8);
    *p++ = (uint8_t)off;
    *p++ = (uint8_t)(len >> 16);
    *p++ = (uint8_t)(len >> 8);
    *p++ = (uint8_t)len;
    memcpy(p, body, len);
    return 13 + rl;
}

/* Endless fragments of a ClientHello that never completes, and out-of-order
 * fragments of later messages: the server gives up after 64 KiB of handshake input,
 * and OpenSSL's memory stays bounded throughout. */
static void test_fragment_flood(void)
{
    for (int variant = 0; variant < 2; variant++) {
        peer c, s;
        pair_new(&c, &s);
        sy_dtls_start(s.d);
        size_t base = mem_now;
        mem_peak = mem_now;
        uint8_t body[1100], dgram[1200];
        memset(body, 0x5A, sizeof(body));
        int fed = 0;
        for (uint64_t seq = 0; seq < 1000 && sy_dtls_state_get(s.d) == SY_DTLS_CONNECTING; seq++) {
            size_t len;
            if (variant == 0) /* the same first fragment of a 16000-byte ClientHello */
                len = fragment(dgram, seq, 1, 16000, 0, 0, body, 1000);
            else /* scattered fragments of messages 0..12 */
                len = fragment(dgram, seq, (uint8_t)(1 + seq % 16), 16000, (uint16_t)(seq % 13),
                               (uint32_t)(rnd() % 15000), body, 1000);
            sy_dtls_incoming(s.d, dgram, len);
            fed++;
        }
        CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_FAILED);
        CHECK(fed <= 70); /* 64 KiB / ~1 KB */
        size_t peak = mem_peak - base;
        CHECK(peak < 512 * 1024);
        printf("fragment flood variant %d: failed after %d datagrams (%s), OpenSSL peak +%zu KiB\n",
               variant, fed, sy_dtls_failure_reason(s.d), peak / 1024);
        /* Further input is ignored. */
        size_t len = fragment(dgram, 5000, 1, 16000, 0, 0, body, 1000);
        CHECK_EQ_INT(sy_dtls_incoming(s.d, dgram, len), SY_DTLS_FAILED);
        pair_free(&c, &s);
        CHECK(mem_now <= base + 1024);
    }
}

/* Content types of the records in a datagram, as a bit set. */
static unsigned record_types(const datagram *g)
{
    unsigned types = 0;
    for (size_t off = 0; off + 13 <= g->len;) {
        types |= 1u << (g->data[off] & 31);
        off += 13 + ((size_t)g->data[off + 11] << 8 | g->data[off + 12]);
    }
    return types;
}

/* Renegotiation attempts after the handshake are refused with a no_renegotiation
 * warning, and the refusing side stays connected. (An OpenSSL peer that asked then
 * gives up with a fatal handshake_failure of its own; that reply is dropped here to
 * see our side only: RFC 5246 7.2.2 lets the requester continue.) */
static void test_renegotiation_refused(void)
{
    /* 1. The client asks (a new ClientHello in epoch 1). */
    peer c, s;
    pair_new(&c, &s);
    sy_dtls_start(s.d);
    sy_dtls_start(c.d);
    run(&c, &s, 0);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
    SSL *ssl = sy_dtls_test_ssl(c.d);
    SSL_clear_options(ssl, SSL_OP_NO_RENEGOTIATION);
    CHECK_EQ_INT(SSL_renegotiate(ssl), 1);
    SSL_do_handshake(ssl);                          /* queues the new ClientHello ... */
    sy_dtls_send_app(c.d, (const uint8_t *)"x", 1); /* ... which this call flushes */
    CHECK_EQ_INT(s.n_in, 1);
    int alerts = s.alerts_sent;
    deliver(&s);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
    CHECK_EQ_INT(s.alerts_sent, alerts + 1); /* no_renegotiation */
    CHECK_EQ_INT(c.n_in, 1);
    for (size_t i = 0; i < c.n_in; i++)
        free(c.inbox[i].data);
    c.n_in = 0;
    /* The server still sends application data. */
    CHECK_EQ_INT(sy_dtls_send_app(s.d, (const uint8_t *)"after", 5), 0);
    CHECK_EQ_INT(c.n_in, 1);
    if (c.n_in == 1) CHECK_EQ_INT(record_types(&c.inbox[0]), 1u << 23);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
    pair_free(&c, &s);

    /* 2. The server asks (HelloRequest): our client refuses and stays connected. */
    pair_new(&c, &s);
    sy_dtls_start(s.d);
    sy_dtls_start(c.d);
    run(&c, &s, 0);
    ssl = sy_dtls_test_ssl(s.d);
    SSL_clear_options(ssl, SSL_OP_NO_RENEGOTIATION);
    CHECK_EQ_INT(SSL_renegotiate(ssl), 1);
    SSL_do_handshake(ssl);
    sy_dtls_send_app(s.d, (const uint8_t *)"y", 1);
    CHECK(c.n_in >= 1);
    alerts = c.alerts_sent;
    c.app_count = 0;
    deliver(&c);
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTED);
    CHECK_EQ_INT(c.alerts_sent, alerts + 1);
    /* The client goes on sending. */
    for (size_t i = 0; i < s.n_in; i++)
        free(s.inbox[i].data);
    s.n_in = 0;
    CHECK_EQ_INT(sy_dtls_send_app(c.d, (const uint8_t *)"z", 1), 0);
    CHECK_EQ_INT(s.n_in, 1);
    pair_free(&c, &s);
}

/* A complete DTLS ClientHello (one record, epoch 0, no cookie) as a weak or old client
 * would send it: the given record/client version, cipher suites and compression
 * methods, with the extensions a WebRTC client sends (groups, point formats,
 * signature algorithms, use_srtp, EMS, renegotiation_info). */
static size_t client_hello(uint8_t *out, uint16_t version, const uint16_t *suites, size_t n_suites,
                           const uint8_t *comp, size_t n_comp)
{
    static const uint8_t exts[] = {
        0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x17, 0x00, 0x1d, /* groups P-256, X25519 */
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                         /* ec_point_formats */
        0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04, /* sig algs */
        0x00, 0x0e, 0x00, 0x05, 0x00, 0x02, 0x00, 0x01, 0x00,       /* use_srtp SHA1_80 */
        0x00, 0x17, 0x00, 0x00,                                     /* EMS */
        0xff, 0x01, 0x00, 0x01, 0x00,                               /* renegotiation_info */
    };
    uint8_t body[512];
    size_t n = 0;
    body[n++] = (uint8_t)(version >> 8);
    body[n++] = (uint8_t)version;
    for (int i = 0; i < 32; i++)
        body[n++] = (uint8_t)rnd();
    body[n++] = 0; /* session id */
    body[n++] = 0; /* cookie */
    body[n++] = (uint8_t)((2 * n_suites) >> 8);
    body[n++] = (uint8_t)(2 * n_suites);
    for (size_t i = 0; i < n_suites; i++) {
        body[n++] = (uint8_t)(suites[i] >> 8);
        body[n++] = (uint8_t)suites[i];
    }
    body[n++] = (uint8_t)n_comp;
    for (size_t i = 0; i < n_comp; i++)
        body[n++] = comp[i];
    body[n++] = 0;
    body[n++] = (uint8_t)sizeof(exts);
    memcpy(body + n, exts, sizeof(exts));
    n += sizeof(exts);
    size_t len = fragment(out, 0, 1, (uint32_t)n, 0, 0, body, (uint32_t)n);
    out[1] = (uint8_t)(version >> 8); /* record version as the client would set it */
    out[2] = (uint8_t)version;
    return len;
}

/* What the server answered: handshake records (a ServerHello) and fatal alerts. */
static void server_reply(const peer *c, int *handshakes, int *alert_desc)
{
    *handshakes = 0;
    *alert_desc = -1;
    for (size_t i = 0; i < c->n_in; i++) {
        const datagram *g = &c->inbox[i];
        for (size_t off = 0; off + 13 <= g->len;) {
            size_t rl = (size_t)g->data[off + 11] << 8 | g->data[off + 12];
            if (g->data[off] == 22) (*handshakes)++;
            if (g->data[off] == 21 && rl == 2 && off + 15 <= g->len && g->data[off + 13] == 2)
                *alert_desc = g->data[off + 14];
            off += 13 + rl;
        }
    }
}

/* security.md 6 row 5: ClientHellos offering only NULL, RC4, non-forward-secret or CBC
 * suites, an old DTLS 1.0 client, and one without the null compression method get no
 * ServerHello: a fatal alert (handshake_failure / protocol_version / illegal_parameter)
 * or nothing, no keys. The same builder with a good suite does get a ServerHello. */
static void test_weak_client_hellos(void)
{
    static const uint16_t null_suites[] = {0x0000, 0x0001, 0x0002, 0x003B, 0xC006, 0xC001};
    static const uint16_t rc4[] = {0x0004, 0x0005, 0xC007, 0xC011};
    static const uint16_t non_pfs[] = {0x009C, 0x009D, 0x002F, 0x0035, 0x000A};
    static const uint16_t cbc[] = {0xC009, 0xC00A, 0xC023, 0xC024, 0xC013, 0xC014};
    static const uint16_t good[] = {0xC02B};
    static const uint8_t null_comp[] = {0}, deflate_only[] = {1};
    struct {
        const char *what;
        uint16_t version;
        const uint16_t *suites;
        size_t n;
        const uint8_t *comp;
        bool ok;
    } cases[] = {
        {"control: ECDHE-ECDSA-AES128-GCM-SHA256", 0xFEFD, good, 1, null_comp, true},
        {"NULL suites (TLS_NULL_WITH_NULL_NULL first)", 0xFEFD, null_suites, 6, null_comp, false},
        {"RC4 suites", 0xFEFD, rc4, 4, null_comp, false},
        {"RSA key exchange (no forward secrecy)", 0xFEFD, non_pfs, 5, null_comp, false},
        {"CBC suites only", 0xFEFD, cbc, 6, null_comp, false},
        {"DTLS 1.0 client", 0xFEFF, good, 1, null_comp, false},
        {"DEFLATE compression only", 0xFEFD, good, 1, deflate_only, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        peer c, s;
        pair_new(&c, &s);
        sy_dtls_start(s.d);
        uint8_t dgram[600];
        size_t len = client_hello(dgram, cases[i].version, cases[i].suites, cases[i].n,
                                  cases[i].comp, 1);
        sy_dtls_state st = sy_dtls_incoming(s.d, dgram, len);
        int handshakes, alert;
        server_reply(&c, &handshakes, &alert);
        printf("weak ClientHello: %-45s -> state %d, %d handshake records, fatal alert %d\n",
               cases[i].what, (int)st, handshakes, alert);
        if (cases[i].ok) {
            CHECK_EQ_INT(st, SY_DTLS_CONNECTING);
            CHECK(handshakes > 0); /* ServerHello ... */
        } else {
            if (handshakes) fprintf(stderr, "case: %s\n", cases[i].what);
            CHECK_EQ_INT(handshakes, 0);
            CHECK(st == SY_DTLS_FAILED || st == SY_DTLS_CONNECTING);
            CHECK(alert == -1 || alert == 40 || alert == 70 || alert == 47 || alert == 50);
            CHECK(sy_dtls_srtp_keys(s.d) == NULL);
        }
        pair_free(&c, &s);
    }
}

static void test_deadline(void)
{
    /* A server that never hears a ClientHello. */
    peer c, s;
    pair_new(&c, &s);
    sy_dtls_start(s.d);
    int64_t t = sy_dtls_timeout_ms(s.d);
    CHECK(t > 19000 && t <= 20000);
    CHECK_EQ_INT(sy_dtls_handle_timeout(s.d), SY_DTLS_CONNECTING);
    sy_dtls_test_set_deadline(s.d, 30);
    usleep(40 * 1000);
    CHECK_EQ_INT(sy_dtls_timeout_ms(s.d), 0);
    CHECK_EQ_INT(sy_dtls_handle_timeout(s.d), SY_DTLS_FAILED);
    CHECK_STR(sy_dtls_failure_reason(s.d), "DTLS timeout");
    CHECK_EQ_INT(sy_dtls_timeout_ms(s.d), -1);
    pair_free(&c, &s);

    /* A client whose flights are all lost: retransmits, then times out. */
    pair_new(&c, &s);
    c.drop = 1 << 30;
    sy_dtls_start(c.d);
    sy_dtls_test_set_deadline(c.d, 1500);
    run(&c, &s, 10);
    CHECK(c.sent >= 2);
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_FAILED);
    CHECK_STR(sy_dtls_failure_reason(c.d), "DTLS timeout");
    pair_free(&c, &s);
}

/* Memory of a connected pair, for the record. */
static void test_memory_per_connection(void)
{
    size_t base = mem_now;
    peer c, s;
    pair_new(&c, &s);
    sy_dtls_start(s.d);
    sy_dtls_start(c.d);
    run(&c, &s, 0);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
    printf("OpenSSL memory of a connected client+server pair: %zu KiB\n", (mem_now - base) / 1024);
    pair_free(&c, &s);
    CHECK(mem_now <= base + 1024);
}

/* Certificates loaded from PEM files, the key encrypted with a password. */
static void test_pem_files(void)
{
    char other_fp[160];
    SSL_CTX *ctx = test_ctx(true, true, other_fp, sizeof(other_fp));
    char cert_path[] = "/tmp/sy_test_dtls_cert_XXXXXX", key_path[] = "/tmp/sy_test_dtls_key_XXXXXX";
    int fc = mkstemp(cert_path), fk = mkstemp(key_path);
    CHECK(fc >= 0 && fk >= 0);
    FILE *f = fdopen(fc, "w");
    PEM_write_X509(f, SSL_CTX_get0_certificate(ctx));
    fclose(f);
    f = fdopen(fk, "w");
    PEM_write_PrivateKey(f, SSL_CTX_get0_privatekey(ctx), EVP_aes_128_cbc(),
                         (unsigned char *)"secret", 6, NULL, NULL);
    fclose(f);
    SSL_CTX_free(ctx);

    sy_dtls_global_cleanup();
    CHECK_EQ_INT(sy_dtls_global_init(cert_path, key_path, "wrong"), -1);
    CHECK_EQ_INT(sy_dtls_global_init(cert_path, key_path, NULL), -1); /* never prompts */
    CHECK_EQ_INT(sy_dtls_global_init("/nonexistent.pem", key_path, "secret"), -1);
    CHECK_EQ_INT(sy_dtls_global_init(cert_path, key_path, "secret"), 0);
    CHECK_STR(sy_dtls_local_fingerprint(), other_fp + strlen("sha-256 "));
    snprintf(local_fp, sizeof(local_fp), "sha-256 %s", sy_dtls_local_fingerprint());
    peer c, s;
    pair_new(&c, &s);
    sy_dtls_start(s.d);
    sy_dtls_start(c.d);
    run(&c, &s, 0);
    CHECK_EQ_INT(sy_dtls_state_get(c.d), SY_DTLS_CONNECTED);
    CHECK_EQ_INT(sy_dtls_state_get(s.d), SY_DTLS_CONNECTED);
    pair_free(&c, &s);
    unlink(cert_path);
    unlink(key_path);
}

int main(void)
{
    /* Before OpenSSL allocates anything. */
    CHECK(CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free) == 1);
    sy_log_set_level(getenv("SY_TEST_VERBOSE") ? SY_LOG_DBG : SY_LOG_WARN);
    CHECK(sy_dtls_local_fingerprint() != NULL);
    CHECK(sy_dtls_new(SY_DTLS_CLIENT, NULL, 0, on_send, on_data, NULL) == NULL); /* no init */
    CHECK_EQ_INT(sy_dtls_global_init(NULL, NULL, NULL), 0);
    CHECK_EQ_INT(sy_dtls_global_init(NULL, NULL, NULL), 0); /* idempotent */
    snprintf(local_fp, sizeof(local_fp), "sha-256 %s", sy_dtls_local_fingerprint());

    test_local_fingerprint();
    test_connect();
    test_server_implicit_start();
    test_fingerprint_rules();
    test_client_rejects_server();
    test_other_certificates();
    test_profiles();
    test_fragmented_client_hello();
    test_garbage();
    test_fragment_flood();
    test_renegotiation_refused();
    test_weak_client_hellos();
    test_memory_per_connection();
    test_lost_server_finished();
    test_retransmission();
    test_deadline();
    test_pem_files();

    sy_dtls_global_cleanup();
    return CHECK_DONE();
}
