#include "api/auth.h"

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *api_secret;
static char *signed_secret;
static sy_auth_mode token_mode;
/* token -> GPtrArray of package strings (stored mode). */
static GHashTable *tokens;

static void plugins_free(gpointer p) { g_ptr_array_free(p, TRUE); }

void sy_auth_init(const char *secret, bool token_auth, const char *signed_key)
{
    sy_auth_shutdown();
    api_secret = (secret && *secret) ? strdup(secret) : NULL;
    token_mode = SY_AUTH_TOKENS_OFF;
    if (token_auth) {
        if (signed_key && *signed_key) {
            signed_secret = strdup(signed_key);
            token_mode = SY_AUTH_TOKENS_SIGNED;
        } else {
            token_mode = SY_AUTH_TOKENS_STORED;
        }
    }
    tokens = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, plugins_free);
}

void sy_auth_shutdown(void)
{
    free(api_secret);
    api_secret = NULL;
    free(signed_secret);
    signed_secret = NULL;
    if (tokens) g_hash_table_destroy(tokens);
    tokens = NULL;
    token_mode = SY_AUTH_TOKENS_OFF;
}

sy_auth_mode sy_auth_token_mode(void) { return token_mode; }
bool sy_auth_has_api_secret(void) { return api_secret != NULL; }
bool sy_auth_enabled(void) { return api_secret != NULL || token_mode != SY_AUTH_TOKENS_OFF; }

bool sy_auth_secret_equal(const char *a, const char *b)
{
    if (!a || !b) return false;
    size_t la = strlen(a), lb = strlen(b);
    /* Compare over the longer length so that the time depends on lengths only. */
    size_t n = la > lb ? la : lb;
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < n; i++) {
        unsigned char ca = i < la ? (unsigned char)a[i] : 0;
        unsigned char cb = i < lb ? (unsigned char)b[i] : 0;
        diff |= ca ^ cb;
    }
    return diff == 0;
}

/* Splits "<data>:<sig>" with data "<expiry>,<realm>[,item...]". Returns the parts in
 * a NULL-terminated vector (g_strfreev) or NULL when malformed. */
static gchar **signature_fields(const char *token, gchar **sig_out, gchar **data_out)
{
    const char *colon = strchr(token, ':');
    if (!colon || strchr(colon + 1, ':')) return NULL;
    gchar *data = g_strndup(token, (gsize)(colon - token));
    gchar **fields = g_strsplit(data, ",", -1);
    if (!fields[0] || !fields[1]) {
        g_strfreev(fields);
        g_free(data);
        return NULL;
    }
    *sig_out = g_strdup(colon + 1);
    *data_out = data;
    return fields;
}

static char *signature_b64(const char *secret, const char *data)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)data,
              strlen(data), mac, &mac_len))
        return NULL;
    char *out = malloc(4 * ((mac_len + 2) / 3) + 1);
    if (!out) return NULL;
    EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len);
    return out;
}

/* Returns the field vector when the token verifies (caller g_strfreev), else NULL. */
static gchar **signature_verify(const char *secret, const char *token, const char *realm,
                                int64_t now)
{
    if (!secret || !token || !realm) return NULL;
    gchar *sig = NULL, *data = NULL;
    gchar **fields = signature_fields(token, &sig, &data);
    if (!fields) return NULL;
    bool ok = false;
    char *end = NULL;
    long long expiry = strtoll(fields[0], &end, 10);
    if (end != fields[0] && *end == '\0' && expiry >= 0 && now <= expiry &&
        strcmp(fields[1], realm) == 0) {
        char *expected = signature_b64(secret, data);
        ok = expected && sy_auth_secret_equal(expected, sig);
        free(expected);
    }
    g_free(sig);
    g_free(data);
    if (!ok) {
        g_strfreev(fields);
        return NULL;
    }
    return fields;
}

bool sy_auth_signature_valid(const char *secret, const char *token, const char *realm,
                             int64_t now)
{
    gchar **fields = signature_verify(secret, token, realm, now);
    g_strfreev(fields);
    return fields != NULL;
}

bool sy_auth_signature_contains(const char *secret, const char *token, const char *realm,
                                const char *item, int64_t now)
{
    gchar **fields = signature_verify(secret, token, realm, now);
    if (!fields) return false;
    bool found = false;
    for (int i = 2; fields[i]; i++)
        if (item && strcmp(fields[i], item) == 0) found = true;
    g_strfreev(fields);
    return found;
}

