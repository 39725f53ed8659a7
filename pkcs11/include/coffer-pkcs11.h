/*
 * The PKCS#11 definitions the module builds against: v2.40 from Debian's libp11-kit-dev
 * (<p11-kit/pkcs11.h>), plus the few v3.0 names that header predates, written from the
 * PKCS#11 3.0 base specification (section 5.16 and the mechanism table).
 */
#ifndef COFFER_PKCS11_H
#define COFFER_PKCS11_H

#include <p11-kit/pkcs11.h>

#ifndef CKM_HKDF_DERIVE
#define CKM_HKDF_DERIVE 0x0000402aUL
#endif
#ifndef CKM_SP800_108_COUNTER_KDF
#define CKM_SP800_108_COUNTER_KDF 0x000003acUL
#endif

/* PKCS#11 3.0, 3.3: an interface is a name, a function list and flags. */
typedef struct CK_INTERFACE {
  CK_CHAR *pInterfaceName;
  CK_VOID_PTR pFunctionList;
  CK_FLAGS flags;
} CK_INTERFACE;
typedef CK_INTERFACE *CK_INTERFACE_PTR;
typedef CK_INTERFACE_PTR *CK_INTERFACE_PTR_PTR;

#ifndef CKF_INTERFACE_FORK_SAFE
#define CKF_INTERFACE_FORK_SAFE 0x00000001UL
#endif

CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount);
CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion, CK_INTERFACE_PTR_PTR ppInterface,
                     CK_FLAGS flags);

#endif
