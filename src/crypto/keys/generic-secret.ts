import { generateKey, KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { KeyShape, KeySpec, MechanismName } from '../types.js';
import { sha1OfValue } from './check-value-sources.js';
import { RAW_SECRET } from './key-encodings.js';
import { requiredField, type KeyTypeEntry } from './key-type.js';
import { specFor } from './spec.js';

/**
 * Generic secret lengths in bytes (PKCS#11 CKK_GENERIC_SECRET, for HMAC and KDFs). The range is
 * CloudHSM's: generic secret keys of 1 to 800 bytes.
 */
export const GENERIC_SECRET_LENGTHS = { min: 1, max: 800 } as const;

function sizeError(): CofferError {
  const { min, max } = GENERIC_SECRET_LENGTHS;
  return new CofferError('KEY_SIZE_RANGE', `generic secret keys are ${min} to ${max} bytes long`);
}

function validLength(length: number): boolean {
  return Number.isInteger(length) && length >= GENERIC_SECRET_LENGTHS.min && length <= GENERIC_SECRET_LENGTHS.max;
}

function checkSpec(spec: KeySpec): void {
  if (!validLength(specFor(spec, 'generic-secret').lengthBytes)) throw sizeError();
}

function checkKey(key: KeyObject): void {
  if (key.type !== 'secret') {
    throw new CofferError('KEY_TYPE_INCONSISTENT', 'a generic secret key is a secret key');
  }
  if (!validLength(key.symmetricKeySize ?? 0)) throw sizeError();
}

/** For HMAC and KDF mechanisms: a secret key of a generic secret length, else KEY_TYPE_INCONSISTENT. */
export function requireGenericSecretKey(key: KeyObject, mechanism: MechanismName): void {
  const ok = key instanceof KeyObject && key.type === 'secret' && validLength(key.symmetricKeySize ?? 0);
  if (!ok) throw new CofferError('KEY_TYPE_INCONSISTENT', `${mechanism} needs a generic secret key`);
}

/** crypto.generateKey's callback form draws the bytes on the libuv pool; 'hmac' takes any bit length. */
async function generateSecret(spec: KeySpec): Promise<KeyObject> {
  checkSpec(spec);
  const length = specFor(spec, 'generic-secret').lengthBytes * 8;
  return new Promise((resolve, reject) => {
    generateKey('hmac', { length }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function shape(key: KeyObject): KeyShape {
  checkKey(key);
  return { valueLen: key.symmetricKeySize };
}

export const genericSecretKeys: KeyTypeEntry<'generic-secret'> = {
  keyType: 'generic-secret',
  checkSpec,
  checkKey,
  generateSecret,
  shape,
  encodings: { secret: RAW_SECRET },
  generationMechanism: 'GENERIC_SECRET_KEY_GEN',
  opensslTypes: [],
  specFromRequest: (fields) => ({ keyType: 'generic-secret', lengthBytes: requiredField(fields, 'keyLengthBytes') }),
  specFromShape: (stored) => ({ keyType: 'generic-secret', lengthBytes: stored.valueLen ?? 0 }),
  checkValueSource: sha1OfValue,
};
