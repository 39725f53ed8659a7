import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import type { RecordKind } from './record-kinds.js';

/**
 * The sealed record format (version 1), self-describing as Vault's barrier values are:
 *
 *   version (1 byte) ‖ key term (4 bytes, big-endian) ‖ nonce (12) ‖ ciphertext ‖ tag (16)
 *
 * AES-256-GCM with a random 96-bit nonce. The additional data binds the header, the record's
 * path and its kind, so a record that is altered, moved to another path, or replayed as
 * another kind fails authentication and is refused — never used.
 */
export const RECORD_FORMAT_VERSION = 1;
const HEADER_BYTES = 5;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Term 0 is the root key itself (it seals only the keyring); keyring keys are terms 1, 2, … */
export const ROOT_KEY_TERM = 0;

export function sealRecord(key: KeyObject, term: number, path: string, kind: RecordKind, plaintext: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(RECORD_FORMAT_VERSION, 0);
  header.writeUInt32BE(term, 1);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(header, path, kind));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, nonce, ciphertext, cipher.getAuthTag()]);
}

/** The key term a sealed record was written under, read from its header. */
export function recordTerm(path: string, sealed: Buffer): number {
  if (sealed.length < HEADER_BYTES + NONCE_BYTES + TAG_BYTES) {
    throw new CofferError('INTEGRITY_ERROR', `record ${path} is truncated`);
  }
  if (sealed.readUInt8(0) !== RECORD_FORMAT_VERSION) {
    throw new CofferError('INTEGRITY_ERROR', `record ${path} has an unknown format version`);
  }
  return sealed.readUInt32BE(1);
}

export function openRecord(key: KeyObject, path: string, kind: RecordKind, sealed: Buffer): Buffer {
  recordTerm(path, sealed);
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
