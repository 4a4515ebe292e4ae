/*
 * SDP builders (sdp_build.h): answers to the Chromium, aiortc and Firefox offers
 * (codecs, payload types, extmaps, rtcp-fb, rtx, simulcast mirroring, rejections) and
 * server offers for subscriber legs.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "protocol/sdp_build.h"
#include "protocol/sdp_extract.h"
#include "sdp_fixtures.h"

static char err[512];

static const char *const all_exts[] = {
    SY_SDP_URI_MID,
    SY_SDP_URI_RID,
    SY_SDP_URI_REPAIRED_RID,
    SY_SDP_URI_AUDIO_LEVEL,
    SY_SDP_URI_ABS_SEND_TIME,
    SY_SDP_URI_TRANSPORT_CC,
    SY_SDP_URI_VIDEO_ORIENTATION,
    SY_SDP_URI_PLAYOUT_DELAY,
    SY_SDP_URI_DEPENDENCY_DESCRIPTOR,
};
#define N_EXTS (sizeof(all_exts) / sizeof(all_exts[0]))

/* Every attribute of sec named name, joined with '|'. */
static const char *attrs(const sy_sdp_section *sec, const char *name)
{
    static char buf[4096];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; sy_sdp_find_attr(sec, name, &i) >= 0; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "|" : "",
                              sec->lines[i].value ? sec->lines[i].value : "");
    return buf;
}

static const char *fmts(const sy_sdp_media *m)
{
    static char buf[512];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < m->n_fmts; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "", m->fmts[i]);
    return buf;
}

/* The answer must write, parse back to the same model and extract cleanly. */
static void check_answer_sound(const sy_sdp *ans)
{
    size_t len;
    char *w = sy_sdp_write(ans, &len);
    sy_sdp *back = w ? parse_str(w, err, sizeof(err)) : NULL;
    CHECK(back != NULL);
    CHECK(sy_sdp_equal(ans, back));
    sy_sdp_info info;
    CHECK_EQ_INT(back ? sy_sdp_extract(back, &info, err, sizeof(err)) : -1, 0);
    sy_sdp_info_free(&info);
    sy_sdp_free(back);
    free(w);
}

static sy_sdp *answer(const char *fixture, const sy_sdp_answer_opts *o)
{
    sy_sdp *offer = fixture_parse(fixture), *ans = NULL;
    err[0] = '\0';
    int rc = offer ? sy_sdp_generate_answer(offer, o, &ans, err, sizeof(err)) : -1;
    if (rc) fprintf(stderr, "%s: answer: %s\n", fixture, err);
    sy_sdp_free(offer);
    if (ans) check_answer_sound(ans);
    return ans;
}

