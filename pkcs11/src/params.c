/*
 * CK_MECHANISM → the node's request fields: one table says, per mechanism, which parameter
 * structure it takes and for which uses the module offers it; one function per structure
 * turns it into the node's parameter fields (docs/reference/api.md, "Mechanism parameters").
 * The node judges the values (IV and tag lengths, salt lengths, hash names); the module
 * refuses only what it cannot translate: a structure of the wrong size, a NULL pointer with a
 * length, or a choice the node has no field for (an MGF other than MGF1 with the same hash,
 * except for CKM_RSA_PKCS_PSS, where MGF1's hash is a parameter of its own).
 */
#include <string.h>

#include "internal.h"

enum param_form {
  NO_PARAMS,  /* pParameter NULL (or ulParameterLen 0) */
  GCM,        /* CK_GCM_PARAMS */
  IV_BLOCK,   /* a 16-byte IV (AES-CBC) */
  CTR,        /* CK_AES_CTR_PARAMS */
  OAEP,       /* CK_RSA_PKCS_OAEP_PARAMS */
  RSA_AES,    /* CK_RSA_AES_KEY_WRAP_PARAMS */
  PSS,        /* CK_RSA_PKCS_PSS_PARAMS, the hash fixed by the mechanism */
  PSS_DIGEST, /* CK_RSA_PKCS_PSS_PARAMS over the application's digest: hashAlg and mgf chosen */
  ECDSA,      /* no parameters; signatures as r‖s */
  ECDH,       /* CK_ECDH1_DERIVE_PARAMS */
  HKDF,       /* CK_HKDF_PARAMS */
  KDF_108,    /* CK_SP800_108_KDF_PARAMS */
};

#define CIPHER (COFFER_USE_ENCRYPT | COFFER_USE_DECRYPT)
#define SIGNATURE (COFFER_USE_SIGN | COFFER_USE_VERIFY)
#define KEY_WRAP (COFFER_USE_WRAP | COFFER_USE_UNWRAP)

