/*
 * Fuzz target: the SDP builders with options driven by the input, as plugins use them
 * on a client's SDP (fuzz_sdp covers parse/write/extract and one fixed answer).
 *
 * Input: 4 option bytes, then the client's SDP text.
 *   1. The answer builder with the options the bytes pick (codec preferences, wanted
 *      direction, rtx, simulcast, VP9/H.264 profiles, accepted extmaps and rtcp-fb, a
 *      stream to announce, data channels). An answer must write, parse back equal, and
 *      pass our own answer check; each accepted section's codec must be one we asked for.
 *   2. A server offer built from what the SDP publishes (the VideoRoom subscriber leg:
 *      the publisher's codec, payload types, rtx, extmap ids, mids). An offer we build
 *      must parse back equal and pass our own offer check, and our answer builder must
 *      answer it with the same codec per section.
 *   3. The merge of the transport lines into the answer and into the offer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/sdp.h"
#include "protocol/sdp_build.h"
#include "protocol/sdp_extract.h"
#include "protocol/sdp_merge.h"

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_sdp_build: property failed: %s (line %d)\n", #cond, __LINE__);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const sy_codec audio_codecs[] = {SY_CODEC_OPUS, SY_CODEC_PCMU, SY_CODEC_PCMA, SY_CODEC_G722};
static const sy_codec video_codecs[] = {SY_CODEC_VP8, SY_CODEC_VP9, SY_CODEC_H264, SY_CODEC_AV1};
static const char *const uris[] = {SY_SDP_URI_MID,           SY_SDP_URI_RID,
                                   SY_SDP_URI_REPAIRED_RID,  SY_SDP_URI_AUDIO_LEVEL,
                                   SY_SDP_URI_ABS_SEND_TIME, SY_SDP_URI_TRANSPORT_CC,
                                   SY_SDP_URI_VIDEO_ORIENTATION, SY_SDP_URI_PLAYOUT_DELAY};
static const char *const fbs[] = {"nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"};
static const char *const cands[] = {"candidate:1 1 udp 2015363327 192.0.2.1 40000 typ host",
                                    "candidate:2 1 udp 1015363327 2001:db8::1 40001 typ host"};

/* Writes m, parses it back and requires an equal model. */
static void round_trip(const sy_sdp *m)
{
    size_t len;
    char err[256];
    char *text = sy_sdp_write(m, &len);
    REQUIRE(text != NULL);
    sy_sdp *again = NULL;
    int rc = sy_sdp_parse(text, len, &again, err, sizeof(err));
    if (rc != 0) fprintf(stderr, "fuzz_sdp_build: built SDP does not parse: %s\n", err);
    REQUIRE(rc == 0 || (rc == SY_SDP_ELIMIT && len > SY_SDP_MAX_SIZE));
    if (rc == 0) REQUIRE(sy_sdp_equal(m, again));
    sy_sdp_free(again);
    free(text);
}

static void merge(sy_sdp *m, uint8_t opt)
{
    char err[256];
    sy_sdp_merge_opts mo = {.ice_ufrag = "Zj7l",
                            .ice_pwd = "Vt0q9a8B7c6D5e4F3g2H1i",
                            .fingerprint = "68:F7:00:F5:B0:2B:3D:C6:66:F4:5B:DE:AA:2C:CA:ED:CD:"
                                           "2B:51:57:41:0E:4D:EE:4A:F2:B3:4F:43:0A:07:34",
                            .candidates = cands,
                            .n_candidates = opt & 1 ? 2 : 0,
                            .address = opt & 2 ? "2001:db8::1" : "192.0.2.1"};
    if (sy_sdp_merge(m, &mo, err, sizeof(err)) == 0) round_trip(m);
}

static bool in(const sy_codec *list, size_t n, sy_codec c)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == c) return true;
    return false;
}

