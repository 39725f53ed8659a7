import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { isCofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import { AUDIT_EVENT_PREFIX, AUDIT_HEAD_PATH, auditEventPath } from '../records/audit-chain.js';
import { RecordFreshness } from '../records/record-freshness.js';
import { RecordReader } from '../records/record-reader.js';
import { openTestStore, type TestStore } from '../../test/support/test-store.js';
import type { Operation } from '../store/state-store.js';
import { ChainAtUnseal } from './chain-at-unseal.js';
import { checkpointPath } from './checkpoint.js';

describe('the chain check at unseal', () => {
  let s: TestStore;
  const put = (path: string, value: string) =>
    s.writer.commit({
      changes: [{ type: 'put', path, kind: 'user', plaintext: Buffer.from(value) }],
      event: { actor: 'a', action: 'user.update', result: 'success' },
    });
  const raw = async (key: string) => (await s.store.get(key))!.value;
  const restore = (key: string, value: Buffer): Promise<unknown> => s.store.txn([], [{ type: 'put', key, value }]);
  const remove = (...keys: string[]): Promise<unknown> =>
    s.store.txn(
      [],
      keys.map((key): Operation => ({ type: 'delete', key })),
    );
  /** What a node does at unseal: verify, then read through a reader with the map it built. */
  const unseal = async () => {
    const freshness = new RecordFreshness();
    await new ChainAtUnseal({ store: s.store, barrier: s.barrier, freshness }).verify();
    return new RecordReader(s.store, s.barrier, freshness);
  };
  const refusedWith = async (code: ErrorCode) =>
    assert.rejects(unseal(), (error: unknown) => isCofferError(error, code));

  beforeEach(async () => {
    s = await openTestStore('coffer-chain-');
    await put('user/alice', 'v1');
    await put('user/bob', 'b1');
    await put('user/alice', 'v2');
  });
  afterEach(() => s.close());

  test('events and records another node writes while the check runs are not past the head', async () => {
    let appended = false;
    const store: ConstructorParameters<typeof ChainAtUnseal>[0]['store'] = {
      get: (key) => s.store.get(key),
      async range(prefix, options) {
        const page = await s.store.range(prefix, options);
        // Another node commits right after the head was read, before the walk.
        if (!appended && prefix === AUDIT_HEAD_PATH) {
          appended = true;
          await put('user/carol', 'c1');
        }
        return page;
      },
    };
    await new ChainAtUnseal({ store, barrier: s.barrier, freshness: new RecordFreshness() }).verify();
    assert.ok(appended);
    await unseal();
  });

  test('an intact chain verifies; the map it builds refuses an older value and a deleted record', async () => {
    const v2 = await raw('user/alice');
    const bob = await raw('user/bob');
    await s.writer.commit({
      changes: [{ type: 'delete', path: 'user/bob' }],
      event: { actor: 'a', action: 'user.delete', result: 'success' },
    });
    await put('user/alice', 'v3');
    const reader = await unseal();
    assert.equal((await reader.get('user/alice', 'user'))!.plaintext.toString(), 'v3');
    await restore('user/alice', v2);
    await restore('user/bob', bob);
    const reread = await unseal();
    for (const path of ['user/alice', 'user/bob'])
      await assert.rejects(reread.get(path, 'user'), (error: unknown) => isCofferError(error, 'INTEGRITY_ERROR'));
  });

  test('no head: AUDIT_HEAD_MISSING', async () => {
    await remove(AUDIT_HEAD_PATH);
    await refusedWith('AUDIT_HEAD_MISSING');
  });

  test('an older head put back over newer events: AUDIT_HEAD_STALE', async () => {
    const head = await raw(AUDIT_HEAD_PATH);
    await put('user/carol', 'c1');
    await restore(AUDIT_HEAD_PATH, head);
    await refusedWith('AUDIT_HEAD_STALE');
  });

  test('the newer events deleted too: the records they wrote still show the head is stale', async () => {
    const head = await raw(AUDIT_HEAD_PATH);
    const { seq } = await put('user/alice', 'v3');
    await remove(auditEventPath(seq));
    await restore(AUDIT_HEAD_PATH, head);
    await refusedWith('AUDIT_HEAD_STALE');
  });

  test('a checkpoint past the head: AUDIT_HEAD_STALE', async () => {
    const head = await raw(AUDIT_HEAD_PATH);
    const { seq } = await put('user/carol', 'c1');
    await restore(checkpointPath(seq), await raw(auditEventPath(seq)));
    await remove(auditEventPath(seq), 'user/carol');
    await restore(AUDIT_HEAD_PATH, head);
    await refusedWith('AUDIT_HEAD_STALE');
  });

  test('an event missing in the middle, or the newest while the head stays: AUDIT_CHAIN_BROKEN', async () => {
    const second = await raw(auditEventPath(2));
    await remove(auditEventPath(2));
    await refusedWith('AUDIT_CHAIN_BROKEN');
    await restore(auditEventPath(2), second);
    await unseal();
    const last = (await s.store.range(AUDIT_EVENT_PREFIX, { limit: 1000 })).entries.at(-1)!.key;
    await remove(last);
    await refusedWith('AUDIT_CHAIN_BROKEN');
  });
});