static void test_chrome_answer(void)
{
    sy_sdp_answer_opts o = {.extmaps = all_exts, .n_extmaps = N_EXTS};
    sy_sdp *a = answer("chrome_offer.sdp", &o);
    CHECK(a != NULL);
    if (!a) return;
    CHECK_STR(sy_sdp_line_value(&a->session, 'o'), "- 3546004397921447048 1 IN IP4 0.0.0.0");
    CHECK(sy_sdp_has_attr(&a->session, "extmap-allow-mixed"));
    CHECK(!sy_sdp_has_attr(&a->session, "ice-ufrag"));
    CHECK_EQ_INT(a->n_media, 3);
    if (a->n_media != 3) goto out;
    const sy_sdp_media *au = &a->media[0], *v = &a->media[1], *d = &a->media[2];

    CHECK_EQ_INT(au->port, 9);
    CHECK_STR(au->proto, "UDP/TLS/RTP/SAVPF");
    CHECK_STR(fmts(au), "111");
    CHECK_STR(attrs(&au->sec, "mid"), "0");
    CHECK(sy_sdp_has_attr(&au->sec, "sendrecv"));
    CHECK(sy_sdp_has_attr(&au->sec, "rtcp-rsize"));
    CHECK_STR(attrs(&au->sec, "rtpmap"), "111 opus/48000/2");
    CHECK_STR(attrs(&au->sec, "fmtp"), "111 minptime=10;useinbandfec=1");
    CHECK_STR(attrs(&au->sec, "rtcp-fb"), "111 transport-cc");
    CHECK_STR(attrs(&au->sec, "extmap"), "1 " SY_SDP_URI_AUDIO_LEVEL "|2 " SY_SDP_URI_ABS_SEND_TIME
                                         "|3 " SY_SDP_URI_TRANSPORT_CC "|4 " SY_SDP_URI_MID);
    CHECK(!sy_sdp_has_attr(&au->sec, "ssrc"));
    CHECK(!sy_sdp_has_attr(&au->sec, "fingerprint"));

    CHECK_STR(fmts(v), "96 97");
    CHECK(sy_sdp_has_attr(&v->sec, "recvonly")); /* the offer was sendonly */
    CHECK_STR(attrs(&v->sec, "rtpmap"), "96 VP8/90000|97 rtx/90000");
    CHECK_STR(attrs(&v->sec, "fmtp"), "97 apt=96");
    CHECK_STR(attrs(&v->sec, "rtcp-fb"),
              "96 goog-remb|96 transport-cc|96 ccm fir|96 nack|96 nack pli");
    CHECK_STR(attrs(&v->sec, "extmap"),
              "2 " SY_SDP_URI_ABS_SEND_TIME "|13 " SY_SDP_URI_VIDEO_ORIENTATION
              "|3 " SY_SDP_URI_TRANSPORT_CC "|5 " SY_SDP_URI_PLAYOUT_DELAY "|4 " SY_SDP_URI_MID
              "|10 " SY_SDP_URI_RID "|11 " SY_SDP_URI_REPAIRED_RID
              "|9 " SY_SDP_URI_DEPENDENCY_DESCRIPTOR);
    CHECK_STR(attrs(&v->sec, "rid"), "h recv|m recv|l recv");
    CHECK_STR(attrs(&v->sec, "simulcast"), "recv h;m;l");

    CHECK_EQ_INT(d->port, 9);
    CHECK_STR(d->proto, "UDP/DTLS/SCTP");
    CHECK_STR(fmts(d), "webrtc-datachannel");
    CHECK_STR(attrs(&d->sec, "mid"), "2");
    CHECK_STR(attrs(&d->sec, "sctp-port"), "5000");
    CHECK_STR(attrs(&d->sec, "max-message-size"), "1048576");
out:
    sy_sdp_free(a);
}

