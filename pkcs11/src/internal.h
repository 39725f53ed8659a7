/* What the module's files share. Each C_* entry point lives in the file of its concern. */
#ifndef COFFER_INTERNAL_H
#define COFFER_INTERNAL_H

#include <json-c/json.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "coffer-pkcs11.h"

#define COFFER_SLOT_ID 0UL
#define COFFER_MANUFACTURER "Coffer"
#define COFFER_LIBRARY_DESCRIPTION "Coffer PKCS#11 module"
#define COFFER_LIBRARY_VERSION_MAJOR 0
#define COFFER_LIBRARY_VERSION_MINOR 1

/* ---- util.c ---- */
/* Zeroes memory the compiler may not optimise away (secrets: PINs, session tokens). */
void coffer_wipe(void *buffer, size_t length);
/* Frees a NUL-terminated secret after zeroing it. */
void coffer_free_secret(char *secret);
/* Copies `text` into a fixed-width, blank-padded, not NUL-terminated PKCS#11 field. */
void coffer_pad(CK_UTF8CHAR *field, size_t width, const char *text);

/* Decodes standard base64 into out (at most capacity bytes); 0 on success, -1 otherwise. */
int coffer_base64_decode(const char *text, unsigned char *out, size_t capacity, size_t *length);
/* Standard base64 with padding, NUL-terminated (malloc'd; NULL when out of memory). */
char *coffer_base64_encode(const unsigned char *data, size_t length);
/* The length of data's base64, without the NUL. */
#define COFFER_BASE64_LENGTH(length) (4 * (((length) + 2) / 3))
/* coffer_base64_encode into `out` (COFFER_BASE64_LENGTH(length) + 1 bytes); the length written. */
size_t coffer_base64_encode_into(const unsigned char *data, size_t length, char *out);

/* An object handle as the node writes it: 0x and 16 lowercase hex digits. */
#define COFFER_HANDLE_TEXT 19
void coffer_handle_format(CK_OBJECT_HANDLE handle, char text[COFFER_HANDLE_TEXT]);
/* 0 and *handle set for a well-formed non-zero handle, -1 otherwise. */
int coffer_handle_parse(const char *text, CK_OBJECT_HANDLE *handle);

/* ---- config.c ---- */
struct coffer_config {
  char **endpoints;
  char **endpoint_zones; /* each endpoint's zone, or NULL (zones.c) */
  size_t endpoint_count;
  char *zone; /* the client's zone, or NULL */
  char *ca_file;
  char *cert_file;
  char *key_file;
  long connect_timeout_ms;
  long request_timeout_ms;
  long combine_in_flight; /* combiner.c: requests of combined calls on their way at once; 0: none */
  int discover;           /* discovery.c: also use the nodes GET /v1/cluster/nodes lists */
  long discovery_interval_ms;
};
/* Reads COFFER_PKCS11_CONF (a JSON file), then the COFFER_PKCS11_* variables over it. */
CK_RV coffer_config_load(struct coffer_config *config);
void coffer_config_free(struct coffer_config *config);

/* ---- zones.c ---- */
/* Splits each endpoint's "#zone" off into endpoint_zones; CKR_GENERAL_ERROR for an endpoint or
   zone the endpoint pool cannot hold (too long, too many). */
CK_RV coffer_config_split_zones(struct coffer_config *config);

/* ---- affinity.c ---- */
/* Whether a request touches (or makes) what lives in one node's memory only: a multi-part
   operation, a search (it lists that node's session objects), a session object's creation. */
int coffer_is_node_bound(const char *method, const char *path, const char *body);

