/*
 * The PKCS#11 definitions the module builds against: v2.40 from Debian's libp11-kit-dev
 * (<p11-kit/pkcs11.h>), plus the few names that header lacks, written from the PKCS#11 v2.40
 * mechanisms document and the 3.0 base specification (section 5.16, the mechanism table and
 * the HKDF and SP 800-108 parameter structures).
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

/* PKCS#11 v2.40 §2.1.21: CKM_RSA_AES_KEY_WRAP's parameters. */
typedef struct CK_RSA_AES_KEY_WRAP_PARAMS {
  CK_ULONG ulAESKeyBits;
  CK_RSA_PKCS_OAEP_PARAMS_PTR pOAEPParams;
} CK_RSA_AES_KEY_WRAP_PARAMS;

/* PKCS#11 3.0 §2.43: CKM_HKDF_DERIVE's parameters. */
typedef struct CK_HKDF_PARAMS {
  CK_BBOOL bExtract;
  CK_BBOOL bExpand;
  CK_MECHANISM_TYPE prfHashMechanism;
  CK_ULONG ulSaltType;
  CK_BYTE_PTR pSalt;
  CK_ULONG ulSaltLen;
  CK_OBJECT_HANDLE hSaltKey;
  CK_BYTE_PTR pInfo;
  CK_ULONG ulInfoLen;
} CK_HKDF_PARAMS;
#define CKF_HKDF_SALT_NULL 0x00000001UL
#define CKF_HKDF_SALT_DATA 0x00000002UL
#define CKF_HKDF_SALT_KEY 0x00000004UL

/* PKCS#11 3.0 §2.42: CKM_SP800_108_COUNTER_KDF's parameters. */
typedef CK_ULONG CK_PRF_DATA_TYPE;
#define CK_SP800_108_ITERATION_VARIABLE 0x00000001UL
#define CK_SP800_108_OPTIONAL_COUNTER 0x00000002UL
#define CK_SP800_108_DKM_LENGTH 0x00000003UL
#define CK_SP800_108_BYTE_ARRAY 0x00000004UL
typedef struct CK_PRF_DATA_PARAM {
  CK_PRF_DATA_TYPE type;
  CK_VOID_PTR pValue;
  CK_ULONG ulValueLen;
} CK_PRF_DATA_PARAM;
typedef struct CK_SP800_108_COUNTER_FORMAT {
  CK_BBOOL bLittleEndian;
  CK_ULONG ulWidthInBits;
} CK_SP800_108_COUNTER_FORMAT;
#define CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS 0x00000001UL
#define CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS 0x00000002UL
typedef struct CK_SP800_108_DKM_LENGTH_FORMAT {
  CK_ULONG dkmLengthMethod;
  CK_BBOOL bLittleEndian;
  CK_ULONG ulWidthInBits;
} CK_SP800_108_DKM_LENGTH_FORMAT;
typedef struct CK_DERIVED_KEY {
  CK_ATTRIBUTE_PTR pTemplate;
  CK_ULONG ulAttributeCount;
  CK_OBJECT_HANDLE_PTR phKey;
} CK_DERIVED_KEY;
typedef struct CK_SP800_108_KDF_PARAMS {
  CK_MECHANISM_TYPE prfType;
  CK_ULONG ulNumberOfDataParams;
  CK_PRF_DATA_PARAM *pDataParams;
  CK_ULONG ulAdditionalDerivedKeys;
  CK_DERIVED_KEY *pAdditionalDerivedKeys;
} CK_SP800_108_KDF_PARAMS;

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
