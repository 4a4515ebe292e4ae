/*
 * Typed accessors: read the value of one SDP line into a struct.
 *
 * Each *_parse function takes the value as the model keeps it (the text after
 * "a=<name>:", or after "c=" / "o="), fills *out and returns 0, or returns SY_SDP_EINVAL
 * with a short reason in err ("clock rate out of range"). They never read past the
 * NUL, never allocate, and fill fixed-size buffers: a value longer than the buffer is
 * an error, not a truncation. Fields documented as "borrowed" point into the value
 * and live as long as it does.
 */
#ifndef SY_PROTOCOL_SDP_ATTR_H
#define SY_PROTOCOL_SDP_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp.h"

/* Buffer sizes (characters, without the NUL). Values longer than these are errors. */
#define SY_SDP_MID_MAX 32      /* a=mid; RFC 8843 sends it in an RTP header extension */
#define SY_SDP_RID_MAX 32      /* a=rid id */
#define SY_SDP_MSID_MAX 64     /* RFC 8830 msid-id / msid-appdata */
#define SY_SDP_ADDR_MAX 255    /* an IP address or an FQDN (mDNS .local names) */
#define SY_SDP_TOKEN_MAX 63    /* user names, semantics, type names, ... */
#define SY_SDP_ENCODING_MAX 31 /* rtpmap encoding name */
#define SY_SDP_URI_MAX 255     /* extmap URI */
#define SY_SDP_ICE_MAX 256     /* ice-ufrag / ice-pwd (RFC 8839: 4..256 / 22..256) */
#define SY_SDP_FP_MAX (64 * 3) /* fingerprint text: up to 64 hex pairs with colons */
#define SY_SDP_GROUP_MAX_SSRCS 16
#define SY_SDP_SIM_MAX_STREAMS 8 /* simulcast streams per direction */
#define SY_SDP_SIM_MAX_ALTS 4    /* alternatives per simulcast stream */

/* ---- direction ---- */

typedef enum {
    SY_SDP_SENDRECV,
    SY_SDP_SENDONLY,
    SY_SDP_RECVONLY,
    SY_SDP_INACTIVE,
} sy_sdp_direction;

/* "sendrecv", "sendonly", "recvonly", "inactive". */
const char *sy_sdp_direction_name(sy_sdp_direction d);
/* 0 and *out set if name is one of the four direction attributes, else -1. */
int sy_sdp_direction_from_name(const char *name, sy_sdp_direction *out);
/* The other side's view: sendonly <-> recvonly, the others unchanged. */
sy_sdp_direction sy_sdp_direction_reverse(sy_sdp_direction d);
/* Makes a direction from two flags, and the flags of a direction. */
sy_sdp_direction sy_sdp_direction_make(bool send, bool recv);
bool sy_sdp_direction_sends(sy_sdp_direction d);
bool sy_sdp_direction_receives(sy_sdp_direction d);

/* The direction of media section m: its direction attribute, else the session's, else
 * sendrecv. SY_SDP_EINVAL if a section holds more than one direction attribute. */
int sy_sdp_media_direction(const sy_sdp *sdp, const sy_sdp_media *m, sy_sdp_direction *out,
                           char *err, size_t err_len);

/* Replaces any direction attribute of m with d. */
int sy_sdp_media_set_direction(sy_sdp *sdp, sy_sdp_media *m, sy_sdp_direction d);

/* ---- session lines ---- */

/* c=<nettype> <addrtype> <address>[/ttl[/n]] ("IN IP4 0.0.0.0"). address excludes /ttl. */
typedef struct {
    char nettype[8];
    char addrtype[8];
    char address[SY_SDP_ADDR_MAX + 1];
} sy_sdp_connection;
int sy_sdp_connection_parse(const char *value, sy_sdp_connection *out, char *err, size_t err_len);

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>. */
typedef struct {
    char username[SY_SDP_ADDR_MAX + 1];
    uint64_t sess_id;
    uint64_t sess_version;
    char nettype[8];
    char addrtype[8];
    char address[SY_SDP_ADDR_MAX + 1];
} sy_sdp_origin;
int sy_sdp_origin_parse(const char *value, sy_sdp_origin *out, char *err, size_t err_len);

