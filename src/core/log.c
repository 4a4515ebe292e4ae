/*
 * Logging: one line per call, written with one write(2) per destination while a lock
 * is held, so that lines from different threads never interleave.
 */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int sy_log_level = SY_LOG_INFO;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static bool log_timestamps;
static int log_fd = -1; /* the optional log file */

static const char *const level_prefix[] = {
    [SY_LOG_NONE] = "",        [SY_LOG_FATAL] = "[FATAL] ", [SY_LOG_ERR] = "[ERR] ",
    [SY_LOG_WARN] = "[WARN] ", [SY_LOG_INFO] = "",          [SY_LOG_VERB] = "",
    [SY_LOG_HUGE] = "",        [SY_LOG_DBG] = "",
};

void sy_log_set_level(int level)
{
    if (level < SY_LOG_NONE) level = SY_LOG_NONE;
    if (level > SY_LOG_DBG) level = SY_LOG_DBG;
    sy_log_level = level;
}

void sy_log_set_timestamps(bool on)
{
    log_timestamps = on;
}

int sy_log_set_file(const char *path)
{
    int fd = -1;
    if (path && *path) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) return -1;
    }
    pthread_mutex_lock(&log_lock);
    int old = log_fd;
    log_fd = fd;
    pthread_mutex_unlock(&log_lock);
    if (old >= 0) close(old);
    return 0;
}

void sy_log_close(void)
{
    sy_log_set_file(NULL);
}

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* "[2024-05-01T12:34:56.789+02:00] " (local time); returns the length written. */
static size_t format_timestamp(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    char date[32], zone[8];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    if (strftime(zone, sizeof(zone), "%z", &tm) != 5) strcpy(zone, "+0000");
    int n = snprintf(buf, size, "[%s.%03ld%.3s:%s] ", date, ts.tv_nsec / 1000000L, zone, zone + 3);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* Returns false if the line must be dropped; otherwise *suppressed is the number of
 * lines dropped at this call site since the last line that passed. */
static bool rate_limit_pass(sy_log_limit *limit, uint32_t *suppressed)
{
    *suppressed = 0;
    if (!limit) return true;
    uint64_t now = monotonic_ms();
    if (limit->count == 0 || now - limit->window_start_ms >= 1000) {
        limit->window_start_ms = now;
        limit->count = 0;
    }
    if (limit->count >= SY_LOG_BURST) {
        limit->suppressed++;
        return false;
    }
    limit->count++;
    *suppressed = limit->suppressed;
    limit->suppressed = 0;
    return true;
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        buf += n;
        len -= (size_t)n;
    }
}

void sy_log_write(int level, sy_log_limit *limit, const char *fmt, ...)
{
    if (level > sy_log_level) return;
    if (level < SY_LOG_NONE) level = SY_LOG_NONE;
    if (level > SY_LOG_DBG) level = SY_LOG_DBG;

    /* Format outside the lock: [timestamp][prefix]message[ (N ...)]\n */
    char stack[1024];
    char *line = stack;
    size_t head = log_timestamps ? format_timestamp(stack, sizeof(stack)) : 0;
    const char *prefix = level_prefix[level];
    size_t plen = strlen(prefix);
    memcpy(stack + head, prefix, plen);
    head += plen;

    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int mlen = vsnprintf(stack + head, sizeof(stack) - head, fmt, ap);
    va_end(ap);
    if (mlen < 0) mlen = 0;
    const size_t tail_room = 64; /* the suppressed notice and the newline */
    if (head + (size_t)mlen + tail_room > sizeof(stack)) {
        line = malloc(head + (size_t)mlen + tail_room);
        if (line) {
            memcpy(line, stack, head);
            vsnprintf(line + head, (size_t)mlen + 1, fmt, ap2);
        } else {
            line = stack; /* truncated */
            mlen = (int)(sizeof(stack) - head - tail_room);
        }
    }
    va_end(ap2);
    size_t len = head + (size_t)mlen;
    while (len > head && line[len - 1] == '\n')
        len--;

    pthread_mutex_lock(&log_lock);
    uint32_t suppressed;
    if (rate_limit_pass(limit, &suppressed)) {
        if (suppressed)
            len += (size_t)snprintf(line + len, tail_room, " (%u similar messages suppressed)",
                                    suppressed);
        line[len++] = '\n';
        write_all(STDOUT_FILENO, line, len);
        if (log_fd >= 0) write_all(log_fd, line, len);
    }
    pthread_mutex_unlock(&log_lock);
    if (line != stack) free(line);
}