static const struct mechanism_row {
  CK_MECHANISM_TYPE type;
  enum param_form form;
  unsigned uses;
  CK_MECHANISM_TYPE hash;    /* the hash it is built on, when it is one */
  CK_ULONG signature_length; /* when the mechanism alone decides it */
} TABLE[] = {
    {CKM_AES_GCM, GCM, CIPHER | KEY_WRAP, 0, 0},
    {CKM_AES_CBC, IV_BLOCK, CIPHER, 0, 0},
    {CKM_AES_CBC_PAD, IV_BLOCK, CIPHER, 0, 0},
    {CKM_AES_CTR, CTR, CIPHER, 0, 0},
    {CKM_AES_CMAC, NO_PARAMS, SIGNATURE, 0, 16},
    {CKM_AES_KEY_WRAP, NO_PARAMS, KEY_WRAP, 0, 0},
    {CKM_AES_KEY_WRAP_PAD, NO_PARAMS, KEY_WRAP, 0, 0},
    {CKM_SHA_1_HMAC, NO_PARAMS, SIGNATURE, CKM_SHA_1, 20},
    {CKM_SHA224_HMAC, NO_PARAMS, SIGNATURE, CKM_SHA224, 28},
    {CKM_SHA256_HMAC, NO_PARAMS, SIGNATURE, CKM_SHA256, 32},
    {CKM_SHA384_HMAC, NO_PARAMS, SIGNATURE, CKM_SHA384, 48},
    {CKM_SHA512_HMAC, NO_PARAMS, SIGNATURE, CKM_SHA512, 64},
    {CKM_RSA_PKCS, NO_PARAMS, CIPHER | SIGNATURE, 0, 0},
    {CKM_RSA_PKCS_PSS, PSS_DIGEST, SIGNATURE, 0, 0},
    {CKM_RSA_PKCS_OAEP, OAEP, CIPHER | KEY_WRAP, 0, 0},
    {CKM_RSA_AES_KEY_WRAP, RSA_AES, KEY_WRAP, 0, 0},
    {CKM_SHA1_RSA_PKCS, NO_PARAMS, SIGNATURE, CKM_SHA_1, 0},
    {CKM_SHA224_RSA_PKCS, NO_PARAMS, SIGNATURE, CKM_SHA224, 0},
    {CKM_SHA256_RSA_PKCS, NO_PARAMS, SIGNATURE, CKM_SHA256, 0},
    {CKM_SHA384_RSA_PKCS, NO_PARAMS, SIGNATURE, CKM_SHA384, 0},
    {CKM_SHA512_RSA_PKCS, NO_PARAMS, SIGNATURE, CKM_SHA512, 0},
    {CKM_SHA1_RSA_PKCS_PSS, PSS, SIGNATURE, CKM_SHA_1, 0},
    {CKM_SHA224_RSA_PKCS_PSS, PSS, SIGNATURE, CKM_SHA224, 0},
    {CKM_SHA256_RSA_PKCS_PSS, PSS, SIGNATURE, CKM_SHA256, 0},
    {CKM_SHA384_RSA_PKCS_PSS, PSS, SIGNATURE, CKM_SHA384, 0},
    {CKM_SHA512_RSA_PKCS_PSS, PSS, SIGNATURE, CKM_SHA512, 0},
    {CKM_ECDSA, ECDSA, SIGNATURE, 0, 0},
    {CKM_ECDSA_SHA1, ECDSA, SIGNATURE, CKM_SHA_1, 0},
    {CKM_ECDSA_SHA224, ECDSA, SIGNATURE, CKM_SHA224, 0},
    {CKM_ECDSA_SHA256, ECDSA, SIGNATURE, CKM_SHA256, 0},
    {CKM_ECDSA_SHA384, ECDSA, SIGNATURE, CKM_SHA384, 0},
    {CKM_ECDSA_SHA512, ECDSA, SIGNATURE, CKM_SHA512, 0},
    {CKM_EDDSA, NO_PARAMS, SIGNATURE, 0, 64},
    {CKM_SHA_1, NO_PARAMS, COFFER_USE_DIGEST, CKM_SHA_1, 0},
    {CKM_SHA224, NO_PARAMS, COFFER_USE_DIGEST, CKM_SHA224, 0},
    {CKM_SHA256, NO_PARAMS, COFFER_USE_DIGEST, CKM_SHA256, 0},
    {CKM_SHA384, NO_PARAMS, COFFER_USE_DIGEST, CKM_SHA384, 0},
    {CKM_SHA512, NO_PARAMS, COFFER_USE_DIGEST, CKM_SHA512, 0},
    {CKM_ECDH1_DERIVE, ECDH, COFFER_USE_DERIVE, 0, 0},
    {CKM_HKDF_DERIVE, HKDF, COFFER_USE_DERIVE, 0, 0},
    {CKM_SP800_108_COUNTER_KDF, KDF_108, COFFER_USE_DERIVE, 0, 0},
};

/* The hashes, as PKCS#11 names them (a digest, its MGF1, its HMAC, its X9.63 KDF) and as the node does. */
static const struct hash_row {
  CK_MECHANISM_TYPE digest;
  CK_RSA_PKCS_MGF_TYPE mgf;
  CK_MECHANISM_TYPE hmac;
  CK_ULONG x963; /* CKD_SHA*_KDF */
  const char *name;
} HASHES[] = {
    {CKM_SHA_1, CKG_MGF1_SHA1, CKM_SHA_1_HMAC, CKD_SHA1_KDF, "sha1"},
    {CKM_SHA224, CKG_MGF1_SHA224, CKM_SHA224_HMAC, CKD_SHA224_KDF, "sha224"},
    {CKM_SHA256, CKG_MGF1_SHA256, CKM_SHA256_HMAC, CKD_SHA256_KDF, "sha256"},
    {CKM_SHA384, CKG_MGF1_SHA384, CKM_SHA384_HMAC, CKD_SHA384_KDF, "sha384"},
    {CKM_SHA512, CKG_MGF1_SHA512, CKM_SHA512_HMAC, CKD_SHA512_KDF, "sha512"},
};
#define HASH_COUNT (sizeof HASHES / sizeof HASHES[0])

