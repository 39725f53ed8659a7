/* What the module's files share. Each C_* entry point lives in the file of its concern. */
#ifndef COFFER_INTERNAL_H
#define COFFER_INTERNAL_H

#include <json-c/json.h>
#include <stddef.h>

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

/* ---- config.c ---- */
struct coffer_config {
  char **endpoints;
  size_t endpoint_count;
  char *ca_file;
  char *cert_file;
  char *key_file;
  long connect_timeout_ms;
  long request_timeout_ms;
};
/* Reads COFFER_PKCS11_CONF (a JSON file), then the COFFER_PKCS11_* variables over it. */
CK_RV coffer_config_load(struct coffer_config *config);
void coffer_config_free(struct coffer_config *config);

/* ---- errors.c ---- */
/* The CKR_ value of one of the node's error codes (the registry's ckr column). */
CK_RV coffer_ckr_of(const char *code);

/* ---- transport.c ---- */
CK_RV coffer_transport_init(void);
void coffer_transport_cleanup(void);
/* In a child after fork(): forgets the parent's connections without closing them. */
void coffer_transport_abandon(void);
/*
 * One request to /v1 on the first endpoint that answers. `token` (may be NULL) goes as a bearer
 * token; `body` (may be NULL) as JSON. On CKR_OK, *response holds the parsed answer (may be
 * NULL for 204); the caller puts it. An error answer is mapped through coffer_ckr_of.
 */
CK_RV coffer_http(const struct coffer_config *config, const char *method, const char *path, const char *token,
                  const char *body, json_object **response);

/* ---- state.c ---- */
/* Locks the module's state. Returns CKR_CRYPTOKI_NOT_INITIALIZED (unlocked) when the calling
   process has not initialized the module (also in a child after fork()). */
CK_RV coffer_enter(void);
void coffer_leave(void);
/* The configuration; valid between coffer_enter and coffer_leave, and for copies taken then. */
const struct coffer_config *coffer_state_config(void);

/* ---- session.c (state held under the module lock) ---- */
/* Forgets every session and the login, zeroing the token; no word to the node. */
void coffer_sessions_reset(void);
/* The application's login token (a copy, the caller frees with coffer_free_secret), or NULL. */
CK_RV coffer_session_token(CK_SESSION_HANDLE session, char **token);
CK_ULONG coffer_session_count(CK_ULONG *rw_count);
int coffer_session_valid(CK_SESSION_HANDLE session);
/* Logs out of the node (best effort) and forgets the login; used by C_Finalize. */
void coffer_logout_all(void);

/* ---- mechanism.c ---- */
/* Forgets the node's mechanism list (C_Initialize fetches it again on first use). */
void coffer_mechanisms_reset(void);

/* ---- slot.c ---- */
CK_RV coffer_check_slot(CK_SLOT_ID slot);

#endif
