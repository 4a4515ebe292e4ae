/*
 * Helpers shared by the sdp*.c files (not part of the public API): error messages,
 * bounded number and token scanning over (pointer, length), fixed-buffer copies.
 */
#ifndef SY_PROTOCOL_SDP_INTERNAL_H
#define SY_PROTOCOL_SDP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp.h"

/* Formats a message into err (if err and err_len are set) and returns code. */
int sy_sdpi_err(char *err, size_t err_len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parses n bytes of decimal digits (no sign, no spaces, 1..20 digits) into *out; false
 * if empty, not all digits, or above max. */
bool sy_sdpi_parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out);

/* The same for a whole NUL-terminated string. */
bool sy_sdpi_parse_uint_str(const char *s, uint64_t max, uint64_t *out);

/* Next space-separated token of [*p, end): returns its start and length in *n, and
 * moves *p past it; NULL when no token is left. Runs of spaces (and tabs) separate. */
const char *sy_sdpi_token(const char **p, const char *end, size_t *n);

/* The rest of [p, end) after skipping spaces and tabs. */
const char *sy_sdpi_skip_space(const char *p, const char *end);

/* True if the span equals the literal exactly / ignoring ASCII case. */
bool sy_sdpi_span_eq(const char *p, size_t n, const char *lit);
bool sy_sdpi_span_ieq(const char *p, size_t n, const char *lit);

/* Copies the span into dst (cap bytes, NUL-terminated); false (dst = "") if it does not
 * fit. */
bool sy_sdpi_copy(char *dst, size_t cap, const char *p, size_t n);

/* RFC 8866 token-char. */
bool sy_sdpi_is_token_char(unsigned char c);

/* True if every byte of the span is a token-char and the span is not empty. */
bool sy_sdpi_is_token(const char *p, size_t n);

/* An address in c= / o=: token characters and ':' (IPv6), not empty. */
bool sy_sdpi_is_address(const char *p, size_t n);

/* RFC 8866 proto: tokens separated by '/' ("UDP/TLS/RTP/SAVPF"). */
bool sy_sdpi_is_proto(const char *p, size_t n);

/* True if the byte may appear in a line value: not a control character (tab allowed). */
static inline bool sy_sdpi_is_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Model internals (sdp.c) for the parser and copy: the strings passed in already live
 * in the arena and were checked. */
const char *sy_sdpi_strndup(sy_sdp *sdp, const char *s, size_t n);
int sy_sdpi_insert_raw(sy_sdp *sdp, sy_sdp_section *sec, size_t pos, char type, const char *name,
                       const char *value);
sy_sdp_media *sy_sdpi_add_media_raw(sy_sdp *sdp, const char *media, uint16_t port,
                                    uint16_t port_count, const char *proto);
int sy_sdpi_set_formats_raw(sy_sdp *sdp, sy_sdp_media *m, const char *const *fmts, size_t n);

#endif
