/*
 * The key view cache: what the node last said of a key (its class, type, state and the uses
 * it allows), from GET /v1/keys/:handle, kept for COFFER_KEY_VIEW_TTL_MS. C_*Init reads it to
 * answer the spec's early errors (CKR_KEY_TYPE_INCONSISTENT, CKR_KEY_FUNCTION_NOT_PERMITTED,
 * CKR_KEY_HANDLE_INVALID) without a request per operation.
 *
 * A view never permits anything: the node's key-use gate decides every use at the request that
 * makes it, so a stale view can only move an error from C_*Init to the call after it. Only
 * answers the node gave are kept (an error is never kept); a view is dropped when a request
 * about its key fails, when the key is changed or destroyed through this module, and all of
 * them when the login changes (another user may see other keys), at C_Initialize, C_Finalize
 * and in a child after fork(). A fetch runs without any lock held; a generation count keeps a
 * fetch that was in flight across a forget from storing what it read before.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* How many keys the cache remembers; beyond that the oldest view gives way. */
#define KEY_VIEW_SLOTS 128

struct slot {
  CK_OBJECT_HANDLE handle; /* CK_INVALID_HANDLE: free */
  long long fetched_ms;
  struct coffer_key_view view;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[KEY_VIEW_SLOTS];
static unsigned long generation; /* bumped by every forget and clear */

/* The uses a key's attributes name (the node's words, coffer_use_name). */
static const enum coffer_use VIEW_USES[] = {
    COFFER_USE_ENCRYPT, COFFER_USE_DECRYPT, COFFER_USE_SIGN,   COFFER_USE_VERIFY,
    COFFER_USE_WRAP,    COFFER_USE_UNWRAP,  COFFER_USE_DERIVE,
};

static long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static struct slot *find(CK_OBJECT_HANDLE handle) {
  for (size_t i = 0; i < KEY_VIEW_SLOTS; i++)
    if (slots[i].handle == handle) return &slots[i];
  return NULL;
}

/* A fresh view of `handle`, copied out under the lock; 0 when there is none. */
static int lookup(CK_OBJECT_HANDLE handle, struct coffer_key_view *view, unsigned long *seen) {
  pthread_mutex_lock(&lock);
  struct slot *slot = find(handle);
  int fresh = slot != NULL && now_ms() - slot->fetched_ms < COFFER_KEY_VIEW_TTL_MS;
  if (fresh) *view = slot->view;
  *seen = generation;
  pthread_mutex_unlock(&lock);
  return fresh;
}

/* The slot for `handle`: its own, else a free one, else the oldest view's. */
static struct slot *slot_for(CK_OBJECT_HANDLE handle) {
  struct slot *slot = find(handle);
  if (slot != NULL) return slot;
  slot = &slots[0];
  for (size_t i = 0; i < KEY_VIEW_SLOTS; i++) {
    if (slots[i].handle == CK_INVALID_HANDLE) return &slots[i];
    if (slots[i].fetched_ms < slot->fetched_ms) slot = &slots[i];
  }
  return slot;
}

/* Keeps what a fetch read, unless a forget or clear came after it began. */
static void store(CK_OBJECT_HANDLE handle, const struct coffer_key_view *view, unsigned long seen) {
  pthread_mutex_lock(&lock);
  if (seen == generation) {
    struct slot *slot = slot_for(handle);
    slot->handle = handle;
    slot->fetched_ms = now_ms();
    slot->view = *view;
  }
  pthread_mutex_unlock(&lock);
}

/* A string field of the key record into a fixed field (CKR_DEVICE_ERROR when absent or too long). */
static CK_RV copy_field(json_object *key, const char *name, char *out, size_t size) {
  json_object *value;
  if (!json_object_object_get_ex(key, name, &value) || !json_object_is_type(value, json_type_string) ||
      (size_t)json_object_get_string_len(value) >= size)
    return CKR_DEVICE_ERROR;
  memcpy(out, json_object_get_string(value), (size_t)json_object_get_string_len(value) + 1);
  return CKR_OK;
}

static int attribute_true(json_object *key, const char *name) {
  json_object *attributes, *value;
  return json_object_object_get_ex(key, "attributes", &attributes) &&
         json_object_object_get_ex(attributes, name, &value) && json_object_is_type(value, json_type_boolean) &&
         json_object_get_boolean(value);
}

static CK_RV view_of(json_object *answer, struct coffer_key_view *view) {
  json_object *key;
  char state[32];
  memset(view, 0, sizeof *view);
  if (answer == NULL || !json_object_object_get_ex(answer, "key", &key)) return CKR_DEVICE_ERROR;
  CK_RV rv = copy_field(key, "class", view->key_class, sizeof view->key_class);
  if (rv == CKR_OK) rv = copy_field(key, "keyType", view->key_type, sizeof view->key_type);
  if (rv == CKR_OK) rv = copy_field(key, "state", state, sizeof state);
  if (rv != CKR_OK) return rv;
  view->enabled = strcmp(state, "enabled") == 0;
  for (size_t i = 0; i < sizeof VIEW_USES / sizeof VIEW_USES[0]; i++)
    if (attribute_true(key, coffer_use_name(VIEW_USES[i]))) view->uses |= (unsigned)VIEW_USES[i];
  return CKR_OK;
}

CK_RV coffer_key_view(struct coffer_call *call, CK_OBJECT_HANDLE handle, struct coffer_key_view *view) {
  unsigned long seen;
  if (handle == CK_INVALID_HANDLE) return CKR_KEY_HANDLE_INVALID;
  if (lookup(handle, view, &seen)) return CKR_OK;
  char path[32 + COFFER_HANDLE_TEXT], text[COFFER_HANDLE_TEXT], code[COFFER_CODE_MAX];
  json_object *answer = NULL;
  coffer_handle_format(handle, text);
  snprintf(path, sizeof path, "/v1/keys/%s", text);
  CK_RV rv = coffer_call_http(call, "GET", path, NULL, &answer, code);
  if (rv != CKR_OK && strcmp(code, "KEY_NOT_FOUND") == 0) rv = CKR_KEY_HANDLE_INVALID;
  if (rv == CKR_OK) rv = view_of(answer, view);
  if (answer != NULL) json_object_put(answer);
  if (rv == CKR_OK) store(handle, view, seen);
  return rv;
}

void coffer_key_view_forget(CK_OBJECT_HANDLE handle) {
  pthread_mutex_lock(&lock);
  generation++;
  struct slot *slot = find(handle);
  if (slot != NULL) memset(slot, 0, sizeof *slot);
  pthread_mutex_unlock(&lock);
}

void coffer_key_views_clear(void) {
  pthread_mutex_lock(&lock);
  generation++;
  memset(slots, 0, sizeof slots);
  pthread_mutex_unlock(&lock);
}

void coffer_key_views_before_fork(void) { pthread_mutex_lock(&lock); }
void coffer_key_views_after_fork(void) { pthread_mutex_unlock(&lock); }
