/*
 * SDP extraction for the media core (sdp_extract.h): the typed values of every fixture,
 * the WebRTC checks, and malformed attributes (each an error naming the m-section).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "protocol/sdp_extract.h"
#include "sdp_fixtures.h"

static char err[512];

static int extract_fixture(const char *name, sy_sdp_info *info)
{
    sy_sdp *s = fixture_parse(name);
    err[0] = '\0';
    int rc = s ? sy_sdp_extract(s, info, err, sizeof(err)) : -1;
    if (rc) fprintf(stderr, "%s: %s\n", name, err);
    sy_sdp_free(s);
    return rc;
}

static void test_chrome(void)
{
    sy_sdp_info info;
    CHECK_EQ_INT(extract_fixture("chrome_offer.sdp", &info), 0);
    CHECK_EQ_INT(info.n_media, 3);
    if (info.n_media != 3) return;
    CHECK(info.has_bundle);
    CHECK_EQ_INT(info.bundle_tag, 0);
    CHECK(!info.ice_lite);
    const sy_sdp_media_info *a = &info.media[0], *v = &info.media[1], *d = &info.media[2];

    /* audio */
    CHECK_EQ_INT(a->type, SY_SDP_AUDIO);
    CHECK_STR(a->mid, "0");
    CHECK(a->bundled);
    CHECK(!a->rejected);
    CHECK_EQ_INT(a->direction, SY_SDP_SENDRECV);
    CHECK_EQ_INT(a->n_pts, 8);
    CHECK_EQ_INT(a->pts[0].pt, 111);
    CHECK_EQ_INT(a->pts[0].codec, SY_CODEC_OPUS);
    CHECK_EQ_INT(a->pts[0].clock_rate, 48000);
    CHECK_EQ_INT(a->pts[0].channels, 2);
    CHECK(a->pts[0].transport_cc);
    CHECK(!a->pts[0].nack);
    CHECK_EQ_INT(a->pts[0].rtx_pt, -1);
    CHECK_EQ_INT(a->pts[1].codec, SY_CODEC_RED);
    CHECK_EQ_INT(a->pts[2].codec, SY_CODEC_G722);
    CHECK_EQ_INT(a->pts[2].clock_rate, 8000);
    CHECK_EQ_INT(a->pts[3].codec, SY_CODEC_PCMU);
    CHECK_EQ_INT(a->pts[4].codec, SY_CODEC_PCMA);
    CHECK_EQ_INT(a->pts[5].codec, SY_CODEC_UNKNOWN);
    CHECK_STR(a->pts[5].encoding, "CN");
    CHECK_STR(a->pts[6].encoding, "telephone-event");
    CHECK_EQ_INT(a->pts[6].clock_rate, 48000);
    CHECK(sy_sdp_media_info_pt(a, 126) == &a->pts[7]);
    CHECK(sy_sdp_media_info_pt(a, 96) == NULL);
    CHECK(sy_sdp_media_info_codec(a) == &a->pts[0]);
    CHECK_EQ_INT(a->ext[SY_SDP_EXT_AUDIO_LEVEL], 1);
    CHECK_EQ_INT(a->ext[SY_SDP_EXT_ABS_SEND_TIME], 2);
    CHECK_EQ_INT(a->ext[SY_SDP_EXT_TRANSPORT_CC], 3);
    CHECK_EQ_INT(a->ext[SY_SDP_EXT_MID], 4);
    CHECK_EQ_INT(a->ext[SY_SDP_EXT_RID], 0);
    CHECK(a->extmap_allow_mixed); /* from the session level */
    CHECK(a->rtcp_mux);
    CHECK(a->rtcp_rsize);
    CHECK_EQ_INT(a->ssrc, 3735928559u);
    CHECK_EQ_INT(a->rtx_ssrc, 0);
    CHECK_EQ_INT(a->n_sim, 0);
    CHECK_STR(a->cname, "Zq3q8vL0s9kq3v1B");
    CHECK_STR(a->msid.stream, "3c1c8f0e-7a2b-4d9e-9c55-6d0f1b2a8e41");
    CHECK_STR(a->msid.track, "9f2e6a1c-55b0-4c8e-a1d4-0b7e3f2c6d18");
    CHECK_STR(a->ice_ufrag, "kR3u");
    CHECK_STR(a->ice_pwd, "Sj2Ev0c9G6Xq1u2NmQ8oLp4w");
    CHECK(a->ice_trickle);
    CHECK(!a->end_of_candidates);
    CHECK_EQ_INT(a->n_fingerprints, 1);
    CHECK_STR(a->fingerprints[0].hash, "sha-256");
    CHECK_STR(a->fingerprints[0].value, "A5:4D:CA:18:25:30:BB:1D:6D:13:2C:DE:D6:23:7B:2E:D9:1E:3F:"
                                        "72:1F:CB:19:71:17:44:94:D6:49:3C:9D:5C");
    CHECK_EQ_INT(a->setup, SY_SDP_SETUP_ACTPASS);
    CHECK_EQ_INT(a->n_candidates, 3);
    if (a->n_candidates == 3) {
        CHECK_STR(a->candidates[0].address, "192.168.1.20");
        CHECK_EQ_INT(a->candidates[0].type, SY_SDP_CAND_HOST);
        CHECK_EQ_INT(a->candidates[1].type, SY_SDP_CAND_SRFLX);
        CHECK_STR(a->candidates[1].raddr, "192.168.1.20");
        CHECK_STR(a->candidates[2].transport, "tcp");
        CHECK_STR(a->candidates[2].tcptype, "active");
    }

    /* video */
    CHECK_EQ_INT(v->type, SY_SDP_VIDEO);
    CHECK_STR(v->mid, "1");
    CHECK_EQ_INT(v->direction, SY_SDP_SENDONLY);
    CHECK_EQ_INT(v->n_pts, 25);
    const sy_sdp_pt_info *p = sy_sdp_media_info_pt(v, 96);
    CHECK(p && p->codec == SY_CODEC_VP8 && p->clock_rate == 90000 && p->rtx_pt == 97);
    CHECK(p && p->nack && p->nack_pli && p->ccm_fir && p->goog_remb && p->transport_cc);
    p = sy_sdp_media_info_pt(v, 97);
    CHECK(p && p->codec == SY_CODEC_RTX && p->apt == 96 && p->rtx_pt == -1);
    p = sy_sdp_media_info_pt(v, 102);
    CHECK(p && p->codec == SY_CODEC_H264 && p->h264_packetization_mode == 1 &&
          p->h264_profile == SY_H264_BASELINE && p->h264_level == 0x1f && p->h264_level_asymmetry &&
          p->rtx_pt == 103);
    CHECK_STR(p ? p->h264_profile_level_id : NULL, "42001f");
    p = sy_sdp_media_info_pt(v, 104);
    CHECK(p && p->h264_packetization_mode == 0);
    p = sy_sdp_media_info_pt(v, 106);
    CHECK(p && p->h264_profile == SY_H264_CONSTRAINED_BASELINE && p->h264_packetization_mode == 1);
    p = sy_sdp_media_info_pt(v, 127);
    CHECK(p && p->h264_profile == SY_H264_MAIN && p->rtx_pt == 125);
    p = sy_sdp_media_info_pt(v, 112);
    CHECK(p && p->h264_profile == SY_H264_HIGH);
    p = sy_sdp_media_info_pt(v, 45);
    CHECK(p && p->codec == SY_CODEC_AV1 && p->av1_profile == 0 && p->rtx_pt == 46);
    p = sy_sdp_media_info_pt(v, 98);
    CHECK(p && p->codec == SY_CODEC_VP9 && p->vp9_profile == 0 && p->rtx_pt == 99);
    p = sy_sdp_media_info_pt(v, 100);
    CHECK(p && p->codec == SY_CODEC_VP9 && p->vp9_profile == 2 && p->rtx_pt == 101);
    p = sy_sdp_media_info_pt(v, 116);
    CHECK(p && p->codec == SY_CODEC_RED && p->rtx_pt == 117);
    p = sy_sdp_media_info_pt(v, 118);
    CHECK(p && p->codec == SY_CODEC_ULPFEC && p->rtx_pt == -1);
    CHECK_EQ_INT(v->ext[SY_SDP_EXT_MID], 4);
    CHECK_EQ_INT(v->ext[SY_SDP_EXT_RID], 10);
    CHECK_EQ_INT(v->ext[SY_SDP_EXT_REPAIRED_RID], 11);
    CHECK_EQ_INT(v->ext[SY_SDP_EXT_ABS_SEND_TIME], 2);
    CHECK_EQ_INT(v->ext[SY_SDP_EXT_TRANSPORT_CC], 3);
    CHECK_EQ_INT(v->ext[SY_SDP_EXT_VIDEO_ORIENTATION], 13);
    CHECK_EQ_INT(v->ext[SY_SDP_EXT_PLAYOUT_DELAY], 5);
    CHECK_EQ_INT(v->ext[SY_SDP_EXT_DEPENDENCY_DESCRIPTOR], 9);
    CHECK_EQ_INT(v->ext[SY_SDP_EXT_AUDIO_LEVEL], 0);
    CHECK(v->extmap_allow_mixed);
    CHECK_EQ_INT(v->n_rids, 3);
    CHECK_STR(v->rids[0].id, "h");
    CHECK(v->rids[0].send);
    CHECK_STR(v->rids[2].id, "l");
    CHECK(v->has_simulcast);
    CHECK_EQ_INT(v->simulcast.send.n, 3);
    CHECK_STR(v->simulcast.send.streams[0].alts[0].rid, "h");
    CHECK_STR(v->simulcast.send.streams[1].alts[0].rid, "m");
    CHECK_STR(v->simulcast.send.streams[2].alts[0].rid, "l");
    CHECK_EQ_INT(v->simulcast.recv.n, 0);
    CHECK_EQ_INT(v->ssrc, 0); /* rid simulcast: no a=ssrc */
    CHECK_STR(v->msid.track, "7d4b2c90-1e3f-4a5b-8c6d-2e9f0a1b3c4d");
    CHECK_EQ_INT(v->n_candidates, 0);

    /* data */
    CHECK_EQ_INT(d->type, SY_SDP_APPLICATION);
    CHECK_STR(d->mid, "2");
    CHECK_EQ_INT(d->n_pts, 0);
    CHECK_EQ_INT(d->sctp_port, 5000);
    CHECK_EQ_INT(d->max_message_size, 262144);
    CHECK(!d->legacy_sctpmap);

    CHECK_EQ_INT(sy_sdp_info_check(&info, true, err, sizeof(err)), 0);
    CHECK(sy_sdp_info_check(&info, false, err, sizeof(err)) < 0);
    CHECK_CONTAINS(err, "actpass");
    sy_sdp_info_free(&info);
    CHECK_EQ_INT(info.n_media, 0);
    sy_sdp_info_free(&info); /* twice is fine */
}

