import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Barrier, KEYRING_PATH } from '../../src/barrier/barrier.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { RecordReader } from '../../src/records/record-reader.js';
import { RecordWriter } from '../../src/records/record-writer.js';
import { RecordFreshness } from '../../src/records/record-freshness.js';

/**
 * For unit tests: a real SQLite store in a temporary directory with a fresh keyring, an
 * unsealed barrier, and the reader and writer over them — what a node has after unseal.
 */
export interface TestStore {
  readonly dir: string;
  readonly store: SqliteStore;
  readonly barrier: Barrier;
  readonly reader: RecordReader;
  readonly writer: RecordWriter;
  /** The freshness map the reader and writer share. */
  readonly freshness: RecordFreshness;
  /** Closes the store and removes the directory. */
  close(): Promise<void>;
}

export async function openTestStore(prefix = 'coffer-test-'): Promise<TestStore> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const store = await openSqliteStore(join(dir, 'state.db'));
  const rootKey = randomBytes(32);
  const created = await store.txn(
    [{ key: KEYRING_PATH, modRevision: 0 }],
    [Barrier.initialKeyring(rootKey, { clusterId: 'c', mode: 'dev' }, new Date())],
  );
  if (!created.succeeded) throw new Error('the test store already holds a keyring');
  const barrier = new Barrier(store);
  await barrier.unseal(rootKey);
  rootKey.fill(0);
  // A new store has no chain yet: nothing to walk, every record is written from here on.
  const freshness = new RecordFreshness();
  freshness.load(new Map(), 0);
  return {
    dir,
    store,
    barrier,
    freshness,
    reader: new RecordReader(store, barrier, freshness),
    writer: new RecordWriter(store, barrier, 'node-1', undefined, { freshness }),
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
