import { CofferError } from '../../errors/coffer-error.js';
import type { KeyType, KeyTypeProvider } from '../types.js';
import { aesKeys } from './aes.js';
import { ecKeys } from './ec.js';
import { ecEdwardsKeys } from './ec-edwards.js';
import { genericSecretKeys } from './generic-secret.js';
import { rsaKeys } from './rsa.js';

/** Every key type Coffer supports. A new type is one file and one line here. */
const PROVIDERS: readonly KeyTypeProvider[] = [aesKeys, ecKeys, rsaKeys, genericSecretKeys, ecEdwardsKeys];

const BY_TYPE: ReadonlyMap<string, KeyTypeProvider> = new Map(
  PROVIDERS.map((provider) => [provider.keyType, provider]),
);

export const KEY_TYPES: readonly KeyType[] = PROVIDERS.map((provider) => provider.keyType);

export function isKeyType(name: string): name is KeyType {
  return BY_TYPE.has(name);
}

/** The provider for a key type; MECHANISM_INVALID for a type Coffer does not support. */
export function keyTypeProvider(keyType: string): KeyTypeProvider {
  const provider = BY_TYPE.get(keyType);
  if (!provider) throw new CofferError('MECHANISM_INVALID', `supported key types are ${KEY_TYPES.join(', ')}`);
  return provider;
}