static void test_aiortc(void)
{
    sy_sdp_info info;
    CHECK_EQ_INT(extract_fixture("aiortc_offer.sdp", &info), 0);
    CHECK_EQ_INT(info.n_media, 3);
    if (info.n_media != 3) return;
    const sy_sdp_media_info *a = &info.media[0], *v = &info.media[1], *d = &info.media[2];
    CHECK_EQ_INT(a->port, 47683);
    CHECK_EQ_INT(a->n_pts, 3);
    CHECK_EQ_INT(a->pts[0].codec, SY_CODEC_OPUS);
    CHECK_EQ_INT(a->ext[SY_SDP_EXT_MID], 1);
    CHECK_EQ_INT(a->ext[SY_SDP_EXT_AUDIO_LEVEL], 2);
    CHECK(!a->extmap_allow_mixed);
    CHECK(!a->rtcp_rsize);
    CHECK_EQ_INT(a->ssrc, 2463198540u);
    CHECK_STR(a->cname, "{6b7e2c41-8f3a-4d9b-b0e2-5a1c7d9e3f20}");
    CHECK_EQ_INT(a->n_fingerprints, 3);
    CHECK_STR(a->fingerprints[1].hash, "sha-384");
    CHECK_STR(a->fingerprints[2].hash, "sha-512");
    CHECK(!a->ice_trickle);
    CHECK(a->end_of_candidates);
    CHECK_EQ_INT(a->n_candidates, 1);
    CHECK_STR(a->n_candidates ? a->candidates[0].address : NULL, "127.0.0.1");
    CHECK_EQ_INT(a->n_candidates ? a->candidates[0].port : 0, 47683);
    CHECK_STR(a->ice_ufrag, "Xy9T");

    CHECK_EQ_INT(v->ext[SY_SDP_EXT_ABS_SEND_TIME], 2);
    CHECK_EQ_INT(v->n_pts, 6);
    const sy_sdp_pt_info *p = sy_sdp_media_info_pt(v, 97);
    CHECK(p && p->codec == SY_CODEC_VP8 && p->rtx_pt == 98 && p->nack && p->goog_remb &&
          !p->transport_cc && !p->ccm_fir);
    p = sy_sdp_media_info_pt(v, 99);
    CHECK(p && p->h264_profile == SY_H264_BASELINE && p->rtx_pt == 100);
    p = sy_sdp_media_info_pt(v, 101);
    CHECK(p && p->h264_profile == SY_H264_CONSTRAINED_BASELINE && p->rtx_pt == 102);
    CHECK_EQ_INT(v->ssrc, 1018366447u);
    CHECK_EQ_INT(v->rtx_ssrc, 3125570331u);
    CHECK_STR(v->msid.track, "5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c");

    CHECK_EQ_INT(d->sctp_port, 5000);
    CHECK_EQ_INT(d->max_message_size, 65536);
    CHECK_STR(d->proto, "DTLS/SCTP");
    CHECK_EQ_INT(sy_sdp_info_check(&info, true, err, sizeof(err)), 0);
    sy_sdp_info_free(&info);
}

