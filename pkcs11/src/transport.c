/*
 * The HTTP client: one HTTPS request to the node's /v1 API per call, over TLS 1.3 with the
 * cluster CA and the client certificate from the configuration. Calls on many threads run at
 * once: each takes a curl handle from a pool and gives it back, so every handle keeps its
 * connections open for the next call. Each attempt goes to the endpoint the endpoint pool
 * chooses (endpoint-pool.c: healthy, the client's zone first, fewest requests outstanding),
 * after a due health check (health.c) and a due discovery (discovery.c). An endpoint that
 * cannot be reached, or answers 503 as unavailable() says, is marked unhealthy and the next
 * one chosen; when none answers, the call fails with CKR_DEVICE_ERROR.
 * A failure after the request left is retried on another endpoint only for a GET or a write
 * carrying an Idempotency-Key (idempotency.c), or a batch whose items all are such writes, each
 * with its key: the node may have run it, and a retry of that write answers the first one's
 * result instead of writing twice.
 * Request and response bodies may carry secrets (PIN, session token, random bytes): their
 * buffers are zeroed before they are freed.
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
/* A parent's handles, left untouched in a child: closing them would end the parent's TLS
   connections on the shared sockets. Kept here, not lost, until the process exits. */
static CURL *volatile abandoned[POOL_MAX]; /* volatile: stores never read are not optimised away */

static unsigned long long jitter_seed(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (unsigned long long)now.tv_nsec ^ ((unsigned long long)now.tv_sec << 20) ^ (unsigned long long)getpid();
}

CK_RV coffer_transport_init(const struct coffer_config *config) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return CKR_GENERAL_ERROR;
  struct coffer_pool *endpoints = coffer_pool();
  coffer_pool_reset(endpoints, config->zone, jitter_seed());
  for (size_t i = 0; i < config->endpoint_count; i++)
    if (coffer_pool_add(endpoints, config->endpoints[i], config->endpoint_zones[i]) != CKR_OK) {
      coffer_pool_reset(endpoints, NULL, 0);
      curl_global_cleanup();
      return CKR_GENERAL_ERROR;
    }
  return CKR_OK;
}

void coffer_transport_cleanup(void) {
  pthread_mutex_lock(&pool_lock);
  for (size_t i = 0; i < pool_count; i++) curl_easy_cleanup(pool[i]);
  pool_count = 0;
  pthread_mutex_unlock(&pool_lock);
  coffer_pool_reset(coffer_pool(), NULL, 0);
  curl_global_cleanup();
}

/* The handle pool's lock, then the endpoint pool's: never held together elsewhere. */
void coffer_transport_before_fork(void) {
  pthread_mutex_lock(&pool_lock);
  coffer_pool_before_fork(coffer_pool());
}
void coffer_transport_after_fork(void) {
  coffer_pool_after_fork(coffer_pool());
  pthread_mutex_unlock(&pool_lock);
}

void coffer_transport_abandon(void) {
  pthread_mutex_lock(&pool_lock);
  for (size_t i = 0; i < pool_count; i++) abandoned[i] = pool[i];
  pool_count = 0;
  pthread_mutex_unlock(&pool_lock);
  coffer_pool_reset(coffer_pool(), NULL, 0); /* the parent's requests are not the child's */
}

static CURL *take_handle(void) {
  pthread_mutex_lock(&pool_lock);
  /* A new handle is made under the lock too: curl_easy_init guards its global state with a
     spin lock of its own, which thread checkers cannot see. Rare: the pool keeps them. */
  CURL *curl = pool_count > 0 ? pool[--pool_count] : curl_easy_init();
  pthread_mutex_unlock(&pool_lock);
  return curl;
}

