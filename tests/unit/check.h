/*
 * Minimal checks for plain-C unit tests. A failed check prints file:line and what
 * failed, and the test goes on; CHECK_DONE() prints a summary line and gives the exit
 * status (0 if every check passed).
 *
 *   int main(void) {
 *       CHECK(x > 0);
 *       CHECK_EQ_INT(f(2), 4);
 *       CHECK_STR(name, "alice");          // NULL-safe
 *       CHECK_CONTAINS(message, "port");   // substring, NULL-safe
 *       return CHECK_DONE();
 *   }
 *
 * The counters are atomic, so checks may run on other threads too.
 */
#ifndef SY_TESTS_CHECK_H
#define SY_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_count_;
static int check_failures_;

static inline int check_record_(int ok, const char *file, int line)
{
    __atomic_add_fetch(&check_count_, 1, __ATOMIC_RELAXED);
    if (!ok) {
        __atomic_add_fetch(&check_failures_, 1, __ATOMIC_RELAXED);
        fprintf(stderr, "%s:%d: check failed: ", file, line);
    }
    return ok;
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!check_record_(!!(cond), __FILE__, __LINE__)) fprintf(stderr, "%s\n", #cond);          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                            \
        if (!check_record_(check_a_ == check_b_, __FILE__, __LINE__))                              \
            fprintf(stderr, "%s == %s: %lld != %lld\n", #a, #b, check_a_, check_b_);               \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *check_a_ = (a), *check_b_ = (b);                                               \
        int check_ok_ =                                                                            \
            check_a_ && check_b_ ? strcmp(check_a_, check_b_) == 0 : check_a_ == check_b_;         \
        if (!check_record_(check_ok_, __FILE__, __LINE__))                                         \
            fprintf(stderr, "%s == %s: \"%s\" != \"%s\"\n", #a, #b,                                \
                    check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");               \
    } while (0)

#define CHECK_CONTAINS(haystack, needle)                                                           \
    do {                                                                                           \
        const char *check_h_ = (haystack), *check_n_ = (needle);                                   \
        int check_ok_ = check_h_ && check_n_ && strstr(check_h_, check_n_) != NULL;                \
        if (!check_record_(check_ok_, __FILE__, __LINE__))                                         \
            fprintf(stderr, "%s contains %s: \"%s\" does not contain \"%s\"\n", #haystack,         \
                    #needle, check_h_ ? check_h_ : "(null)", check_n_ ? check_n_ : "(null)");      \
    } while (0)

/* Prints "<file>: N checks, M failed" and returns the exit status for main(). */
#define CHECK_DONE() check_done_(__FILE__)

static inline int check_done_(const char *file)
{
    const char *base = strrchr(file, '/');
    int failures = __atomic_load_n(&check_failures_, __ATOMIC_RELAXED);
    printf("%s: %d checks, %d failed\n", base ? base + 1 : file,
           __atomic_load_n(&check_count_, __ATOMIC_RELAXED), failures);
    fflush(stdout);
    return failures ? 1 : 0;
}

#endif
