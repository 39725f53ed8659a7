import { CofferError } from '../../errors/coffer-error.js';
import { HASH_NAMES, isHashName } from '../hash.js';
import type { HashName, MechanismName, MechanismParams } from '../types.js';

export type ParamName = keyof MechanismParams;

function paramError(mechanism: MechanismName, detail: string): CofferError {
  return new CofferError('MECHANISM_PARAM_INVALID', `${mechanism} ${detail}`);
}

/**
 * The check step every mechanism runs first: a parameter it does not take (or one no mechanism
 * knows) is refused, never silently ignored. Absent (undefined) parameters are fine.
 */
export function acceptOnly(params: MechanismParams, allowed: readonly ParamName[], mechanism: MechanismName): void {
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && !(allowed as readonly string[]).includes(name)) {
      throw paramError(mechanism, `takes no ${name}`);
    }
  }
}

/** A hash parameter (`hash` unless named), or the mechanism's default. */
export function hashParam(
  params: MechanismParams,
  fallback: HashName,
  mechanism: MechanismName,
  name: 'hash' | 'mgf1Hash' = 'hash',
): HashName {
  const hash: unknown = params[name] ?? fallback;
  if (!isHashName(hash)) throw paramError(mechanism, `${name} is ${HASH_NAMES.join(', ')}`);
  return hash;
}

/** A binary parameter: a Buffer of at most `maxBytes`, or absent. */
export function bufferParam(
  params: MechanismParams,
  name: 'oaepLabel' | 'publicKey' | 'sharedInfo' | 'salt' | 'info' | 'label' | 'context',
  maxBytes: number,
  mechanism: MechanismName,
): Buffer | undefined {
  const value: unknown = params[name];
  if (value === undefined) return undefined;
  if (!Buffer.isBuffer(value) || value.length > maxBytes) {
    throw paramError(mechanism, `${name} must be at most ${maxBytes} bytes`);
  }
  return value;
}

/** ECDSA signature encodings: PKCS#11's r‖s (the default) or OpenSSL's DER. */
export type SignatureEncoding = 'p1363' | 'der';

export function signatureEncodingParam(params: MechanismParams, mechanism: MechanismName): SignatureEncoding {
  const encoding: unknown = params.signatureEncoding ?? 'p1363';
  if (encoding !== 'p1363' && encoding !== 'der') throw paramError(mechanism, 'signatureEncoding is p1363 or der');
  return encoding;
}
