/* Unit tests: the string ID table of the plugins (plugins/common/strid.h). */
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/common/strid.h"
#include "check.h"

static uint64_t counter_random(void)
{
    static uint64_t x = 0x123456789abcdefULL;
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 11; /* 53 bits */
}

static void test_off(void)
{
    sy_strids t;
    sy_strids_init(&t, false);
    json_t *v = json_integer(42);
    CHECK(sy_strid_type_error(&t, v) == NULL);
    CHECK_EQ_INT((long long)sy_strid_lookup(&t, v), 42);
    json_decref(v);
    v = json_string("42");
    CHECK_STR(sy_strid_type_error(&t, v), "a positive integer");
    json_decref(v);
    v = json_integer(-1);
    CHECK(sy_strid_type_error(&t, v) != NULL);
    json_decref(v);
    v = sy_strid_json(&t, 7);
    CHECK(json_is_integer(v) && json_integer_value(v) == 7);
    json_decref(v);
    char buf[24];
    CHECK_STR(sy_strid_text(&t, 99, buf, sizeof(buf)), "99");
    CHECK_EQ_INT((long long)sy_strid_ref(&t, "x"), 0); /* nothing to intern */
    sy_strid_unref(&t, 1);                          /* a no-op */
    sy_strids_free(&t);
}

static void test_on(void)
{
    sy_strids t;
    sy_strids_init(&t, true);
    json_t *v = json_integer(1);
    CHECK_STR(sy_strid_type_error(&t, v), "a string");
    json_decref(v);
    v = json_string("");
    CHECK(sy_strid_type_error(&t, v) != NULL);
    json_decref(v);
    v = json_stringn("a\0b", 3);
    CHECK(sy_strid_type_error(&t, v) != NULL); /* an embedded NUL */
    json_decref(v);
    char big[SY_STRID_MAX + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    v = json_string(big);
    CHECK(sy_strid_type_error(&t, v) != NULL);
    json_decref(v);
    big[SY_STRID_MAX] = '\0';
    v = json_string(big);
    CHECK(sy_strid_type_error(&t, v) == NULL);
    json_decref(v);

    /* Unknown strings are not added by lookups. */
    CHECK_EQ_INT((long long)sy_strid_find(&t, "alice"), 0);
    CHECK_EQ_INT((long long)json_object_size(t.by_str), 0);
    uint64_t a = sy_strid_ref(&t, "alice");
    CHECK(a != 0);
    CHECK_EQ_INT((long long)sy_strid_find(&t, "alice"), (long long)a);
    CHECK_STR(sy_strid_str(&t, a), "alice");
    uint64_t a2 = sy_strid_ref(&t, "alice"); /* a second holder */
    CHECK_EQ_INT((long long)a2, (long long)a);
    uint64_t b = sy_strid_ref(&t, "bob");
    CHECK(b != 0 && b != a);
    v = sy_strid_json(&t, b);
    CHECK(json_is_string(v) && !strcmp(json_string_value(v), "bob"));
    json_decref(v);
    v = json_string("bob");
    CHECK_EQ_INT((long long)sy_strid_lookup(&t, v), (long long)b);
    json_decref(v);
    char buf[24];
    CHECK_STR(sy_strid_text(&t, a, buf, sizeof(buf)), "alice");

    sy_strid_unref(&t, a);
    CHECK_EQ_INT((long long)sy_strid_find(&t, "alice"), (long long)a); /* one holder left */
    sy_strid_unref(&t, a);
    CHECK_EQ_INT((long long)sy_strid_find(&t, "alice"), 0);
    CHECK(sy_strid_str(&t, a) == NULL);
    sy_strid_unref(&t, a); /* again: a no-op */
    /* A string that comes back gets a new number: stale numbers never alias. */
    uint64_t a3 = sy_strid_ref(&t, "alice");
    CHECK(a3 != 0 && a3 != a && a3 != b);
    sy_strid_unref(&t, a3);
    sy_strid_unref(&t, b);
    CHECK_EQ_INT((long long)json_object_size(t.by_str), 0);
    CHECK_EQ_INT((long long)json_object_size(t.by_num), 0);
    sy_strids_free(&t);
}

static void test_uuid(void)
{
    regex_t re;
    CHECK(regcomp(&re, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
                  REG_EXTENDED | REG_NOSUB) == 0);
    char prev[37] = "";
    for (int i = 0; i < 1000; i++) {
        char u[37];
        sy_strid_uuid(u, counter_random);
        CHECK_EQ_INT((long long)strlen(u), 36);
        if (regexec(&re, u, 0, NULL, 0) != 0) CHECK_STR(u, "a UUID v4 layout");
        CHECK(strcmp(u, prev) != 0);
        memcpy(prev, u, sizeof(u));
    }
    regfree(&re);
}

int main(void)
{
    test_off();
    test_on();
    test_uuid();
    return CHECK_DONE();
}