static void test_firefox(void)
{
    sy_sdp_info info;
    CHECK_EQ_INT(extract_fixture("firefox_offer.sdp", &info), 0);
    CHECK_EQ_INT(info.n_media, 3);
    if (info.n_media != 3) return;
    const sy_sdp_media_info *a = &info.media[0], *v = &info.media[1], *d = &info.media[2];
    /* session-level fingerprint and ice-options */
    CHECK_EQ_INT(a->n_fingerprints, 1);
    CHECK(a->ice_trickle);
    CHECK_STR(a->ice_ufrag, "8f2a1c3d");
    CHECK_EQ_INT(a->ext[SY_SDP_EXT_AUDIO_LEVEL], 1);
    CHECK_EQ_INT(a->ext[SY_SDP_EXT_MID], 3);
    CHECK_EQ_INT(a->pts[1].codec, SY_CODEC_G722);
    CHECK_EQ_INT(a->pts[1].channels, 1);
    CHECK_EQ_INT(a->ssrc, 2970104857u);
    CHECK_EQ_INT(v->ext[SY_SDP_EXT_PLAYOUT_DELAY], 6);
    CHECK_EQ_INT(v->ext[SY_SDP_EXT_TRANSPORT_CC], 7);
    const sy_sdp_pt_info *p = sy_sdp_media_info_pt(v, 120);
    CHECK(p && p->codec == SY_CODEC_VP8 && p->rtx_pt == 124 && p->ccm_fir && p->transport_cc);
    p = sy_sdp_media_info_pt(v, 121);
    CHECK(p && p->codec == SY_CODEC_VP9 && p->vp9_profile == 0 && p->rtx_pt == 125);
    p = sy_sdp_media_info_pt(v, 126);
    CHECK(p && p->h264_packetization_mode == 1 && p->h264_profile == SY_H264_CONSTRAINED_BASELINE &&
          p->rtx_pt == 127);
    p = sy_sdp_media_info_pt(v, 97);
    CHECK(p && p->h264_packetization_mode == 0 && p->rtx_pt == 98);
    p = sy_sdp_media_info_pt(v, 122);
    CHECK(p && p->codec == SY_CODEC_RED && p->rtx_pt == 119);
    CHECK_EQ_INT(v->ssrc, 1431278922u);
    CHECK_EQ_INT(v->rtx_ssrc, 2809130472u);
    CHECK_EQ_INT(d->max_message_size, 1073741823);
    CHECK_EQ_INT(d->direction, SY_SDP_SENDRECV);
    CHECK_EQ_INT(sy_sdp_info_check(&info, true, err, sizeof(err)), 0);
    sy_sdp_info_free(&info);
}