/* ---- endpoint-pool.c: the endpoints, their health, and the choice of one per attempt ---- */
#define COFFER_ENDPOINTS_MAX 64
#define COFFER_URL_MAX 512
#define COFFER_ZONE_MAX 64
#define COFFER_BACKOFF_MIN_MS 250
#define COFFER_BACKOFF_MAX_MS 10000
struct coffer_endpoint {
  char url[COFFER_URL_MAX];
  char zone[COFFER_ZONE_MAX]; /* "" when not known */
  unsigned long long serial;  /* this occupancy of the slot; 0: an empty slot */
  int listed;                 /* configured, or discovered and still listed: it may be picked */
  int configured;             /* kept whatever discovery says */
  int healthy;
  int checking;               /* a health check of it is on its way */
  unsigned outstanding;       /* requests sent to it and not yet answered */
  unsigned failures;          /* failed checks since it last served: the backoff doubles with them */
  long long check_at_ms;      /* when an unhealthy one is next checked (coffer_now_ms) */
  unsigned long long last_picked;
};
struct coffer_pool {
  pthread_mutex_t lock;
  struct coffer_endpoint endpoints[COFFER_ENDPOINTS_MAX];
  size_t count; /* slots in use or once used */
  char zone[COFFER_ZONE_MAX];
  unsigned long long picks, serials, random;
  long long discover_at_ms;
  int discovering;
  size_t home_id; /* the login's home endpoint (affinity.c), when home_serial is its occupancy */
  unsigned long long home_serial;
};
/* What a request or a check holds of an endpoint: its slot, the occupancy, a copy of its URL. */
struct coffer_pick {
  size_t id;
  unsigned long long serial;
  char url[COFFER_URL_MAX];
};
enum coffer_outcome { COFFER_ANSWERED, COFFER_FAILED, COFFER_NEITHER };
struct coffer_node {
  char url[COFFER_URL_MAX];
  char zone[COFFER_ZONE_MAX];
};
/* Milliseconds of a monotonic clock: the `now` of the functions below. */
long long coffer_now_ms(void);
/* The module's pool. */
struct coffer_pool *coffer_pool(void);
/* A pool of one's own (the unit checks). */
void coffer_pool_init(struct coffer_pool *pool);
void coffer_pool_destroy(struct coffer_pool *pool);
/* Forgets every endpoint; `zone` (may be NULL) is the client's; `seed` feeds the jitter. */
void coffer_pool_reset(struct coffer_pool *pool, const char *zone, unsigned long long seed);
/* A configured endpoint (kept whatever discovery says). */
CK_RV coffer_pool_add(struct coffer_pool *pool, const char *url, const char *zone);
/* Discovery's list: its nodes are added, discovered endpoints it no longer lists dropped. */
void coffer_pool_list(struct coffer_pool *pool, const struct coffer_node *nodes, size_t count);
/* The endpoint for a request's next attempt among those not in *tried (one bit per slot, set
   here), counted outstanding until coffer_pool_done; -1 when every listed one was tried. A
   `node_bound` attempt goes to the home endpoint while it is healthy and untried. */
int coffer_pool_pick(struct coffer_pool *pool, uint64_t *tried, int node_bound, struct coffer_pick *pick);
/* A node-bound request was answered there: it is the login's home from now on. */
void coffer_pool_set_home(struct coffer_pool *pool, const struct coffer_pick *pick);
void coffer_pool_done(struct coffer_pool *pool, const struct coffer_pick *pick, enum coffer_outcome outcome,
                      long long now);
/* An unhealthy endpoint whose check is due and that no other thread checks (the most overdue),
   claimed until coffer_pool_checked; -1 when none. */
int coffer_pool_claim_check(struct coffer_pool *pool, long long now, struct coffer_pick *pick);
/* A check's result: serving (1), or not (0: the backoff doubles), or none (-1: the check could
   not be made, out of memory); `zone` the node's own, or NULL. */
void coffer_pool_checked(struct coffer_pool *pool, const struct coffer_pick *pick, int serving, const char *zone,
                         long long now);
/* Whether a discovery is due (and then claimed until coffer_pool_discovered says when next). */
int coffer_pool_claim_discovery(struct coffer_pool *pool, long long now);
void coffer_pool_discovered(struct coffer_pool *pool, long long next_at_ms);
void coffer_pool_before_fork(struct coffer_pool *pool);
void coffer_pool_after_fork(struct coffer_pool *pool);

/* ---- health.c: checks of unhealthy endpoints, at request time ---- */
/* Whether a GET /v1/health answer says the node serves (200, "sealed": false); its zone, when
   it names one that fits, into `zone` (else ""). */
int coffer_health_serving(long status, const char *body, char zone[COFFER_ZONE_MAX]);
/* One check of the endpoint whose check is most overdue, if any, on the caller's curl handle. */
void coffer_health_check_due(const struct coffer_config *config, void *curl);

/* ---- discovery.c: the cluster's nodes, from GET /v1/cluster/nodes ---- */
/* The nodes of an answer {"nodes": [{"url", "zone"?}]}, https URLs only (others are refused and
   left out), at most `max`; -1 for an answer of another shape. */
