/*
 * SDP typed accessors (sdp_attr.h) and the codec registry (sdp_codec.h): valid values
 * from what the clients send, and malformed ones (each an error with a message).
 */
#include <string.h>

#include "check.h"
#include "protocol/sdp_attr.h"
#include "protocol/sdp_codec.h"
#include "sdp_fixtures.h"

#define E (err[0] = '\0', err), sizeof(err)

static char err[256];

static void test_rtpmap_fmtp_fb(void)
{
    sy_sdp_rtpmap r;
    CHECK_EQ_INT(sy_sdp_rtpmap_parse("111 opus/48000/2", &r, E), 0);
    CHECK_EQ_INT(r.pt, 111);
    CHECK_STR(r.encoding, "opus");
    CHECK_EQ_INT(r.clock_rate, 48000);
    CHECK_EQ_INT(r.channels, 2);
    CHECK_EQ_INT(sy_sdp_rtpmap_parse("96 VP8/90000", &r, E), 0);
    CHECK_STR(r.encoding, "VP8");
    CHECK_EQ_INT(r.channels, 0);
    CHECK_EQ_INT(sy_sdp_rtpmap_parse("9 G722/8000/1", &r, E), 0);
    CHECK_EQ_INT(r.channels, 1);

    static const char *const bad_rtpmap[] = {
        "",
        "96",
        "96 VP8",
        "128 VP8/90000",
        "-1 VP8/90000",
        "96 /90000",
        "96 VP8/",
        "96 VP8/0",
        "96 VP8/x",
        "96 VP8/90000/0",
        "96 VP8/90000/256",
        "96 VP8/90000/2/3",
        "96 VP8/99999999999",
        "96 VP8/90000 extra",
        "96 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/90000",
        "x VP8/90000",
    };
    for (size_t i = 0; i < sizeof(bad_rtpmap) / sizeof(bad_rtpmap[0]); i++) {
        CHECK(sy_sdp_rtpmap_parse(bad_rtpmap[i], &r, E) < 0);
        CHECK_CONTAINS(err, "rtpmap");
    }

    sy_sdp_fmtp f;
    CHECK_EQ_INT(sy_sdp_fmtp_parse("111 minptime=10;useinbandfec=1", &f, E), 0);
    CHECK_EQ_INT(f.pt, 111);
    CHECK_STR(f.params, "minptime=10;useinbandfec=1");
    CHECK(sy_sdp_fmtp_parse("x minptime=10", &f, E) < 0);
    CHECK_CONTAINS(err, "fmtp");
    CHECK(sy_sdp_fmtp_parse("200 a=b", &f, E) < 0);
    CHECK(sy_sdp_fmtp_parse("", &f, E) < 0);
    CHECK_EQ_INT(sy_sdp_fmtp_parse("101 0-15", &f, E), 0);
    CHECK_STR(f.params, "0-15");

    const char *h264 = "level-asymmetry-allowed=1; packetization-mode=1;profile-level-id=42e01f";
    char v[16];
    uint32_t u = 0;
    CHECK_EQ_INT(sy_sdp_fmtp_get(h264, "profile-level-id", v, sizeof(v)), 1);
    CHECK_STR(v, "42e01f");
    CHECK_EQ_INT(sy_sdp_fmtp_get(h264, "PACKETIZATION-MODE", v, sizeof(v)), 1);
    CHECK_STR(v, "1");
    CHECK_EQ_INT(sy_sdp_fmtp_get(h264, "mode", v, sizeof(v)), 0);
    CHECK_EQ_INT(sy_sdp_fmtp_get(h264, "profile-level-id", v, 4), -1);
    CHECK_EQ_INT(sy_sdp_fmtp_get(h264, "profile-level-id", NULL, 0), 1);
    CHECK_EQ_INT(sy_sdp_fmtp_get_uint("apt=96", "apt", 127, &u), 1);
    CHECK_EQ_INT(u, 96);
    CHECK_EQ_INT(sy_sdp_fmtp_get_uint("apt=200", "apt", 127, &u), -1);
    CHECK_EQ_INT(sy_sdp_fmtp_get_uint("apt=", "apt", 127, &u), -1);
    CHECK_EQ_INT(sy_sdp_fmtp_get_uint("apt=x", "apt", 127, &u), -1);
    CHECK_EQ_INT(sy_sdp_fmtp_get_uint("111/111", "apt", 127, &u), 0);
    CHECK_EQ_INT(sy_sdp_fmtp_get_uint(";;=;apt = 97 ;", "apt", 127, &u), 1);
    CHECK_EQ_INT(u, 97);

    sy_sdp_rtcp_fb fb;
    CHECK_EQ_INT(sy_sdp_rtcp_fb_parse("96 nack pli", &fb, E), 0);
    CHECK_EQ_INT(fb.pt, 96);
    CHECK_STR(fb.type, "nack");
    CHECK_STR(fb.subtype, "pli");
    CHECK_EQ_INT(sy_sdp_rtcp_fb_parse("* transport-cc", &fb, E), 0);
    CHECK_EQ_INT(fb.pt, -1);
    CHECK_STR(fb.subtype, "");
    CHECK_EQ_INT(sy_sdp_rtcp_fb_parse("96 ccm fir extra", &fb, E), 0);
    CHECK_STR(fb.subtype, "fir");
    CHECK(sy_sdp_rtcp_fb_parse("96", &fb, E) < 0);
    CHECK_CONTAINS(err, "rtcp-fb");
    CHECK(sy_sdp_rtcp_fb_parse("", &fb, E) < 0);
    CHECK(sy_sdp_rtcp_fb_parse("** nack", &fb, E) < 0);
    CHECK(sy_sdp_rtcp_fb_parse("300 nack", &fb, E) < 0);
}