static void test_chrome_choices(void)
{
    static const sy_codec h264[] = {SY_CODEC_H264}, vp9[] = {SY_CODEC_VP9}, av1[] = {SY_CODEC_AV1},
                          pcmu[] = {SY_CODEC_PCMU}, g722_opus[] = {SY_CODEC_G722, SY_CODEC_OPUS};
    sy_sdp_answer_opts o = {.extmaps = all_exts, .n_extmaps = N_EXTS};
    sy_sdp *a;

    /* H.264: packetization-mode 1, the profile asked for */
    o.video =
        (sy_sdp_answer_media){.codecs = h264, .n_codecs = 1, .h264_profile_level_id = "42e01f"};
    a = answer("chrome_offer.sdp", &o);
    CHECK_STR(a ? fmts(&a->media[1]) : NULL, "106 107");
    CHECK_STR(
        a ? attrs(&a->media[1].sec, "fmtp") : NULL,
        "106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f|107 apt=106");
    sy_sdp_free(a);
    o.video.h264_profile_level_id = NULL; /* any profile: the first with mode 1 */
    a = answer("chrome_offer.sdp", &o);
    CHECK_STR(a ? fmts(&a->media[1]) : NULL, "102 103");
    sy_sdp_free(a);
    o.video.h264_profile_level_id = "4d0032"; /* main, another level: still a match */
    a = answer("chrome_offer.sdp", &o);
    CHECK_STR(a ? fmts(&a->media[1]) : NULL, "127 125");
    sy_sdp_free(a);
    o.video.h264_profile_level_id = "640c1f"; /* constrained high: not offered -> rejected */
    a = answer("chrome_offer.sdp", &o);
    CHECK_EQ_INT(a ? a->media[1].port : -1, 0);
    CHECK_STR(a ? fmts(&a->media[1]) : NULL, "96");
    CHECK(a && sy_sdp_has_attr(&a->media[1].sec, "inactive"));
    CHECK_STR(a ? attrs(&a->media[1].sec, "mid") : NULL, "1");
    CHECK(a && !sy_sdp_has_attr(&a->media[1].sec, "rtpmap"));
    sy_sdp_free(a);

    o.video = (sy_sdp_answer_media){.codecs = vp9, .n_codecs = 1, .vp9_profile_id = "2"};
    a = answer("chrome_offer.sdp", &o);
    CHECK_STR(a ? fmts(&a->media[1]) : NULL, "100 101");
    CHECK_STR(a ? attrs(&a->media[1].sec, "fmtp") : NULL, "100 profile-id=2|101 apt=100");
    sy_sdp_free(a);
    o.video = (sy_sdp_answer_media){.codecs = av1, .n_codecs = 1, .no_rtx = true};
    a = answer("chrome_offer.sdp", &o);
    CHECK_STR(a ? fmts(&a->media[1]) : NULL, "45");
    CHECK_STR(a ? attrs(&a->media[1].sec, "rtpmap") : NULL, "45 AV1/90000");
    sy_sdp_free(a);

    /* audio: static payload types, preference order */
    o.video = (sy_sdp_answer_media){0};
    o.audio = (sy_sdp_answer_media){.codecs = pcmu, .n_codecs = 1};
    a = answer("chrome_offer.sdp", &o);
    CHECK_STR(a ? fmts(&a->media[0]) : NULL, "0");
    CHECK_STR(a ? attrs(&a->media[0].sec, "rtpmap") : NULL, "0 PCMU/8000");
    CHECK_STR(a ? attrs(&a->media[0].sec, "rtcp-fb") : NULL, "");
    sy_sdp_free(a);
    o.audio = (sy_sdp_answer_media){.codecs = g722_opus, .n_codecs = 2, .fmtp = "stereo=1"};
    a = answer("chrome_offer.sdp", &o);
    CHECK_STR(a ? fmts(&a->media[0]) : NULL, "9");
    CHECK_STR(a ? attrs(&a->media[0].sec, "fmtp") : NULL, "9 stereo=1");
    sy_sdp_free(a);

    /* directions: what the plugin wants, intersected with the mirror of the offer */
    o.audio = (sy_sdp_answer_media){.direction = SY_SDP_RECVONLY};
    o.video = (sy_sdp_answer_media){.direction = SY_SDP_SENDONLY};
    a = answer("chrome_offer.sdp", &o);
    CHECK(a && sy_sdp_has_attr(&a->media[0].sec, "recvonly"));
    CHECK(a && sy_sdp_has_attr(&a->media[1].sec, "inactive"));
    CHECK(a && !sy_sdp_has_attr(&a->media[1].sec, "simulcast")); /* does not receive */
    sy_sdp_free(a);

    /* announcing the sent stream */
    o.audio =
        (sy_sdp_answer_media){.ssrc = 1234, .cname = "sy", .msid_stream = "sy", .msid_track = "a0"};
    o.video = (sy_sdp_answer_media){.ssrc = 5678, .rtx_ssrc = 5679, .cname = "sy"};
    a = answer("chrome_offer.sdp", &o);
    CHECK_STR(a ? attrs(&a->media[0].sec, "msid") : NULL, "sy a0");
    CHECK_STR(a ? attrs(&a->media[0].sec, "ssrc") : NULL, "1234 cname:sy|1234 msid:sy a0");
    CHECK_STR(a ? attrs(&a->media[1].sec, "ssrc") : NULL, ""); /* recvonly: nothing sent */
    sy_sdp_free(a);

    /* extmaps limited: no transport-cc (and so no transport-cc feedback), no rid (and so no
     * simulcast), no_simulcast */
    static const char *const few[] = {SY_SDP_URI_MID, SY_SDP_URI_AUDIO_LEVEL};
    sy_sdp_answer_opts f = {.extmaps = few, .n_extmaps = 2};
    a = answer("chrome_offer.sdp", &f);
    CHECK_STR(a ? attrs(&a->media[0].sec, "extmap") : NULL,
              "1 " SY_SDP_URI_AUDIO_LEVEL "|4 " SY_SDP_URI_MID);
    CHECK_STR(a ? attrs(&a->media[0].sec, "rtcp-fb") : NULL, "");
    CHECK_STR(a ? attrs(&a->media[1].sec, "rtcp-fb") : NULL,
              "96 goog-remb|96 ccm fir|96 nack|96 nack pli");
    CHECK_STR(a ? attrs(&a->media[1].sec, "rid") : NULL, "");
    CHECK_STR(a ? attrs(&a->media[1].sec, "simulcast") : NULL, "");
    sy_sdp_free(a);
    static const char *const fbs[] = {"nack", "NACK PLI"};
    o = (sy_sdp_answer_opts){
        .extmaps = all_exts, .n_extmaps = N_EXTS, .rtcp_fbs = fbs, .n_rtcp_fbs = 2};
    o.video.no_simulcast = true;
    a = answer("chrome_offer.sdp", &o);
    CHECK_STR(a ? attrs(&a->media[1].sec, "rtcp-fb") : NULL, "96 nack|96 nack pli");
    CHECK_STR(a ? attrs(&a->media[1].sec, "simulcast") : NULL, "");
    sy_sdp_free(a);
    /* no extmaps at all: none answered */
    o = (sy_sdp_answer_opts){0};
    a = answer("chrome_offer.sdp", &o);
    CHECK_STR(a ? attrs(&a->media[1].sec, "extmap") : NULL, "");
    sy_sdp_free(a);
}

