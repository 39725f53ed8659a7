import { generateKey, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { KeyShape, KeySpec } from '../types.js';
import { aesZeroBlock } from './check-value-sources.js';
import { RAW_SECRET } from './key-encodings.js';
import { requiredField, type KeyTypeEntry } from './key-type.js';
import { specFor } from './spec.js';

/** AES key lengths in bytes: AES-128, AES-192, AES-256 (FIPS 197). */
export const AES_KEY_LENGTHS: readonly number[] = [16, 24, 32];

function sizeError(): CofferError {
  return new CofferError('KEY_SIZE_RANGE', `AES keys are ${AES_KEY_LENGTHS.join(', ')} bytes long`);
}

function checkSpec(spec: KeySpec): void {
  if (!AES_KEY_LENGTHS.includes(specFor(spec, 'aes').lengthBytes)) throw sizeError();
}

function checkKey(key: KeyObject): void {
  if (key.type !== 'secret') {
    throw new CofferError('KEY_TYPE_INCONSISTENT', 'an AES key is a secret key');
  }
  if (!AES_KEY_LENGTHS.includes(key.symmetricKeySize ?? 0)) throw sizeError();
}

/** crypto.generateKey's callback form draws the bytes on the libuv pool. */
async function generateSecret(spec: KeySpec): Promise<KeyObject> {
  checkSpec(spec);
  const length = specFor(spec, 'aes').lengthBytes * 8;
  return new Promise((resolve, reject) => {
    generateKey('aes', { length }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function shape(key: KeyObject): KeyShape {
  checkKey(key);
  return { valueLen: key.symmetricKeySize };
}

export const aesKeys: KeyTypeEntry<'aes'> = {
  keyType: 'aes',
  checkSpec,
  checkKey,
  generateSecret,
  shape,
  encodings: { secret: RAW_SECRET },
  generationMechanism: 'AES_KEY_GEN',
  opensslTypes: [],
  specFromRequest: (fields) => ({ keyType: 'aes', lengthBytes: requiredField(fields, 'keyLengthBytes') }),
  specFromShape: (stored) => ({ keyType: 'aes', lengthBytes: stored.valueLen ?? 0 }),
  checkValueSource: aesZeroBlock,
};
