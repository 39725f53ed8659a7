import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Barrier, KEYRING_PATH } from '../barrier/barrier.js';
import { RecordReader } from '../records/record-reader.js';
import { RecordWriter } from '../records/record-writer.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { AUDIT_KEY_PATH } from './audit-key.js';
import { AuditService } from './audit-service.js';
import { AuditKeyCheckpoints } from './checkpoint-signer.js';
import { AUDIT_CHECKPOINT_PREFIX, checkpointSignatureValid, type Checkpoint } from './checkpoint.js';
import { verifyExport } from './verify.js';

describe('checkpoints in the RecordWriter', () => {
  let dir: string;
  let store: SqliteStore;
  let barrier: Barrier;
  let reader: RecordReader;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-checkpoints-'));
    store = await openSqliteStore(join(dir, 'state.db'));
    const rootKey = randomBytes(32);
    await store.txn(
      [{ key: KEYRING_PATH, modRevision: 0 }],
      [Barrier.initialKeyring(rootKey, { clusterId: 'cluster-1', mode: 'dev' }, new Date())],
    );
    barrier = new Barrier(store);
    await barrier.unseal(rootKey);
    reader = new RecordReader(store, barrier);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const checkpoints = async (): Promise<Checkpoint[]> =>
    (await reader.page(AUDIT_CHECKPOINT_PREFIX, 'audit-checkpoint', { limit: 1000 })).records.map(
      (record) => JSON.parse(record.plaintext.toString()) as Checkpoint,
    );
  /** A writer signing every `every` events, and its signer (the audit key's holder). */
  const signing = (nodeId: string, every: number) => {
    const signer = new AuditKeyCheckpoints({ reader, barrier, nodeId });
    return { signer, writer: new RecordWriter(store, barrier, nodeId, undefined, { checkpoints: { every, signer } }) };
  };
  const event = (action = 'test.event') => ({ event: { actor: 'a', action, result: 'success' as const } });

  test('without checkpoints: no audit key, no checkpoints (as at cluster init)', async () => {
    const writer = new RecordWriter(store, barrier, 'n1');
    for (let i = 0; i < 10; i++) await writer.commit(event());
    assert.equal(await store.get(AUDIT_KEY_PATH), undefined);
    assert.deepEqual(await checkpoints(), []);
  });

  test('the key is made once, lazily and audited; a checkpoint lands each time N is crossed', async () => {
    const { writer, signer } = signing('n1', 4);
    for (let i = 0; i < 9; i++) await writer.commit(event());
    const made = await checkpoints();
    assert.deepEqual(
      made.map((checkpoint) => checkpoint.seq),
      [4, 8],
    );
    const key = signer.currentKey!;
    for (const checkpoint of made) {
      assert.equal(checkpoint.clusterId, 'cluster-1');
      assert.equal(checkpoint.publicKey, key.publicKey);
      assert.ok(checkpointSignatureValid(checkpoint, key.publicKey));
      assert.ok(!checkpointSignatureValid({ ...checkpoint, seq: checkpoint.seq + 1 }, key.publicKey));
    }
    const service = new AuditService({ clusterId: 'cluster-1', reader, writer, signer });
    const first = (await service.list(0, 1)).events[0]!;
    assert.equal(first.action, 'audit.key-create');
    // A second writer (another node) uses the same key.
    const other = signing('n2', 4);
    await other.writer.commit(event());
    assert.equal(other.signer.currentKey?.keyId, key.keyId);
    assert.equal((await service.list(0, 100, { action: 'audit.key-create' })).events.length, 1);
  });

  test('a group commit crossing N carries its checkpoint at the group end; on request too', async () => {
    const { writer, signer } = signing('n1', 8);
    await writer.commit(event());
    const group = await Promise.all(Array.from({ length: 20 }, () => writer.commit(event())));
    const seqs = (await checkpoints()).map((checkpoint) => checkpoint.seq);
    // One transaction may cross several multiples of N: one checkpoint, at the end of that transaction.
    assert.ok(seqs.length >= 1);
    assert.equal(seqs.at(-1), group.at(-1)!.seq);
    for (const seq of seqs) assert.ok(group.some((committed) => committed.seq === seq));
    const asked = await writer.commit({ ...event('audit.checkpoint'), checkpoint: true });
    assert.ok((await checkpoints()).some((checkpoint) => checkpoint.seq === asked.seq));
    const service = new AuditService({ clusterId: 'cluster-1', reader, writer, signer });
    const page = await service.export(0, 1000);
    assert.equal(verifyExport(page.lines.join('\n')).ok, true);
  });

  test('sealed: the key is dropped and loaded again after unseal', async () => {
    const { writer, signer } = signing('n1', 4);
    await writer.commit(event());
    const current = () => signer.currentKey;
    const keyId = current()?.keyId;
    assert.ok(keyId);
    signer.forget();
    assert.equal(current(), undefined);
    await writer.commit(event());
    assert.equal(current()?.keyId, keyId);
  });
});
