/*
 * Encrypt, decrypt, sign and verify operations: what a session holds between C_*Init and the
 * call that ends the operation, and the output-buffer protocol of spec §5.2.
 *
 * C_*Init checks everything the spec has it check, on the node: a mechanism with a multi-part
 * form begins a node operation (POST /v1/crypto/operations: the key-use gate, the parameters,
 * the caller-IV rule), and the single-part call is that operation's final; a mechanism without
 * one (RSA encryption, ECDSA over a digest, EdDSA) has its key checked against the node's
 * mechanism list (GET /v1/keys/:handle) and runs through the single-part route. Either way the
 * key is used, and counted, once per operation.
 *
 * The node does the work, so a call whose output buffer is NULL or too short runs once on the
 * node and keeps its result here: the call repeated with the same input (checked by its
 * SHA-256) returns the same bytes without asking the node again. The kept result is zeroed
 * when it is freed.
 */
#define _POSIX_C_SOURCE 200809L
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* How each use travels: its session state, its single-part route and fields, its final's field. */
static const struct use_row {
  enum coffer_use use;
  enum coffer_state_kind state;
  const char *route;        /* single-part */
  const char *input;        /* the single-part input field */
  const char *output;       /* the single-part answer's field (NULL: verify answers valid) */
  const char *final_output; /* the multi-part final's answer field */
} USE_ROWS[] = {
    {COFFER_USE_ENCRYPT, COFFER_STATE_ENCRYPT, "/v1/crypto/encrypt", "plaintext", "ciphertext", "output"},
    {COFFER_USE_DECRYPT, COFFER_STATE_DECRYPT, "/v1/crypto/decrypt", "ciphertext", "plaintext", "output"},
    {COFFER_USE_SIGN, COFFER_STATE_SIGN, "/v1/crypto/sign", "data", "signature", "signature"},
    {COFFER_USE_VERIFY, COFFER_STATE_VERIFY, "/v1/crypto/verify", "data", NULL, NULL},
};

static const struct use_row *row_of(enum coffer_use use) {
  for (size_t i = 0; i < sizeof USE_ROWS / sizeof USE_ROWS[0]; i++)
    if (USE_ROWS[i].use == use) return &USE_ROWS[i];
  return NULL;
}

/* Which call made a result that is waiting for a buffer large enough. */
enum call_kind { NO_CALL, SINGLE_CALL, UPDATE_CALL, FINAL_CALL };

#define OPERATION_ID_MAX 64
#define FINGERPRINT_BYTES 32

struct operation {
  const struct use_row *row;
  CK_MECHANISM_TYPE mechanism;
  CK_OBJECT_HANDLE key;
  json_object *request;       /* keyHandle, mechanism and its parameters */
  char id[OPERATION_ID_MAX];  /* the node's multi-part operation while it lives, else "" */
  int multi_part;             /* the node has a multi-part form for the mechanism */
  int updated;                /* a C_*Update was made: no single-part call any more */
  enum call_kind pending_call;
  unsigned char *pending;
  size_t pending_length;
  unsigned char fingerprint[FINGERPRINT_BYTES]; /* SHA-256 of the input that made `pending` */
};

static void drop_pending(struct operation *op) {
  if (op->pending != NULL) coffer_wipe(op->pending, op->pending_length);
  free(op->pending);
  op->pending = NULL;
  op->pending_length = 0;
  op->pending_call = NO_CALL;
}

/* The session's state release: ends an unfinished node operation (only with a login token). */
static void release(void *value, const char *token) {
  struct operation *op = value;
  if (token != NULL && op->id[0] != '\0') {
    char path[OPERATION_ID_MAX + 32];
    json_object *answer = NULL;
    snprintf(path, sizeof path, "/v1/crypto/operations/%s", op->id);
    (void)coffer_http(coffer_state_config(), "DELETE", path, token, NULL, &answer, NULL);
    if (answer != NULL) json_object_put(answer);
  }
  drop_pending(op);
  coffer_json_put_wiped(op->request);
  coffer_wipe(op, sizeof *op);
  free(op);
}

static void end_operation(struct coffer_call *call, const struct use_row *row) {
  coffer_call_set_state(call, row->state, NULL, NULL);
}

/* A node call of this operation: the one key an operation names answers KEY_HANDLE_INVALID. */
static CK_RV node_call(struct coffer_call *call, const char *method, const char *path, json_object *body,
                       json_object **answer, char code[COFFER_CODE_MAX]) {
  CK_RV rv = coffer_call_json(call, method, path, body, answer, code);
  if (rv != CKR_OK && strcmp(code, "KEY_NOT_FOUND") == 0) rv = CKR_KEY_HANDLE_INVALID;
  return rv;
}

