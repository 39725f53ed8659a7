import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { keyTestEnv, type KeyTestEnv } from '../../test/support/key-test-env.js';
import { isCofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { RecordReader } from '../records/record-reader.js';
import { KeyRepository, keyPath } from './key-repository.js';

describe('KeyRepository cache', () => {
  let env: KeyTestEnv;
  let alice: Session;

  before(async () => {
    env = await keyTestEnv();
    alice = await env.user('alice');
  });
  after(() => env.close());

  test('a change committed while a load reads does not leave the older record cached', async () => {
    const key = await env.aes(alice, 'racy');
    let raced = false;
    // A reader that lets a disable commit between the read of the record and its insert in the cache.
    const racingReader: Pick<RecordReader, 'get' | 'keys'> = {
      get: async (path, kind) => {
        const opened = await env.reader.get(path, kind);
        if (!raced && path === keyPath(key.handle)) {
          raced = true;
          await env.attributes.set(alice, key.handle, { attributes: { encrypt: false } });
        }
        return opened;
      },
      keys: (prefix, options) => env.reader.keys(prefix, options),
    };
    const repository = new KeyRepository(env.store, env.barrier, racingReader);
    try {
      const first = await repository.load(key.handle);
      assert.equal(first?.record.attributes.encrypt, true, 'the load that raced saw the record it read');
      const second = await repository.load(key.handle);
      assert.equal(second?.record.attributes.encrypt, false, 'the next load reads the change, not a stale cache');
    } finally {
      repository.close();
    }
  });

  test('a listing leaves out a record that fails to open and lists the rest', async () => {
    const good = await env.aes(alice, 'listed');
    const bad = await env.aes(alice, 'listed');
    const sealed = await env.store.get(keyPath(good.handle));
    assert.ok(sealed);
    // Another record's sealed value at this path: a swap the barrier refuses.
    const swapped = await env.store.get(keyPath(bad.handle));
    assert.ok(swapped);
    await env.store.txn([], [{ type: 'put', key: keyPath(bad.handle), value: sealed.value }]);
    env.repository.evictAll();
    const page = await env.keys.list(alice, { label: 'listed' }, { limit: 10 });
    assert.deepEqual(
      page.keys.map((record) => record.handle),
      [good.handle],
    );
    await assert.rejects(env.keys.get(alice, bad.handle), (error: unknown) => isCofferError(error, 'INTEGRITY_ERROR'));
  });
});
