import { CofferError } from '../errors/coffer-error.js';
import type { KeyRecord } from './key-record.js';

/**
 * The plaintext of a sealed key record: a length-prefixed JSON record followed by the raw key
 * material (PKCS#8, SPKI or secret bytes). Keeping the material out of the JSON means it is
 * never a JavaScript string, so it can be zeroed.
 */
export function encodeKeyRecord(record: KeyRecord, material: Buffer): Buffer {
  return encodeWithMaterial(record, material);
}

/** Splits a key record; `material` is a view into `plaintext`, zero the plaintext after use. */
export function decodeKeyRecord(plaintext: Buffer): { record: KeyRecord; material: Buffer } {
  return decodeWithMaterial<KeyRecord>(plaintext);
}

/** The same layout for any record that keeps key bytes beside its JSON (a KMS import record). */
export function encodeWithMaterial(record: object, material: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(record), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([length, json, material]);
}

export function decodeWithMaterial<T>(plaintext: Buffer): { record: T; material: Buffer } {
  if (plaintext.length < 4) throw new CofferError('INTEGRITY_ERROR', 'key record is truncated');
  const length = plaintext.readUInt32BE(0);
  if (4 + length > plaintext.length) throw new CofferError('INTEGRITY_ERROR', 'key record is truncated');
  const record = JSON.parse(plaintext.subarray(4, 4 + length).toString('utf8')) as T;
  return { record, material: plaintext.subarray(4 + length) };
}
