/*
 * C_WrapKey, C_UnwrapKey and C_DeriveKey: POST /v1/keys/wrap, /v1/pkcs11/keys/unwrap and
 * /v1/pkcs11/keys/derive, with the mechanism and its parameters from params.c and the new
 * key's template from template.c. The node decides everything (which keys may be wrapped, what
 * an unwrapped or derived key may be); the module maps the node's answers to the codes these
 * functions have in the spec, where a key the node could not find is the wrapping, unwrapping or
 * base key, or the key to wrap.
 *
 * C_WrapKey follows §5.2: the node wraps once (a wrap is not repeatable byte for byte: IVs and
 * OAEP padding are random), a NULL or short buffer keeps the wrapped key in the session for the
 * call repeated with the same arguments.
 */
#define _POSIX_C_SOURCE 200809L
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* What a node code means for one of these functions, where it differs from the registry's. */
enum subject { WRAPPING, UNWRAPPING, BASE };
static const struct code_row {
  enum subject subject;
  const char *code;
  CK_RV rv;
} CODES[] = {
    {WRAPPING, "KEY_TYPE_INCONSISTENT", CKR_WRAPPING_KEY_TYPE_INCONSISTENT},
    {WRAPPING, "KEY_SIZE_RANGE", CKR_KEY_SIZE_RANGE},
    {UNWRAPPING, "KEY_NOT_FOUND", CKR_UNWRAPPING_KEY_HANDLE_INVALID},
    {UNWRAPPING, "KEY_TYPE_INCONSISTENT", CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT},
    {UNWRAPPING, "ENCRYPTED_DATA_INVALID", CKR_WRAPPED_KEY_INVALID},
    {UNWRAPPING, "DATA_LEN_RANGE", CKR_WRAPPED_KEY_LEN_RANGE},
    {BASE, "KEY_NOT_FOUND", CKR_KEY_HANDLE_INVALID},
};

static CK_RV mapped(enum subject subject, CK_RV rv, const char *code) {
  for (size_t i = 0; rv != CKR_OK && i < sizeof CODES / sizeof CODES[0]; i++)
    if (CODES[i].subject == subject && strcmp(CODES[i].code, code) == 0) return CODES[i].rv;
  return rv;
}

/* Whether the caller can see a key (GET /v1/keys/:handle answers). */
static int key_exists(struct coffer_call *call, CK_OBJECT_HANDLE handle) {
  char path[32 + COFFER_HANDLE_TEXT], text[COFFER_HANDLE_TEXT];
  json_object *answer = NULL;
  coffer_handle_format(handle, text);
  snprintf(path, sizeof path, "/v1/keys/%s", text);
  CK_RV rv = coffer_call_http(call, "GET", path, NULL, &answer, NULL);
  if (answer != NULL) json_object_put(answer);
  return rv == CKR_OK;
}

/* ---- C_WrapKey ---- */

#define FINGERPRINT_BYTES 32

/* A wrapped key waiting for a buffer large enough, and the call that made it. */
struct kept_wrap {
  CK_MECHANISM_TYPE mechanism;
  CK_OBJECT_HANDLE wrapping_key, key;
  unsigned char fingerprint[FINGERPRINT_BYTES]; /* SHA-256 of the mechanism's parameter bytes */
  unsigned char *wrapped;
  size_t length;
};

static void release_wrap(void *value, const char *token) {
  (void)token; /* nothing on the node */
  struct kept_wrap *kept = value;
  coffer_wipe(kept->wrapped, kept->length);
  free(kept->wrapped);
  coffer_wipe(kept, sizeof *kept);
  free(kept);
}

static int fingerprint(const CK_MECHANISM *mechanism, unsigned char out[FINGERPRINT_BYTES]) {
  static const unsigned char none[1] = {0};
  unsigned int written = 0;
  const void *data = mechanism->pParameter != NULL ? mechanism->pParameter : none;
  return EVP_Digest(data, mechanism->ulParameterLen, out, &written, EVP_sha256(), NULL) == 1;
}