static int fingerprint(const unsigned char *data, size_t length, unsigned char out[FINGERPRINT_BYTES]) {
  static const unsigned char empty[1] = {0};
  unsigned int written = 0;
  return EVP_Digest(data != NULL ? data : empty, length, out, &written, EVP_sha256(), NULL) == 1 &&
         written == FINGERPRINT_BYTES;
}

static CK_RV keep(struct operation *op, enum call_kind kind, unsigned char *result, size_t length,
                  const unsigned char *input, size_t input_length) {
  op->pending = result;
  op->pending_length = length;
  op->pending_call = kind;
  if (!fingerprint(input, input_length, op->fingerprint)) return CKR_GENERAL_ERROR;
  return CKR_OK;
}

/* §5.2: NULL asks the length, a short buffer gets CKR_BUFFER_TOO_SMALL; both keep the result. */
static CK_RV deliver(struct operation *op, CK_BYTE_PTR out, CK_ULONG_PTR out_length, int *kept) {
  *kept = 1;
  CK_ULONG length = (CK_ULONG)op->pending_length;
  CK_ULONG room = *out_length;
  *out_length = length;
  if (out == NULL) return CKR_OK;
  if (room < length) return CKR_BUFFER_TOO_SMALL;
  if (length > 0) memcpy(out, op->pending, length);
  drop_pending(op);
  *kept = 0;
  return CKR_OK;
}

/* The repeated call after a length query must be the same call with the same input. */
static CK_RV same_call(const struct operation *op, enum call_kind kind, const unsigned char *input, size_t length) {
  unsigned char again[FINGERPRINT_BYTES];
  if (op->pending_call != kind || !fingerprint(input, length, again)) return CKR_ARGUMENTS_BAD;
  unsigned char difference = 0;
  for (size_t i = 0; i < FINGERPRINT_BYTES; i++) difference |= again[i] ^ op->fingerprint[i];
  return difference == 0 ? CKR_OK : CKR_ARGUMENTS_BAD;
}

/* The base64 field `field` of an answer (absent: empty when `optional`). */
static CK_RV answer_bytes(json_object *answer, const char *field, int optional, unsigned char **data, size_t *length) {
  json_object *value;
  if (optional && (answer == NULL || !json_object_object_get_ex(answer, field, &value))) {
    *data = malloc(1);
    *length = 0;
    return *data == NULL ? CKR_HOST_MEMORY : CKR_OK;
  }
  return coffer_json_get_base64(answer, field, data, length);
}

/* ---- C_*Init ---- */

/* The node's IV, written where the application left it to the node (coffer_mechanism_iv_target). */
static CK_RV write_back_iv(json_object *answer, CK_BYTE_PTR target, CK_ULONG target_length) {
  unsigned char *iv = NULL;
  size_t length = 0;
  CK_RV rv = coffer_json_get_base64(answer, "iv", &iv, &length);
  if (rv == CKR_OK && length != target_length) rv = CKR_DEVICE_ERROR;
  if (rv == CKR_OK) memcpy(target, iv, length);
  free(iv);
  return rv;
}

static CK_RV begin_on_node(struct coffer_call *call, struct operation *op, const CK_MECHANISM *mechanism) {
  char code[COFFER_CODE_MAX];
  json_object *body = NULL, *answer = NULL, *id;
  if (json_object_deep_copy(op->request, &body, NULL) != 0) return CKR_HOST_MEMORY;
  CK_RV rv = json_object_object_add(body, "operation", json_object_new_string(coffer_use_name(op->row->use))) == 0
                 ? CKR_OK
                 : CKR_HOST_MEMORY;
  if (rv == CKR_OK) rv = node_call(call, "POST", "/v1/crypto/operations", body, &answer, code);
  coffer_json_put_wiped(body);
  if (rv == CKR_OK) {
    if (answer == NULL || !json_object_object_get_ex(answer, "operationId", &id) ||
        json_object_get_string_len(id) <= 0 || json_object_get_string_len(id) >= OPERATION_ID_MAX)
      rv = CKR_DEVICE_ERROR;
    else
      memcpy(op->id, json_object_get_string(id), (size_t)json_object_get_string_len(id) + 1);
  }
  CK_ULONG iv_length = 0;
  CK_BYTE_PTR iv_target = coffer_mechanism_iv_target(mechanism, op->row->use, &iv_length);
  if (rv == CKR_OK && iv_target != NULL) rv = write_back_iv(answer, iv_target, iv_length);
  coffer_json_put_wiped(answer);
  return rv;
}

