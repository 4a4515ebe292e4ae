/*
 * Extraction: what the media core needs from an SDP, read once into plain structs.
 *
 * sy_sdp_extract walks every m-section, interprets the attributes the core relies on
 * (and so validates them: a malformed rtpmap, extmap, candidate, fingerprint, ssrc,
 * rid, simulcast, ... is an error with a message naming the m-section), and resolves
 * session-level fallbacks (ICE credentials, fingerprints, setup, extmap-allow-mixed).
 * The result owns all of its memory and does not refer to the sy_sdp afterwards.
 *
 * sy_sdp_info_check then applies the WebRTC rules Switchyard insists on for a remote
 * description (BUNDLE, rtcp-mux, ICE credentials, a usable fingerprint, a valid
 * a=setup for an offer or an answer).
 */
#ifndef SY_PROTOCOL_SDP_EXTRACT_H
#define SY_PROTOCOL_SDP_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp.h"
#include "sdp_attr.h"
#include "sdp_codec.h"

#define SY_SDP_MAX_CANDIDATES 64  /* remote candidates per m-section (more is an error) */
#define SY_SDP_MAX_FINGERPRINTS 8 /* a=fingerprint lines per m-section (with the session's) */
#define SY_SDP_MAX_RIDS 8         /* a=rid lines per m-section */

/* One payload type of the m= line, in m= line order. */
typedef struct {
    uint8_t pt;
    sy_codec codec;                         /* SY_CODEC_UNKNOWN for others (CN, ...) */
    char encoding[SY_SDP_ENCODING_MAX + 1]; /* rtpmap name as written; "" if none */
    uint32_t clock_rate;                    /* rtpmap, or the static default; 0 if unknown */
    uint8_t channels;                       /* 0 when the rtpmap has none */
    int16_t apt;                            /* rtx: the payload type it repairs; else -1 */
    int16_t rtx_pt;                         /* media codec: its rtx payload type; else -1 */
    /* Codec parameters from a=fmtp (defaults when absent). */
    int8_t vp9_profile;             /* VP9 profile-id, 0 by default */
    int8_t h264_packetization_mode; /* 0 by default */
    bool h264_level_asymmetry;      /* level-asymmetry-allowed=1 */
    sy_h264_profile h264_profile;   /* from profile-level-id (default 420010) */
    uint8_t h264_level;             /* level_idc */
    char h264_profile_level_id[7];  /* as written, "" if absent */
    int8_t av1_profile;             /* AV1 profile, 0 by default */
    bool nack, nack_pli, ccm_fir, goog_remb, transport_cc; /* rtcp-fb for this pt or '*' */
} sy_sdp_pt_info;

typedef struct {
    uint32_t ssrc;
    uint32_t rtx_ssrc; /* its FID partner, 0 if none */
} sy_sdp_ssrc_pair;

typedef struct {
    char id[SY_SDP_RID_MAX + 1];
    bool send; /* a=rid:<id> send (the SDP's author sends this rid) */
} sy_sdp_rid_info;

typedef struct {
    size_t index; /* position in the SDP */
    sy_sdp_media_type type;
    char media[16]; /* the m= token, truncated */
    char proto[32]; /* truncated */
    uint16_t port;
    bool rejected;                /* port 0 */
    char mid[SY_SDP_MID_MAX + 1]; /* "" if none */
    bool bundled;                 /* mid listed in the BUNDLE group */
    sy_sdp_direction direction;

    /* RTP */
    size_t n_pts;
    sy_sdp_pt_info pts[SY_SDP_MAX_FORMATS];
    uint8_t ext[SY_SDP_EXT_COUNT_]; /* extmap id per sy_sdp_ext, 0 if not negotiated */
    bool extmap_allow_mixed;        /* two-byte header extensions (session or media level) */
    bool rtcp_mux, rtcp_rsize;

    /* streams */
    uint32_t ssrc;     /* primary media ssrc (first SIM layer, else the first), 0 if none */
    uint32_t rtx_ssrc; /* its FID partner, 0 if none */
    size_t n_sim;      /* a=ssrc-group:SIM layers, in order, with their FID partners */
    sy_sdp_ssrc_pair sim[SY_SDP_GROUP_MAX_SSRCS];
    char cname[SY_SDP_MSID_MAX + 1];
    sy_sdp_msid msid; /* a=msid, else a=ssrc:<primary> msid:; stream "" if none */
    size_t n_rids;
    sy_sdp_rid_info rids[SY_SDP_MAX_RIDS];
    bool has_simulcast;
    sy_sdp_simulcast simulcast; /* send list in order = the layers the author sends */

    /* transport (media level, else session level) */
    char ice_ufrag[SY_SDP_ICE_MAX + 1];
    char ice_pwd[SY_SDP_ICE_MAX + 1];
    bool ice_trickle; /* ice-options lists "trickle" */
    bool end_of_candidates;
    size_t n_fingerprints;
    sy_sdp_fingerprint fingerprints[SY_SDP_MAX_FINGERPRINTS];
    sy_sdp_setup setup;
    size_t n_candidates;
    sy_sdp_candidate *candidates; /* owned by the info */

    /* data channels */
    uint16_t sctp_port;        /* a=sctp-port, or the legacy sctpmap / m= format; 0 if none */
    uint64_t max_message_size; /* a=max-message-size, 0 if absent */
    bool legacy_sctpmap;       /* m=application ... DTLS/SCTP <port> with a=sctpmap */
} sy_sdp_media_info;

typedef struct {
    bool ice_lite;   /* a=ice-lite at session level */
    bool has_bundle; /* a=group:BUNDLE present */
    long bundle_tag; /* index of the media of the first BUNDLE mid, -1 if none */
    size_t n_media;
    sy_sdp_media_info *media; /* n_media entries, owned */
} sy_sdp_info;

/* Fills *info from sdp. On error returns SY_SDP_EINVAL (or SY_SDP_ENOMEM) with the reason
 * in err, and *info is left empty (nothing to free). On success the caller frees with
 * sy_sdp_info_free. */
int sy_sdp_extract(const sy_sdp *sdp, sy_sdp_info *info, char *err, size_t err_len);

/* Frees what *info owns and empties it. */
void sy_sdp_info_free(sy_sdp_info *info);

/* The WebRTC rules for a remote description: every accepted (port != 0) m-section has a
 * unique mid, is in the BUNDLE group, uses a DTLS protocol (UDP/TLS/RTP/SAVPF or
 * [UDP/]DTLS/SCTP), has rtcp-mux when it is RTP; the BUNDLE tag has ICE credentials, at
 * least one fingerprint with a hash stronger than md5, and an a=setup that is valid for
 * an offer (actpass, active, passive) or an answer (active, passive). SY_SDP_EINVAL and
 * a reason otherwise. */
int sy_sdp_info_check(const sy_sdp_info *info, bool is_offer, char *err, size_t err_len);

/* The entry for payload type pt in m, or NULL. */
const sy_sdp_pt_info *sy_sdp_media_info_pt(const sy_sdp_media_info *m, unsigned pt);

/* The first media payload type of m (not rtx, red or ulpfec), or NULL. */
const sy_sdp_pt_info *sy_sdp_media_info_codec(const sy_sdp_media_info *m);

#endif
