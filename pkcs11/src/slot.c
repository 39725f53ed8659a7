/* The library, the slot and the token: one slot per cluster, its token described by the node. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* `username:password`, as the node's schema bounds them (256 and 1024 characters). */
#define MIN_PIN_LENGTH 3UL
#define MAX_PIN_LENGTH (256UL + 1UL + 1024UL)

CK_RV coffer_check_slot(CK_SLOT_ID slot) { return slot == COFFER_SLOT_ID ? CKR_OK : CKR_SLOT_ID_INVALID; }

CK_RV C_GetInfo(CK_INFO_PTR pInfo) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  if (pInfo == NULL) rv = CKR_ARGUMENTS_BAD;
  else {
    memset(pInfo, 0, sizeof *pInfo);
    pInfo->cryptokiVersion.major = 2;
    pInfo->cryptokiVersion.minor = 40;
    coffer_pad(pInfo->manufacturerID, sizeof pInfo->manufacturerID, COFFER_MANUFACTURER);
    pInfo->flags = 0;
    coffer_pad(pInfo->libraryDescription, sizeof pInfo->libraryDescription, COFFER_LIBRARY_DESCRIPTION);
    pInfo->libraryVersion.major = COFFER_LIBRARY_VERSION_MAJOR;
    pInfo->libraryVersion.minor = COFFER_LIBRARY_VERSION_MINOR;
  }
  coffer_leave();
  return rv;
}

CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount) {
  (void)tokenPresent; /* The slot always holds its token (the cluster). */
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  if (pulCount == NULL) rv = CKR_ARGUMENTS_BAD;
  else if (pSlotList == NULL) *pulCount = 1;
  else if (*pulCount < 1) {
    *pulCount = 1;
    rv = CKR_BUFFER_TOO_SMALL;
  } else {
    pSlotList[0] = COFFER_SLOT_ID;
    *pulCount = 1;
  }
  coffer_leave();
  return rv;
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  if ((rv = coffer_check_slot(slotID)) != CKR_OK) {
  } else if (pInfo == NULL) rv = CKR_ARGUMENTS_BAD;
  else {
    memset(pInfo, 0, sizeof *pInfo);
    char description[64 + 1];
    snprintf(description, sizeof description, "Coffer cluster at %s", coffer_state_config()->endpoints[0]);
    coffer_pad(pInfo->slotDescription, sizeof pInfo->slotDescription, description);
    coffer_pad(pInfo->manufacturerID, sizeof pInfo->manufacturerID, COFFER_MANUFACTURER);
    pInfo->flags = CKF_TOKEN_PRESENT;
    pInfo->hardwareVersion.major = COFFER_LIBRARY_VERSION_MAJOR;
    pInfo->hardwareVersion.minor = COFFER_LIBRARY_VERSION_MINOR;
    pInfo->firmwareVersion = pInfo->hardwareVersion;
  }
  coffer_leave();
  return rv;
}

static const char *string_field(json_object *object, const char *key) {
  json_object *value;
  if (!json_object_object_get_ex(object, key, &value) || !json_object_is_type(value, json_type_string)) return NULL;
  return json_object_get_string(value);
}

/* "0.1.0" → {0, 1}; anything else → {0, 0}. */
static CK_VERSION version_of(const char *text) {
  CK_VERSION version = {0, 0};
  unsigned major = 0, minor = 0;
  if (text != NULL && sscanf(text, "%u.%u", &major, &minor) == 2 && major < 256 && minor < 256) {
    version.major = (CK_BYTE)major;
    version.minor = (CK_BYTE)minor;
  }
  return version;
}

/* The token from GET /v1/cluster/status: label "Coffer <cluster>", serial = the cluster id's hex. */
static CK_RV describe_token(json_object *status, CK_TOKEN_INFO_PTR info) {
  const char *cluster_id = string_field(status, "clusterId");
  const char *mode = string_field(status, "mode");
  if (cluster_id == NULL || mode == NULL) return CKR_DEVICE_ERROR;
  char serial[16 + 1] = {0}, label[32 + 1], model[16 + 1];
  for (size_t i = 0, n = 0; cluster_id[i] != '\0' && n < 16; i++)
    if (isxdigit((unsigned char)cluster_id[i])) serial[n++] = (char)toupper((unsigned char)cluster_id[i]);
  snprintf(label, sizeof label, "Coffer %.8s", serial);
  snprintf(model, sizeof model, "Coffer %s", mode);
  memset(info, 0, sizeof *info);
  coffer_pad(info->label, sizeof info->label, label);
  coffer_pad(info->manufacturerID, sizeof info->manufacturerID, COFFER_MANUFACTURER);
  coffer_pad(info->model, sizeof info->model, model);
  coffer_pad(info->serialNumber, sizeof info->serialNumber, serial);
  info->flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED;
  info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
  info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
  info->ulSessionCount = coffer_session_count(&info->ulRwSessionCount);
  info->ulMinPinLen = MIN_PIN_LENGTH;
  info->ulMaxPinLen = MAX_PIN_LENGTH;
  info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
  info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
  info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
  info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
  info->hardwareVersion = version_of(string_field(status, "version"));
  info->firmwareVersion = info->hardwareVersion;
  memset(info->utcTime, ' ', sizeof info->utcTime); /* no CKF_CLOCK_ON_TOKEN */
  return CKR_OK;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  json_object *status = NULL;
  if ((rv = coffer_check_slot(slotID)) != CKR_OK) {
  } else if (pInfo == NULL) rv = CKR_ARGUMENTS_BAD;
  else rv = coffer_http(coffer_state_config(), "GET", "/v1/cluster/status", NULL, NULL, &status, NULL);
  if (rv == CKR_OK) rv = describe_token(status, pInfo);
  if (status != NULL) json_object_put(status);
  coffer_leave();
  return rv;
}
