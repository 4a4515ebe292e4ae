/*
 * SDP model: parsing the fixtures, write -> parse round trips, the editing API,
 * and malformed or oversized input (each an error with a message).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "protocol/sdp.h"
#include "sdp_fixtures.h"

/* ---- fixtures ---- */

static void test_fixture_round_trips(void)
{
    for (size_t i = 0; i < N_SDP_FIXTURES; i++) {
        size_t len, wlen;
        char *text = fixture_read(sdp_fixtures[i], &len);
        CHECK(text != NULL);
        if (!text) continue;
        sy_sdp *a = NULL, *b = NULL;
        char err[256] = "";
        CHECK_EQ_INT(sy_sdp_parse(text, len, &a, err, sizeof(err)), 0);
        CHECK_STR(err, "");
        char *w = a ? sy_sdp_write(a, &wlen) : NULL;
        CHECK(w != NULL);
        /* The fixtures are canonical (CRLF, single spaces): the writer reproduces them. */
        CHECK(w && wlen == len && memcmp(w, text, len) == 0);
        CHECK_EQ_INT(w ? sy_sdp_parse(w, wlen, &b, err, sizeof(err)) : -1, 0);
        CHECK(sy_sdp_equal(a, b));
        sy_sdp *c = sy_sdp_copy(a);
        CHECK(sy_sdp_equal(a, c));

        /* LF-only line endings parse to the same model. */
        char *lf = malloc(len + 1);
        size_t n = 0;
        for (size_t k = 0; k < len; k++)
            if (text[k] != '\r') lf[n++] = text[k];
        sy_sdp *d = NULL;
        CHECK_EQ_INT(sy_sdp_parse(lf, n, &d, err, sizeof(err)), 0);
        CHECK(sy_sdp_equal(a, d));
        /* And without the final line ending. */
        sy_sdp *e = NULL;
        CHECK_EQ_INT(sy_sdp_parse(lf, n - 1, &e, err, sizeof(err)), 0);
        CHECK(sy_sdp_equal(a, e));

        free(lf);
        free(w);
        free(text);
        sy_sdp_free(a);
        sy_sdp_free(b);
        sy_sdp_free(c);
        sy_sdp_free(d);
        sy_sdp_free(e);
    }
}

static void test_chrome_model(void)
{
    sy_sdp *s = fixture_parse("chrome_offer.sdp");
    CHECK(s != NULL);
    if (!s) return;
    CHECK_EQ_INT(s->n_media, 3);
    CHECK_EQ_INT(s->session.lines[0].type, 'v');
    CHECK_STR(s->session.lines[0].value, "0");
    CHECK_STR(sy_sdp_line_value(&s->session, 'o'), "- 3546004397921447048 2 IN IP4 127.0.0.1");
    CHECK_STR(sy_sdp_line_value(&s->session, 's'), "-");
    CHECK_STR(sy_sdp_attr_value(&s->session, "group"), "BUNDLE 0 1 2");
    CHECK(sy_sdp_has_attr(&s->session, "extmap-allow-mixed"));
    CHECK(sy_sdp_attr_value(&s->session, "extmap-allow-mixed") == NULL);
    /* values are kept exactly, the leading space too */
    CHECK_STR(sy_sdp_attr_value(&s->session, "msid-semantic"),
              " WMS 3c1c8f0e-7a2b-4d9e-9c55-6d0f1b2a8e41");

    const sy_sdp_media *a = &s->media[0], *v = &s->media[1], *d = &s->media[2];
    CHECK_EQ_INT(a->type, SY_SDP_AUDIO);
    CHECK_STR(a->media, "audio");
    CHECK_EQ_INT(a->port, 9);
    CHECK_EQ_INT(a->port_count, 0);
    CHECK_STR(a->proto, "UDP/TLS/RTP/SAVPF");
    CHECK_EQ_INT(a->n_fmts, 8);
    CHECK_STR(a->fmts[0], "111");
    CHECK_STR(a->fmts[7], "126");
    CHECK_STR(sy_sdp_line_value(&a->sec, 'c'), "IN IP4 0.0.0.0");
    CHECK_STR(sy_sdp_attr_value(&a->sec, "mid"), "0");
    CHECK_EQ_INT(v->type, SY_SDP_VIDEO);
    CHECK_EQ_INT(v->n_fmts, 25);
    CHECK_EQ_INT(d->type, SY_SDP_APPLICATION);
    CHECK_STR(d->proto, "UDP/DTLS/SCTP");
    CHECK_EQ_INT(d->n_fmts, 1);
    CHECK_STR(d->fmts[0], "webrtc-datachannel");
    CHECK(sy_sdp_media_by_mid(s, "1") == v);
    CHECK(sy_sdp_media_by_mid(s, "7") == NULL);

    /* walking all rtpmaps of the video section */
    size_t count = 0;
    for (size_t i = 0; sy_sdp_find_attr(&v->sec, "rtpmap", &i) >= 0; i++)
        count++;
    CHECK_EQ_INT(count, 25);
    /* attribute names compare case-insensitively */
    CHECK(sy_sdp_has_attr(&v->sec, "RTCP-MUX"));
    sy_sdp_free(s);
}