static void test_janus_sim_answer(void)
{
    sy_sdp_info info;
    CHECK_EQ_INT(extract_fixture("janus_offer.sdp", &info), 0);
    if (info.n_media == 3) {
        const sy_sdp_media_info *a = &info.media[0], *v = &info.media[1];
        CHECK_EQ_INT(a->direction, SY_SDP_SENDONLY);
        CHECK_EQ_INT(a->ext[SY_SDP_EXT_AUDIO_LEVEL], 4);
        CHECK_EQ_INT(v->ssrc, 2233445566u);
        CHECK_EQ_INT(v->rtx_ssrc, 3344556677u);
        CHECK_STR(v->cname, "janus");
        CHECK_STR(v->msid.stream, "janus");
        CHECK_STR(v->msid.track, "janus1");
        CHECK_EQ_INT(v->ext[SY_SDP_EXT_VIDEO_ORIENTATION], 12);
        CHECK_EQ_INT(v->ext[SY_SDP_EXT_PLAYOUT_DELAY], 13);
        CHECK(v->extmap_allow_mixed);
        CHECK(v->end_of_candidates);
        CHECK_EQ_INT(v->n_candidates, 1);
    }
    CHECK_EQ_INT(sy_sdp_info_check(&info, true, err, sizeof(err)), 0);
    sy_sdp_info_free(&info);

    CHECK_EQ_INT(extract_fixture("chrome_sim_offer.sdp", &info), 0);
    if (info.n_media == 1) {
        const sy_sdp_media_info *v = &info.media[0];
        CHECK_EQ_INT(v->n_sim, 3);
        CHECK_EQ_INT(v->sim[0].ssrc, 1111);
        CHECK_EQ_INT(v->sim[0].rtx_ssrc, 2111);
        CHECK_EQ_INT(v->sim[2].ssrc, 1113);
        CHECK_EQ_INT(v->sim[2].rtx_ssrc, 2113);
        CHECK_EQ_INT(v->ssrc, 1111);
        CHECK_EQ_INT(v->rtx_ssrc, 2111);
        CHECK_STR(v->cname, "Yh8dJ2kL0pQ4rS6t");
        CHECK_STR(v->msid.track, "t1");
    }
    sy_sdp_info_free(&info);

    CHECK_EQ_INT(extract_fixture("chrome_answer.sdp", &info), 0);
    CHECK_EQ_INT(info.n_media ? info.media[0].setup : 0, SY_SDP_SETUP_ACTIVE);
    CHECK_EQ_INT(info.n_media ? info.media[1].direction : 0, SY_SDP_RECVONLY);
    CHECK_EQ_INT(sy_sdp_info_check(&info, false, err, sizeof(err)), 0);
    sy_sdp_info_free(&info);
}