static int same_wrap(const struct kept_wrap *kept, const CK_MECHANISM *mechanism, CK_OBJECT_HANDLE wrapping_key,
                     CK_OBJECT_HANDLE key) {
  unsigned char again[FINGERPRINT_BYTES];
  return kept != NULL && kept->mechanism == mechanism->mechanism && kept->wrapping_key == wrapping_key &&
         kept->key == key && fingerprint(mechanism, again) && memcmp(again, kept->fingerprint, FINGERPRINT_BYTES) == 0;
}

static CK_RV wrap_on_node(struct coffer_call *call, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE wrapping_key,
                          CK_OBJECT_HANDLE key, struct kept_wrap **made) {
  char code[COFFER_CODE_MAX] = "";
  json_object *body = json_object_new_object(), *answer = NULL;
  struct kept_wrap *kept = calloc(1, sizeof *kept);
  CK_RV rv = body == NULL || kept == NULL ? CKR_HOST_MEMORY : CKR_OK;
  if (rv == CKR_OK) rv = coffer_mechanism_json(mechanism, COFFER_USE_WRAP, body);
  if (rv == CKR_OK) rv = coffer_json_add_handle(body, "wrappingKeyHandle", wrapping_key);
  if (rv == CKR_OK) rv = coffer_json_add_handle(body, "keyHandle", key);
  if (rv == CKR_OK) rv = coffer_call_json(call, "POST", "/v1/keys/wrap", body, &answer, code);
  if (rv != CKR_OK && strcmp(code, "KEY_NOT_FOUND") == 0)
    rv = key_exists(call, wrapping_key) ? CKR_KEY_HANDLE_INVALID : CKR_WRAPPING_KEY_HANDLE_INVALID;
  rv = mapped(WRAPPING, rv, code);
  if (rv == CKR_OK) rv = coffer_json_get_base64(answer, "wrappedKey", &kept->wrapped, &kept->length);
  CK_ULONG iv_length = 0;
  CK_BYTE_PTR iv = coffer_mechanism_iv_target(mechanism, COFFER_USE_WRAP, &iv_length);
  if (rv == CKR_OK && iv != NULL) { /* AES_GCM: iv‖ciphertext‖tag, the IV the node made */
    if (kept->length < iv_length) rv = CKR_DEVICE_ERROR;
    else memcpy(iv, kept->wrapped, iv_length);
  }
  if (rv == CKR_OK && !fingerprint(mechanism, kept->fingerprint)) rv = CKR_GENERAL_ERROR;
  coffer_json_put_wiped(body);
  coffer_json_put_wiped(answer);
  if (rv != CKR_OK) {
    if (kept != NULL) release_wrap(kept, NULL);
    return rv;
  }
  kept->mechanism = mechanism->mechanism;
  kept->wrapping_key = wrapping_key;
  kept->key = key;
  *made = kept;
  return CKR_OK;
}

CK_RV C_WrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hWrappingKey,
                CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  struct kept_wrap *kept = coffer_call_state(&call, COFFER_STATE_WRAP);
  if (pMechanism == NULL || pulWrappedKeyLen == NULL) rv = CKR_ARGUMENTS_BAD;
  else if (call.token == NULL) rv = CKR_USER_NOT_LOGGED_IN;
  else if (hWrappingKey == CK_INVALID_HANDLE) rv = CKR_WRAPPING_KEY_HANDLE_INVALID;
  else if (hKey == CK_INVALID_HANDLE) rv = CKR_KEY_HANDLE_INVALID;
  else if (!same_wrap(kept, pMechanism, hWrappingKey, hKey)) {
    coffer_call_set_state(&call, COFFER_STATE_WRAP, NULL, NULL); /* another call's: dropped */
    kept = NULL;
    if ((rv = wrap_on_node(&call, pMechanism, hWrappingKey, hKey, &kept)) == CKR_OK)
      coffer_call_set_state(&call, COFFER_STATE_WRAP, kept, release_wrap);
  }
  if (rv == CKR_OK) {
    CK_ULONG room = *pulWrappedKeyLen;
    *pulWrappedKeyLen = (CK_ULONG)kept->length;
    if (pWrappedKey != NULL && room < kept->length) rv = CKR_BUFFER_TOO_SMALL;
    else if (pWrappedKey != NULL) {
      memcpy(pWrappedKey, kept->wrapped, kept->length);
      coffer_call_set_state(&call, COFFER_STATE_WRAP, NULL, NULL);
    }
  }
  coffer_call_end(&call);
  return rv;
}

