/*
 * C_GetAttributeValue and C_GetObjectSize: POST /v1/pkcs11/objects/attributes. The node says,
 * per attribute, its value, "sensitive" or "invalid"; template.c turns that into the spec's size
 * protocol. A type the module's table lacks is never sent (it is CKR_ATTRIBUTE_TYPE_INVALID
 * whatever the object), and a type asked twice is asked once.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "internal.h"

#define TYPES_PER_CALL 64 /* the route's limit */

/* One call for up to TYPES_PER_CALL types; the answers are appended to `collected`. */
static CK_RV ask(struct coffer_call *call, CK_OBJECT_HANDLE handle, const CK_ATTRIBUTE_TYPE *types, size_t count,
                 json_object *collected) {
  json_object *body = json_object_new_object(), *list = json_object_new_array(), *answer = NULL, *attributes = NULL;
  CK_RV rv = body == NULL || list == NULL ? CKR_HOST_MEMORY : CKR_OK;
  for (size_t i = 0; rv == CKR_OK && i < count; i++)
    if (json_object_array_add(list, json_object_new_uint64(types[i])) != 0) rv = CKR_HOST_MEMORY;
  if (rv == CKR_OK && json_object_object_add(body, "types", list) != 0) rv = CKR_HOST_MEMORY;
  else if (rv == CKR_OK) list = NULL;
  if (rv == CKR_OK) rv = coffer_json_add_handle(body, "handle", handle);
  int refused;
  if (rv == CKR_OK) rv = coffer_call_json_or_public(call, NULL, "/v1/pkcs11/objects/attributes", body, &answer, &refused);
  if (rv == CKR_OK && (!json_object_object_get_ex(answer, "attributes", &attributes) ||
                       !json_object_is_type(attributes, json_type_array)))
    rv = CKR_DEVICE_ERROR;
  for (size_t i = 0; rv == CKR_OK && i < json_object_array_length(attributes); i++) {
    json_object *entry = json_object_get(json_object_array_get_idx(attributes, i));
    if (json_object_array_add(collected, entry) != 0) {
      json_object_put(entry);
      rv = CKR_HOST_MEMORY;
    }
  }
  json_object_put(list);
  json_object_put(body);
  /* On success the entries live on in `collected`, wiped with it; on failure it is dropped. */
  if (rv == CKR_OK) json_object_put(answer);
  else coffer_json_put_wiped(answer);
  return rv;
}

static int asked(const CK_ATTRIBUTE_TYPE *types, size_t count, CK_ATTRIBUTE_TYPE type) {
  for (size_t i = 0; i < count; i++)
    if (types[i] == type) return 1;
  return 0;
}

CK_RV coffer_object_attributes(struct coffer_call *call, CK_OBJECT_HANDLE handle, CK_ATTRIBUTE *templ,
                               CK_ULONG count) {
  if (templ == NULL && count > 0) return CKR_ARGUMENTS_BAD;
  if (handle == CK_INVALID_HANDLE) return CKR_OBJECT_HANDLE_INVALID;
  CK_ATTRIBUTE_TYPE *types = malloc((count == 0 ? 1 : count) * sizeof *types);
  json_object *collected = json_object_new_array();
  CK_RV rv = types == NULL || collected == NULL ? CKR_HOST_MEMORY : CKR_OK;
  size_t known = 0;
  for (CK_ULONG i = 0; rv == CKR_OK && i < count; i++)
    if (coffer_attribute_kind(templ[i].type, NULL) == 0 && !asked(types, known, templ[i].type))
      types[known++] = templ[i].type;
  /* With nothing to ask, CKA_CLASS still proves the handle: a missing object is no type error. */
  if (rv == CKR_OK && known == 0) rv = ask(call, handle, &(CK_ATTRIBUTE_TYPE){CKA_CLASS}, 1, collected);
  for (size_t done = 0; rv == CKR_OK && done < known; done += TYPES_PER_CALL)
    rv = ask(call, handle, types + done, known - done < TYPES_PER_CALL ? known - done : TYPES_PER_CALL, collected);
  if (rv == CKR_OK) rv = coffer_template_answer(collected, templ, count);
  coffer_json_put_wiped(collected); /* a data object's value is the application's */
  free(types);
  return rv;
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                          CK_ULONG ulCount) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  rv = coffer_object_attributes(&call, hObject, pTemplate, ulCount);
  coffer_call_end(&call);
  return rv;
}

/*
 * The spec leaves an object's size undefined and lets a token answer CK_UNAVAILABLE_INFORMATION:
 * Coffer's objects live on the node, whose storage size means nothing to an application. The
 * handle is still checked (CKA_CLASS), so a missing object is CKR_OBJECT_HANDLE_INVALID.
 */
CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  CK_OBJECT_CLASS class;
  CK_ATTRIBUTE probe = {CKA_CLASS, &class, sizeof class};
  if (pulSize == NULL) rv = CKR_ARGUMENTS_BAD;
  else rv = coffer_object_attributes(&call, hObject, &probe, 1);
  if (rv == CKR_OK) *pulSize = CK_UNAVAILABLE_INFORMATION;
  coffer_call_end(&call);
  return rv;
}