static void reject_second(void *opaque, const sy_sdp *offer, size_t index, sy_sdp_answer_media *c)
{
    (void)offer;
    (*(int *)opaque)++;
    if (index == 1) c->reject = true;
}

static void test_rejections(void)
{
    int calls = 0;
    sy_sdp_answer_opts o = {.reject_data = true, .choose = reject_second, .opaque = &calls};
    sy_sdp *a = answer("chrome_offer.sdp", &o);
    CHECK_EQ_INT(calls, 3);
    CHECK_EQ_INT(a ? a->media[0].port : 0, 9);
    CHECK_EQ_INT(a ? a->media[1].port : -1, 0);
    CHECK_EQ_INT(a ? a->media[2].port : -1, 0);
    CHECK_STR(a ? fmts(&a->media[2]) : NULL, "webrtc-datachannel");
    CHECK(a && !sy_sdp_has_attr(&a->media[2].sec, "sctp-port"));
    sy_sdp_free(a);

    /* unsupported media and protocols, offered-rejected sections, no matching codec */
    const char *text = "v=0\r\no=- 42 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                       "m=text 9 UDP/TLS/RTP/SAVPF 98\r\na=mid:t\r\n"
                       "m=audio 9 RTP/AVP 111\r\na=mid:p\r\na=rtpmap:111 opus/48000/2\r\n"
                       "m=audio 9 UDP/TLS/RTP/SAVPF 0 8\r\na=mid:g\r\n"
                       "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:r\r\na=rtpmap:96 VP8/90000\r\n"
                       "m=application 9 TCP/MSRP *\r\na=mid:m\r\n"
                       "m=application 9 DTLS/SCTP 5000\r\na=mid:d\r\n"
                       "a=sctpmap:5000 webrtc-datachannel 1024\r\n";
    sy_sdp *offer = parse_str(text, err, sizeof(err));
    CHECK(offer != NULL);
    sy_sdp *ans = NULL;
    CHECK_EQ_INT(offer ? sy_sdp_generate_answer(offer, NULL, &ans, err, sizeof(err)) : -1, 0);
    if (ans) {
        check_answer_sound(ans);
        CHECK_EQ_INT(ans->n_media, 6);
        CHECK_STR(ans->media[0].media, "text");
        for (int i = 0; i < 5; i++)
            CHECK_EQ_INT(ans->media[i].port, 0);
        CHECK_STR(fmts(&ans->media[2]), "0");
        CHECK_STR(attrs(&ans->media[4].sec, "mid"), "m");
        CHECK_STR(sy_sdp_line_value(&ans->session, 'o'), "- 42 1 IN IP4 0.0.0.0");
        /* legacy data channel form answered in kind */
        CHECK_EQ_INT(ans->media[5].port, 9);
        CHECK_STR(fmts(&ans->media[5]), "5000");
        CHECK_STR(attrs(&ans->media[5].sec, "sctpmap"), "5000 webrtc-datachannel 16");
        CHECK(!sy_sdp_has_attr(&ans->media[5].sec, "sctp-port"));
    }
    sy_sdp_free(ans);
    sy_sdp_free(offer);

    /* a malformed offer is refused with the extraction's reason */
    offer = parse_str("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8\r\n",
                      err, sizeof(err));
    ans = (sy_sdp *)1;
    CHECK(offer && sy_sdp_generate_answer(offer, NULL, &ans, err, sizeof(err)) < 0);
    CHECK(ans == NULL);
    CHECK_CONTAINS(err, "rtpmap");
    sy_sdp_free(offer);
    CHECK(sy_sdp_generate_answer(NULL, NULL, &ans, err, sizeof(err)) < 0);
}