/* ---- C_UnwrapKey and C_DeriveKey: a new key from a template ---- */

static CK_RV new_key(struct coffer_call *call, const char *path, json_object *body, enum subject subject,
                     const CK_ATTRIBUTE *templ, CK_ULONG count, CK_OBJECT_HANDLE_PTR key) {
  char code[COFFER_CODE_MAX] = "";
  json_object *answer = NULL;
  int token = coffer_template_token(templ, count);
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  CK_RV rv = coffer_template_add(body, "template", templ, count);
  if (rv == CKR_OK) rv = coffer_check_new_object(call, token);
  if (rv == CKR_OK) rv = mapped(subject, coffer_call_json(call, "POST", path, body, &answer, code), code);
  if (rv == CKR_OK) rv = coffer_json_get_handle(answer, "handle", &handle);
  if (rv == CKR_OK) {
    coffer_object_made(call, handle, token);
    *key = handle;
  }
  if (answer != NULL) json_object_put(answer);
  return rv;
}

CK_RV C_UnwrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hUnwrappingKey,
                  CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate,
                  CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  json_object *body = json_object_new_object();
  if (body == NULL) rv = CKR_HOST_MEMORY;
  else if (pMechanism == NULL || phKey == NULL || (pWrappedKey == NULL && ulWrappedKeyLen > 0) ||
           (pTemplate == NULL && ulAttributeCount > 0))
    rv = CKR_ARGUMENTS_BAD;
  else if (call.token == NULL) rv = CKR_USER_NOT_LOGGED_IN;
  else if (hUnwrappingKey == CK_INVALID_HANDLE) rv = CKR_UNWRAPPING_KEY_HANDLE_INVALID;
  else if (ulWrappedKeyLen == 0) rv = CKR_WRAPPED_KEY_LEN_RANGE;
  else if ((rv = coffer_mechanism_json(pMechanism, COFFER_USE_UNWRAP, body)) == CKR_OK &&
           (rv = coffer_mechanism_check_wrapped_iv(pMechanism, pWrappedKey, ulWrappedKeyLen)) == CKR_OK &&
           (rv = coffer_json_add_handle(body, "unwrappingKeyHandle", hUnwrappingKey)) == CKR_OK &&
           (rv = coffer_json_add_base64(body, "wrappedKey", pWrappedKey, ulWrappedKeyLen)) == CKR_OK)
    rv = new_key(&call, "/v1/pkcs11/keys/unwrap", body, UNWRAPPING, pTemplate, ulAttributeCount, phKey);
  coffer_json_put_wiped(body);
  coffer_call_end(&call);
  return rv;
}

CK_RV C_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hBaseKey,
                  CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  json_object *body = json_object_new_object();
  if (body == NULL) rv = CKR_HOST_MEMORY;
  else if (pMechanism == NULL || phKey == NULL || (pTemplate == NULL && ulAttributeCount > 0)) rv = CKR_ARGUMENTS_BAD;
  else if (call.token == NULL) rv = CKR_USER_NOT_LOGGED_IN;
  else if (hBaseKey == CK_INVALID_HANDLE) rv = CKR_KEY_HANDLE_INVALID;
  else if ((rv = coffer_mechanism_json(pMechanism, COFFER_USE_DERIVE, body)) == CKR_OK &&
           (rv = coffer_json_add_handle(body, "baseKeyHandle", hBaseKey)) == CKR_OK)
    rv = new_key(&call, "/v1/pkcs11/keys/derive", body, BASE, pTemplate, ulAttributeCount, phKey);
  coffer_json_put_wiped(body);
  coffer_call_end(&call);
  return rv;
}
