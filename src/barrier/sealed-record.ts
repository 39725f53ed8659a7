import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import type { RecordKind } from './record-kinds.js';

/**
 * The sealed record format (version 2), self-describing as Vault's barrier values are:
 *
 *   version (1 byte) ‖ key term (4, big-endian) ‖ audit seq (8, big-endian) ‖ nonce (12) ‖ ciphertext ‖ tag (16)
 *
 * AES-256-GCM with a random 96-bit nonce. The additional data binds the header, the record's
 * path and its kind, so a record that is altered, moved to another path, or replayed as
 * another kind fails authentication and is refused — never used.
 *
 * The audit seq is the sequence number of the audit event whose transaction wrote the record
 * (0 for the keyring, written before the chain starts). Being in the authenticated header, it
 * cannot be changed without the barrier key; comparing it with the last write the audit chain
 * names for the path tells a current record from an older sealed value of itself (rollback).
 *
 * Format 1 (no seq) is not read: no cluster was deployed with it, and reading it would let an
 * old record escape the rollback check.
 */
export const RECORD_FORMAT_VERSION = 2;
const HEADER_BYTES = 13;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Term 0 is the root key itself (it seals only the keyring); keyring keys are terms 1, 2, … */
export const ROOT_KEY_TERM = 0;

/** What a record's header says, authenticated once the record opens. */
export interface RecordHeader {
  readonly term: number;
  /** The audit seq of the commit that wrote it. */
  readonly seq: number;
}

export function sealRecord(
  key: KeyObject,
  header: RecordHeader,
  path: string,
  kind: RecordKind,
  plaintext: Buffer,
): Buffer {
  if (!Number.isSafeInteger(header.seq) || header.seq < 0) throw new RangeError('the audit seq must be a safe integer');
  const bytes = Buffer.alloc(HEADER_BYTES);
  bytes.writeUInt8(RECORD_FORMAT_VERSION, 0);
  bytes.writeUInt32BE(header.term, 1);
  bytes.writeBigUInt64BE(BigInt(header.seq), 5);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(bytes, path, kind));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([bytes, nonce, ciphertext, cipher.getAuthTag()]);
}

/**
 * A sealed record's header. Read without decrypting (cheap, for the checks at unseal); it is
 * authentic only once the record opens, so a refusal may rest on it but an acceptance may not.
 */
export function recordHeader(path: string, sealed: Buffer): RecordHeader {
  if (sealed.length < HEADER_BYTES + NONCE_BYTES + TAG_BYTES) {
    throw new CofferError('INTEGRITY_ERROR', `record ${path} is truncated`);
  }
  if (sealed.readUInt8(0) !== RECORD_FORMAT_VERSION) {
    throw new CofferError('INTEGRITY_ERROR', `record ${path} has an unknown format version`);
  }
  const seq = sealed.readBigUInt64BE(5);
  if (seq > BigInt(Number.MAX_SAFE_INTEGER)) throw new CofferError('INTEGRITY_ERROR', `record ${path} has a bad seq`);
  return { term: sealed.readUInt32BE(1), seq: Number(seq) };
}

/** The key term a sealed record was written under. */
export function recordTerm(path: string, sealed: Buffer): number {
  return recordHeader(path, sealed).term;
}

export function openRecord(key: KeyObject, path: string, kind: RecordKind, sealed: Buffer): Buffer {
  recordHeader(path, sealed);
  const header = sealed.subarray(0, HEADER_BYTES);
  const nonce = sealed.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
  const ciphertext = sealed.subarray(HEADER_BYTES + NONCE_BYTES, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(header, path, kind));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (cause) {
    throw new CofferError('INTEGRITY_ERROR', `record ${path} (${kind})`, { cause });
  }
}

function additionalData(header: Buffer, path: string, kind: RecordKind): Buffer {
  return Buffer.concat([header, Buffer.from(`\0${path}\0${kind}`, 'utf8')]);
}
