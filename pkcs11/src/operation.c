/*
 * Encrypt, decrypt, sign and verify operations: what a session holds between C_*Init and the
 * call that ends the operation, and the output-buffer protocol of spec §5.2.
 *
 * C_*Init asks the node nothing in the common case: it checks the mechanism and its parameters
 * here, and the key against the key view cache (key-views.c: its type, state and uses, as the
 * node last told them) for the spec's early errors. The node decides at the call that uses the
 * key, through its key-use gate: C_Encrypt, C_Decrypt, C_Sign and C_Verify are one request to
 * the single-part route (/v1/crypto/encrypt…), and the first C_*Update (or a C_*Final without
 * one) begins the node's multi-part operation (POST /v1/crypto/operations), which its updates
 * and final then feed. So an error only the node can tell (the policy refuses a caller IV, the
 * key was disabled since the view was read) comes at that call, not at C_*Init. Either way the
 * key is used, and counted, once per operation.
 *
 * An IV the node makes (an all-zero AES-GCM pIv or AES-CTR counter block, see
 * coffer_mechanism_iv_target) is written into the application's parameters by the call that
 * runs the encryption (C_Encrypt, or the first C_EncryptUpdate), as AWS CloudHSM does: the
 * application keeps its CK_GCM_PARAMS (or CK_AES_CTR_PARAMS) alive until then.
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
  const char *batch;        /* the single-part operation's name as an item of POST /v1/batch */
  const char *input;        /* the single-part input field */
  const char *output;       /* the single-part answer's field (NULL: verify answers valid) */
  const char *final_output; /* the multi-part final's answer field */
} USE_ROWS[] = {
    {COFFER_USE_ENCRYPT, COFFER_STATE_ENCRYPT, "/v1/crypto/encrypt", "encrypt", "plaintext", "ciphertext", "output"},
    {COFFER_USE_DECRYPT, COFFER_STATE_DECRYPT, "/v1/crypto/decrypt", "decrypt", "ciphertext", "plaintext", "output"},
    {COFFER_USE_SIGN, COFFER_STATE_SIGN, "/v1/crypto/sign", "sign", "data", "signature", "signature"},
    {COFFER_USE_VERIFY, COFFER_STATE_VERIFY, "/v1/crypto/verify", "verify", "data", NULL, NULL},
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
  char *request_text;         /* the same, serialized once: the single-part body's start */
  char id[OPERATION_ID_MAX];  /* the node's multi-part operation while it lives, else "" */
  int multi_part;             /* the node has a multi-part form for the mechanism */
  int begun;                  /* the node's multi-part operation was begun (by an update or final) */
  CK_BYTE_PTR iv_target;      /* the application's pIv (or counter block) the node's IV goes to */
  CK_ULONG iv_length;
  int updated;                /* a C_*Update was made: no single-part call any more */
  enum call_kind pending_call;
  unsigned char *pending;
  size_t pending_length;
  int fingerprinted;                            /* `fingerprint` is set */
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
  coffer_free_secret(op->request_text);
  coffer_wipe(op, sizeof *op);
  free(op);
}

static void end_operation(struct coffer_call *call, const struct use_row *row) {
  coffer_call_set_state(call, row->state, NULL, NULL);
}

/* A node call of this operation, with a body's text: the one key an operation names answers
   KEY_HANDLE_INVALID. Any error may be news about the key: its view is fetched again at the
   next C_*Init. A single-part call (`batch` its batch name, else NULL) goes through the
   combiner. */
static CK_RV node_call(struct coffer_call *call, const struct operation *op, const char *method, const char *path,
                       const char *batch, const char *body, json_object **answer, char code[COFFER_CODE_MAX]) {
  CK_RV rv = batch != NULL ? coffer_call_combined(call, batch, path, body, answer, code)
                           : coffer_call_http(call, method, path, body, answer, code);
  if (rv != CKR_OK) coffer_key_view_forget(op->key);
  if (rv != CKR_OK && strcmp(code, "KEY_NOT_FOUND") == 0) rv = CKR_KEY_HANDLE_INVALID;
  return rv;
}

static int fingerprint(const unsigned char *data, size_t length, unsigned char out[FINGERPRINT_BYTES]) {
  static const unsigned char empty[1] = {0};
  unsigned int written = 0;
  return EVP_Digest(data != NULL ? data : empty, length, out, &written, EVP_sha256(), NULL) == 1 &&
         written == FINGERPRINT_BYTES;
}

