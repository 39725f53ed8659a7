/* C_GenerateRandom: POST /v1/crypto/random, in pieces no larger than the node serves at once. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define RANDOM_CHUNK 65536UL /* MAX_RANDOM_BYTES in src/keys/crypto-service.ts */
/* A piece whose answer is small enough to travel combined with others' calls. */
#define COMBINED_PIECE (COFFER_COMBINE_ITEM_MAX / 4 * 3)

static CK_RV random_piece(struct coffer_call *call, CK_BYTE_PTR out, CK_ULONG length) {
  char body[64];
  snprintf(body, sizeof body, "{\"length\":%lu}", length);
  json_object *answer = NULL, *field;
  const char *batch = length <= COMBINED_PIECE ? "random" : NULL;
  CK_RV rv = coffer_call_combined(call, batch, "/v1/crypto/random", body, &answer, NULL);
  if (rv != CKR_OK) return rv;
  size_t decoded = 0;
  if (answer == NULL || !json_object_object_get_ex(answer, "random", &field) ||
      !json_object_is_type(field, json_type_string))
    rv = CKR_DEVICE_ERROR;
  else {
    char *text = (char *)json_object_get_string(field);
    if (coffer_base64_decode(text, out, length, &decoded) != 0 || decoded != length) rv = CKR_DEVICE_ERROR;
    coffer_wipe(text, strlen(text));
  }
  if (answer != NULL) json_object_put(answer);
  return rv;
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  if (call.token == NULL) rv = CKR_USER_NOT_LOGGED_IN;
  else if (RandomData == NULL && ulRandomLen > 0) rv = CKR_ARGUMENTS_BAD;
  for (CK_ULONG done = 0; rv == CKR_OK && done < ulRandomLen;) {
    CK_ULONG piece = ulRandomLen - done < RANDOM_CHUNK ? ulRandomLen - done : RANDOM_CHUNK;
    rv = random_piece(&call, RandomData + done, piece);
    done += piece;
  }
  if (rv != CKR_OK && RandomData != NULL) coffer_wipe(RandomData, ulRandomLen);
  coffer_call_end(&call);
  return rv;
}

CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen) {
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(hSession, &call);
  if (rv != CKR_OK) return rv;
  if (pSeed == NULL && ulSeedLen > 0) rv = CKR_ARGUMENTS_BAD;
  else rv = CKR_RANDOM_SEED_NOT_SUPPORTED; /* the node's generator takes no outside seed */
  coffer_call_end(&call);
  return rv;
}
