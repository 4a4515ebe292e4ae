/* Small bounded scanners shared by the SDP files (see sdp_internal.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sdp_internal.h"

int sy_sdpi_err(char *err, size_t err_len, int code, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return code;
}

bool sy_sdpi_parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    if (!s || n == 0 || n > 20) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (v > max) return false;
    *out = v;
    return true;
}

bool sy_sdpi_parse_uint_str(const char *s, uint64_t max, uint64_t *out)
{
    return s && sy_sdpi_parse_uint(s, strlen(s), max, out);
}

const char *sy_sdpi_skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

const char *sy_sdpi_token(const char **p, const char *end, size_t *n)
{
    const char *s = sy_sdpi_skip_space(*p, end);
    if (s >= end) {
        *p = end;
        *n = 0;
        return NULL;
    }
    const char *e = s;
    while (e < end && *e != ' ' && *e != '\t')
        e++;
    *n = (size_t)(e - s);
    *p = e;
    return s;
}

bool sy_sdpi_span_eq(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(p, lit, n) == 0;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool sy_sdpi_span_ieq(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (n != l) return false;
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != lower(lit[i])) return false;
    return true;
}

bool sy_sdpi_copy(char *dst, size_t cap, const char *p, size_t n)
{
    if (n >= cap) {
        if (cap) dst[0] = '\0';
        return false;
    }
    memcpy(dst, p, n);
    dst[n] = '\0';
    return true;
}

bool sy_sdpi_is_token_char(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d ||
           c == 0x2e || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) ||
           (c >= 0x5e && c <= 0x7e);
}

bool sy_sdpi_is_token(const char *p, size_t n)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!sy_sdpi_is_token_char((unsigned char)p[i])) return false;
    return true;
}

bool sy_sdpi_is_proto(const char *p, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == '/') {
            if (i == start) return false; /* empty part */
            start = i + 1;
        } else if (!sy_sdpi_is_token_char((unsigned char)p[i])) {
            return false;
        }
    }
    return true;
}

bool sy_sdpi_is_address(const char *p, size_t n)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] != ':' && !sy_sdpi_is_token_char((unsigned char)p[i])) return false;
    return true;
}