static void test_extmap(void)
{
    sy_sdp_extmap x;
    CHECK_EQ_INT(sy_sdp_extmap_parse("3 " SY_SDP_URI_TRANSPORT_CC, &x, E), 0);
    CHECK_EQ_INT(x.id, 3);
    CHECK(!x.has_direction);
    CHECK_STR(x.uri, SY_SDP_URI_TRANSPORT_CC);
    CHECK(x.attributes == NULL);
    CHECK_EQ_INT(sy_sdp_ext_from_uri(x.uri), SY_SDP_EXT_TRANSPORT_CC);
    CHECK_EQ_INT(sy_sdp_extmap_parse("6/recvonly " SY_SDP_URI_PLAYOUT_DELAY, &x, E), 0);
    CHECK(x.has_direction);
    CHECK_EQ_INT(x.direction, SY_SDP_RECVONLY);
    CHECK_EQ_INT(sy_sdp_extmap_parse("16 urn:x attr1 attr2", &x, E), 0);
    CHECK_EQ_INT(x.id, 16);
    CHECK_STR(x.attributes, "attr1 attr2");
    CHECK_EQ_INT(sy_sdp_extmap_parse("255 urn:x", &x, E), 0);
    static const char *const bad[] = {"",  "0 urn:x",          "256 urn:x", "4096 urn:x", "x urn:x",
                                      "3", "3/sideways urn:x", "3/ urn:x",  "-1 urn:x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(sy_sdp_extmap_parse(bad[i], &x, E) < 0);
        CHECK_CONTAINS(err, "extmap");
    }
    char longuri[400] = "1 urn:";
    memset(longuri + 6, 'a', 300);
    CHECK(sy_sdp_extmap_parse(longuri, &x, E) < 0);
    CHECK_CONTAINS(err, "too long");
    for (int k = 1; k < SY_SDP_EXT_COUNT_; k++)
        CHECK_EQ_INT(sy_sdp_ext_from_uri(sy_sdp_ext_uri((sy_sdp_ext)k)), k);
    CHECK_EQ_INT(sy_sdp_ext_from_uri("urn:ietf:params:rtp-hdrext:toffset"), SY_SDP_EXT_UNKNOWN);
    CHECK(sy_sdp_ext_uri(SY_SDP_EXT_UNKNOWN) == NULL);
}

