/*
 * libFuzzer target for the DTLS input path (src/media/dtls.h): fuzz bytes become
 * datagrams fed to a fresh sy_dtls through sy_dtls_incoming(), the way the media core
 * feeds what the RFC 7983 demux classifies as DTLS.
 *
 * Input: one mode byte, then datagrams as [u16 big-endian length][bytes] (at most 16
 * datagrams of at most 1500 bytes; a short tail is one last datagram).
 *   mode bit 0: server role, primed first with a real ClientHello (captured once from
 *               our own client at start), so the fuzz datagrams meet a server that has
 *               sent its flight and waits for the client's second flight;
 *   mode bit 1: client role (started: it has sent its ClientHello) instead of server;
 *   mode bit 2: call sy_dtls_handle_timeout() after every datagram.
 * Otherwise: a fresh server (ClientHello parsing, fragments, garbage).
 *
 * Invariants (a broken one traps): every datagram sent fits the 1200-byte MTU; no
 * SRTP keys exist unless the state is CONNECTED or CLOSED (none can be: the fuzzer
 * cannot forge a Finished); the state is one of the enum values. Memory: everything is
 * freed per input (LeakSanitizer), and the 64 KiB handshake-input cap bounds growth
 * inside one input.
 *
 * Seeds in corpus/dtls/ were captured from real handshakes between two sy_dtls
 * instances: a ClientHello (whole and fragmented in two), the client's second flight,
 * the server's first flight (client mode), plus fragments, alerts and garbage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "media/dtls.h"

#define MAX_DATAGRAMS 16
#define MAX_DATAGRAM 1500
#define ASSERT(x)                                                                                  \
    do {                                                                                           \
        if (!(x)) __builtin_trap();                                                                \
    } while (0)

static char fingerprint[128];
/* The certificate of the sy_dtls instances the seeds were captured from: expected as
 * well, so a replayed seed flight passes the fingerprint check and reaches the key
 * exchange and CertificateVerify processing. */
static const char seed_fingerprint[] = "sha-256 04:A1:D6:44:10:18:6B:AF:1E:4D:DA:6B:7D:40:DC:C4:"
                                       "7C:08:64:E9:41:42:B7:61:74:DC:11:B2:42:78:C1:68";
static uint8_t hello[MAX_DATAGRAM];
static size_t hello_len;

static void capture_send(void *user, const uint8_t *data, size_t len)
{
    (void)user;
    if (hello_len == 0 && len <= sizeof(hello)) {
        memcpy(hello, data, len);
        hello_len = len;
    }
}

static void check_send(void *user, const uint8_t *data, size_t len)
{
    (void)user;
    ASSERT(len > 0 && len <= 1200);
    volatile uint8_t last = data[len - 1]; /* ASan checks the bytes are readable */
    (void)last;
}

static void on_data(void *user, const uint8_t *data, size_t len)
{
    (void)user, (void)data, (void)len;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    sy_log_set_level(SY_LOG_NONE);
    if (sy_dtls_global_init(NULL, NULL, NULL) != 0) abort();
    snprintf(fingerprint, sizeof(fingerprint), "sha-256 %s", sy_dtls_local_fingerprint());
    /* Our own client's ClientHello; the server expects our own certificate, which is
     * also the client's, so the fingerprint check passes if a fuzzed flight gets there. */
    const char *fps[] = {fingerprint};
    sy_dtls *c = sy_dtls_new(SY_DTLS_CLIENT, fps, 1, capture_send, on_data, NULL);
    if (!c || sy_dtls_start(c) != 0 || hello_len == 0) abort();
    sy_dtls_free(c);
    return 0;
}

static void check_state(const sy_dtls *d)
{
    sy_dtls_state s = sy_dtls_state_get(d);
    ASSERT(s >= SY_DTLS_NEW && s <= SY_DTLS_FAILED);
    if (sy_dtls_srtp_keys(d)) ASSERT(s == SY_DTLS_CONNECTED || s == SY_DTLS_CLOSED);
    if (s == SY_DTLS_FAILED) ASSERT(sy_dtls_failure_reason(d) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t mode = data[0];
    data++;
    size--;

    const char *fps[] = {fingerprint, seed_fingerprint};
    bool client = mode & 2;
    sy_dtls *d =
        sy_dtls_new(client ? SY_DTLS_CLIENT : SY_DTLS_SERVER, fps, 2, check_send, on_data, NULL);
    ASSERT(d != NULL);
    ASSERT(sy_dtls_start(d) == 0);
    if (!client && (mode & 1)) sy_dtls_incoming(d, hello, hello_len);
    check_state(d);

    for (int i = 0; i < MAX_DATAGRAMS && size > 0; i++) {
        size_t len;
        if (size >= 2) {
            len = (size_t)data[0] << 8 | data[1];
            data += 2;
            size -= 2;
            if (len > size) len = size;
        } else {
            len = size;
        }
        if (len > MAX_DATAGRAM) len = MAX_DATAGRAM;
        /* An exact-size copy, so ASan sees any read past the datagram. */
        uint8_t *dgram = malloc(len ? len : 1);
        memcpy(dgram, data, len);
        sy_dtls_incoming(d, dgram, len);
        free(dgram);
        data += len;
        size -= len;
        check_state(d);
        if (mode & 4) {
            int64_t t = sy_dtls_timeout_ms(d);
            ASSERT(t >= -1 && t <= 20000);
            sy_dtls_handle_timeout(d);
            check_state(d);
        }
    }
    if (sy_dtls_state_get(d) == SY_DTLS_CONNECTED) {
        sy_dtls_send_app(d, (const uint8_t *)"x", 1);
        sy_dtls_close(d);
    }
    sy_dtls_free(d);
    return 0;
}