/* ---- lossless details ---- */

static void test_lossless(void)
{
    const char *text = "v=0\r\n"
                       "o=- 1 1 IN IP4 0.0.0.0\r\n"
                       "s=\r\n"
                       "i=a session\r\n"
                       "t=0 0\r\n"
                       "z=2882844526 -1h\r\n"
                       "a=flag\r\n"
                       "a=empty:\r\n"
                       "a=x-custom:a:b:c  spaces  \r\n"
                       "m=video 9/2 RTP/AVP 096 0\r\n"
                       "b=AS:2000\r\n"
                       "k=prompt\r\n"
                       "a=rtpmap:96 VP8/90000\r\n";
    char err[256] = "";
    sy_sdp *s = parse_str(text, err, sizeof(err));
    CHECK(s != NULL);
    CHECK_STR(err, "");
    if (!s) return;
    CHECK_STR(sy_sdp_line_value(&s->session, 's'), "");
    CHECK(sy_sdp_has_attr(&s->session, "flag"));
    CHECK(sy_sdp_attr_value(&s->session, "flag") == NULL);
    CHECK_STR(sy_sdp_attr_value(&s->session, "empty"), "");
    CHECK_STR(sy_sdp_attr_value(&s->session, "x-custom"), "a:b:c  spaces  ");
    CHECK_STR(sy_sdp_line_value(&s->session, 'z'), "2882844526 -1h");
    CHECK_EQ_INT(s->media[0].port, 9);
    CHECK_EQ_INT(s->media[0].port_count, 2);
    CHECK_STR(s->media[0].fmts[0], "96"); /* canonical payload types */
    CHECK_STR(sy_sdp_line_value(&s->media[0].sec, 'b'), "AS:2000");
    size_t len;
    char *w = sy_sdp_write(s, &len);
    CHECK_CONTAINS(w, "m=video 9/2 RTP/AVP 96 0\r\n");
    CHECK_CONTAINS(w, "a=flag\r\na=empty:\r\n");
    CHECK(w && strlen(w) == len && len >= 2 && memcmp(w + len - 2, "\r\n", 2) == 0);
    for (size_t i = 0; w && i < len; i++)
        if (w[i] == '\n') CHECK(i > 0 && w[i - 1] == '\r');
    sy_sdp *r = w ? parse_str(w, err, sizeof(err)) : NULL;
    CHECK(sy_sdp_equal(s, r));
    free(w);
    sy_sdp_free(r);

    /* blank lines are skipped, a final line without CRLF is read */
    sy_sdp *b = parse_str("\r\nv=0\r\n\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\nt=0 0", err, sizeof(err));
    CHECK(b != NULL);
    CHECK_EQ_INT(b ? b->session.n_lines : 0, 4);
    sy_sdp_free(b);
    sy_sdp_free(s);
}

/* ---- malformed input ---- */

#define HEAD "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