static const struct mechanism_row *row_of(CK_MECHANISM_TYPE type) {
  for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++)
    if (TABLE[i].type == type) return &TABLE[i];
  return NULL;
}

static const struct hash_row *hash_of_digest(CK_MECHANISM_TYPE digest) {
  for (size_t i = 0; i < HASH_COUNT; i++)
    if (HASHES[i].digest == digest) return &HASHES[i];
  return NULL;
}

CK_ULONG coffer_mechanism_signature_length(CK_MECHANISM_TYPE type) {
  const struct mechanism_row *row = row_of(type);
  return row == NULL ? 0 : row->signature_length;
}

static CK_RV add_string(json_object *body, const char *field, const char *value) {
  json_object *text = json_object_new_string(value);
  if (text == NULL || json_object_object_add(body, field, text) != 0) {
    json_object_put(text);
    return CKR_HOST_MEMORY;
  }
  return CKR_OK;
}

static CK_RV add_int(json_object *body, const char *field, CK_ULONG value) {
  if (value > 0x7fffffffUL) return CKR_MECHANISM_PARAM_INVALID;
  json_object *number = json_object_new_int64((int64_t)value);
  if (number == NULL || json_object_object_add(body, field, number) != 0) {
    json_object_put(number);
    return CKR_HOST_MEMORY;
  }
  return CKR_OK;
}

/* Bytes the application passed as pointer and length: NULL with a length is malformed. */
static CK_RV add_bytes(json_object *body, const char *field, const void *data, CK_ULONG length) {
  if (length == 0) return CKR_OK;
  if (data == NULL) return CKR_MECHANISM_PARAM_INVALID;
  return coffer_json_add_base64(body, field, data, length);
}

static int all_zero(const CK_BYTE *bytes, CK_ULONG length) {
  CK_BYTE any = 0;
  for (CK_ULONG i = 0; i < length; i++) any |= bytes[i];
  return any == 0;
}

/* The uses where the node makes the IV when the application leaves it to the node. */
static int makes_iv(enum coffer_use use) { return use == COFFER_USE_ENCRYPT || use == COFFER_USE_WRAP; }

/* The parameter structure, when pParameter points at exactly one. */
#define PARAMS_AS(type, mechanism) \
  ((mechanism)->pParameter != NULL && (mechanism)->ulParameterLen == sizeof(type) ? (const type *)(mechanism)->pParameter : NULL)

/* CK_GCM_PARAMS as v2.40 has it (with ulIvBits), or the older form without, which some
   applications still pass; the size tells them apart. */
struct gcm_view {
  CK_BYTE_PTR iv;
  CK_ULONG iv_length;
  CK_BYTE_PTR aad;
  CK_ULONG aad_length;
  CK_ULONG tag_bits;
};
struct gcm_params_without_iv_bits {
  CK_BYTE_PTR pIv;
  CK_ULONG ulIvLen;
  CK_BYTE_PTR pAAD;
  CK_ULONG ulAADLen;
  CK_ULONG ulTagBits;
};

static int gcm_view(const CK_MECHANISM *mechanism, struct gcm_view *view) {
  const CK_GCM_PARAMS *current = PARAMS_AS(CK_GCM_PARAMS, mechanism);
  const struct gcm_params_without_iv_bits *older = PARAMS_AS(struct gcm_params_without_iv_bits, mechanism);
  if (current != NULL) *view = (struct gcm_view){current->pIv, current->ulIvLen, current->pAAD, current->ulAADLen, current->ulTagBits};
  else if (older != NULL) *view = (struct gcm_view){older->pIv, older->ulIvLen, older->pAAD, older->ulAADLen, older->ulTagBits};
  else return 0;
  return view->iv != NULL || view->iv_length == 0;
}

/* The node's GCM IV is 12 bytes: an all-zero pIv on encrypt (or wrap) leaves it to the node. */
#define GCM_IV_BYTES 12UL

