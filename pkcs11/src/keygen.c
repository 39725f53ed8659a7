/*
 * C_GenerateKey and C_GenerateKeyPair: POST /v1/pkcs11/keys/generate and generate-pair, with
 * the mechanism by Coffer's name. The generation mechanisms take no parameters; the node checks
 * the templates against the mechanism (sizes, curves, class and key type). C_GenerateKey goes
 * through the combiner: keys made on many threads at once travel in one batch, whose audit
 * events the node makes durable in one commit.
 */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

/* The mechanism's name when it generates as `flags` asks (CKF_GENERATE or CKF_GENERATE_KEY_PAIR). */
static CK_RV generation_name(const CK_MECHANISM *mechanism, CK_FLAGS flags, const char **name) {
  if (mechanism == NULL) return CKR_ARGUMENTS_BAD;
  CK_FLAGS listed = 0;
  CK_RV rv = coffer_mechanism_flags(mechanism->mechanism, &listed);
  if (rv != CKR_OK) return rv;
  if (!(listed & flags) || (*name = coffer_mechanism_name(mechanism->mechanism)) == NULL)
    return CKR_MECHANISM_INVALID;
  if (mechanism->pParameter != NULL || mechanism->ulParameterLen != 0) return CKR_MECHANISM_PARAM_INVALID;
  return CKR_OK;
}

static CK_RV add_string(json_object *body, const char *field, const char *text) {
  json_object *value = json_object_new_string(text);
  if (value == NULL || json_object_object_add(body, field, value) != 0) {
    json_object_put(value);
    return CKR_HOST_MEMORY;
  }
  return CKR_OK;
}

CK_RV C_GenerateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pTemplate,
                    CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  const char *name = NULL;
  int token = coffer_template_token(pTemplate, ulCount);
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  json_object *body = json_object_new_object(), *answer = NULL;
  if (body == NULL) rv = CKR_HOST_MEMORY;
  else if (phKey == NULL) rv = CKR_ARGUMENTS_BAD;
  else if ((rv = generation_name(pMechanism, CKF_GENERATE, &name)) == CKR_OK &&
           (rv = add_string(body, "mechanism", name)) == CKR_OK &&
           (rv = coffer_template_add(body, "template", pTemplate, ulCount)) == CKR_OK &&
           (rv = coffer_check_new_object(&call, token)) == CKR_OK)
    rv = coffer_call_json_combined(&call, "pkcs11.generate-key", "/v1/pkcs11/keys/generate", body, &answer, NULL);
  if (rv == CKR_OK) rv = coffer_json_get_handle(answer, "handle", &handle);
  if (rv == CKR_OK) {
    coffer_object_made(&call, handle, token);
    *phKey = handle;
  }
  coffer_json_put_wiped(body);
  if (answer != NULL) json_object_put(answer);
  coffer_call_end(&call);
  return rv;
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pPublicKeyTemplate,
                        CK_ULONG ulPublicKeyAttributeCount, CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
                        CK_ULONG ulPrivateKeyAttributeCount, CK_OBJECT_HANDLE_PTR phPublicKey,
                        CK_OBJECT_HANDLE_PTR phPrivateKey) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  const char *name = NULL;
  int public_token = coffer_template_token(pPublicKeyTemplate, ulPublicKeyAttributeCount);
  int private_token = coffer_template_token(pPrivateKeyTemplate, ulPrivateKeyAttributeCount);
  CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE, private_key = CK_INVALID_HANDLE;
  json_object *body = json_object_new_object(), *answer = NULL;
  if (body == NULL) rv = CKR_HOST_MEMORY;
  else if (phPublicKey == NULL || phPrivateKey == NULL) rv = CKR_ARGUMENTS_BAD;
  else if ((rv = generation_name(pMechanism, CKF_GENERATE_KEY_PAIR, &name)) == CKR_OK &&
           (rv = add_string(body, "mechanism", name)) == CKR_OK &&
           (rv = coffer_template_add(body, "publicTemplate", pPublicKeyTemplate, ulPublicKeyAttributeCount)) == CKR_OK &&
           (rv = coffer_template_add(body, "privateTemplate", pPrivateKeyTemplate, ulPrivateKeyAttributeCount)) ==
               CKR_OK &&
           (rv = coffer_check_new_object(&call, public_token == 1 ? 1 : private_token)) == CKR_OK)
    rv = coffer_call_json(&call, "POST", "/v1/pkcs11/keys/generate-pair", body, &answer, NULL);
  if (rv == CKR_OK && (rv = coffer_json_get_handle(answer, "publicHandle", &public_key)) == CKR_OK)
    rv = coffer_json_get_handle(answer, "privateHandle", &private_key);
  if (rv == CKR_OK) {
    coffer_object_made(&call, public_key, public_token);
    coffer_object_made(&call, private_key, private_token);
    *phPublicKey = public_key;
    *phPrivateKey = private_key;
  }
  coffer_json_put_wiped(body);
  if (answer != NULL) json_object_put(answer);
  coffer_call_end(&call);
  return rv;
}