static void test_aiortc_firefox_answers(void)
{
    sy_sdp_answer_opts o = {.extmaps = all_exts,
                            .n_extmaps = N_EXTS,
                            .sess_id = 77,
                            .sess_version = 3,
                            .session_name = "EchoTest"};
    sy_sdp *a = answer("aiortc_offer.sdp", &o);
    CHECK(a && a->n_media == 3);
    if (a && a->n_media == 3) {
        CHECK_STR(sy_sdp_line_value(&a->session, 'o'), "- 77 3 IN IP4 0.0.0.0");
        CHECK_STR(sy_sdp_line_value(&a->session, 's'), "EchoTest");
        CHECK(!sy_sdp_has_attr(&a->session, "extmap-allow-mixed"));
        CHECK_STR(fmts(&a->media[0]), "96");
        CHECK_STR(attrs(&a->media[0].sec, "rtpmap"), "96 opus/48000/2");
        CHECK_STR(attrs(&a->media[0].sec, "fmtp"), "");
        CHECK(sy_sdp_has_attr(&a->media[0].sec, "sendrecv"));
        CHECK(!sy_sdp_has_attr(&a->media[0].sec, "rtcp-rsize"));
        CHECK_STR(attrs(&a->media[0].sec, "extmap"),
                  "1 " SY_SDP_URI_MID "|2 " SY_SDP_URI_AUDIO_LEVEL);
        CHECK_STR(fmts(&a->media[1]), "97 98");
        CHECK_STR(attrs(&a->media[1].sec, "rtcp-fb"), "97 nack|97 nack pli|97 goog-remb");
        CHECK_STR(attrs(&a->media[1].sec, "extmap"),
                  "1 " SY_SDP_URI_MID "|2 " SY_SDP_URI_ABS_SEND_TIME);
        CHECK_STR(attrs(&a->media[1].sec, "fmtp"), "98 apt=97");
        CHECK_STR(a->media[2].proto, "DTLS/SCTP");
        CHECK_STR(fmts(&a->media[2]), "webrtc-datachannel");
        CHECK_STR(attrs(&a->media[2].sec, "sctp-port"), "5000");
    }
    sy_sdp_free(a);

    static const sy_codec h264[] = {SY_CODEC_H264};
    o.video =
        (sy_sdp_answer_media){.codecs = h264, .n_codecs = 1, .h264_profile_level_id = "42e01f"};
    o.max_message_size = 65536;
    a = answer("aiortc_offer.sdp", &o);
    CHECK_STR(a ? fmts(&a->media[1]) : NULL, "101 102");
    CHECK_STR(a ? attrs(&a->media[2].sec, "max-message-size") : NULL, "65536");
    sy_sdp_free(a);

    o = (sy_sdp_answer_opts){.extmaps = all_exts, .n_extmaps = N_EXTS};
    a = answer("firefox_offer.sdp", &o);
    CHECK(a && a->n_media == 3);
    if (a && a->n_media == 3) {
        CHECK_STR(fmts(&a->media[0]), "109");
        CHECK_STR(attrs(&a->media[0].sec, "fmtp"),
                  "109 maxplaybackrate=48000;stereo=1;useinbandfec=1");
        /* csrc-audio-level is not in the list; its id is not answered */
        CHECK_STR(attrs(&a->media[0].sec, "extmap"),
                  "1 " SY_SDP_URI_AUDIO_LEVEL "|3 " SY_SDP_URI_MID);
        CHECK_STR(fmts(&a->media[1]), "120 124");
        CHECK_STR(attrs(&a->media[1].sec, "fmtp"), "120 max-fs=12288;max-fr=60|124 apt=120");
        /* an extmap direction is mirrored */
        CHECK_CONTAINS(attrs(&a->media[1].sec, "extmap"), "6/sendonly " SY_SDP_URI_PLAYOUT_DELAY);
        CHECK_STR(attrs(&a->media[2].sec, "max-message-size"), "1048576");
    }
    sy_sdp_free(a);
}

