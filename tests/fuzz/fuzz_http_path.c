/* Fuzz target: our HTTP input handling beyond lws's parser: REST path IDs and static
 * file resolution against a fixed folder (must never resolve outside it). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transports/tr_internal.h"

static char root[PATH_MAX];

static void cleanup(void)
{
    char p[PATH_MAX + 16];
    snprintf(p, sizeof(p), "%s/index.html", root);
    remove(p);
    remove(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) {
        atexit(cleanup);
        char base[] = "/tmp/sy-fuzz-static-XXXXXX";
        if (!mkdtemp(base)) abort();
        snprintf(root, sizeof(root), "%s", base);
        char p[PATH_MAX + 16];
        snprintf(p, sizeof(p), "%s/index.html", root);
        FILE *f = fopen(p, "w");
        if (f) fclose(f);
    }
    uint64_t id = 0;
    if (sy_tr_parse_id((const char *)data, size, &id) && (id == 0 || id > UINT64_C(0x1FFFFFFFFFFFFF)))
        abort();
    char *path = sy_static_resolve(root, (const char *)data, size);
    if (path && strncmp(path, root, strlen(root)) != 0) abort(); /* escaped the folder */
    free(path);
    /* sy_static_mime takes the resolved, NUL-terminated path. */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    sy_static_mime(text);
    free(text);
    return 0;
}
