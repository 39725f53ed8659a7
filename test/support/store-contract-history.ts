/**
 * The StateStore contract, part two: history. A page read at an earlier revision, a listing
 * held at one revision while writes go on, a watch that starts from a revision (replay, then
 * live, nothing twice), and compaction: STORE_COMPACTED for ranges, a reset for watches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCofferError } from '../../src/errors/coffer-error.js';
import type { RangePage, StateStore } from '../../src/store/state-store.js';
import {
  collect,
  del,
  fill,
  freshStore,
  type OpenStore,
  put,
  rejectsInvalid,
  rejectsWith,
  summary,
} from './store-contract-helpers.js';

function keysAndValues(page: RangePage): string[] {
  return page.entries.map((entry) => `${entry.key}=${entry.value.toString()} @${entry.modRevision}`);
}

/** Pages through `prefix` at one revision: the first page's. */
async function listingAt(store: StateStore, prefix: string, limit: number, between: () => Promise<void>) {
  const first = await store.range(prefix, { limit });
  const entries = [...first.entries];
  let page = first;
  while (page.more) {
    await between();
    page = await store.range(prefix, { limit, after: entries.at(-1)?.key, revision: first.revision });
    assert.equal(page.revision, first.revision);
    entries.push(...page.entries);
  }
  return { revision: first.revision, entries };
}

