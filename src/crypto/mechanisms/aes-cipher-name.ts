import type { KeyObject } from 'node:crypto';
import type { MechanismName } from '../types.js';
import { requireAesKey } from './key-checks.js';

/** The OpenSSL modes Coffer's AES mechanisms use, as they appear in OpenSSL cipher names. */
export type AesMode = 'ecb' | 'cbc' | 'ctr' | 'wrap' | 'wrap-pad';

/**
 * The OpenSSL cipher name for an AES key and mode ('aes-256-cbc', 'id-aes128-wrap-pad' …);
 * KEY_TYPE_INCONSISTENT for a key that is not a secret AES key.
 */
export function aesCipherName(key: KeyObject, mode: AesMode, mechanism: MechanismName): string {
  requireAesKey(key, mechanism);
  const bits = (key.symmetricKeySize ?? 0) * 8;
  return mode === 'wrap' || mode === 'wrap-pad' ? `id-aes${bits}-${mode}` : `aes-${bits}-${mode}`;
}
