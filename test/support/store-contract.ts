/**
 * The behaviour every StateStore must show, as node:test tests. Each implementation's test file
 * calls stateStoreContract with a factory; each test gets a fresh, empty store. Nothing here may
 * depend on one implementation: watch delivery in particular may be asynchronous (etcd), so
 * tests wait for events and prove an absence by waiting for a later marker event instead.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isCofferError } from '../../src/errors/coffer-error.js';
import { compareKeys } from '../../src/store/key-order.js';
import {
  DEFAULT_RANGE_LIMIT,
  MAX_KEY_BYTES,
  MAX_RANGE_LIMIT,
  MAX_TXN_BYTES,
  MAX_TXN_OPERATIONS,
  MAX_VALUE_BYTES,
  type StateStore,
} from '../../src/store/state-store.js';
import { historyContract } from './store-contract-history.js';
import {
  allKeys,
  collect,
  del,
  fill,
  mustNotExist,
  type OpenStore,
  put,
  rejectsInvalid,
  summary,
} from './store-contract-helpers.js';
import { leaseContract } from './store-contract-leases.js';

export type { OpenStore } from './store-contract-helpers.js';

export function stateStoreContract(name: string, open: OpenStore): void {
  describe(`${name}: StateStore contract`, () => {
    let store: StateStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await open());
    });

    afterEach(async () => {
      await cleanup();
    });

    describe('get and revision', () => {
      it('starts empty at revision 0', async () => {
        assert.equal(await store.revision(), 0);
        assert.equal(await store.get('a'), undefined);
        assert.deepEqual(await store.range(''), { entries: [], more: false, revision: 0 });
      });

      it('returns what a put wrote, with its revisions', async () => {
        assert.deepEqual(await store.txn([], [put('a', 'one')]), { succeeded: true, revision: 1 });
        assert.deepEqual(await store.get('a'), {
          key: 'a',
          value: Buffer.from('one'),
          createRevision: 1,
          modRevision: 1,
        });
      });

      it('stores a copy of the value and an empty value as empty', async () => {
        const value = Buffer.from('original');
        await store.txn([], [put('a', value), put('b', Buffer.alloc(0))]);
        value.fill(0);
        assert.deepEqual((await store.get('a'))?.value, Buffer.from('original'));
        assert.deepEqual((await store.get('b'))?.value, Buffer.alloc(0));
      });
    });

    describe('txn and revisions', () => {
      it('bumps the revision by exactly one per changing txn, shared by all its keys', async () => {
        assert.deepEqual(await store.txn([], [put('a'), put('b'), put('c')]), { succeeded: true, revision: 1 });
        for (const key of ['a', 'b', 'c']) assert.equal((await store.get(key))?.modRevision, 1);
        assert.deepEqual(await store.txn([], [put('d')]), { succeeded: true, revision: 2 });
        assert.equal(await store.revision(), 2);
      });

      it('keeps createRevision on update and moves modRevision', async () => {
        await store.txn([], [put('a', 'v1')]);
        await store.txn([], [put('b')]);
        await store.txn([], [put('a', 'v2')]);
        assert.deepEqual(await store.get('a'), {
          key: 'a',
          value: Buffer.from('v2'),
          createRevision: 1,
          modRevision: 3,
        });
      });

      it('deletes a key and gives a re-created key a new createRevision', async () => {
        await store.txn([], [put('a')]);
        assert.deepEqual(await store.txn([], [del('a')]), { succeeded: true, revision: 2 });
        assert.equal(await store.get('a'), undefined);
        await store.txn([], [put('a')]);
        assert.deepEqual(await store.get('a'), {
          key: 'a',
          value: Buffer.from('a'),
          createRevision: 3,
          modRevision: 3,
        });
      });

      it('changes nothing when deleting a missing key or running no operations', async () => {
        await store.txn([], [put('a')]);
        assert.deepEqual(await store.txn([], [del('missing')]), { succeeded: true, revision: 1 });
        assert.deepEqual(await store.txn([], []), { succeeded: true, revision: 1 });
        assert.equal(await store.revision(), 1);
      });

      it('counts a txn as a change when only some of its deletes hit', async () => {
        await store.txn([], [put('a')]);
        assert.deepEqual(await store.txn([], [del('missing'), del('a')]), { succeeded: true, revision: 2 });
      });

      it('writes nothing when a compare fails and reports the current revision', async () => {
        await store.txn([], [put('a', 'kept')]);
        const result = await store.txn([{ key: 'a', modRevision: 99 }], [put('b'), del('a')]);
        assert.deepEqual(result, { succeeded: false, revision: 1 });
        assert.equal(await store.get('b'), undefined);
        assert.deepEqual((await store.get('a'))?.value, Buffer.from('kept'));
        assert.equal(await store.revision(), 1);
      });

      it('treats compare modRevision 0 as "must not exist"', async () => {
        assert.deepEqual(await store.txn([mustNotExist('a')], [put('a')]), { succeeded: true, revision: 1 });
        assert.deepEqual(await store.txn([mustNotExist('a')], [put('a', 'again')]), { succeeded: false, revision: 1 });
        await store.txn([], [del('a')]);
        assert.deepEqual(await store.txn([mustNotExist('a')], [put('a')]), { succeeded: true, revision: 3 });
      });

      it('succeeds on the current modRevision and fails on a stale one', async () => {
        await store.txn([], [put('a', 'v1')]);
        await store.txn([], [put('a', 'v2')]);
        assert.equal((await store.txn([{ key: 'a', modRevision: 1 }], [put('a', 'lost')])).succeeded, false);
        assert.equal((await store.txn([{ key: 'a', modRevision: 2 }], [put('a', 'v3')])).succeeded, true);
        assert.deepEqual((await store.get('a'))?.value, Buffer.from('v3'));
      });

      it('requires every compare to hold', async () => {
        await store.txn([], [put('a'), put('b')]);
        const compares = [{ key: 'a', modRevision: 1 }, mustNotExist('b')];
        assert.deepEqual(await store.txn(compares, [put('c')]), { succeeded: false, revision: 1 });
        assert.equal(await store.get('c'), undefined);
      });

      it('refuses the same key twice among the operations and writes nothing', async () => {
        await rejectsInvalid(store.txn([], [put('a'), put('a', 'other')]));
        await rejectsInvalid(store.txn([], [put('a'), del('a')]));
        await rejectsInvalid(store.txn([], [put('b'), del('a'), del('a')]));
        assert.equal(await store.revision(), 0);
        assert.equal(await store.get('a'), undefined);
        assert.equal(await store.get('b'), undefined);
      });

      it(`refuses more than ${MAX_TXN_OPERATIONS} operations or compares`, async () => {
        const keys = Array.from({ length: MAX_TXN_OPERATIONS + 1 }, (_, index) => `k${index}`);
        await rejectsInvalid(
          store.txn(
            [],
            keys.map((key) => put(key)),
          ),
        );
        await rejectsInvalid(store.txn(keys.map(mustNotExist), [put('a')]));
        const allowed = keys.slice(0, MAX_TXN_OPERATIONS);
        assert.equal(
          (
            await store.txn(
              allowed.map(mustNotExist),
              allowed.map((key) => put(key)),
            )
          ).succeeded,
          true,
        );
      });
    });

    describe('limits', () => {
      const longestKey = 'é'.repeat(MAX_KEY_BYTES / 2);
      const invalidKeys = ['', 'a\0b', `${longestKey}a`, 'lone \uD800 surrogate'];

      it('accepts a key of exactly the maximum size', async () => {
        await store.txn([], [put(longestKey, 'v')]);
        assert.deepEqual((await store.get(longestKey))?.value, Buffer.from('v'));
      });

      it('refuses invalid keys everywhere a key is taken', async () => {
        for (const key of invalidKeys) {
          await rejectsInvalid(store.txn([], [put(key)]));
          await rejectsInvalid(store.txn([], [del(key)]));
          await rejectsInvalid(store.txn([mustNotExist(key)], []));
          await rejectsInvalid(store.get(key));
          if (key !== '') {
            await rejectsInvalid(store.range(key));
            await rejectsInvalid(store.range('', { after: key }));
            assert.throws(
              () => store.watch(key, () => undefined),
              (error: unknown) => isCofferError(error, 'INVALID_FIELD'),
            );
          }
        }
        assert.equal(await store.revision(), 0);
      });

      it('refuses a negative or fractional compare revision', async () => {
        await rejectsInvalid(store.txn([{ key: 'a', modRevision: -1 }], []));
        await rejectsInvalid(store.txn([{ key: 'a', modRevision: 1.5 }], []));
      });

      it(`accepts a txn of exactly ${MAX_TXN_BYTES} bytes of keys and values, and refuses one more`, async () => {
        // The most framing a txn can carry: the most compares and puts, on the longest keys.
        const keys = Array.from({ length: MAX_TXN_OPERATIONS }, (_, index) =>
          `${String(index).padStart(3, '0')}`.padEnd(MAX_KEY_BYTES, 'k'),
        );
        const valueBytes = MAX_TXN_BYTES - 2 * MAX_KEY_BYTES * MAX_TXN_OPERATIONS;
        const values = keys.map((_, index) => {
          const share = Math.floor(valueBytes / MAX_TXN_OPERATIONS);
          return Buffer.alloc(index === 0 ? valueBytes - share * (MAX_TXN_OPERATIONS - 1) : share, index);
        });
        const operations = keys.map((key, index) => put(key, values[index]));
        const oneMore = [...operations.slice(1), put(keys[0]!, Buffer.alloc(values[0]!.length + 1))];
        await rejectsInvalid(store.txn(keys.map(mustNotExist), oneMore));
        assert.equal(await store.revision(), 0);
        assert.deepEqual(await store.txn(keys.map(mustNotExist), operations), { succeeded: true, revision: 1 });
        assert.deepEqual((await store.get(keys[0]!))?.value, values[0]);
      });

      it('accepts a value of exactly the maximum size and refuses a larger one', async () => {
        await rejectsInvalid(store.txn([], [put('big', Buffer.alloc(MAX_VALUE_BYTES + 1))]));
        assert.equal(await store.revision(), 0);
        await store.txn([], [put('big', Buffer.alloc(MAX_VALUE_BYTES, 7))]);
        assert.equal((await store.get('big'))?.value.length, MAX_VALUE_BYTES);
      });
    });

    describe('range', () => {
      // '\uFFFF' < '😀' < '\u{10FFFF}' in UTF-8 bytes, although JavaScript orders '😀' first.
      const inside = ['p/b', 'p/a', 'p/\uFFFF', 'p/😀', 'p/\u{10FFFF}x', 'p/'];
      const outside = ['p', 'p0', 'p.', 'o/z', 'q'];

      it('returns exactly the keys under the prefix, in byte order', async () => {
        await store.txn(
          [],
          [...inside, ...outside].map((key) => put(key)),
        );
        const page = await store.range('p/');
        assert.deepEqual(
          page.entries.map((entry) => entry.key),
          ['p/', 'p/a', 'p/b', 'p/\uFFFF', 'p/😀', 'p/\u{10FFFF}x'],
        );
        assert.equal(page.more, false);
        assert.deepEqual(page.entries.find((entry) => entry.key === 'p/a')?.value, Buffer.from('p/a'));
      });

      it('returns every key for the empty prefix, in byte order', async () => {
        const keys = [...inside, ...outside];
        await store.txn(
          [],
          keys.map((key) => put(key)),
        );
        const page = await store.range('');
        assert.deepEqual(
          page.entries.map((entry) => entry.key),
          [...keys].sort(compareKeys),
        );
      });

      it('pages with the after cursor until more is false', async () => {
        const keys = await fill(store, 'k/', 25);
        await store.txn([], [put('k0'), put('j/')]);
        const first = await store.range('k/', { limit: 10 });
        assert.deepEqual(
          first.entries.map((entry) => entry.key),
          keys.slice(0, 10),
        );
        assert.equal(first.more, true);
        const second = await store.range('k/', { limit: 10, after: keys[9] });
        assert.deepEqual(
          second.entries.map((entry) => entry.key),
          keys.slice(10, 20),
        );
        assert.equal(second.more, true);
        const third = await store.range('k/', { limit: 10, after: keys[19] });
        assert.deepEqual(
          third.entries.map((entry) => entry.key),
          keys.slice(20),
        );
        assert.equal(third.more, false);
      });

      it('says more:false when a page ends exactly at the last key', async () => {
        const keys = await fill(store, 'k/', 20);
        const page = await store.range('k/', { limit: 10, after: keys[9] });
        assert.equal(page.entries.length, 10);
        assert.equal(page.more, false);
        assert.deepEqual(await allKeys(store, 'k/', 7), keys);
      });

      it('treats the cursor as exclusive, wherever it falls', async () => {
        await store.txn(
          [],
          ['k/a', 'k/c', 'k/e'].map((key) => put(key)),
        );
        const keysAfter = async (after: string) =>
          (await store.range('k/', { after })).entries.map((entry) => entry.key);
        assert.deepEqual(await keysAfter('a'), ['k/a', 'k/c', 'k/e']);
        assert.deepEqual(await keysAfter('k/'), ['k/a', 'k/c', 'k/e']);
        assert.deepEqual(await keysAfter('k/c'), ['k/e']);
        assert.deepEqual(await keysAfter('k/b'), ['k/c', 'k/e']);
        assert.deepEqual(await keysAfter('k/e'), []);
        assert.deepEqual(await keysAfter('z'), []);
      });

      it(`defaults to ${DEFAULT_RANGE_LIMIT} entries and caps the limit at ${MAX_RANGE_LIMIT}`, async () => {
        const keys = await fill(store, 'c/', MAX_RANGE_LIMIT + 100);
        const byDefault = await store.range('c/');
        assert.equal(byDefault.entries.length, DEFAULT_RANGE_LIMIT);
        assert.equal(byDefault.more, true);
        const capped = await store.range('c/', { limit: MAX_RANGE_LIMIT * 5 });
        assert.equal(capped.entries.length, MAX_RANGE_LIMIT);
        assert.equal(capped.more, true);
        const rest = await store.range('c/', { limit: MAX_RANGE_LIMIT, after: keys[MAX_RANGE_LIMIT - 1] });
        assert.equal(rest.entries.length, 100);
        assert.equal(rest.more, false);
      });

      it('refuses a limit that is not a positive integer', async () => {
        for (const limit of [0, -1, 1.5, Number.NaN]) await rejectsInvalid(store.range('', { limit }));
      });

      it('returns keys and revisions with empty values when keysOnly', async () => {
        await store.txn([], [put('k/a', 'secret')]);
        await store.txn([], [put('k/a', 'newer'), put('k/b', 'other')]);
        const page = await store.range('k/', { keysOnly: true });
        assert.deepEqual(page.entries, [
          { key: 'k/a', value: Buffer.alloc(0), createRevision: 1, modRevision: 2 },
          { key: 'k/b', value: Buffer.alloc(0), createRevision: 2, modRevision: 2 },
        ]);
      });

      it('reports the revision the page was read at', async () => {
        await store.txn([], [put('k/a')]);
        await store.txn([], [put('other')]);
        const page = await store.range('k/');
        assert.equal(page.revision, 2);
        assert.equal(page.entries[0]?.modRevision, 1);
      });
    });

    describe('watch', () => {
      it('delivers committed changes under the prefix in revision and operation order', async () => {
        const watcher = collect(store, 'w/');
        await store.txn([], [put('w/a', 'one')]);
        await store.txn([], [put('x/a')]);
        await store.txn([], [put('w/b', 'two'), put('x/b'), del('w/a')]);
        await watcher.waitFor(3);
        assert.deepEqual(summary(watcher.events), ['put w/a @1', 'put w/b @3', 'delete w/a @3']);
        assert.deepEqual(watcher.events[0]?.value, Buffer.from('one'));
        assert.deepEqual(watcher.events[2]?.value, Buffer.alloc(0));
        watcher.stop();
      });

      it('delivers everything to a watcher of the empty prefix', async () => {
        const watcher = collect(store, '');
        await store.txn([], [put('a')]);
        await store.txn([], [put('b/c')]);
        await watcher.waitFor(2);
        assert.deepEqual(summary(watcher.events), ['put a @1', 'put b/c @2']);
        watcher.stop();
      });

      it('is silent for a failed txn and for a delete of a missing key', async () => {
        await store.txn([], [put('w/a')]);
        const watcher = collect(store, 'w/');
        await store.txn([{ key: 'w/a', modRevision: 99 }], [put('w/b'), del('w/a')]);
        await store.txn([], [del('w/missing')]);
        await rejectsInvalid(store.txn([], [put('w/c'), put('w/c')]));
        await store.txn([], [put('w/marker')]);
        await watcher.waitFor(1);
        assert.deepEqual(summary(watcher.events), ['put w/marker @2']);
        watcher.stop();
      });

      it('stops delivering to a watcher that unsubscribed', async () => {
        const stopped = collect(store, 'w/');
        const running = collect(store, 'w/');
        await store.txn([], [put('w/a')]);
        await stopped.waitFor(1);
        stopped.stop();
        await store.txn([], [put('w/b')]);
        await store.txn([], [put('w/c')]);
        await running.waitFor(3);
        assert.deepEqual(summary(stopped.events), ['put w/a @1']);
        stopped.stop(); // Unsubscribing twice is harmless.
        running.stop();
      });

      it('survives a listener that throws', async () => {
        const stopThrowing = store.watch('w/', () => {
          throw new Error('listener failure');
        });
        const watcher = collect(store, 'w/');
        assert.deepEqual(await store.txn([], [put('w/a')]), { succeeded: true, revision: 1 });
        assert.deepEqual(await store.txn([], [put('w/b')]), { succeeded: true, revision: 2 });
        await watcher.waitFor(2);
        assert.deepEqual(summary(watcher.events), ['put w/a @1', 'put w/b @2']);
        stopThrowing();
        watcher.stop();
      });

      it('keeps revision order for every watcher when a listener writes', async () => {
        const writer = store.watch('r/', (event) => {
          if (event.key === 'r/first') void store.txn([], [put('r/second')]);
        });
        const watcher = collect(store, 'r/');
        await store.txn([], [put('r/first')]);
        await watcher.waitFor(2);
        assert.deepEqual(summary(watcher.events), ['put r/first @1', 'put r/second @2']);
        writer();
        watcher.stop();
      });
    });

    describe('close', () => {
      it('is idempotent, and every later call fails', async () => {
        await store.txn([], [put('a')]);
        await store.close();
        await store.close();
        await assert.rejects(store.get('a'), isCofferError);
        await assert.rejects(store.range(''), isCofferError);
        await assert.rejects(store.txn([], [put('b')]), isCofferError);
        await assert.rejects(store.revision(), isCofferError);
        await assert.rejects(store.compact(0), isCofferError);
        await assert.rejects(store.grantLease(10), isCofferError);
        await assert.rejects(store.keepAliveLease('1'), isCofferError);
        await assert.rejects(store.leaseTimeToLive('1'), isCofferError);
        await assert.rejects(store.revokeLease('1'), isCofferError);
        assert.throws(() => store.watch('', () => undefined), isCofferError);
      });
    });
  });

  historyContract(name, open);
  leaseContract(name, open);
}
