import { CofferError } from '../../errors/coffer-error.js';
import type { KeyType, KeyTypeProvider } from '../types.js';
import { aesKeys } from './aes.js';
import { ecKeys } from './ec.js';
import { rsaKeys } from './rsa.js';

/** Every key type Coffer supports, by name. A new type is one file and one line here. */
const PROVIDERS = {
  aes: aesKeys,
  ec: ecKeys,
  rsa: rsaKeys,
} as const satisfies Record<KeyType, KeyTypeProvider>;

export const KEY_TYPES = Object.keys(PROVIDERS) as readonly KeyType[];

export function isKeyType(name: string): name is KeyType {
  return Object.prototype.hasOwnProperty.call(PROVIDERS, name);
}

/** The provider for a key type; MECHANISM_INVALID for a type Coffer does not support. */
export function keyTypeProvider(keyType: string): KeyTypeProvider {
  if (!isKeyType(keyType)) {
    throw new CofferError('MECHANISM_INVALID', `supported key types are ${KEY_TYPES.join(', ')}`);
  }
  return PROVIDERS[keyType];
}