int coffer_discovery_parse(json_object *answer, struct coffer_node *nodes, size_t max);
/* With "discover": asks the cluster for its nodes when due (at C_Initialize, then every
   discovery_interval_ms), unless another thread is asking. */
void coffer_discovery_check_due(const struct coffer_config *config);

/* ---- idempotency.c ---- */
#define COFFER_IDEMPOTENCY_HEADER_MAX 64
#define COFFER_IDEMPOTENCY_KEY_MAX 33
/* Whether the node accepts an Idempotency-Key on this request (the module's writes). */
int coffer_is_idempotent_write(const char *method, const char *path);
/* A fresh key: 32 hex digits from RAND_bytes. */
CK_RV coffer_idempotency_key(char key[COFFER_IDEMPOTENCY_KEY_MAX]);
/* "Idempotency-Key: <a fresh key>". */
CK_RV coffer_idempotency_header(char line[COFFER_IDEMPOTENCY_HEADER_MAX]);

/* ---- errors.c ---- */
/* The CKR_ value of one of the node's error codes (the registry's ckr column). */
CK_RV coffer_ckr_of(const char *code);

/* ---- transport.c ---- */
/* curl's global state, and the endpoint pool seeded from the configuration. */
CK_RV coffer_transport_init(const struct coffer_config *config);
void coffer_transport_cleanup(void);
/* In a child after fork(): forgets the parent's connections without closing them. */
void coffer_transport_abandon(void);
/* Around fork(): the pool's lock is held across it, so the child gets it unlocked. */
void coffer_transport_before_fork(void);
void coffer_transport_after_fork(void);
/* The longest error code the node sends, with its NUL. */
#define COFFER_CODE_MAX 48
/* One GET of `path` on `url` with no retry and no token, on the caller's curl handle (a CURL *),
   within `timeout_ms` in all: the status and the body (malloc'd, NUL-terminated; free it). */
CK_RV coffer_http_get_once(void *curl, const struct coffer_config *config, const char *url, const char *path,
                           long timeout_ms, long *status, char **body);
/*
 * One request to /v1, on the endpoint the pool chooses, else the next it chooses. `token`
 * (may be NULL) goes as a bearer token; `body` (may be NULL) as JSON. On CKR_OK, *response
 * holds the parsed answer (may be NULL for 204); the caller puts it. An error answer is mapped
 * through coffer_ckr_of, and its code copied into `code` when not NULL (else code is "").
 * Safe from any thread, with or without the module lock: each call takes a connection of its
 * own from a pool, so calls on many threads run at once.
 */
CK_RV coffer_http(const struct coffer_config *config, const char *method, const char *path, const char *token,
                  const char *body, json_object **response, char code[COFFER_CODE_MAX]);
/*
 * POST /v1/batch, as coffer_http. The node may have run a batch whose answer was lost, so after
 * its request left it is sent again elsewhere only when `keyed`: every item is a write carrying
 * its own idempotencyKey, which the node answers from the first run instead of writing twice.
 * `node_bound`: an item of it is (affinity.c), so the batch goes to the login's home endpoint.
 */
CK_RV coffer_http_batch(const struct coffer_config *config, const char *token, const char *body, int keyed,
                        int node_bound, json_object **response, char code[COFFER_CODE_MAX]);

/* ---- combiner.c: concurrent calls, coalesced into POST /v1/batch ---- */
/* The largest body a call may have to travel with others (answers are bounded: combiner.c). */
#define COFFER_COMBINE_ITEM_MAX 16384u
/*
 * A POST of `body` (a JSON object) to `route`, as coffer_http. `operation` names the same
 * operation as an item of POST /v1/batch (NULL: the call always goes alone): while requests of
 * this process are on their way, the call waits and goes with the others that waited, in one
 * batch, and gets its own answer or error. Safe from any thread, without the module lock.
 */
CK_RV coffer_combined_http(const struct coffer_config *config, const char *operation, const char *route,
                           const char *token, const char *body, json_object **response, char code[COFFER_CODE_MAX]);
/* Around fork(): the queue's lock is held across it; the child forgets the parent's queue. */
void coffer_combiner_before_fork(void);
void coffer_combiner_after_fork_parent(void);
void coffer_combiner_after_fork_child(void);