static void test_malformed(void)
{
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"", "empty"},
        {"\r\n\r\n", "empty"},
        {"x=0\r\n", "v=0"},
        {"v=1\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "v=0"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", "t="},
        {"v=0\r\ns=-\r\nt=0 0\r\n", "o="},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nt=0 0\r\n", "s="},
        {"v=0\r\nv=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "v="},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "o="},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\ns=-\r\nt=0 0\r\n", "s="},
        {"v=0\r\no=- 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "o="},
        {"v=0\r\no=- x 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "session id"},
        {"v=0\r\no=- 99999999999999999999999 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "session id"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0 extra\r\ns=-\r\nt=0 0\r\n", "extra"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0\r\n", "t="},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=a b\r\n", "t="},
        {HEAD "c=IN IP4\r\n", "c="},
        {HEAD "c=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n", "more than one c="},
        {HEAD "m=audio\r\n", "port"},
        {HEAD "m=audio 9\r\n", "protocol"},
        {HEAD "m=audio 9 UDP/TLS/RTP/SAVPF\r\n", "format"},
        {HEAD "m=audio 9 UDP/TLS/RTP/SAVPF \r\n", "format"},
        {HEAD "m=\r\n", "media type"},
        {HEAD "m=audio 70000 RTP/AVP 0\r\n", "port"},
        {HEAD "m=audio -1 RTP/AVP 0\r\n", "port"},
        {HEAD "m=audio x RTP/AVP 0\r\n", "port"},
        {HEAD "m=audio 9/0 RTP/AVP 0\r\n", "port count"},
        {HEAD "m=audio 9/ RTP/AVP 0\r\n", "port count"},
        {HEAD "m=audio 9 RTP/AVP 128\r\n", "payload type"},
        {HEAD "m=audio 9 RTP/AVP 0 0\r\n", "twice"},
        {HEAD "m=audio 9 RTP/AVP 96 096\r\n", "twice"},
        {HEAD "m=audio 9 RTP/AVP opus\r\n", "payload type"},
        {HEAD "m=audio 9 //RTP 0\r\n", "protocol"},
        {HEAD "m=audio 9 RTP/ 0\r\n", "protocol"},
        {HEAD "a=\r\n", "attribute name"},
        {HEAD "a=:value\r\n", "attribute name"},
        {HEAD "a=foo bar\r\n", "attribute name"},
        {HEAD "a=fo\"o:1\r\n", "attribute name"},
        {HEAD "garbage\r\n", "<letter>=<value>"},
        {HEAD "=x\r\n", "<letter>=<value>"},
        {HEAD "A=x\r\n", "<letter>=<value>"},
        {HEAD "a\r\n", "<letter>=<value>"},
        {HEAD "i=\x01\r\n", "control"},
        {HEAD "a=foo:bar\rbaz\r\n", "control"},
        {HEAD "a=foo:bar\r\r\n", "control"},
        {HEAD "a=foo:\x7f\r\n", "control"},
        {HEAD "m=audio 9 RTP/AVP 0\r\nv=0\r\n", "inside a media section"},
        {HEAD "m=audio 9 RTP/AVP 0\r\ns=-\r\n", "inside a media section"},
        {HEAD "m=audio 9 RTP/AVP 0\r\nt=0 0\r\n", "inside a media section"},
        {HEAD "m=audio 9 RTP/AVP 0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", "inside a media section"},
        {HEAD "b=AS\r\n", "b="},
        {HEAD "b=AS:abc\r\n", "b="},
        {HEAD "b=AS:99999999999\r\n", "b="},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        sy_sdp *s = (sy_sdp *)1;
        int rc = sy_sdp_parse(cases[i].text, strlen(cases[i].text), &s, err, sizeof(err));
        CHECK(rc < 0);
        CHECK(s == NULL);
        CHECK(err[0] != '\0');
        CHECK_CONTAINS(err, cases[i].expect);
        if (rc == 0) fprintf(stderr, "  case %zu parsed but should not\n", i);
    }
    /* a NUL byte inside a line */
    static const char nul[] = HEAD "s=a\0b\r\n";
    char err[256] = "";
    sy_sdp *s = NULL;
    CHECK(sy_sdp_parse(nul, sizeof(nul) - 1, &s, err, sizeof(err)) < 0);
    CHECK_CONTAINS(err, "control");
    /* NULL err buffer is allowed */
    CHECK(sy_sdp_parse("x", 1, &s, NULL, 0) < 0);
    CHECK(sy_sdp_parse(NULL, 0, &s, NULL, 0) < 0);
}

