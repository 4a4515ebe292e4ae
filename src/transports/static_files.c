/*
 * Static files from html_dir on the HTTP API listeners (paths outside base_path):
 * GET and HEAD, "/" and folders -> index.html, Content-Type by extension.
 *
 * Path safety: lws has already URL-decoded (and normalised) the path. We still refuse
 * NUL bytes, "." / ".." segments and hidden names (".git"), then realpath() the result
 * and require it to be a regular file inside the realpath of html_dir, so neither
 * encoded dots nor symlinks can lead outside the folder.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/log.h"
#include "tr_internal.h"

static const struct {
    const char *ext;
    const char *mime;
} sy_static_mimes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"svg", "image/svg+xml"},
    {"ico", "image/x-icon"},
    {"wasm", "application/wasm"},
    {"txt", "text/plain; charset=utf-8"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
};

const char *sy_static_mime(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    if (dot && (!slash || dot > slash)) {
        for (size_t i = 0; i < sizeof(sy_static_mimes) / sizeof(sy_static_mimes[0]); i++)
            if (!strcasecmp(dot + 1, sy_static_mimes[i].ext)) return sy_static_mimes[i].mime;
    }
    return "application/octet-stream";
}

/* Each segment of uri must be a plain, non-hidden name. */
static bool sy_static_segments_ok(const char *uri, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (uri[i] == '/') {
            i++;
            continue;
        }
        size_t s = i;
        while (i < len && uri[i] != '/')
            i++;
        if (uri[s] == '.') /* ".", "..", ".git", ... */
            return false;
        for (size_t k = s; k < i; k++)
            if (uri[k] == '\\' || (unsigned char)uri[k] < 0x20) return false;
    }
    return true;
}

static bool sy_static_inside(const char *root, const char *real)
{
    size_t rl = strlen(root);
    if (rl == 1 && root[0] == '/') return real[0] == '/';
    return strncmp(real, root, rl) == 0 && real[rl] == '/';
}

char *sy_static_resolve(const char *root, const char *uri, size_t len)
{
    if (!root || !uri || len == 0 || uri[0] != '/' || memchr(uri, '\0', len)) return NULL;
    if (len >= PATH_MAX - strlen(root) - sizeof("/index.html")) return NULL;
    if (!sy_static_segments_ok(uri, len)) return NULL;

    char path[PATH_MAX];
    size_t rl = strlen(root);
    memcpy(path, root, rl);
    memcpy(path + rl, uri, len);
    size_t pl = rl + len;
    path[pl] = '\0';
    if (uri[len - 1] == '/') {
        memcpy(path + pl, "index.html", sizeof("index.html"));
    }

    char *real = realpath(path, NULL);
    if (!real) return NULL;
    struct stat st;
    if (!sy_static_inside(root, real) || stat(real, &st) != 0) {
        free(real);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        /* A folder without the trailing slash: its index.html. */
        size_t l = strlen(real);
        if (l + sizeof("/index.html") > PATH_MAX) {
            free(real);
            return NULL;
        }
        memcpy(path, real, l);
        memcpy(path + l, "/index.html", sizeof("/index.html"));
        free(real);
        real = realpath(path, NULL);
        if (!real || !sy_static_inside(root, real) || stat(real, &st) != 0) {
            free(real);
            return NULL;
        }
    }
    if (!S_ISREG(st.st_mode)) {
        free(real);
        return NULL;
    }
    return real;
}

int sy_static_serve(struct lws *wsi, sy_http_pss *pss, const char *uri, size_t len, bool head)
{
    (void)head;
    char *path = sy_static_resolve(sy_tr.html_root, uri, len);
    if (!path) {
        SY_DEBUG("http: static file not found or refused");
        sy_http_respond_str(pss, 404, "text/plain; charset=utf-8", "Not Found\n");
        return 0;
    }
    unsigned char hdr[256];
    unsigned char *p = hdr, *end = hdr + sizeof(hdr) - 1;
    static const char nosniff[] = "nosniff";
    static const char nocache[] = "no-cache";
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
                                    (const unsigned char *)nosniff, sizeof(nosniff) - 1, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)nocache, sizeof(nocache) - 1, &p, end)) {
        free(path);
        return -1;
    }
    int n = lws_serve_http_file(wsi, path, sy_static_mime(path), (const char *)hdr, (int)(p - hdr));
    free(path);
    if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi))) return -1;
    return 0;
}