static void keep(struct operation *op, enum call_kind kind, unsigned char *result, size_t length) {
  op->pending = result;
  op->pending_length = length;
  op->pending_call = kind;
  op->fingerprinted = 0;
}

/* §5.2: NULL asks the length, a short buffer gets CKR_BUFFER_TOO_SMALL; both keep the result,
   with the fingerprint of `input` that made it (taken only then: most calls bring the room). */
static CK_RV deliver(struct operation *op, CK_BYTE_PTR out, CK_ULONG_PTR out_length, const unsigned char *input,
                     size_t input_length, int *kept) {
  CK_ULONG length = (CK_ULONG)op->pending_length;
  CK_ULONG room = *out_length;
  *out_length = length;
  if (out == NULL || room < length) {
    *kept = op->fingerprinted || fingerprint(input, input_length, op->fingerprint);
    if (!*kept) return CKR_GENERAL_ERROR;
    op->fingerprinted = 1;
    return out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
  }
  *kept = 0;
  if (length > 0) memcpy(out, op->pending, length);
  drop_pending(op);
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

/* The node's IV, written where the application left it to the node (coffer_mechanism_iv_target);
   by the call that ran the encryption, so the application's parameters must live until then. */
static CK_RV write_back_iv(const struct operation *op, json_object *answer) {
  if (op->iv_target == NULL) return CKR_OK;
  unsigned char *iv = NULL;
  size_t length = 0;
  CK_RV rv = coffer_json_get_base64(answer, "iv", &iv, &length);
  if (rv == CKR_OK && length != op->iv_length) rv = CKR_DEVICE_ERROR;
  if (rv == CKR_OK) memcpy(op->iv_target, iv, length);
  free(iv);
  return rv;
}

/* The key against its view: it fits the mechanism as the node lists it, is enabled and allows
   the use, in the gate's order. Early errors only: the node decides at the call. */
static CK_RV check_key(struct coffer_call *call, const struct operation *op, const struct coffer_offer *offer) {
  struct coffer_key_view view;
  CK_RV rv = coffer_key_view(call, op->key, &view);
  if (rv != CKR_OK) return rv;
  if (!coffer_offer_fits(offer, view.key_class, view.key_type)) return CKR_KEY_TYPE_INCONSISTENT;
  if (!view.enabled || !(view.uses & (unsigned)op->row->use)) return CKR_KEY_FUNCTION_NOT_PERMITTED;
  return CKR_OK;
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
  if (rv == CKR_OK && (op->request_text = coffer_json_serialize(op->request)) == NULL) rv = CKR_HOST_MEMORY;
  if (rv == CKR_OK) rv = coffer_mechanism_offer(mechanism->mechanism, row->use, &offer);
  if (rv == CKR_OK) {
    op->multi_part = offer.multi_part;
    op->iv_target = coffer_mechanism_iv_target(mechanism, row->use, &op->iv_length);
    rv = check_key(call, op, &offer);
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

/* One node request of the operation with `data` under `field` (NULL: none), answering `output`
   (optional when asked). `single`: the single-part route, whose body is the operation's request
   and which may travel combined; else a multi-part step, whose body holds only the data. */
static CK_RV run(struct coffer_call *call, const struct operation *op, const char *path, int single,
                 const char *field, const unsigned char *data, size_t length, const char *output, int optional,
                 unsigned char **result, size_t *result_length) {
  char code[COFFER_CODE_MAX];
  json_object *answer = NULL;
  char *body = coffer_json_text_with_base64(single ? op->request_text : "{}", field, data, length);
  if (body == NULL) return CKR_HOST_MEMORY;
  CK_RV rv = node_call(call, op, "POST", path, single ? op->row->batch : NULL, body, &answer, code);
  coffer_free_secret(body);
  if (rv == CKR_OK) rv = answer_bytes(answer, output, optional, result, result_length);
  /* The single-part encrypt route answers the IV it made. */
  if (rv == CKR_OK && single && op->row->use == COFFER_USE_ENCRYPT) rv = write_back_iv(op, answer);
  coffer_json_put_wiped(answer);
  return rv;
}

static void operation_path(const struct operation *op, const char *step, char *path, size_t size) {
  snprintf(path, size, "/v1/crypto/operations/%s/%s", op->id, step);
}

/* The node's multi-part operation, begun by the first C_*Update (or a C_*Final without one):
   the gate admits the key here, and the node's IV, if it makes one, comes back. The begin
   takes no data, so that first update is two requests. */
static CK_RV ensure_begun(struct coffer_call *call, struct operation *op) {
  if (op->begun) return CKR_OK;
  char code[COFFER_CODE_MAX];
  json_object *body = NULL, *answer = NULL, *id;
  op->begun = 1; /* one try: a failed begin ends the operation */
  if (json_object_deep_copy(op->request, &body, NULL) != 0) return CKR_HOST_MEMORY;
  CK_RV rv = json_object_object_add(body, "operation", json_object_new_string(coffer_use_name(op->row->use))) == 0
                 ? CKR_OK
                 : CKR_HOST_MEMORY;
  char *text = rv == CKR_OK ? coffer_json_serialize(body) : NULL;
  if (rv == CKR_OK && text == NULL) rv = CKR_HOST_MEMORY;
  if (rv == CKR_OK) rv = node_call(call, op, "POST", "/v1/crypto/operations", NULL, text, &answer, code);
  coffer_free_secret(text);
  coffer_json_put_wiped(body);
  if (rv == CKR_OK) {
    if (answer == NULL || !json_object_object_get_ex(answer, "operationId", &id) ||
        json_object_get_string_len(id) <= 0 || json_object_get_string_len(id) >= OPERATION_ID_MAX)
      rv = CKR_DEVICE_ERROR;
    else
      memcpy(op->id, json_object_get_string(id), (size_t)json_object_get_string_len(id) + 1);
  }
  if (rv == CKR_OK) rv = write_back_iv(op, answer);
  coffer_json_put_wiped(answer);
  return rv;
}

/* The whole input at once: the single-part route, one request (decrypt and verify try each
   of a rotated key's versions, newest first). */
static CK_RV run_single(struct coffer_call *call, struct operation *op, const unsigned char *data, size_t length,
                        unsigned char **result, size_t *result_length) {
  return run(call, op, op->row->route, 1, op->row->input, data, length, op->row->output, 0, result, result_length);
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
    if (rv == CKR_OK) keep(op, SINGLE_CALL, result, result_length);
    else free(result);
  }
  if (rv == CKR_OK) rv = deliver(op, out, out_length, data, length, &kept);
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
    op->updated = 1;
    rv = ensure_begun(&call, op);
    operation_path(op, "update", path, sizeof path);
    if (rv == CKR_OK)
      rv = length == 0 ? answer_bytes(NULL, "output", 1, &result, &result_length)
                       : run(&call, op, path, 0, "data", part, length, "output", 1, &result, &result_length);
    if (rv == CKR_OK && returns_output) keep(op, UPDATE_CALL, result, result_length);
    else free(result);
  }
  if (rv == CKR_OK && returns_output) rv = deliver(op, out, out_length, part, length, &kept);
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
    rv = ensure_begun(&call, op);
    operation_path(op, "final", path, sizeof path);
    if (rv == CKR_OK) rv = run(&call, op, path, 0, NULL, NULL, 0, op->row->final_output, 0, &result, &result_length);
    if (rv == CKR_OK) {
      op->id[0] = '\0';
      keep(op, FINAL_CALL, result, result_length);
    } else {
      free(result);
    }
  }
  if (rv == CKR_OK) rv = deliver(op, out, out_length, NULL, 0, &kept);
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
  else if ((!whole ? (body = json_object_new_object()) == NULL : json_object_deep_copy(op->request, &body, NULL) != 0))
    rv = CKR_HOST_MEMORY;
  if (rv == CKR_OK && whole) rv = coffer_json_add_base64(body, "data", data, length);
  if (rv == CKR_OK) rv = coffer_json_add_base64(body, "signature", signature, signature_length);
  if (rv == CKR_OK && !whole) rv = ensure_begun(&call, op);
  if (rv == CKR_OK) {
    char path[OPERATION_ID_MAX + 48];
    if (!whole) operation_path(op, "final", path, sizeof path);
    char *text = coffer_json_serialize(body);
    rv = text == NULL ? CKR_HOST_MEMORY
                      : node_call(&call, op, "POST", !whole ? path : op->row->route, whole ? op->row->batch : NULL,
                                  text, &answer, code);
    coffer_free_secret(text);
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