static int attribute_true(json_object *key, const char *name) {
  json_object *attributes, *value;
  return json_object_object_get_ex(key, "attributes", &attributes) &&
         json_object_object_get_ex(attributes, name, &value) && json_object_is_type(value, json_type_boolean) &&
         json_object_get_boolean(value);
}

static const char *string_field(json_object *object, const char *name) {
  json_object *value;
  if (object == NULL || !json_object_object_get_ex(object, name, &value) || !json_object_is_type(value, json_type_string))
    return "";
  return json_object_get_string(value);
}

/* For a single-part-only mechanism: the key exists, fits the mechanism as the node lists it,
   is enabled and allows the use — the gate's order, so the answers are the node's. */
static CK_RV check_key(struct coffer_call *call, struct operation *op, const struct coffer_offer *offer) {
  char path[32 + COFFER_HANDLE_TEXT], handle[COFFER_HANDLE_TEXT], code[COFFER_CODE_MAX];
  json_object *answer = NULL, *key;
  coffer_handle_format(op->key, handle);
  snprintf(path, sizeof path, "/v1/keys/%s", handle);
  CK_RV rv = node_call(call, "GET", path, NULL, &answer, code);
  if (rv == CKR_OK && (answer == NULL || !json_object_object_get_ex(answer, "key", &key))) rv = CKR_DEVICE_ERROR;
  if (rv == CKR_OK) {
    if (!coffer_offer_fits(offer, string_field(key, "class"), string_field(key, "keyType")))
      rv = CKR_KEY_TYPE_INCONSISTENT;
    else if (strcmp(string_field(key, "state"), "enabled") != 0 || !attribute_true(key, coffer_use_name(op->row->use)))
      rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
  }
  if (answer != NULL) json_object_put(answer);
  return rv;
}

static CK_RV start(struct coffer_call *call, const struct use_row *row, const CK_MECHANISM *mechanism,
                   CK_OBJECT_HANDLE key, struct operation **started) {
  struct operation *op = calloc(1, sizeof *op);
  if (op == NULL) return CKR_HOST_MEMORY;
  op->row = row;
  op->mechanism = mechanism->mechanism;
  op->key = key;
  struct coffer_offer offer;
  CK_RV rv = (op->request = json_object_new_object()) == NULL ? CKR_HOST_MEMORY : CKR_OK;
  if (rv == CKR_OK) rv = coffer_mechanism_json(mechanism, row->use, op->request);
  if (rv == CKR_OK) rv = coffer_json_add_handle(op->request, "keyHandle", key);
  if (rv == CKR_OK) rv = coffer_mechanism_offer(mechanism->mechanism, row->use, &offer);
  if (rv == CKR_OK) {
    op->multi_part = offer.multi_part;
    rv = op->multi_part ? begin_on_node(call, op, mechanism) : check_key(call, op, &offer);
  }
  if (rv != CKR_OK) {
    release(op, call->token);
    return rv;
  }
  *started = op;
  return CKR_OK;
}

CK_RV coffer_operation_init(CK_SESSION_HANDLE session, enum coffer_use use, CK_MECHANISM_PTR mechanism,
                            CK_OBJECT_HANDLE key) {
  const struct use_row *row = row_of(use);
  struct coffer_call call;
  CK_RV rv = coffer_call_begin(session, &call);
  if (rv != CKR_OK) return rv;
  struct operation *op = NULL;
  int active = coffer_call_state(&call, row->state) != NULL;
  /* PKCS#11 3.0: a NULL mechanism ends the active operation. */
  if (mechanism == NULL) rv = active ? CKR_OK : CKR_ARGUMENTS_BAD;
  else if (active) rv = CKR_OPERATION_ACTIVE;
  else if (call.token == NULL) rv = CKR_USER_NOT_LOGGED_IN;
  else if (key == CK_INVALID_HANDLE) rv = CKR_KEY_HANDLE_INVALID;
  else rv = start(&call, row, mechanism, key, &op);
  if (mechanism == NULL && active) end_operation(&call, row);
  if (rv == CKR_OK && op != NULL) coffer_call_set_state(&call, row->state, op, release);
  coffer_call_end(&call);
  return rv;
}

/* ---- the calls that feed and end an operation ---- */

