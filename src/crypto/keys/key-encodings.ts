import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { KeyClass } from '../types.js';

/** How the bytes of a key of one class parse, and how a key of that class is written back. */
export interface KeyEncoding {
  readonly parse: (bytes: Buffer) => KeyObject;
  readonly export: (key: KeyObject) => Buffer;
}

/** Secret keys are their raw value (PKCS#11 CKA_VALUE). */
export const RAW_SECRET: KeyEncoding = {
  parse: (bytes) => createSecretKey(bytes),
  export: (key) => key.export(),
};

/** Private keys are PKCS#8 PrivateKeyInfo DER (RFC 5208). */
export const PKCS8_PRIVATE: KeyEncoding = {
  parse: (bytes) => createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' }),
  export: (key) => key.export({ type: 'pkcs8', format: 'der' }),
};

/** Public keys are SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7). */
export const SPKI_PUBLIC: KeyEncoding = {
  parse: (bytes) => createPublicKey({ key: bytes, format: 'der', type: 'spki' }),
  export: (key) => key.export({ type: 'spki', format: 'der' }),
};

/** The encoding of each class: the same for every key type of that class. */
export const CLASS_ENCODINGS: Readonly<Record<KeyClass, KeyEncoding>> = {
  secret: RAW_SECRET,
  private: PKCS8_PRIVATE,
  public: SPKI_PUBLIC,
};

/** Both halves of a key pair. */
export const PAIR_ENCODINGS = { private: PKCS8_PRIVATE, public: SPKI_PUBLIC } as const;
