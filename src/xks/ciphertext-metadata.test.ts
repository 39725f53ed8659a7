import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import { decodeCiphertextMetadata, encodeCiphertextMetadata } from './ciphertext-metadata.js';

const invalid = (error: unknown): boolean => isCofferError(error, 'ENCRYPTED_DATA_INVALID');

test('the metadata is a format byte and the key version, within the spec’s 20 bytes', () => {
  const bytes = encodeCiphertextMetadata(7);
  assert.equal(bytes.toString('hex'), '0100000007');
  assert.ok(bytes.length <= 20);
  assert.deepEqual(decodeCiphertextMetadata(bytes), { keyVersion: 7 });
  assert.deepEqual(decodeCiphertextMetadata(encodeCiphertextMetadata(2 ** 32 - 1)), { keyVersion: 2 ** 32 - 1 });
});

test('metadata this proxy did not write is an invalid ciphertext', () => {
  assert.throws(() => decodeCiphertextMetadata(undefined), invalid);
  assert.throws(() => decodeCiphertextMetadata(Buffer.from('key_version=1')), invalid);
  assert.throws(() => decodeCiphertextMetadata(Buffer.from('0200000001', 'hex')), invalid, 'another format');
  assert.throws(() => decodeCiphertextMetadata(Buffer.from('0100000000', 'hex')), invalid, 'version 0');
  assert.throws(() => decodeCiphertextMetadata(Buffer.from('010000000100', 'hex')), invalid, 'a byte too many');
});