/* ---- json.c: bodies and answers (every string zeroed before it is freed) ---- */
/* Zeroes every string in `object` (recursively), then drops the caller's reference. */
void coffer_json_put_wiped(json_object *object);
/* Zeroes every string in `object` without dropping a reference. */
void coffer_json_wipe_values(json_object *object);
/* The compact JSON text of `object`, a malloc'd copy (free with coffer_free_secret). */
char *coffer_json_serialize(json_object *object);
CK_RV coffer_json_add_base64(json_object *object, const char *field, const unsigned char *data, size_t length);
/* The text of a JSON object (`object`, as coffer_json_serialize writes it) with one more field,
   `field` (a plain name) holding `data` as base64, or a copy when `field` is NULL: built as
   text, so a request body costs one pass over its data (free with coffer_free_secret). */
char *coffer_json_text_with_base64(const char *object, const char *field, const unsigned char *data, size_t length);
CK_RV coffer_json_add_handle(json_object *object, const char *field, CK_OBJECT_HANDLE handle);
/* A base64 field of an answer, decoded into a malloc'd buffer (CKR_DEVICE_ERROR if absent or bad). */
CK_RV coffer_json_get_base64(json_object *object, const char *field, unsigned char **data, size_t *length);
CK_RV coffer_json_get_handle(json_object *object, const char *field, CK_OBJECT_HANDLE *handle);

/* ---- state.c ---- */
/* The module lock without the initialization check (for releasing what a call holds). */
void coffer_lock(void);
void coffer_unlock(void);
/* Locks the module's state. Returns CKR_CRYPTOKI_NOT_INITIALIZED (unlocked) when the calling
   process has not initialized the module (also in a child after fork()). */
CK_RV coffer_enter(void);
void coffer_leave(void);
/* The configuration; valid between coffer_enter and coffer_leave, and for copies taken then. */
const struct coffer_config *coffer_state_config(void);

/* ---- session.c: the session table and the login, under the module lock ---- */
/* In a child after fork(): forgets every session and the login without a word to the node. */
void coffer_sessions_forget(void);
/* C_Finalize: logs out of the node (best effort) and ends every session. */
void coffer_sessions_finalize(void);
/* How many sessions are open, and how many of them read/write (under the module lock). */
CK_ULONG coffer_session_count(CK_ULONG *rw_count);

/*
 * A call on one session. coffer_call_begin takes it from the table and holds it: the session's
 * own lock is held until coffer_call_end (one call at a time per session, as the spec has it),
 * the module lock is not, so calls on different sessions run at once, HTTP included. A session
 * closed meanwhile is freed by the call that ends last.
 */
struct coffer_session;
struct coffer_call {
  struct coffer_session *session;
  CK_SESSION_HANDLE handle;
  CK_FLAGS flags;          /* the session's flags (CKF_RW_SESSION) */
  CK_USER_TYPE user;       /* CKU_USER, CKU_SO, or COFFER_NOT_LOGGED_IN */
  char *token;             /* a copy of the login's node token, or NULL; zeroed at the end */
};
#define COFFER_NOT_LOGGED_IN ((CK_USER_TYPE)~0UL)
CK_RV coffer_call_begin(CK_SESSION_HANDLE handle, struct coffer_call *call);
void coffer_call_end(struct coffer_call *call);
/*
 * coffer_http with the call's login token: CKR_USER_NOT_LOGGED_IN without a login. When the
 * node no longer knows the token (it restarted, or the login expired), the login is forgotten
 * and every session invalidated: the answer is CKR_SESSION_HANDLE_INVALID.
 */
CK_RV coffer_call_http(struct coffer_call *call, const char *method, const char *path, const char *body,
                       json_object **response, char code[COFFER_CODE_MAX]);

/* coffer_call_http with a JSON body (may be NULL), serialized and wiped after the call. */
CK_RV coffer_call_json(struct coffer_call *call, const char *method, const char *path, json_object *body,
                       json_object **response, char code[COFFER_CODE_MAX]);
/* POST `body` to `route` as coffer_call_http, through the combiner under `operation`, its
   batch name: a crypto user's calls on many threads travel together (other logins' alone). */
CK_RV coffer_call_combined(struct coffer_call *call, const char *operation, const char *route, const char *body,
                           json_object **response, char code[COFFER_CODE_MAX]);
