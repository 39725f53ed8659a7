/*
 * JSON for the node's API, through json-c. Request and answer bodies carry application data
 * and key handles, sometimes secrets (plaintexts, PINs): what json-c holds is zeroed before it
 * is freed (coffer_json_put_wiped), and a serialized body is a private copy the caller wipes.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void coffer_json_put_wiped(json_object *object) {
  if (object == NULL) return;
  switch (json_object_get_type(object)) {
    case json_type_string: {
      char *text = (char *)json_object_get_string(object);
      coffer_wipe(text, (size_t)json_object_get_string_len(object));
      break;
    }
    case json_type_array:
      for (size_t i = 0; i < json_object_array_length(object); i++)
        coffer_json_wipe_values(json_object_array_get_idx(object, i));
      break;
    case json_type_object: {
      json_object_object_foreach(object, key, value) {
        (void)key;
        coffer_json_wipe_values(value);
      }
      break;
    }
    default:
      break;
  }
  json_object_put(object);
}

void coffer_json_wipe_values(json_object *object) {
  if (object == NULL) return;
  json_object_get(object);
  coffer_json_put_wiped(object);
}

char *coffer_json_serialize(json_object *object) {
  size_t length = 0;
  const char *text = json_object_to_json_string_length(object, JSON_C_TO_STRING_PLAIN, &length);
  if (text == NULL) return NULL;
  char *copy = malloc(length + 1);
  if (copy != NULL) memcpy(copy, text, length + 1);
  coffer_wipe((char *)text, length); /* json-c's own printing buffer */
  return copy;
}

CK_RV coffer_json_add_base64(json_object *object, const char *field, const unsigned char *data, size_t length) {
  char *text = coffer_base64_encode(data, length);
  if (text == NULL) return CKR_HOST_MEMORY;
  json_object *value = json_object_new_string(text);
  coffer_free_secret(text);
  if (value == NULL) return CKR_HOST_MEMORY;
  if (json_object_object_add(object, field, value) != 0) {
    coffer_json_put_wiped(value);
    return CKR_HOST_MEMORY;
  }
  return CKR_OK;
}

char *coffer_json_text_with_base64(const char *object, const char *field, const unsigned char *data, size_t length) {
  size_t object_length = strlen(object);
  if (object_length < 2 || object[0] != '{' || object[object_length - 1] != '}') return NULL;
  if (field == NULL) return strdup(object);
  char *text = malloc(object_length + strlen(field) + COFFER_BASE64_LENGTH(length) + 8), *end = text;
  if (text == NULL) return NULL;
  memcpy(end, object, object_length - 1); /* without its closing brace */
  end += object_length - 1;
  if (object_length > 2) *end++ = ','; /* "{}" has no field to follow */
  end += sprintf(end, "\"%s\":\"", field);
  end += coffer_base64_encode_into(data, length, end);
  memcpy(end, "\"}", 3);
  return text;
}

CK_RV coffer_json_add_handle(json_object *object, const char *field, CK_OBJECT_HANDLE handle) {
  char text[COFFER_HANDLE_TEXT];
  coffer_handle_format(handle, text);
  json_object *value = json_object_new_string(text);
  if (value == NULL) return CKR_HOST_MEMORY;
  if (json_object_object_add(object, field, value) != 0) {
    json_object_put(value);
    return CKR_HOST_MEMORY;
  }
  return CKR_OK;
}

CK_RV coffer_json_get_base64(json_object *object, const char *field, unsigned char **data, size_t *length) {
  json_object *value;
  *data = NULL;
  *length = 0;
  if (object == NULL || !json_object_object_get_ex(object, field, &value) ||
      !json_object_is_type(value, json_type_string))
    return CKR_DEVICE_ERROR;
  const char *text = json_object_get_string(value);
  size_t capacity = strlen(text) / 4 * 3 + 1;
  unsigned char *bytes = malloc(capacity);
  if (bytes == NULL) return CKR_HOST_MEMORY;
  if (coffer_base64_decode(text, bytes, capacity, length) != 0) {
    free(bytes);
    *length = 0;
    return CKR_DEVICE_ERROR;
  }
  *data = bytes;
  return CKR_OK;
}

CK_RV coffer_json_get_handle(json_object *object, const char *field, CK_OBJECT_HANDLE *handle) {
  json_object *value;
  if (object == NULL || !json_object_object_get_ex(object, field, &value) ||
      !json_object_is_type(value, json_type_string) || coffer_handle_parse(json_object_get_string(value), handle) != 0)
    return CKR_DEVICE_ERROR;
  return CKR_OK;
}

CK_RV coffer_call_json(struct coffer_call *call, const char *method, const char *path, json_object *body,
                       json_object **response, char code[COFFER_CODE_MAX]) {
  char *text = NULL;
  *response = NULL;
  if (body != NULL && (text = coffer_json_serialize(body)) == NULL) return CKR_HOST_MEMORY;
  CK_RV rv = coffer_call_http(call, method, path, text, response, code);
  coffer_free_secret(text);
  return rv;
}

CK_RV coffer_call_json_combined(struct coffer_call *call, const char *operation, const char *route, json_object *body,
                                json_object **response, char code[COFFER_CODE_MAX]) {
  char *text = coffer_json_serialize(body);
  *response = NULL;
  if (text == NULL) return CKR_HOST_MEMORY;
  CK_RV rv = coffer_call_combined(call, operation, route, text, response, code);
  coffer_free_secret(text);
  return rv;
}

CK_RV coffer_call_json_or_public(struct coffer_call *call, const char *operation, const char *path, json_object *body,
                                 json_object **response, int *public_refused) {
  *public_refused = 0;
  if (call->token != NULL)
    return operation != NULL ? coffer_call_json_combined(call, operation, path, body, response, NULL)
                             : coffer_call_json(call, "POST", path, body, response, NULL);
  static const char face[] = "/v1/pkcs11/", public_face[] = "/v1/pkcs11/public/";
  char public_path[128], code[COFFER_CODE_MAX] = "";
  if (strncmp(path, face, strlen(face)) != 0 ||
      snprintf(public_path, sizeof public_path, "%s%s", public_face, path + strlen(face)) >= (int)sizeof public_path)
    return CKR_GENERAL_ERROR;
  char *text = NULL;
  *response = NULL;
  if (body != NULL && (text = coffer_json_serialize(body)) == NULL) return CKR_HOST_MEMORY;
  CK_RV rv = coffer_http(coffer_state_config(), "POST", public_path, NULL, text, response, code);
  coffer_free_secret(text);
  /* Without a login the node's refusal is no lost login: the cluster lists no public objects. */
  if (strcmp(code, "NOT_AUTHENTICATED") == 0) *public_refused = 1;
  return rv;
}
