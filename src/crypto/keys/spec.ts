import { CofferError } from '../../errors/coffer-error.js';
import type { KeySpec, KeyType } from '../types.js';

/** The spec narrowed to one key type; a spec of another type is a caller error. */
export function specFor<T extends KeyType>(spec: KeySpec, keyType: T): Extract<KeySpec, { keyType: T }> {
  if (spec.keyType !== keyType) {
    throw new CofferError('MECHANISM_INVALID', `expected a key spec of type ${keyType}`);
  }
  return spec as Extract<KeySpec, { keyType: T }>;
}
