/* Unit tests: api_secret, stored tokens, signed tokens, IDs. */
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/ids.h"
#include "check.h"

static void test_secret_equal(void)
{
    CHECK(sy_auth_secret_equal("abc", "abc"));
    CHECK(!sy_auth_secret_equal("abc", "abd"));
    CHECK(!sy_auth_secret_equal("abc", "abcd"));
    CHECK(!sy_auth_secret_equal("abcd", "abc"));
    CHECK(!sy_auth_secret_equal("", "a"));
    CHECK(sy_auth_secret_equal("", ""));
    CHECK(!sy_auth_secret_equal(NULL, "a"));
    CHECK(!sy_auth_secret_equal("a", NULL));
}

static void test_api_secret(void)
{
    sy_auth_init(NULL, false, NULL);
    CHECK(!sy_auth_enabled());
    CHECK(sy_auth_check(NULL, NULL, NULL));
    sy_auth_init("s3cret", false, NULL);
    CHECK(sy_auth_enabled());
    CHECK(sy_auth_check("s3cret", NULL, NULL));
    CHECK(!sy_auth_check(NULL, NULL, NULL));
    CHECK(!sy_auth_check("wrong", NULL, NULL));
    CHECK(!sy_auth_check(NULL, "s3cret", NULL)); /* a token is not the secret */
    sy_auth_shutdown();
}

static void test_stored_tokens(void)
{
    sy_auth_init(NULL, true, NULL);
    CHECK_EQ_INT(sy_auth_token_mode(), SY_AUTH_TOKENS_STORED);
    CHECK(!sy_auth_check(NULL, "t1", NULL));
    const char *plugins[] = {"janus.plugin.a", "janus.plugin.b"};
    CHECK_EQ_INT(sy_auth_token_add("t1", plugins, 2), 0);
    bool by_token = false;
    CHECK(sy_auth_check(NULL, "t1", &by_token));
    CHECK(by_token);
    CHECK(sy_auth_token_allows_plugin("t1", "janus.plugin.a"));
    CHECK(!sy_auth_token_allows_plugin("t1", "janus.plugin.c"));
    CHECK_EQ_INT(sy_auth_token_disallow("t1", "janus.plugin.a"), 0);
    CHECK(!sy_auth_token_allows_plugin("t1", "janus.plugin.a"));
    CHECK_EQ_INT(sy_auth_token_allow("t1", "janus.plugin.c"), 0);
    CHECK(sy_auth_token_allows_plugin("t1", "janus.plugin.c"));
    CHECK_EQ_INT(sy_auth_token_allow("nope", "janus.plugin.c"), -1);
    json_t *list = sy_auth_token_list();
    CHECK_EQ_INT(json_array_size(list), 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(list, 0), "token")), "t1");
    CHECK_EQ_INT(json_array_size(json_object_get(json_array_get(list, 0), "allowed_plugins")), 2);
    json_decref(list);
    CHECK_EQ_INT(sy_auth_token_remove("t1"), 0);
    CHECK_EQ_INT(sy_auth_token_remove("t1"), -1);
    CHECK(!sy_auth_check(NULL, "t1", NULL));
    /* Secret and token together: either passes. */
    sy_auth_init("sec", true, NULL);
    sy_auth_token_add("t2", NULL, 0);
    CHECK(sy_auth_check("sec", NULL, &by_token));
    CHECK(!by_token);
    CHECK(sy_auth_check("bad", "t2", &by_token));
    CHECK(by_token);
    CHECK(!sy_auth_check("bad", "bad", NULL));
    sy_auth_shutdown();
}

static void test_signed_tokens(void)
{
    const char *secret = "janus";
    const char *items[] = {"janus.plugin.videoroom", "janus.plugin.echotest"};
    char *tok = sy_auth_signature_make(secret, 2000000000, "janus", items, 2);
    CHECK(tok != NULL);
    CHECK_CONTAINS(tok, "2000000000,janus,janus.plugin.videoroom,janus.plugin.echotest:");
    CHECK(sy_auth_signature_valid(secret, tok, "janus", 1700000000));
    CHECK(!sy_auth_signature_valid(secret, tok, "janus", 2000000001)); /* expired */
    CHECK(!sy_auth_signature_valid(secret, tok, "other", 1700000000)); /* wrong realm */
    CHECK(!sy_auth_signature_valid("other", tok, "janus", 1700000000)); /* wrong key */
    CHECK(sy_auth_signature_contains(secret, tok, "janus", "janus.plugin.echotest", 1700000000));
    CHECK(!sy_auth_signature_contains(secret, tok, "janus", "janus.plugin.textroom", 1700000000));
    /* Tampering with the data or the signature invalidates it. */
    char *bad = strdup(tok);
    bad[0] = '3';
    CHECK(!sy_auth_signature_valid(secret, bad, "janus", 1700000000));
    strcpy(bad, tok);
    bad[strlen(bad) - 2] ^= 1;
    CHECK(!sy_auth_signature_valid(secret, bad, "janus", 1700000000));
    free(bad);
    /* Malformed tokens. */
    CHECK(!sy_auth_signature_valid(secret, "", "janus", 0));
    CHECK(!sy_auth_signature_valid(secret, "123", "janus", 0));
    CHECK(!sy_auth_signature_valid(secret, "123:abc", "janus", 0));
    CHECK(!sy_auth_signature_valid(secret, "x,janus:abc", "janus", 0));
    CHECK(!sy_auth_signature_valid(secret, "1,janus:a:b", "janus", 0));
    CHECK(!sy_auth_signature_valid(secret, NULL, "janus", 0));
    /* A known vector, computed independently with
     * printf '2000000000,janus' | openssl dgst -sha1 -hmac janus -binary | base64 */
    CHECK(sy_auth_signature_valid(secret, "2000000000,janus:aRdeLP2MQ65Jc14ZupzYSWbutxs=", "janus",
                                  0));
    CHECK(!sy_auth_signature_valid(secret, "2000000000,janus:aRdeLP2MQ65Jc14ZupzYSWbutxt=", "janus",
                                   0));
    /* Core mode: realm "janus" for the API, plugin list for attach. */
    sy_auth_init(NULL, true, secret);
    CHECK_EQ_INT(sy_auth_token_mode(), SY_AUTH_TOKENS_SIGNED);
    CHECK(sy_auth_check(NULL, tok, NULL));
    CHECK(sy_auth_token_allows_plugin(tok, "janus.plugin.videoroom"));
    CHECK(!sy_auth_token_allows_plugin(tok, "janus.plugin.textroom"));
    sy_auth_shutdown();
    free(tok);
}

static void test_ids(void)
{
    uint64_t prev = 0;
    int distinct = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t id = sy_random_id();
        CHECK(id != 0);
        CHECK(id <= SY_ID_MAX);
        if (id != prev) distinct++;
        prev = id;
    }
    CHECK_EQ_INT(distinct, 10000);
}

int main(void)
{
    test_secret_equal();
    test_api_secret();
    test_stored_tokens();
    test_signed_tokens();
    test_ids();
    return CHECK_DONE();
}
