/*
 * Fuzz target: the SDP module. The property is Janus's sdp_fuzzer one: whatever parses
 * writes back to text that parses to an equal model (and is never longer than the
 * input). On top, for coverage, every parsed model also goes through extraction, the
 * answer builder, anonymise and merge, and their outputs must parse again.
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
            fprintf(stderr, "fuzz_sdp: property failed: %s (line %d)\n", #cond, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Writes m, parses it back and requires the same model. */
static void round_trip(const sy_sdp *m, size_t max_len)
{
    size_t len;
    char err[256];
    char *text = sy_sdp_write(m, &len);
    REQUIRE(text != NULL);
    REQUIRE(len <= max_len);
    sy_sdp *again = NULL;
    int rc = sy_sdp_parse(text, len, &again, err, sizeof(err));
    if (rc != 0) fprintf(stderr, "fuzz_sdp: re-parse failed: %s\n", err);
    REQUIRE(rc == 0);
    REQUIRE(sy_sdp_equal(m, again));
    sy_sdp_free(again);
    free(text);
}

/* Built SDPs (answers, merges) only need to parse again: a plugin's SDP may be empty of
 * media, and the builders' size is not bounded by the input. */
static void reparses(const sy_sdp *m)
{
    size_t len;
    char err[256];
    char *text = sy_sdp_write(m, &len);
    REQUIRE(text != NULL);
    sy_sdp *again = NULL;
    if (len <= SY_SDP_MAX_SIZE) {
        int rc = sy_sdp_parse(text, len, &again, err, sizeof(err));
        if (rc != 0) fprintf(stderr, "fuzz_sdp: built SDP does not parse: %s\n", err);
        REQUIRE(rc == 0 || rc == SY_SDP_ELIMIT);
        if (rc == 0) REQUIRE(sy_sdp_equal(m, again));
    }
    sy_sdp_free(again);
    free(text);
}

static const char *const exts[] = {SY_SDP_URI_MID,          SY_SDP_URI_RID,
                                   SY_SDP_URI_REPAIRED_RID, SY_SDP_URI_AUDIO_LEVEL,
                                   SY_SDP_URI_TRANSPORT_CC, SY_SDP_URI_PLAYOUT_DELAY};
static const char *const cands[] = {"candidate:1 1 udp 2015363327 192.0.2.1 40000 typ host"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    sy_sdp *sdp = NULL;
    err[0] = '\0';
    int rc = sy_sdp_parse((const char *)data, size, &sdp, err, sizeof(err));
    if (rc != 0) {
        REQUIRE(sdp == NULL);
        REQUIRE(err[0] != '\0'); /* every refusal says why */
        return 0;
    }
    /* Written with CRLF: LF-only input grows by one byte a line, a last line without an
     * ending by two bytes; the limit holds in any case. */
    size_t newlines = 0;
    for (size_t i = 0; i < size; i++)
        newlines += data[i] == '\n';
    size_t max_len = size + newlines + 2;
    if (max_len > SY_SDP_MAX_SIZE) max_len = SY_SDP_MAX_SIZE;
    round_trip(sdp, max_len);

    sy_sdp_info info;
    if (sy_sdp_extract(sdp, &info, err, sizeof(err)) == 0) {
        sy_sdp_info_check(&info, true, err, sizeof(err));
        sy_sdp_info_check(&info, false, err, sizeof(err));
        sy_sdp_info_free(&info);
    } else {
        REQUIRE(err[0] != '\0');
    }

    sy_sdp_answer_opts ao = {.extmaps = exts, .n_extmaps = sizeof(exts) / sizeof(exts[0])};
    sy_sdp *ans = NULL;
    if (sy_sdp_generate_answer(sdp, &ao, &ans, err, sizeof(err)) == 0) {
        reparses(ans);
        sy_sdp_merge_opts mo = {.ice_ufrag = "Zj7l",
                                .ice_pwd = "Vt0q9a8B7c6D5e4F3g2H1i",
                                .fingerprint = "68:F7:00:F5:B0:2B:3D:C6:66:F4:5B:DE:AA:2C:CA:ED:CD:"
                                               "2B:51:57:41:0E:4D:EE:4A:F2:B3:4F:43:0A:07:34",
                                .candidates = cands,
                                .n_candidates = 1,
                                .address = "192.0.2.1"};
        if (sy_sdp_merge(ans, &mo, err, sizeof(err)) == 0) reparses(ans);
        sy_sdp_free(ans);
    }

    sy_sdp *anon = sy_sdp_copy(sdp);
    if (anon) {
        sy_sdp_anonymize(anon);
        REQUIRE(sy_sdp_anonymize(anon) == 0);
        round_trip(anon, max_len);
        sy_sdp_free(anon);
    }
    sy_sdp_free(sdp);
    return 0;
}
