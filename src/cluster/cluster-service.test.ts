import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { ChainAtUnseal } from '../audit/chain-at-unseal.js';
import { Barrier, KEYRING_PATH } from '../barrier/barrier.js';
import { UnsealProgress } from '../barrier/unseal-progress.js';
import { RecordFreshness } from '../records/record-freshness.js';
import { RecordReader } from '../records/record-reader.js';
import { RecordWriter } from '../records/record-writer.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { ClusterService } from './cluster-service.js';

describe('the node while it unseals', () => {
  let dir: string;
  let store: SqliteStore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-unsealing-'));
    store = await openSqliteStore(join(dir, 'state.db'));
  });

  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers as sealed until the audit chain is verified and the unseal audited', async () => {
    const rootKey = randomBytes(32);
    await store.txn(
      [{ key: KEYRING_PATH, modRevision: 0 }],
      [Barrier.initialKeyring(rootKey, { clusterId: 'c', mode: 'dev' }, new Date())],
    );
    const barrier = new Barrier(store);
    const freshness = new RecordFreshness();
    const writer = new RecordWriter(store, barrier, 'node-1', undefined, { freshness });
    const chain = new ChainAtUnseal({ store, barrier, freshness });
    // The chain's genesis event, as init writes it.
    await barrier.unseal(Buffer.from(rootKey));
    freshness.load(new Map(), 0);
    await writer.commit({ event: { actor: 'system', action: 'cluster.init', result: 'success' } });
    barrier.seal();
    chain.clear();

    // The real check, held at a gate: the moments between the keyring opening and the chain checked.
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let verifying = false;
    const service = new ClusterService({
      info: { clusterId: 'c', nodeId: 'node-1', mode: 'dev', ca: 'cluster', version: 'test' },
      barrier,
      progress: new UnsealProgress(barrier, { threshold: 1, shares: 1 }),
      sessions: { closeAll: async () => undefined },
      reader: new RecordReader(store, barrier, freshness),
      writer,
      chain: {
        verify: async () => {
          verifying = true;
          await gate;
          await chain.verify();
        },
        clear: () => chain.clear(),
      },
      keys: { evictAll: () => undefined },
      logger: pino({ level: 'silent' }),
    });
    assert.equal(service.sealed, true);
    const unsealing = service.unsealWithRootKey(Buffer.from(rootKey), 'node-2');
    while (!verifying) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(barrier.sealed, false, 'the keyring is open');
    assert.equal(service.sealed, true, 'yet the node does not serve');
    assert.equal((await service.status()).sealed, true);
    release();
    await unsealing;
    assert.equal(service.sealed, false);
    service.sealLocally('test');
    assert.equal(service.sealed, true);
    rootKey.fill(0);
  });
});
