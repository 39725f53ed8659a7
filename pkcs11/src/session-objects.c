/*
 * What the object functions share: the token/session distinction. A session object (CKA_TOKEN
 * false) lives as long as the PKCS#11 session that made it: each session remembers the ones it
 * made (COFFER_STATE_OBJECTS) and DELETEs them on the node when it closes. The node holds them
 * for the login session anyway, so a handle lost to an error here outlives its PKCS#11 session
 * only until the logout. A read-only session makes, changes and destroys session objects only.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

struct made_objects {
  CK_OBJECT_HANDLE *handles;
  size_t count, capacity;
};

void coffer_object_path(char path[COFFER_OBJECT_PATH], CK_OBJECT_HANDLE handle, const char *suffix) {
  char text[COFFER_HANDLE_TEXT];
  coffer_handle_format(handle, text);
  snprintf(path, COFFER_OBJECT_PATH, "/v1/pkcs11/objects/%s%s", text, suffix);
}

/* With the login token: DELETE each on the node, best effort (the session is gone either way).
   Without one (after fork(), or the login lost) only the memory is freed. */
static void release_objects(void *value, const char *token) {
  struct made_objects *objects = value;
  for (size_t i = 0; token != NULL && i < objects->count; i++) {
    char path[COFFER_OBJECT_PATH];
    json_object *answer = NULL;
    coffer_object_path(path, objects->handles[i], "");
    (void)coffer_http(coffer_state_config(), "DELETE", path, token, NULL, &answer, NULL);
    if (answer != NULL) json_object_put(answer);
  }
  free(objects->handles);
  free(objects);
}

int coffer_template_token(const CK_ATTRIBUTE *templ, CK_ULONG count) {
  int token = -1;
  for (CK_ULONG i = 0; templ != NULL && i < count; i++)
    if (templ[i].type == CKA_TOKEN && templ[i].pValue != NULL && templ[i].ulValueLen == sizeof(CK_BBOOL))
      token = *(const CK_BBOOL *)templ[i].pValue != CK_FALSE;
  return token;
}

CK_RV coffer_check_new_object(const struct coffer_call *call, int token) {
  if (call->token == NULL) return CKR_USER_NOT_LOGGED_IN;
  if (token == 1 && !(call->flags & CKF_RW_SESSION)) return CKR_SESSION_READ_ONLY;
  return CKR_OK;
}

CK_RV coffer_object_is_token(struct coffer_call *call, CK_OBJECT_HANDLE handle, int *token) {
  CK_BBOOL value = CK_FALSE;
  CK_ATTRIBUTE attribute = {CKA_TOKEN, &value, sizeof value};
  CK_RV rv = coffer_object_attributes(call, handle, &attribute, 1);
  if (rv == CKR_OK) *token = value != CK_FALSE;
  return rv;
}

CK_RV coffer_check_object_writable(struct coffer_call *call, CK_OBJECT_HANDLE handle) {
  int token = 0;
  if (call->token == NULL) return CKR_USER_NOT_LOGGED_IN;
  if (call->flags & CKF_RW_SESSION) return CKR_OK;
  CK_RV rv = coffer_object_is_token(call, handle, &token);
  if (rv == CKR_OK && token) rv = CKR_SESSION_READ_ONLY;
  return rv;
}

void coffer_object_made(struct coffer_call *call, CK_OBJECT_HANDLE handle, int token) {
  /* The template may leave CKA_TOKEN to the node's default: then the node says which it made. */
  if (token == -1 && coffer_object_is_token(call, handle, &token) != CKR_OK) return;
  if (token) return;
  struct made_objects *objects = coffer_call_state(call, COFFER_STATE_OBJECTS);
  if (objects == NULL) {
    if ((objects = calloc(1, sizeof *objects)) == NULL) return;
    coffer_call_set_state(call, COFFER_STATE_OBJECTS, objects, release_objects);
  }
  if (objects->count == objects->capacity) {
    size_t capacity = objects->capacity == 0 ? 8 : objects->capacity * 2;
    CK_OBJECT_HANDLE *grown = realloc(objects->handles, capacity * sizeof *grown);
    if (grown == NULL) return;
    objects->handles = grown;
    objects->capacity = capacity;
  }
  objects->handles[objects->count++] = handle;
}

void coffer_object_gone(struct coffer_call *call, CK_OBJECT_HANDLE handle) {
  struct made_objects *objects = coffer_call_state(call, COFFER_STATE_OBJECTS);
  for (size_t i = 0; objects != NULL && i < objects->count; i++)
    if (objects->handles[i] == handle) {
      objects->handles[i] = objects->handles[--objects->count];
      return;
    }
}
