/*
 * Sessions and login. Login state is the application's, shared by all its sessions, as the
 * spec says: one node session token per application login, kept here (zeroed when dropped).
 * C_Login takes CloudHSM's PIN form `user:password`: CKU_USER for a crypto user, CKU_SO for an
 * admin. The table and the login are guarded by the module lock (state.c); each session has a
 * lock of its own, held by the one call running on it (coffer_call_begin), so the module lock
 * is never held across a call to the node except by C_Login, C_Logout and C_Finalize.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct state_value {
  void *value;
  coffer_release_fn release;
};

struct coffer_session {
  CK_SESSION_HANDLE handle;
  CK_FLAGS flags;
  pthread_mutex_t lock;  /* held by the call running on this session */
  unsigned calls;        /* calls begun and not ended (under the module lock) */
  int closed;            /* out of the table; freed when `calls` drops to 0 */
  struct state_value states[COFFER_STATE_KINDS];
};

static struct coffer_session **sessions;
static size_t session_count;
static size_t session_capacity;
static CK_SESSION_HANDLE next_handle = 1;
static CK_USER_TYPE login_type = COFFER_NOT_LOGGED_IN;
static char *login_token;

/* Frees a closed session: its states' release with `token` (may be NULL), then the memory.
   Runs outside the module lock. */
static void free_session(struct coffer_session *session, const char *token, int destroy_lock) {
  for (int kind = 0; kind < COFFER_STATE_KINDS; kind++) {
    struct state_value *state = &session->states[kind];
    if (state->value != NULL && state->release != NULL) state->release(state->value, token);
  }
  /* In a child after fork() a parent's thread may have held the lock: it is not destroyed. */
  if (destroy_lock) pthread_mutex_destroy(&session->lock);
  free(session);
}

/* A list of sessions taken out of the table, to free once the module lock is released. */
struct closed_list {
  struct coffer_session **items;
  size_t count;
  char *token; /* the login token while they were open (a copy), for their release */
};

/* Takes session i out of the table (under the module lock); adds it to `closed` when no call
   holds it, else the last call's end frees it. */
static void close_at(size_t i, struct closed_list *closed) {
  struct coffer_session *session = sessions[i];
  sessions[i] = sessions[--session_count];
  session->closed = 1;
  if (session->calls == 0) closed->items[closed->count++] = session;
}

static CK_RV closed_list_init(struct closed_list *closed, size_t capacity) {
  closed->count = 0;
  closed->token = NULL;
  closed->items = malloc((capacity == 0 ? 1 : capacity) * sizeof *closed->items);
  if (closed->items == NULL) return CKR_HOST_MEMORY;
  if (login_token != NULL && (closed->token = strdup(login_token)) == NULL) {
    free(closed->items);
    return CKR_HOST_MEMORY;
  }
  return CKR_OK;
}

static void closed_list_free(struct closed_list *closed) {
  for (size_t i = 0; i < closed->count; i++) free_session(closed->items[i], closed->token, 1);
  coffer_free_secret(closed->token);
  free(closed->items);
}

/* Another login may see other keys: the key views go with the login. */
static void forget_login(void) {
  coffer_key_views_clear();
  coffer_free_secret(login_token);
  login_token = NULL;
  login_type = COFFER_NOT_LOGGED_IN;
}

/* Logs the application's login out of the node, best effort (under the module lock). */
static void logout_from_node(void) {
  if (login_token != NULL) {
    json_object *answer = NULL;
    (void)coffer_http(coffer_state_config(), "DELETE", "/v1/sessions/current", login_token, NULL, &answer, NULL);
    if (answer != NULL) json_object_put(answer);
  }
  forget_login();
}

void coffer_sessions_forget(void) {
  for (size_t i = 0; i < session_count; i++) free_session(sessions[i], NULL, 0);
  free(sessions);
  sessions = NULL;
  session_count = session_capacity = 0;
  forget_login();
}

void coffer_sessions_finalize(void) {
  struct closed_list closed;
  if (closed_list_init(&closed, session_count) == CKR_OK) {
    while (session_count > 0) close_at(session_count - 1, &closed);
    /* Session objects go first (they need the login), then the login itself. */
    for (size_t i = 0; i < closed.count; i++) free_session(closed.items[i], closed.token, 1);
    closed.count = 0;
    closed_list_free(&closed);
  }
  logout_from_node();
  free(sessions);
  sessions = NULL;
  session_count = session_capacity = 0;
}