char *sy_auth_signature_make(const char *secret, int64_t expiry, const char *realm,
                             const char *const *items, size_t n_items)
{
    GString *data = g_string_new(NULL);
    g_string_printf(data, "%lld,%s", (long long)expiry, realm);
    for (size_t i = 0; i < n_items; i++) g_string_append_printf(data, ",%s", items[i]);
    char *sig = signature_b64(secret, data->str);
    char *out = NULL;
    if (sig) {
        size_t n = data->len + 1 + strlen(sig) + 1;
        out = malloc(n);
        if (out) snprintf(out, n, "%s:%s", data->str, sig);
    }
    free(sig);
    g_string_free(data, TRUE);
    return out;
}

static int64_t now_unix(void) { return (int64_t)time(NULL); }

bool sy_auth_plugin_signature_valid(const char *package, const char *token)
{
    if (token_mode != SY_AUTH_TOKENS_SIGNED || !package) return false;
    /* Plugins use their package's realm (e.g. "janus.plugin.videoroom"). */
    return sy_auth_signature_valid(signed_secret, token, package, now_unix());
}

bool sy_auth_plugin_signature_contains(const char *package, const char *token,
                                       const char *item)
{
    if (token_mode != SY_AUTH_TOKENS_SIGNED || !package) return false;
    return sy_auth_signature_contains(signed_secret, token, package, item, now_unix());
}

static bool token_valid(const char *token)
{
    if (!token) return false;
    switch (token_mode) {
    case SY_AUTH_TOKENS_STORED: return g_hash_table_contains(tokens, token);
    case SY_AUTH_TOKENS_SIGNED:
        return sy_auth_signature_valid(signed_secret, token, "janus", now_unix());
    default: return false;
    }
}

bool sy_auth_check(const char *apisecret, const char *token, bool *by_token)
{
    if (by_token) *by_token = false;
    if (!sy_auth_enabled()) return true;
    if (api_secret && sy_auth_secret_equal(api_secret, apisecret)) return true;
    if (token_mode != SY_AUTH_TOKENS_OFF && token_valid(token)) {
        if (by_token) *by_token = true;
        return true;
    }
    return false;
}

bool sy_auth_token_allows_plugin(const char *token, const char *package)
{
    if (token_mode == SY_AUTH_TOKENS_SIGNED)
        return sy_auth_signature_contains(signed_secret, token, "janus", package, now_unix());
    if (token_mode != SY_AUTH_TOKENS_STORED || !token) return token_mode == SY_AUTH_TOKENS_OFF;
    GPtrArray *plugins = g_hash_table_lookup(tokens, token);
    if (!plugins) return false;
    for (guint i = 0; i < plugins->len; i++)
        if (strcmp(g_ptr_array_index(plugins, i), package) == 0) return true;
    return false;
}

static GPtrArray *token_plugins(const char *token)
{
    return token ? g_hash_table_lookup(tokens, token) : NULL;
}

int sy_auth_token_add(const char *token, const char *const *plugins, size_t n_plugins)
{
    if (!token || !*token) return -1;
    GPtrArray *list = token_plugins(token);
    if (!list) {
        list = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(tokens, g_strdup(token), list);
    }
    for (size_t i = 0; i < n_plugins; i++) sy_auth_token_allow(token, plugins[i]);
    return 0;
}

int sy_auth_token_remove(const char *token)
{
    return (token && g_hash_table_remove(tokens, token)) ? 0 : -1;
}

int sy_auth_token_allow(const char *token, const char *package)
{
    GPtrArray *list = token_plugins(token);
    if (!list) return -1;
    for (guint i = 0; i < list->len; i++)
        if (strcmp(g_ptr_array_index(list, i), package) == 0) return 0;
    g_ptr_array_add(list, g_strdup(package));
    return 0;
}

int sy_auth_token_disallow(const char *token, const char *package)
{
    GPtrArray *list = token_plugins(token);
    if (!list) return -1;
    for (guint i = 0; i < list->len; i++) {
        if (strcmp(g_ptr_array_index(list, i), package) == 0) {
            g_ptr_array_remove_index(list, i);
            break;
        }
    }
    return 0;
}

bool sy_auth_token_exists(const char *token) { return token_plugins(token) != NULL; }

json_t *sy_auth_token_plugins(const char *token)
{
    json_t *arr = json_array();
    GPtrArray *list = token_plugins(token);
    for (guint i = 0; list && i < list->len; i++)
        json_array_append_new(arr, json_string(g_ptr_array_index(list, i)));
    return arr;
}

json_t *sy_auth_token_list(void)
{
    json_t *arr = json_array();
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, tokens);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        json_t *entry = json_object();
        json_object_set_new(entry, "token", json_string(key));
        json_object_set_new(entry, "allowed_plugins", sy_auth_token_plugins(key));
        json_array_append_new(arr, entry);
    }
    return arr;
}
