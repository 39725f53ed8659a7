/*
 * The combiner: calls made on many threads at once travel together (single-part crypto,
 * random, C_GenerateKey, a search's page). A call whose operation POST /v1/batch also serves
 * joins a queue; when fewer than `combineInFlight` (config.c)
 * requests of this process are on their way, its thread sends at once what is queued for its
 * login: its own call alone on the call's own route (so a lone thread waits for nothing and
 * meets exactly the answers it always met), or every queued call of that login in one batch.
 * Otherwise the thread waits, and its call goes with the next request. The node runs each
 * batch item through the same permission row, schema, key-use gate and audit as the item's
 * own route, and answers per item; each waiting call gets its own answer or error, as
 * coffer_http gives it. A batch that fails as a whole (unreachable, a login the node forgot)
 * fails each of its calls with that error. A write (C_GenerateKey) carries its own
 * Idempotency-Key in its item, as it would in its header alone: a batch of such writes only is
 * sent again elsewhere after its answer was lost, and the node makes each key once; a batch with
 * any other call is not, as none of those calls would be alone (transport.c). A batch holding a
 * node-bound call (affinity.c: a session object's creation, a search) goes to the login's home
 * endpoint; a call of a batch answered SESSION_OBJECT_NOT_HERE (it named a session object
 * another node holds; that node ran nothing of it) is sent again alone, where transport.c
 * looks for its node.
 *
 * The queue holds only pointers to the waiting calls' own items (on their stacks). The thread
 * that sends a batch writes each item's answer, then marks it done under the lock; the answer
 * (a json-c object the batch answer no longer references) is then its caller's alone.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A batch's bounds, well inside the node's (1000 items, an 8 MiB body) and the 16 MiB answer
   transport.c takes: an item's answer is at most about 24 KiB (a page of 1000 found handles). */
#define BATCH_MAX_ITEMS 128
#define BATCH_MAX_BYTES (2u * 1024u * 1024u)

enum item_state { QUEUED, SENT, DONE };

