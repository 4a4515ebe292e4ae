/*
 * SDP builders for plugins: an answer to a client's offer (as Janus's
 * janus_sdp_generate_answer), and a server offer for subscriber legs.
 *
 * Both produce an "anonymous" SDP, without ICE, DTLS or BUNDLE lines: that is what
 * plugins deal in. The core turns it into what the client gets with sy_sdp_merge
 * (sdp_merge.h). Neither uses randomness or clocks: session ids and SSRCs come from
 * the caller.
 */
#ifndef SY_PROTOCOL_SDP_BUILD_H
#define SY_PROTOCOL_SDP_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp.h"
#include "sdp_attr.h"
#include "sdp_codec.h"

/* The rtcp-fb kinds answers keep by default and offers use by default for video
 * (audio offers use transport-cc only). */
#define SY_SDP_DEFAULT_RTCP_FB                                                                     \
    {                                                                                              \
        "nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"                                 \
    }
#define SY_SDP_DEFAULT_MAX_MESSAGE_SIZE 1048576
#define SY_SDP_DEFAULT_SCTP_PORT 5000

/* ---- answers ---- */

/* What to do with one offered m-section. */
typedef struct {
    bool reject; /* answer with port 0 */
    /* Codecs in order of preference; the first one the offer has (and that meets the
     * constraints below) is answered, with its rtx. None matching rejects the section.
     * NULL/0: audio {opus}, video {vp8, vp9, h264, av1}. */
    const sy_codec *codecs;
    size_t n_codecs;
    /* What the plugin wants to do; the answer is this intersected with the mirror of
     * the offer (sendonly -> recvonly, ...). SENDRECV: simply mirror. */
    sy_sdp_direction direction;
    const char *vp9_profile_id;        /* VP9 profile-id required ("0", "2"), NULL any */
    const char *h264_profile_level_id; /* same H.264 profile required ("42e01f"), NULL any;
                                        * packetization-mode 1 is always required */
    const char *fmtp;                  /* fmtp for the chosen codec, NULL: the offer's */
    bool no_rtx;                       /* do not answer the rtx paired with the codec */
    bool no_simulcast;                 /* do not mirror a=rid / a=simulcast */
    /* Local stream to announce when the answer sends (0: none): a=msid, a=ssrc cname and
     * msid, and a=ssrc-group:FID with rtx_ssrc when rtx was answered. */
    uint32_t ssrc, rtx_ssrc;
    const char *cname, *msid_stream, *msid_track;
} sy_sdp_answer_media;

typedef struct {
    sy_sdp_answer_media audio, video; /* defaults for every audio / video m-section */
    bool reject_data;                 /* reject m=application (data channels) */
    /* Header extension URIs to accept (with the offer's ids); others are dropped. */
    const char *const *extmaps;
    size_t n_extmaps;
    /* rtcp-fb kinds to keep for the chosen codec ("nack", "nack pli", "ccm fir",
     * "goog-remb", "transport-cc"; transport-cc only when its extmap is accepted).
     * NULL: SY_SDP_DEFAULT_RTCP_FB. */
    const char *const *rtcp_fbs;
    size_t n_rtcp_fbs;
    uint64_t sess_id;          /* o= session id; 0: the offer's */
    uint64_t sess_version;     /* o= version; 0: 1 */
    const char *session_name;  /* s=; NULL: "-" */
    uint16_t sctp_port;        /* 0: 5000 */
    uint64_t max_message_size; /* 0: 262144 */
    /* Optional: called for every m-section with *choice filled from the defaults above
     * (or {.reject = true} for media the builder does not answer); may change it. */
    void (*choose)(void *opaque, const sy_sdp *offer, size_t index, sy_sdp_answer_media *choice);
    void *opaque;
} sy_sdp_answer_opts;