static void test_dtls_ice(void)
{
    sy_sdp_fingerprint f;
    const char *fp = "sha-256 A5:4D:CA:18:25:30:BB:1D:6D:13:2C:DE:D6:23:7B:2E:D9:1E:3F:72:1F:CB:"
                     "19:71:17:44:94:D6:49:3C:9D:5C";
    CHECK_EQ_INT(sy_sdp_fingerprint_parse(fp, &f, E), 0);
    CHECK_STR(f.hash, "sha-256");
    CHECK_EQ_INT(strlen(f.value), 95);
    CHECK_EQ_INT(sy_sdp_fingerprint_parse("SHA-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
                                          "00:11:22:33",
                                          &f, E),
                 0);
    CHECK_STR(f.hash, "sha-1");
    static const char *const bad[] = {
        "",
        "sha-256",
        "sha-256 A5:4D",
        "sha-257 A5:4D",
        "sha-1 00:11:22:33:44:55:66:77:88:99:aa:"
        "bb:cc:dd:ee:ff:00:11:22:3G",
        "sha-1 00-11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:"
        "11:22:33",
        "sha-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33 extra",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(sy_sdp_fingerprint_parse(bad[i], &f, E) < 0);
        CHECK_CONTAINS(err, "fingerprint");
    }
    CHECK(sy_sdp_fingerprint_strength("sha-512") > sy_sdp_fingerprint_strength("sha-256"));
    CHECK(sy_sdp_fingerprint_strength("sha-256") > sy_sdp_fingerprint_strength("sha-1"));
    CHECK_EQ_INT(sy_sdp_fingerprint_strength("sha-1"), 1);
    CHECK_EQ_INT(sy_sdp_fingerprint_strength("md5"), 0);
    CHECK_EQ_INT(sy_sdp_fingerprint_strength("md2"), 0);
    CHECK_EQ_INT(sy_sdp_fingerprint_strength("whirlpool"), 0);

    sy_sdp_setup s;
    CHECK_EQ_INT(sy_sdp_setup_parse("actpass", &s, E), 0);
    CHECK_EQ_INT(s, SY_SDP_SETUP_ACTPASS);
    CHECK_EQ_INT(sy_sdp_setup_parse("active", &s, E), 0);
    CHECK_EQ_INT(s, SY_SDP_SETUP_ACTIVE);
    CHECK_EQ_INT(sy_sdp_setup_parse("passive", &s, E), 0);
    CHECK_EQ_INT(sy_sdp_setup_parse("holdconn", &s, E), 0);
    CHECK(sy_sdp_setup_parse("both", &s, E) < 0);
    CHECK_CONTAINS(err, "setup");
    CHECK(sy_sdp_setup_parse("", &s, E) < 0);
    CHECK_STR(sy_sdp_setup_name(SY_SDP_SETUP_PASSIVE), "passive");

    CHECK_EQ_INT(sy_sdp_ice_ufrag_check("kR3u", E), 0);
    CHECK(sy_sdp_ice_ufrag_check("abc", E) < 0);
    CHECK_CONTAINS(err, "ice-ufrag");
    CHECK(sy_sdp_ice_ufrag_check("ab d", E) < 0);
    CHECK(sy_sdp_ice_ufrag_check(NULL, E) < 0);
    CHECK_EQ_INT(sy_sdp_ice_pwd_check("Sj2Ev0c9G6Xq1u2NmQ8oLp4w", E), 0);
    CHECK(sy_sdp_ice_pwd_check("short", E) < 0);
    CHECK_CONTAINS(err, "ice-pwd");
    char longpwd[300];
    memset(longpwd, 'a', sizeof(longpwd) - 1);
    longpwd[sizeof(longpwd) - 1] = '\0';
    CHECK(sy_sdp_ice_pwd_check(longpwd, E) < 0);

    sy_sdp_candidate c;
    CHECK_EQ_INT(sy_sdp_candidate_parse("3471623853 1 udp 1686052607 203.0.113.7 46243 typ srflx "
                                        "raddr 192.168.1.20 rport 46243 generation 0 network-id 1 "
                                        "network-cost 10",
                                        &c, E),
                 0);
    CHECK_STR(c.foundation, "3471623853");
    CHECK_EQ_INT(c.component, 1);
    CHECK_STR(c.transport, "udp");
    CHECK_EQ_INT(c.priority, 1686052607u);
    CHECK_STR(c.address, "203.0.113.7");
    CHECK_EQ_INT(c.port, 46243);
    CHECK_EQ_INT(c.type, SY_SDP_CAND_SRFLX);
    CHECK(c.has_related);
    CHECK_STR(c.raddr, "192.168.1.20");
    CHECK_EQ_INT(c.rport, 46243);
    CHECK_EQ_INT(sy_sdp_candidate_parse("candidate:1 1 TCP 1518280447 192.168.1.20 9 typ host "
                                        "tcptype active",
                                        &c, E),
                 0);
    CHECK_STR(c.transport, "tcp");
    CHECK_STR(c.tcptype, "active");
    CHECK(!c.has_related);
    CHECK_EQ_INT(
        sy_sdp_candidate_parse("1 1 udp 2113937151 7c3f2a1e-4b5d-4e6f-8a9b-0c1d2e3f4a5b.local "
                               "54321 typ host",
                               &c, E),
        0);
    CHECK_STR(c.address, "7c3f2a1e-4b5d-4e6f-8a9b-0c1d2e3f4a5b.local");
    CHECK_EQ_INT(
        sy_sdp_candidate_parse("1 1 udp 1 2001:db8::1 5000 typ relay raddr 0.0.0.0 rport 0", &c, E),
        0);
    CHECK_EQ_INT(c.type, SY_SDP_CAND_RELAY);
    CHECK_STR(sy_sdp_cand_type_name(SY_SDP_CAND_PRFLX), "prflx");
    /* CVE-2020-13901 style: long fields must not overflow anything */
    char longc[2048];
    snprintf(longc, sizeof(longc), "%0300d 1 udp 1 1.2.3.4 5 typ host", 1);
    CHECK(sy_sdp_candidate_parse(longc, &c, E) < 0);
    CHECK_CONTAINS(err, "foundation");
    char addr[400];
    memset(addr, 'a', 300);
    addr[300] = '\0';
    snprintf(longc, sizeof(longc), "1 1 udp 1 %s 5 typ host", addr);
    CHECK(sy_sdp_candidate_parse(longc, &c, E) < 0);
    CHECK_CONTAINS(err, "address");
    static const char *const bad_c[] = {
        "",
        "1 1 udp 1 1.2.3.4 5 typ",
        "1 0 udp 1 1.2.3.4 5 typ host",
        "1 257 udp 1 1.2.3.4 5 typ host",
        "1 1 udp 4294967296 1.2.3.4 5 typ host",
        "1 1 udp 1 1.2.3.4 65536 typ host",
        "1 1 udp 1 1.2.3.4 5 type host",
        "1 1 udp 1 1.2.3.4 5 typ bogus",
        "1 1 udp 1 1.2/3.4 5 typ host",
        "1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4",
        "1 1 udp 1 1.2.3.4 5 typ srflx rport 5",
        "1 1 udp 1 1.2.3.4 5 typ host generation",
        "1 1 tcp 1 1.2.3.4 5 typ host tcptype sideways",
        "f$ 1 udp 1 1.2.3.4 5 typ host",
        "1 1 udpudpudp 1 1.2.3.4 5 typ host",
    };
    for (size_t i = 0; i < sizeof(bad_c) / sizeof(bad_c[0]); i++) {
        CHECK(sy_sdp_candidate_parse(bad_c[i], &c, E) < 0);
        CHECK_CONTAINS(err, "candidate");
    }
}