static struct coffer_session *find(CK_SESSION_HANDLE handle) {
  for (size_t i = 0; i < session_count; i++)
    if (sessions[i]->handle == handle) return sessions[i];
  return NULL;
}

static size_t index_of(CK_SESSION_HANDLE handle) {
  for (size_t i = 0; i < session_count; i++)
    if (sessions[i]->handle == handle) return i;
  return session_count;
}

CK_ULONG coffer_session_count(CK_ULONG *rw_count) {
  CK_ULONG rw = 0;
  for (size_t i = 0; i < session_count; i++)
    if (sessions[i]->flags & CKF_RW_SESSION) rw++;
  if (rw_count != NULL) *rw_count = rw;
  return (CK_ULONG)session_count;
}

CK_RV coffer_call_begin(CK_SESSION_HANDLE handle, struct coffer_call *call) {
  memset(call, 0, sizeof *call);
  call->user = COFFER_NOT_LOGGED_IN;
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  struct coffer_session *session = find(handle);
  if (session == NULL) rv = CKR_SESSION_HANDLE_INVALID;
  else if (login_token != NULL && (call->token = strdup(login_token)) == NULL) rv = CKR_HOST_MEMORY;
  if (rv == CKR_OK) {
    session->calls++;
    call->session = session;
    call->handle = handle;
    call->flags = session->flags;
    call->user = login_type;
  }
  coffer_leave();
  if (rv != CKR_OK) return rv;
  pthread_mutex_lock(&session->lock);
  coffer_lock();
  int closed = session->closed; /* closed while this call waited for the session's lock */
  coffer_unlock();
  if (closed) {
    coffer_call_end(call);
    return CKR_SESSION_HANDLE_INVALID;
  }
  return CKR_OK;
}

void coffer_call_end(struct coffer_call *call) {
  struct coffer_session *session = call->session;
  if (session == NULL) return;
  pthread_mutex_unlock(&session->lock);
  coffer_lock();
  int last = --session->calls == 0 && session->closed;
  char *token = last && login_token != NULL ? strdup(login_token) : NULL;
  coffer_unlock();
  if (last) free_session(session, token != NULL ? token : call->token, 1);
  coffer_free_secret(token);
  coffer_free_secret(call->token);
  memset(call, 0, sizeof *call);
}

void *coffer_call_state(const struct coffer_call *call, enum coffer_state_kind kind) {
  return call->session->states[kind].value;
}

void coffer_call_set_state(struct coffer_call *call, enum coffer_state_kind kind, void *value,
                           coffer_release_fn release) {
  struct state_value *state = &call->session->states[kind];
  if (state->value != NULL && state->release != NULL && state->value != value)
    state->release(state->value, call->token);
  state->value = value;
  state->release = release;
}

/* The node forgot `token`: forget the login (if still that one) and invalidate every session. */
static void login_lost(const char *token) {
  struct closed_list closed = {0};
  coffer_lock();
  int same = login_token != NULL && token != NULL && strcmp(login_token, token) == 0;
  if (same && closed_list_init(&closed, session_count) == CKR_OK) {
    while (session_count > 0) close_at(session_count - 1, &closed);
    forget_login();
  } else {
    closed.items = NULL;
  }
  coffer_unlock();
  if (closed.items != NULL) {
    /* The token is dead on the node: release without it. */
    coffer_free_secret(closed.token);
    closed.token = NULL;
    closed_list_free(&closed);
  }
}

/* The node forgot the call's login: CKR_SESSION_HANDLE_INVALID, and every session goes. */
static CK_RV answered(struct coffer_call *call, CK_RV rv, const char *code) {
  if (strcmp(code, "SESSION_INVALID") == 0 || strcmp(code, "NOT_AUTHENTICATED") == 0) {
    login_lost(call->token);
    rv = CKR_SESSION_HANDLE_INVALID;
  }
  return rv;
}

CK_RV coffer_call_http(struct coffer_call *call, const char *method, const char *path, const char *body,
                       json_object **response, char code[COFFER_CODE_MAX]) {
  char own_code[COFFER_CODE_MAX];
  char *answer_code = code != NULL ? code : own_code;
  *response = NULL;
  answer_code[0] = '\0';
  if (call->token == NULL) return CKR_USER_NOT_LOGGED_IN;
  CK_RV rv = coffer_http(coffer_state_config(), method, path, call->token, body, response, answer_code);
  return answered(call, rv, answer_code);
}