/* The operation for a call, or why there is none. */
static CK_RV begin_step(CK_SESSION_HANDLE session, enum coffer_use use, struct coffer_call *call,
                        struct operation **op) {
  CK_RV rv = coffer_call_begin(session, call);
  if (rv != CKR_OK) return rv;
  *op = coffer_call_state(call, row_of(use)->state);
  if (*op == NULL) {
    coffer_call_end(call);
    return CKR_OPERATION_NOT_INITIALIZED;
  }
  return CKR_OK;
}

/* One node request of the operation with `data` under `field`, answering `output` (optional when asked). */
static CK_RV run(struct coffer_call *call, const char *path, json_object *base, const char *field,
                 const unsigned char *data, size_t length, const char *output, int optional, unsigned char **result,
                 size_t *result_length) {
  char code[COFFER_CODE_MAX];
  json_object *body = NULL, *answer = NULL;
  if (base != NULL ? json_object_deep_copy(base, &body, NULL) != 0 : (body = json_object_new_object()) == NULL)
    return CKR_HOST_MEMORY;
  CK_RV rv = field == NULL ? CKR_OK : coffer_json_add_base64(body, field, data, length);
  if (rv == CKR_OK) rv = node_call(call, "POST", path, body, &answer, code);
  coffer_json_put_wiped(body);
  if (rv == CKR_OK) rv = answer_bytes(answer, output, optional, result, result_length);
  coffer_json_put_wiped(answer);
  return rv;
}

static void operation_path(const struct operation *op, const char *step, char *path, size_t size) {
  snprintf(path, size, "/v1/crypto/operations/%s/%s", op->id, step);
}

/* The whole input at once: the node operation's final, or the single-part route. */
static CK_RV run_single(struct coffer_call *call, struct operation *op, const unsigned char *data, size_t length,
                        unsigned char **result, size_t *result_length) {
  char path[OPERATION_ID_MAX + 48];
  if (!op->multi_part)
    return run(call, op->row->route, op->request, op->row->input, data, length, op->row->output, 0, result,
               result_length);
  operation_path(op, "final", path, sizeof path);
  CK_RV rv = run(call, path, NULL, "data", data, length, op->row->final_output, 0, result, result_length);
  if (rv == CKR_OK) op->id[0] = '\0'; /* the node ended it */
  return rv;
}

CK_RV coffer_operation_single(CK_SESSION_HANDLE session, enum coffer_use use, CK_BYTE_PTR data, CK_ULONG length,
                              CK_BYTE_PTR out, CK_ULONG_PTR out_length) {
  struct coffer_call call;
  struct operation *op;
  CK_RV rv = begin_step(session, use, &call, &op);
  if (rv != CKR_OK) return rv;
  int kept = 0;
  if (out_length == NULL || (data == NULL && length > 0)) rv = CKR_ARGUMENTS_BAD;
  else if (op->pending_call != NO_CALL) rv = same_call(op, SINGLE_CALL, data, length);
  else if (op->updated) rv = CKR_OPERATION_ACTIVE; /* C_*Update began the multi-part form */
  else {
    unsigned char *result = NULL;
    size_t result_length = 0;
    rv = run_single(&call, op, data, length, &result, &result_length);
    if (rv == CKR_OK) rv = keep(op, SINGLE_CALL, result, result_length, data, length);
    else free(result);
  }
  if (rv == CKR_OK) rv = deliver(op, out, out_length, &kept);
  if (!kept && !(rv == CKR_OPERATION_ACTIVE && op->updated)) end_operation(&call, op->row);
  coffer_call_end(&call);
  return rv;
}

/* C_EncryptUpdate and C_DecryptUpdate return output (out_length set); C_SignUpdate and
   C_VerifyUpdate none (out_length NULL). */
CK_RV coffer_operation_update(CK_SESSION_HANDLE session, enum coffer_use use, CK_BYTE_PTR part, CK_ULONG length,
                              CK_BYTE_PTR out, CK_ULONG_PTR out_length) {
  struct coffer_call call;
  struct operation *op;
  CK_RV rv = begin_step(session, use, &call, &op);
  if (rv != CKR_OK) return rv;
  int returns_output = op->row->use == COFFER_USE_ENCRYPT || op->row->use == COFFER_USE_DECRYPT, kept = 0;
  if ((part == NULL && length > 0) || (returns_output && out_length == NULL)) rv = CKR_ARGUMENTS_BAD;
  else if (op->pending_call != NO_CALL) rv = same_call(op, UPDATE_CALL, part, length);
  else if (!op->multi_part) rv = CKR_MECHANISM_INVALID; /* a single-part mechanism (spec: no C_*Update) */
  else {
    char path[OPERATION_ID_MAX + 48];
    unsigned char *result = NULL;
    size_t result_length = 0;
    operation_path(op, "update", path, sizeof path);
    op->updated = 1;
    rv = length == 0 ? answer_bytes(NULL, "output", 1, &result, &result_length)
                     : run(&call, path, NULL, "data", part, length, "output", 1, &result, &result_length);
    if (rv == CKR_OK && returns_output) rv = keep(op, UPDATE_CALL, result, result_length, part, length);
    else free(result);
  }
  if (rv == CKR_OK && returns_output) rv = deliver(op, out, out_length, &kept);
  if (rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL) end_operation(&call, op->row);
  coffer_call_end(&call);
  return rv;
}

