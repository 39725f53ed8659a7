/*
 * C_Digest*: in the module, with OpenSSL's EVP (a digest needs no key and no login, and a
 * round trip per part would only slow it down). The mechanism's form is judged by the one
 * mechanism table (params.c); the hash itself is OpenSSL's. C_DigestKey answers
 * CKR_KEY_INDIGESTIBLE: Coffer never lets key bytes out of the node, not even into a hash.
 */
#define _POSIX_C_SOURCE 200809L
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static const struct digest_row {
  CK_MECHANISM_TYPE type;
  const EVP_MD *(*md)(void);
} DIGESTS[] = {
    {CKM_SHA_1, EVP_sha1}, {CKM_SHA224, EVP_sha224}, {CKM_SHA256, EVP_sha256},
    {CKM_SHA384, EVP_sha384}, {CKM_SHA512, EVP_sha512},
};

struct digest {
  EVP_MD_CTX *context;
  CK_ULONG length;
  int updated;
};

static void release(void *value, const char *token) {
  (void)token; /* nothing on the node */
  struct digest *digest = value;
  EVP_MD_CTX_free(digest->context); /* cleanses the hash state */
  free(digest);
}

static void end_digest(struct coffer_call *call) { coffer_call_set_state(call, COFFER_STATE_DIGEST, NULL, NULL); }

static CK_RV start(const CK_MECHANISM *mechanism, struct digest **started) {
  json_object *scratch = json_object_new_object();
  if (scratch == NULL) return CKR_HOST_MEMORY;
  CK_RV rv = coffer_mechanism_json(mechanism, COFFER_USE_DIGEST, scratch);
  json_object_put(scratch);
  const EVP_MD *md = NULL;
  for (size_t i = 0; rv == CKR_OK && i < sizeof DIGESTS / sizeof DIGESTS[0]; i++)
    if (DIGESTS[i].type == mechanism->mechanism) md = DIGESTS[i].md();
  if (rv == CKR_OK && md == NULL) rv = CKR_MECHANISM_INVALID;
  if (rv != CKR_OK) return rv;
  struct digest *digest = calloc(1, sizeof *digest);
  if (digest == NULL || (digest->context = EVP_MD_CTX_new()) == NULL ||
      EVP_DigestInit_ex(digest->context, md, NULL) != 1) {
    if (digest != NULL) release(digest, NULL);
    return CKR_HOST_MEMORY;
  }
  digest->length = (CK_ULONG)EVP_MD_get_size(md);
  *started = digest;
  return CKR_OK;
}

CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  int active = coffer_call_state(&call, COFFER_STATE_DIGEST) != NULL;
  struct digest *digest = NULL;
  /* PKCS#11 3.0: a NULL mechanism ends the active operation. */
  if (pMechanism == NULL) rv = active ? CKR_OK : CKR_ARGUMENTS_BAD;
  else if (active) rv = CKR_OPERATION_ACTIVE;
  else rv = start(pMechanism, &digest);
  if (pMechanism == NULL && active) end_digest(&call);
  if (digest != NULL) coffer_call_set_state(&call, COFFER_STATE_DIGEST, digest, release);
  coffer_call_end(&call);
  return rv;
}

static CK_RV begin_step(CK_SESSION_HANDLE session, struct coffer_call *call, struct digest **digest) {
  CK_RV rv = coffer_call_begin(session, call);
  if (rv != CKR_OK) return rv;
  if ((*digest = coffer_call_state(call, COFFER_STATE_DIGEST)) == NULL) {
    coffer_call_end(call);
    return CKR_OPERATION_NOT_INITIALIZED;
  }
  return CKR_OK;
}

/* §5.2 with the length known in advance: NULL or a short buffer leave the operation running. */
static CK_RV room_for(const struct digest *digest, CK_BYTE_PTR out, CK_ULONG_PTR out_length, int *asked) {
  CK_ULONG room = *out_length;
  *out_length = digest->length;
  *asked = out == NULL || room < digest->length;
  return out != NULL && room < digest->length ? CKR_BUFFER_TOO_SMALL : CKR_OK;
}

