/*
 * ECDSA over the caller's digest (PKCS#11 CKM_ECDSA). OpenSSL takes the digest's leftmost bits
 * up to the order's size (SEC 1 §4.1.3 step 5) and makes the nonce from the key, the digest and
 * fresh randomness. Its signature is DER; PKCS#11 wants r‖s, each at the order's size: OpenSSL's
 * ECDSA_SIG functions convert both ways. DER verification is strict: OpenSSL refuses an encoding
 * that is not the one DER allows, or has bytes after it.
 *
 *   signEcdsa(key, digest, raw) → Promise<Buffer>
 *   verifyEcdsa(key, digest, signature, raw) → Promise<boolean>
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>

#include "native.h"

static size_t order_bytes(const EVP_PKEY *key) { return ((size_t)EVP_PKEY_get_bits(key) + 7) / 8; }

static EVP_PKEY_CTX *ecdsa_context(struct job *job) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(job->key, NULL);
  if (ctx != NULL && (job->kind == JOB_SIGN ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) > 0) return ctx;
  EVP_PKEY_CTX_free(ctx);
  return NULL;
}

/* The job's DER signature, rewritten as r‖s. */
static int der_to_raw(struct job *job) {
  const unsigned char *at = job->signature;
  const BIGNUM *r, *s;
  size_t n = order_bytes(job->key);
  ECDSA_SIG *signature = d2i_ECDSA_SIG(NULL, &at, (long)job->signature_length);
  unsigned char *raw = signature == NULL ? NULL : OPENSSL_malloc(2 * n);
  int ok = raw != NULL;
  if (ok) {
    ECDSA_SIG_get0(signature, &r, &s);
    ok = BN_bn2binpad(r, raw, (int)n) == (int)n && BN_bn2binpad(s, raw + n, (int)n) == (int)n;
  }
  ECDSA_SIG_free(signature);
  if (!ok) {
    OPENSSL_free(raw);
    return job_fail(job, "the signature does not convert to r||s");
  }
  OPENSSL_clear_free(job->signature, job->signature_length);
  job->signature = raw;
  job->signature_length = 2 * n;
  return 1;
}

/* r‖s as DER, or NULL when it is not two numbers of the order's size. */
static unsigned char *raw_to_der(const struct job *job, int *der_length) {
  size_t n = order_bytes(job->key);
  unsigned char *der = NULL;
  if (job->signature_length != 2 * n) return NULL;
  BIGNUM *r = BN_bin2bn(job->signature, (int)n, NULL), *s = BN_bin2bn(job->signature + n, (int)n, NULL);
  ECDSA_SIG *signature = ECDSA_SIG_new();
  if (r == NULL || s == NULL || signature == NULL || !ECDSA_SIG_set0(signature, r, s)) {
    BN_free(r);
    BN_free(s);
  } else {
    *der_length = i2d_ECDSA_SIG(signature, &der);
    if (*der_length <= 0) der = NULL;
  }
  ECDSA_SIG_free(signature);
  return der;
}

static int run_sign(struct job *job) {
  EVP_PKEY_CTX *ctx = ecdsa_context(job);
  if (ctx == NULL) return job_fail(job, "ECDSA setup failed");
  int ok = job_evp_sign(job, ctx);
  EVP_PKEY_CTX_free(ctx);
  return ok && (!job->raw || der_to_raw(job));
}

/* Any failure, a malformed signature included, is a signature that does not verify. */
static int run_verify(struct job *job) {
  EVP_PKEY_CTX *ctx = ecdsa_context(job);
  if (ctx == NULL) return job_fail(job, "ECDSA setup failed");
  int der_length = (int)job->signature_length;
  unsigned char *der = job->raw ? raw_to_der(job, &der_length) : job->signature;
  job->verified = der != NULL && EVP_PKEY_verify(ctx, der, (size_t)der_length, job->digest, job->digest_length) == 1;
  if (job->raw) OPENSSL_free(der);
  EVP_PKEY_CTX_free(ctx);
  return 1;
}

static int ecdsa_arguments(napi_env env, struct job *job, napi_value raw) {
  bool is_raw = false;
  if (napi_get_value_bool(env, raw, &is_raw) != napi_ok) {
    napi_throw_type_error(env, "ERR_COFFER_NATIVE_ARG", "raw must be a boolean");
    return 0;
  }
  if (EVP_PKEY_get_base_id(job->key) != EVP_PKEY_EC) {
    napi_throw_type_error(env, "ERR_COFFER_NATIVE_ARG", "ECDSA needs an EC key");
    return 0;
  }
  job->raw = is_raw;
  return 1;
}

napi_value sign_ecdsa(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args_exactly(env, info, 3, argv)) return NULL;
  struct job *job = job_new(env, JOB_SIGN, run_sign, argv[0], argv[1], NULL);
  if (job == NULL) return NULL;
  if (!ecdsa_arguments(env, job, argv[2])) {
    job_free(job);
    return NULL;
  }
  return job_queue(env, job);
}

napi_value verify_ecdsa(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args_exactly(env, info, 4, argv)) return NULL;
  struct job *job = job_new(env, JOB_VERIFY, run_verify, argv[0], argv[1], argv[2]);
  if (job == NULL) return NULL;
  if (!ecdsa_arguments(env, job, argv[3])) {
    job_free(job);
    return NULL;
  }
  return job_queue(env, job);
}