static CK_RV gcm_fields(const CK_MECHANISM *mechanism, enum coffer_use use, json_object *body) {
  struct gcm_view gcm;
  if (!gcm_view(mechanism, &gcm) || gcm.iv_length != GCM_IV_BYTES) return CKR_MECHANISM_PARAM_INVALID;
  CK_RV rv = add_bytes(body, "aad", gcm.aad, gcm.aad_length);
  if (rv == CKR_OK) rv = add_int(body, "tagLengthBits", gcm.tag_bits);
  /* AES_GCM key wrap carries its IV inside the wrapped key (iv‖ciphertext‖tag), and the node
     always makes it: on wrap pIv must be left to the node (zeros); unwrap reads the IV from the
     wrapped key (coffer_mechanism_check_wrapped_iv). */
  if (use == COFFER_USE_WRAP) return rv == CKR_OK && !all_zero(gcm.iv, gcm.iv_length) ? CKR_MECHANISM_PARAM_INVALID : rv;
  if (use == COFFER_USE_UNWRAP) return rv;
  if (rv == CKR_OK && !(makes_iv(use) && all_zero(gcm.iv, gcm.iv_length)))
    rv = add_bytes(body, "iv", gcm.iv, gcm.iv_length);
  return rv;
}

#define AES_BLOCK_BYTES 16UL

static CK_RV iv_block_fields(const CK_MECHANISM *mechanism, json_object *body) {
  if (mechanism->pParameter == NULL || mechanism->ulParameterLen != AES_BLOCK_BYTES) return CKR_MECHANISM_PARAM_INVALID;
  return add_bytes(body, "iv", mechanism->pParameter, AES_BLOCK_BYTES);
}

static CK_RV ctr_fields(const CK_MECHANISM *mechanism, enum coffer_use use, json_object *body) {
  const CK_AES_CTR_PARAMS *ctr = PARAMS_AS(CK_AES_CTR_PARAMS, mechanism);
  if (ctr == NULL) return CKR_MECHANISM_PARAM_INVALID;
  CK_RV rv = add_int(body, "counterBits", ctr->ulCounterBits);
  if (rv == CKR_OK && !(makes_iv(use) && all_zero(ctr->cb, sizeof ctr->cb)))
    rv = add_bytes(body, "iv", ctr->cb, sizeof ctr->cb);
  return rv;
}

/* OAEP: the node's `hash` is the OAEP hash and MGF1's; the label is CKZ_DATA_SPECIFIED's data. */
static CK_RV oaep_fields(const CK_RSA_PKCS_OAEP_PARAMS *oaep, json_object *body) {
  if (oaep == NULL) return CKR_MECHANISM_PARAM_INVALID;
  const struct hash_row *hash = hash_of_digest(oaep->hashAlg);
  if (hash == NULL || oaep->mgf != hash->mgf) return CKR_MECHANISM_PARAM_INVALID;
  if (oaep->source != CKZ_DATA_SPECIFIED && !(oaep->source == 0 && oaep->ulSourceDataLen == 0))
    return CKR_MECHANISM_PARAM_INVALID;
  CK_RV rv = add_string(body, "hash", hash->name);
  if (rv == CKR_OK) rv = add_bytes(body, "oaepLabel", oaep->pSourceData, oaep->ulSourceDataLen);
  return rv;
}

/* CKM_RSA_AES_KEY_WRAP: the node's temporary AES key is 256 bits. */
#define RSA_AES_KEY_BITS 256UL

static CK_RV rsa_aes_fields(const CK_MECHANISM *mechanism, json_object *body) {
  const CK_RSA_AES_KEY_WRAP_PARAMS *wrap = PARAMS_AS(CK_RSA_AES_KEY_WRAP_PARAMS, mechanism);
  if (wrap == NULL || wrap->ulAESKeyBits != RSA_AES_KEY_BITS) return CKR_MECHANISM_PARAM_INVALID;
  return oaep_fields(wrap->pOAEPParams, body);
}