static void give_back(CURL *curl) {
  pthread_mutex_lock(&pool_lock);
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

/* The answer of one endpoint: CKR_OK with the status and body, or CKR_DEVICE_ERROR (unreachable;
   *sent says whether any of the request left first). */
static CK_RV request_once(CURL *curl, const struct coffer_config *config, const char *endpoint, const char *method,
                          const char *path, struct curl_slist *headers, const char *body, long timeout_ms,
                          long *status, struct buffer *answer, int *sent) {
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
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
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
  long request_bytes = 0;
  curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_bytes);
  *sent = request_bytes > 0;
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

CK_RV coffer_http_get_once(void *handle, const struct coffer_config *config, const char *url, const char *path,
                           long timeout_ms, long *status, char **body) {
  *body = NULL;
  *status = 0;
  struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
  if (headers == NULL) return CKR_HOST_MEMORY;
  struct buffer answer = {0};
  int sent = 0;
  CK_RV rv = request_once(handle, config, url, "GET", path, headers, NULL, timeout_ms, status, &answer, &sent);
  curl_slist_free_all(headers);
  if (rv == CKR_OK) {
    *body = answer.data != NULL ? answer.data : strdup("");
    if (*body == NULL) rv = CKR_HOST_MEMORY;
  } else {
    buffer_wipe(&answer);
  }
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

/* A 503 worth another endpoint: NODE_SEALED (the node ran nothing), or one without a code (a
   closing node, or a proxy that may have forwarded it) for a request that may be retried. */
static int unavailable(long status, const struct buffer *answer, int retriable) {
  if (status != 503) return 0;
  json_object *parsed = answer->length > 0 ? json_tokener_parse(answer->data) : NULL;
  char code[COFFER_CODE_MAX] = "";
  (void)error_of(parsed, code);
  if (parsed != NULL) coffer_json_put_wiped(parsed);
  return strcmp(code, "NODE_SEALED") == 0 || (code[0] == '\0' && retriable);
}

/* 409 SESSION_OBJECT_NOT_HERE: the request named a session object another node holds, and this
   node ran nothing (src/identity/session-bound.ts). */
static int not_here(long status, const struct buffer *answer) {
  if (status != 409) return 0;
  json_object *parsed = answer->length > 0 ? json_tokener_parse(answer->data) : NULL;
  char code[COFFER_CODE_MAX] = "";
  (void)error_of(parsed, code);
  if (parsed != NULL) coffer_json_put_wiped(parsed);
  return strcmp(code, "SESSION_OBJECT_NOT_HERE") == 0;
}

/* One request: `key_line` (NULL: none) its Idempotency-Key header; `retried_after_send` whether
   a failure after the request left may be retried on another endpoint; `node_bound` whether it
   goes to the login's home endpoint (affinity.c). An answer SESSION_OBJECT_NOT_HERE is tried
   again at home, then on the others; the last such answer is the call's when none holds it. */
static CK_RV request(const struct coffer_config *config, const char *method, const char *path, const char *token,
                     const char *body, const char *key_line, int retried_after_send, int node_bound,
                     json_object **response, char code[COFFER_CODE_MAX]) {
  *response = NULL;
  if (code != NULL) code[0] = '\0';
  struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
  if (headers != NULL && key_line != NULL) {
    struct curl_slist *grown = curl_slist_append(headers, key_line);
    if (grown == NULL) curl_slist_free_all(headers);
    headers = grown;
  }
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

  coffer_discovery_check_due(config);
  CURL *curl = take_handle();
  if (curl == NULL) {
    wipe_headers(headers);
    return CKR_HOST_MEMORY;
  }
  coffer_health_check_due(config, curl);
  struct coffer_pool *endpoints = coffer_pool();
  CK_RV rv = CKR_DEVICE_ERROR;
  long status = 0;
  struct buffer answer = {0};
  uint64_t tried = 0;
  struct coffer_pick pick;
  int elsewhere = 0; /* an endpoint answered SESSION_OBJECT_NOT_HERE: that answer stands if none holds it */
  int lost = 0;      /* a request that left failed, and may not be sent again: its fate is unknown */
  struct buffer kept = {0};
  long kept_status = 0;
  for (int home = node_bound; coffer_pool_pick(endpoints, &tried, home, &pick) == 0;) {
    buffer_wipe(&answer);
    int sent = 0;
    rv = request_once(curl, config, pick.url, method, path, headers, body, config->request_timeout_ms, &status,
                      &answer, &sent);
    int down = rv == CKR_DEVICE_ERROR || (rv == CKR_OK && unavailable(status, &answer, retried_after_send));
    coffer_pool_done(endpoints, &pick, down ? COFFER_FAILED : rv == CKR_OK ? COFFER_ANSWERED : COFFER_NEITHER,
                     coffer_now_ms());
    if (rv == CKR_OK && down) {
      rv = CKR_DEVICE_ERROR;
      continue;
    }
    if (rv == CKR_OK && not_here(status, &answer)) {
      buffer_wipe(&kept);
      kept = answer; /* taken over: the next attempt starts a buffer of its own */
      memset(&answer, 0, sizeof answer);
      kept_status = status;
      elsewhere = 1;
      home = 1;
      rv = CKR_DEVICE_ERROR;
      continue;
    }
    if (rv == CKR_OK && node_bound) coffer_pool_set_home(endpoints, &pick);
    if (rv != CKR_DEVICE_ERROR) break;
    if (sent && !retried_after_send) {
      lost = 1;
      break;
    }
  }
  if (elsewhere && rv == CKR_DEVICE_ERROR && !lost) { /* no node reached holds it */
    buffer_wipe(&answer);
    answer = kept;
    memset(&kept, 0, sizeof kept);
    status = kept_status;
    rv = CKR_OK;
  }
  buffer_wipe(&kept);
  give_back(curl);
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

CK_RV coffer_http(const struct coffer_config *config, const char *method, const char *path, const char *token,
                  const char *body, json_object **response, char code[COFFER_CODE_MAX]) {
  /* A write's key is made once per call: every endpoint it is tried on sees the same one. */
  int idempotent = coffer_is_idempotent_write(method, path);
  char key_line[COFFER_IDEMPOTENCY_HEADER_MAX];
  if (idempotent && coffer_idempotency_header(key_line) != CKR_OK) {
    *response = NULL;
    if (code != NULL) code[0] = '\0';
    return CKR_FUNCTION_FAILED;
  }
  return request(config, method, path, token, body, idempotent ? key_line : NULL,
                 idempotent || strcmp(method, "GET") == 0, coffer_is_node_bound(method, path, body), response, code);
}

CK_RV coffer_http_batch(const struct coffer_config *config, const char *token, const char *body, int keyed,
                        int node_bound, json_object **response, char code[COFFER_CODE_MAX]) {
  return request(config, "POST", "/v1/batch", token, body, NULL, keyed, node_bound, response, code);
}
