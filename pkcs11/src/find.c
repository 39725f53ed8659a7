/*
 * C_FindObjectsInit, C_FindObjects, C_FindObjectsFinal: POST /v1/pkcs11/objects/find. The
 * node matches the template against what the login may see; Init fetches every page of handles
 * at once (a search is a snapshot, as on a token), and C_FindObjects hands them out. A page's
 * request goes through the combiner: searches begun on many threads at once travel together.
 *
 * Without a login a search finds only public objects, through the node's public route; where
 * the cluster lists none (its policy) the search succeeds and finds nothing. A template type
 * the module does not speak matches no object, so that search also finds nothing, without
 * asking the node.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The route's largest page; the sanitize build asks for small pages, so its test run pages. */
#ifndef COFFER_FIND_PAGE
#define COFFER_FIND_PAGE 1000
#endif

struct search {
  CK_OBJECT_HANDLE *handles;
  size_t count, capacity, next;
};

static void release_search(void *value, const char *token) {
  (void)token; /* a search holds nothing on the node */
  struct search *search = value;
  free(search->handles);
  free(search);
}

static CK_RV append(struct search *search, json_object *handles) {
  size_t length = json_object_array_length(handles);
  if (search->count + length > search->capacity) {
    size_t capacity = search->capacity == 0 ? 64 : search->capacity;
    while (capacity < search->count + length) capacity *= 2;
    CK_OBJECT_HANDLE *grown = realloc(search->handles, capacity * sizeof *grown);
    if (grown == NULL) return CKR_HOST_MEMORY;
    search->handles = grown;
    search->capacity = capacity;
  }
  for (size_t i = 0; i < length; i++) {
    json_object *item = json_object_array_get_idx(handles, i);
    if (!json_object_is_type(item, json_type_string) ||
        coffer_handle_parse(json_object_get_string(item), &search->handles[search->count]) != 0)
      return CKR_DEVICE_ERROR;
    search->count++;
  }
  return CKR_OK;
}

/* One page after `after` (0: from the start); *after is set to the node's `next`, or 0 at the end. */
static CK_RV fetch_page(struct coffer_call *call, json_object *templ, struct search *search,
                        CK_OBJECT_HANDLE *after) {
  json_object *body = json_object_new_object(), *answer = NULL, *handles, *next;
  CK_RV rv = body == NULL ? CKR_HOST_MEMORY : CKR_OK;
  if (rv == CKR_OK && json_object_object_add(body, "template", json_object_get(templ)) != 0) {
    json_object_put(templ);
    rv = CKR_HOST_MEMORY;
  }
  if (rv == CKR_OK && json_object_object_add(body, "limit", json_object_new_int(COFFER_FIND_PAGE)) != 0) rv = CKR_HOST_MEMORY;
  if (rv == CKR_OK && *after != 0) rv = coffer_json_add_handle(body, "after", *after);
  int refused = 0;
  if (rv == CKR_OK) rv = coffer_call_json_or_public(call, "pkcs11.find-objects", "/v1/pkcs11/objects/find", body, &answer,
                                         &refused);
  if (refused) { /* no public objects: the search finds nothing */
    rv = CKR_OK;
    *after = 0;
  } else {
    if (rv == CKR_OK &&
        (!json_object_object_get_ex(answer, "handles", &handles) || !json_object_is_type(handles, json_type_array)))
      rv = CKR_DEVICE_ERROR;
    if (rv == CKR_OK) rv = append(search, handles);
    if (rv == CKR_OK) {
      CK_OBJECT_HANDLE following = 0;
      if (json_object_object_get_ex(answer, "next", &next) &&
          (!json_object_is_type(next, json_type_string) ||
           coffer_handle_parse(json_object_get_string(next), &following) != 0))
        rv = CKR_DEVICE_ERROR;
      /* A `next` that does not move on would page forever. */
      else if (following != 0 && following == *after) rv = CKR_DEVICE_ERROR;
      *after = following;
    }
  }
  json_object_put(body); /* the template is the caller's, wiped after the last page */
  if (answer != NULL) json_object_put(answer);
  return rv;
}

static int speaks_all(const CK_ATTRIBUTE *templ, CK_ULONG count) {
  for (CK_ULONG i = 0; i < count; i++)
    if (coffer_attribute_kind(templ[i].type, NULL) != 0) return 0;
  return 1;
}

static CK_RV search_all(struct coffer_call *call, const CK_ATTRIBUTE *templ, CK_ULONG count, struct search *search) {
  if (!speaks_all(templ, count)) return CKR_OK; /* finds nothing: see above */
  json_object *array = NULL;
  CK_RV rv = coffer_template_json(templ, count, &array);
  CK_OBJECT_HANDLE after = 0;
  do {
    if (rv == CKR_OK) rv = fetch_page(call, array, search, &after);
  } while (rv == CKR_OK && after != 0);
  coffer_json_put_wiped(array);
  return rv;
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  struct search *search = NULL;
  if (pTemplate == NULL && ulCount > 0) rv = CKR_ARGUMENTS_BAD;
  else if (coffer_call_state(&call, COFFER_STATE_FIND) != NULL) rv = CKR_OPERATION_ACTIVE;
  else if ((search = calloc(1, sizeof *search)) == NULL) rv = CKR_HOST_MEMORY;
  else rv = search_all(&call, pTemplate, ulCount, search);
  if (rv == CKR_OK) coffer_call_set_state(&call, COFFER_STATE_FIND, search, release_search);
  else if (search != NULL) release_search(search, NULL);
  coffer_call_end(&call);
  return rv;
}

CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount,
                    CK_ULONG_PTR pulObjectCount) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  struct search *search = coffer_call_state(&call, COFFER_STATE_FIND);
  if (search == NULL) rv = CKR_OPERATION_NOT_INITIALIZED;
  else if (pulObjectCount == NULL || (phObject == NULL && ulMaxObjectCount > 0)) rv = CKR_ARGUMENTS_BAD;
  else {
    size_t left = search->count - search->next;
    size_t given = left < ulMaxObjectCount ? left : (size_t)ulMaxObjectCount;
    if (given > 0) memcpy(phObject, search->handles + search->next, given * sizeof *phObject);
    search->next += given;
    *pulObjectCount = (CK_ULONG)given;
  }
  coffer_call_end(&call);
  return rv;
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  if (coffer_call_state(&call, COFFER_STATE_FIND) == NULL) rv = CKR_OPERATION_NOT_INITIALIZED;
  else coffer_call_set_state(&call, COFFER_STATE_FIND, NULL, NULL);
  coffer_call_end(&call);
  return rv;
}
