import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCofferError } from '../errors/coffer-error.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { Barrier, KEYRING_PATH } from './barrier.js';
import { Keyring } from './keyring.js';
import { ROOT_KEY_TERM, recordTerm, sealRecord } from './sealed-record.js';

const IDENTITY = { clusterId: 'cluster-barrier-test', mode: 'dev' } as const;
const NOW = new Date('2025-03-04T05:06:07.000Z');

function hasCode(code: 'INTEGRITY_ERROR' | 'NODE_SEALED' | 'UNSEAL_FAILED' | 'NOT_INITIALIZED') {
  return (error: unknown): boolean => isCofferError(error, code);
}

/** Writes `keyring` sealed by `rootKey` at the keyring path, replacing any earlier one. */
async function putKeyring(store: SqliteStore, rootKey: Buffer, keyring: Keyring): Promise<void> {
  const value = sealRecord(
    createSecretKey(rootKey),
    { term: ROOT_KEY_TERM, seq: 0 },
    KEYRING_PATH,
    'keyring',
    keyring.serialize(),
  );
  const result = await store.txn([], [{ type: 'put', key: KEYRING_PATH, value }]);
  assert.ok(result.succeeded);
}

describe('Barrier', () => {
  let dir: string;
  let stores: SqliteStore[];

  async function newStore(): Promise<SqliteStore> {
    const store = await openSqliteStore(join(dir, `state-${stores.length}.db`));
    stores.push(store);
    return store;
  }

  async function initialized(): Promise<{ store: SqliteStore; rootKey: Buffer; barrier: Barrier }> {
    const store = await newStore();
    const rootKey = randomBytes(32);
    const created = await store.txn(
      [{ key: KEYRING_PATH, modRevision: 0 }],
      [Barrier.initialKeyring(rootKey, IDENTITY, NOW)],
    );
    assert.ok(created.succeeded);
    return { store, rootKey, barrier: new Barrier(store) };
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-barrier-'));
    stores = [];
  });

  afterEach(async () => {
    for (const store of stores) await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('initialKeyring writes a keyring sealed under the root key term, at the keyring path', async () => {
    const { store } = await initialized();
    const entry = await store.get(KEYRING_PATH);
    assert.ok(entry);
    assert.equal(recordTerm(KEYRING_PATH, entry.value), ROOT_KEY_TERM);
  });

  test('unseal with the right root key works; records seal and open', async () => {
    const { rootKey, barrier } = await initialized();
    assert.equal(barrier.sealed, true);
    await barrier.unseal(rootKey);
    assert.equal(barrier.sealed, false);
    assert.deepEqual(barrier.identity, IDENTITY);
    const plaintext = randomBytes(20);
    const sealed = barrier.sealRecord('user/alice', 'user', plaintext, 1);
    assert.equal(recordTerm('user/alice', sealed), 1);
    assert.deepEqual(barrier.openRecord('user/alice', 'user', sealed), plaintext);
  });

  test('unseal with a wrong root key gives UNSEAL_FAILED and leaves the barrier sealed', async () => {
    const { rootKey, barrier } = await initialized();
    await assert.rejects(barrier.unseal(randomBytes(32)), hasCode('UNSEAL_FAILED'));
    const nearMiss = Buffer.from(rootKey);
    nearMiss[31] = nearMiss[31]! ^ 1;
    await assert.rejects(barrier.unseal(nearMiss), hasCode('UNSEAL_FAILED'));
    await assert.rejects(barrier.unseal(rootKey.subarray(0, 31)), hasCode('UNSEAL_FAILED'));
    await assert.rejects(barrier.unseal(Buffer.concat([rootKey, Buffer.alloc(1)])), hasCode('UNSEAL_FAILED'));
    assert.equal(barrier.sealed, true);
    await barrier.unseal(rootKey);
    assert.equal(barrier.sealed, false);
  });

  test('unseal on a store without a keyring gives NOT_INITIALIZED', async () => {
    const barrier = new Barrier(await newStore());
    await assert.rejects(barrier.unseal(randomBytes(32)), hasCode('NOT_INITIALIZED'));
  });

  test('a tampered keyring record gives UNSEAL_FAILED', async () => {
    const { store, rootKey, barrier } = await initialized();
    const entry = await store.get(KEYRING_PATH);
    assert.ok(entry);
    const altered = Buffer.from(entry.value);
    altered[altered.length - 1] = altered[altered.length - 1]! ^ 0x80;
    await store.txn([], [{ type: 'put', key: KEYRING_PATH, value: altered }]);
    await assert.rejects(barrier.unseal(rootKey), hasCode('UNSEAL_FAILED'));
    assert.equal(barrier.sealed, true);
  });

  test('a sealed barrier refuses sealRecord, openRecord, blindIndex and identity with NODE_SEALED', async () => {
    const { rootKey, barrier } = await initialized();
    const check = (): void => {
      assert.throws(() => barrier.sealRecord('user/a', 'user', Buffer.from('x'), 1), hasCode('NODE_SEALED'));
      assert.throws(() => barrier.openRecord('user/a', 'user', Buffer.alloc(64)), hasCode('NODE_SEALED'));
      assert.throws(() => barrier.blindIndex('label', 'x'), hasCode('NODE_SEALED'));
      assert.throws(() => barrier.identity, hasCode('NODE_SEALED'));
    };
    check();
    await barrier.unseal(rootKey);
    const sealed = barrier.sealRecord('user/a', 'user', Buffer.from('x'), 1);
    barrier.seal();
    assert.equal(barrier.sealed, true);
    check();
    assert.throws(() => barrier.openRecord('user/a', 'user', sealed), hasCode('NODE_SEALED'));
  });

  test('openRecord refuses a record moved to another path, opened as another kind, or tampered', async () => {
    const { rootKey, barrier } = await initialized();
    await barrier.unseal(rootKey);
    const sealed = barrier.sealRecord('key/0x0000000000000001', 'key', randomBytes(32), 1);
    assert.throws(() => barrier.openRecord('key/0x0000000000000002', 'key', sealed), hasCode('INTEGRITY_ERROR'));
    assert.throws(() => barrier.openRecord('key/0x0000000000000001', 'user', sealed), hasCode('INTEGRITY_ERROR'));
    const altered = Buffer.from(sealed);
    altered[20] = altered[20]! ^ 1;
    assert.throws(() => barrier.openRecord('key/0x0000000000000001', 'key', altered), hasCode('INTEGRITY_ERROR'));
  });

  test('openRecord refuses the keyring record (root key term) and a term the keyring lacks', async () => {
    const { store, rootKey, barrier } = await initialized();
    await barrier.unseal(rootKey);
    const keyringEntry = await store.get(KEYRING_PATH);
    assert.ok(keyringEntry);
    assert.throws(() => barrier.openRecord(KEYRING_PATH, 'keyring', keyringEntry.value), hasCode('INTEGRITY_ERROR'));
    const sealed = barrier.sealRecord('p', 'user', Buffer.from('x'), 1);
    const futureTerm = Buffer.from(sealed);
    futureTerm.writeUInt32BE(9, 1);
    assert.throws(() => barrier.openRecord('p', 'user', futureTerm), hasCode('INTEGRITY_ERROR'));
  });

  test('after the keyring is rotated, records sealed under term 1 still open and new records use term 2', async () => {
    const store = await newStore();
    const rootKey = randomBytes(32);
    const keyring = Keyring.create(IDENTITY, NOW);
    await putKeyring(store, rootKey, keyring);
    const barrier = new Barrier(store);
    await barrier.unseal(rootKey);
    const plaintext = randomBytes(16);
    const old = barrier.sealRecord('user/alice', 'user', plaintext, 1);
    assert.equal(recordTerm('user/alice', old), 1);
    const indexBefore = barrier.blindIndex('label', 'my key');

    await putKeyring(store, rootKey, keyring.rotate(NOW));
    barrier.seal();
    await barrier.unseal(rootKey);
    const fresh = barrier.sealRecord('user/bob', 'user', plaintext, 1);
    assert.equal(recordTerm('user/bob', fresh), 2);
    assert.deepEqual(barrier.openRecord('user/alice', 'user', old), plaintext);
    assert.deepEqual(barrier.openRecord('user/bob', 'user', fresh), plaintext);
    assert.equal(barrier.blindIndex('label', 'my key'), indexBefore, 'the index key survives rotation');
  });

  test('blindIndex is deterministic per namespace, differs across namespaces, values and keyrings', async () => {
    const one = await initialized();
    await one.barrier.unseal(one.rootKey);
    const a1 = one.barrier.blindIndex('label', 'payments');
    assert.equal(one.barrier.blindIndex('label', 'payments'), a1);
    assert.equal(one.barrier.blindIndex('label', Buffer.from('payments', 'utf8')), a1, 'string and bytes agree');
    assert.notEqual(one.barrier.blindIndex('id', 'payments'), a1);
    assert.notEqual(one.barrier.blindIndex('label', 'Payments'), a1);
    assert.notEqual(one.barrier.blindIndex('labe', 'lpayments'), a1, 'the namespace is separated from the value');
    assert.match(a1, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!a1.includes('payments'));

    // The same keyring unsealed again (a restart, or another node) gives the same tokens.
    const again = new Barrier(one.store);
    await again.unseal(one.rootKey);
    assert.equal(again.blindIndex('label', 'payments'), a1);

    const two = await initialized();
    await two.barrier.unseal(two.rootKey);
    assert.notEqual(two.barrier.blindIndex('label', 'payments'), a1);
  });
});