/* ---- RTP payload formats ---- */

/* a=rtpmap:<pt> <encoding>/<clock>[/<channels>] */
typedef struct {
    uint8_t pt;                             /* 0..127 */
    char encoding[SY_SDP_ENCODING_MAX + 1]; /* as written ("VP8", "opus") */
    uint32_t clock_rate;                    /* > 0 */
    uint8_t channels;                       /* 0 when absent */
} sy_sdp_rtpmap;
int sy_sdp_rtpmap_parse(const char *value, sy_sdp_rtpmap *out, char *err, size_t err_len);

/* a=fmtp:<pt> <params> */
typedef struct {
    uint8_t pt;
    const char *params; /* borrowed: "minptime=10;useinbandfec=1", "111/111", "0-15" */
} sy_sdp_fmtp;
int sy_sdp_fmtp_parse(const char *value, sy_sdp_fmtp *out, char *err, size_t err_len);

/* Looks up key (case-insensitive) in fmtp params of the form "k=v;k=v" (spaces after ';'
 * allowed). Returns 1 and copies the value into out (cap bytes) if found, 0 if absent,
 * -1 if the value does not fit. out may be NULL to test presence. */
int sy_sdp_fmtp_get(const char *params, const char *key, char *out, size_t cap);
/* The same for a decimal value: 1 found (*out set), 0 absent, -1 not a number <= max. */
int sy_sdp_fmtp_get_uint(const char *params, const char *key, uint32_t max, uint32_t *out);

/* a=rtcp-fb:<pt|*> <type> [<subtype> ...] ("96 nack pli", "* transport-cc") */
typedef struct {
    int pt; /* -1 for '*' */
    char type[SY_SDP_TOKEN_MAX + 1];
    char subtype[SY_SDP_TOKEN_MAX + 1]; /* "" when absent; further tokens are ignored */
} sy_sdp_rtcp_fb;
int sy_sdp_rtcp_fb_parse(const char *value, sy_sdp_rtcp_fb *out, char *err, size_t err_len);

/* ---- header extensions ---- */

/* The header extensions the media core understands, and their URIs. */
typedef enum {
    SY_SDP_EXT_UNKNOWN = 0,
    SY_SDP_EXT_MID,
    SY_SDP_EXT_RID,
    SY_SDP_EXT_REPAIRED_RID,
    SY_SDP_EXT_AUDIO_LEVEL,
    SY_SDP_EXT_ABS_SEND_TIME,
    SY_SDP_EXT_TRANSPORT_CC,
    SY_SDP_EXT_VIDEO_ORIENTATION,
    SY_SDP_EXT_PLAYOUT_DELAY,
    SY_SDP_EXT_DEPENDENCY_DESCRIPTOR,
    SY_SDP_EXT_COUNT_,
} sy_sdp_ext;

#define SY_SDP_URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define SY_SDP_URI_RID "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define SY_SDP_URI_REPAIRED_RID "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
#define SY_SDP_URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define SY_SDP_URI_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define SY_SDP_URI_TRANSPORT_CC                                                                    \
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define SY_SDP_URI_VIDEO_ORIENTATION "urn:3gpp:video-orientation"
#define SY_SDP_URI_PLAYOUT_DELAY "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
#define SY_SDP_URI_DEPENDENCY_DESCRIPTOR                                                           \
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension"