static void test_streams(void)
{
    sy_sdp_group g;
    CHECK_EQ_INT(sy_sdp_group_parse("BUNDLE 0 1 2", &g, E), 0);
    CHECK_STR(g.semantics, "BUNDLE");
    CHECK_EQ_INT(g.n_ids, 3);
    CHECK(sy_sdp_group_has(&g, "2"));
    CHECK(!sy_sdp_group_has(&g, "3"));
    CHECK(!sy_sdp_group_has(&g, "")); /* a prefix is not a match */
    CHECK_EQ_INT(sy_sdp_group_parse("BUNDLE", &g, E), 0);
    CHECK_EQ_INT(g.n_ids, 0);
    CHECK(sy_sdp_group_parse("", &g, E) < 0);
    CHECK_CONTAINS(err, "group");
    char many[2048] = "BUNDLE";
    for (int i = 0; i <= SY_SDP_MAX_MEDIA; i++)
        sprintf(many + strlen(many), " %d", i);
    CHECK(sy_sdp_group_parse(many, &g, E) < 0);
    CHECK_CONTAINS(err, "too many");

    CHECK_EQ_INT(sy_sdp_mid_check("0", E), 0);
    CHECK_EQ_INT(sy_sdp_mid_check("sdparta_0", E), 0);
    CHECK(sy_sdp_mid_check("", E) < 0);
    CHECK_CONTAINS(err, "mid");
    CHECK(sy_sdp_mid_check(NULL, E) < 0);
    CHECK(sy_sdp_mid_check("a b", E) < 0);
    CHECK(sy_sdp_mid_check("0123456789012345678901234567890123", E) < 0); /* CVE-2020-13898 */
    CHECK_CONTAINS(err, "longer");

    sy_sdp_msid m;
    CHECK_EQ_INT(sy_sdp_msid_parse("stream track", &m, E), 0);
    CHECK_STR(m.stream, "stream");
    CHECK_STR(m.track, "track");
    CHECK_EQ_INT(sy_sdp_msid_parse("- {e1d2c3b4-a5f6-4e7d-8c9b-0a1f2e3d4c5b}", &m, E), 0);
    CHECK_STR(m.stream, "-");
    CHECK_EQ_INT(sy_sdp_msid_parse("only", &m, E), 0);
    CHECK_STR(m.track, "");
    CHECK(sy_sdp_msid_parse("", &m, E) < 0);
    CHECK_CONTAINS(err, "msid");
    CHECK(sy_sdp_msid_parse("a b c", &m, E) < 0);
    char longid[100];
    memset(longid, 'x', 65);
    longid[65] = '\0';
    CHECK(sy_sdp_msid_parse(longid, &m, E) < 0);

    sy_sdp_ssrc s;
    CHECK_EQ_INT(sy_sdp_ssrc_parse("3735928559 cname:Zq3q8vL0s9kq3v1B", &s, E), 0);
    CHECK_EQ_INT(s.ssrc, 3735928559u);
    CHECK_STR(s.attribute, "cname");
    CHECK_STR(s.value, "Zq3q8vL0s9kq3v1B");
    CHECK_EQ_INT(sy_sdp_ssrc_parse("1 msid:a b", &s, E), 0);
    CHECK_STR(s.value, "a b");
    CHECK_EQ_INT(sy_sdp_ssrc_parse("1 x-flag", &s, E), 0);
    CHECK(s.value == NULL);
    static const char *const bad_s[] = {"", "1", "x cname:a", "4294967296 cname:a", "1 :a"};
    for (size_t i = 0; i < sizeof(bad_s) / sizeof(bad_s[0]); i++) {
        CHECK(sy_sdp_ssrc_parse(bad_s[i], &s, E) < 0);
        CHECK_CONTAINS(err, "ssrc");
    }

    sy_sdp_ssrc_group sg;
    CHECK_EQ_INT(sy_sdp_ssrc_group_parse("FID 1 2", &sg, E), 0);
    CHECK_STR(sg.semantics, "FID");
    CHECK_EQ_INT(sg.n, 2);
    CHECK_EQ_INT(sg.ssrcs[1], 2);
    CHECK_EQ_INT(sy_sdp_ssrc_group_parse("SIM 1 2 3", &sg, E), 0);
    CHECK_EQ_INT(sg.n, 3);
    CHECK(sy_sdp_ssrc_group_parse("FID", &sg, E) < 0);
    CHECK_CONTAINS(err, "ssrc-group");
    CHECK(sy_sdp_ssrc_group_parse("FID 1 x", &sg, E) < 0);
    CHECK(sy_sdp_ssrc_group_parse("SIM 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", &sg, E) < 0);

    sy_sdp_sctpmap sm;
    CHECK_EQ_INT(sy_sdp_sctpmap_parse("5000 webrtc-datachannel 1024", &sm, E), 0);
    CHECK_EQ_INT(sm.number, 5000);
    CHECK_STR(sm.app, "webrtc-datachannel");
    CHECK_EQ_INT(sm.streams, 1024);
    CHECK(sy_sdp_sctpmap_parse("70000 webrtc-datachannel", &sm, E) < 0);
    CHECK_CONTAINS(err, "sctpmap");
    CHECK(sy_sdp_sctpmap_parse("5000", &sm, E) < 0);
    CHECK(sy_sdp_sctpmap_parse("5000 x y", &sm, E) < 0);

    uint64_t n;
    CHECK_EQ_INT(sy_sdp_uint_parse("262144", UINT32_MAX, &n, E), 0);
    CHECK_EQ_INT(n, 262144);
    CHECK(sy_sdp_uint_parse("", 10, &n, E) < 0);
    CHECK(sy_sdp_uint_parse("11", 10, &n, E) < 0);
    CHECK(sy_sdp_uint_parse(" 1", 10, &n, E) < 0);
    CHECK(sy_sdp_uint_parse("18446744073709551616", UINT64_MAX, &n, E) < 0);
    CHECK_CONTAINS(err, "number");

    sy_sdp_connection c;
    CHECK_EQ_INT(sy_sdp_connection_parse("IN IP4 0.0.0.0", &c, E), 0);
    CHECK_STR(c.address, "0.0.0.0");
    CHECK_EQ_INT(sy_sdp_connection_parse("IN IP4 224.2.1.1/127/3", &c, E), 0);
    CHECK_STR(c.address, "224.2.1.1");
    CHECK_EQ_INT(sy_sdp_connection_parse("IN IP6 ::1", &c, E), 0);
    CHECK_STR(c.addrtype, "IP6");
    CHECK(sy_sdp_connection_parse("IN IP4", &c, E) < 0);
    CHECK(sy_sdp_connection_parse("IN IP4 1.2.3.4 x", &c, E) < 0);
    CHECK(sy_sdp_connection_parse("INTERNETWORK IP4 1.2.3.4", &c, E) < 0);
    sy_sdp_origin o;
    CHECK_EQ_INT(sy_sdp_origin_parse("mozilla...THIS_IS_SDPARTA-128.0 6451429306839398405 0 IN IP4 "
                                     "0.0.0.0",
                                     &o, E),
                 0);
    CHECK_STR(o.username, "mozilla...THIS_IS_SDPARTA-128.0");
    CHECK_EQ_INT(o.sess_id, 6451429306839398405ull);
    CHECK_EQ_INT(o.sess_version, 0);
    CHECK_EQ_INT(sy_sdp_origin_parse("- 18446744073709551615 1 IN IP4 1.1.1.1", &o, E), 0);
    CHECK(sy_sdp_origin_parse("- 18446744073709551616 1 IN IP4 1.1.1.1", &o, E) < 0);
}

