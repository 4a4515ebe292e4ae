/*
 * The two transformations between what a client sees and what a plugin sees, as the
 * Janus core does them:
 *
 *   client SDP --sy_sdp_anonymize--> plugin SDP     (ICE and DTLS lines removed)
 *   plugin SDP --sy_sdp_merge------> client SDP     (the core's ICE, DTLS, BUNDLE added)
 *
 * Plugins never see ICE or DTLS; the core owns them and adds its own when the plugin's
 * offer or answer goes out.
 */
#ifndef SY_PROTOCOL_SDP_MERGE_H
#define SY_PROTOCOL_SDP_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "sdp.h"
#include "sdp_attr.h"

/* Removes every ICE and DTLS line from the session and every m-section: ice-ufrag,
 * ice-pwd, ice-options, ice-lite, candidate, end-of-candidates, fingerprint, setup.
 * Everything else is kept in order. Returns how many lines were removed. */
size_t sy_sdp_anonymize(sy_sdp *sdp);

/* True if name is one of the attributes sy_sdp_anonymize removes. */
bool sy_sdp_is_transport_attr(const char *name);

typedef struct {
    /* Offer: a=setup:actpass. Answer: a=setup:<answer_setup>, active when left NONE
     * (RFC 5763 recommends the answerer be the DTLS client; use passive when the remote
     * offer said active). */
    bool is_offer;
    sy_sdp_setup answer_setup;
    const char *ice_ufrag;   /* required, 4..256 ice-chars */
    const char *ice_pwd;     /* required, 22..256 ice-chars */
    bool ice_lite;           /* adds a=ice-lite at session level */
    const char *fingerprint; /* required: the sha-256 fingerprint, "AB:CD:..." (32 bytes) */
    /* The core's candidates ("candidate:..." or the value without the prefix), put in
     * every accepted m-section followed by a=end-of-candidates (half trickle, as Janus).
     * Set trickle_more for full trickle: no end-of-candidates, more will be trickled. */
    const char *const *candidates;
    size_t n_candidates;
    bool trickle_more;
    /* The address for c= (every m-section) and o=; IPv6 if it holds a ':'. NULL keeps
     * o= and puts "IN IP4 0.0.0.0" in c=. */
    const char *address;
    const char *msid_semantic; /* NULL: "WMS *" */
} sy_sdp_merge_opts;

/* Turns a plugin's SDP (as the answer and offer builders make it) into the SDP the
 * client gets, in place: removes any ICE/DTLS lines, a=group:BUNDLE and msid-semantic
 * the plugin left; adds at session level a=group:BUNDLE with the mid of every accepted
 * m-section (port != 0), a=ice-lite if asked, a=msid-semantic; in every m-section a c=
 * line; and in every accepted m-section a=ice-ufrag, a=ice-pwd, a=ice-options:trickle,
 * a=fingerprint:sha-256, a=setup, a=rtcp-mux (RTP only), the candidates and
 * a=end-of-candidates. SY_SDP_EINVAL with a reason for bad options (credentials,
 * fingerprint, candidates, address) or an accepted m-section without a mid; the model
 * may then be partly changed. */
int sy_sdp_merge(sy_sdp *sdp, const sy_sdp_merge_opts *opts, char *err, size_t err_len);

#endif
