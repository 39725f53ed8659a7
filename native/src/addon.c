/* The addon's exports: key loading, and RSA-PSS and ECDSA over a caller's digest. */
#include "native.h"

static int export_function(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value function;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &function) == napi_ok &&
         napi_set_named_property(env, exports, name, function) == napi_ok;
}

NAPI_MODULE_INIT() {
  static const struct {
    const char *name;
    napi_callback callback;
  } FUNCTIONS[] = {
      {"loadPrivateKey", load_private_key}, {"loadPublicKey", load_public_key}, {"signPss", sign_pss},
      {"verifyPss", verify_pss},            {"signEcdsa", sign_ecdsa},          {"verifyEcdsa", verify_ecdsa},
  };
  for (size_t i = 0; i < sizeof FUNCTIONS / sizeof FUNCTIONS[0]; i++)
    if (!export_function(env, exports, FUNCTIONS[i].name, FUNCTIONS[i].callback)) return NULL;
  return exports;
}