/* The extension for a URI (exact match), SY_SDP_EXT_UNKNOWN for others; and back. */
sy_sdp_ext sy_sdp_ext_from_uri(const char *uri);
const char *sy_sdp_ext_uri(sy_sdp_ext ext);

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] */
typedef struct {
    uint16_t id; /* 1..255 (1..14 fit the one-byte header; 15 is reserved there) */
    bool has_direction;
    sy_sdp_direction direction;
    char uri[SY_SDP_URI_MAX + 1];
    const char *attributes; /* borrowed, NULL when absent */
} sy_sdp_extmap;
int sy_sdp_extmap_parse(const char *value, sy_sdp_extmap *out, char *err, size_t err_len);

/* ---- DTLS ---- */

/* a=fingerprint:<hash-func> <hex:hex:...>. hash is lowercased; value is kept as written
 * after checking it is colon-separated hex pairs, as many as the hash gives. Known hash
 * functions: sha-1, sha-224, sha-256, sha-384, sha-512, md5, md2 (RFC 8122); others are
 * errors. */
typedef struct {
    char hash[16];
    char value[SY_SDP_FP_MAX + 1];
} sy_sdp_fingerprint;
int sy_sdp_fingerprint_parse(const char *value, sy_sdp_fingerprint *out, char *err, size_t err_len);
/* Preference of a hash function for verification (RFC 8122 section 5): 0 for md2, md5 and
 * unknown names (never use them), then sha-1 < sha-224 < sha-256 < sha-384 < sha-512. */
int sy_sdp_fingerprint_strength(const char *hash);

/* a=setup:<role> */
typedef enum {
    SY_SDP_SETUP_NONE = 0, /* no a=setup */
    SY_SDP_SETUP_ACTPASS,
    SY_SDP_SETUP_ACTIVE,
    SY_SDP_SETUP_PASSIVE,
    SY_SDP_SETUP_HOLDCONN,
} sy_sdp_setup;
int sy_sdp_setup_parse(const char *value, sy_sdp_setup *out, char *err, size_t err_len);
const char *sy_sdp_setup_name(sy_sdp_setup s);

/* ---- ICE ---- */

/* Checks an ice-ufrag (4..256 ice-chars) or ice-pwd (22..256 ice-chars) value. */
int sy_sdp_ice_ufrag_check(const char *value, char *err, size_t err_len);
int sy_sdp_ice_pwd_check(const char *value, char *err, size_t err_len);

typedef enum {
    SY_SDP_CAND_HOST,
    SY_SDP_CAND_SRFLX,
    SY_SDP_CAND_PRFLX,
    SY_SDP_CAND_RELAY,
} sy_sdp_cand_type;

/* a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
 * [raddr <addr> rport <port>] [tcptype <t>] [<ext-name> <ext-value>]... The value may
 * also start with "candidate:" (as trickled candidates do). Extension attributes
 * (generation, ufrag, network-id, ...) are skipped. */
typedef struct {
    char foundation[33]; /* 1..32 ice-chars */
    uint16_t component;  /* 1..256 */
    char transport[8];   /* lowercased: "udp", "tcp" */
    uint32_t priority;
    char address[SY_SDP_ADDR_MAX + 1]; /* IP address or FQDN (".local") as written */
    uint16_t port;
    sy_sdp_cand_type type;
    bool has_related;
    char raddr[SY_SDP_ADDR_MAX + 1];
    uint16_t rport;
    char tcptype[8]; /* "active", "passive", "so" or "" */
} sy_sdp_candidate;
int sy_sdp_candidate_parse(const char *value, sy_sdp_candidate *out, char *err, size_t err_len);
/* "host", "srflx", "prflx", "relay". */
const char *sy_sdp_cand_type_name(sy_sdp_cand_type t);

/* ---- grouping, streams ---- */

/* a=group:<semantics> <id> ... ("BUNDLE 0 1 2"). ids are spans into the value. */
typedef struct {
    char semantics[SY_SDP_TOKEN_MAX + 1];
    size_t n_ids;
    struct {
        const char *p; /* borrowed */
        size_t n;
    } ids[SY_SDP_MAX_MEDIA];
} sy_sdp_group;
int sy_sdp_group_parse(const char *value, sy_sdp_group *out, char *err, size_t err_len);
/* True if the group lists mid. */
bool sy_sdp_group_has(const sy_sdp_group *g, const char *mid);