/* ---- malformed attributes ---- */

#define SESSION "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define VIDEO "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"

static int extract_str(const char *text, sy_sdp_info *info)
{
    char perr[256] = "";
    sy_sdp *s = parse_str(text, perr, sizeof(perr));
    if (!s) {
        snprintf(err, sizeof(err), "parse: %s", perr);
        return -100;
    }
    err[0] = '\0';
    int rc = sy_sdp_extract(s, info, err, sizeof(err));
    sy_sdp_free(s);
    return rc;
}

static void test_malformed(void)
{
    char big[8192];
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {SESSION VIDEO "a=rtpmap:96 VP8\r\n", "m-section 0: rtpmap"},
        {SESSION VIDEO "a=rtpmap:96 VP8/90000/0\r\n", "channels"},
        {SESSION VIDEO "a=fmtp:x apt=96\r\n", "fmtp"},
        {SESSION VIDEO "a=rtpmap:97 rtx/90000\r\n", "apt"},
        {SESSION VIDEO "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=200\r\n", "apt"},
        {SESSION VIDEO "a=rtpmap:96 VP9/90000\r\na=fmtp:96 profile-id=9\r\n", "VP9"},
        {SESSION VIDEO "a=rtpmap:96 AV1/90000\r\na=fmtp:96 profile=x\r\n", "AV1"},
        {SESSION VIDEO "a=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=zz\r\n", "H264"},
        {SESSION VIDEO "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=7\r\n", "H264"},
        {SESSION VIDEO "a=rtcp-fb:96\r\n", "rtcp-fb"},
        {SESSION VIDEO "a=extmap:0 urn:x\r\n", "extmap"},
        {SESSION VIDEO "a=extmap:3 urn:x\r\na=extmap:3 urn:y\r\n", "used for two"},
        {SESSION VIDEO "a=mid:1\r\n", "more than one mid"},
        {SESSION "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:\r\n", "empty mid"},
        {SESSION "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid\r\n", "empty mid"},
        {SESSION
         "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
         "longer"},
        {SESSION VIDEO VIDEO, "used twice"},
        {SESSION "a=group:BUNDLE 0 7\r\n" VIDEO, "unknown mid"},
        {SESSION "a=group:BUNDLE 0\r\na=group:BUNDLE 0\r\n" VIDEO, "one BUNDLE"},
        {SESSION "a=group:\r\n" VIDEO, "group"},
        {SESSION VIDEO "a=candidate:1 1 udp 1 1.2.3.4 5 typ\r\n", "candidate"},
        {SESSION VIDEO "a=fingerprint:sha-256 00\r\n", "fingerprint"},
        {SESSION "a=fingerprint:sha-256 00\r\n" VIDEO, "session: fingerprint"},
        {SESSION VIDEO "a=setup:both\r\n", "setup"},
        {SESSION "a=setup:both\r\n" VIDEO, "session: setup"},
        {SESSION VIDEO "a=ice-ufrag:ab\r\n", "ice-ufrag"},
        {SESSION "a=ice-pwd:short\r\n" VIDEO, "ice-pwd"},
        {SESSION VIDEO "a=ssrc:x cname:a\r\n", "ssrc"},
        {SESSION VIDEO "a=ssrc-group:FID 1 2 3\r\n", "FID"},
        {SESSION VIDEO "a=ssrc-group:SIM 1 2\r\na=ssrc-group:SIM 3 4\r\n", "SIM"},
        {SESSION VIDEO "a=rid:h.1 send\r\n", "rid"},
        {SESSION VIDEO "a=rid:h send\r\na=rid:h recv\r\n", "rid twice"},
        {SESSION VIDEO "a=rid:h send\r\na=simulcast:send h;m\r\n", "rid m has no a=rid:m send"},
        {SESSION VIDEO "a=rid:h recv\r\na=simulcast:send h\r\n", "no a=rid:h send"},
        {SESSION VIDEO "a=rid:h send\r\na=simulcast:send h\r\na=simulcast:send h\r\n",
         "more than one simulcast"},
        {SESSION VIDEO "a=simulcast:send ;\r\n", "simulcast"},
        {SESSION VIDEO "a=sendonly\r\na=recvonly\r\n", "direction"},
        {SESSION "a=sendonly\r\na=recvonly\r\n" VIDEO, "direction"},
        {SESSION VIDEO "a=msid:\r\n", "msid"},
        {SESSION "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=sctp-port:70000\r\n",
         "sctp-port"},
        {SESSION "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=max-message-size:x\r\n",
         "max-message-size"},
        {SESSION "m=application 9 DTLS/SCTP 5000\r\na=sctpmap:x\r\n", "sctpmap"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sy_sdp_info info;
        int rc = extract_str(cases[i].text, &info);
        CHECK(rc < 0 && rc != -100);
        CHECK_CONTAINS(err, cases[i].expect);
        CHECK_EQ_INT(info.n_media, 0);
        if (rc == 0) {
            fprintf(stderr, "  case %zu extracted but should not\n", i);
            sy_sdp_info_free(&info);
        }
    }
    /* caps: candidates, fingerprints, rids */
    size_t n = (size_t)snprintf(big, sizeof(big), SESSION VIDEO);
    for (int i = 0; i <= SY_SDP_MAX_CANDIDATES; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n,
                              "a=candidate:%d 1 udp 1 10.0.0.1 %d typ host\r\n", i, 1000 + i);
    sy_sdp_info info;
    CHECK(extract_str(big, &info) < 0);
    CHECK_CONTAINS(err, "candidate: more than");
    n = (size_t)snprintf(big, sizeof(big), SESSION VIDEO);
    for (int i = 0; i <= SY_SDP_MAX_RIDS; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "a=rid:r%d send\r\n", i);
    CHECK(extract_str(big, &info) < 0);
    CHECK_CONTAINS(err, "rids");
    n = (size_t)snprintf(big, sizeof(big), SESSION VIDEO);
    for (int i = 0; i <= SY_SDP_MAX_FINGERPRINTS; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n,
                              "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
                              "00:11:22:%02d\r\n",
                              i);
    CHECK(extract_str(big, &info) < 0);
    CHECK_CONTAINS(err, "fingerprint");

    /* lenient where the clients differ: unknown attributes, rtpmap for an unlisted pt,
     * formats of non-RTP sections, a dynamic pt without rtpmap */
    CHECK_EQ_INT(extract_str(SESSION VIDEO "a=x-unknown:((\r\na=rtpmap:100 VP8/90000\r\n", &info),
                 0);
    CHECK_EQ_INT(info.media[0].pts[0].codec, SY_CODEC_UNKNOWN);
    CHECK_EQ_INT(info.media[0].pts[0].clock_rate, 0);
    sy_sdp_info_free(&info);
    CHECK_EQ_INT(extract_str(SESSION "m=application 9 DTLS/SCTP 5000\r\na=mid:d\r\n"
                                     "a=sctpmap:5000 webrtc-datachannel 1024\r\n"
                                     "a=fmtp:webrtc-datachannel max-message-size=100000\r\n",
                             &info),
                 0);
    CHECK(info.media[0].legacy_sctpmap);
    CHECK_EQ_INT(info.media[0].sctp_port, 5000);
    sy_sdp_info_free(&info);
}

