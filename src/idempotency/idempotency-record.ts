import { CofferError } from '../errors/coffer-error.js';
import type { WriteOutcome } from '../records/write-claim.js';

/**
 * The record of one idempotent request, sealed at `idem/<username>/<blinded key>`: which
 * request it was (a keyed fingerprint of its route and body, never the body) and what its
 * write did, until it expires. Written in the transaction of the write itself.
 */
export interface IdempotencyRecord {
  readonly formatVersion: 1;
  /** HMAC under the index key of the request's digest: a body holding a password stays unreadable. */
  readonly request: string;
  readonly outcome: WriteOutcome;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export const IDEMPOTENCY_PREFIX = 'idem/';
/**
 * Expiry index: `idx/idem-expiry/<expiresAt>/<user>/<blinded key>`, no value, written and
 * deleted with its record. ISO times sort as strings, so the sweep reads only what expired.
 */
export const IDEMPOTENCY_EXPIRY_PREFIX = 'idx/idem-expiry/';

export function expiryIndexPath(expiresAt: string, recordPath: string): string {
  return `${IDEMPOTENCY_EXPIRY_PREFIX}${expiresAt}/${recordPath.slice(IDEMPOTENCY_PREFIX.length)}`;
}

/** The record path and expiry time an expiry index entry names. */
export function parseExpiryIndexPath(indexPath: string): { expiresAt: string; recordPath: string } {
  const rest = indexPath.slice(IDEMPOTENCY_EXPIRY_PREFIX.length);
  const slash = rest.indexOf('/');
  return { expiresAt: rest.slice(0, slash), recordPath: IDEMPOTENCY_PREFIX + rest.slice(slash + 1) };
}

/** Visible ASCII, 16–64 characters: a UUID, 128 random bits in hex or base64, a ULID … */
const KEY_PATTERN = /^[\x21-\x7e]{16,64}$/;

/** The header's value, checked; anything else is IDEMPOTENCY_KEY_INVALID. */
export function idempotencyKeyOf(header: string | string[]): string {
  if (typeof header !== 'string' || !KEY_PATTERN.test(header)) throw new CofferError('IDEMPOTENCY_KEY_INVALID');
  return header;
}

/** Per user, so one user's keys never meet another's; the key blinded, so the store cannot confirm a guess. */
export function idempotencyPath(username: string, blindedKey: string): string {
  return `${IDEMPOTENCY_PREFIX}${username}/${blindedKey}`;
}

export function encodeIdempotencyRecord(record: IdempotencyRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

export function decodeIdempotencyRecord(plaintext: Buffer): IdempotencyRecord {
  const record = JSON.parse(plaintext.toString('utf8')) as IdempotencyRecord;
  if (record.formatVersion !== 1) throw new CofferError('INTEGRITY_ERROR', 'unknown idempotency record format');
  return record;
}
