import type { HashName } from './types.js';

/**
 * The hashes Coffer's mechanisms take, by Node's (and OpenSSL's) names: output length in bytes
 * and the spelling PKCS#11 uses inside mechanism names (CKM_SHA384_RSA_PKCS, CKM_ECDSA_SHA384).
 */
export const HASHES = {
  sha1: { bytes: 20, pkcs11: 'SHA1' },
  sha224: { bytes: 28, pkcs11: 'SHA224' },
  sha256: { bytes: 32, pkcs11: 'SHA256' },
  sha384: { bytes: 48, pkcs11: 'SHA384' },
  sha512: { bytes: 64, pkcs11: 'SHA512' },
} as const satisfies Record<HashName, { readonly bytes: number; readonly pkcs11: string }>;

export const HASH_NAMES = Object.keys(HASHES) as readonly HashName[];

export function isHashName(value: unknown): value is HashName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(HASHES, value);
}

/** The longest digest any of these hashes makes (SHA-512). */
export const MAX_DIGEST_BYTES = 64;

/** One value per hash (a mechanism family), typed so a missing hash does not compile. */
export function perHash<T>(make: (hash: HashName) => T): Readonly<Record<HashName, T>> {
  return {
    sha1: make('sha1'),
    sha224: make('sha224'),
    sha256: make('sha256'),
    sha384: make('sha384'),
    sha512: make('sha512'),
  };
}
