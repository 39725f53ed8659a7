/*
 * Sessions and login. Login state is the application's, shared by all its sessions, as the
 * spec says: one node session token per application login, kept here (zeroed when dropped).
 * C_Login takes CloudHSM's PIN form `user:password`: CKU_USER for a crypto user, CKU_SO for an
 * admin. Every function here runs under the module lock (state.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NOT_LOGGED_IN ((CK_USER_TYPE)~0UL)

struct session {
  CK_SESSION_HANDLE handle;
  CK_FLAGS flags;
};

static struct session *sessions;
static size_t session_count;
static size_t session_capacity;
static CK_SESSION_HANDLE next_handle = 1;
static CK_USER_TYPE login_type = NOT_LOGGED_IN;
static char *login_token;

static void forget_login(void) {
  coffer_free_secret(login_token);
  login_token = NULL;
  login_type = NOT_LOGGED_IN;
}

void coffer_sessions_reset(void) {
  forget_login();
  free(sessions);
  sessions = NULL;
  session_count = session_capacity = 0;
}

void coffer_logout_all(void) {
  if (login_token != NULL) {
    json_object *answer = NULL;
    (void)coffer_http(coffer_state_config(), "DELETE", "/v1/sessions/current", login_token, NULL, &answer);
    if (answer != NULL) json_object_put(answer);
  }
  forget_login();
}

static struct session *find(CK_SESSION_HANDLE handle) {
  for (size_t i = 0; i < session_count; i++)
    if (sessions[i].handle == handle) return &sessions[i];
  return NULL;
}

int coffer_session_valid(CK_SESSION_HANDLE handle) { return find(handle) != NULL; }

CK_ULONG coffer_session_count(CK_ULONG *rw_count) {
  CK_ULONG rw = 0;
  for (size_t i = 0; i < session_count; i++)
    if (sessions[i].flags & CKF_RW_SESSION) rw++;
  if (rw_count != NULL) *rw_count = rw;
  return (CK_ULONG)session_count;
}

CK_RV coffer_session_token(CK_SESSION_HANDLE handle, char **token) {
  *token = NULL;
  if (find(handle) == NULL) return CKR_SESSION_HANDLE_INVALID;
  if (login_token == NULL) return CKR_USER_NOT_LOGGED_IN;
  *token = strdup(login_token);
  return *token == NULL ? CKR_HOST_MEMORY : CKR_OK;
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
    struct session *grown = realloc(sessions, capacity * sizeof *grown);
    if (grown == NULL) rv = CKR_HOST_MEMORY;
    else {
      sessions = grown;
      session_capacity = capacity;
    }
  }
  if (rv == CKR_OK) {
    sessions[session_count].handle = next_handle++;
    sessions[session_count].flags = CKF_SERIAL_SESSION | (flags & CKF_RW_SESSION);
    *phSession = sessions[session_count].handle;
    session_count++;
  }
  coffer_leave();
  return rv;
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  struct session *session = find(hSession);
  if (session == NULL) rv = CKR_SESSION_HANDLE_INVALID;
  else {
    *session = sessions[--session_count];
    if (session_count == 0) coffer_logout_all();
  }
  coffer_leave();
  return rv;
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  rv = coffer_check_slot(slotID);
  if (rv == CKR_OK) {
    session_count = 0;
    coffer_logout_all();
  }
  coffer_leave();
  return rv;
}

static CK_STATE state_of(const struct session *session) {
  int rw = (session->flags & CKF_RW_SESSION) != 0;
  if (login_type == CKU_SO) return CKS_RW_SO_FUNCTIONS;
  if (login_type == CKU_USER) return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
  return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  struct session *session = find(hSession);
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
  else if (login_type != NOT_LOGGED_IN) rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
  if (rv == CKR_OK && userType == CKU_SO) {
    CK_ULONG rw = 0;
    if (coffer_session_count(&rw) != rw) rv = CKR_SESSION_READ_ONLY_EXISTS;
  }
  if (rv == CKR_OK) body = login_body(pPin, ulPinLen, &rv);
  json_object *answer = NULL;
  if (rv == CKR_OK) rv = coffer_http(coffer_state_config(), "POST", "/v1/sessions", NULL, body, &answer);
  coffer_free_secret(body);
  if (rv == CKR_OK) {
    char *token = NULL;
    rv = take_token(answer, userType, &token);
    if (rv == CKR_OK) {
      login_token = token;
      login_type = userType;
    } else if (token != NULL) {
      json_object *ignored = NULL;
      (void)coffer_http(coffer_state_config(), "DELETE", "/v1/sessions/current", token, NULL, &ignored);
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
  else if (login_type == NOT_LOGGED_IN) rv = CKR_USER_NOT_LOGGED_IN;
  else coffer_logout_all();
  coffer_leave();
  return rv;
}
