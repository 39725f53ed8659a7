/*
 * What lives on one node only. Session objects (CKA_TOKEN false, the spec's default), session
 * keys and multi-part operations are held in the memory of the node that made them, never
 * stored (src/identity/session-bound.ts); another node asked for one answers 409
 * SESSION_OBJECT_NOT_HERE having run nothing. So while requests spread over the healthy
 * endpoints (endpoint-pool.c), the ones below go to the login's home endpoint, the one that
 * answered the last of them, while it is healthy:
 *
 *   | request                                             | why it goes home                          |
 *   |-----------------------------------------------------|-------------------------------------------|
 *   | POST /v1/sessions (C_Login)                         | the home is chosen before any session     |
 *   |                                                     | object exists, so all are made there      |
 *   | /v1/crypto/operations…                              | a multi-part operation lives where begun  |
 *   | POST /v1/pkcs11[/public]/objects/find               | a search lists that node's session objects |
 *   | a creating write whose template is not all token    | it makes a session object there            |
 *   | objects (generate, generate-pair, unwrap, derive,   |                                           |
 *   | create, copy)                                       |                                           |
 *
 * Any other request that meets a session object elsewhere (SESSION_OBJECT_NOT_HERE) is tried
 * again at home first, then on the other endpoints (transport.c): nothing ran, so any request
 * may be sent again. A session object's use costs one more round trip when it first went
 * elsewhere. When the home fails, the next node-bound request answered elsewhere makes a new
 * home: what the old one held is gone with it. Templates are read as template.c writes them:
 * CKA_TOKEN true is exactly {"type":1,"value":true}.
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "internal.h"

#define TOKEN_TRUE "{\"type\":1,\"value\":true}"

/* A creating route, and how many templates its body holds. */
struct creating_route {
  const char *method;
  const char *prefix;
  const char *suffix; /* what the path ends with after the prefix ("": nothing) */
  int templates;
};

static const struct creating_route CREATING[] = {
    {"POST", "/v1/pkcs11/keys/generate", "", 1},
    {"POST", "/v1/pkcs11/keys/generate-pair", "", 2},
    {"POST", "/v1/pkcs11/keys/unwrap", "", 1},
    {"POST", "/v1/pkcs11/keys/derive", "", 1},
    {"POST", "/v1/pkcs11/objects", "", 1},
    {"POST", "/v1/pkcs11/objects/", "/copy", 1},
};

static int matches(const struct creating_route *route, const char *method, const char *path) {
  size_t prefix = strlen(route->prefix), suffix = strlen(route->suffix), length = strlen(path);
  if (strcmp(method, route->method) != 0 || strncmp(path, route->prefix, prefix) != 0) return 0;
  if (suffix == 0) return length == prefix;
  return length > prefix + suffix && strcmp(path + length - suffix, route->suffix) == 0 &&
         memchr(path + prefix, '/', length - prefix - suffix) == NULL;
}

static int token_templates(const char *body) {
  int count = 0;
  for (const char *at = body; at != NULL && (at = strstr(at, TOKEN_TRUE)) != NULL; at += strlen(TOKEN_TRUE)) count++;
  return count;
}

int coffer_is_node_bound(const char *method, const char *path, const char *body) {
  if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/sessions") == 0) return 1;
  if (strncmp(path, "/v1/crypto/operations", strlen("/v1/crypto/operations")) == 0) return 1;
  if (strcmp(method, "POST") == 0 &&
      (strcmp(path, "/v1/pkcs11/objects/find") == 0 || strcmp(path, "/v1/pkcs11/public/objects/find") == 0))
    return 1;
  for (size_t i = 0; i < sizeof CREATING / sizeof CREATING[0]; i++)
    if (matches(&CREATING[i], method, path)) return body == NULL || token_templates(body) < CREATING[i].templates;
  return 0;
}