/* a=mid:<id>: checks a mid (1..SY_SDP_MID_MAX token characters). */
int sy_sdp_mid_check(const char *value, char *err, size_t err_len);

/* a=msid:<stream> [<track>] (RFC 8830); also the value of "a=ssrc:<n> msid:<...>". */
typedef struct {
    char stream[SY_SDP_MSID_MAX + 1];
    char track[SY_SDP_MSID_MAX + 1]; /* "" when absent */
} sy_sdp_msid;
int sy_sdp_msid_parse(const char *value, sy_sdp_msid *out, char *err, size_t err_len);

/* a=ssrc:<ssrc> <attribute>[:<value>] ("1234 cname:abc"). */
typedef struct {
    uint32_t ssrc;
    char attribute[SY_SDP_TOKEN_MAX + 1];
    const char *value; /* borrowed, NULL when the attribute has no value */
} sy_sdp_ssrc;
int sy_sdp_ssrc_parse(const char *value, sy_sdp_ssrc *out, char *err, size_t err_len);

/* a=ssrc-group:<semantics> <ssrc> ... ("FID 1 2", "SIM 1 2 3"). */
typedef struct {
    char semantics[SY_SDP_TOKEN_MAX + 1];
    size_t n;
    uint32_t ssrcs[SY_SDP_GROUP_MAX_SSRCS];
} sy_sdp_ssrc_group;
int sy_sdp_ssrc_group_parse(const char *value, sy_sdp_ssrc_group *out, char *err, size_t err_len);

/* ---- simulcast (RFC 8851, RFC 8853) ---- */

/* a=rid:<id> <send|recv> [<params>] */
typedef struct {
    char id[SY_SDP_RID_MAX + 1];
    bool send;          /* true: "send", false: "recv" */
    const char *params; /* borrowed ("max-width=1280;max-height=720"), NULL when absent */
} sy_sdp_rid;
int sy_sdp_rid_parse(const char *value, sy_sdp_rid *out, char *err, size_t err_len);

/* a=simulcast:[send <list>] [recv <list>], a list being streams separated by ';', each
 * a ','-separated set of alternative rids, a rid prefixed by '~' when paused:
 * "send h;m;~l recv 1,2". The old draft form "send rid=h;m;l" is read too. */
typedef struct {
    char rid[SY_SDP_RID_MAX + 1];
    bool paused;
} sy_sdp_sim_alt;
typedef struct {
    size_t n_alts;
    sy_sdp_sim_alt alts[SY_SDP_SIM_MAX_ALTS];
} sy_sdp_sim_stream;
typedef struct {
    size_t n;
    sy_sdp_sim_stream streams[SY_SDP_SIM_MAX_STREAMS];
} sy_sdp_sim_list;
typedef struct {
    sy_sdp_sim_list send, recv;
} sy_sdp_simulcast;
int sy_sdp_simulcast_parse(const char *value, sy_sdp_simulcast *out, char *err, size_t err_len);

/* ---- data channels ---- */

/* a=sctpmap:<number> <app> [<streams>] (the legacy form before sctp-port). */
typedef struct {
    uint16_t number;
    char app[SY_SDP_TOKEN_MAX + 1];
    uint32_t streams; /* 0 when absent */
} sy_sdp_sctpmap;
int sy_sdp_sctpmap_parse(const char *value, sy_sdp_sctpmap *out, char *err, size_t err_len);

/* A whole value that is one decimal number <= max (a=sctp-port, a=max-message-size,
 * a=ptime, ...). */
int sy_sdp_uint_parse(const char *value, uint64_t max, uint64_t *out, char *err, size_t err_len);

#endif