/* coffer_call_combined with a JSON body, serialized and wiped after the call. */
CK_RV coffer_call_json_combined(struct coffer_call *call, const char *operation, const char *route, json_object *body,
                                json_object **response, char code[COFFER_CODE_MAX]);

/*
 * A POST to the node's PKCS#11 face (`path` under /v1/pkcs11/) as the session stands: with the
 * login token (through the combiner when `operation` names the route's batch item), or without a login to the same route under /v1/pkcs11/public/, which answers
 * only the public objects. *public_refused is set when that route refused (NOT_AUTHENTICATED:
 * the cluster lists no public objects); the answer is then CKR_USER_NOT_LOGGED_IN.
 */
CK_RV coffer_call_json_or_public(struct coffer_call *call, const char *operation, const char *path, json_object *body,
                                 json_object **response, int *public_refused);

/*
 * What a session holds between calls, one value per kind, owned by the file of its concern:
 * `release` frees it (with the login token, or NULL in a child after fork() or without a
 * login: then it must not call the node). It runs when the value is replaced, and when the
 * session ends, outside the module lock.
 */
enum coffer_state_kind {
  COFFER_STATE_FIND,
  COFFER_STATE_ENCRYPT,
  COFFER_STATE_DECRYPT,
  COFFER_STATE_SIGN,
  COFFER_STATE_VERIFY,
  COFFER_STATE_DIGEST,
  COFFER_STATE_OBJECTS, /* the session objects this session made (CKA_TOKEN false) */
  COFFER_STATE_WRAP,    /* a wrapped key made for a C_WrapKey whose buffer was NULL or short */
  COFFER_STATE_KINDS
};
typedef void (*coffer_release_fn)(void *value, const char *token);
void *coffer_call_state(const struct coffer_call *call, enum coffer_state_kind kind);
void coffer_call_set_state(struct coffer_call *call, enum coffer_state_kind kind, void *value,
                           coffer_release_fn release);

/* ---- template.c: attributes on the wire, by the kinds of src/pkcs11/attribute-types.ts ---- */
enum coffer_attribute_kind { COFFER_ATTR_BOOL, COFFER_ATTR_ULONG, COFFER_ATTR_ULONG_LIST, COFFER_ATTR_BYTES };
/* 0 and *kind set (kind may be NULL) for a type Coffer speaks, -1 for any other. */
int coffer_attribute_kind(CK_ATTRIBUTE_TYPE type, enum coffer_attribute_kind *kind);
/*
 * A template as the node's JSON array [{"type": n, "value": v}], in the template's order.
 * CKR_ATTRIBUTE_TYPE_INVALID for a type not in the table, CKR_ATTRIBUTE_VALUE_INVALID for a
 * length its kind cannot have, CKR_ARGUMENTS_BAD for a NULL value of non-zero length. The array
 * may carry key material: put it with coffer_json_put_wiped.
 */
CK_RV coffer_template_json(const CK_ATTRIBUTE *templ, CK_ULONG count, json_object **array);
/* coffer_template_json added to `body` as `field` (on error, body is unchanged). */
CK_RV coffer_template_add(json_object *body, const char *field, const CK_ATTRIBUTE *templ, CK_ULONG count);
/*
 * The node's answer [{"type", "value"} | {"type", "error": "sensitive"|"invalid"}] into the
 * template, by C_GetAttributeValue's rules: per attribute, no buffer → the size; too small →
 * CK_UNAVAILABLE_INFORMATION and CKR_BUFFER_TOO_SMALL; sensitive → CK_UNAVAILABLE_INFORMATION
 * and CKR_ATTRIBUTE_SENSITIVE; a type the answer lacks or calls invalid (or not in the table) →
 * CK_UNAVAILABLE_INFORMATION and CKR_ATTRIBUTE_TYPE_INVALID. Every attribute is processed; the
 * result is the first error met (CKR_DEVICE_ERROR, for a malformed answer, before any).
 */
CK_RV coffer_template_answer(json_object *answers, CK_ATTRIBUTE *templ, CK_ULONG count);

/* ---- attributes.c ---- */
/* C_GetAttributeValue on a call in progress (the login's, CKR_USER_NOT_LOGGED_IN without one). */
CK_RV coffer_object_attributes(struct coffer_call *call, CK_OBJECT_HANDLE handle, CK_ATTRIBUTE *templ,
                               CK_ULONG count);

