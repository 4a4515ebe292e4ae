/*
 * Authentication for the Janus API: the shared api_secret, stored tokens (managed
 * through the admin API, optionally limited to plugins) and signed tokens
 * ("<expiry>,janus,<plugin>[,<plugin>...]:<base64 HMAC-SHA1>", keyed with
 * token_auth_secret). Secrets and signatures are compared in constant time.
 * Main thread, except sy_auth_signature_* (pure, any thread).
 */
#ifndef SY_AUTH_H
#define SY_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum sy_auth_mode {
    SY_AUTH_TOKENS_OFF = 0,
    SY_AUTH_TOKENS_STORED,
    SY_AUTH_TOKENS_SIGNED,
} sy_auth_mode;

/* api_secret may be NULL; signed_secret non-NULL selects signed tokens when token_auth. */
void sy_auth_init(const char *api_secret, bool token_auth, const char *signed_secret);
void sy_auth_shutdown(void);
sy_auth_mode sy_auth_token_mode(void);
bool sy_auth_enabled(void); /* api_secret or tokens configured */
bool sy_auth_has_api_secret(void);

/* Constant-time string equality (length leaks, content does not). */
bool sy_auth_secret_equal(const char *a, const char *b);

/* The core check: true if no auth is configured, or apisecret matches, or token is
 * valid (stored or signed, realm "janus"). *by_token tells which passed, so plugin
 * access is checked only for token-authorised requests. */
bool sy_auth_check(const char *apisecret, const char *token, bool *by_token);
/* May this (valid) token attach to the plugin package? */
bool sy_auth_token_allows_plugin(const char *token, const char *package);

/* Stored tokens. add: plugins NULL or an array of package strings (all plugins when
 * NULL or empty). Return 0, or -1 if the token does not exist (remove, allow,
 * disallow). */
int sy_auth_token_add(const char *token, const char *const *plugins, size_t n_plugins);
int sy_auth_token_remove(const char *token);
int sy_auth_token_allow(const char *token, const char *package);
int sy_auth_token_disallow(const char *token, const char *package);
bool sy_auth_token_exists(const char *token);
/* [{"token":T,"allowed_plugins":[...]}] (new reference). */
json_t *sy_auth_token_list(void);
/* The plugins a stored token allows (new reference array). */
json_t *sy_auth_token_plugins(const char *token);

/* Signed tokens (pure functions, exposed for tests and plugins).
 * valid: signature matches, not expired at now (unix seconds), realm matches. */
bool sy_auth_signature_valid(const char *secret, const char *token, const char *realm,
                             int64_t now);
/* valid and lists item among the entries after the realm. */
bool sy_auth_signature_contains(const char *secret, const char *token, const char *realm,
                                const char *item, int64_t now);
/* Makes a token (for tests and tools); returns a malloc'd string. */
char *sy_auth_signature_make(const char *secret, int64_t expiry, const char *realm,
                             const char *const *items, size_t n_items);
/* The configured signed secret check for plugins (sy_core_api.auth_signature_valid). */
bool sy_auth_plugin_signature_valid(const char *package, const char *token);
bool sy_auth_plugin_signature_contains(const char *package, const char *token,
                                       const char *item);

#endif
