import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isCofferError } from '../errors/coffer-error.js';
import { decodeKeyRecord, encodeKeyRecord } from './key-record-codec.js';
import type { KeyRecord } from './key-record.js';
import { newHandle } from './key-handle.js';

function sampleRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    handle: newHandle(),
    class: 'secret',
    keyType: 'aes',
    label: 'payments — clé ✓',
    id: randomBytes(4).toString('hex'),
    attributes: { token: true, sensitive: true, extractable: false, encrypt: true, decrypt: true },
    shape: { valueLen: 32 },
    checkValue: randomBytes(3).toString('hex'),
    owner: 'alice',
    sharedWith: ['bob', 'carol'],
    state: 'enabled',
    version: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-02T00:00:00.000Z',
    ...overrides,
  };
}

function isIntegrityError(error: unknown): boolean {
  return isCofferError(error, 'INTEGRITY_ERROR');
}

describe('key record codec', () => {
  test('round trip keeps the record and the material', () => {
    const record = sampleRecord();
    const material = randomBytes(32);
    const decoded = decodeKeyRecord(encodeKeyRecord(record, material));
    assert.deepEqual(decoded.record, record);
    assert.deepEqual(decoded.material, material);
  });

  test('round trip of a key pair half with a pair handle, and of empty material', () => {
    const record = sampleRecord({
      class: 'private',
      keyType: 'ec',
      shape: { curve: 'secp256r1' },
      pairHandle: newHandle(),
      sharedWith: [],
    });
    const decoded = decodeKeyRecord(encodeKeyRecord(record, Buffer.alloc(0)));
    assert.deepEqual(decoded.record, record);
    assert.equal(decoded.material.length, 0);
  });

  test('the material is not in the JSON, and is a view into the plaintext (zeroing the plaintext zeroes it)', () => {
    const material = randomBytes(48);
    const plaintext = encodeKeyRecord(sampleRecord(), material);
    const jsonLength = plaintext.readUInt32BE(0);
    const json = plaintext.subarray(4, 4 + jsonLength).toString('utf8');
    assert.ok(!json.includes(material.toString('hex')) && !json.includes(material.toString('base64')));
    assert.deepEqual(plaintext.subarray(4 + jsonLength), material);
    const decoded = decodeKeyRecord(plaintext);
    plaintext.fill(0);
    assert.deepEqual(decoded.material, Buffer.alloc(48));
  });

  test('the length prefix counts bytes, not characters (a non-ASCII label)', () => {
    const record = sampleRecord({ label: '😀'.repeat(20) });
    const material = randomBytes(16);
    const decoded = decodeKeyRecord(encodeKeyRecord(record, material));
    assert.equal(decoded.record.label, record.label);
    assert.deepEqual(decoded.material, material);
  });

  test('a plaintext truncated anywhere inside its length prefix or JSON is refused', () => {
    const plaintext = encodeKeyRecord(sampleRecord(), randomBytes(32));
    const jsonEnd = 4 + plaintext.readUInt32BE(0);
    for (let length = 0; length < jsonEnd; length++) {
      assert.throws(() => decodeKeyRecord(plaintext.subarray(0, length)), isIntegrityError, `length ${length}`);
    }
  });

  test('a length prefix pointing past the end is refused', () => {
    const plaintext = encodeKeyRecord(sampleRecord(), Buffer.alloc(0));
    const forged = Buffer.from(plaintext);
    forged.writeUInt32BE(plaintext.length, 0);
    assert.throws(() => decodeKeyRecord(forged), isIntegrityError);
    forged.writeUInt32BE(0xffffffff, 0);
    assert.throws(() => decodeKeyRecord(forged), isIntegrityError);
  });
});