static void build_answer(const sy_sdp *offer, const uint8_t *o)
{
    /* Codec preferences: a rotation of each list, cut to 1..4 entries. */
    sy_codec ac[4], vc[4];
    size_t na = 1 + (o[0] & 3), nv = 1 + ((o[0] >> 2) & 3);
    for (size_t i = 0; i < 4; i++) {
        ac[i] = audio_codecs[(i + (o[0] >> 4)) % 4];
        vc[i] = video_codecs[(i + (o[0] >> 6)) % 4];
    }
    const char *exts[8];
    size_t n_exts = 0;
    for (size_t i = 0; i < 8; i++)
        if (o[3] & (1u << i)) exts[n_exts++] = uris[i];
    const char *fb[5];
    size_t n_fb = 0;
    for (size_t i = 0; i < 5; i++)
        if (o[2] & (1u << i)) fb[n_fb++] = fbs[i];
    sy_sdp_direction dir = (sy_sdp_direction)(o[1] & 3);
    sy_sdp_answer_opts ao = {
        .audio = {.codecs = ac, .n_codecs = na, .direction = dir, .no_rtx = o[1] & 4,
                  .ssrc = o[1] & 8 ? 1111 : 0, .cname = "c", .msid_stream = "s", .msid_track = "a"},
        .video = {.codecs = vc, .n_codecs = nv, .direction = dir, .no_rtx = o[1] & 4,
                  .no_simulcast = o[1] & 16,
                  .vp9_profile_id = o[2] & 32 ? "2" : NULL,
                  .h264_profile_level_id = o[2] & 64 ? "42e01f" : NULL,
                  .fmtp = o[2] & 128 ? "x-google-start-bitrate=800" : NULL,
                  .ssrc = o[1] & 8 ? 2222 : 0, .rtx_ssrc = o[1] & 8 ? 3333 : 0,
                  .cname = "c", .msid_stream = "s", .msid_track = "v"},
        .reject_data = o[1] & 32,
        .extmaps = exts,
        .n_extmaps = n_exts,
        .rtcp_fbs = o[1] & 64 ? fb : NULL,
        .n_rtcp_fbs = n_fb,
        .sess_version = o[1] & 128 ? 7 : 0,
    };
    char err[256] = "";
    sy_sdp *ans = NULL;
    if (sy_sdp_generate_answer(offer, &ao, &ans, err, sizeof(err)) != 0) {
        REQUIRE(ans == NULL && err[0] != '\0');
        return;
    }
    round_trip(ans);
    sy_sdp_info info;
    int rc = sy_sdp_extract(ans, &info, err, sizeof(err));
    if (rc != 0) fprintf(stderr, "fuzz_sdp_build: our answer does not extract: %s\n", err);
    REQUIRE(rc == 0);
    for (size_t i = 0; i < info.n_media; i++) {
        const sy_sdp_media_info *m = &info.media[i];
        if (m->rejected || (m->type != SY_SDP_AUDIO && m->type != SY_SDP_VIDEO)) continue;
        const sy_sdp_pt_info *c = sy_sdp_media_info_codec(m);
        REQUIRE(c != NULL);
        REQUIRE(m->type == SY_SDP_AUDIO ? in(ac, na, c->codec) : in(vc, nv, c->codec));
    }
    sy_sdp_info_free(&info);
    merge(ans, o[0]);
    sy_sdp_free(ans);
}

