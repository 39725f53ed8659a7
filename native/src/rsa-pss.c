/*
 * RSASSA-PSS over the caller's digest (PKCS#11 CKM_RSA_PKCS_PSS): OpenSSL pads and signs with
 * the digest's hash, MGF1 over its own hash, and an exact salt length, which verification also
 * requires. The digest must be the hash's length (OpenSSL checks it as well).
 *
 *   signPss(key, digest, hash, mgf1Hash, saltLength) → Promise<Buffer>
 *   verifyPss(key, digest, signature, hash, mgf1Hash, saltLength) → Promise<boolean>
 */
#include <openssl/rsa.h>

#include "native.h"

#define SALT_MAX_BYTES 1024

static EVP_PKEY_CTX *pss_context(struct job *job) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(job->key, NULL);
  int ready = ctx != NULL && (job->kind == JOB_SIGN ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) > 0 &&
              EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0 &&
              EVP_PKEY_CTX_set_signature_md(ctx, job->md) > 0 && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, job->mgf1_md) > 0 &&
              EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, job->salt_length) > 0;
  if (ready) return ctx;
  EVP_PKEY_CTX_free(ctx);
  return NULL;
}

static int run_sign(struct job *job) {
  EVP_PKEY_CTX *ctx = pss_context(job);
  if (ctx == NULL) return job_fail(job, "RSA-PSS parameters refused");
  int ok = job_evp_sign(job, ctx);
  EVP_PKEY_CTX_free(ctx);
  return ok;
}

/* Any failure, a malformed signature included, is a signature that does not verify. A signature
   is the modulus' length exactly (RFC 8017 §8.1.2 step 1): OpenSSL's PSS verification reads a
   shorter one as the same number, so a signature with a leading zero byte would pass without it. */
static int run_verify(struct job *job) {
  EVP_PKEY_CTX *ctx = pss_context(job);
  if (ctx == NULL) return job_fail(job, "RSA-PSS parameters refused");
  job->verified = job->signature_length == (size_t)EVP_PKEY_get_size(job->key) &&
                  EVP_PKEY_verify(ctx, job->signature, job->signature_length, job->digest, job->digest_length) == 1;
  EVP_PKEY_CTX_free(ctx);
  return 1;
}

/* The hash, MGF1 hash and salt arguments, checked against the key and the digest. */
static int pss_arguments(napi_env env, struct job *job, const napi_value *argv) {
  char hash[16], mgf1_hash[16];
  if (!arg_string(env, argv[0], "hash", hash, sizeof hash) ||
      !arg_string(env, argv[1], "mgf1Hash", mgf1_hash, sizeof mgf1_hash) ||
      !arg_int(env, argv[2], "saltLength", 0, SALT_MAX_BYTES, &job->salt_length))
    return 0;
  job->md = digest_of_name(hash);
  job->mgf1_md = digest_of_name(mgf1_hash);
  if (job->md == NULL || job->mgf1_md == NULL) {
    napi_throw_range_error(env, "ERR_COFFER_NATIVE_ARG", "hash and mgf1Hash are sha1, sha224, sha256, sha384 or sha512");
    return 0;
  }
  if (EVP_PKEY_get_base_id(job->key) != EVP_PKEY_RSA) {
    napi_throw_type_error(env, "ERR_COFFER_NATIVE_ARG", "RSA-PSS needs an RSA key");
    return 0;
  }
  if ((size_t)EVP_MD_get_size(job->md) != job->digest_length) {
    napi_throw_range_error(env, "ERR_COFFER_NATIVE_ARG", "the digest's length is not the hash's");
    return 0;
  }
  return 1;
}

napi_value sign_pss(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args_exactly(env, info, 5, argv)) return NULL;
  struct job *job = job_new(env, JOB_SIGN, run_sign, argv[0], argv[1], NULL);
  if (job == NULL) return NULL;
  if (!pss_arguments(env, job, argv + 2)) {
    job_free(job);
    return NULL;
  }
  return job_queue(env, job);
}

napi_value verify_pss(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args_exactly(env, info, 6, argv)) return NULL;
  struct job *job = job_new(env, JOB_VERIFY, run_verify, argv[0], argv[1], argv[2]);
  if (job == NULL) return NULL;
  if (!pss_arguments(env, job, argv + 3)) {
    job_free(job);
    return NULL;
  }
  return job_queue(env, job);
}
