import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeWithMaterial, encodeWithMaterial } from '../objects/key-record-codec.js';
import type { PendingParameters } from './import-rules.js';

/**
 * A KMS key's import record, sealed at `key-import/<handle>` (kind key-import) and deleted with
 * the key: the outstanding GetParametersForImport — its token id, algorithm, expiry, and the
 * wrapping private key as PKCS#8, which never leaves the node — and, once material was
 * imported, a salted SHA-256 of it, so a re-import is refused unless it is the same material.
 * It is never part of a key record, so no read of the key shows the fingerprint.
 */
export interface ImportRecord {
  readonly parameters?: PendingParameters;
  /** Hex salt and SHA-256(label ‖ salt ‖ material), set by the first import. */
  readonly fingerprint?: { readonly salt: string; readonly digest: string };
}

const LABEL = Buffer.from('coffer-kms-imported-material-v1', 'ascii');

function digestOf(salt: Buffer, material: Buffer): Buffer {
  return createHash('sha256').update(LABEL).update(salt).update(material).digest();
}

export function fingerprintOf(material: Buffer): NonNullable<ImportRecord['fingerprint']> {
  const salt = randomBytes(16);
  return { salt: salt.toString('hex'), digest: digestOf(salt, material).toString('hex') };
}

/** Whether material is what the fingerprint was made of, compared in constant time. */
export function sameMaterial(fingerprint: NonNullable<ImportRecord['fingerprint']>, material: Buffer): boolean {
  const expected = Buffer.from(fingerprint.digest, 'hex');
  const actual = digestOf(Buffer.from(fingerprint.salt, 'hex'), material);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The record's plaintext: the key record codec's layout (JSON, then the wrapping key's bytes). */
export function encodeImportRecord(record: ImportRecord, wrappingKey: Buffer): Buffer {
  return encodeWithMaterial(record, wrappingKey);
}

/** `wrappingKey` is a view into `plaintext`: zero the plaintext after use. */
export function decodeImportRecord(plaintext: Buffer): { record: ImportRecord; wrappingKey: Buffer } {
  const { record, material } = decodeWithMaterial<ImportRecord>(plaintext);
  return { record, wrappingKey: material };
}