/* The VideoRoom's subscriber leg: an offer that carries what the publisher sends. */
static void build_offer(const sy_sdp_info *pub, const uint8_t *o)
{
    sy_sdp_offer_media media[16];
    sy_sdp_extmap_spec ext[16][SY_SDP_EXT_COUNT_];
    char mids[16][8];
    size_t n = 0;
    for (size_t i = 0; i < pub->n_media && n < 16; i++) {
        const sy_sdp_media_info *m = &pub->media[i];
        sy_sdp_offer_media *om = &media[n];
        *om = (sy_sdp_offer_media){.direction = SY_SDP_SENDONLY};
        snprintf(mids[n], sizeof(mids[n]), "%zu", n);
        om->mid = (o[0] & 1) && m->mid[0] ? m->mid : mids[n];
        if (m->type == SY_SDP_APPLICATION) {
            om->type = SY_SDP_APPLICATION;
            om->sctp_port = m->sctp_port;
            om->max_message_size = m->max_message_size;
        } else if (m->type == SY_SDP_AUDIO || m->type == SY_SDP_VIDEO) {
            om->type = m->type;
            const sy_sdp_pt_info *c = sy_sdp_media_info_codec(m);
            if (!c || m->rejected || c->codec == SY_CODEC_UNKNOWN) {
                om->rejected = true;
                om->codec = m->type == SY_SDP_AUDIO ? SY_CODEC_OPUS : SY_CODEC_VP8;
                om->pt = m->type == SY_SDP_AUDIO ? 111 : 96;
            } else {
                om->codec = c->codec;
                om->pt = c->pt;
                om->rtx_pt = (c->rtx_pt >= 0 && !(o[1] & 4)) ? (uint8_t)c->rtx_pt : 0;
                om->fmtp = o[2] & 128 ? "profile-id=0" : NULL;
            }
            size_t ne = 0;
            for (int e = 1; e < SY_SDP_EXT_COUNT_; e++)
                if (m->ext[e]) ext[n][ne++] = (sy_sdp_extmap_spec){m->ext[e], sy_sdp_ext_uri(e)};
            om->extmaps = ext[n];
            om->n_extmaps = ne;
            if (o[1] & 8) {
                om->ssrc = 0x10000u + (uint32_t)n;
                om->rtx_ssrc = om->rtx_pt ? 0x20000u + (uint32_t)n : 0;
                om->cname = "sub";
                om->msid_stream = "pub";
                om->msid_track = om->mid;
            }
        } else {
            continue;
        }
        n++;
    }
    if (n == 0) return;
    sy_sdp_offer_opts oo = {.sess_id = 42, .sess_version = 2, .session_name = "fuzz",
                            .extmap_allow_mixed = o[3] & 1, .media = media, .n_media = n};
    char err[256] = "";
    sy_sdp *offer = NULL;
    if (sy_sdp_generate_offer(&oo, &offer, err, sizeof(err)) != 0) {
        REQUIRE(offer == NULL && err[0] != '\0');
        return;
    }
    round_trip(offer);
    sy_sdp_info info;
    int rc = sy_sdp_extract(offer, &info, err, sizeof(err));
    if (rc != 0) fprintf(stderr, "fuzz_sdp_build: our offer does not extract: %s\n", err);
    REQUIRE(rc == 0);
    REQUIRE(info.n_media == n);

    /* A client's answer, by our own builder with everything allowed. */
    sy_sdp_answer_opts ao = {.extmaps = (const char *const *)uris, .n_extmaps = 8};
    sy_codec all_a[] = {SY_CODEC_OPUS, SY_CODEC_PCMU, SY_CODEC_PCMA, SY_CODEC_G722};
    sy_codec all_v[] = {SY_CODEC_VP8, SY_CODEC_VP9, SY_CODEC_H264, SY_CODEC_AV1};
    ao.audio.codecs = all_a;
    ao.audio.n_codecs = 4;
    ao.video.codecs = all_v;
    ao.video.n_codecs = 4;
    sy_sdp *ans = NULL;
    if (sy_sdp_generate_answer(offer, &ao, &ans, err, sizeof(err)) == 0) {
        round_trip(ans);
        sy_sdp_info ai;
        if (sy_sdp_extract(ans, &ai, err, sizeof(err)) == 0) {
            REQUIRE(ai.n_media == n);
            for (size_t i = 0; i < n; i++) {
                if (media[i].rejected || media[i].type == SY_SDP_APPLICATION || ai.media[i].rejected)
                    continue;
                const sy_sdp_pt_info *c = sy_sdp_media_info_codec(&ai.media[i]);
                REQUIRE(c && c->codec == media[i].codec && c->pt == media[i].pt);
            }
            sy_sdp_info_free(&ai);
        }
        sy_sdp_free(ans);
    } else {
        fprintf(stderr, "fuzz_sdp_build: our offer is not answerable: %s\n", err);
    }
    merge(offer, o[3]);
    sy_sdp_info_free(&info);
    sy_sdp_free(offer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    char err[256];
    sy_sdp *sdp = NULL;
    if (sy_sdp_parse((const char *)data + 4, size - 4, &sdp, err, sizeof(err)) != 0) return 0;
    build_answer(sdp, data);
    sy_sdp_info info;
    if (sy_sdp_extract(sdp, &info, err, sizeof(err)) == 0) {
        build_offer(&info, data);
        sy_sdp_info_free(&info);
    }
    sy_sdp_free(sdp);
    return 0;
}
