/* rsa2048-sign and p256-sign: one C_SignInit + C_Sign over 32 bytes with a key pair of this thread. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* 32 bytes: the message for CKM_SHA256_RSA_PKCS, the digest for CKM_ECDSA. */
static unsigned char message[32] = "coffer-pkpspeed sign input";

/* One signature outside the timer: a length query sizes the buffer and proves the key signs. */
static int sign_setup(struct op_state *state, struct first_error *error) {
  CK_RV rv = state->p11->C_SignInit(state->session, &state->mechanism, state->key);
  if (rv != CKR_OK) return record_error(error, "C_SignInit", rv);
  CK_ULONG length = 0;
  rv = state->p11->C_Sign(state->session, message, sizeof message, NULL, &length);
  if (rv != CKR_OK) return record_error(error, "C_Sign (length)", rv); /* a failure ends the operation */
  state->out_size = length;
  state->out = malloc(length > 0 ? length : 1);
  if (state->out == NULL) return record_failure(error, "out of memory");
  rv = state->p11->C_Sign(state->session, message, sizeof message, state->out, &length);
  if (rv != CKR_OK) return record_error(error, "C_Sign", rv);
  return 0;
}

static int sign_run(struct op_state *state, struct first_error *error) {
  CK_RV rv = state->p11->C_SignInit(state->session, &state->mechanism, state->key);
  if (rv != CKR_OK) return record_error(error, "C_SignInit", rv);
  CK_ULONG length = state->out_size;
  rv = state->p11->C_Sign(state->session, message, sizeof message, state->out, &length);
  if (rv != CKR_OK) return record_error(error, "C_Sign", rv);
  return 0;
}

static void sign_teardown(struct op_state *state) {
  destroy_keys(state);
  free(state->out);
  state->out = NULL;
}

static int rsa_setup(struct op_state *state, struct first_error *error) {
  CK_ULONG bits = 2048;
  CK_BYTE exponent[] = {0x01, 0x00, 0x01};
  CK_BBOOL yes = CK_TRUE;
  CK_ATTRIBUTE public_template[] = {
      {CKA_MODULUS_BITS, &bits, sizeof bits},
      {CKA_PUBLIC_EXPONENT, exponent, sizeof exponent},
      {CKA_VERIFY, &yes, sizeof yes},
  };
  CK_ATTRIBUTE private_template[] = {
      {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_SENSITIVE, &yes, sizeof yes},
      {CKA_SIGN, &yes, sizeof yes},
  };
  if (generate_key_pair(state, CKM_RSA_PKCS_KEY_PAIR_GEN, public_template, 3, private_template, 3, error) != 0)
    return -1;
  state->mechanism = (CK_MECHANISM){CKM_SHA256_RSA_PKCS, NULL, 0};
  return sign_setup(state, error);
}

static int p256_setup(struct op_state *state, struct first_error *error) {
  CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}; /* OID 1.2.840.10045.3.1.7 */
  CK_BBOOL yes = CK_TRUE;
  CK_ATTRIBUTE public_template[] = {
      {CKA_EC_PARAMS, p256, sizeof p256},
      {CKA_VERIFY, &yes, sizeof yes},
  };
  CK_ATTRIBUTE private_template[] = {
      {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_SENSITIVE, &yes, sizeof yes},
      {CKA_SIGN, &yes, sizeof yes},
  };
  if (generate_key_pair(state, CKM_EC_KEY_PAIR_GEN, public_template, 2, private_template, 3, error) != 0) return -1;
  /* Raw ECDSA over a 32-byte digest: every module has it (CKM_ECDSA_SHA256 is optional), and the
   * hash of 32 bytes is no part of what a signature costs. */
  state->mechanism = (CK_MECHANISM){CKM_ECDSA, NULL, 0};
  return sign_setup(state, error);
}

const struct op op_rsa2048_sign = {
    .name = "rsa2048-sign",
    .mechanism = "CKM_SHA256_RSA_PKCS, RSA-2048, 32-byte message",
    .setup = rsa_setup,
    .run = sign_run,
    .teardown = sign_teardown,
};

const struct op op_p256_sign = {
    .name = "p256-sign",
    .mechanism = "CKM_ECDSA, P-256, 32-byte digest",
    .setup = p256_setup,
    .run = sign_run,
    .teardown = sign_teardown,
};