CK_RV coffer_call_combined(struct coffer_call *call, const char *operation, const char *route, const char *body,
                           json_object **response, char code[COFFER_CODE_MAX]) {
  char own_code[COFFER_CODE_MAX];
  char *answer_code = code != NULL ? code : own_code;
  *response = NULL;
  answer_code[0] = '\0';
  if (call->token == NULL) return CKR_USER_NOT_LOGGED_IN;
  /* POST /v1/batch is a crypto user's: an admin's calls go alone, refused (and audited) as
     the operation they are. */
  if (call->user != CKU_USER) operation = NULL;
  CK_RV rv = coffer_combined_http(coffer_state_config(), operation, route, call->token, body, response, answer_code);
  return answered(call, rv, answer_code);
}

CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
                    CK_SESSION_HANDLE_PTR phSession) {
  (void)pApplication;
  (void)Notify; /* Coffer sends no notifications (the spec lets a token never call back). */
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  if (phSession == NULL) rv = CKR_ARGUMENTS_BAD;
  else if ((rv = coffer_check_slot(slotID)) != CKR_OK) {
  } else if (!(flags & CKF_SERIAL_SESSION)) rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
  else if (login_type == CKU_SO && !(flags & CKF_RW_SESSION)) rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
  else if (session_count == session_capacity) {
    size_t capacity = session_capacity == 0 ? 8 : session_capacity * 2;
    struct coffer_session **grown = realloc(sessions, capacity * sizeof *grown);
    if (grown == NULL) rv = CKR_HOST_MEMORY;
    else {
      sessions = grown;
      session_capacity = capacity;
    }
  }
  struct coffer_session *session = NULL;
  if (rv == CKR_OK && (session = calloc(1, sizeof *session)) == NULL) rv = CKR_HOST_MEMORY;
  if (rv == CKR_OK) {
    pthread_mutex_init(&session->lock, NULL);
    session->handle = next_handle++;
    session->flags = CKF_SERIAL_SESSION | (flags & CKF_RW_SESSION);
    sessions[session_count++] = session;
    *phSession = session->handle;
  }
  coffer_leave();
  return rv;
}

/* Closes one session (or all); when none is left, the login ends on the node too. Session
   objects are released first, outside the module lock, while the login still lives. */
static CK_RV close_sessions(CK_SESSION_HANDLE handle, int all) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  struct closed_list closed;
  char *ended_login = NULL;
  if (!all && index_of(handle) == session_count) rv = CKR_SESSION_HANDLE_INVALID;
  else rv = closed_list_init(&closed, session_count);
  if (rv == CKR_OK) {
    if (all) {
      while (session_count > 0) close_at(session_count - 1, &closed);
    } else {
      close_at(index_of(handle), &closed);
    }
    if (session_count == 0 && login_token != NULL) {
      ended_login = login_token; /* taken out: logged out below, outside the lock */
      login_token = NULL;
      login_type = COFFER_NOT_LOGGED_IN;
      coffer_key_views_clear();
    }
  }
  coffer_leave();
  if (rv != CKR_OK) return rv;
  closed_list_free(&closed);
  if (ended_login != NULL) {
    json_object *answer = NULL;
    (void)coffer_http(coffer_state_config(), "DELETE", "/v1/sessions/current", ended_login, NULL, &answer, NULL);
    if (answer != NULL) json_object_put(answer);
    coffer_free_secret(ended_login);
  }
  return CKR_OK;
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession) { return close_sessions(hSession, 0); }

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  rv = coffer_check_slot(slotID);
  coffer_leave();
  return rv == CKR_OK ? close_sessions(0, 1) : rv;
}

static CK_STATE state_of(const struct coffer_session *session) {
  int rw = (session->flags & CKF_RW_SESSION) != 0;
  if (login_type == CKU_SO) return CKS_RW_SO_FUNCTIONS;
  if (login_type == CKU_USER) return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
  return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  struct coffer_session *session = find(hSession);
  if (session == NULL) rv = CKR_SESSION_HANDLE_INVALID;
  else if (pInfo == NULL) rv = CKR_ARGUMENTS_BAD;
  else {
    pInfo->slotID = COFFER_SLOT_ID;
    pInfo->state = state_of(session);
    pInfo->flags = session->flags;
    pInfo->ulDeviceError = 0;
  }
  coffer_leave();
  return rv;
}

