/* The op table, and what the ops share: making this run's keys and destroying them. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

extern const struct op op_rsa2048_sign, op_p256_sign, op_aes_gcm_1k, op_aes_keygen, op_find_label;

const struct op *const all_ops[] = {&op_rsa2048_sign, &op_p256_sign, &op_aes_gcm_1k, &op_aes_keygen, &op_find_label};
const size_t all_op_count = sizeof all_ops / sizeof all_ops[0];

const struct op *op_find(const char *name) {
  for (size_t i = 0; i < all_op_count; i++)
    if (strcmp(all_ops[i]->name, name) == 0) return all_ops[i];
  return NULL;
}

uint64_t next_random(uint64_t *state) { /* xorshift64*: label choice, not secrets */
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

#define MAX_TEMPLATE 16

/* template + CKA_TOKEN + CKA_LABEL ("pkpspeed-<run>-key-<thread>", so a leftover is recognisable). */
static CK_ULONG with_token(CK_ATTRIBUTE *out, const CK_ATTRIBUTE *in, CK_ULONG count, CK_BBOOL *token,
                           struct op_state *state) {
  snprintf(state->label_text, sizeof state->label_text, "pkpspeed-%ld-key-%u", state->run_id, state->index);
  memcpy(out, in, count * sizeof *in);
  out[count] = (CK_ATTRIBUTE){CKA_TOKEN, token, sizeof *token};
  out[count + 1] = (CK_ATTRIBUTE){CKA_LABEL, state->label_text, (CK_ULONG)strlen(state->label_text)};
  return count + 2;
}

int generate_key_pair(struct op_state *state, CK_MECHANISM_TYPE type, CK_ATTRIBUTE *public_template,
                      CK_ULONG public_count, CK_ATTRIBUTE *private_template, CK_ULONG private_count,
                      struct first_error *error) {
  CK_MECHANISM mechanism = {type, NULL, 0};
  CK_ATTRIBUTE public_full[MAX_TEMPLATE], private_full[MAX_TEMPLATE];
  if (public_count + 2 > MAX_TEMPLATE || private_count + 2 > MAX_TEMPLATE)
    return record_failure(error, "template too long");
  CK_RV first = CKR_OK;
  /* Session objects first (nothing to leave behind); a token object only when refused. */
  for (CK_BBOOL token = CK_FALSE; token <= CK_TRUE; token++) {
    CK_BBOOL value = token;
    CK_ULONG public_n = with_token(public_full, public_template, public_count, &value, state);
    CK_ULONG private_n = with_token(private_full, private_template, private_count, &value, state);
    CK_RV rv = state->p11->C_GenerateKeyPair(state->session, &mechanism, public_full, public_n, private_full,
                                             private_n, &state->public_key, &state->key);
    if (rv == CKR_OK) return 0;
    state->public_key = state->key = CK_INVALID_HANDLE;
    if (first == CKR_OK) first = rv;
  }
  return record_error(error, "C_GenerateKeyPair", first);
}

int generate_aes_key(struct op_state *state, CK_ATTRIBUTE_TYPE usage, struct first_error *error) {
  CK_MECHANISM mechanism = {CKM_AES_KEY_GEN, NULL, 0};
  CK_OBJECT_CLASS class = CKO_SECRET_KEY;
  CK_KEY_TYPE key_type = CKK_AES;
  CK_ULONG length = 32;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ATTRIBUTE template[] = {
      {CKA_CLASS, &class, sizeof class},         {CKA_KEY_TYPE, &key_type, sizeof key_type},
      {CKA_VALUE_LEN, &length, sizeof length},   {usage, &yes, sizeof yes},
      {CKA_SENSITIVE, &yes, sizeof yes},         {CKA_EXTRACTABLE, &no, sizeof no},
  };
  CK_ATTRIBUTE full[MAX_TEMPLATE];
  CK_RV first = CKR_OK;
  for (CK_BBOOL token = CK_FALSE; token <= CK_TRUE; token++) {
    CK_BBOOL value = token;
    CK_ULONG n = with_token(full, template, sizeof template / sizeof template[0], &value, state);
    CK_RV rv = state->p11->C_GenerateKey(state->session, &mechanism, full, n, &state->key);
    if (rv == CKR_OK) return 0;
    state->key = CK_INVALID_HANDLE;
    if (first == CKR_OK) first = rv;
  }
  return record_error(error, "C_GenerateKey", first);
}

void destroy_keys(struct op_state *state) {
  if (state->key != CK_INVALID_HANDLE) state->p11->C_DestroyObject(state->session, state->key);
  if (state->public_key != CK_INVALID_HANDLE) state->p11->C_DestroyObject(state->session, state->public_key);
  state->key = state->public_key = CK_INVALID_HANDLE;
}
