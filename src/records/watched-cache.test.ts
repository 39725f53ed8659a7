import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { openSqliteStore } from '../store/sqlite-store.js';
import { WatchedCache } from './watched-cache.js';

describe('WatchedCache', () => {
  test('serves repeated reads from memory and reloads after a change under its prefix', async () => {
    const root = await mkdtemp(join(tmpdir(), 'coffer-cache-'));
    const store = await openSqliteStore(join(root, 'store.db'));
    try {
      let loads = 0;
      const read = async (key: string): Promise<string> => {
        loads++;
        return (await store.get(key))?.value.toString() ?? 'absent';
      };
      const cache = new WatchedCache(store, 'q/', read);
      await store.txn([], [{ type: 'put', key: 'q/a', value: Buffer.from('one') }]);
      assert.equal(await cache.get('q/a'), 'one');
      assert.equal(await cache.get('q/a'), 'one');
      assert.equal(loads, 1);
      await store.txn([], [{ type: 'put', key: 'q/a', value: Buffer.from('two') }]);
      await tick();
      assert.equal(await cache.get('q/a'), 'two');
      assert.equal(loads, 2);
      await store.txn([], [{ type: 'put', key: 'other/a', value: Buffer.from('x') }]);
      await tick();
      assert.equal(await cache.get('q/a'), 'two');
      assert.equal(loads, 2, 'a change elsewhere evicts nothing');
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  test('a load that raced with a change is not cached', async () => {
    const root = await mkdtemp(join(tmpdir(), 'coffer-cache-'));
    const store = await openSqliteStore(join(root, 'store.db'));
    try {
      let value = 'old';
      let release: () => void = () => undefined;
      const slow = (): Promise<string> => new Promise((resolve) => (release = () => resolve(value)));
      const cache = new WatchedCache(store, 'q/', slow);
      const pending = cache.get('q/a');
      await store.txn([], [{ type: 'put', key: 'q/a', value: Buffer.from('new') }]);
      await tick();
      release();
      assert.equal(await pending, 'old');
      value = 'new';
      const next = cache.get('q/a');
      release();
      assert.equal(await next, 'new', 'the raced value was not kept');
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
