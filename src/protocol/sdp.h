/*
 * SDP (RFC 8866) as a lossless model: parse text into an ordered list of lines per
 * section, edit it, write it back with CRLF endings.
 *
 * The model keeps every line in the order it came, so parse -> write -> parse gives an
 * equal model (the property the fuzzer checks). Attribute lines ("a=") are kept as
 * name + value; the m= line is split into its fields; every other line is kept as its
 * type letter and the text after '='. What the lines mean is read through the typed
 * accessors of sdp_attr.h, and in bulk by sy_sdp_extract() (sdp_extract.h).
 *
 * Ownership: one sy_sdp owns all of its strings (an arena freed by sy_sdp_free). Every
 * const char * reached through a sy_sdp stays valid until sy_sdp_free; pointers to
 * lines (sy_sdp_line *) and media sections (sy_sdp_media *) stay valid only until the
 * next call that adds or removes lines or sections.
 *
 * Errors: functions that can fail return 0 or a negative SY_SDP_E* code and, when
 * given an err buffer, write a one-line reason into it, fit for a 465 "Invalid SDP"
 * reply. err may be NULL.
 */
#ifndef SY_PROTOCOL_SDP_H
#define SY_PROTOCOL_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits on input, checked by sy_sdp_parse. The editing functions keep to the line,
 * section and format limits; only the total size of an edited model is not checked. */
#define SY_SDP_MAX_SIZE (256 * 1024)  /* bytes of text, counted as written with CRLF */
#define SY_SDP_MAX_LINES 10000        /* lines in total, as Janus */
#define SY_SDP_MAX_LINE_LEN 4096      /* bytes per line, without the line ending */
#define SY_SDP_MAX_MEDIA 128          /* m-sections: room for a large multistream subscriber */
#define SY_SDP_MAX_SECTION_LINES 1024 /* lines in one section (session or media) */
#define SY_SDP_MAX_FORMATS 128        /* formats on one m= line (RTP payload types are 0..127) */

/* Return codes. */
enum {
    SY_SDP_OK = 0,
    SY_SDP_EINVAL = -1, /* malformed input or argument */
    SY_SDP_ELIMIT = -2, /* input over one of the limits above */
    SY_SDP_ENOMEM = -3, /* allocation failed */
};

typedef enum {
    SY_SDP_AUDIO,
    SY_SDP_VIDEO,
    SY_SDP_APPLICATION,
    SY_SDP_OTHER, /* any other m= media token ("text", "message", ...) */
} sy_sdp_media_type;

/* One line. For "a=" lines type is 'a', name the attribute name (never NULL) and value
 * the text after the first ':' (NULL for a property attribute such as "a=rtcp-mux";
 * "" for "a=name:"). For other lines name is NULL and value the text after '='. */
typedef struct {
    char type;
    const char *name;
    const char *value;
} sy_sdp_line;

/* The lines of the session part or of one media section, in order. For a media section
 * the m= line itself is not among them (see sy_sdp_media). cap is private. */
typedef struct {
    sy_sdp_line *lines;
    size_t n_lines;
    size_t cap;
} sy_sdp_section;

/* One m-section: "m=<media> <port>[/<port_count>] <proto> <fmt> ..." plus its lines. */
typedef struct {
    sy_sdp_media_type type;
    const char *media;   /* the token as written: "audio", "video", "application", ... */
    uint16_t port;       /* 0 = rejected / disabled */
    uint16_t port_count; /* the "/n" after the port, 0 when absent */
    const char *proto;   /* "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ... */
    const char **fmts;   /* formats; for RTP protocols canonical decimal payload types */
    size_t n_fmts;
    sy_sdp_section sec;
} sy_sdp_media;

typedef struct sy_sdp_arena sy_sdp_arena;

/* A session description. The session part holds v=, o=, s=, t= and the other
 * session-level lines in order. arena is private. */
typedef struct {
    sy_sdp_section session;
    sy_sdp_media *media;
    size_t n_media;
    size_t cap_media;
    sy_sdp_arena *arena;
} sy_sdp;

/* ---- parse, write, compare ---- */

/* Parses len bytes of SDP text (need not be NUL-terminated; LF or CRLF line endings;
 * blank lines skipped). Checks the structure: v=0 first; exactly one o= and s=, at
 * least one t=, all well-formed; c= lines well-formed; m= lines with media, port, proto
 * and at least one format (RTP formats must be payload types 0..127, no duplicates);
 * v=/o=/s=/t= not inside a media section; attribute names are tokens; no control
 * characters; the limits above. Attribute values are not interpreted here (see
 * sy_sdp_extract). On success *out gets a new model the caller frees with sy_sdp_free.
 * On error *out is NULL and err says what and on which line. */
int sy_sdp_parse(const char *text, size_t len, sy_sdp **out, char *err, size_t err_len);

/* Writes the model as SDP text with CRLF line endings: the session lines, then per
 * media section its m= line and lines. Returns a malloc'd NUL-terminated string the
 * caller frees with free(), and its length in *len (if len is not NULL); NULL if
 * allocation fails. The output of a parsed model is never longer than its input with
 * CRLF line endings, so never over SY_SDP_MAX_SIZE: it always parses again. */
