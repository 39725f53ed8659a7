import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCofferError } from '../errors/coffer-error.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { Barrier, KEYRING_PATH } from './barrier.js';
import { UnsealProgress } from './unseal-progress.js';
import { splitRootKey, type SealConfig } from './unseal-shares.js';

const IDENTITY = { clusterId: 'cluster-unseal-test', mode: 'production' } as const;
const THREE_OF_FIVE: SealConfig = { threshold: 3, shares: 5 };

function hasCode(code: 'UNSEAL_FAILED' | 'ALREADY_UNSEALED') {
  return (error: unknown): boolean => isCofferError(error, code);
}

function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  return items.flatMap((item, index) => subsets(items.slice(index + 1), size - 1).map((rest) => [item, ...rest]));
}

describe('UnsealProgress', () => {
  let dir: string;
  let store: SqliteStore;
  let rootKey: Buffer;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-unseal-'));
    store = await openSqliteStore(join(dir, 'state.db'));
    rootKey = randomBytes(32);
    const created = await store.txn(
      [{ key: KEYRING_PATH, modRevision: 0 }],
      [Barrier.initialKeyring(rootKey, IDENTITY, new Date())],
    );
    assert.ok(created.succeeded);
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('3-of-5: every 3-subset of the shares unseals a fresh node', async () => {
    const shares = await splitRootKey(rootKey, THREE_OF_FIVE);
    const all = subsets(shares, 3);
    assert.equal(all.length, 10);
    for (const [index, subset] of all.entries()) {
      const barrier = new Barrier(store);
      const progress = new UnsealProgress(barrier, THREE_OF_FIVE);
      assert.deepEqual(progress.status(), { sealed: true, threshold: 3, shares: 5, progress: 0 });
      assert.deepEqual(await progress.submit(subset[0]!), { sealed: true, threshold: 3, shares: 5, progress: 1 });
      assert.deepEqual(await progress.submit(subset[1]!), { sealed: true, threshold: 3, shares: 5, progress: 2 });
      assert.deepEqual(
        await progress.submit(subset[2]!),
        { sealed: false, threshold: 3, shares: 5, progress: 0 },
        `subset ${index}`,
      );
      assert.equal(barrier.sealed, false);
      assert.deepEqual(barrier.identity, IDENTITY);
    }
  });

  test('two shares leave the node sealed with progress 2', async () => {
    const shares = await splitRootKey(rootKey, THREE_OF_FIVE);
    const barrier = new Barrier(store);
    const progress = new UnsealProgress(barrier, THREE_OF_FIVE);
    await progress.submit(shares[3]!);
    const status = await progress.submit(shares[1]!);
    assert.equal(status.sealed, true);
    assert.equal(status.progress, 2);
    assert.equal(barrier.sealed, true);
    assert.deepEqual(progress.status(), status);
  });

  test('a share from another split mixed in gives UNSEAL_FAILED and resets progress to 0; the right shares then work', async () => {
    const shares = await splitRootKey(rootKey, THREE_OF_FIVE);
    const foreign = await splitRootKey(randomBytes(32), THREE_OF_FIVE);
    const barrier = new Barrier(store);
    const progress = new UnsealProgress(barrier, THREE_OF_FIVE);
    await progress.submit(shares[0]!);
    await progress.submit(shares[1]!);
    await assert.rejects(progress.submit(foreign[2]!), hasCode('UNSEAL_FAILED'));
    assert.deepEqual(progress.status(), { sealed: true, threshold: 3, shares: 5, progress: 0 });
    assert.equal(barrier.sealed, true);

    // The foreign share is not remembered: two good shares still leave it sealed, the third unseals.
    assert.equal((await progress.submit(shares[2]!)).progress, 1);
    assert.equal((await progress.submit(shares[3]!)).progress, 2);
    assert.equal((await progress.submit(shares[4]!)).sealed, false);
  });

  test('a repeated share does not count twice', async () => {
    const shares = await splitRootKey(rootKey, THREE_OF_FIVE);
    const barrier = new Barrier(store);
    const progress = new UnsealProgress(barrier, THREE_OF_FIVE);
    assert.equal((await progress.submit(shares[0]!)).progress, 1);
    assert.equal((await progress.submit(Buffer.from(shares[0]!))).progress, 1);
    assert.equal((await progress.submit(shares[1]!)).progress, 2);
    const status = await progress.submit(shares[1]!);
    assert.equal(status.progress, 2);
    assert.equal(status.sealed, true);
    assert.equal((await progress.submit(shares[2]!)).sealed, false);
  });

  test('the caller keeps its share buffers: the node zeroes only its own copies', async () => {
    const shares = await splitRootKey(rootKey, THREE_OF_FIVE);
    const copies = shares.map((share) => Buffer.from(share));
    const progress = new UnsealProgress(new Barrier(store), THREE_OF_FIVE);
    for (const share of shares.slice(0, 3)) await progress.submit(share);
    assert.deepEqual(shares, copies);
  });

  test('1-of-1: the single share unseals; a further submit gives ALREADY_UNSEALED', async () => {
    const config = { threshold: 1, shares: 1 };
    const [share] = await splitRootKey(rootKey, config);
    assert.ok(share);
    const barrier = new Barrier(store);
    const progress = new UnsealProgress(barrier, config);
    assert.equal((await progress.submit(share)).sealed, false);
    assert.equal(barrier.sealed, false);
    await assert.rejects(progress.submit(share), hasCode('ALREADY_UNSEALED'));
  });

  test('1-of-1 with a wrong key gives UNSEAL_FAILED and stays sealed', async () => {
    const barrier = new Barrier(store);
    const progress = new UnsealProgress(barrier, { threshold: 1, shares: 1 });
    await assert.rejects(progress.submit(randomBytes(32)), hasCode('UNSEAL_FAILED'));
    assert.equal(barrier.sealed, true);
    assert.equal(progress.status().progress, 0);
  });

  test('reset drops the shares received so far', async () => {
    const shares = await splitRootKey(rootKey, THREE_OF_FIVE);
    const progress = new UnsealProgress(new Barrier(store), THREE_OF_FIVE);
    await progress.submit(shares[0]!);
    await progress.submit(shares[1]!);
    progress.reset();
    assert.equal(progress.status().progress, 0);
    assert.equal((await progress.submit(shares[2]!)).progress, 1);
    assert.equal((await progress.submit(shares[3]!)).sealed, true);
  });
});