/* ---- server offers ---- */

static void test_offer(void)
{
    static const sy_sdp_extmap_spec aexts[] = {{1, SY_SDP_URI_MID}, {4, SY_SDP_URI_AUDIO_LEVEL}};
    static const sy_sdp_extmap_spec vexts[] = {{1, SY_SDP_URI_MID},
                                               {3, SY_SDP_URI_TRANSPORT_CC},
                                               {13, SY_SDP_URI_PLAYOUT_DELAY},
                                               {16, SY_SDP_URI_DEPENDENCY_DESCRIPTOR}};
    sy_sdp_offer_media media[] = {
        {.type = SY_SDP_AUDIO,
         .mid = "0",
         .direction = SY_SDP_SENDONLY,
         .codec = SY_CODEC_OPUS,
         .pt = 111,
         .extmaps = aexts,
         .n_extmaps = 2,
         .ssrc = 1111,
         .cname = "sy",
         .msid_stream = "sy-1",
         .msid_track = "a0"},
        {.type = SY_SDP_VIDEO,
         .mid = "1",
         .direction = SY_SDP_SENDONLY,
         .codec = SY_CODEC_VP8,
         .pt = 96,
         .rtx_pt = 97,
         .extmaps = vexts,
         .n_extmaps = 4,
         .ssrc = 2222,
         .rtx_ssrc = 3333,
         .cname = "sy",
         .msid_stream = "sy-1",
         .msid_track = "v0"},
        {.type = SY_SDP_VIDEO,
         .mid = "2",
         .rejected = true,
         .codec = SY_CODEC_VP8,
         .pt = 96,
         .rtx_pt = 97},
        {.type = SY_SDP_VIDEO,
         .mid = "3",
         .direction = SY_SDP_SENDONLY,
         .codec = SY_CODEC_H264,
         .pt = 102},
        {.type = SY_SDP_APPLICATION, .mid = "4"},
    };
    sy_sdp_offer_opts o = {.sess_id = 1700000000123456ull,
                           .sess_version = 2,
                           .session_name = "VideoRoom 1234",
                           .extmap_allow_mixed = true,
                           .media = media,
                           .n_media = 5};
    sy_sdp *s = NULL;
    CHECK_EQ_INT(sy_sdp_generate_offer(&o, &s, err, sizeof(err)), 0);
    CHECK(s != NULL);
    if (!s) return;
    char *w = sy_sdp_write(s, NULL);
    CHECK_CONTAINS(
        w, "v=0\r\no=- 1700000000123456 2 IN IP4 0.0.0.0\r\ns=VideoRoom 1234\r\nt=0 0\r\n"
           "a=extmap-allow-mixed\r\n"
           "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n");
    CHECK_CONTAINS(w, "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
                      "a=rtcp-fb:111 transport-cc\r\n");
    CHECK_CONTAINS(w,
                   "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\na=inactive\r\n"
                   "m=video");
    CHECK_CONTAINS(w, "a=ssrc-group:FID 2222 3333\r\n");
    CHECK_CONTAINS(w, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n");
    sy_sdp *back = w ? parse_str(w, err, sizeof(err)) : NULL;
    CHECK(sy_sdp_equal(s, back));
    free(w);
    sy_sdp_info info;
    CHECK_EQ_INT(back ? sy_sdp_extract(back, &info, err, sizeof(err)) : -1, 0);
    if (info.n_media == 5) {
        const sy_sdp_media_info *a = &info.media[0], *v = &info.media[1], *r = &info.media[2],
                                *h = &info.media[3], *d = &info.media[4];
        CHECK_EQ_INT(a->direction, SY_SDP_SENDONLY);
        CHECK_EQ_INT(a->n_pts, 1);
        CHECK_EQ_INT(a->pts[0].codec, SY_CODEC_OPUS);
        CHECK_EQ_INT(a->ext[SY_SDP_EXT_AUDIO_LEVEL], 4);
        CHECK_EQ_INT(a->ssrc, 1111);
        CHECK_STR(a->cname, "sy");
        CHECK_STR(a->msid.track, "a0");
        CHECK(a->extmap_allow_mixed);
        CHECK(a->rtcp_rsize);
        CHECK_EQ_INT(v->n_pts, 2);
        CHECK_EQ_INT(v->pts[0].rtx_pt, 97);
        CHECK(v->pts[0].nack && v->pts[0].nack_pli && v->pts[0].ccm_fir && v->pts[0].goog_remb &&
              v->pts[0].transport_cc);
        CHECK_EQ_INT(v->ssrc, 2222);
        CHECK_EQ_INT(v->rtx_ssrc, 3333);
        CHECK_EQ_INT(v->ext[SY_SDP_EXT_DEPENDENCY_DESCRIPTOR], 16);
        CHECK(r->rejected);
        CHECK_EQ_INT(r->direction, SY_SDP_INACTIVE);
        CHECK_EQ_INT(h->pts[0].h264_packetization_mode, 1);
        CHECK_EQ_INT(h->pts[0].h264_profile, SY_H264_CONSTRAINED_BASELINE);
        CHECK_EQ_INT(h->ssrc, 0);
        CHECK_EQ_INT(d->sctp_port, 5000);
        CHECK_EQ_INT(d->max_message_size, 1048576);
    }
    sy_sdp_info_free(&info);
    sy_sdp_free(back);
    sy_sdp_free(s);

    /* bad entries */
    static const sy_sdp_extmap_spec bad_ext[] = {{0, SY_SDP_URI_MID}};
    static const struct {
        sy_sdp_offer_media m;
        const char *expect;
    } bad[] = {
        {{.type = SY_SDP_AUDIO, .codec = SY_CODEC_OPUS, .pt = 111}, "mid"},
        {{.type = SY_SDP_VIDEO, .mid = "0", .codec = SY_CODEC_OPUS, .pt = 111}, "not video"},
        {{.type = SY_SDP_VIDEO, .mid = "0", .codec = SY_CODEC_UNKNOWN, .pt = 96}, "not video"},
        {{.type = SY_SDP_VIDEO, .mid = "0", .codec = SY_CODEC_VP8, .pt = 96, .rtx_pt = 96},
         "payload"},
        {{.type = SY_SDP_VIDEO, .mid = "0", .codec = SY_CODEC_VP8, .pt = 200}, "payload"},
        {{.type = SY_SDP_VIDEO,
          .mid = "0",
          .codec = SY_CODEC_VP8,
          .pt = 96,
          .extmaps = bad_ext,
          .n_extmaps = 1},
         "extmap"},
        {{.type = SY_SDP_OTHER, .mid = "0"}, "unsupported"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sy_sdp_offer_opts b = {.media = &bad[i].m, .n_media = 1};
        CHECK(sy_sdp_generate_offer(&b, &s, err, sizeof(err)) < 0);
        CHECK(s == NULL);
        CHECK_CONTAINS(err, bad[i].expect);
    }
    sy_sdp_offer_media dup[] = {{.type = SY_SDP_APPLICATION, .mid = "x"},
                                {.type = SY_SDP_APPLICATION, .mid = "x"}};
    sy_sdp_offer_opts b = {.media = dup, .n_media = 2};
    CHECK(sy_sdp_generate_offer(&b, &s, err, sizeof(err)) < 0);
    CHECK_CONTAINS(err, "twice");
    /* an msid longer than RFC 8830 allows is refused, not cut */
    char longid[80];
    memset(longid, 'x', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    sy_sdp_offer_media lm = {.type = SY_SDP_AUDIO,
                             .mid = "0",
                             .direction = SY_SDP_SENDONLY,
                             .codec = SY_CODEC_OPUS,
                             .pt = 111,
                             .ssrc = 1,
                             .msid_stream = longid};
    b = (sy_sdp_offer_opts){.media = &lm, .n_media = 1};
    CHECK(sy_sdp_generate_offer(&b, &s, err, sizeof(err)) < 0);
    CHECK(s == NULL);
    CHECK(err[0] != '\0');
    /* an empty offer is a valid session */
    b = (sy_sdp_offer_opts){0};
    CHECK_EQ_INT(sy_sdp_generate_offer(&b, &s, err, sizeof(err)), 0);
    CHECK(s && s->n_media == 0);
    sy_sdp_free(s);
}

int main(void)
{
    test_chrome_answer();
    test_chrome_choices();
    test_rejections();
    test_aiortc_firefox_answers();
    test_offer();
    return CHECK_DONE();
}
