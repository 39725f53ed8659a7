import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { HashName } from '../crypto/types.js';
import type { ErrorCode } from '../errors/registry.js';
import type { KmsImportedMaterial } from '../objects/kms-metadata.js';

/**
 * The rules of KMS imported key material as data: the wrapping algorithms and key specs
 * GetParametersForImport offers, the material each key spec takes, the import token's form,
 * and what an ImportKeyMaterial request may ask for its material's expiry.
 */

/** Each wrapping algorithm as the Coffer wrap mechanism that unwraps it, with its OAEP hash. */
export const WRAPPING_ALGORITHMS: Readonly<Record<string, { readonly mechanism: string; readonly hash: HashName }>> = {
  RSAES_OAEP_SHA_1: { mechanism: 'RSA_PKCS_OAEP', hash: 'sha1' },
  RSAES_OAEP_SHA_256: { mechanism: 'RSA_PKCS_OAEP', hash: 'sha256' },
  // A fresh AES-256 key under RSA-OAEP, the material under it with AES key wrap with padding.
  RSA_AES_KEY_WRAP_SHA_1: { mechanism: 'RSA_AES_KEY_WRAP', hash: 'sha1' },
  RSA_AES_KEY_WRAP_SHA_256: { mechanism: 'RSA_AES_KEY_WRAP', hash: 'sha256' },
};

export const WRAPPING_KEY_SPECS: Readonly<Record<string, number>> = {
  RSA_2048: 2048,
  RSA_3072: 3072,
  RSA_4096: 4096,
};

/**
 * The key specs that take imported material, and its length in bytes (KMS's: a symmetric key
 * is 256 bits; an HMAC key at least its hash's length, at most its block size). The other
 * specs are refused at CreateKey.
 */
export const IMPORTABLE_SPECS: Readonly<
  Record<string, { readonly keyType: 'aes' | 'generic-secret'; readonly min: number; readonly max: number }>
> = {
  SYMMETRIC_DEFAULT: { keyType: 'aes', min: 32, max: 32 },
  HMAC_224: { keyType: 'generic-secret', min: 28, max: 64 },
  HMAC_256: { keyType: 'generic-secret', min: 32, max: 64 },
  HMAC_384: { keyType: 'generic-secret', min: 48, max: 128 },
  HMAC_512: { keyType: 'generic-secret', min: 64, max: 128 },
};

/** KMS's: a wrapping key and its token serve for 24 hours. */
export const PARAMETERS_LIFETIME_MS = 24 * 3_600_000;
/** KMS's: imported material expires at most 365 days after its import. */
export const MAX_VALID_DAYS = 365;

/**
 * The ImportToken: "cfi" 0x01 | key handle (8) | token id (32). The id is random and is kept
 * in the key's sealed import record with the wrapping key, its algorithm and its expiry, so a
 * token binds one key, one wrapping key and one algorithm; any other bytes match nothing.
 */
const TOKEN_MAGIC = Buffer.from([0x63, 0x66, 0x69, 0x01]);
const TOKEN_ID_BYTES = 32;
const TOKEN_BYTES = TOKEN_MAGIC.length + 8 + TOKEN_ID_BYTES;

export function newTokenId(): Buffer {
  return randomBytes(TOKEN_ID_BYTES);
}

export function formatToken(handle: string, tokenId: Buffer): Buffer {
  return Buffer.concat([TOKEN_MAGIC, Buffer.from(handle.slice(2), 'hex'), tokenId]);
}

/** The handle and id a token names, or undefined for bytes of another form. */
export function parseToken(token: Buffer): { handle: string; tokenId: Buffer } | undefined {
  if (token.length !== TOKEN_BYTES || !token.subarray(0, TOKEN_MAGIC.length).equals(TOKEN_MAGIC)) return undefined;
  return {
    handle: `0x${token.subarray(4, 12).toString('hex')}`,
    tokenId: Buffer.from(token.subarray(12)),
  };
}

/** What the key's import record holds of the outstanding parameters. */
export interface PendingParameters {
  readonly tokenId: string;
  readonly wrappingAlgorithm: string;
  readonly wrappingKeySpec: string;
  readonly expiresAt: string;
}

export type Refusal = { readonly code: ErrorCode; readonly detail: string };

/** Why a token does not admit an import into `handle` now, or undefined when it does. */
export function tokenRefusal(
  token: Buffer,
  handle: string,
  pending: PendingParameters | undefined,
  now: Date,
): Refusal | undefined {
  const parsed = parseToken(token);
  const invalid = { code: 'KMS_IMPORT_TOKEN_INVALID', detail: 'not a token of this key' } as const;
  if (!parsed || parsed.handle !== handle || !pending) return invalid;
  const expected = Buffer.from(pending.tokenId, 'hex');
  if (expected.length !== parsed.tokenId.length || !timingSafeEqual(expected, parsed.tokenId)) return invalid;
  if (now.getTime() >= Date.parse(pending.expiresAt))
    return { code: 'KMS_IMPORT_TOKEN_EXPIRED', detail: `it expired at ${pending.expiresAt}` };
  return undefined;
}

/** The expiry an ImportKeyMaterial asks for, checked as KMS checks it. */
export function importedMaterial(
  expirationModel: string | undefined,
  validTo: Date | undefined,
  now: Date,
): { ok: true; imported: KmsImportedMaterial } | ({ ok: false } & Refusal) {
  const model = expirationModel ?? 'KEY_MATERIAL_EXPIRES';
  if (model === 'KEY_MATERIAL_DOES_NOT_EXPIRE') {
    if (validTo !== undefined)
      return { ok: false, code: 'INVALID_FIELD', detail: 'ValidTo is omitted with KEY_MATERIAL_DOES_NOT_EXPIRE' };
    return { ok: true, imported: { expirationModel: model } };
  }
  if (model !== 'KEY_MATERIAL_EXPIRES')
    return { ok: false, code: 'INVALID_FIELD', detail: 'ExpirationModel is KEY_MATERIAL_EXPIRES or _DOES_NOT_EXPIRE' };
  if (validTo === undefined) return { ok: false, code: 'MISSING_FIELD', detail: 'ValidTo, with KEY_MATERIAL_EXPIRES' };
  const latest = now.getTime() + MAX_VALID_DAYS * 86_400_000;
  if (validTo.getTime() <= now.getTime() || validTo.getTime() > latest)
    return { ok: false, code: 'INVALID_FIELD', detail: `ValidTo is in the next ${MAX_VALID_DAYS} days` };
  return { ok: true, imported: { expirationModel: model, validTo: validTo.toISOString() } };
}

/** Why material of this length does not fit the key spec, or undefined when it does. */
export function materialRefusal(keySpec: string, length: number): Refusal | undefined {
  const row = IMPORTABLE_SPECS[keySpec];
  if (!row) return { code: 'KMS_OPERATION_UNSUPPORTED', detail: `imported material for ${keySpec}` };
  if (length < row.min || length > row.max)
    return {
      code: 'KMS_KEY_MATERIAL_INCORRECT',
      detail: `${keySpec} material is ${row.min === row.max ? row.min : `${row.min} to ${row.max}`} bytes`,
    };
  return undefined;
}