/* PSS: the mechanism fixes the hash; hashAlg and MGF1 must name it too (the node has one hash). */
static CK_RV pss_fields(const CK_MECHANISM *mechanism, const struct mechanism_row *row, json_object *body) {
  const CK_RSA_PKCS_PSS_PARAMS *pss = PARAMS_AS(CK_RSA_PKCS_PSS_PARAMS, mechanism);
  if (pss == NULL) return CKR_MECHANISM_PARAM_INVALID;
  const struct hash_row *hash = hash_of_digest(pss->hashAlg);
  if (hash == NULL || pss->mgf != hash->mgf || row->hash != pss->hashAlg) return CKR_MECHANISM_PARAM_INVALID;
  return add_int(body, "saltLength", pss->sLen);
}

/* The MGF1 of a CKG_MGF1_* value. */
static const struct hash_row *hash_of_mgf(CK_RSA_PKCS_MGF_TYPE mgf) {
  for (size_t i = 0; i < HASH_COUNT; i++)
    if (HASHES[i].mgf == mgf) return &HASHES[i];
  return NULL;
}

/* CKM_RSA_PKCS_PSS: the application hashed; hashAlg names the digest's hash (the node checks
   the digest's length against it), mgf MGF1's hash, which may differ. */
static CK_RV pss_digest_fields(const CK_MECHANISM *mechanism, json_object *body) {
  const CK_RSA_PKCS_PSS_PARAMS *pss = PARAMS_AS(CK_RSA_PKCS_PSS_PARAMS, mechanism);
  if (pss == NULL) return CKR_MECHANISM_PARAM_INVALID;
  const struct hash_row *hash = hash_of_digest(pss->hashAlg), *mgf = hash_of_mgf(pss->mgf);
  if (hash == NULL || mgf == NULL) return CKR_MECHANISM_PARAM_INVALID;
  CK_RV rv = add_string(body, "hash", hash->name);
  if (rv == CKR_OK) rv = add_string(body, "mgf1Hash", mgf->name);
  if (rv == CKR_OK) rv = add_int(body, "saltLength", pss->sLen);
  return rv;
}

/*
 * The peer's EC point: PKCS#11 passes it raw (04‖X‖Y) or as a DER OCTET STRING around it. The
 * node takes the raw point on the base key's curve.
 */
static CK_RV ecdh_fields(const CK_MECHANISM *mechanism, json_object *body) {
  const CK_ECDH1_DERIVE_PARAMS *ecdh = PARAMS_AS(CK_ECDH1_DERIVE_PARAMS, mechanism);
  if (ecdh == NULL || ecdh->pPublicData == NULL || ecdh->ulPublicDataLen < 3) return CKR_MECHANISM_PARAM_INVALID;
  const CK_BYTE *point = ecdh->pPublicData;
  CK_ULONG length = ecdh->ulPublicDataLen;
  if (point[0] == 0x04 && point[1] < 0x80 && (CK_ULONG)point[1] + 2 == length && point[2] == 0x04 && length % 2 == 1) {
    point += 2; /* a DER OCTET STRING (short form) around an uncompressed point */
    length -= 2;
  } else if (point[0] == 0x04 && point[1] == 0x81 && length > 3 && (CK_ULONG)point[2] + 3 == length) {
    point += 3; /* the long form, for P-521 */
    length -= 3;
  }
  CK_RV rv;
  if (ecdh->kdf == CKD_NULL) {
    if (ecdh->ulSharedDataLen != 0) return CKR_MECHANISM_PARAM_INVALID;
    rv = add_string(body, "kdf", "null");
  } else {
    const struct hash_row *hash = NULL;
    for (size_t i = 0; i < HASH_COUNT; i++)
      if (HASHES[i].x963 == ecdh->kdf) hash = &HASHES[i];
    if (hash == NULL) return CKR_MECHANISM_PARAM_INVALID;
    rv = add_string(body, "kdf", "x963");
    if (rv == CKR_OK) rv = add_string(body, "hash", hash->name);
    if (rv == CKR_OK) rv = add_bytes(body, "sharedInfo", ecdh->pSharedData, ecdh->ulSharedDataLen);
  }
  if (rv == CKR_OK) rv = add_bytes(body, "publicKey", point, length);
  return rv;
}

static const struct hash_row *hash_of_hmac(CK_MECHANISM_TYPE hmac) {
  for (size_t i = 0; i < HASH_COUNT; i++)
    if (HASHES[i].hmac == hmac) return &HASHES[i];
  return NULL;
}

