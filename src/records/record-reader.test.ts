import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isCofferError } from '../errors/coffer-error.js';
import type { StateStore, StoredEntry } from '../store/state-store.js';
import { openTestStore, type TestStore } from '../../test/support/test-store.js';
import { RecordReader } from './record-reader.js';

describe('RecordReader.getDecoded: the store read every time, the open spared for unchanged bytes', () => {
  let t: TestStore;
  let opened: number;
  const decode = (plaintext: Buffer): string => {
    opened++;
    return plaintext.toString('utf8');
  };
  beforeEach(async () => {
    t = await openTestStore('coffer-reader-');
    opened = 0;
  });
  afterEach(() => t.close());

  const put = (path: string, text: string) =>
    t.writer.commit({
      changes: [{ type: 'put', path, kind: 'session', plaintext: Buffer.from(text) }],
      event: { actor: 'system', action: 'test.put', result: 'success' },
    });
  const refused = (code: 'INTEGRITY_ERROR' | 'NODE_SEALED') => (error: unknown) => isCofferError(error, code);

  test('unchanged bytes are not opened again; a change, a deletion, another kind or decoder are', async () => {
    await put('session/a', 'first');
    assert.equal((await t.reader.getDecoded('session/a', 'session', decode))?.value, 'first');
    assert.equal((await t.reader.getDecoded('session/a', 'session', decode))?.value, 'first');
    assert.equal(opened, 1, 'read twice, opened once');
    await assert.rejects(t.reader.getDecoded('session/a', 'challenge', decode), refused('INTEGRITY_ERROR'));
    const other = (plaintext: Buffer) => plaintext.length;
    assert.equal((await t.reader.getDecoded('session/a', 'session', other))?.value, 5, 'another decoder opens');
    await put('session/a', 'second');
    assert.equal((await t.reader.getDecoded('session/a', 'session', decode))?.value, 'second');
    assert.equal(opened, 2);
    await t.writer.commit({
      changes: [{ type: 'delete', path: 'session/a' }],
      event: { actor: 'system', action: 'test.delete', result: 'success' },
    });
    assert.equal(await t.reader.getDecoded('session/a', 'session', decode), undefined, 'the store says: gone');
  });

  test('bytes moved to another path are opened there, and refused', async () => {
    await put('session/a', 'alice');
    await t.reader.getDecoded('session/a', 'session', decode);
    const entry = await t.store.get('session/a');
    await t.store.txn([], [{ type: 'put', key: 'session/b', value: entry!.value }]);
    await assert.rejects(t.reader.getDecoded('session/b', 'session', decode), refused('INTEGRITY_ERROR'));
  });

  test('an older sealed value put back is refused, even one this reader opened before', async () => {
    await put('session/a', 'old');
    await t.reader.getDecoded('session/a', 'session', decode);
    const old = await t.store.get('session/a');
    await put('session/a', 'new');
    await t.store.txn([], [{ type: 'put', key: 'session/a', value: old!.value }]);
    await assert.rejects(t.reader.getDecoded('session/a', 'session', decode), refused('INTEGRITY_ERROR'));
  });

  test('a sealed barrier refuses a kept value too; forgetDecoded drops them all', async () => {
    await put('session/a', 'value');
    await t.reader.getDecoded('session/a', 'session', decode);
    t.reader.forgetDecoded();
    await t.reader.getDecoded('session/a', 'session', decode);
    assert.equal(opened, 2, 'opened again after forgetDecoded');
    t.barrier.seal();
    await assert.rejects(t.reader.getDecoded('session/a', 'session', decode), refused('NODE_SEALED'));
  });
});

describe('RecordReader: a read under way while this node commits the same path', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore('coffer-reader-race-');
  });
  afterEach(() => t.close());

  const put = (path: string, text: string) =>
    t.writer.commit({
      changes: [{ type: 'put', path, kind: 'session', plaintext: Buffer.from(text) }],
      event: { actor: 'system', action: 'test.put', result: 'success' },
    });
  const text = (plaintext: Buffer): string => plaintext.toString('utf8');

  /**
   * The test's store, whose first get() of a path answers and is then held until `release`:
   * its answer reaches the reader after a commit made meanwhile, as an etcd read in flight does.
   */
  function heldFirstRead(): { store: StateStore; answered: Promise<void>; release: () => void } {
    let release!: () => void;
    let answered!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const answeredOnce = new Promise<void>((resolve) => (answered = resolve));
    let held = false;
    const store = new Proxy(t.store, {
      get(target, property) {
        if (property === 'get')
          return async (path: string): Promise<StoredEntry | undefined> => {
            const entry = await target.get(path);
            if (!held) {
              held = true;
              answered();
              await gate;
            }
            return entry;
          };
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    return { store, answered: answeredOnce, release };
  }

  test('an answer from before the commit is read again, not refused as a rollback', async () => {
    await put('session/a', 'old');
    const held = heldFirstRead();
    const reader = new RecordReader(held.store, t.barrier, t.freshness);
    const reading = reader.getDecoded('session/a', 'session', text);
    await held.answered;
    await put('session/a', 'new');
    held.release();
    assert.equal((await reading)?.value, 'new');
  });

  test('a deletion committed meanwhile: read again, and gone', async () => {
    await put('session/a', 'old');
    const held = heldFirstRead();
    const reader = new RecordReader(held.store, t.barrier, t.freshness);
    const reading = reader.get('session/a', 'session');
    await held.answered;
    await t.writer.commit({
      changes: [{ type: 'delete', path: 'session/a' }],
      event: { actor: 'system', action: 'test.delete', result: 'success' },
    });
    held.release();
    assert.equal(await reading, undefined);
  });

  test('the older value put back meanwhile is still refused on the second read', async () => {
    await put('session/a', 'old');
    const old = await t.store.get('session/a');
    const held = heldFirstRead();
    const reader = new RecordReader(held.store, t.barrier, t.freshness);
    const reading = reader.getDecoded('session/a', 'session', text);
    await held.answered;
    await put('session/a', 'new');
    await t.store.txn([], [{ type: 'put', key: 'session/a', value: old!.value }]);
    held.release();
    await assert.rejects(reading, (error: unknown) => isCofferError(error, 'INTEGRITY_ERROR'));
  });
});