static void test_simulcast(void)
{
    sy_sdp_rid r;
    CHECK_EQ_INT(sy_sdp_rid_parse("h send", &r, E), 0);
    CHECK_STR(r.id, "h");
    CHECK(r.send);
    CHECK(r.params == NULL);
    CHECK_EQ_INT(sy_sdp_rid_parse("q_1 recv max-width=320;max-height=180", &r, E), 0);
    CHECK(!r.send);
    CHECK_STR(r.params, "max-width=320;max-height=180");
    static const char *const bad_r[] = {"", "h", "h both", "h.1 send",
                                        "0123456789012345678901234567890123 send"};
    for (size_t i = 0; i < sizeof(bad_r) / sizeof(bad_r[0]); i++) {
        CHECK(sy_sdp_rid_parse(bad_r[i], &r, E) < 0);
        CHECK_CONTAINS(err, "rid");
    }

    sy_sdp_simulcast s;
    CHECK_EQ_INT(sy_sdp_simulcast_parse("send h;m;l", &s, E), 0);
    CHECK_EQ_INT(s.send.n, 3);
    CHECK_EQ_INT(s.recv.n, 0);
    CHECK_STR(s.send.streams[0].alts[0].rid, "h");
    CHECK_STR(s.send.streams[2].alts[0].rid, "l");
    CHECK_EQ_INT(sy_sdp_simulcast_parse("recv 1,2;~3 send a", &s, E), 0);
    CHECK_EQ_INT(s.recv.n, 2);
    CHECK_EQ_INT(s.recv.streams[0].n_alts, 2);
    CHECK_STR(s.recv.streams[0].alts[1].rid, "2");
    CHECK(s.recv.streams[1].alts[0].paused);
    CHECK_STR(s.recv.streams[1].alts[0].rid, "3");
    CHECK_EQ_INT(s.send.n, 1);
    CHECK_EQ_INT(sy_sdp_simulcast_parse(" send rid=h;m;l", &s, E), 0); /* old draft form */
    CHECK_EQ_INT(s.send.n, 3);
    CHECK_STR(s.send.streams[0].alts[0].rid, "h");
    static const char *const bad[] = {
        "",
        "send",
        "send h;;l",
        "send h;m;",
        "send ,h",
        "send ~",
        "both h",
        "send h send m",
        "send a;b;c;d;e;f;g;h;i",
        "send a,b,c,d,e",
        "send h@",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(sy_sdp_simulcast_parse(bad[i], &s, E) < 0);
        CHECK_CONTAINS(err, "simulcast");
    }
}