CK_RV coffer_operation_final(CK_SESSION_HANDLE session, enum coffer_use use, CK_BYTE_PTR out, CK_ULONG_PTR out_length) {
  struct coffer_call call;
  struct operation *op;
  CK_RV rv = begin_step(session, use, &call, &op);
  if (rv != CKR_OK) return rv;
  int kept = 0;
  if (out_length == NULL) rv = CKR_ARGUMENTS_BAD;
  else if (op->pending_call != NO_CALL) rv = same_call(op, FINAL_CALL, NULL, 0);
  else if (!op->multi_part) rv = CKR_MECHANISM_INVALID;
  else {
    char path[OPERATION_ID_MAX + 48];
    unsigned char *result = NULL;
    size_t result_length = 0;
    operation_path(op, "final", path, sizeof path);
    rv = run(&call, path, NULL, NULL, NULL, 0, op->row->final_output, 0, &result, &result_length);
    if (rv == CKR_OK) {
      op->id[0] = '\0';
      rv = keep(op, FINAL_CALL, result, result_length, NULL, 0);
    } else {
      free(result);
    }
  }
  if (rv == CKR_OK) rv = deliver(op, out, out_length, &kept);
  if (!kept) end_operation(&call, op->row);
  coffer_call_end(&call);
  return rv;
}

/* C_Verify (`data` is the whole input) and C_VerifyFinal (`whole` 0): both end the operation. */
CK_RV coffer_operation_verify(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG length, CK_BYTE_PTR signature,
                              CK_ULONG signature_length, int whole) {
  struct coffer_call call;
  struct operation *op;
  CK_RV rv = begin_step(session, COFFER_USE_VERIFY, &call, &op);
  if (rv != CKR_OK) return rv;
  char code[COFFER_CODE_MAX] = "";
  json_object *body = NULL, *answer = NULL, *valid;
  if ((data == NULL && length > 0) || (signature == NULL && signature_length > 0)) rv = CKR_ARGUMENTS_BAD;
  else if (whole && op->updated) rv = CKR_OPERATION_ACTIVE;
  else if (!whole && !op->multi_part) rv = CKR_MECHANISM_INVALID;
  else if ((op->multi_part ? (body = json_object_new_object()) == NULL
                           : json_object_deep_copy(op->request, &body, NULL) != 0))
    rv = CKR_HOST_MEMORY;
  if (rv == CKR_OK && whole) rv = coffer_json_add_base64(body, "data", data, length);
  if (rv == CKR_OK) rv = coffer_json_add_base64(body, "signature", signature, signature_length);
  if (rv == CKR_OK) {
    char path[OPERATION_ID_MAX + 48];
    if (op->multi_part) operation_path(op, "final", path, sizeof path);
    rv = node_call(&call, "POST", op->multi_part ? path : op->row->route, body, &answer, code);
    /* The node ends its operation at final, whatever the answer; any other failure (a request
       it refused before reaching the operation) leaves it for the release to delete. */
    if (rv == CKR_OK || rv == CKR_SIGNATURE_INVALID) op->id[0] = '\0';
  }
  if (rv == CKR_OK && (answer == NULL || !json_object_object_get_ex(answer, "valid", &valid) ||
                       !json_object_get_boolean(valid)))
    rv = CKR_DEVICE_ERROR;
  if (rv == CKR_SIGNATURE_INVALID &&
      coffer_signature_wrong_length(&call, op->mechanism, op->key, (CK_ULONG)signature_length))
    rv = CKR_SIGNATURE_LEN_RANGE;
  coffer_json_put_wiped(body);
  coffer_json_put_wiped(answer);
  if (!(rv == CKR_OPERATION_ACTIVE && op->updated)) end_operation(&call, op->row);
  coffer_call_end(&call);
  return rv;
}
