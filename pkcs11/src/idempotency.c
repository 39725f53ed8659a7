/*
 * The Idempotency-Key of the module's writes. The node accepts one on the routes below (its
 * OpenAPI document lists them); the module sends a fresh key with each such call, from
 * OpenSSL's RAND_bytes, and the same key when the call is retried on another endpoint, so a
 * retry after a lost answer never makes a second key. Other routes refuse the header. A write
 * combined into POST /v1/batch (combiner.c) carries its key in its item instead.
 */
#define _POSIX_C_SOURCE 200809L
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* One route: a method, a path prefix, and what may follow it ('*': one handle segment). */
struct write_route {
  const char *method;
  const char *prefix;
  const char *rest; /* "" nothing; "*" one segment; "*" then a suffix */
};

static const struct write_route WRITES[] = {
    {"POST", "/v1/pkcs11/objects", ""},            /* C_CreateObject */
    {"POST", "/v1/pkcs11/objects/", "*/copy"},     /* C_CopyObject */
    {"PATCH", "/v1/pkcs11/objects/", "*"},         /* C_SetAttributeValue */
    {"DELETE", "/v1/pkcs11/objects/", "*"},        /* C_DestroyObject */
    {"POST", "/v1/pkcs11/keys/generate", ""},      /* C_GenerateKey */
    {"POST", "/v1/pkcs11/keys/generate-pair", ""}, /* C_GenerateKeyPair */
    {"POST", "/v1/pkcs11/keys/unwrap", ""},        /* C_UnwrapKey */
    {"POST", "/v1/pkcs11/keys/derive", ""},        /* C_DeriveKey */
};

static int matches(const struct write_route *route, const char *method, const char *path) {
  size_t prefix = strlen(route->prefix);
  if (strcmp(route->method, method) != 0 || strncmp(route->prefix, path, prefix) != 0) return 0;
  const char *rest = path + prefix;
  if (route->rest[0] == '\0') return rest[0] == '\0';
  size_t segment = strcspn(rest, "/?");
  if (segment == 0) return 0;
  return strcmp(rest + segment, route->rest + 1) == 0;
}

int coffer_is_idempotent_write(const char *method, const char *path) {
  for (size_t i = 0; i < sizeof WRITES / sizeof WRITES[0]; i++)
    if (matches(&WRITES[i], method, path)) return 1;
  return 0;
}

CK_RV coffer_idempotency_key(char key[COFFER_IDEMPOTENCY_KEY_MAX]) {
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) return CKR_FUNCTION_FAILED;
  for (size_t i = 0; i < sizeof random; i++)
    snprintf(key + 2 * i, COFFER_IDEMPOTENCY_KEY_MAX - 2 * i, "%02x", random[i]);
  return CKR_OK;
}

CK_RV coffer_idempotency_header(char line[COFFER_IDEMPOTENCY_HEADER_MAX]) {
  char key[COFFER_IDEMPOTENCY_KEY_MAX];
  if (coffer_idempotency_key(key) != CKR_OK) return CKR_FUNCTION_FAILED;
  snprintf(line, COFFER_IDEMPOTENCY_HEADER_MAX, "Idempotency-Key: %s", key);
  return CKR_OK;
}
