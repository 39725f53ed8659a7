import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CryptoUseAudit } from '../src/audit/crypto-use.js';
import { UsageCounters } from '../src/audit/usage-counters.js';
import { Barrier, KEYRING_PATH } from '../src/barrier/barrier.js';
import { isCofferError } from '../src/errors/coffer-error.js';
import type { Session } from '../src/identity/sessions.js';
import { KeyRepository } from '../src/keys/key-repository.js';
import { KeyService } from '../src/keys/key-service.js';
import { AuditKeyCheckpoints } from '../src/audit/checkpoint-signer.js';
import { KeyUseGate } from '../src/keys/key-use-gate.js';
import { RecordReader } from '../src/records/record-reader.js';
import { RecordWriter } from '../src/records/record-writer.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { StateStore } from '../src/store/state-store.js';

/** A real store that refuses every transaction while `refuse` is set (a full disk, a lost etcd quorum). */
function refusing(store: StateStore): StateStore & { refuse: boolean } {
  const wrapper = {
    refuse: false,
    get: store.get.bind(store),
    range: store.range.bind(store),
    watch: store.watch.bind(store),
    revision: store.revision.bind(store),
    compact: store.compact.bind(store),
    grantLease: store.grantLease.bind(store),
    keepAliveLease: store.keepAliveLease.bind(store),
    leaseTimeToLive: store.leaseTimeToLive.bind(store),
    revokeLease: store.revokeLease.bind(store),
    close: store.close.bind(store),
    txn: (...args: Parameters<StateStore['txn']>) =>
      wrapper.refuse ? Promise.reject(new Error('disk I/O error')) : store.txn(...args),
  };
  return wrapper;
}

const alice: Session = {
  id: 's1',
  username: 'alice',
  role: 'crypto-user',
  createdAt: Date.now(),
  lastUsedAt: Date.now(),
} as Session;

test('forced audit: when the event cannot be appended the change fails and nothing is written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-forced-'));
  const sqlite = await openSqliteStore(join(dir, 'state.db'));
  const store = refusing(sqlite);
  try {
    const rootKey = randomBytes(32);
    await store.txn(
      [{ key: KEYRING_PATH, modRevision: 0 }],
      [Barrier.initialKeyring(rootKey, { clusterId: 'c', mode: 'dev' }, new Date())],
    );
    const barrier = new Barrier(store);
    await barrier.unseal(rootKey);
    const reader = new RecordReader(store, barrier);
    const signer = new AuditKeyCheckpoints({ reader, barrier, nodeId: 'node-1' });
    const writer = new RecordWriter(store, barrier, 'node-1', undefined, { checkpoints: { every: 4, signer } });
    const repository = new KeyRepository(store, barrier, reader);
    const keys = new KeyService({ repository, writer });
    const gate = new KeyUseGate({ load: (handle) => repository.load(handle), aliases: repository.aliases, writer });
    const generate = () => keys.generateSymmetric(alice, { keyType: 'aes', lengthBytes: 32 }, { label: 'forced' });

    const kept = await generate();
    const revision = await store.revision();
    store.refuse = true;
    await assert.rejects(generate(), (error: unknown) => isCofferError(error, 'AUDIT_UNAVAILABLE'));
    const admitted = await gate.admit(alice, kept.handle, 'manage', { action: 'key.delete' });
    await assert.rejects(keys.delete(alice, admitted), (error: unknown) => isCofferError(error, 'AUDIT_UNAVAILABLE'));
    store.refuse = false;
    assert.equal(await store.revision(), revision, 'nothing was written');
    const listed = await keys.list(alice, {}, { limit: 100 });
    assert.deepEqual(
      listed.keys.map((key) => key.handle),
      [kept.handle],
      'no new key, and the old one is not deleted',
    );
    // The chain goes on without a gap.
    const next = await writer.commit({ event: { actor: 'a', action: 'test.after', result: 'success' } });
    assert.equal(next.seq, 3); // audit.key-create, key.generate, then this
  } finally {
    await sqlite.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('forced audit of crypto use: when the crypto.<op> event fails, the use fails and is not counted', async () => {
  const counted: string[] = [];
  const record = (handle: string): void => void counted.push(handle);
  const failing = { commit: () => Promise.reject(new Error('store down')) };
  const use = new CryptoUseAudit({ count: record }, failing, true);
  await assert.rejects(
    use.used({ actor: 'alice', operation: 'sign', handle: '0x1', mechanism: 'SHA256_HMAC' }),
    /store down/,
  );
  assert.equal(counted.length, 0);
  const quiet = new CryptoUseAudit({ count: record }, failing, false);
  await quiet.used({ actor: 'alice', operation: 'sign', handle: '0x1', mechanism: 'SHA256_HMAC' });
  assert.deepEqual(counted, ['0x1'], 'without logging, no write on the hot path: only counted');
});

test('usage counters kept in memory when a flush fails, written by the next', async () => {
  const commits: unknown[] = [];
  let fail = true;
  const counters = new UsageCounters({
    reader: { get: async () => undefined, page: async () => ({ records: [], more: false }) },
    writer: {
      commit: async (commit) => {
        if (fail) throw new Error('down');
        commits.push(commit);
        return {} as never;
      },
    },
    nodeId: 'n1',
  });
  counters.count('0x1', 'sign');
  counters.count('0x1', 'sign');
  await assert.rejects(counters.flush(), /down/);
  assert.equal((await counters.usageOf('0x1')).pending, 2);
  fail = false;
  await counters.flush();
  assert.equal(commits.length, 1);
  assert.equal((await counters.usageOf('0x1')).pending, 0);
});
