/* Unit tests: the parts of HTTP input handling that are ours (lws parses HTTP):
 * static-file path resolution (no traversal, no symlink escape, no hidden files),
 * content types, and the strict decimal IDs of REST paths. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "transports/tr_internal.h"

static char root[PATH_MAX];

static void write_file(const char *rel, const char *text)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int resolves(const char *uri, size_t len)
{
    char *p = sy_static_resolve(root, uri, len);
    int ok = p != NULL && strncmp(p, root, strlen(root)) == 0;
    free(p);
    return ok;
}
#define RESOLVES(u) resolves((u), strlen(u))

int main(void)
{
    char base[] = "/tmp/sy-static-XXXXXX";
    CHECK(mkdtemp(base) != NULL);
    snprintf(root, sizeof(root), "%s/html", base);
    mkdir(root, 0700);
    char sub[PATH_MAX + 8], secret[PATH_MAX + 16], link[PATH_MAX + 16];
    snprintf(sub, sizeof(sub), "%s/sub", root);
    mkdir(sub, 0700);
    write_file("index.html", "<p>hi</p>");
    write_file("app.js", "1");
    write_file("sub/index.html", "<p>sub</p>");
    write_file(".hidden", "x");
    snprintf(secret, sizeof(secret), "%s/secret.txt", base);
    FILE *f = fopen(secret, "w");
    if (f) fclose(f);
    snprintf(link, sizeof(link), "%s/link.txt", root);
    CHECK(symlink(secret, link) == 0);
    char *real = realpath(root, NULL);
    snprintf(root, sizeof(root), "%s", real);
    free(real);

    CHECK(RESOLVES("/"));
    CHECK(RESOLVES("/index.html"));
    CHECK(RESOLVES("/app.js"));
    CHECK(RESOLVES("/sub"));
    CHECK(RESOLVES("/sub/"));
    CHECK(!RESOLVES("/../secret.txt"));
    CHECK(!RESOLVES("/sub/../../secret.txt"));
    CHECK(!RESOLVES("/%2e%2e/secret.txt"));
    CHECK(!RESOLVES("/link.txt")); /* symlink escaping the folder */
    CHECK(!RESOLVES("/.hidden"));
    CHECK(!RESOLVES("//etc/passwd"));
    CHECK(!RESOLVES("/a\\b"));
    CHECK(!RESOLVES("relative"));
    CHECK(!RESOLVES("/nonexistent"));
    CHECK(!resolves("/index.html\0x", 13)); /* NUL inside the path */

    uint64_t v = 0;
    CHECK(sy_tr_parse_id("1", 1, &v) && v == 1);
    CHECK(sy_tr_parse_id("9007199254740991", 16, &v) && v == UINT64_C(9007199254740991));
    CHECK(!sy_tr_parse_id("9007199254740992", 16, &v)); /* beyond 53 bits */
    CHECK(!sy_tr_parse_id("99999999999999999999", 20, &v));
    CHECK(!sy_tr_parse_id("0", 1, &v));
    CHECK(!sy_tr_parse_id("012", 3, &v));
    CHECK(!sy_tr_parse_id("-1", 2, &v));
    CHECK(!sy_tr_parse_id("+1", 2, &v));
    CHECK(!sy_tr_parse_id("1a", 2, &v));
    CHECK(!sy_tr_parse_id("", 0, &v));
    CHECK(!sy_tr_parse_id(" 1", 2, &v));

    CHECK_CONTAINS(sy_static_mime("/a/b.JS"), "javascript");
    CHECK_CONTAINS(sy_static_mime("/index.html"), "text/html");
    CHECK_CONTAINS(sy_static_mime("/x.css"), "text/css");
    CHECK_STR(sy_static_mime("/x.wasm"), "application/wasm");
    CHECK_STR(sy_static_mime("/a.b/c"), "application/octet-stream");

    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
    CHECK(system(cmd) == 0);
    return CHECK_DONE();
}
