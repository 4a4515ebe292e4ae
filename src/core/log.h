/*
 * Logging with levels, optional timestamps and per-call-site rate limiting.
 * Thread-safe: one write(2) per line.
 *
 * Levels follow Janus's debug_level scale so its users keep their settings:
 *   0 none, 1 fatal, 2 error, 3 warn, 4 info (default), 5 verb, 6 huge, 7 debug.
 */
#ifndef SY_LOG_H
#define SY_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum {
    SY_LOG_NONE = 0,
    SY_LOG_FATAL = 1,
    SY_LOG_ERR = 2,
    SY_LOG_WARN = 3,
    SY_LOG_INFO = 4,
    SY_LOG_VERB = 5,
    SY_LOG_HUGE = 6,
    SY_LOG_DBG = 7,
};

/* Per-call-site rate limit: at most SY_LOG_BURST lines per 1 s window; the rest are
 * counted and reported with the next line that passes. Zero-initialise. */
typedef struct sy_log_limit {
    uint64_t window_start_ms;
    uint32_t count;
    uint32_t suppressed;
} sy_log_limit;

extern int sy_log_level;

void sy_log_set_level(int level);
void sy_log_set_timestamps(bool on);
/* Also append to this file (NULL: stdout only). Returns 0 or -1. */
int sy_log_set_file(const char *path);
void sy_log_close(void);

/* Writes one line (a trailing newline in fmt is optional) to stdout and the log file.
 * limit: the call site's rate limit, or NULL for no rate limit (e.g. start-up
 * messages that must all be seen). Messages above sy_log_level are dropped. */
void sy_log_write(int level, sy_log_limit *limit, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* At most SY_LOG_BURST lines per second per call site; the rest are counted and
 * reported with the next line that passes. */
#define SY_LOG_BURST 10

#define SY_LOG(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= sy_log_level) {                                                             \
            static sy_log_limit sy_log_limit_;                                                     \
            sy_log_write((level), &sy_log_limit_, __VA_ARGS__);                                    \
        }                                                                                          \
    } while (0)

#define SY_FATAL(...) SY_LOG(SY_LOG_FATAL, __VA_ARGS__)
#define SY_ERROR(...) SY_LOG(SY_LOG_ERR, __VA_ARGS__)
#define SY_WARN(...) SY_LOG(SY_LOG_WARN, __VA_ARGS__)
#define SY_INFO(...) SY_LOG(SY_LOG_INFO, __VA_ARGS__)
#define SY_VERB(...) SY_LOG(SY_LOG_VERB, __VA_ARGS__)
#define SY_HUGE(...) SY_LOG(SY_LOG_HUGE, __VA_ARGS__)
#define SY_DEBUG(...) SY_LOG(SY_LOG_DBG, __VA_ARGS__)

#endif
