import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, type KeyObject } from 'node:crypto';
import { isCofferError } from '../errors/coffer-error.js';
import { Keyring } from './keyring.js';
import { openRecord, recordTerm, sealRecord } from './sealed-record.js';

const IDENTITY = { clusterId: 'cluster-test', mode: 'dev' } as const;
const T0 = new Date('2025-01-02T03:04:05.000Z');
const T1 = new Date('2025-02-03T04:05:06.000Z');

function bytesOf(key: KeyObject): Buffer {
  return key.export();
}

function isIntegrityError(error: unknown): boolean {
  return isCofferError(error, 'INTEGRITY_ERROR');
}

describe('Keyring', () => {
  test('a new keyring has term 1 active, a 32-byte barrier key and a distinct index key', () => {
    const keyring = Keyring.create(IDENTITY, T0);
    assert.equal(keyring.activeTerm, 1);
    assert.deepEqual(keyring.identity, IDENTITY);
    assert.equal(bytesOf(keyring.activeKey).length, 32);
    assert.equal(bytesOf(keyring.indexKey).length, 32);
    assert.notDeepEqual(bytesOf(keyring.activeKey), bytesOf(keyring.indexKey));
    assert.throws(() => keyring.keyFor(2), isIntegrityError);
    assert.throws(() => keyring.keyFor(0), isIntegrityError);
  });

  test('two keyrings never share keys', () => {
    const a = Keyring.create(IDENTITY, T0);
    const b = Keyring.create(IDENTITY, T0);
    assert.notDeepEqual(bytesOf(a.activeKey), bytesOf(b.activeKey));
    assert.notDeepEqual(bytesOf(a.indexKey), bytesOf(b.indexKey));
  });

  test('after rotate, records sealed under term 1 still open while new records use term 2', () => {
    const original = Keyring.create(IDENTITY, T0);
    const plaintext = randomBytes(24);
    const old = sealRecord(original.activeKey, { term: original.activeTerm, seq: 1 }, 'user/alice', 'user', plaintext);

    const rotated = original.rotate(T1);
    assert.equal(rotated.activeTerm, 2);
    assert.notDeepEqual(bytesOf(rotated.activeKey), bytesOf(original.activeKey));
    assert.deepEqual(bytesOf(rotated.keyFor(1)), bytesOf(original.activeKey));
    assert.deepEqual(bytesOf(rotated.indexKey), bytesOf(original.indexKey), 'the index key survives rotation');
    assert.equal(original.activeTerm, 1, 'rotate returns a new keyring and leaves the old one as it was');

    assert.equal(recordTerm('user/alice', old), 1);
    assert.deepEqual(openRecord(rotated.keyFor(recordTerm('user/alice', old)), 'user/alice', 'user', old), plaintext);

    const fresh = sealRecord(rotated.activeKey, { term: rotated.activeTerm, seq: 1 }, 'user/bob', 'user', plaintext);
    assert.equal(recordTerm('user/bob', fresh), 2);
    assert.deepEqual(openRecord(rotated.keyFor(2), 'user/bob', 'user', fresh), plaintext);
    assert.throws(() => openRecord(rotated.keyFor(1), 'user/bob', 'user', fresh), isIntegrityError);
    assert.throws(() => original.keyFor(2), isIntegrityError);
  });

  test('serialize / deserialize round trip keeps identity, terms, keys and index key', () => {
    const keyring = Keyring.create({ clusterId: 'c-123', mode: 'production' }, T0).rotate(T1).rotate(T1);
    const bytes = keyring.serialize();
    const back = Keyring.deserialize(bytes);
    assert.deepEqual(back.identity, { clusterId: 'c-123', mode: 'production' });
    assert.equal(back.activeTerm, 3);
    for (const term of [1, 2, 3])
      assert.deepEqual(bytesOf(back.keyFor(term)), bytesOf(keyring.keyFor(term)), `term ${term}`);
    assert.deepEqual(bytesOf(back.indexKey), bytesOf(keyring.indexKey));
    assert.throws(() => back.keyFor(4), isIntegrityError);
    // A record sealed before serialization opens with the deserialized keyring.
    const sealed = sealRecord(keyring.activeKey, { term: keyring.activeTerm, seq: 1 }, 'p', 'key', Buffer.from('x'));
    assert.deepEqual(openRecord(back.keyFor(recordTerm('p', sealed)), 'p', 'key', sealed), Buffer.from('x'));
  });

  test('the serialized header carries no key material as text', () => {
    const keyring = Keyring.create(IDENTITY, T0);
    const bytes = keyring.serialize();
    const headerLength = bytes.readUInt32BE(0);
    const header = bytes.subarray(4, 4 + headerLength).toString('utf8');
    assert.deepEqual(JSON.parse(header), {
      ...IDENTITY,
      activeTerm: 1,
      terms: [{ term: 1, createdAt: T0.toISOString() }],
    });
    assert.equal(bytes.length, 4 + headerLength + 2 * 32);
  });

  test('deserialize refuses trailing bytes, missing bytes and an active term with no key', () => {
    const bytes = Keyring.create(IDENTITY, T0).serialize();
    assert.throws(() => Keyring.deserialize(Buffer.concat([bytes, Buffer.alloc(1)])), isIntegrityError);
    assert.throws(() => Keyring.deserialize(bytes.subarray(0, bytes.length - 1)), isIntegrityError);
    assert.throws(() => Keyring.deserialize(bytes.subarray(0, bytes.length - 32)), isIntegrityError);

    const headerLength = bytes.readUInt32BE(0);
    const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as Record<string, unknown>;
    const json = Buffer.from(JSON.stringify({ ...header, activeTerm: 5 }), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(json.length);
    const forged = Buffer.concat([length, json, bytes.subarray(4 + headerLength)]);
    assert.throws(() => Keyring.deserialize(forged), isIntegrityError);
  });
});
