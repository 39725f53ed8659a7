/* N-API arguments and errors: each check throws a TypeError and says 0 when a value is wrong. */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "native.h"

#define ARG_CODE "ERR_COFFER_NATIVE_ARG"

static int type_error(napi_env env, const char *what, const char *expected) {
  char message[128];
  snprintf(message, sizeof message, "%s must be %s", what, expected);
  napi_throw_type_error(env, ARG_CODE, message);
  return 0;
}

int args_exactly(napi_env env, napi_callback_info info, size_t count, napi_value *argv) {
  size_t given = count;
  if (napi_get_cb_info(env, info, &given, argv, NULL, NULL) != napi_ok) return 0;
  if (given != count) return type_error(env, "the argument count", "exact");
  return 1;
}

int arg_buffer(napi_env env, napi_value value, const char *what, const unsigned char **data, size_t *length) {
  bool is_buffer = false;
  void *bytes = NULL;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, value, &bytes, length) != napi_ok)
    return type_error(env, what, "a Buffer");
  *data = bytes;
  return 1;
}

int arg_int(napi_env env, napi_value value, const char *what, int min, int max, int *out) {
  int64_t number = 0;
  napi_valuetype type;
  double exact = 0;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number ||
      napi_get_value_double(env, value, &exact) != napi_ok || napi_get_value_int64(env, value, &number) != napi_ok ||
      (double)number != exact || number < min || number > max)
    return type_error(env, what, "an integer in range");
  *out = (int)number;
  return 1;
}

int arg_string(napi_env env, napi_value value, const char *what, char *out, size_t size) {
  size_t length = 0;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_string ||
      napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok || length >= size ||
      napi_get_value_string_utf8(env, value, out, size, &length) != napi_ok)
    return type_error(env, what, "a short string");
  return 1;
}

napi_value native_error(napi_env env, const char *code, const char *message) {
  napi_value code_value, message_value, error = NULL;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value) == napi_ok &&
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value) == napi_ok)
    napi_create_error(env, code_value, message_value, &error);
  return error;
}
