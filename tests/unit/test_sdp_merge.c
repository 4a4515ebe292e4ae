/*
 * Anonymise and merge (sdp_merge.h): anonymise drops exactly the ICE and DTLS lines;
 * merge turns a plugin's answer or offer into a complete SDP that passes the WebRTC
 * checks; bad merge options are errors with a message.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "protocol/sdp_build.h"
#include "protocol/sdp_extract.h"
#include "protocol/sdp_merge.h"
#include "sdp_fixtures.h"

static char err[512];

#define FP                                                                                         \
    "68:F7:00:F5:B0:2B:3D:C6:66:F4:5B:DE:AA:2C:CA:ED:CD:2B:51:57:41:0E:4D:EE:4A:F2:B3:4F:43:0A:"   \
    "07:34"

static const char *const cands[] = {
    "candidate:1 1 udp 2015363327 203.0.113.10 40123 typ host",
    "2 1 udp 2015363071 2001:db8::10 40124 typ host",
};

static sy_sdp_merge_opts base_opts(bool offer)
{
    return (sy_sdp_merge_opts){.is_offer = offer,
                               .ice_ufrag = "Zj7l",
                               .ice_pwd = "Vt0q9a8B7c6D5e4F3g2H1i",
                               .fingerprint = FP,
                               .candidates = cands,
                               .n_candidates = 2,
                               .address = "203.0.113.10"};
}

/* The lines of text, one a string, without the ICE/DTLS attributes when strip is set. */
static size_t text_lines(const char *text, bool strip, char out[][512], size_t max)
{
    static const char *const drop[] = {
        "a=ice-ufrag:", "a=ice-pwd:",          "a=ice-options:", "a=ice-lite",
        "a=candidate:", "a=end-of-candidates", "a=fingerprint:", "a=setup:"};
    size_t n = 0;
    const char *p = text;
    while (*p && n < max) {
        const char *e = strstr(p, "\r\n");
        size_t len = e ? (size_t)(e - p) : strlen(p);
        bool skip = false;
        for (size_t k = 0; strip && k < sizeof(drop) / sizeof(drop[0]); k++)
            skip |= strncmp(p, drop[k], strlen(drop[k])) == 0;
        if (!skip && len < 512) {
            memcpy(out[n], p, len);
            out[n++][len] = '\0';
        }
        p = e ? e + 2 : p + len;
    }
    return n;
}

static char lines_a[800][512], lines_b[800][512];

static void test_anonymize(void)
{
    for (size_t f = 0; f < N_SDP_FIXTURES; f++) {
        size_t len;
        char *text = fixture_read(sdp_fixtures[f], &len);
        sy_sdp *s = text ? parse_str(text, err, sizeof(err)) : NULL;
        CHECK(s != NULL);
        if (!s) {
            free(text);
            continue;
        }
        size_t all = text_lines(text, false, lines_a, 800);
        size_t kept = text_lines(text, true, lines_a, 800);
        size_t removed = sy_sdp_anonymize(s);
        CHECK_EQ_INT(removed, all - kept);
        CHECK(removed > 0);
        char *w = sy_sdp_write(s, NULL);
        size_t got = w ? text_lines(w, false, lines_b, 800) : 0;
        /* exactly the other lines, in the same order */
        CHECK_EQ_INT(got, kept);
        for (size_t i = 0; i < kept && i < got; i++)
            CHECK_STR(lines_b[i], lines_a[i]);
        CHECK_EQ_INT(sy_sdp_anonymize(s), 0);
        free(w);
        free(text);
        sy_sdp_free(s);
    }
    CHECK(sy_sdp_is_transport_attr("ICE-UFRAG"));
    CHECK(sy_sdp_is_transport_attr("setup"));
    CHECK(!sy_sdp_is_transport_attr("mid"));
    CHECK(!sy_sdp_is_transport_attr("rtcp-mux"));
    CHECK_EQ_INT(sy_sdp_anonymize(NULL), 0);
}

