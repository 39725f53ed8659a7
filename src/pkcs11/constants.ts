import type { KeyClass, KeyType } from '../crypto/types.js';

/**
 * The PKCS#11 numbers the node's face speaks inside templates (CKO_*, CKK_*, CKC_*, CKM_*), as
 * PKCS#11 v2.40 defines them, and the one mapping of each to Coffer's own names.
 */
export const CKO = { DATA: 0x0, CERTIFICATE: 0x1, PUBLIC_KEY: 0x2, PRIVATE_KEY: 0x3, SECRET_KEY: 0x4 } as const;

/** The object classes of the face: Coffer's three key classes, certificates and data objects. */
export type ObjectClass = KeyClass | 'certificate' | 'data';

export const CLASS_NUMBERS: Readonly<Record<ObjectClass, number>> = {
  data: CKO.DATA,
  certificate: CKO.CERTIFICATE,
  public: CKO.PUBLIC_KEY,
  private: CKO.PRIVATE_KEY,
  secret: CKO.SECRET_KEY,
};

export const CKK_NUMBERS: Readonly<Record<KeyType, number>> = {
  rsa: 0x0,
  ec: 0x3,
  'generic-secret': 0x10,
  aes: 0x1f,
  'ec-edwards': 0x40,
};

export const CKC_X_509 = 0x0;
/** CKA_NAME_HASH_ALGORITHM's default (PKCS#11: SHA-1). */
export const CKM_SHA_1 = 0x220;

/**
 * The generation mechanisms, by the names the routes take: the CKM_ number (CKA_KEY_GEN_MECHANISM
 * of what they make), what they make, and the key type.
 */
export const GENERATION_MECHANISMS = {
  AES_KEY_GEN: { ckm: 0x1080, kind: 'secret', keyType: 'aes' },
  GENERIC_SECRET_KEY_GEN: { ckm: 0x350, kind: 'secret', keyType: 'generic-secret' },
  RSA_PKCS_KEY_PAIR_GEN: { ckm: 0x0, kind: 'pair', keyType: 'rsa' },
  EC_KEY_PAIR_GEN: { ckm: 0x1040, kind: 'pair', keyType: 'ec' },
  EC_EDWARDS_KEY_PAIR_GEN: { ckm: 0x1055, kind: 'pair', keyType: 'ec-edwards' },
} as const satisfies Record<string, { ckm: number; kind: 'secret' | 'pair'; keyType: KeyType }>;

export type GenerationMechanism = keyof typeof GENERATION_MECHANISMS;
export const GENERATION_MECHANISM_NAMES = Object.keys(GENERATION_MECHANISMS) as GenerationMechanism[];

/** The mechanism that generates keys of a type: CKA_KEY_GEN_MECHANISM of a key made here. */
export function generationMechanismOf(keyType: KeyType): number {
  return Object.values(GENERATION_MECHANISMS).find((row) => row.keyType === keyType)!.ckm;
}

const byNumber = <T extends string>(table: Readonly<Record<T, number>>) =>
  new Map<number, T>(Object.entries(table).map(([name, value]) => [value as number, name as T]));

const CLASSES_BY_NUMBER = byNumber(CLASS_NUMBERS);
const KEY_TYPES_BY_NUMBER = byNumber(CKK_NUMBERS);

/** The class a CKO_ number names, or undefined for one the face does not have. */
export function objectClassOf(value: number): ObjectClass | undefined {
  return CLASSES_BY_NUMBER.get(value);
}

/** The key type a CKK_ number names, or undefined for one Coffer does not have. */
export function keyTypeOfNumber(value: number): KeyType | undefined {
  return KEY_TYPES_BY_NUMBER.get(value);
}

export function isKeyClass(objectClass: ObjectClass): objectClass is KeyClass {
  return objectClass === 'secret' || objectClass === 'private' || objectClass === 'public';
}