export function historyContract(name: string, open: OpenStore): void {
  describe(`${name}: StateStore contract, history`, () => {
    const store = freshStore(open);

    describe('range at a revision', () => {
      it('reads a page as the store was at an earlier revision', async () => {
        await store().txn([], [put('k/a', 'a1')]);
        await store().txn([], [put('k/b', 'b1')]);
        await store().txn([], [put('k/a', 'a2')]);
        await store().txn([], [del('k/b')]);
        await store().txn([], [put('k/c', 'c1'), put('other', 'x')]);
        const at = async (revision: number) => store().range('k/', { revision });
        assert.deepEqual(keysAndValues(await at(0)), []);
        assert.deepEqual(keysAndValues(await at(1)), ['k/a=a1 @1']);
        assert.deepEqual(keysAndValues(await at(2)), ['k/a=a1 @1', 'k/b=b1 @2']);
        assert.deepEqual(keysAndValues(await at(3)), ['k/a=a2 @3', 'k/b=b1 @2']);
        assert.deepEqual(keysAndValues(await at(4)), ['k/a=a2 @3']);
        assert.deepEqual(keysAndValues(await at(5)), ['k/a=a2 @3', 'k/c=c1 @5']);
        assert.equal((await at(2)).revision, 2);
        const keysOnly = await store().range('k/', { revision: 2, keysOnly: true });
        assert.deepEqual(keysOnly.entries, [
          { key: 'k/a', value: Buffer.alloc(0), createRevision: 1, modRevision: 1 },
          { key: 'k/b', value: Buffer.alloc(0), createRevision: 2, modRevision: 2 },
        ]);
      });

      it('holds a paged listing at the first page revision while writes go on', async () => {
        const keys = await fill(store(), 'l/', 25);
        let step = 0;
        const listing = await listingAt(store(), 'l/', 10, async () => {
          step++;
          // Deletes ahead of the cursor, a new key ahead of it, an update: none may show.
          await store().txn(
            [],
            [del(keys[12 + step]!), put(`l/${String(step).padStart(5, '0')}x`), put(keys[20]!, 'new')],
          );
        });
        assert.equal(step, 2);
        assert.deepEqual(
          listing.entries.map((entry) => entry.key),
          keys,
        );
        assert.deepEqual(listing.entries[20]?.value, Buffer.from(keys[20]!));
        assert.equal(listing.revision, 1);
      });

      it('refuses a revision beyond the current one, or not a non-negative integer', async () => {
        await store().txn([], [put('k/a')]);
        await rejectsInvalid(store().range('k/', { revision: 2 }));
        for (const revision of [-1, 1.5, Number.NaN]) await rejectsInvalid(store().range('k/', { revision }));
      });
    });

    describe('compaction', () => {
      it('fails a range below the compacted revision with STORE_COMPACTED, and serves one at it', async () => {
        for (let index = 0; index < 4; index++) await store().txn([], [put('k/a', `v${index}`)]);
        await store().compact(3);
        await rejectsWith(store().range('k/', { revision: 2 }), 'STORE_COMPACTED');
        assert.deepEqual(keysAndValues(await store().range('k/', { revision: 3 })), ['k/a=v2 @3']);
        assert.deepEqual(keysAndValues(await store().range('k/')), ['k/a=v3 @4']);
      });

      it('ignores a compaction to a revision already compacted, and refuses one beyond the current', async () => {
        await store().txn([], [put('k/a')]);
        await store().txn([], [put('k/b')]);
        await store().compact(2);
        await store().compact(1);
        await store().compact(2);
        await rejectsInvalid(store().compact(3));
        await rejectsInvalid(store().compact(-1));
        assert.equal(await store().revision(), 2);
      });
    });

    describe('watch from a revision', () => {
      it('replays the changes after fromRevision in revision and operation order, then the live ones', async () => {
        await store().txn([], [put('w/a', 'a1')]);
        await store().txn([], [put('w/a', 'a2'), put('x/a')]);
        await store().txn([], [del('w/a'), put('w/b', 'b1')]);
        const watcher = collect(store(), 'w/', { fromRevision: 1 });
        await store().txn([], [put('w/c', 'c1')]);
        await watcher.waitFor(4);
        assert.deepEqual(summary(watcher.events), ['put w/a @2', 'delete w/a @3', 'put w/b @3', 'put w/c @4']);
        assert.deepEqual(
          watcher.events.map((event) => event.value.toString()),
          ['a2', '', 'b1', 'c1'],
        );
        assert.deepEqual(watcher.resets, []);
        watcher.stop();
      });

      it('replays everything from revision 0 and nothing from the current revision', async () => {
        await store().txn([], [put('w/a', 'a1')]);
        await store().txn([], [put('w/a', 'a2')]);
        const all = collect(store(), 'w/', { fromRevision: 0 });
        const none = collect(store(), 'w/', { fromRevision: 2 });
        await store().txn([], [put('w/marker')]);
        await all.waitFor(3);
        await none.waitFor(1);
        assert.deepEqual(summary(all.events), ['put w/a @1', 'put w/a @2', 'put w/marker @3']);
        assert.deepEqual(all.events[0]?.value, Buffer.from('a1'));
        assert.deepEqual(summary(none.events), ['put w/marker @3']);
        all.stop();
        none.stop();
      });

      it('skips the changes up to a fromRevision beyond the current one', async () => {
        await store().txn([], [put('w/a')]);
        const watcher = collect(store(), 'w/', { fromRevision: 3 });
        await store().txn([], [put('w/b')]);
        await store().txn([], [put('w/c')]);
        await store().txn([], [put('w/d')]);
        await watcher.waitFor(1);
        assert.deepEqual(summary(watcher.events), ['put w/d @4']);
        watcher.stop();
      });

      it('resets a watch from a compacted revision, then delivers the changes after the reset revision', async () => {
        for (let index = 0; index < 4; index++) await store().txn([], [put(`w/${index}`)]);
        await store().compact(4);
        const watcher = collect(store(), 'w/', { fromRevision: 1 });
        await store().txn([], [put('w/after')]);
        await watcher.waitFor(1);
        assert.deepEqual(watcher.resets, [{ revision: 4 }]);
        assert.deepEqual(summary(watcher.events), ['put w/after @5']);
        // The reset revision is readable: a cache reloads there and applies the events after it.
        assert.equal((await store().range('w/', { revision: 4 })).entries.length, 4);
        watcher.stop();
      });

      it('refuses a fromRevision that is not a non-negative integer', () => {
        for (const fromRevision of [-1, 1.5, Number.NaN]) {
          assert.throws(
            () => store().watch('w/', () => undefined, { fromRevision }),
            (error: unknown) => isCofferError(error, 'INVALID_FIELD'),
          );
        }
      });
    });
  });
}
