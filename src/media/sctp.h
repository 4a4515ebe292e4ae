/*
 * SCTP over DTLS (RFC 8261) with usrsctp, and data channels on it (RFC 8831, DCEP RFC
 * 8832): one association per peer connection. The caller feeds the SCTP packets DTLS
 * decrypted and sends what comes out as DTLS application data; no sockets here.
 *
 * Threading model (usrsctp is one global stack for the whole process):
 *   - usrsctp_init_nothreads (no raw-socket receive threads: nothing reaches usrsctp
 *     except what we feed it), plus one timer thread of ours that calls
 *     usrsctp_handle_timers every 10 ms. usrsctp locks its own state internally, so
 *     associations living on different media workers may call into it concurrently.
 *   - Every association has an OWNER thread (the thread that called sy_sctp_new: the
 *     PC's media worker) and every callback (send, message, ready) runs on it.
 *   - usrsctp never gets a pointer: the AF_CONN address and the socket's ulp_info are a
 *     small integer ID (CVE-2020-6514). A global registry (ID -> association, mutex)
 *     resolves it. The association is only freed on its owner, after it left the
 *     registry, so a lookup made on the owner stays valid after the mutex is released.
 *   - Outgoing packets (usrsctp's conn_output): on the owner thread (inside
 *     sy_sctp_incoming / sy_sctp_send / sy_sctp_free) they are sent directly; on the
 *     timer thread (retransmissions, heartbeats) they are copied and posted to the
 *     owner, carrying the ID, which is looked up again there (dropped if gone).
 *   - Received messages and notifications (the receive callback) are always posted to
 *     the owner with the ID, never handled inside usrsctp's call stack, so the plugin's
 *     incoming_data may call relay_data (and so usrsctp) without re-entrancy.
 *   - Per packet: inbound (usrsctp_conninput) takes no lock of ours; each outbound
 *     packet and each received message takes the registry mutex once, briefly
 *     (uncontended except at association setup/teardown).
 * After sy_sctp_free returns no callback runs for that association.
 *
 * Limits: remote a=max-message-size for what we send (65536 if absent); 1 MiB per
 * received message (larger ones are dropped and counted); 2 MiB send buffer
 * (sy_sctp_send returns -2 when full, ready() fires once it drained below half);
 * 1024 streams; SCTP MTU 1150 so that a DTLS record fits a 1200-byte datagram.
 */
#ifndef SY_SCTP_H
#define SY_SCTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SY_SCTP_LOCAL_PORT 5000
#define SY_SCTP_DEFAULT_MAX_MESSAGE 65536
#define SY_SCTP_RECV_LIMIT (1024 * 1024)
#define SY_SCTP_SEND_BUFFER (2 * 1024 * 1024)
#define SY_SCTP_MAX_STREAMS 1024
#define SY_SCTP_MTU 1150

typedef struct sy_sctp sy_sctp;
typedef void (*sy_sctp_task_fn)(void *arg);

typedef struct sy_sctp_callbacks {
    void *user;
    /* An SCTP packet to send as DTLS application data. */
    void (*send)(void *user, const uint8_t *pkt, size_t len);
    /* A complete message from the peer on a channel. */
    void (*message)(void *user, const char *label, const char *protocol, bool binary,
                    const uint8_t *buf, size_t len);
    /* The association is up, or the send buffer drained after sy_sctp_send said -2. */
    void (*ready)(void *user);
    /* Runs fn(arg) later on the owner thread, in posting order; 0, or -1 if it never
     * will (fn not called). Any thread. */
    int (*post)(void *post_ctx, sy_sctp_task_fn fn, void *arg);
    void *post_ctx;
} sy_sctp_callbacks;

typedef struct sy_sctp_config {
    uint16_t local_port;       /* 0: 5000 */
    uint16_t remote_port;      /* a=sctp-port; 0: 5000 */
    bool dtls_client;          /* our streams: even as DTLS client, odd as server */
    uint64_t max_message_size; /* the peer's a=max-message-size; 0: 65536 */
} sy_sctp_config;

typedef struct sy_sctp_stats {
    uint64_t messages_in, messages_out, bytes_in, bytes_out;
    uint64_t dropped_oversize, dropped_no_channel, dropped_dcep;
    unsigned channels;
    bool up;
} sy_sctp_stats;

/* Creates the association and starts connecting (both sides send INIT). The calling
 * thread becomes the owner. NULL on failure. */
sy_sctp *sy_sctp_new(const sy_sctp_config *cfg, const sy_sctp_callbacks *cb);
/* One SCTP packet (decrypted DTLS application data). Owner thread. */
void sy_sctp_incoming(sy_sctp *s, const uint8_t *buf, size_t len);
/* Sends a message on the channel with this label (NULL: the first channel, or a new
 * "JanusDataChannel"), opening it with DCEP first if needed. 0; -1 (not up, too big,
 * no stream left, error); -2 (send buffer full: retry after ready). Owner thread. */
int sy_sctp_send(sy_sctp *s, const char *label, const char *protocol, bool binary,
                 const uint8_t *buf, size_t len);
void sy_sctp_get_stats(const sy_sctp *s, sy_sctp_stats *out);
/* Aborts the association and frees it; no callback after this. Owner thread. */
void sy_sctp_free(sy_sctp *s);
/* At exit, after every association was freed: stops the timer thread and usrsctp. */
void sy_sctp_global_cleanup(void);

#endif
