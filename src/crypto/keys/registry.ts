import { CofferError } from '../../errors/coffer-error.js';
import type { KeyClass, KeyShape, KeySpec, KeyType } from '../types.js';
import { aesKeys } from './aes.js';
import { ecKeys } from './ec.js';
import { ecEdwardsKeys } from './ec-edwards.js';
import { genericSecretKeys } from './generic-secret.js';
import type { KeyEncoding } from './key-encodings.js';
import type { KeyTypeEntry, SpecFields } from './key-type.js';
import { rsaKeys } from './rsa.js';

/**
 * The key type table: every key type Coffer supports, one row each (key-type.ts says what a row
 * holds; each row lives in its type's file). Every fact about a key type — its classes and their
 * encodings, OpenSSL's name, how a request or a stored key gives its spec, its check value — is
 * read from here. A new type is one file and one line here; the mapped type makes a missing or
 * misfiled row a compile error.
 */
const KEY_TYPE_TABLE: { readonly [T in KeyType]: KeyTypeEntry<T> } = {
  aes: aesKeys,
  'generic-secret': genericSecretKeys,
  ec: ecKeys,
  'ec-edwards': ecEdwardsKeys,
  rsa: rsaKeys,
};

const ENTRIES: readonly KeyTypeEntry[] = Object.values(KEY_TYPE_TABLE);

export const KEY_TYPES: readonly KeyType[] = ENTRIES.map((entry) => entry.keyType);

export function isKeyType(name: string): name is KeyType {
  return Object.hasOwn(KEY_TYPE_TABLE, name);
}

/** The row of a key type; MECHANISM_INVALID for a type Coffer does not support. */
export function keyTypeProvider(keyType: string): KeyTypeEntry {
  if (!isKeyType(keyType)) {
    throw new CofferError('MECHANISM_INVALID', `supported key types are ${KEY_TYPES.join(', ')}`);
  }
  return KEY_TYPE_TABLE[keyType];
}

/** The classes a key type comes in (aes: secret; rsa: private and public …). */
export function classesOf(keyType: KeyType): readonly KeyClass[] {
  return Object.keys(KEY_TYPE_TABLE[keyType].encodings) as KeyClass[];
}

/** How bytes of a key of this class and type parse; undefined when the type has no such class. */
export function encodingOf(keyClass: KeyClass, keyType: KeyType): KeyEncoding | undefined {
  return KEY_TYPE_TABLE[keyType].encodings[keyClass];
}

/** Each key type's generation mechanism, and whether it makes a secret key or a pair. */
export function keyGenerationMechanisms(): readonly {
  readonly name: KeyTypeEntry['generationMechanism'];
  readonly kind: 'generate' | 'generate-pair';
  readonly keyType: KeyType;
}[] {
  return ENTRIES.map((entry) => ({
    name: entry.generationMechanism,
    kind: Object.hasOwn(entry.encodings, 'secret') ? 'generate' : 'generate-pair',
    keyType: entry.keyType,
  }));
}

/** Coffer's key type for OpenSSL's `asymmetricKeyType`, or undefined for one Coffer does not handle. */
export function keyTypeForOpenssl(name: string | undefined): KeyType | undefined {
  return ENTRIES.find((entry) => name !== undefined && entry.opensslTypes.includes(name))?.keyType;
}

/**
 * The generation spec a request asks for: `kind` says which body it came in (the symmetric one
 * generates secret keys, the pair one key pairs). MECHANISM_INVALID for a type that is not of
 * that kind; MISSING_FIELD for a field the type needs.
 */
export function specFromRequest(kind: 'secret' | 'pair', keyType: string, fields: SpecFields): KeySpec {
  const kinds = ENTRIES.filter((entry) => (kind === 'secret') === Object.hasOwn(entry.encodings, 'secret'));
  const entry = kinds.find((candidate) => candidate.keyType === keyType);
  if (!entry) {
    const what = kind === 'secret' ? 'symmetric keys' : 'key pairs';
    throw new CofferError('MECHANISM_INVALID', `${what} are ${kinds.map((k) => k.keyType).join(', ')}`);
  }
  return entry.specFromRequest(fields);
}

/** The generation spec that reproduces a stored key's type and size (rotation). */
export function specFromShape(keyType: KeyType, shape: KeyShape): KeySpec {
  return KEY_TYPE_TABLE[keyType].specFromShape(shape);
}
