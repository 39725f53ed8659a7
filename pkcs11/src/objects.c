/*
 * C_CreateObject, C_CopyObject, C_DestroyObject, C_SetAttributeValue: the /v1/pkcs11/objects
 * routes. The node decides what a template may make or change (and answers with the registry's
 * codes: a missing object is KEY_NOT_FOUND, CKR_OBJECT_HANDLE_INVALID); the module adds the one
 * rule only a PKCS#11 session knows, that a read-only session touches no token object. A
 * template is encoded first: a type or length the table refuses needs no call to the node.
 */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

/* POST or PATCH `path` with {"template": templ} (taken, and wiped); the answer's handle into
   *handle when not NULL. */
static CK_RV send_template(struct coffer_call *call, const char *method, const char *path, json_object *templ,
                           CK_OBJECT_HANDLE *handle) {
  json_object *body = json_object_new_object(), *answer = NULL;
  CK_RV rv = CKR_OK;
  if (body == NULL || json_object_object_add(body, "template", templ) != 0) {
    coffer_json_put_wiped(templ);
    rv = CKR_HOST_MEMORY;
  }
  if (rv == CKR_OK) rv = coffer_call_json(call, method, path, body, &answer, NULL);
  if (rv == CKR_OK && handle != NULL) rv = coffer_json_get_handle(answer, "handle", handle);
  coffer_json_put_wiped(body); /* an imported key's CKA_VALUE */
  if (answer != NULL) json_object_put(answer);
  return rv;
}

CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                     CK_OBJECT_HANDLE_PTR phObject) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  int token = coffer_template_token(pTemplate, ulCount);
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  json_object *templ = NULL;
  if (phObject == NULL) rv = CKR_ARGUMENTS_BAD;
  else if ((rv = coffer_template_json(pTemplate, ulCount, &templ)) == CKR_OK &&
           (rv = coffer_check_new_object(&call, token)) == CKR_OK) {
    rv = send_template(&call, "POST", "/v1/pkcs11/objects", templ, &handle);
    templ = NULL;
  }
  coffer_json_put_wiped(templ);
  if (rv == CKR_OK) {
    coffer_object_made(&call, handle, token);
    *phObject = handle;
  }
  coffer_call_end(&call);
  return rv;
}

CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                   CK_OBJECT_HANDLE_PTR phNewObject) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  /* The copy keeps the original's CKA_TOKEN unless the template says otherwise. */
  int token = coffer_template_token(pTemplate, ulCount);
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  char path[COFFER_OBJECT_PATH];
  json_object *templ = NULL;
  if (phNewObject == NULL) rv = CKR_ARGUMENTS_BAD;
  else if ((rv = coffer_template_json(pTemplate, ulCount, &templ)) != CKR_OK) {
  } else if (call.token == NULL) rv = CKR_USER_NOT_LOGGED_IN;
  else if (hObject == CK_INVALID_HANDLE) rv = CKR_OBJECT_HANDLE_INVALID;
  else if (token == -1) rv = coffer_object_is_token(&call, hObject, &token);
  if (rv == CKR_OK) rv = coffer_check_new_object(&call, token);
  if (rv == CKR_OK) {
    coffer_object_path(path, hObject, "/copy");
    rv = send_template(&call, "POST", path, templ, &handle);
    templ = NULL;
  }
  coffer_json_put_wiped(templ);
  if (rv == CKR_OK) {
    coffer_object_made(&call, handle, token);
    *phNewObject = handle;
  }
  coffer_call_end(&call);
  return rv;
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  char path[COFFER_OBJECT_PATH];
  json_object *answer = NULL;
  if (hObject == CK_INVALID_HANDLE) rv = call.token == NULL ? CKR_USER_NOT_LOGGED_IN : CKR_OBJECT_HANDLE_INVALID;
  else rv = coffer_check_object_writable(&call, hObject);
  if (rv == CKR_OK) {
    coffer_object_path(path, hObject, "");
    rv = coffer_call_http(&call, "DELETE", path, NULL, &answer, NULL);
  }
  if (rv == CKR_OK) coffer_object_gone(&call, hObject);
  if (answer != NULL) json_object_put(answer);
  coffer_call_end(&call);
  return rv;
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                          CK_ULONG ulCount) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  char path[COFFER_OBJECT_PATH];
  json_object *templ = NULL;
  if ((rv = coffer_template_json(pTemplate, ulCount, &templ)) != CKR_OK) {
  } else if (call.token == NULL) rv = CKR_USER_NOT_LOGGED_IN;
  else if (hObject == CK_INVALID_HANDLE) rv = CKR_OBJECT_HANDLE_INVALID;
  else rv = coffer_check_object_writable(&call, hObject);
  if (rv == CKR_OK) {
    coffer_object_path(path, hObject, "");
    rv = send_template(&call, "PATCH", path, templ, NULL);
    templ = NULL;
  }
  coffer_json_put_wiped(templ);
  coffer_call_end(&call);
  return rv;
}
