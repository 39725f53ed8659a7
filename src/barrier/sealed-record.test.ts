import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { isCofferError } from '../errors/coffer-error.js';
import { RECORD_FORMAT_VERSION, openRecord, recordHeader, recordTerm, sealRecord } from './sealed-record.js';

const HEADER_BYTES = 13;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function freshKey(): KeyObject {
  return createSecretKey(randomBytes(32));
}

function isIntegrityError(error: unknown): boolean {
  return isCofferError(error, 'INTEGRITY_ERROR');
}

describe('sealed records', () => {
  test('a sealed record opens under the same key, path and kind', () => {
    const key = freshKey();
    const plaintext = randomBytes(40);
    const sealed = sealRecord(key, { term: 7, seq: 1 }, 'user/alice', 'user', plaintext);
    assert.deepEqual(openRecord(key, 'user/alice', 'user', sealed), plaintext);
  });

  test('the header binds the audit seq of the writing commit: changing it is refused', () => {
    const key = freshKey();
    const sealed = sealRecord(key, { term: 3, seq: 2 ** 40 + 5 }, 'key/0x01', 'key', Buffer.from('v'));
    assert.deepEqual(recordHeader('key/0x01', sealed), { term: 3, seq: 2 ** 40 + 5 });
    const older = Buffer.from(sealed);
    older.writeBigUInt64BE(4n, 5);
    assert.equal(recordHeader('key/0x01', older).seq, 4, 'the header reads before it is authenticated');
    assert.throws(() => openRecord(key, 'key/0x01', 'key', older), isIntegrityError);
  });

  test('a format-1 record (no seq) is refused, never read as current', () => {
    const key = freshKey();
    const sealed = sealRecord(key, { term: 1, seq: 1 }, 'p', 'user', Buffer.from('x'));
    sealed[0] = 1;
    assert.throws(() => openRecord(key, 'p', 'user', sealed), isIntegrityError);
  });

  test('a seq that is not a safe non-negative integer is not sealed', () => {
    assert.throws(() => sealRecord(freshKey(), { term: 1, seq: -1 }, 'p', 'user', Buffer.from('x')), RangeError);
    assert.throws(() => sealRecord(freshKey(), { term: 1, seq: 1.5 }, 'p', 'user', Buffer.from('x')), RangeError);
  });

  test('the layout is version ‖ term ‖ seq ‖ nonce ‖ ciphertext ‖ tag, and the plaintext is not in it', () => {
    const key = freshKey();
    const plaintext = Buffer.from('a very recognisable plaintext', 'utf8');
    const sealed = sealRecord(key, { term: 0x01020304, seq: 1 }, 'key/0x01', 'key', plaintext);
    assert.equal(sealed.length, HEADER_BYTES + NONCE_BYTES + plaintext.length + TAG_BYTES);
    assert.equal(sealed[0], RECORD_FORMAT_VERSION);
    assert.equal(sealed.readUInt32BE(1), 0x01020304);
    assert.equal(recordTerm('key/0x01', sealed), 0x01020304);
    assert.equal(sealed.indexOf(plaintext), -1);
  });

  test('two seals of the same plaintext use different nonces and ciphertexts', () => {
    const key = freshKey();
    const plaintext = randomBytes(16);
    const a = sealRecord(key, { term: 1, seq: 1 }, 'p', 'user', plaintext);
    const b = sealRecord(key, { term: 1, seq: 1 }, 'p', 'user', plaintext);
    assert.notDeepEqual(
      a.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES),
      b.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES),
    );
    assert.notDeepEqual(a, b);
  });

  test('an empty plaintext seals and opens', () => {
    const key = freshKey();
    const sealed = sealRecord(key, { term: 1, seq: 1 }, 'p', 'user', Buffer.alloc(0));
    assert.equal(sealed.length, HEADER_BYTES + NONCE_BYTES + TAG_BYTES);
    assert.equal(openRecord(key, 'p', 'user', sealed).length, 0);
  });

  test('every single flipped bit, at every byte position (header, nonce, ciphertext, tag), is refused', () => {
    const key = freshKey();
    const sealed = sealRecord(key, { term: 1, seq: 1 }, 'user/bob', 'user', randomBytes(3));
    let refused = 0;
    for (let position = 0; position < sealed.length; position++) {
      for (let bit = 0; bit < 8; bit++) {
        const altered = Buffer.from(sealed);
        altered[position] = altered[position]! ^ (1 << bit);
        assert.throws(
          () => openRecord(key, 'user/bob', 'user', altered),
          isIntegrityError,
          `byte ${position} bit ${bit}`,
        );
        refused++;
      }
    }
    assert.equal(refused, sealed.length * 8);
    // The untouched record still opens: the refusals came from the alterations.
    assert.equal(openRecord(key, 'user/bob', 'user', sealed).length, 3);
  });

  test('a record moved to another path is refused', () => {
    const key = freshKey();
    const sealed = sealRecord(key, { term: 1, seq: 1 }, 'user/alice', 'user', randomBytes(8));
    for (const path of ['user/mallory', 'user/alic', 'user/alicee', 'User/alice', '', 'user/alice\0user']) {
      assert.throws(() => openRecord(key, path, 'user', sealed), isIntegrityError, JSON.stringify(path));
    }
  });

  test('a record opened as another kind is refused', () => {
    const key = freshKey();
    const sealed = sealRecord(key, { term: 1, seq: 1 }, 'shared/path', 'user', randomBytes(8));
    for (const kind of ['keyring', 'cluster-ca', 'key', 'audit-event', 'audit-head'] as const) {
      assert.throws(() => openRecord(key, 'shared/path', kind, sealed), isIntegrityError, kind);
    }
  });

  test('a record opened under another key is refused', () => {
    const sealed = sealRecord(freshKey(), { term: 1, seq: 1 }, 'p', 'user', randomBytes(8));
    assert.throws(() => openRecord(freshKey(), 'p', 'user', sealed), isIntegrityError);
  });

  test('a truncated record is refused at every length, and so is an extended one', () => {
    const key = freshKey();
    const sealed = sealRecord(key, { term: 1, seq: 1 }, 'p', 'user', randomBytes(5));
    for (let length = 0; length < sealed.length; length++) {
      assert.throws(
        () => openRecord(key, 'p', 'user', sealed.subarray(0, length)),
        isIntegrityError,
        `length ${length}`,
      );
    }
    assert.throws(() => openRecord(key, 'p', 'user', Buffer.concat([sealed, Buffer.alloc(1)])), isIntegrityError);
  });

  test('recordTerm refuses a record shorter than header, nonce and tag', () => {
    assert.throws(() => recordTerm('p', Buffer.alloc(HEADER_BYTES + NONCE_BYTES + TAG_BYTES - 1, 1)), isIntegrityError);
    assert.equal(recordTerm('p', Buffer.from([2, 0, 0, 0, 9, ...Buffer.alloc(8 + NONCE_BYTES + TAG_BYTES)])), 9);
  });

  test('an unknown format version is refused, even with otherwise valid bytes', () => {
    const key = freshKey();
    const sealed = sealRecord(key, { term: 1, seq: 1 }, 'p', 'user', randomBytes(5));
    for (const version of [0, 1, 3, 255]) {
      const altered = Buffer.from(sealed);
      altered[0] = version;
      assert.throws(
        () => recordTerm('p', altered),
        (error: unknown) => isIntegrityError(error) && /format version/.test(String(error)),
      );
      assert.throws(() => openRecord(key, 'p', 'user', altered), isIntegrityError);
    }
  });
});