struct item {
  struct item *next;
  const char *operation; /* the batch name */
  const char *route;
  const char *token;
  const char *body;
  size_t body_length;
  int write;                             /* its route takes an Idempotency-Key (C_GenerateKey) */
  char key[COFFER_IDEMPOTENCY_KEY_MAX]; /* a write's, in its batch item */
  enum item_state state;
  CK_RV rv;
  json_object *response;
  char code[COFFER_CODE_MAX];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct item *head; /* queued items, oldest first */
static unsigned in_flight;

static void unlink_item(struct item *item) {
  for (struct item **at = &head; *at != NULL; at = &(*at)->next)
    if (*at == item) {
      *at = item->next;
      item->next = NULL;
      return;
    }
}

/* `own`, then every other queued item of the same login, oldest first, within the bounds:
   out of the queue, into the batch (returned as a list through `next`). */
static struct item *take_batch(struct item *own) {
  unlink_item(own);
  own->state = SENT;
  struct item *batch = own, *last = own;
  size_t count = 1, bytes = own->body_length;
  for (struct item **at = &head; *at != NULL && count < BATCH_MAX_ITEMS;) {
    struct item *item = *at;
    if (strcmp(item->token, own->token) != 0 || bytes + item->body_length > BATCH_MAX_BYTES) {
      at = &item->next;
      continue;
    }
    *at = item->next;
    item->next = NULL;
    item->state = SENT;
    last->next = item;
    last = item;
    count++;
    bytes += item->body_length;
  }
  return batch;
}

static void fail_all(struct item *batch, CK_RV rv, const char *code) {
  for (struct item *item = batch; item != NULL; item = item->next) {
    item->rv = rv;
    snprintf(item->code, sizeof item->code, "%s", code != NULL ? code : "");
  }
}

/* {"operations":[{"operation":"encrypt",<the item's fields>},…]}: each item's body is a JSON
   object, so its fields follow the name after its opening brace; a write's key, after the name. */
static char *batch_body(const struct item *batch) {
  size_t capacity = 32;
  for (const struct item *item = batch; item != NULL; item = item->next)
    capacity += item->body_length + strlen(item->operation) + 32 + 24 + COFFER_IDEMPOTENCY_KEY_MAX;
  char *text = malloc(capacity), *end = text;
  if (text == NULL) return NULL;
  end += sprintf(end, "{\"operations\":[");
  for (const struct item *item = batch; item != NULL; item = item->next) {
    const char *fields = item->body + 1; /* after '{' */
    int empty = fields[strspn(fields, " \t\r\n")] == '}';
    end += sprintf(end, "{\"operation\":\"%s\"", item->operation);
    if (item->write) end += sprintf(end, ",\"idempotencyKey\":\"%s\"", item->key);
    end += sprintf(end, "%s", empty ? "}" : ",");
    if (!empty) {
      memcpy(end, fields, item->body_length - 1);
      end += item->body_length - 1;
    }
    if (item->next != NULL) *end++ = ',';
  }
  memcpy(end, "]}", 3);
  return text;
}

/* One item's answer, {"status", "body"} or {"status", "error": {"code"}}: the body is taken out
   of the batch answer (so wiping the rest leaves it whole) and becomes the item's. */
static void take_result(struct item *item, json_object *result) {
  json_object *status, *body, *error, *code;
  item->rv = CKR_DEVICE_ERROR;
  item->code[0] = '\0';
  if (!json_object_is_type(result, json_type_object) || !json_object_object_get_ex(result, "status", &status))
    return;
  int status_code = json_object_get_int(status);
  if (json_object_object_get_ex(result, "error", &error)) {
    if (!json_object_object_get_ex(error, "code", &code) || !json_object_is_type(code, json_type_string)) return;
    snprintf(item->code, sizeof item->code, "%s", json_object_get_string(code));
    item->rv = coffer_ckr_of(item->code);
  } else if (status_code >= 200 && status_code < 300 && json_object_object_get_ex(result, "body", &body) &&
             json_object_is_type(body, json_type_object)) {
    item->response = json_object_get(body);
    json_object_object_del(result, "body");
    item->rv = CKR_OK;
  }
}

/* Sends a batch (no lock held) and fills in every item's answer. */
static void send_batch(const struct coffer_config *config, struct item *batch) {
  if (batch->next == NULL) {
    batch->rv = coffer_http(config, "POST", batch->route, batch->token, batch->body, &batch->response, batch->code);
    return;
  }
  /* Each write's key is made once per batch: every endpoint the batch is tried on sees the same. */
  int keyed = 1, node_bound = 0;
  for (struct item *item = batch; item != NULL; item = item->next) {
    keyed &= item->write;
    node_bound |= coffer_is_node_bound("POST", item->route, item->body);
    if (item->write && coffer_idempotency_key(item->key) != CKR_OK) {
      fail_all(batch, CKR_FUNCTION_FAILED, NULL);
      return;
    }
  }
  char *body = batch_body(batch);
  if (body == NULL) {
    fail_all(batch, CKR_HOST_MEMORY, NULL);
    return;
  }
  char code[COFFER_CODE_MAX];
  json_object *answer = NULL, *results;
  CK_RV rv = coffer_http_batch(config, batch->token, body, keyed, node_bound, &answer, code);
  coffer_free_secret(body);
  size_t count = 0;
  for (struct item *item = batch; item != NULL; item = item->next) count++;
  if (rv == CKR_OK && (!json_object_object_get_ex(answer, "results", &results) ||
                       !json_object_is_type(results, json_type_array) || json_object_array_length(results) != count))
    rv = CKR_DEVICE_ERROR;
  if (rv != CKR_OK) {
    fail_all(batch, rv, code);
  } else {
    size_t i = 0;
    for (struct item *item = batch; item != NULL; item = item->next)
      take_result(item, json_object_array_get_idx(results, i++));
  }
  coffer_json_put_wiped(answer);
  for (struct item *item = batch; rv == CKR_OK && item != NULL; item = item->next)
    if (item->rv != CKR_OK && strcmp(item->code, "SESSION_OBJECT_NOT_HERE") == 0)
      item->rv = coffer_http(config, "POST", item->route, item->token, item->body, &item->response, item->code);
}

CK_RV coffer_combined_http(const struct coffer_config *config, const char *operation, const char *route,
                           const char *token, const char *body, json_object **response, char code[COFFER_CODE_MAX]) {
  size_t length = strlen(body);
  if (operation == NULL || config->combine_in_flight == 0 || length > COFFER_COMBINE_ITEM_MAX || length < 2 ||
      body[0] != '{')
    return coffer_http(config, "POST", route, token, body, response, code);
  struct item own = {.operation = operation,
                     .route = route,
                     .token = token,
                     .body = body,
                     .body_length = length,
                     .write = coffer_is_idempotent_write("POST", route)};
  pthread_mutex_lock(&lock);
  struct item **end = &head;
  while (*end != NULL) end = &(*end)->next;
  *end = &own;
  while (own.state != DONE) {
    if (own.state == QUEUED && in_flight < config->combine_in_flight) {
      struct item *batch = take_batch(&own);
      in_flight++;
      pthread_mutex_unlock(&lock);
      send_batch(config, batch);
      pthread_mutex_lock(&lock);
      in_flight--;
      for (struct item *item = batch, *next; item != NULL; item = next) {
        next = item->next; /* read before DONE: after it the item is its caller's again */
        item->next = NULL;
        item->state = DONE;
      }
      pthread_cond_broadcast(&changed); /* the answers, and a free slot for the queue */
    } else {
      pthread_cond_wait(&changed, &lock);
    }
  }
  pthread_mutex_unlock(&lock);
  *response = own.response;
  if (code != NULL) memcpy(code, own.code, COFFER_CODE_MAX);
  return own.rv;
}

void coffer_combiner_before_fork(void) { pthread_mutex_lock(&lock); }
void coffer_combiner_after_fork_parent(void) { pthread_mutex_unlock(&lock); }

void coffer_combiner_after_fork_child(void) {
  /* The queued calls are the parent's threads', which the child does not have. */
  head = NULL;
  in_flight = 0;
  pthread_cond_init(&changed, NULL);
  pthread_mutex_unlock(&lock);
}
