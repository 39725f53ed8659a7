/**
 * The PKCS#11 attribute types Coffer speaks, with the JSON form each takes on the wire. This is
 * the one list shared by the node and the C module: pkcs11/scripts/gen-attributes.mjs turns it
 * into the module's table, so the module encodes a template by kind without knowing any
 * attribute's meaning. Kinds:
 * - `bool`: CK_BBOOL, as a JSON boolean;
 * - `ulong`: CK_ULONG (class, key type, lengths, mechanism), as a JSON number;
 * - `ulong-list`: an array of CK_ULONG (CKA_ALLOWED_MECHANISMS), as a JSON array of numbers;
 * - `bytes`: everything else (strings, DER, big integers, CK_DATE's 8 digits), as base64 of
 *   the bytes PKCS#11 defines.
 * A type not listed here is CKR_ATTRIBUTE_TYPE_INVALID wherever it appears.
 * One row per line, in the form the generator reads: `  NAME: [0xVALUE, 'kind'],`.
 */
export type AttributeKind = 'bool' | 'ulong' | 'ulong-list' | 'bytes';

export const PKCS11_ATTRIBUTE_TYPES = {
  CKA_CLASS: [0x0, 'ulong'],
  CKA_TOKEN: [0x1, 'bool'],
  CKA_PRIVATE: [0x2, 'bool'],
  CKA_LABEL: [0x3, 'bytes'],
  CKA_UNIQUE_ID: [0x4, 'bytes'],
  CKA_APPLICATION: [0x10, 'bytes'],
  CKA_VALUE: [0x11, 'bytes'],
  CKA_OBJECT_ID: [0x12, 'bytes'],
  CKA_CERTIFICATE_TYPE: [0x80, 'ulong'],
  CKA_ISSUER: [0x81, 'bytes'],
  CKA_SERIAL_NUMBER: [0x82, 'bytes'],
  CKA_TRUSTED: [0x86, 'bool'],
  CKA_CERTIFICATE_CATEGORY: [0x87, 'ulong'],
  CKA_JAVA_MIDP_SECURITY_DOMAIN: [0x88, 'ulong'],
  CKA_URL: [0x89, 'bytes'],
  CKA_HASH_OF_SUBJECT_PUBLIC_KEY: [0x8a, 'bytes'],
  CKA_HASH_OF_ISSUER_PUBLIC_KEY: [0x8b, 'bytes'],
  CKA_NAME_HASH_ALGORITHM: [0x8c, 'ulong'],
  CKA_CHECK_VALUE: [0x90, 'bytes'],
  CKA_KEY_TYPE: [0x100, 'ulong'],
  CKA_SUBJECT: [0x101, 'bytes'],
  CKA_ID: [0x102, 'bytes'],
  CKA_SENSITIVE: [0x103, 'bool'],
  CKA_ENCRYPT: [0x104, 'bool'],
  CKA_DECRYPT: [0x105, 'bool'],
  CKA_WRAP: [0x106, 'bool'],
  CKA_UNWRAP: [0x107, 'bool'],
  CKA_SIGN: [0x108, 'bool'],
  CKA_SIGN_RECOVER: [0x109, 'bool'],
  CKA_VERIFY: [0x10a, 'bool'],
  CKA_VERIFY_RECOVER: [0x10b, 'bool'],
  CKA_DERIVE: [0x10c, 'bool'],
  CKA_START_DATE: [0x110, 'bytes'],
  CKA_END_DATE: [0x111, 'bytes'],
  CKA_MODULUS: [0x120, 'bytes'],
  CKA_MODULUS_BITS: [0x121, 'ulong'],
  CKA_PUBLIC_EXPONENT: [0x122, 'bytes'],
  CKA_PRIVATE_EXPONENT: [0x123, 'bytes'],
  CKA_PRIME_1: [0x124, 'bytes'],
  CKA_PRIME_2: [0x125, 'bytes'],
  CKA_EXPONENT_1: [0x126, 'bytes'],
  CKA_EXPONENT_2: [0x127, 'bytes'],
  CKA_COEFFICIENT: [0x128, 'bytes'],
  CKA_PUBLIC_KEY_INFO: [0x129, 'bytes'],
  CKA_VALUE_BITS: [0x160, 'ulong'],
  CKA_VALUE_LEN: [0x161, 'ulong'],
  CKA_EXTRACTABLE: [0x162, 'bool'],
  CKA_LOCAL: [0x163, 'bool'],
  CKA_NEVER_EXTRACTABLE: [0x164, 'bool'],
  CKA_ALWAYS_SENSITIVE: [0x165, 'bool'],
  CKA_KEY_GEN_MECHANISM: [0x166, 'ulong'],
  CKA_MODIFIABLE: [0x170, 'bool'],
  CKA_COPYABLE: [0x171, 'bool'],
  CKA_DESTROYABLE: [0x172, 'bool'],
  CKA_EC_PARAMS: [0x180, 'bytes'],
  CKA_EC_POINT: [0x181, 'bytes'],
  CKA_ALWAYS_AUTHENTICATE: [0x202, 'bool'],
  CKA_WRAP_WITH_TRUSTED: [0x210, 'bool'],
  CKA_ALLOWED_MECHANISMS: [0x40000600, 'ulong-list'],
} as const satisfies Record<string, readonly [number, AttributeKind]>;

export type AttributeTypeName = keyof typeof PKCS11_ATTRIBUTE_TYPES;

const BY_NUMBER = new Map<number, AttributeTypeName>(
  Object.entries(PKCS11_ATTRIBUTE_TYPES).map(([name, [type]]) => [type, name as AttributeTypeName]),
);

/** The name of a CKA_ number, or undefined for a type Coffer does not speak. */
export function attributeTypeName(type: number): AttributeTypeName | undefined {
  return BY_NUMBER.get(type);
}

export function attributeTypeNumber(name: AttributeTypeName): number {
  return PKCS11_ATTRIBUTE_TYPES[name][0];
}

export function attributeKind(name: AttributeTypeName): AttributeKind {
  return PKCS11_ATTRIBUTE_TYPES[name][1];
}