static void test_direction(void)
{
    sy_sdp_direction d;
    CHECK_EQ_INT(sy_sdp_direction_from_name("recvonly", &d), 0);
    CHECK_EQ_INT(d, SY_SDP_RECVONLY);
    CHECK(sy_sdp_direction_from_name("sideways", &d) < 0);
    CHECK_EQ_INT(sy_sdp_direction_reverse(SY_SDP_SENDONLY), SY_SDP_RECVONLY);
    CHECK_EQ_INT(sy_sdp_direction_reverse(SY_SDP_RECVONLY), SY_SDP_SENDONLY);
    CHECK_EQ_INT(sy_sdp_direction_reverse(SY_SDP_SENDRECV), SY_SDP_SENDRECV);
    CHECK_EQ_INT(sy_sdp_direction_reverse(SY_SDP_INACTIVE), SY_SDP_INACTIVE);
    CHECK_EQ_INT(sy_sdp_direction_make(true, false), SY_SDP_SENDONLY);
    CHECK_EQ_INT(sy_sdp_direction_make(false, false), SY_SDP_INACTIVE);
    CHECK(sy_sdp_direction_sends(SY_SDP_SENDRECV) && !sy_sdp_direction_sends(SY_SDP_RECVONLY));
    CHECK_STR(sy_sdp_direction_name(SY_SDP_INACTIVE), "inactive");

    char e2[128];
    sy_sdp *s = parse_str("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=recvonly\r\n"
                          "m=audio 9 RTP/AVP 0\r\na=mid:a\r\nm=video 9 RTP/AVP 96\r\na=sendonly\r\n"
                          "m=video 9 RTP/AVP 96\r\na=sendonly\r\na=inactive\r\n",
                          e2, sizeof(e2));
    CHECK(s != NULL);
    if (!s) return;
    CHECK_EQ_INT(sy_sdp_media_direction(s, &s->media[0], &d, E), 0);
    CHECK_EQ_INT(d, SY_SDP_RECVONLY); /* the session's */
    CHECK_EQ_INT(sy_sdp_media_direction(s, &s->media[1], &d, E), 0);
    CHECK_EQ_INT(d, SY_SDP_SENDONLY);
    CHECK(sy_sdp_media_direction(s, &s->media[2], &d, E) < 0);
    CHECK_CONTAINS(err, "more than one direction");
    CHECK_EQ_INT(sy_sdp_media_set_direction(s, &s->media[2], SY_SDP_SENDRECV), 0);
    CHECK_EQ_INT(sy_sdp_media_direction(s, &s->media[2], &d, E), 0);
    CHECK_EQ_INT(d, SY_SDP_SENDRECV);
    CHECK_EQ_INT(sy_sdp_media_set_direction(s, &s->media[0], SY_SDP_INACTIVE), 0);
    CHECK_STR(s->media[0].sec.lines[1].name, "inactive"); /* right after a=mid */
    sy_sdp_free(s);
}