/* ---- session-objects.c: token and session objects ---- */
/* /v1/pkcs11/objects/0x…<suffix> */
#define COFFER_OBJECT_PATH 64
void coffer_object_path(char path[COFFER_OBJECT_PATH], CK_OBJECT_HANDLE handle, const char *suffix);
/* A template's CKA_TOKEN: 1 true, 0 false, -1 absent. */
int coffer_template_token(const CK_ATTRIBUTE *templ, CK_ULONG count);
/* The node's CKA_TOKEN of an object (1 or 0 in *token). */
CK_RV coffer_object_is_token(struct coffer_call *call, CK_OBJECT_HANDLE handle, int *token);
/* Whether the call may make an object of that CKA_TOKEN (1, 0, or -1: the spec's default, a
   session object): CKR_USER_NOT_LOGGED_IN, CKR_SESSION_READ_ONLY for a token object in an R/O
   session, or CKR_OK. */
CK_RV coffer_check_new_object(const struct coffer_call *call, int token);
/* Whether the call may change or destroy the object: as above, asking the node in an R/O session. */
CK_RV coffer_check_object_writable(struct coffer_call *call, CK_OBJECT_HANDLE handle);
/* A new object of this session (token as coffer_template_token; -1 asks the node): a session
   object is remembered, and destroyed when the session closes. Best effort: the node drops
   session objects at the logout anyway. */
void coffer_object_made(struct coffer_call *call, CK_OBJECT_HANDLE handle, int token);
/* An object destroyed: no longer to destroy when the session closes. */
void coffer_object_gone(struct coffer_call *call, CK_OBJECT_HANDLE handle);

/* ---- mechanism.c ---- */
/* Forgets the node's mechanism list (C_Initialize fetches it again on first use). */
void coffer_mechanisms_reset(void);
/* Coffer's name of a mechanism (its CKM_ name without the prefix), or NULL for one it lacks. */
const char *coffer_mechanism_name(CK_MECHANISM_TYPE type);
/* The CKF_ flags the node lists for a mechanism (0 for one it lists not); the list is fetched
   on first use. Takes the module lock: call it outside. */
CK_RV coffer_mechanism_flags(CK_MECHANISM_TYPE type, CK_FLAGS *flags);

/* What a mechanism is used for: one bit each. */
enum coffer_use {
  COFFER_USE_ENCRYPT = 1u << 0,
  COFFER_USE_DECRYPT = 1u << 1,
  COFFER_USE_SIGN = 1u << 2,
  COFFER_USE_VERIFY = 1u << 3,
  COFFER_USE_DIGEST = 1u << 4,
  COFFER_USE_WRAP = 1u << 5,
  COFFER_USE_UNWRAP = 1u << 6,
  COFFER_USE_DERIVE = 1u << 7,
};
/* The node's word for a use ("encrypt", "sign", …: its attribute and its operation). */
const char *coffer_use_name(enum coffer_use use);
/* What the node offers for one use of a mechanism, from GET /v1/mechanisms. */
struct coffer_offer {
  int multi_part;      /* it has a multi-part form (C_*Update) */
  unsigned key_types;  /* the key types it takes, one bit per type */
  int key_class;       /* the key class it takes for this use (an index, see coffer_offer_fits) */
};
/* CKR_MECHANISM_INVALID when the node does not offer the mechanism for that use. Takes the
   module lock (the list may be fetched): call it without the lock held. */
CK_RV coffer_mechanism_offer(CK_MECHANISM_TYPE type, enum coffer_use use, struct coffer_offer *offer);
/* Whether a key of that class ("secret", "public", "private") and type ("aes", …) fits. */
int coffer_offer_fits(const struct coffer_offer *offer, const char *key_class, const char *key_type);

/* ---- params.c: CK_MECHANISM → the node's mechanism name and parameter fields ---- */
/*
 * Adds "mechanism" and the mechanism's parameters to a request body, for one use.
 * CKR_MECHANISM_INVALID for a mechanism Coffer does not offer for that use,
 * CKR_MECHANISM_PARAM_INVALID for parameters of the wrong form.
 */
CK_RV coffer_mechanism_json(const CK_MECHANISM *mechanism, enum coffer_use use, json_object *body);
/*
 * Where the node's IV goes back to the application: an AES-GCM pIv (or an AES-CTR counter
 * block) of all zeros on encrypt or wrap asks the node to make the IV, and the node's IV is
 * written there. NULL when the application brought its own IV (or the mechanism takes none).
 */