/* HKDF: the node extracts and expands, with a salt given as data or none. */
static CK_RV hkdf_fields(const CK_MECHANISM *mechanism, json_object *body) {
  const CK_HKDF_PARAMS *hkdf = PARAMS_AS(CK_HKDF_PARAMS, mechanism);
  if (hkdf == NULL || !hkdf->bExtract || !hkdf->bExpand) return CKR_MECHANISM_PARAM_INVALID;
  const struct hash_row *hash = hash_of_digest(hkdf->prfHashMechanism);
  if (hash == NULL) hash = hash_of_hmac(hkdf->prfHashMechanism);
  if (hash == NULL) return CKR_MECHANISM_PARAM_INVALID;
  CK_RV rv = add_string(body, "hash", hash->name);
  if (rv != CKR_OK) return rv;
  if (hkdf->ulSaltType == CKF_HKDF_SALT_DATA) rv = add_bytes(body, "salt", hkdf->pSalt, hkdf->ulSaltLen);
  else if (hkdf->ulSaltType != CKF_HKDF_SALT_NULL) rv = CKR_MECHANISM_PARAM_INVALID;
  if (rv == CKR_OK) rv = add_bytes(body, "info", hkdf->pInfo, hkdf->ulInfoLen);
  return rv;
}

static int is_format(const CK_PRF_DATA_PARAM *param, CK_ULONG size) {
  return param->pValue != NULL && param->ulValueLen == size;
}

/*
 * SP 800-108 counter mode: the node's layout is [i]₃₂ ‖ Label ‖ 0x00 ‖ Context ‖ [L]₃₂, both
 * big-endian, L the derived key's length in bits. The application's data parameters must
 * describe exactly that: the counter first, byte arrays, the length last; the byte arrays'
 * concatenation is split at its first zero byte into the node's label and context.
 */
static CK_RV kdf_108_fields(const CK_MECHANISM *mechanism, json_object *body) {
  const CK_SP800_108_KDF_PARAMS *kdf = PARAMS_AS(CK_SP800_108_KDF_PARAMS, mechanism);
  if (kdf == NULL || kdf->ulAdditionalDerivedKeys != 0 || kdf->ulNumberOfDataParams < 3 || kdf->pDataParams == NULL)
    return CKR_MECHANISM_PARAM_INVALID;
  const struct hash_row *hash = hash_of_hmac(kdf->prfType);
  const CK_PRF_DATA_PARAM *params = kdf->pDataParams, *last = &params[kdf->ulNumberOfDataParams - 1];
  if (hash == NULL || params[0].type != CK_SP800_108_ITERATION_VARIABLE || last->type != CK_SP800_108_DKM_LENGTH ||
      !is_format(&params[0], sizeof(CK_SP800_108_COUNTER_FORMAT)) || !is_format(last, sizeof(CK_SP800_108_DKM_LENGTH_FORMAT)))
    return CKR_MECHANISM_PARAM_INVALID;
  const CK_SP800_108_COUNTER_FORMAT *counter = params[0].pValue;
  const CK_SP800_108_DKM_LENGTH_FORMAT *length = last->pValue;
  if (counter->bLittleEndian || counter->ulWidthInBits != 32 || length->bLittleEndian || length->ulWidthInBits != 32 ||
      length->dkmLengthMethod != CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS)
    return CKR_MECHANISM_PARAM_INVALID;
  size_t total = 0;
  for (CK_ULONG i = 1; i + 1 < kdf->ulNumberOfDataParams; i++) {
    if (params[i].type != CK_SP800_108_BYTE_ARRAY || (params[i].pValue == NULL && params[i].ulValueLen > 0))
      return CKR_MECHANISM_PARAM_INVALID;
    total += params[i].ulValueLen;
  }
  if (total == 0 || total > 4096) return CKR_MECHANISM_PARAM_INVALID;
  CK_BYTE fixed[4096];
  size_t at = 0;
  for (CK_ULONG i = 1; i + 1 < kdf->ulNumberOfDataParams; i++) {
    if (params[i].ulValueLen > 0) memcpy(fixed + at, params[i].pValue, params[i].ulValueLen);
    at += params[i].ulValueLen;
  }
  const CK_BYTE *zero = memchr(fixed, 0, total);
  CK_RV rv = zero == NULL ? CKR_MECHANISM_PARAM_INVALID : add_string(body, "hash", hash->name);
  if (rv == CKR_OK) rv = add_bytes(body, "kdfLabel", fixed, (CK_ULONG)(zero - fixed));
  if (rv == CKR_OK) rv = add_bytes(body, "context", zero + 1, (CK_ULONG)(total - (size_t)(zero - fixed) - 1));
  coffer_wipe(fixed, total);
  return rv;
}

