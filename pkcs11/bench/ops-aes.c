/* aes-gcm-1k: C_EncryptInit + C_Encrypt of 1 KiB under CKM_AES_GCM with this thread's AES-256 key.
 * aes-keygen: one C_GenerateKey of an AES-256 session key; C_DestroyObject follows, untimed. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static unsigned char plaintext[1024];

/* A fresh IV per op, outside the timer: all zeros for a module that makes its own (it writes
 * the IV it used back into the buffer), else a counter, unique for this thread's key. */
static void gcm_prepare(struct op_state *state) {
  memset(state->iv, 0, sizeof state->iv);
  if (state->config->gcm_iv == GCM_IV_COUNTER) {
    uint64_t counter = ++state->counter;
    for (int i = 11; i >= 4; i--, counter >>= 8) state->iv[i] = (unsigned char)counter;
  }
  state->gcm = (CK_GCM_PARAMS){.pIv = state->iv, .ulIvLen = sizeof state->iv, .ulIvBits = 8 * sizeof state->iv,
                               .pAAD = NULL, .ulAADLen = 0, .ulTagBits = 128};
  state->mechanism = (CK_MECHANISM){CKM_AES_GCM, &state->gcm, sizeof state->gcm};
}

static int gcm_run(struct op_state *state, struct first_error *error) {
  CK_RV rv = state->p11->C_EncryptInit(state->session, &state->mechanism, state->key);
  if (rv != CKR_OK) return record_error(error, "C_EncryptInit", rv);
  CK_ULONG length = state->out_size;
  rv = state->p11->C_Encrypt(state->session, plaintext, sizeof plaintext, state->out, &length);
  if (rv != CKR_OK) return record_error(error, "C_Encrypt", rv);
  return 0;
}

/* The key, then one encryption outside the timer: its length query sizes the output buffer. */
static int gcm_setup(struct op_state *state, struct first_error *error) {
  if (generate_aes_key(state, CKA_ENCRYPT, error) != 0) return -1;
  gcm_prepare(state);
  CK_RV rv = state->p11->C_EncryptInit(state->session, &state->mechanism, state->key);
  if (rv != CKR_OK) return record_error(error, "C_EncryptInit", rv);
  CK_ULONG length = 0;
  rv = state->p11->C_Encrypt(state->session, plaintext, sizeof plaintext, NULL, &length);
  if (rv != CKR_OK) return record_error(error, "C_Encrypt (length)", rv); /* a failure ends the operation */
  state->out_size = length;
  state->out = malloc(length > 0 ? length : 1);
  if (state->out == NULL) return record_failure(error, "out of memory");
  rv = state->p11->C_Encrypt(state->session, plaintext, sizeof plaintext, state->out, &length);
  if (rv != CKR_OK) return record_error(error, "C_Encrypt", rv);
  return 0;
}

static void gcm_teardown(struct op_state *state) {
  destroy_keys(state);
  free(state->out);
  state->out = NULL;
}

static int keygen_run(struct op_state *state, struct first_error *error) {
  CK_MECHANISM mechanism = {CKM_AES_KEY_GEN, NULL, 0};
  CK_OBJECT_CLASS class = CKO_SECRET_KEY;
  CK_KEY_TYPE key_type = CKK_AES;
  CK_ULONG length = 32;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ATTRIBUTE template[] = {
      {CKA_CLASS, &class, sizeof class},       {CKA_KEY_TYPE, &key_type, sizeof key_type},
      {CKA_VALUE_LEN, &length, sizeof length}, {CKA_TOKEN, &no, sizeof no},
      {CKA_ENCRYPT, &yes, sizeof yes},         {CKA_SENSITIVE, &yes, sizeof yes},
      {CKA_EXTRACTABLE, &no, sizeof no},
  };
  CK_RV rv = state->p11->C_GenerateKey(state->session, &mechanism, template, sizeof template / sizeof template[0],
                                       &state->key);
  if (rv != CKR_OK) {
    state->key = CK_INVALID_HANDLE;
    return record_error(error, "C_GenerateKey", rv);
  }
  return 0;
}

/* Untimed: each key goes before the next is made, so a session holds at most one. */
static int keygen_after(struct op_state *state, struct first_error *error) {
  CK_RV rv = state->p11->C_DestroyObject(state->session, state->key);
  state->key = CK_INVALID_HANDLE;
  return rv == CKR_OK ? 0 : record_error(error, "C_DestroyObject", rv);
}

static int keygen_setup(struct op_state *state, struct first_error *error) {
  (void)state;
  (void)error;
  return 0;
}

static void keygen_teardown(struct op_state *state) { destroy_keys(state); }

const struct op op_aes_gcm_1k = {
    .name = "aes-gcm-1k",
    .mechanism = "CKM_AES_GCM, AES-256, 1 KiB, 96-bit IV, 128-bit tag",
    .takes_gcm_iv = 1,
    .setup = gcm_setup,
    .prepare = gcm_prepare,
    .run = gcm_run,
    .teardown = gcm_teardown,
};

const struct op op_aes_keygen = {
    .name = "aes-keygen",
    .mechanism = "CKM_AES_KEY_GEN, AES-256 session key (destroy untimed)",
    .setup = keygen_setup,
    .run = keygen_run,
    .after = keygen_after,
    .teardown = keygen_teardown,
};