CK_BYTE_PTR coffer_mechanism_iv_target(const CK_MECHANISM *mechanism, enum coffer_use use, CK_ULONG *length);
/* AES_GCM unwrap: the IV is the wrapped key's first 12 bytes; a pIv the application gives must
   be zeros or that IV (CKR_MECHANISM_PARAM_INVALID otherwise). CKR_OK for other mechanisms. */
CK_RV coffer_mechanism_check_wrapped_iv(const CK_MECHANISM *mechanism, const CK_BYTE *wrapped, CK_ULONG length);
/* The length of a signature or MAC the mechanism makes, when the mechanism alone decides it
   (HMAC, CMAC, EdDSA); 0 when it depends on the key. */
CK_ULONG coffer_mechanism_signature_length(CK_MECHANISM_TYPE type);

/* ---- key-views.c: what the node last said of a key, for C_*Init's early errors ---- */
/* How long a view is used before it is fetched again. */
#define COFFER_KEY_VIEW_TTL_MS 2000
struct coffer_key_view {
  char key_class[16]; /* "secret", "public", "private" */
  char key_type[32];  /* "aes", "ec", … */
  int enabled;        /* the key's state is "enabled" */
  unsigned uses;      /* the enum coffer_use bits its attributes allow */
};
/*
 * The view of a key: a fresh one from the cache, else GET /v1/keys/:handle (with the call's
 * login, no lock held), kept on success. CKR_KEY_HANDLE_INVALID for a key the node does not
 * know or show. Only for early errors: the node's gate decides every use.
 */
CK_RV coffer_key_view(struct coffer_call *call, CK_OBJECT_HANDLE handle, struct coffer_key_view *view);
/* The key changed, was destroyed, or a request about it failed: fetch its view again. */
void coffer_key_view_forget(CK_OBJECT_HANDLE handle);
/* Every view (C_Initialize, C_Finalize, a login or logout, a child after fork()). */
void coffer_key_views_clear(void);
/* Around fork(): the cache's lock is held across it, so the child gets it unlocked. */
void coffer_key_views_before_fork(void);
void coffer_key_views_after_fork(void);

/* ---- operation.c: encrypt, decrypt, sign and verify operations, and the buffer protocol ---- */
/* C_EncryptInit, C_DecryptInit, C_SignInit, C_VerifyInit. */
CK_RV coffer_operation_init(CK_SESSION_HANDLE session, enum coffer_use use, CK_MECHANISM_PTR mechanism,
                            CK_OBJECT_HANDLE key);
/* C_Encrypt, C_Decrypt, C_Sign. */
CK_RV coffer_operation_single(CK_SESSION_HANDLE session, enum coffer_use use, CK_BYTE_PTR data, CK_ULONG length,
                              CK_BYTE_PTR out, CK_ULONG_PTR out_length);
/* C_EncryptUpdate, C_DecryptUpdate (with output); C_SignUpdate, C_VerifyUpdate (out, out_length NULL). */
CK_RV coffer_operation_update(CK_SESSION_HANDLE session, enum coffer_use use, CK_BYTE_PTR part, CK_ULONG length,
                              CK_BYTE_PTR out, CK_ULONG_PTR out_length);
/* C_EncryptFinal, C_DecryptFinal, C_SignFinal. */
CK_RV coffer_operation_final(CK_SESSION_HANDLE session, enum coffer_use use, CK_BYTE_PTR out, CK_ULONG_PTR out_length);
/* C_Verify (whole 1: data is all of it) and C_VerifyFinal (whole 0). */
CK_RV coffer_operation_verify(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG length, CK_BYTE_PTR signature,
                              CK_ULONG signature_length, int whole);

/* ---- signature.c ---- */
/* After SIGNATURE_INVALID: whether the signature was refused for its length alone (the spec's
   CKR_SIGNATURE_LEN_RANGE), judged from the mechanism, or the key's size when it decides. */
int coffer_signature_wrong_length(struct coffer_call *call, CK_MECHANISM_TYPE mechanism, CK_OBJECT_HANDLE key,
                                  CK_ULONG length);

/* ---- slot.c ---- */
CK_RV coffer_check_slot(CK_SLOT_ID slot);

#endif