CK_RV coffer_mechanism_json(const CK_MECHANISM *mechanism, enum coffer_use use, json_object *body) {
  if (mechanism == NULL) return CKR_ARGUMENTS_BAD;
  const struct mechanism_row *row = row_of(mechanism->mechanism);
  const char *name = coffer_mechanism_name(mechanism->mechanism);
  if (row == NULL || name == NULL || !(row->uses & use)) return CKR_MECHANISM_INVALID;
  CK_RV rv = add_string(body, "mechanism", name);
  if (rv != CKR_OK) return rv;
  switch (row->form) {
    case NO_PARAMS:
      return mechanism->ulParameterLen == 0 ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
    case ECDSA:
      if (mechanism->ulParameterLen != 0) return CKR_MECHANISM_PARAM_INVALID;
      return add_string(body, "signatureEncoding", "p1363"); /* PKCS#11's r‖s */
    case GCM:
      return gcm_fields(mechanism, use, body);
    case IV_BLOCK:
      return iv_block_fields(mechanism, body);
    case CTR:
      return ctr_fields(mechanism, use, body);
    case OAEP:
      return oaep_fields(PARAMS_AS(CK_RSA_PKCS_OAEP_PARAMS, mechanism), body);
    case RSA_AES:
      return rsa_aes_fields(mechanism, body);
    case PSS:
      return pss_fields(mechanism, row, body);
    case PSS_DIGEST:
      return pss_digest_fields(mechanism, body);
    case ECDH:
      return ecdh_fields(mechanism, body);
    case HKDF:
      return hkdf_fields(mechanism, body);
    case KDF_108:
      return kdf_108_fields(mechanism, body);
  }
  return CKR_MECHANISM_INVALID;
}

CK_BYTE_PTR coffer_mechanism_iv_target(const CK_MECHANISM *mechanism, enum coffer_use use, CK_ULONG *length) {
  struct gcm_view gcm;
  *length = 0;
  if (mechanism == NULL || !makes_iv(use)) return NULL;
  if (mechanism->mechanism == CKM_AES_GCM && gcm_view(mechanism, &gcm) && gcm.iv_length == GCM_IV_BYTES &&
      all_zero(gcm.iv, gcm.iv_length)) {
    *length = gcm.iv_length;
    return gcm.iv;
  }
  CK_AES_CTR_PARAMS *ctr = (CK_AES_CTR_PARAMS *)PARAMS_AS(CK_AES_CTR_PARAMS, mechanism);
  if (mechanism->mechanism == CKM_AES_CTR && use == COFFER_USE_ENCRYPT && ctr != NULL && all_zero(ctr->cb, sizeof ctr->cb)) {
    *length = sizeof ctr->cb;
    return ctr->cb;
  }
  return NULL;
}

CK_RV coffer_mechanism_check_wrapped_iv(const CK_MECHANISM *mechanism, const CK_BYTE *wrapped, CK_ULONG length) {
  struct gcm_view gcm;
  if (mechanism->mechanism != CKM_AES_GCM || !gcm_view(mechanism, &gcm) || all_zero(gcm.iv, gcm.iv_length))
    return CKR_OK;
  if (length < GCM_IV_BYTES || gcm.iv_length != GCM_IV_BYTES) return CKR_MECHANISM_PARAM_INVALID;
  return memcmp(gcm.iv, wrapped, GCM_IV_BYTES) == 0 ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
}
