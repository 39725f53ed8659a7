import type { KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { KeyClass, KeyShape, KeySpec, KeyType, KeyTypeProvider } from '../types.js';
import type { KeyEncoding } from './key-encodings.js';

/**
 * The size fields of a generation request, as the API's bodies name them: `keyLengthBytes` (the
 * symmetric body and derive), `curve`, `modulusBits`, `publicExponent` (the pair body).
 */
export interface SpecFields {
  readonly keyLengthBytes?: number;
  readonly curve?: string;
  readonly modulusBits?: number;
  readonly publicExponent?: number;
}

export type KeyGenerationMechanism =
  'AES_KEY_GEN' | 'GENERIC_SECRET_KEY_GEN' | 'RSA_PKCS_KEY_PAIR_GEN' | 'EC_KEY_PAIR_GEN' | 'EC_EDWARDS_KEY_PAIR_GEN';

/**
 * Everything Coffer knows about one key type, in one row of the key type table (registry.ts):
 * how to generate and check keys (the provider), which classes it comes in and how each class's
 * bytes parse, OpenSSL's name for it, how a spec is read from a request and from a stored key's
 * shape, and its check value.
 */
export interface KeyTypeEntry<T extends KeyType = KeyType> extends KeyTypeProvider {
  readonly keyType: T;
  /** Per class this type comes in, its encoding; the classes are exactly these keys. */
  readonly encodings: Readonly<Partial<Record<KeyClass, KeyEncoding>>>;
  /** The PKCS#11 mechanism that generates keys of this type (CKM_ without the prefix). */
  readonly generationMechanism: KeyGenerationMechanism;
  /** OpenSSL's `asymmetricKeyType` for keys of this type; none for secret types. */
  readonly opensslTypes: readonly string[];
  /** The generation spec from a request's fields; MISSING_FIELD naming the field it needs. */
  specFromRequest(fields: SpecFields): KeySpec;
  /** The generation spec that reproduces a stored key's type and size (rotation). */
  specFromShape(shape: KeyShape): KeySpec;
  /** CKA_CHECK_VALUE before truncation (check-value.ts takes the first 3 bytes). */
  checkValueSource(key: KeyObject): Buffer;
}

/** A field a key type needs from the request; MISSING_FIELD naming it when absent. */
export function requiredField<N extends keyof SpecFields>(fields: SpecFields, name: N): NonNullable<SpecFields[N]> {
  const value = fields[name];
  if (value === undefined) throw new CofferError('MISSING_FIELD', `body.${name}`);
  return value as NonNullable<SpecFields[N]>;
}
