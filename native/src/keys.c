/*
 * Keys: loadPrivateKey(pkcs8Der) and loadPublicKey(spkiDer) parse the bytes once and return an
 * external that owns the EVP_PKEY; the external's finalizer frees it (OpenSSL clears an RSA or
 * EC private key's numbers as it frees them). The DER is read in place, never copied: the caller
 * owns that Buffer and zeroes it. Externals are type-tagged, so no other external passes for a key.
 */
#include <openssl/err.h>
#include <openssl/x509.h>

#include "native.h"

static const napi_type_tag KEY_TAG = {0x636f666665726b65ULL, 0x792d657670706b79ULL};

static void free_key(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  EVP_PKEY_free(data);
}

/* Only the key types the addon signs with. */
static int supported(const EVP_PKEY *key) {
  int type = EVP_PKEY_get_base_id(key);
  return type == EVP_PKEY_RSA || type == EVP_PKEY_EC;
}

static napi_value wrap_key(napi_env env, EVP_PKEY *key, const unsigned char *end, const unsigned char *expected_end) {
  napi_value external;
  if (key == NULL || end != expected_end || !supported(key)) {
    EVP_PKEY_free(key);
    ERR_clear_error();
    napi_throw(env, native_error(env, "ERR_COFFER_NATIVE_KEY", "not an RSA or EC key encoding"));
    return NULL;
  }
  if (napi_create_external(env, key, free_key, NULL, &external) != napi_ok) {
    EVP_PKEY_free(key);
    return NULL;
  }
  if (napi_type_tag_object(env, external, &KEY_TAG) != napi_ok) return NULL; /* the finalizer frees it */
  return external;
}

napi_value load_private_key(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  const unsigned char *der, *at;
  size_t length;
  if (!args_exactly(env, info, 1, argv) || !arg_buffer(env, argv[0], "pkcs8Der", &der, &length)) return NULL;
  at = der;
  EVP_PKEY *key = length > 0 && length <= 16384 ? d2i_AutoPrivateKey(NULL, &at, (long)length) : NULL;
  return wrap_key(env, key, at, der + length);
}

napi_value load_public_key(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  const unsigned char *der, *at;
  size_t length;
  if (!args_exactly(env, info, 1, argv) || !arg_buffer(env, argv[0], "spkiDer", &der, &length)) return NULL;
  at = der;
  EVP_PKEY *key = length > 0 && length <= 16384 ? d2i_PUBKEY(NULL, &at, (long)length) : NULL;
  return wrap_key(env, key, at, der + length);
}

EVP_PKEY *key_of(napi_env env, napi_value value) {
  napi_valuetype type;
  bool tagged = false;
  void *key = NULL;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external ||
      napi_check_object_type_tag(env, value, &KEY_TAG, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, value, &key) != napi_ok || key == NULL) {
    napi_throw_type_error(env, "ERR_COFFER_NATIVE_ARG", "key must be a key the addon loaded");
    return NULL;
  }
  return key;
}