/* Plugin answer to Chromium's offer, merged as the core would before sending it. */
static void test_merge_answer(void)
{
    static const char *const exts[] = {SY_SDP_URI_MID, SY_SDP_URI_RID, SY_SDP_URI_TRANSPORT_CC};
    sy_sdp *offer = fixture_parse("chrome_offer.sdp"), *ans = NULL;
    CHECK(offer != NULL);
    if (!offer) return;
    sy_sdp_answer_opts ao = {.extmaps = exts, .n_extmaps = 3};
    ao.audio.reject = true; /* a rejected section stays out of BUNDLE and gets no ICE */
    CHECK_EQ_INT(sy_sdp_generate_answer(offer, &ao, &ans, err, sizeof(err)), 0);
    sy_sdp_free(offer);
    if (!ans) return;
    /* a plugin that left transport lines: merge replaces them */
    CHECK_EQ_INT(sy_sdp_add_attr(ans, &ans->media[1].sec, "setup", "passive"), 0);
    CHECK_EQ_INT(sy_sdp_add_attr(ans, &ans->session, "group", "BUNDLE 9"), 0);
    CHECK_EQ_INT(sy_sdp_add_attr(ans, &ans->session, "group", "LS 1 2"), 0);

    sy_sdp_merge_opts o = base_opts(false);
    CHECK_EQ_INT(sy_sdp_merge(ans, &o, err, sizeof(err)), 0);
    char *w = sy_sdp_write(ans, NULL);
    CHECK_CONTAINS(w, "o=- 3546004397921447048 1 IN IP4 203.0.113.10\r\n");
    CHECK_CONTAINS(w, "t=0 0\r\na=group:BUNDLE 1 2\r\n");
    CHECK_CONTAINS(w, "a=group:LS 1 2\r\n");
    CHECK_CONTAINS(w, "a=msid-semantic:WMS *\r\n");
    CHECK_CONTAINS(w, "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 203.0.113.10\r\na=mid:0\r\n"
                      "a=inactive\r\nm=video");
    CHECK_CONTAINS(w, "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 203.0.113.10\r\na=mid:1\r\n"
                      "a=ice-ufrag:Zj7l\r\na=ice-pwd:Vt0q9a8B7c6D5e4F3g2H1i\r\n"
                      "a=ice-options:trickle\r\na=fingerprint:sha-256 " FP "\r\n"
                      "a=setup:active\r\na=rtcp-mux\r\n");
    CHECK_CONTAINS(w, "a=candidate:1 1 udp 2015363327 203.0.113.10 40123 typ host\r\n"
                      "a=candidate:2 1 udp 2015363071 2001:db8::10 40124 typ host\r\n"
                      "a=end-of-candidates\r\nm=application");
    CHECK(w && !strstr(w, "a=setup:passive"));
    CHECK(w && !strstr(w, "BUNDLE 9"));

    /* what the client gets is a complete, valid answer */
    sy_sdp *back = w ? parse_str(w, err, sizeof(err)) : NULL;
    CHECK(sy_sdp_equal(ans, back));
    sy_sdp_info info;
    CHECK_EQ_INT(back ? sy_sdp_extract(back, &info, err, sizeof(err)) : -1, 0);
    CHECK_EQ_INT(sy_sdp_info_check(&info, false, err, sizeof(err)), 0);
    if (info.n_media == 3) {
        CHECK(!info.media[0].bundled);
        CHECK_EQ_INT(info.bundle_tag, 1);
        const sy_sdp_media_info *d = &info.media[2];
        CHECK_EQ_INT(d->setup, SY_SDP_SETUP_ACTIVE);
        CHECK_EQ_INT(d->n_candidates, 2);
        CHECK(d->end_of_candidates);
        CHECK(d->ice_trickle);
        CHECK(!d->rtcp_mux); /* data channels: no RTP */
        CHECK_EQ_INT(info.media[0].n_candidates, 0);
    }
    sy_sdp_info_free(&info);
    sy_sdp_free(back);
    free(w);
    sy_sdp_free(ans);
}

