/*
 * C_Sign* and C_Verify*: the operations of operation.c, for the signature uses (MACs too),
 * and what a signature's length must be. C_SignRecover and C_VerifyRecover stay unsupported:
 * no Coffer mechanism recovers data from a signature.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "internal.h"

CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return coffer_operation_init(hSession, COFFER_USE_SIGN, pMechanism, hKey);
}

CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
             CK_ULONG_PTR pulSignatureLen) {
  return coffer_operation_single(hSession, COFFER_USE_SIGN, pData, ulDataLen, pSignature, pulSignatureLen);
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return coffer_operation_update(hSession, COFFER_USE_SIGN, pPart, ulPartLen, NULL, NULL);
}

CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen) {
  return coffer_operation_final(hSession, COFFER_USE_SIGN, pSignature, pulSignatureLen);
}

CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return coffer_operation_init(hSession, COFFER_USE_VERIFY, pMechanism, hKey);
}

CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
               CK_ULONG ulSignatureLen) {
  return coffer_operation_verify(hSession, pData, ulDataLen, pSignature, ulSignatureLen, 1);
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return coffer_operation_update(hSession, COFFER_USE_VERIFY, pPart, ulPartLen, NULL, NULL);
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen) {
  return coffer_operation_verify(hSession, NULL, 0, pSignature, ulSignatureLen, 0);
}

/* ECDSA signatures are r‖s, each as long as the curve's order. */
static const struct curve_size {
  const char *curve;
  CK_ULONG order_bytes;
} CURVES[] = {
    {"secp256r1", 32}, {"prime256v1", 32}, {"secp384r1", 48}, {"secp521r1", 66}, {"secp256k1", 32},
};

/* The signature length a key makes: RSA's modulus length, or twice an EC curve's order length. */
static CK_ULONG key_signature_length(json_object *key) {
  json_object *shape, *value;
  if (!json_object_object_get_ex(key, "shape", &shape)) return 0;
  if (json_object_object_get_ex(shape, "modulusBits", &value)) return ((CK_ULONG)json_object_get_int64(value) + 7) / 8;
  if (!json_object_object_get_ex(shape, "curve", &value)) return 0;
  for (size_t i = 0; i < sizeof CURVES / sizeof CURVES[0]; i++)
    if (strcmp(CURVES[i].curve, json_object_get_string(value)) == 0) return 2 * CURVES[i].order_bytes;
  return 0;
}

int coffer_signature_wrong_length(struct coffer_call *call, CK_MECHANISM_TYPE mechanism, CK_OBJECT_HANDLE key,
                                  CK_ULONG length) {
  CK_ULONG expected = coffer_mechanism_signature_length(mechanism);
  if (expected == 0) {
    char path[32 + COFFER_HANDLE_TEXT], handle[COFFER_HANDLE_TEXT];
    json_object *answer = NULL, *object;
    coffer_handle_format(key, handle);
    snprintf(path, sizeof path, "/v1/keys/%s", handle);
    if (coffer_call_http(call, "GET", path, NULL, &answer, NULL) == CKR_OK && answer != NULL &&
        json_object_object_get_ex(answer, "key", &object))
      expected = key_signature_length(object);
    if (answer != NULL) json_object_put(answer);
  }
  return expected != 0 && length != expected;
}