static void test_codecs(void)
{
    CHECK_EQ_INT(sy_codec_from_name("opus"), SY_CODEC_OPUS);
    CHECK_EQ_INT(sy_codec_from_name("OPUS"), SY_CODEC_OPUS);
    CHECK_EQ_INT(sy_codec_from_name("vp8"), SY_CODEC_VP8);
    CHECK_EQ_INT(sy_codec_from_name("H264"), SY_CODEC_H264);
    CHECK_EQ_INT(sy_codec_from_name("AV1X"), SY_CODEC_AV1);
    CHECK_EQ_INT(sy_codec_from_name("rtx"), SY_CODEC_RTX);
    CHECK_EQ_INT(sy_codec_from_name("ulpfec"), SY_CODEC_ULPFEC);
    CHECK_EQ_INT(sy_codec_from_name("telephone-event"), SY_CODEC_UNKNOWN);
    CHECK_EQ_INT(sy_codec_from_name(""), SY_CODEC_UNKNOWN);
    CHECK_EQ_INT(sy_codec_from_name(NULL), SY_CODEC_UNKNOWN);
    CHECK_STR(sy_codec_encoding(SY_CODEC_VP9), "VP9");
    CHECK_STR(sy_codec_id(SY_CODEC_G722), "g722");
    CHECK_EQ_INT(sy_codec_clock_rate(SY_CODEC_OPUS), 48000);
    CHECK_EQ_INT(sy_codec_clock_rate(SY_CODEC_G722), 8000);
    CHECK_EQ_INT(sy_codec_clock_rate(SY_CODEC_AV1), 90000);
    CHECK_EQ_INT(sy_codec_channels(SY_CODEC_OPUS), 2);
    CHECK_EQ_INT(sy_codec_static_pt(SY_CODEC_PCMA), 8);
    CHECK_EQ_INT(sy_codec_static_pt(SY_CODEC_VP8), -1);
    CHECK_EQ_INT(sy_codec_from_static_pt(0), SY_CODEC_PCMU);
    CHECK_EQ_INT(sy_codec_from_static_pt(9), SY_CODEC_G722);
    CHECK_EQ_INT(sy_codec_from_static_pt(96), SY_CODEC_UNKNOWN);
    CHECK_EQ_INT(sy_codec_media_type(SY_CODEC_H264), SY_SDP_VIDEO);
    CHECK_EQ_INT(sy_codec_media_type(SY_CODEC_PCMU), SY_SDP_AUDIO);
    CHECK_EQ_INT(sy_codec_media_type(SY_CODEC_RTX), SY_SDP_OTHER);
    CHECK_STR(sy_codec_encoding((sy_codec)99), "");

    sy_h264_profile p;
    uint8_t level;
    CHECK_EQ_INT(sy_h264_profile_parse("42e01f", &p, &level), 0);
    CHECK_EQ_INT(p, SY_H264_CONSTRAINED_BASELINE);
    CHECK_EQ_INT(level, 0x1f);
    CHECK_EQ_INT(sy_h264_profile_parse("42001f", &p, &level), 0);
    CHECK_EQ_INT(p, SY_H264_BASELINE);
    CHECK_EQ_INT(sy_h264_profile_parse("4d001f", &p, &level), 0);
    CHECK_EQ_INT(p, SY_H264_MAIN);
    CHECK_EQ_INT(sy_h264_profile_parse("4D401F", &p, &level), 0);
    CHECK_EQ_INT(p, SY_H264_MAIN);
    CHECK_EQ_INT(sy_h264_profile_parse("640c1f", &p, &level), 0);
    CHECK_EQ_INT(p, SY_H264_CONSTRAINED_HIGH);
    CHECK_EQ_INT(sy_h264_profile_parse("64001f", &p, &level), 0);
    CHECK_EQ_INT(p, SY_H264_HIGH);
    CHECK_EQ_INT(sy_h264_profile_parse("f4001f", &p, &level), 0);
    CHECK_EQ_INT(p, SY_H264_PREDICTIVE_HIGH_444);
    CHECK(sy_h264_profile_parse("6e001f", &p, &level) < 0); /* High 10: not one of ours */
    CHECK(sy_h264_profile_parse("42e01", &p, &level) < 0);
    CHECK(sy_h264_profile_parse("42e01fa", &p, &level) < 0);
    CHECK(sy_h264_profile_parse("42g01f", &p, &level) < 0);
    CHECK_EQ_INT(sy_h264_fmtp_profile("packetization-mode=1", &p, &level), 0);
    CHECK_EQ_INT(p, SY_H264_BASELINE); /* RFC 6184 default 420010 */
    CHECK_EQ_INT(level, 0x10);
    CHECK_EQ_INT(sy_h264_packetization_mode("packetization-mode=1"), 1);
    CHECK_EQ_INT(sy_h264_packetization_mode("profile-level-id=42e01f"), 0);
    CHECK_EQ_INT(sy_h264_packetization_mode("packetization-mode=3"), -1);
}

int main(void)
{
    test_rtpmap_fmtp_fb();
    test_extmap();
    test_dtls_ice();
    test_streams();
    test_simulcast();
    test_direction();
    test_codecs();
    return CHECK_DONE();
}