static void test_merge_offer(void)
{
    sy_sdp_offer_media media[] = {
        {.type = SY_SDP_AUDIO,
         .mid = "a",
         .direction = SY_SDP_SENDONLY,
         .codec = SY_CODEC_OPUS,
         .pt = 111,
         .ssrc = 1,
         .cname = "sy"},
        {.type = SY_SDP_VIDEO,
         .mid = "v",
         .direction = SY_SDP_SENDONLY,
         .codec = SY_CODEC_VP8,
         .pt = 96,
         .rtx_pt = 97,
         .ssrc = 2,
         .rtx_ssrc = 3,
         .cname = "sy"},
    };
    sy_sdp_offer_opts oo = {.sess_id = 5, .media = media, .n_media = 2};
    sy_sdp *s = NULL;
    CHECK_EQ_INT(sy_sdp_generate_offer(&oo, &s, err, sizeof(err)), 0);
    if (!s) return;
    sy_sdp_merge_opts o = base_opts(true);
    o.ice_lite = true;
    o.trickle_more = true;
    o.address = "2001:db8::10";
    o.msid_semantic = " WMS janus";
    CHECK_EQ_INT(sy_sdp_merge(s, &o, err, sizeof(err)), 0);
    char *w = sy_sdp_write(s, NULL);
    CHECK_CONTAINS(w, "o=- 5 1 IN IP6 2001:db8::10\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a v\r\n"
                      "a=ice-lite\r\na=msid-semantic: WMS janus\r\n");
    CHECK_CONTAINS(w, "c=IN IP6 2001:db8::10\r\n");
    CHECK_CONTAINS(w, "a=setup:actpass\r\n");
    CHECK(w && !strstr(w, "end-of-candidates"));
    sy_sdp *back = w ? parse_str(w, err, sizeof(err)) : NULL;
    sy_sdp_info info;
    CHECK_EQ_INT(back ? sy_sdp_extract(back, &info, err, sizeof(err)) : -1, 0);
    CHECK_EQ_INT(sy_sdp_info_check(&info, true, err, sizeof(err)), 0);
    CHECK(info.ice_lite);
    CHECK_EQ_INT(info.n_media ? info.media[0].n_candidates : 0, 2);
    sy_sdp_info_free(&info);
    sy_sdp_free(back);
    free(w);

    /* merging again (renegotiation) keeps one set of transport lines */
    o.answer_setup = SY_SDP_SETUP_PASSIVE;
    o.is_offer = false;
    o.ice_lite = false;
    o.address = NULL;
    CHECK_EQ_INT(sy_sdp_merge(s, &o, err, sizeof(err)), 0);
    size_t setups = 0;
    for (size_t i = 0; sy_sdp_find_attr(&s->media[0].sec, "setup", &i) >= 0; i++)
        setups++;
    CHECK_EQ_INT(setups, 1);
    size_t n = 0;
    for (size_t i = 0; sy_sdp_find_attr(&s->media[1].sec, "ice-ufrag", &i) >= 0; i++)
        n++;
    CHECK_EQ_INT(n, 1);
    CHECK_STR(sy_sdp_attr_value(&s->media[1].sec, "setup"), "passive");
    CHECK(!sy_sdp_has_attr(&s->session, "ice-lite"));
    CHECK_STR(sy_sdp_line_value(&s->media[0].sec, 'c'), "IN IP6 2001:db8::10"); /* kept */
    sy_sdp_free(s);
}

/* A rejected section of an offer keeps ICE credentials and the fingerprint (clients such
 * as aiortc refuse an offer section without them) but gets no candidates. */