/* ---- limits ---- */

static char *repeat_lines(const char *head, const char *line, size_t n, size_t *len)
{
    size_t hl = strlen(head), ll = strlen(line);
    char *buf = malloc(hl + ll * n + 1);
    memcpy(buf, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(buf + hl + i * ll, line, ll);
    *len = hl + ll * n;
    buf[*len] = '\0';
    return buf;
}

static int parse_len(const char *text, size_t len, char *err, size_t err_len)
{
    sy_sdp *s = NULL;
    int rc = sy_sdp_parse(text, len, &s, err, err_len);
    sy_sdp_free(s);
    return rc;
}

static void test_limits(void)
{
    char err[256];
    size_t len;
    char *t;

    /* line count: 10,000 lines parse, one more does not (spread over m-sections, as a
     * section holds at most SY_SDP_MAX_SECTION_LINES) */
    {
        size_t cap = 1 << 20, n = 0;
        char *b = malloc(cap);
        n += (size_t)sprintf(b + n, HEAD);
        size_t lines = 4;
        while (lines + 501 <= SY_SDP_MAX_LINES) {
            n += (size_t)sprintf(b + n, "m=audio 9 RTP/AVP 0\r\n");
            for (int i = 0; i < 500; i++)
                n += (size_t)sprintf(b + n, "a=x\r\n");
            lines += 501;
        }
        while (lines < SY_SDP_MAX_LINES) {
            n += (size_t)sprintf(b + n, "a=y\r\n");
            lines++;
        }
        err[0] = '\0';
        CHECK_EQ_INT(parse_len(b, n, err, sizeof(err)), 0);
        CHECK_STR(err, "");
        n += (size_t)sprintf(b + n, "a=z\r\n");
        CHECK_EQ_INT(parse_len(b, n, err, sizeof(err)), SY_SDP_ELIMIT);
        CHECK_CONTAINS(err, "lines");
        free(b);
    }
    /* lines per section */
    t = repeat_lines(HEAD, "a=x\r\n", SY_SDP_MAX_SECTION_LINES, &len);
    CHECK_EQ_INT(parse_len(t, len, err, sizeof(err)), SY_SDP_ELIMIT);
    CHECK_CONTAINS(err, "section");
    free(t);
    /* m-sections */
    t = repeat_lines(HEAD, "m=audio 9 RTP/AVP 0\r\n", SY_SDP_MAX_MEDIA, &len);
    CHECK_EQ_INT(parse_len(t, len, err, sizeof(err)), 0);
    free(t);
    t = repeat_lines(HEAD, "m=audio 9 RTP/AVP 0\r\n", SY_SDP_MAX_MEDIA + 1, &len);
    CHECK_EQ_INT(parse_len(t, len, err, sizeof(err)), SY_SDP_ELIMIT);
    CHECK_CONTAINS(err, "m-sections");
    free(t);
    /* formats */
    t = repeat_lines(HEAD "m=application 9 X/Y", " f", SY_SDP_MAX_FORMATS + 1, &len);
    CHECK_EQ_INT(parse_len(t, len, err, sizeof(err)), SY_SDP_ELIMIT);
    CHECK_CONTAINS(err, "formats");
    free(t);
    /* line length */
    t = repeat_lines(HEAD "a=long:", "x", SY_SDP_MAX_LINE_LEN - 7, &len);
    CHECK_EQ_INT(parse_len(t, len, err, sizeof(err)), 0);
    free(t);
    t = repeat_lines(HEAD "a=long:", "x", SY_SDP_MAX_LINE_LEN - 6, &len);
    CHECK_EQ_INT(parse_len(t, len, err, sizeof(err)), SY_SDP_ELIMIT);
    CHECK_CONTAINS(err, "longer");
    free(t);
    /* total size, raw and as written (LF input grows by one byte per line) */
    {
        size_t n = SY_SDP_MAX_SIZE + 1;
        char *b = malloc(n);
        memset(b, '\n', n);
        memcpy(b, "v=0\n", 4);
        CHECK_EQ_INT(parse_len(b, n, err, sizeof(err)), SY_SDP_ELIMIT);
        CHECK_CONTAINS(err, "larger");
        free(b);
        /* 4000-byte lines with LF only: fits raw, not once written with CRLF */
        char line[4001];
        memset(line, 'x', sizeof(line));
        memcpy(line, "i=", 2);
        line[4000] = '\n';
        size_t per = sizeof(line), count = (SY_SDP_MAX_SIZE - 200) / per;
        b = malloc(SY_SDP_MAX_SIZE + 16);
        size_t m = (size_t)sprintf(b, "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n");
        for (size_t i = 0; i < count; i++, m += per)
            memcpy(b + m, line, per);
        CHECK(m <= SY_SDP_MAX_SIZE);
        CHECK_EQ_INT(parse_len(b, m, err, sizeof(err)), 0);
        /* short lines until the size as written (CRLF) passes the cap, the raw size not */
        while (m + 3 <= SY_SDP_MAX_SIZE) {
            memcpy(b + m, "k=\n", 3);
            m += 3;
        }
        CHECK_EQ_INT(parse_len(b, m, err, sizeof(err)), SY_SDP_ELIMIT);
        CHECK_CONTAINS(err, "bytes");
        free(b);
    }
}

/* ---- editing ---- */

static void test_editing(void)
{
    sy_sdp *s = sy_sdp_new();
    CHECK(s != NULL);
    if (!s) return;
    CHECK_EQ_INT(sy_sdp_add_line(s, &s->session, 'v', "0"), 0);
    CHECK_EQ_INT(sy_sdp_add_line(s, &s->session, 'o', "- 1 2 IN IP4 0.0.0.0"), 0);
    CHECK_EQ_INT(sy_sdp_add_line(s, &s->session, 's', "-"), 0);
    CHECK_EQ_INT(sy_sdp_add_line(s, &s->session, 't', "0 0"), 0);
    CHECK_EQ_INT(sy_sdp_add_attr(s, &s->session, "group", "BUNDLE 0"), 0);
    CHECK_EQ_INT(sy_sdp_add_attrf(s, &s->session, "x-num", "%d-%s", 42, "z"), 0);
    /* bad input */
    CHECK_EQ_INT(sy_sdp_add_attr(s, &s->session, "bad name", "x"), SY_SDP_EINVAL);
    CHECK_EQ_INT(sy_sdp_add_attr(s, &s->session, "", "x"), SY_SDP_EINVAL);
    CHECK_EQ_INT(sy_sdp_add_attr(s, &s->session, "ok", "a\r\na=injected"), SY_SDP_EINVAL);
    CHECK_EQ_INT(sy_sdp_add_attr(s, &s->session, "ok", "a\nb"), SY_SDP_EINVAL);
    CHECK_EQ_INT(sy_sdp_add_line(s, &s->session, 'm', "audio 9 RTP/AVP 0"), SY_SDP_EINVAL);
    CHECK_EQ_INT(sy_sdp_add_line(s, &s->session, 'A', "x"), SY_SDP_EINVAL);
    CHECK_EQ_INT(sy_sdp_add_line(s, &s->session, 'c', NULL), SY_SDP_EINVAL);
    CHECK_EQ_INT(sy_sdp_insert_line(s, &s->session, 0, 'c', "name", "x"), SY_SDP_EINVAL);
    char big[SY_SDP_MAX_LINE_LEN + 8];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_EQ_INT(sy_sdp_add_attr(s, &s->session, "big", big), SY_SDP_ELIMIT);

    sy_sdp_media *m = sy_sdp_add_media(s, "audio", 9, "UDP/TLS/RTP/SAVPF");
    CHECK(m != NULL);
    CHECK(sy_sdp_add_media(s, "bad media", 9, "RTP/AVP") == NULL);
    CHECK(sy_sdp_add_media(s, "audio", 9, "RTP//AVP") == NULL);
    if (!m) goto out;
    CHECK_EQ_INT(m->type, SY_SDP_AUDIO);
    CHECK_EQ_INT(sy_sdp_media_add_format(s, m, "111"), 0);
    CHECK_EQ_INT(sy_sdp_media_add_format(s, m, "0"), 0);
    CHECK_EQ_INT(sy_sdp_media_add_format(s, m, "111"), SY_SDP_EINVAL);
    CHECK_EQ_INT(sy_sdp_media_add_format(s, m, "128"), SY_SDP_EINVAL);
    CHECK_EQ_INT(sy_sdp_media_add_format(s, m, "opus"), SY_SDP_EINVAL);
    CHECK_EQ_INT(sy_sdp_add_attr(s, &m->sec, "mid", "0"), 0);
    CHECK_EQ_INT(sy_sdp_add_attr(s, &m->sec, "rtpmap", "111 opus/48000/2"), 0);
    CHECK_EQ_INT(sy_sdp_add_attr(s, &m->sec, "rtcp-mux", NULL), 0);
    CHECK_EQ_INT(sy_sdp_insert_line(s, &m->sec, 0, 'c', NULL, "IN IP4 0.0.0.0"), 0);
    CHECK_EQ_INT(m->sec.lines[0].type, 'c');
    CHECK_EQ_INT(sy_sdp_find_attr(&m->sec, "RTPMAP", NULL), 2);
    CHECK_EQ_INT(sy_sdp_set_value(s, &m->sec, 2, "0 PCMU/8000"), 0);
    CHECK_STR(sy_sdp_attr_value(&m->sec, "rtpmap"), "0 PCMU/8000");
    CHECK_EQ_INT(sy_sdp_set_value(s, &m->sec, 99, "x"), SY_SDP_EINVAL);
    CHECK_EQ_INT(sy_sdp_set_value(s, &m->sec, 2, "a\r\n"), SY_SDP_EINVAL);

    size_t len;
    char *w = sy_sdp_write(s, &len);
    CHECK_STR(w, "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
                 "a=x-num:42-z\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\n"
                 "a=mid:0\r\na=rtpmap:0 PCMU/8000\r\na=rtcp-mux\r\n");
    char err[128];
    sy_sdp *r = w ? parse_str(w, err, sizeof(err)) : NULL;
    CHECK(sy_sdp_equal(s, r));
    sy_sdp *c = sy_sdp_copy(s);
    CHECK(sy_sdp_equal(s, c));
    CHECK_EQ_INT(sy_sdp_remove_attrs(&c->media[0].sec, "rtcp-mux"), 1);
    CHECK(!sy_sdp_equal(s, c));
    CHECK_EQ_INT(sy_sdp_remove_lines(&c->media[0].sec, 'c'), 1);
    CHECK_EQ_INT(sy_sdp_remove_lines(&c->media[0].sec, 'a'), 0); /* attributes: not this way */
    sy_sdp_remove_line(&c->media[0].sec, 0);
    CHECK_EQ_INT(c->media[0].sec.n_lines, 1);
    sy_sdp_media_clear_formats(&c->media[0]);
    CHECK_EQ_INT(c->media[0].n_fmts, 0);
    free(w);
    sy_sdp_free(r);
    sy_sdp_free(c);
out:
    sy_sdp_free(s);
    sy_sdp_free(NULL);
    CHECK_EQ_INT(sy_sdp_media_type_from_name("video"), SY_SDP_VIDEO);
    CHECK_EQ_INT(sy_sdp_media_type_from_name("text"), SY_SDP_OTHER);
    CHECK_STR(sy_sdp_media_type_name(SY_SDP_APPLICATION), "application");
    CHECK(sy_sdp_proto_is_rtp("UDP/TLS/RTP/SAVPF"));
    CHECK(!sy_sdp_proto_is_rtp("UDP/DTLS/SCTP"));
}

int main(void)
{
    test_fixture_round_trips();
    test_chrome_model();
    test_lossless();
    test_malformed();
    test_limits();
    test_editing();
    return CHECK_DONE();
}