/* Builds an answer to offer: one m-section per offered one, same order, type, proto
 * and mid. An accepted audio/video section has port 9, c=IN IP4 0.0.0.0, the mirrored
 * direction, rtcp-rsize if offered, the accepted extmaps (ids kept, directions
 * mirrored), the chosen codec's rtpmap, fmtp and kept rtcp-fb, its rtx (fmtp apt=), and
 * for video the mirrored rids and simulcast (when the rid extension is accepted and the
 * answer receives). A data channel section gets sctp-port (or the legacy sctpmap form
 * when offered so) and max-message-size. A rejected one has port 0, the first offered
 * format and a=inactive: that is what media the builder cannot carry gets (types other
 * than audio, video and data channels; audio/video not on RTP/SAVP[F]; data not on
 * DTLS/SCTP; sections the offer itself rejected), and media without an acceptable
 * codec. extmap-allow-mixed is mirrored. The offer is checked with
 * sy_sdp_extract first: its errors are returned. On success *answer is a new model the
 * caller frees. */
int sy_sdp_generate_answer(const sy_sdp *offer, const sy_sdp_answer_opts *opts, sy_sdp **answer,
                           char *err, size_t err_len);

/* ---- offers ---- */

typedef struct {
    uint16_t id; /* 1..255 */
    const char *uri;
} sy_sdp_extmap_spec;

/* One m-section of a server offer. */
typedef struct {
    sy_sdp_media_type type;     /* audio, video or application */
    const char *mid;            /* required */
    bool rejected;              /* port 0, a=inactive (a slot no longer used) */
    sy_sdp_direction direction; /* sendonly for a subscriber leg */
    /* audio / video */
    sy_codec codec;
    uint8_t pt;
    const char *fmtp;            /* NULL: the codec's usual parameters */
    uint8_t rtx_pt;              /* 0: no rtx */
    const char *const *rtcp_fbs; /* NULL: video SY_SDP_DEFAULT_RTCP_FB, audio transport-cc */
    size_t n_rtcp_fbs;
    const sy_sdp_extmap_spec *extmaps;
    size_t n_extmaps;
    uint32_t ssrc, rtx_ssrc; /* 0: not announced */
    const char *cname, *msid_stream, *msid_track;
    /* application */
    uint16_t sctp_port;        /* 0: 5000 */
    uint64_t max_message_size; /* 0: 262144 */
} sy_sdp_offer_media;

typedef struct {
    uint64_t sess_id;
    uint64_t sess_version;    /* increase on every renegotiation; 0 is written as 1 */
    const char *session_name; /* NULL: "-" */
    bool extmap_allow_mixed;
    const sy_sdp_offer_media *media;
    size_t n_media;
} sy_sdp_offer_opts;

/* Builds a server offer with one m-section per entry (UDP/TLS/RTP/SAVPF for audio and
 * video, UDP/DTLS/SCTP webrtc-datachannel for data), port 9, c=IN IP4 0.0.0.0, a=mid,
 * the direction, rtcp-rsize, extmaps, rtpmap/fmtp/rtcp-fb of the codec and its rtx,
 * and the announced stream. SY_SDP_EINVAL with a reason for bad entries (missing or
 * duplicate mid, unknown codec, payload types over 127 or equal, bad extmap). On
 * success *offer is a new model the caller frees. */
int sy_sdp_generate_offer(const sy_sdp_offer_opts *opts, sy_sdp **offer, char *err, size_t err_len);

/* Adds the lines announcing a sent stream to m: a=msid:<stream> <track> (if given),
 * a=ssrc-group:FID <ssrc> <rtx_ssrc> (if rtx_ssrc), and a=ssrc:<n> cname:/msid: for each.
 * Used by both builders; the core may use it on a plugin's SDP too. */
int sy_sdp_media_add_stream(sy_sdp *sdp, sy_sdp_media *m, uint32_t ssrc, uint32_t rtx_ssrc,
                            const char *cname, const char *msid_stream, const char *msid_track);

/* Adds a=rtpmap (and a=fmtp when fmtp is not NULL or empty) for codec on payload type
 * pt, with the codec's clock rate and channels. */
int sy_sdp_media_add_codec(sy_sdp *sdp, sy_sdp_media *m, uint8_t pt, sy_codec codec,
                           const char *fmtp);

/* A session with v=0, o=- <sess_id> <sess_version> IN IP4 0.0.0.0, s=<name>, t=0 0. */
sy_sdp *sy_sdp_new_session(uint64_t sess_id, uint64_t sess_version, const char *name);

#endif
