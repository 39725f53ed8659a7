/*
 * One signature or verification as N-API async work: the arguments are checked and copied on
 * the main thread, the OpenSSL call runs on a libuv pool thread (an RSA-4096 signature does not
 * stall the event loop), and the promise settles back on the main thread. A verification that
 * fails resolves false; only a failure to run at all rejects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "native.h"

void job_free(struct job *job) {
  if (job == NULL) return;
  EVP_PKEY_free(job->key);
  OPENSSL_clear_free(job->signature, job->signature_length);
  OPENSSL_cleanse(job->digest, sizeof job->digest);
  free(job);
}

int job_fail(struct job *job, const char *failure) {
  job->failure = failure;
  job->openssl_error = ERR_peek_error();
  return 0;
}

struct job *job_new(napi_env env, enum job_kind kind, job_run run, napi_value key, napi_value digest,
                    napi_value signature) {
  const unsigned char *digest_bytes, *signature_bytes = NULL;
  size_t digest_length, signature_length = 0;
  EVP_PKEY *pkey = key_of(env, key);
  if (pkey == NULL || !arg_buffer(env, digest, "digest", &digest_bytes, &digest_length)) return NULL;
  if (digest_length == 0 || digest_length > DIGEST_MAX_BYTES) {
    napi_throw_range_error(env, "ERR_COFFER_NATIVE_ARG", "digest must be 1 to 64 bytes");
    return NULL;
  }
  if (kind == JOB_VERIFY) {
    if (!arg_buffer(env, signature, "signature", &signature_bytes, &signature_length)) return NULL;
    if (signature_length == 0 || signature_length > SIGNATURE_MAX_BYTES) {
      napi_throw_range_error(env, "ERR_COFFER_NATIVE_ARG", "signature must be 1 to 1024 bytes");
      return NULL;
    }
  }
  struct job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, "ERR_COFFER_NATIVE_MEMORY", "out of memory");
    return NULL;
  }
  job->kind = kind;
  job->run = run;
  memcpy(job->digest, digest_bytes, digest_length);
  job->digest_length = digest_length;
  if (kind == JOB_VERIFY) {
    job->signature = OPENSSL_malloc(signature_length);
    if (job->signature == NULL) {
      job_free(job);
      napi_throw_error(env, "ERR_COFFER_NATIVE_MEMORY", "out of memory");
      return NULL;
    }
    memcpy(job->signature, signature_bytes, signature_length);
    job->signature_length = signature_length;
  }
  /* The job's own reference: the external may be collected while the job runs. */
  EVP_PKEY_up_ref(pkey);
  job->key = pkey;
  return job;
}

/* OpenSSL's error queue is per thread: a pool thread starts and ends each job with it empty, so
   no reason left behind reaches node:crypto's next job there. */
static void execute(napi_env env, void *data) {
  (void)env;
  struct job *job = data;
  ERR_clear_error();
  job->run(job);
  ERR_clear_error();
}

static napi_value rejection(napi_env env, const struct job *job) {
  char message[256] = "the native signature failed";
  if (job->failure != NULL) {
    size_t at = (size_t)snprintf(message, sizeof message, "%s", job->failure);
    if (job->openssl_error != 0 && at + 2 < sizeof message) {
      message[at++] = ':';
      message[at++] = ' ';
      ERR_error_string_n(job->openssl_error, message + at, sizeof message - at);
    }
  }
  return native_error(env, "ERR_COFFER_NATIVE_SIGN", message);
}

static void complete(napi_env env, napi_status status, void *data) {
  struct job *job = data;
  napi_value result = NULL;
  int ok = status == napi_ok && job->failure == NULL;
  if (ok && job->kind == JOB_SIGN) {
    void *copy;
    ok = napi_create_buffer_copy(env, job->signature_length, job->signature, &copy, &result) == napi_ok;
  } else if (ok) {
    ok = napi_get_boolean(env, job->verified, &result) == napi_ok;
  }
  if (ok) napi_resolve_deferred(env, job->deferred, result);
  else napi_reject_deferred(env, job->deferred, rejection(env, job));
  napi_delete_async_work(env, job->work);
  job_free(job);
}

napi_value job_queue(napi_env env, struct job *job) {
  napi_value promise, name;
  if (napi_create_string_utf8(env, "coffer.digestSign", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
    job_free(job);
    return NULL;
  }
  if (napi_create_async_work(env, NULL, name, execute, complete, job, &job->work) != napi_ok) {
    napi_reject_deferred(env, job->deferred, native_error(env, "ERR_COFFER_NATIVE_SIGN", "cannot queue the job"));
    job_free(job);
    return promise;
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_reject_deferred(env, job->deferred, native_error(env, "ERR_COFFER_NATIVE_SIGN", "cannot queue the job"));
    napi_delete_async_work(env, job->work);
    job_free(job);
  }
  return promise;
}

int job_evp_sign(struct job *job, EVP_PKEY_CTX *ctx) {
  size_t length = 0;
  if (EVP_PKEY_sign(ctx, NULL, &length, job->digest, job->digest_length) <= 0 || length == 0)
    return job_fail(job, "the signature's length is unknown");
  job->signature = OPENSSL_malloc(length);
  if (job->signature == NULL) return job_fail(job, "out of memory");
  job->signature_length = length;
  if (EVP_PKEY_sign(ctx, job->signature, &length, job->digest, job->digest_length) <= 0)
    return job_fail(job, "signing failed");
  job->signature_length = length;
  return 1;
}
