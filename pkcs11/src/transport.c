/*
 * The HTTP client: one HTTPS request to the node's /v1 API per call, over TLS 1.3 with the
 * cluster CA and the client certificate from the configuration. One curl handle serves every
 * call (they run under the module lock), so its connections are reused across calls. An endpoint that cannot be
 * reached is skipped for the next; when none answers, the call fails with CKR_DEVICE_ERROR.
 * Request and response bodies may carry secrets (PIN, session token, random bytes): their
 * buffers are zeroed before they are freed.
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_RESPONSE_BYTES (16u * 1024u * 1024u)

struct buffer {
  char *data;
  size_t length;
  size_t capacity;
  int overflow;
};

static void buffer_wipe(struct buffer *buffer) {
  if (buffer->data != NULL) coffer_wipe(buffer->data, buffer->capacity);
  free(buffer->data);
  memset(buffer, 0, sizeof *buffer);
}

static size_t on_data(char *chunk, size_t size, size_t count, void *user) {
  struct buffer *buffer = user;
  size_t length = size * count;
  if (buffer->length + length + 1 > MAX_RESPONSE_BYTES) {
    buffer->overflow = 1;
    return 0;
  }
  if (buffer->length + length + 1 > buffer->capacity) {
    size_t capacity = buffer->capacity == 0 ? 4096 : buffer->capacity;
    while (capacity < buffer->length + length + 1) capacity *= 2;
    /* Grown by copy, never realloc, so no old copy of a secret is left behind unzeroed. */
    char *grown = malloc(capacity);
    if (grown == NULL) return 0;
    if (buffer->data != NULL) {
      memcpy(grown, buffer->data, buffer->length);
      coffer_wipe(buffer->data, buffer->capacity);
      free(buffer->data);
    }
    buffer->data = grown;
    buffer->capacity = capacity;
  }
  memcpy(buffer->data + buffer->length, chunk, length);
  buffer->length += length;
  buffer->data[buffer->length] = '\0';
  return length;
}

static CURL *handle;
/* A parent's handle, left untouched in a child: closing it would end the parent's TLS
   connection on the shared socket. Kept here, not lost, until the process exits. */
static CURL *volatile abandoned; /* volatile: a store never read is not optimised away */

CK_RV coffer_transport_init(void) {
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? CKR_OK : CKR_GENERAL_ERROR;
}

void coffer_transport_cleanup(void) {
  if (handle != NULL) curl_easy_cleanup(handle);
  handle = NULL;
  curl_global_cleanup();
}

void coffer_transport_abandon(void) {
  if (handle != NULL) abandoned = handle;
  handle = NULL;
}

static void wipe_headers(struct curl_slist *headers) {
  for (struct curl_slist *item = headers; item != NULL; item = item->next) coffer_wipe(item->data, strlen(item->data));
  curl_slist_free_all(headers);
}

/* The answer of one endpoint: CKR_OK with the status and body, or CKR_DEVICE_ERROR (unreachable). */
static CK_RV request_once(const struct coffer_config *config, const char *endpoint, const char *method,
                          const char *path, struct curl_slist *headers, const char *body, long *status,
                          struct buffer *answer) {
  if (handle == NULL && (handle = curl_easy_init()) == NULL) return CKR_HOST_MEMORY;
  CURL *curl = handle;
  curl_easy_reset(curl); /* options only: live connections stay for reuse */
  size_t url_length = strlen(endpoint) + strlen(path) + 1;
  char *url = malloc(url_length);
  if (url == NULL) return CKR_HOST_MEMORY;
  snprintf(url, url_length, "%s%s", endpoint, path);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, config->connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, config->request_timeout_ms);
  if (config->ca_file != NULL) curl_easy_setopt(curl, CURLOPT_CAINFO, config->ca_file);
  if (config->cert_file != NULL) curl_easy_setopt(curl, CURLOPT_SSLCERT, config->cert_file);
  if (config->key_file != NULL) curl_easy_setopt(curl, CURLOPT_SSLKEY, config->key_file);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (body != NULL) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
  CURLcode code = curl_easy_perform(curl);
  CK_RV rv = CKR_OK;
  if (answer->overflow) rv = CKR_DEVICE_ERROR;
  else if (code != CURLE_OK) rv = code == CURLE_OUT_OF_MEMORY ? CKR_HOST_MEMORY : CKR_DEVICE_ERROR;
  else curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
  /* The handle must not keep pointers to what the caller frees (headers, body). */
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
  free(url);
  return rv;
}

static CK_RV error_of(json_object *answer) {
  json_object *error, *code;
  if (answer == NULL || !json_object_object_get_ex(answer, "error", &error) ||
      !json_object_object_get_ex(error, "code", &code) || !json_object_is_type(code, json_type_string))
    return CKR_DEVICE_ERROR;
  return coffer_ckr_of(json_object_get_string(code));
}

CK_RV coffer_http(const struct coffer_config *config, const char *method, const char *path, const char *token,
                  const char *body, json_object **response) {
  *response = NULL;
  struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
  if (headers != NULL && body != NULL) headers = curl_slist_append(headers, "Content-Type: application/json");
  if (headers != NULL && token != NULL) {
    size_t length = strlen("Authorization: Bearer ") + strlen(token) + 1;
    char *line = malloc(length);
    if (line == NULL) {
      curl_slist_free_all(headers);
      return CKR_HOST_MEMORY;
    }
    snprintf(line, length, "Authorization: Bearer %s", token);
    struct curl_slist *grown = curl_slist_append(headers, line);
    coffer_free_secret(line);
    if (grown == NULL) wipe_headers(headers);
    headers = grown;
  }
  if (headers == NULL) return CKR_HOST_MEMORY;

  CK_RV rv = CKR_DEVICE_ERROR;
  long status = 0;
  struct buffer answer = {0};
  for (size_t i = 0; i < config->endpoint_count; i++) {
    buffer_wipe(&answer);
    rv = request_once(config, config->endpoints[i], method, path, headers, body, &status, &answer);
    if (rv != CKR_DEVICE_ERROR) break;
  }
  wipe_headers(headers);
  if (rv != CKR_OK) {
    buffer_wipe(&answer);
    return rv;
  }
  json_object *parsed = answer.length > 0 ? json_tokener_parse(answer.data) : NULL;
  buffer_wipe(&answer);
  if (status >= 200 && status < 300) {
    if (parsed == NULL && status != 204) return CKR_DEVICE_ERROR;
    *response = parsed;
    return CKR_OK;
  }
  rv = error_of(parsed);
  if (parsed != NULL) json_object_put(parsed);
  return rv;
}