/* ---- the WebRTC checks ---- */

#define TRANSPORT                                                                                  \
    "a=ice-ufrag:kR3u\r\na=ice-pwd:Sj2Ev0c9G6Xq1u2NmQ8oLp4w\r\n"                                   \
    "a=fingerprint:sha-256 A5:4D:CA:18:25:30:BB:1D:6D:13:2C:DE:D6:23:7B:2E:D9:1E:3F:72:1F:CB:"     \
    "19:71:17:44:94:D6:49:3C:9D:5C\r\n"

static void test_checks(void)
{
    static const struct {
        const char *text;
        bool offer;
        const char *expect; /* NULL: passes */
    } cases[] = {
        {SESSION "a=group:BUNDLE 0\r\n" VIDEO TRANSPORT "a=setup:actpass\r\na=rtcp-mux\r\n", true,
         NULL},
        {SESSION "a=group:BUNDLE 0\r\n" VIDEO TRANSPORT "a=setup:actpass\r\na=rtcp-mux\r\n", false,
         "actpass"},
        {SESSION "a=group:BUNDLE 0\r\n" VIDEO TRANSPORT "a=setup:passive\r\na=rtcp-mux\r\n", false,
         NULL},
        {SESSION "a=group:BUNDLE 0\r\n" VIDEO TRANSPORT "a=setup:holdconn\r\na=rtcp-mux\r\n", true,
         "holdconn"},
        {SESSION "a=group:BUNDLE 0\r\n" VIDEO TRANSPORT "a=rtcp-mux\r\n", true, "missing"},
        {SESSION VIDEO TRANSPORT "a=setup:actpass\r\na=rtcp-mux\r\n", true, "BUNDLE"},
        {SESSION "a=group:BUNDLE 0\r\n" VIDEO TRANSPORT "a=setup:actpass\r\n", true, "rtcp-mux"},
        {SESSION "a=group:BUNDLE 0\r\nm=video 9 RTP/AVP 96\r\na=mid:0\r\n" TRANSPORT
                 "a=setup:actpass\r\na=rtcp-mux\r\n",
         true, "protocol"},
        {SESSION "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" TRANSPORT "a=setup:actpass\r\n", true,
         "missing mid"},
        {SESSION "a=group:BUNDLE 0\r\n" VIDEO "a=setup:actpass\r\na=rtcp-mux\r\n", true, "ice"},
        {SESSION "a=group:BUNDLE 0\r\n" VIDEO
                 "a=ice-ufrag:kR3u\r\na=ice-pwd:Sj2Ev0c9G6Xq1u2NmQ8oLp4w\r\n"
                 "a=fingerprint:md5 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\r\n"
                 "a=setup:actpass\r\na=rtcp-mux\r\n",
         true, "fingerprint"},
        {SESSION "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n", true, NULL}, /* all rejected */
        {SESSION "a=group:BUNDLE 1\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n"
                 "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=rtcp-mux\r\n" TRANSPORT
                 "a=setup:actpass\r\n",
         true, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sy_sdp_info info;
        CHECK_EQ_INT(extract_str(cases[i].text, &info), 0);
        err[0] = '\0';
        int rc = sy_sdp_info_check(&info, cases[i].offer, err, sizeof(err));
        if (cases[i].expect) {
            CHECK(rc < 0);
            CHECK_CONTAINS(err, cases[i].expect);
        } else {
            CHECK_EQ_INT(rc, 0);
            if (rc) fprintf(stderr, "  case %zu: %s\n", i, err);
        }
        sy_sdp_info_free(&info);
    }
}

int main(void)
{
    test_chrome();
    test_aiortc();
    test_firefox();
    test_janus_sim_answer();
    test_malformed();
    test_checks();
    return CHECK_DONE();
}
