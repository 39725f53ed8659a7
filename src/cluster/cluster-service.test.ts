import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { ChainAtUnseal } from '../audit/chain-at-unseal.js';
import { Barrier, KEYRING_PATH } from '../barrier/barrier.js';
import { UnsealProgress } from '../barrier/unseal-progress.js';
import { CofferError } from '../errors/coffer-error.js';
import { RecordFreshness } from '../records/record-freshness.js';
import { RecordReader } from '../records/record-reader.js';
import { RecordWriter, type Commit } from '../records/record-writer.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { ClusterService } from './cluster-service.js';

describe('the node while it unseals', () => {
  let dir: string;
  let store: SqliteStore;
  let rootKey: Buffer;
  let barrier: Barrier;
  let service: ClusterService;
  /** Held by `hold()`: the real chain check waits for `release`. */
  let gate: Promise<void> = Promise.resolve();
  let release = (): void => undefined;
  let verifying = false;
  /** Set to make the next audit commit of `cluster.unseal` fail. */
  let failUnsealAudit = false;
  /** Set to hold the next `cluster.unseal` commit's answer (written already) until `answer`. */
  let holdUnsealAnswer: Promise<void> | undefined;
  let answer = (): void => undefined;
  let answerHeld = false;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-unsealing-'));
    store = await openSqliteStore(join(dir, 'state.db'));
    rootKey = randomBytes(32);
    await store.txn(
      [{ key: KEYRING_PATH, modRevision: 0 }],
      [Barrier.initialKeyring(rootKey, { clusterId: 'c', mode: 'dev' }, new Date())],
    );
    barrier = new Barrier(store);
    const freshness = new RecordFreshness();
    const writer = new RecordWriter(store, barrier, 'node-1', undefined, { freshness });
    const chain = new ChainAtUnseal({ store, barrier, freshness });
    // The chain's genesis event, as init writes it.
    await barrier.unseal(Buffer.from(rootKey));
    freshness.load(new Map(), 0);
    await writer.commit({ event: { actor: 'system', action: 'cluster.init', result: 'success' } });
    barrier.seal();
    chain.clear();
    verifying = false;
    failUnsealAudit = false;
    holdUnsealAnswer = undefined;
    answerHeld = false;
    gate = Promise.resolve();
    service = new ClusterService({
      info: { clusterId: 'c', nodeId: 'node-1', mode: 'dev', ca: 'cluster', version: 'test' },
      barrier,
      progress: new UnsealProgress(barrier, { threshold: 1, shares: 1 }),
      sessions: { closeAll: async () => undefined },
      reader: new RecordReader(store, barrier, freshness),
      writer: {
        commit: (commit: Commit) => {
          if (failUnsealAudit && commit.event.action === 'cluster.unseal') {
            failUnsealAudit = false;
            return Promise.reject(new CofferError('STORE_TIMEOUT'));
          }
          const held = commit.event.action === 'cluster.unseal' ? holdUnsealAnswer : undefined;
          holdUnsealAnswer = undefined;
          if (!held) return writer.commit(commit);
          return writer.commit(commit).then(async (done) => {
            answerHeld = true;
            await held;
            return done;
          });
        },
      },
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
  });

  afterEach(async () => {
    rootKey.fill(0);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The real check, held at a gate: the moments between the keyring opening and the chain checked. */
  function hold(): void {
    gate = new Promise<void>((resolve) => (release = resolve));
  }

  async function whileVerifying(): Promise<void> {
    while (!verifying) await new Promise((resolve) => setImmediate(resolve));
  }

  it('answers as sealed until the audit chain is verified and the unseal audited', async () => {
    hold();
    assert.equal(service.sealed, true);
    const unsealing = service.unsealWithRootKey(Buffer.from(rootKey), 'node-2');
    await whileVerifying();
    assert.equal(barrier.sealed, false, 'the keyring is open');
    assert.equal(service.sealed, true, 'yet the node does not serve');
    assert.equal((await service.status()).sealed, true);
    release();
    await unsealing;
    assert.equal(service.sealed, false);
    service.sealLocally('test');
    assert.equal(service.sealed, true);
  });

  it('an unseal whose audit event cannot be written seals again, and a later one serves', async () => {
    failUnsealAudit = true;
    await assert.rejects(service.unsealWithRootKey(Buffer.from(rootKey), 'node-2'), { code: 'STORE_TIMEOUT' });
    assert.equal(barrier.sealed, true, 'the keyring is closed again: no root key left in memory');
    assert.equal(service.sealed, true);
    await service.unsealWithRootKey(Buffer.from(rootKey), 'node-2');
    assert.equal(service.sealed, false);
  });

  it('a seal that comes while an unseal is under way wins: the node does not serve', async () => {
    // The unseal's audit event is written, its answer not back yet, when a revocation seals.
    holdUnsealAnswer = new Promise<void>((resolve) => (answer = resolve));
    const unsealing = service.unsealWithRootKey(Buffer.from(rootKey), 'node-2');
    while (!answerHeld) await new Promise((resolve) => setImmediate(resolve));
    service.sealLocally('the node was removed');
    answer();
    await assert.rejects(unsealing, { code: 'NODE_SEALED' });
    assert.equal(barrier.sealed, true);
    assert.equal(service.sealed, true);
    // No serving flag was left behind: the next keyring opening does not serve before its check.
    hold();
    verifying = false;
    const next = service.unsealWithRootKey(Buffer.from(rootKey), 'node-2');
    await whileVerifying();
    assert.equal(barrier.sealed, false);
    assert.equal(service.sealed, true, 'not serving before the chain is checked');
    release();
    await next;
    assert.equal(service.sealed, false);
  });
});
