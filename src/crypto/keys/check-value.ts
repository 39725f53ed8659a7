import type { KeyObject } from 'node:crypto';
import type { KeyType } from '../types.js';
import { keyTypeProvider } from './registry.js';

/** CKA_CHECK_VALUE is 3 bytes. */
export const CHECK_VALUE_BYTES = 3;

/**
 * The key check value (PKCS#11 CKA_CHECK_VALUE) of a key of `keyType`: the first 3 bytes of what
 * the key type table says it is taken from (check-value-sources.ts: AES encrypts a zero block,
 * generic secrets and key pairs are hashed with SHA-1). The type is needed because a secret
 * key's bytes do not say whether it is AES or a generic secret.
 */
export function checkValue(key: KeyObject, keyType: KeyType): Buffer {
  return Buffer.from(keyTypeProvider(keyType).checkValueSource(key).subarray(0, CHECK_VALUE_BYTES));
}
