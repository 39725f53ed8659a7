/*
 * Coffer's digest signatures: OpenSSL's EVP_PKEY_sign / EVP_PKEY_verify over a digest the caller
 * made (RSA-PSS, ECDSA). The key is an EVP_PKEY held by a JavaScript external; each signature
 * runs on the libuv pool and settles a promise.
 */
#ifndef COFFER_NATIVE_H
#define COFFER_NATIVE_H

#include <stddef.h>

#include <node_api.h>
#include <openssl/evp.h>

/* The longest digest the addon signs (SHA-512's 64 bytes), and the longest signature it reads. */
#define DIGEST_MAX_BYTES 64
#define SIGNATURE_MAX_BYTES 1024

/* ---- args.c: arguments and errors ---- */

/* Throws a TypeError naming `what` and returns 0 unless the value is a Buffer. */
int arg_buffer(napi_env env, napi_value value, const char *what, const unsigned char **data, size_t *length);
/* Throws a TypeError unless the value is an integer in [min, max]. */
int arg_int(napi_env env, napi_value value, const char *what, int min, int max, int *out);
/* Throws a TypeError unless the value is a string of at most size - 1 bytes. */
int arg_string(napi_env env, napi_value value, const char *what, char *out, size_t size);
/* Gets exactly `count` arguments; throws a TypeError otherwise. */
int args_exactly(napi_env env, napi_callback_info info, size_t count, napi_value *argv);
/* An Error with `code` and `message` (NULL when even that fails). */
napi_value native_error(napi_env env, const char *code, const char *message);

/* ---- digests.c: the hashes, by Node's names ---- */

/* The digest of a name (sha1, sha224, sha256, sha384, sha512); NULL for any other. */
const EVP_MD *digest_of_name(const char *name);

/* ---- keys.c: keys as externals ---- */

/* The EVP_PKEY of an external made by loadPrivateKey / loadPublicKey; throws and NULL otherwise. */
EVP_PKEY *key_of(napi_env env, napi_value value);
napi_value load_private_key(napi_env env, napi_callback_info info);
napi_value load_public_key(napi_env env, napi_callback_info info);

/* ---- jobs.c: one signature or verification on the libuv pool ---- */

enum job_kind { JOB_SIGN, JOB_VERIFY };

struct job;
/* Runs on a pool thread: sets the signature (sign) or the verdict (verify), or fails. */
typedef int (*job_run)(struct job *job);

struct job {
  enum job_kind kind;
  job_run run;
  EVP_PKEY *key; /* a reference of the job's own */
  unsigned char digest[DIGEST_MAX_BYTES];
  size_t digest_length;
  /* Sign: the signature made (OPENSSL_malloc). Verify: a copy of the caller's. */
  unsigned char *signature;
  size_t signature_length;
  /* RSA-PSS */
  const EVP_MD *md;
  const EVP_MD *mgf1_md;
  int salt_length;
  /* ECDSA: 1 for PKCS#11's r‖s, 0 for DER */
  int raw;
  /* Outcome, read on the main thread. */
  int verified;
  const char *failure; /* a static message when run failed */
  unsigned long openssl_error;
  napi_deferred deferred;
  napi_async_work work;
};

/*
 * A job over `key` and the caller's digest (and signature, to verify); NULL with an exception
 * pending when an argument is wrong.
 */
struct job *job_new(napi_env env, enum job_kind kind, job_run run, napi_value key, napi_value digest,
                    napi_value signature);
/* Queues the job and returns its promise; frees it (and throws) when that fails. */
napi_value job_queue(napi_env env, struct job *job);
/* Frees a job that was never queued. */
void job_free(struct job *job);
/* Records a failure on the pool thread, with OpenSSL's first queued error; returns 0. */
int job_fail(struct job *job, const char *failure);
/* EVP_PKEY_sign over the job's digest with a context set up for it: the job's signature. */
int job_evp_sign(struct job *job, EVP_PKEY_CTX *ctx);

/* ---- rsa-pss.c and ecdsa.c: the operations ---- */

napi_value sign_pss(napi_env env, napi_callback_info info);
napi_value verify_pss(napi_env env, napi_callback_info info);
napi_value sign_ecdsa(napi_env env, napi_callback_info info);
napi_value verify_ecdsa(napi_env env, napi_callback_info info);

#endif