static CK_RV finish(struct digest *digest, CK_BYTE_PTR out, CK_ULONG_PTR out_length) {
  unsigned int written = 0;
  if (EVP_DigestFinal_ex(digest->context, out, &written) != 1 || written != digest->length) return CKR_GENERAL_ERROR;
  *out_length = written;
  return CKR_OK;
}

CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pDigest,
               CK_ULONG_PTR pulDigestLen) {
  struct coffer_call call;
  struct digest *digest;
  CK_RV rv = begin_step(hSession, &call, &digest);
  if (rv != CKR_OK) return rv;
  int asked = 0;
  if (pulDigestLen == NULL || (pData == NULL && ulDataLen > 0)) rv = CKR_ARGUMENTS_BAD;
  else if (digest->updated) rv = CKR_OPERATION_ACTIVE; /* C_DigestUpdate began the multi-part form */
  else rv = room_for(digest, pDigest, pulDigestLen, &asked);
  if (rv == CKR_OK && !asked) {
    if (ulDataLen > 0 && EVP_DigestUpdate(digest->context, pData, ulDataLen) != 1) rv = CKR_GENERAL_ERROR;
    else rv = finish(digest, pDigest, pulDigestLen);
  }
  if (!(rv == CKR_OK && asked) && rv != CKR_BUFFER_TOO_SMALL && rv != CKR_OPERATION_ACTIVE) end_digest(&call);
  coffer_call_end(&call);
  return rv;
}

CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  struct coffer_call call;
  struct digest *digest;
  CK_RV rv = begin_step(hSession, &call, &digest);
  if (rv != CKR_OK) return rv;
  if (pPart == NULL && ulPartLen > 0) rv = CKR_ARGUMENTS_BAD;
  else if (ulPartLen > 0 && EVP_DigestUpdate(digest->context, pPart, ulPartLen) != 1) rv = CKR_GENERAL_ERROR;
  digest->updated = 1;
  if (rv != CKR_OK) end_digest(&call);
  coffer_call_end(&call);
  return rv;
}

/* The key must exist for the caller (CKR_KEY_HANDLE_INVALID otherwise); its value is never digested. */
CK_RV C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey) {
  struct coffer_call call;
  struct digest *digest;
  CK_RV rv = begin_step(hSession, &call, &digest);
  if (rv != CKR_OK) return rv;
  rv = CKR_KEY_HANDLE_INVALID;
  if (hKey != CK_INVALID_HANDLE && call.token != NULL) {
    char path[32 + COFFER_HANDLE_TEXT], handle[COFFER_HANDLE_TEXT];
    json_object *answer = NULL;
    coffer_handle_format(hKey, handle);
    snprintf(path, sizeof path, "/v1/keys/%s", handle);
    rv = coffer_call_http(&call, "GET", path, NULL, &answer, NULL);
    if (rv == CKR_OK) rv = CKR_KEY_INDIGESTIBLE;
    else if (rv == CKR_OBJECT_HANDLE_INVALID) rv = CKR_KEY_HANDLE_INVALID;
    if (answer != NULL) json_object_put(answer);
  }
  end_digest(&call);
  coffer_call_end(&call);
  return rv;
}

CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen) {
  struct coffer_call call;
  struct digest *digest;
  CK_RV rv = begin_step(hSession, &call, &digest);
  if (rv != CKR_OK) return rv;
  int asked = 0;
  rv = pulDigestLen == NULL ? CKR_ARGUMENTS_BAD : room_for(digest, pDigest, pulDigestLen, &asked);
  if (rv == CKR_OK && !asked) rv = finish(digest, pDigest, pulDigestLen);
  if (!(rv == CKR_OK && asked) && rv != CKR_BUFFER_TOO_SMALL) end_digest(&call);
  coffer_call_end(&call);
  return rv;
}
