import { KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { KeyClass, MechanismName } from '../types.js';

/** What a mechanism needs, by OpenSSL's asymmetric key type, or any secret key. */
export type KeyKind = 'ec' | 'rsa' | 'ed25519' | 'secret';

const KIND_NAMES: Readonly<Record<KeyKind, string>> = {
  ec: 'EC',
  rsa: 'RSA',
  ed25519: 'Ed25519',
  secret: 'generic secret',
};

function isKind(key: KeyObject, kind: KeyKind): boolean {
  return kind === 'secret' ? key.type === 'secret' : key.asymmetricKeyType === kind;
}

/**
 * KEY_TYPE_INCONSISTENT unless the key is of the kind and one of the classes the operation
 * needs (a public key cannot sign; an RSA key cannot do ECDSA).
 */
export function requireKey(
  key: KeyObject,
  kind: KeyKind,
  classes: readonly KeyClass[],
  mechanism: MechanismName,
): void {
  if (key instanceof KeyObject && classes.includes(key.type) && isKind(key, kind)) return;
  const what = classes.map((keyClass) => (kind === 'secret' ? KIND_NAMES[kind] : `${keyClass} ${KIND_NAMES[kind]}`));
  throw new CofferError('KEY_TYPE_INCONSISTENT', `${mechanism} needs a ${what.join(' or ')} key`);
}

/** RSA modulus length in bytes (k in RFC 8017). */
export function modulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}
