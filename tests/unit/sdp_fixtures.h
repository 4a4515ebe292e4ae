/* SDP fixtures for the test_sdp*.c unit tests: files under tests/unit/data/sdp/, read
 * from the repository root (where ctest runs the unit tests). */
#ifndef SY_TESTS_SDP_FIXTURES_H
#define SY_TESTS_SDP_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/sdp.h"

#define SDP_FIXTURE_DIR "tests/unit/data/sdp/"

/* The whole file as a NUL-terminated malloc'd string (length in *len), or NULL. */
static inline char *fixture_read(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), SDP_FIXTURE_DIR "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)(n > 0 ? n : 0) + 1);
    size_t got = buf ? fread(buf, 1, (size_t)(n > 0 ? n : 0), f) : 0;
    fclose(f);
    if (!buf) return NULL;
    buf[got] = '\0';
    if (len) *len = got;
    return buf;
}

/* The fixture parsed, or NULL (the parse error is printed). */
static inline sy_sdp *fixture_parse(const char *name)
{
    size_t len;
    char err[256] = "";
    char *text = fixture_read(name, &len);
    if (!text) return NULL;
    sy_sdp *sdp = NULL;
    if (sy_sdp_parse(text, len, &sdp, err, sizeof(err)))
        fprintf(stderr, "%s: parse error: %s\n", name, err);
    free(text);
    return sdp;
}

/* Parses a string literal (test inputs). */
static inline sy_sdp *parse_str(const char *text, char *err, size_t err_len)
{
    sy_sdp *sdp = NULL;
    sy_sdp_parse(text, strlen(text), &sdp, err, err_len);
    return sdp;
}

static const char *const sdp_fixtures[] = {
    "chrome_offer.sdp", "aiortc_offer.sdp",     "firefox_offer.sdp",
    "janus_offer.sdp",  "chrome_sim_offer.sdp", "chrome_answer.sdp",
};
#define N_SDP_FIXTURES (sizeof(sdp_fixtures) / sizeof(sdp_fixtures[0]))

#endif
