/*
 * The entry points: the v2.40 function list, C_GetFunctionList, and the v3.0 interface
 * functions, which offer that same list as the "PKCS 11" interface, version 2.40. Functions
 * this module does not implement yet answer CKR_FUNCTION_NOT_SUPPORTED (after the
 * initialization check), never a pretended success.
 */
#include <string.h>

#include "internal.h"

/* The stubs name their parameters for the reader; they use none of them. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

static CK_RV not_supported(void) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  coffer_leave();
  return CKR_FUNCTION_NOT_SUPPORTED;
}

#define NOT_SUPPORTED(name, params) \
  CK_RV name params { return not_supported(); }

NOT_SUPPORTED(C_InitToken, (CK_SLOT_ID slot, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len, CK_UTF8CHAR_PTR label))
NOT_SUPPORTED(C_InitPIN, (CK_SESSION_HANDLE s, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len))
NOT_SUPPORTED(C_SetPIN, (CK_SESSION_HANDLE s, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len, CK_UTF8CHAR_PTR new_pin,
                         CK_ULONG new_len))
NOT_SUPPORTED(C_GetOperationState, (CK_SESSION_HANDLE s, CK_BYTE_PTR state, CK_ULONG_PTR state_len))
NOT_SUPPORTED(C_SetOperationState, (CK_SESSION_HANDLE s, CK_BYTE_PTR state, CK_ULONG state_len,
                                    CK_OBJECT_HANDLE encryption_key, CK_OBJECT_HANDLE authentication_key))
NOT_SUPPORTED(C_SignRecoverInit, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key))
NOT_SUPPORTED(C_SignRecover, (CK_SESSION_HANDLE s, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR out,
                              CK_ULONG_PTR out_len))
NOT_SUPPORTED(C_VerifyRecoverInit, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key))
NOT_SUPPORTED(C_VerifyRecover, (CK_SESSION_HANDLE s, CK_BYTE_PTR signature, CK_ULONG signature_len, CK_BYTE_PTR out,
                                CK_ULONG_PTR out_len))
NOT_SUPPORTED(C_DigestEncryptUpdate, (CK_SESSION_HANDLE s, CK_BYTE_PTR part, CK_ULONG part_len, CK_BYTE_PTR out,
                                      CK_ULONG_PTR out_len))
NOT_SUPPORTED(C_DecryptDigestUpdate, (CK_SESSION_HANDLE s, CK_BYTE_PTR part, CK_ULONG part_len, CK_BYTE_PTR out,
                                      CK_ULONG_PTR out_len))
NOT_SUPPORTED(C_SignEncryptUpdate, (CK_SESSION_HANDLE s, CK_BYTE_PTR part, CK_ULONG part_len, CK_BYTE_PTR out,
                                    CK_ULONG_PTR out_len))
NOT_SUPPORTED(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE s, CK_BYTE_PTR part, CK_ULONG part_len, CK_BYTE_PTR out,
                                      CK_ULONG_PTR out_len))
NOT_SUPPORTED(C_WaitForSlotEvent, (CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved))

/* Legacy functions: the spec says they always answer CKR_FUNCTION_NOT_PARALLEL. */
static CK_RV not_parallel(void) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  coffer_leave();
  return CKR_FUNCTION_NOT_PARALLEL;
}
CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE s) { return not_parallel(); }
CK_RV C_CancelFunction(CK_SESSION_HANDLE s) { return not_parallel(); }

static CK_FUNCTION_LIST function_list = {
    {2, 40},
    C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList, C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo,
    C_GetMechanismList, C_GetMechanismInfo, C_InitToken, C_InitPIN, C_SetPIN, C_OpenSession, C_CloseSession,
    C_CloseAllSessions, C_GetSessionInfo, C_GetOperationState, C_SetOperationState, C_Login, C_Logout,
    C_CreateObject, C_CopyObject, C_DestroyObject, C_GetObjectSize, C_GetAttributeValue, C_SetAttributeValue,
    C_FindObjectsInit, C_FindObjects, C_FindObjectsFinal, C_EncryptInit, C_Encrypt, C_EncryptUpdate,
    C_EncryptFinal, C_DecryptInit, C_Decrypt, C_DecryptUpdate, C_DecryptFinal, C_DigestInit, C_Digest,
    C_DigestUpdate, C_DigestKey, C_DigestFinal, C_SignInit, C_Sign, C_SignUpdate, C_SignFinal,
    C_SignRecoverInit, C_SignRecover, C_VerifyInit, C_Verify, C_VerifyUpdate, C_VerifyFinal,
    C_VerifyRecoverInit, C_VerifyRecover, C_DigestEncryptUpdate, C_DecryptDigestUpdate, C_SignEncryptUpdate,
    C_DecryptVerifyUpdate, C_GenerateKey, C_GenerateKeyPair, C_WrapKey, C_UnwrapKey, C_DeriveKey,
    C_SeedRandom, C_GenerateRandom, C_GetFunctionStatus, C_CancelFunction, C_WaitForSlotEvent,
};

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList) {
  if (ppFunctionList == NULL) return CKR_ARGUMENTS_BAD;
  *ppFunctionList = &function_list;
  return CKR_OK;
}

static CK_CHAR interface_name[] = "PKCS 11";
/* Not CKF_INTERFACE_FORK_SAFE: a child must call C_Initialize again. */
static CK_INTERFACE interfaces[] = {{interface_name, &function_list, 0}};
#define INTERFACE_COUNT (sizeof interfaces / sizeof interfaces[0])

CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount) {
  if (pulCount == NULL) return CKR_ARGUMENTS_BAD;
  if (pInterfacesList == NULL) {
    *pulCount = INTERFACE_COUNT;
    return CKR_OK;
  }
  if (*pulCount < INTERFACE_COUNT) {
    *pulCount = INTERFACE_COUNT;
    return CKR_BUFFER_TOO_SMALL;
  }
  memcpy(pInterfacesList, interfaces, sizeof interfaces);
  *pulCount = INTERFACE_COUNT;
  return CKR_OK;
}

CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion, CK_INTERFACE_PTR_PTR ppInterface,
                     CK_FLAGS flags) {
  if (ppInterface == NULL) return CKR_ARGUMENTS_BAD;
  for (size_t i = 0; i < INTERFACE_COUNT; i++) {
    const CK_VERSION *version = interfaces[i].pFunctionList;
    if (pInterfaceName != NULL && strcmp((const char *)pInterfaceName, (const char *)interfaces[i].pInterfaceName) != 0)
      continue;
    if (pVersion != NULL && (pVersion->major != version->major || pVersion->minor != version->minor)) continue;
    if ((interfaces[i].flags & flags) != flags) continue;
    *ppInterface = &interfaces[i];
    return CKR_OK;
  }
  return CKR_ARGUMENTS_BAD;
}