static void test_merge_offer_rejected_section(void)
{
    static const sy_sdp_extmap_spec ext[] = {{1, SY_SDP_URI_MID}};
    sy_sdp_offer_media media[2] = {
        {.type = SY_SDP_AUDIO, .mid = "0", .direction = SY_SDP_SENDONLY, .codec = SY_CODEC_OPUS,
         .pt = 111, .extmaps = ext, .n_extmaps = 1},
        {.type = SY_SDP_VIDEO, .mid = "1", .rejected = true, .direction = SY_SDP_INACTIVE,
         .codec = SY_CODEC_VP8, .pt = 96},
    };
    sy_sdp_offer_opts oo = {.sess_id = 7, .sess_version = 2, .media = media, .n_media = 2};
    sy_sdp *offer = NULL;
    CHECK_EQ_INT(sy_sdp_generate_offer(&oo, &offer, err, sizeof(err)), 0);
    if (!offer) return;
    sy_sdp_merge_opts o = base_opts(true);
    CHECK_EQ_INT(sy_sdp_merge(offer, &o, err, sizeof(err)), 0);
    char *w = sy_sdp_write(offer, NULL);
    const char *video = w ? strstr(w, "m=video 0 ") : NULL;
    CHECK(video != NULL);
    CHECK_CONTAINS(video, "a=ice-ufrag:Zj7l\r\n");
    CHECK_CONTAINS(video, "a=fingerprint:sha-256 ");
    CHECK_CONTAINS(video, "a=setup:actpass\r\n");
    CHECK(video && !strstr(video, "a=candidate:"));
    CHECK(video && !strstr(video, "a=end-of-candidates"));
    CHECK_CONTAINS(w, "a=group:BUNDLE 0\r\n");
    free(w);
    sy_sdp_free(offer);
}

static void test_merge_errors(void)
{
    static const char *const bad_cand[] = {"candidate:1 1 udp 1 1.2.3.4 5 typ bogus"};
    struct {
        sy_sdp_merge_opts o;
        const char *expect;
    } cases[] = {
        {base_opts(false), NULL},          {base_opts(false), "ice-ufrag"},
        {base_opts(false), "ice-pwd"},     {base_opts(false), "fingerprint"},
        {base_opts(false), "fingerprint"}, {base_opts(false), "candidate 0"},
        {base_opts(false), "address"},     {base_opts(false), "address"},
    };
    cases[1].o.ice_ufrag = "ab";
    cases[2].o.ice_pwd = NULL;
    cases[3].o.fingerprint = NULL;
    cases[4].o.fingerprint = "AB:CD";
    cases[5].o.candidates = bad_cand;
    cases[5].o.n_candidates = 1;
    cases[6].o.address = "1.2.3.4\r\na=evil";
    cases[7].o.address = "";
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sy_sdp *s = fixture_parse("janus_offer.sdp");
        CHECK(s != NULL);
        if (!s) continue;
        err[0] = '\0';
        int rc = sy_sdp_merge(s, &cases[i].o, err, sizeof(err));
        if (cases[i].expect) {
            CHECK(rc < 0);
            CHECK_CONTAINS(err, cases[i].expect);
        } else {
            CHECK_EQ_INT(rc, 0);
        }
        sy_sdp_free(s);
    }
    /* an accepted m-section without a mid cannot be bundled */
    sy_sdp *s = parse_str("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                          "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n",
                          err, sizeof(err));
    sy_sdp_merge_opts o = base_opts(true);
    CHECK(s && sy_sdp_merge(s, &o, err, sizeof(err)) < 0);
    CHECK_CONTAINS(err, "mid");
    sy_sdp_free(s);
    CHECK(sy_sdp_merge(NULL, &o, err, sizeof(err)) < 0);
}

int main(void)
{
    test_anonymize();
    test_merge_answer();
    test_merge_offer();
    test_merge_offer_rejected_section();
    test_merge_errors();
    return CHECK_DONE();
}