char *sy_sdp_write(const sy_sdp *sdp, size_t *len);

/* True if the two models hold the same lines in the same order (names and values
 * compared exactly, a missing value differs from an empty one). */
bool sy_sdp_equal(const sy_sdp *a, const sy_sdp *b);

/* ---- building and editing ---- */

/* A new empty model (no lines, no media) for the builders; NULL if allocation fails. */
sy_sdp *sy_sdp_new(void);

/* Frees the model and everything it owns. NULL is allowed. */
void sy_sdp_free(sy_sdp *sdp);

/* A deep copy of the model; NULL if allocation fails. */
sy_sdp *sy_sdp_copy(const sy_sdp *sdp);

/* Copies a string into the model's arena (so it lives as long as the model); NULL if
 * allocation fails. */
const char *sy_sdp_strdup(sy_sdp *sdp, const char *s);

/* Inserts a line at position pos of sec (pos >= n_lines appends). type is the line
 * letter; for 'a' lines name is the attribute name and value may be NULL (property
 * attribute); for other lines name must be NULL and value is the whole text after '='.
 * Strings are copied. SY_SDP_EINVAL if the name is not a token, the value holds control
 * characters (CR and LF included) or type is 'm'; SY_SDP_ELIMIT past the limits. */
int sy_sdp_insert_line(sy_sdp *sdp, sy_sdp_section *sec, size_t pos, char type, const char *name,
                       const char *value);

/* Appends "a=name[:value]" to sec. Same rules as sy_sdp_insert_line. */
int sy_sdp_add_attr(sy_sdp *sdp, sy_sdp_section *sec, const char *name, const char *value);

/* Appends "a=name:<printf output>" to sec. Same rules as sy_sdp_insert_line. */
int sy_sdp_add_attrf(sy_sdp *sdp, sy_sdp_section *sec, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends a non-attribute line ("c=...", "b=...", "t=...") to sec. */
int sy_sdp_add_line(sy_sdp *sdp, sy_sdp_section *sec, char type, const char *value);

/* Replaces the value of line pos of sec (keeps its type and name). */
int sy_sdp_set_value(sy_sdp *sdp, sy_sdp_section *sec, size_t pos, const char *value);

/* Removes line pos of sec (nothing if pos is out of range). */
void sy_sdp_remove_line(sy_sdp_section *sec, size_t pos);

/* Removes every attribute named name (case-insensitive) from sec; returns how many. */
size_t sy_sdp_remove_attrs(sy_sdp_section *sec, const char *name);

/* Removes every non-attribute line of the given type from sec; returns how many. */
size_t sy_sdp_remove_lines(sy_sdp_section *sec, char type);

/* Appends an m-section with no formats and no lines. media is the m= token; its type
 * is derived from it. Returns the new section (valid until sections are added or
 * removed) or NULL (bad token or proto, too many sections, allocation). Add at least
 * one format before writing, or the output will not parse. */
sy_sdp_media *sy_sdp_add_media(sy_sdp *sdp, const char *media, uint16_t port, const char *proto);

/* Appends a format to the m= line of m (copied). SY_SDP_EINVAL for a non-token or, on an
 * RTP protocol, a duplicate or a value that is not a payload type; SY_SDP_ELIMIT past
 * SY_SDP_MAX_FORMATS. */
int sy_sdp_media_add_format(sy_sdp *sdp, sy_sdp_media *m, const char *fmt);

/* Removes all formats from the m= line of m. */
void sy_sdp_media_clear_formats(sy_sdp_media *m);

/* ---- lookups ---- */

/* The index of the first attribute named name (case-insensitive) at or after *pos in
 * sec, or -1 if none; *pos is left at the index found, so that
 *   for (size_t i = 0; sy_sdp_find_attr(sec, "rtpmap", &i) >= 0; i++) ... sec->lines[i]
 * walks all of them. pos may be NULL (search from the start). */
long sy_sdp_find_attr(const sy_sdp_section *sec, const char *name, size_t *pos);

/* The value of the first attribute named name in sec, or NULL if absent or valueless. */
const char *sy_sdp_attr_value(const sy_sdp_section *sec, const char *name);

/* True if sec has an attribute named name. */
bool sy_sdp_has_attr(const sy_sdp_section *sec, const char *name);

/* The value of the first non-attribute line of the given type ('c', 'o', ...) in sec. */
const char *sy_sdp_line_value(const sy_sdp_section *sec, char type);

/* The media section whose a=mid is mid, or NULL. */
sy_sdp_media *sy_sdp_media_by_mid(const sy_sdp *sdp, const char *mid);

/* The media type for an m= token ("audio" -> SY_SDP_AUDIO, unknown -> SY_SDP_OTHER), and
 * the token for a type (SY_SDP_OTHER -> "other"). */
sy_sdp_media_type sy_sdp_media_type_from_name(const char *media);
const char *sy_sdp_media_type_name(sy_sdp_media_type type);

/* True if proto is an RTP protocol (its formats are payload types): it contains "RTP/". */
bool sy_sdp_proto_is_rtp(const char *proto);

#endif
