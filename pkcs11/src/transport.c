/*
 * The HTTP client: one HTTPS request to the node's /v1 API per call, over TLS 1.3 with the
 * cluster CA and the client certificate from the configuration. Calls on many threads run at
 * once: each takes a curl handle from a pool and gives it back, so every handle keeps its
 * connection open for the next call. Requests go to the endpoint that answered last; one that
 * cannot be reached is skipped for the next; when none answers, the call fails with
 * CKR_DEVICE_ERROR.
 * Request and response bodies may carry secrets (PIN, session token, random bytes): their
 * buffers are zeroed before they are freed.
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <pthread.h>
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

/* Idle handles, each with its open connection. Handles in use are their caller's. */
#define POOL_MAX 64
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static CURL *pool[POOL_MAX];
static size_t pool_count;
/* The endpoint that answered last: the next request starts there. */
static size_t preferred_endpoint;
/* A parent's handles, left untouched in a child: closing them would end the parent's TLS
   connections on the shared sockets. Kept here, not lost, until the process exits. */
static CURL *volatile abandoned[POOL_MAX]; /* volatile: stores never read are not optimised away */

CK_RV coffer_transport_init(void) {
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? CKR_OK : CKR_GENERAL_ERROR;
}

void coffer_transport_cleanup(void) {
  pthread_mutex_lock(&pool_lock);
  for (size_t i = 0; i < pool_count; i++) curl_easy_cleanup(pool[i]);
  pool_count = 0;
  preferred_endpoint = 0;
  pthread_mutex_unlock(&pool_lock);
  curl_global_cleanup();
}

void coffer_transport_before_fork(void) { pthread_mutex_lock(&pool_lock); }
void coffer_transport_after_fork(void) { pthread_mutex_unlock(&pool_lock); }

void coffer_transport_abandon(void) {
  pthread_mutex_lock(&pool_lock);
  for (size_t i = 0; i < pool_count; i++) abandoned[i] = pool[i];
  pool_count = 0;
  preferred_endpoint = 0;
  pthread_mutex_unlock(&pool_lock);
}

static CURL *take_handle(size_t *endpoint) {
  pthread_mutex_lock(&pool_lock);
  /* A new handle is made under the lock too: curl_easy_init guards its global state with a
     spin lock of its own, which thread checkers cannot see. Rare: the pool keeps them. */
  CURL *curl = pool_count > 0 ? pool[--pool_count] : curl_easy_init();
  *endpoint = preferred_endpoint;
  pthread_mutex_unlock(&pool_lock);
  return curl;
}

static void give_back(CURL *curl, size_t endpoint, int answered) {
  pthread_mutex_lock(&pool_lock);
  if (answered) preferred_endpoint = endpoint;
  if (pool_count < POOL_MAX) {
    pool[pool_count++] = curl;
    curl = NULL;
  }
  pthread_mutex_unlock(&pool_lock);
  if (curl != NULL) curl_easy_cleanup(curl);
}

static void wipe_headers(struct curl_slist *headers) {
  for (struct curl_slist *item = headers; item != NULL; item = item->next) coffer_wipe(item->data, strlen(item->data));
  curl_slist_free_all(headers);
}

/* The answer of one endpoint: CKR_OK with the status and body, or CKR_DEVICE_ERROR (unreachable). */
static CK_RV request_once(CURL *curl, const struct coffer_config *config, const char *endpoint, const char *method,
                          const char *path, struct curl_slist *headers, const char *body, long *status,
                          struct buffer *answer) {
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

static CK_RV error_of(json_object *answer, char code[COFFER_CODE_MAX]) {
  json_object *error, *field;
  if (answer == NULL || !json_object_object_get_ex(answer, "error", &error) ||
      !json_object_object_get_ex(error, "code", &field) || !json_object_is_type(field, json_type_string))
    return CKR_DEVICE_ERROR;
  const char *text = json_object_get_string(field);
  if (code != NULL) snprintf(code, COFFER_CODE_MAX, "%s", text);
  return coffer_ckr_of(text);
}

CK_RV coffer_http(const struct coffer_config *config, const char *method, const char *path, const char *token,
                  const char *body, json_object **response, char code[COFFER_CODE_MAX]) {
  *response = NULL;
  if (code != NULL) code[0] = '\0';
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

  size_t first = 0;
  CURL *curl = take_handle(&first);
  if (curl == NULL) {
    wipe_headers(headers);
    return CKR_HOST_MEMORY;
  }
  CK_RV rv = CKR_DEVICE_ERROR;
  long status = 0;
  struct buffer answer = {0};
  size_t endpoint = first;
  for (size_t tried = 0; tried < config->endpoint_count; tried++) {
    endpoint = (first + tried) % config->endpoint_count;
    buffer_wipe(&answer);
    rv = request_once(curl, config, config->endpoints[endpoint], method, path, headers, body, &status, &answer);
    if (rv != CKR_DEVICE_ERROR) break;
  }
  give_back(curl, endpoint, rv != CKR_DEVICE_ERROR);
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
  rv = error_of(parsed, code);
  if (parsed != NULL) json_object_put(parsed);
  return rv;
}