/* Appends `text` (length bytes) to `out` as a JSON string; returns the new end. */
static char *json_string(char *out, const char *text, size_t length) {
  static const char hex[] = "0123456789abcdef";
  *out++ = '"';
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c == '"' || c == '\\') {
      *out++ = '\\';
      *out++ = (char)c;
    } else if (c < 0x20) {
      memcpy(out, "\\u00", 4);
      out[4] = hex[c >> 4];
      out[5] = hex[c & 0xf];
      out += 6;
    } else {
      *out++ = (char)c;
    }
  }
  *out++ = '"';
  return out;
}

/* {"username":…,"password":…} from `user:password`; NULL when the PIN has not that form. */
static char *login_body(const CK_UTF8CHAR *pin, CK_ULONG pin_length, CK_RV *rv) {
  const char *text = (const char *)pin;
  const char *colon = memchr(text, ':', pin_length);
  *rv = CKR_PIN_INCORRECT;
  if (colon == NULL || colon == text || (CK_ULONG)(colon - text) + 1 == pin_length) return NULL;
  if (memchr(text, '\0', pin_length) != NULL) return NULL;
  size_t user_length = (size_t)(colon - text);
  size_t password_length = pin_length - user_length - 1;
  size_t capacity = 6 * pin_length + 64;
  char *body = malloc(capacity);
  *rv = CKR_HOST_MEMORY;
  if (body == NULL) return NULL;
  char *end = body;
  memcpy(end, "{\"username\":", 12);
  end = json_string(end + 12, text, user_length);
  memcpy(end, ",\"password\":", 12);
  end = json_string(end + 12, colon + 1, password_length);
  *end++ = '}';
  *end = '\0';
  *rv = CKR_OK;
  return body;
}

/* Takes the token out of a login answer, zeroing json-c's copy; checks the role fits the user type. */
static CK_RV take_token(json_object *answer, CK_USER_TYPE user_type, char **token) {
  json_object *token_field, *role_field;
  *token = NULL;
  if (answer == NULL || !json_object_object_get_ex(answer, "token", &token_field) ||
      !json_object_is_type(token_field, json_type_string))
    return CKR_DEVICE_ERROR;
  char *value = (char *)json_object_get_string(token_field);
  *token = strdup(value);
  coffer_wipe(value, strlen(value));
  if (*token == NULL) return CKR_HOST_MEMORY;
  const char *expected = user_type == CKU_SO ? "admin" : "crypto-user";
  if (!json_object_object_get_ex(answer, "role", &role_field) ||
      strcmp(json_object_get_string(role_field), expected) != 0)
    return CKR_USER_TYPE_INVALID;
  return CKR_OK;
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  char *body = NULL;
  if (find(hSession) == NULL) rv = CKR_SESSION_HANDLE_INVALID;
  else if (userType == CKU_CONTEXT_SPECIFIC) rv = CKR_OPERATION_NOT_INITIALIZED;
  else if (userType != CKU_USER && userType != CKU_SO) rv = CKR_USER_TYPE_INVALID;
  else if (pPin == NULL) rv = CKR_ARGUMENTS_BAD;
  else if (login_type == userType) rv = CKR_USER_ALREADY_LOGGED_IN;
  else if (login_type != COFFER_NOT_LOGGED_IN) rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
  if (rv == CKR_OK && userType == CKU_SO) {
    CK_ULONG rw = 0;
    if (coffer_session_count(&rw) != rw) rv = CKR_SESSION_READ_ONLY_EXISTS;
  }
  if (rv == CKR_OK) body = login_body(pPin, ulPinLen, &rv);
  json_object *answer = NULL;
  if (rv == CKR_OK) rv = coffer_http(coffer_state_config(), "POST", "/v1/sessions", NULL, body, &answer, NULL);
  coffer_free_secret(body);
  if (rv == CKR_OK) {
    char *token = NULL;
    rv = take_token(answer, userType, &token);
    if (rv == CKR_OK) {
      login_token = token;
      login_type = userType;
      coffer_key_views_clear();
    } else if (token != NULL) {
      json_object *ignored = NULL;
      (void)coffer_http(coffer_state_config(), "DELETE", "/v1/sessions/current", token, NULL, &ignored, NULL);
      if (ignored != NULL) json_object_put(ignored);
      coffer_free_secret(token);
    }
  }
  if (answer != NULL) json_object_put(answer);
  coffer_leave();
  return rv;
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  if (find(hSession) == NULL) rv = CKR_SESSION_HANDLE_INVALID;
  else if (login_type == COFFER_NOT_LOGGED_IN) rv = CKR_USER_NOT_LOGGED_IN;
  else logout_from_node();
  coffer_leave();
  return rv;
}
