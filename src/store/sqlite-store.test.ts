import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { isCofferError } from '../errors/coffer-error.js';
import { SCHEMA_VERSION } from './sqlite-schema.js';
import { INDEXED_SQL, RANGE_SHAPES, rangeSql, replaySql, SQL } from './sqlite-statements.js';
import { openSqliteStore, openSqliteStoreOver } from './sqlite-store.js';
import { SqliteWriter } from './sqlite-writer.js';
import { stateStoreContract } from '../../test/support/store-contract.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The child runs as this file does: compiled (.js) under make test, or through tsx (.ts).
const HERE = fileURLToPath(import.meta.url);
const CRASH_CHILD = join(dirname(HERE), `sqlite-crash-child${extname(HERE)}`);
const CHILD_LOADER = extname(HERE) === '.ts' ? ['--import', 'tsx'] : [];

async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-store-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Another connection to the file that holds its write lock, as a second process could. */
function holdWriteLock(path: string): { release: () => void } {
  const raw = new Database(path);
  raw.exec('BEGIN IMMEDIATE');
  return {
    release: () => {
      raw.exec('ROLLBACK');
      raw.close();
    },
  };
}

/** Whether the promise settled within a few turns of the event loop (and a timer). */
async function settledSoon(promise: Promise<unknown>, ms = 100): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  return settled;
}

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

stateStoreContract('SqliteStore', async () => {
  const { dir, remove } = await tempDir();
  // The contract makes a listener throw on purpose; keep the test output free of warnings.
  const store = await openSqliteStore(join(dir, 'state.db'), { onListenerError: () => undefined });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await remove();
    },
  };
});

describe('SqliteStore specifics', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let counter = 0;
  const freshPath = () => join(dir, `store-${++counter}.db`);

  before(async () => {
    ({ dir, remove } = await tempDir());
  });

  after(async () => {
    await remove();
  });

  it('runs in WAL mode with synchronous=FULL and a busy timeout', async () => {
    const store = await openSqliteStore(freshPath(), { busyTimeoutMs: 1234 });
    try {
      assert.deepEqual(store.settings(), { journalMode: 'wal', synchronous: 'FULL', busyTimeoutMs: 1234 });
    } finally {
      await store.close();
    }
  });

  it('creates the database and its -wal and -shm files owner-only, whatever the umask', async () => {
    const path = freshPath();
    const previous = process.umask(0);
    try {
      const store = await openSqliteStore(path);
      await store.txn([], [{ type: 'put', key: 'a', value: Buffer.from('v') }]);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) assert.equal(modeOf(file), 0o600, file);
      await store.close();
    } finally {
      process.umask(previous);
    }
  });

  it('tightens an existing database file that others could read', async () => {
    const path = freshPath();
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const store = await openSqliteStore(path);
    await store.close();
    assert.equal(modeOf(path), 0o600);
  });

  it('keeps data, revisions and the store revision across close and reopen', async () => {
    const path = freshPath();
    const first = await openSqliteStore(path);
    await first.txn([], [{ type: 'put', key: 'k/a', value: Buffer.from('one') }]);
    await first.txn([], [{ type: 'put', key: 'k/a', value: Buffer.from('two') }]);
    await first.txn([], [{ type: 'put', key: 'k/b', value: Buffer.from('three') }]);
    await first.close();

    const second = await openSqliteStore(path);
    try {
      assert.equal(await second.revision(), 3);
      assert.deepEqual(await second.get('k/a'), {
        key: 'k/a',
        value: Buffer.from('two'),
        createRevision: 1,
        modRevision: 2,
      });
      assert.deepEqual(await second.txn([], [{ type: 'delete', key: 'k/b' }]), { succeeded: true, revision: 4 });
    } finally {
      await second.close();
    }
  });

  it('records the schema version and refuses a file from a newer schema', async () => {
    const path = freshPath();
    await (await openSqliteStore(path)).close();
    const raw = new Database(path);
    try {
      assert.deepEqual(raw.prepare(`SELECT value FROM meta WHERE name = 'schema_version'`).get(), {
        value: SCHEMA_VERSION,
      });
      raw.prepare(`UPDATE meta SET value = ? WHERE name = 'schema_version'`).run(SCHEMA_VERSION + 1);
    } finally {
      raw.close();
    }
    await assert.rejects(openSqliteStore(path), (error: unknown) => isCofferError(error, 'INTERNAL_ERROR'));
  });

  it('gives a lease found at open its full TTL again, then expires it unless renewed', async () => {
    const path = freshPath();
    const first = await openSqliteStore(path);
    const lease = await first.grantLease(1);
    await first.txn([], [{ type: 'put', key: 'node/a', value: Buffer.from('here'), lease: lease.id }]);
    await first.close();
    // Down for longer than the TTL: like etcd after a leader change, the TTL starts again at open.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await openSqliteStore(path);
    try {
      assert.ok(await second.get('node/a'));
      assert.ok((await second.leaseTimeToLive(lease.id)) !== undefined);
      const deadline = Date.now() + 5000;
      while ((await second.get('node/a')) !== undefined) {
        assert.ok(Date.now() < deadline, 'the lease expired at its TTL after the reopen');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(await second.leaseTimeToLive(lease.id), undefined);
    } finally {
      await second.close();
    }
  });

  it('keeps the last historyRevisions of history and compacts what falls out', async () => {
    const store = await openSqliteStore(freshPath(), { historyRevisions: 10 });
    try {
      for (let index = 1; index <= 30; index++) {
        await store.txn([], [{ type: 'put', key: 'h/a', value: Buffer.from(String(index)) }]);
      }
      await assert.rejects(store.range('h/', { revision: 19 }), (error: unknown) =>
        isCofferError(error, 'STORE_COMPACTED'),
      );
      assert.deepEqual((await store.range('h/', { revision: 20 })).entries[0]?.value, Buffer.from('20'));
      const replayed: number[] = [];
      const resets: number[] = [];
      const stop = store.watch('h/', (event) => replayed.push(event.modRevision), {
        fromRevision: 20,
        onReset: (reset) => resets.push(reset.revision),
      });
      const reset = store.watch('h/', () => undefined, {
        fromRevision: 19,
        onReset: (later) => resets.push(later.revision),
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(
        replayed,
        Array.from({ length: 10 }, (_, index) => 21 + index),
      );
      assert.deepEqual(resets, [30]);
      stop();
      reset();
    } finally {
      await store.close();
    }
  });

  it('brings a file from before history forward, its earlier revisions counted as compacted', async () => {
    const path = freshPath();
    const raw = new Database(path);
    // Schema 1: the kv and meta tables only, at revision 2.
    raw.exec(`
      CREATE TABLE kv (key TEXT PRIMARY KEY NOT NULL, create_revision INTEGER NOT NULL,
        mod_revision INTEGER NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO meta (name, value) VALUES ('revision', 2), ('schema_version', 1);
      INSERT INTO kv VALUES ('k/a', 1, 2, x'6f6e65');
    `);
    raw.close();
    const store = await openSqliteStore(path);
    try {
      assert.deepEqual(await store.get('k/a'), {
        key: 'k/a',
        value: Buffer.from('one'),
        createRevision: 1,
        modRevision: 2,
      });
      await assert.rejects(store.range('k/', { revision: 1 }), (error: unknown) =>
        isCofferError(error, 'STORE_COMPACTED'),
      );
      const resets: number[] = [];
      store.watch('k/', () => undefined, { fromRevision: 0, onReset: (reset) => resets.push(reset.revision) });
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(resets, [2]);
      await store.txn([], [{ type: 'delete', key: 'k/a' }]);
      assert.deepEqual((await store.range('k/', { revision: 2 })).entries.length, 1);
    } finally {
      await store.close();
    }
  });

  it('reports a throwing listener to onListenerError', async () => {
    const reported: unknown[] = [];
    const store = await openSqliteStore(freshPath(), { onListenerError: (error) => reported.push(error) });
    try {
      store.watch('', () => {
        throw new Error('listener failure');
      });
      await store.txn([], [{ type: 'put', key: 'a', value: Buffer.from('v') }]);
      assert.equal(reported.length, 1);
      assert.ok(reported[0] instanceof Error && reported[0].message === 'listener failure');
    } finally {
      await store.close();
    }
  });

  it('keeps serving reads and timers while a commit waits on the disk', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path);
    try {
      await store.txn([], [{ type: 'put', key: 'k/a', value: Buffer.from('one') }]);
      const lock = holdWriteLock(path);
      // The commit waits for the lock on the writer thread; here the event loop goes on.
      const pending = store.txn([], [{ type: 'put', key: 'k/b', value: Buffer.from('two') }]);
      assert.equal(await settledSoon(pending), false);
      assert.deepEqual((await store.get('k/a'))?.value, Buffer.from('one'));
      assert.equal(await store.revision(), 1);
      assert.deepEqual((await store.range('k/')).entries.length, 1);
      lock.release();
      assert.deepEqual(await pending, { succeeded: true, revision: 2 });
      // Read-your-writes: once the txn resolved, this thread's reader sees it.
      assert.deepEqual((await store.get('k/b'))?.value, Buffer.from('two'));
    } finally {
      await store.close();
    }
  });

  it('refuses a commit that cannot get the lock in time with the SQLite code only', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path, { busyTimeoutMs: 50 });
    const lock = holdWriteLock(path);
    try {
      await assert.rejects(
        store.txn([], [{ type: 'put', key: 'k/secret-key-name', value: Buffer.from('sealed bytes') }]),
        (error: unknown) =>
          isCofferError(error, 'INTERNAL_ERROR') &&
          error.detail === 'state store failed (SQLITE_BUSY)' &&
          !error.message.includes('sealed bytes'),
      );
    } finally {
      lock.release();
      await store.close();
    }
    const reopened = await openSqliteStore(path);
    try {
      assert.equal(await reopened.revision(), 0);
    } finally {
      await reopened.close();
    }
  });

  it('lets close finish the writes in flight before it resolves', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path);
    const lock = holdWriteLock(path);
    const pending = store.txn([], [{ type: 'put', key: 'k/a', value: Buffer.from('one') }]);
    const closed = store.close();
    try {
      assert.equal(await settledSoon(closed), false);
      await assert.rejects(store.get('k/a'), (error: unknown) => isCofferError(error, 'INTERNAL_ERROR'));
    } finally {
      lock.release();
    }
    assert.deepEqual(await pending, { succeeded: true, revision: 1 });
    await closed;
    const reopened = await openSqliteStore(path);
    try {
      assert.deepEqual((await reopened.get('k/a'))?.value, Buffer.from('one'));
    } finally {
      await reopened.close();
    }
  });

  it('fails every pending and later call with STORE_UNAVAILABLE once the writer thread dies', async () => {
    const path = freshPath();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const { writer, ready } = await SqliteWriter.start({ path, busyTimeoutMs: 5000, historyRevisions: 100 });
    const store = await openSqliteStoreOver(writer, ready, path);
    const unavailable = (error: unknown) => isCofferError(error, 'STORE_UNAVAILABLE');
    try {
      await store.txn([], [{ type: 'put', key: 'k/a', value: Buffer.from('one') }]);
      const lock = holdWriteLock(path);
      const pending = store.txn([], [{ type: 'put', key: 'k/b', value: Buffer.from('two') }]);
      const ended = writer.terminate();
      // The thread ends once its SQLite call returns to JavaScript, that is when the lock is free.
      lock.release();
      await ended;
      await assert.rejects(pending, unavailable);
      await assert.rejects(store.txn([], [{ type: 'put', key: 'k/c', value: Buffer.from('x') }]), unavailable);
      await assert.rejects(store.get('k/a'), unavailable);
      await assert.rejects(store.range('k/'), unavailable);
      await assert.rejects(store.revision(), unavailable);
      await assert.rejects(store.grantLease(10), unavailable);
      await assert.rejects(store.compact(1), unavailable);
      assert.throws(() => store.watch('k/', () => undefined), unavailable);
      await new Promise((resolve) => setImmediate(resolve));
      const reported = warnings.filter((warning) => 'code' in warning && warning.code === 'COFFER_STORE_WRITER');
      assert.equal(reported.length, 1);
    } finally {
      process.off('warning', onWarning);
      await store.close();
    }
    // Nothing half-written: the txn the thread died in never committed.
    const reopened = await openSqliteStore(path);
    try {
      assert.equal(await reopened.revision(), 1);
    } finally {
      await reopened.close();
    }
  });

  it('keeps every acknowledged txn when the writing process is killed', async () => {
    const path = freshPath();
    const killAfter = 10;
    const child = spawn(process.execPath, [...CHILD_LOADER, CRASH_CHILD, path, '200'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    let acknowledged = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      acknowledged = Number(/^acknowledged (\d+)$/.exec(line)?.[1]);
      // Killed while later transactions are still being written, as a crash would be.
      if (acknowledged >= killAfter) break;
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.equal(acknowledged, killAfter);

    const store = await openSqliteStore(path);
    try {
      const revision = await store.revision();
      assert.ok(revision >= acknowledged, `revision ${revision} lost acknowledged ${acknowledged}`);
      // Every transaction up to the recovered revision is whole: one key per revision.
      const { entries } = await store.range('crash/', { limit: 1000, keysOnly: true });
      assert.equal(entries.length, revision);
      for (let index = 0; index < acknowledged; index++) {
        assert.deepEqual((await store.get(`crash/${index}`))?.value, Buffer.from(`value ${index}`));
      }
    } finally {
      await store.close();
    }
  });

  it('answers every query from the primary key, never a scan or a sort', async () => {
    const path = freshPath();
    await (await openSqliteStore(path)).close();
    const raw = new Database(path, { readonly: true });
    const plan = (sql: string): string[] => {
      const parameters = Array.from(sql.matchAll(/\?/g), () => 'k/');
      return raw
        .prepare<string[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...parameters)
        .map(({ detail }) => detail);
    };
    try {
      for (const sql of [...Object.values(SQL), ...RANGE_SHAPES.map(rangeSql)]) {
        const details = plan(sql);
        for (const detail of details) assert.doesNotMatch(detail, /\bSCAN\b|TEMP B-TREE/, `${sql}\n→ ${detail}`);
        if (/^\s*(SELECT|UPDATE|DELETE)/.test(sql)) {
          assert.ok(
            details.some((detail) => /^SEARCH \w+ USING (INTEGER )?PRIMARY KEY/.test(detail)),
            `${sql}\n→ ${details.join('; ')}`,
          );
        }
      }
      // Off the hot path: an index search; a replay sorts only the changes it returns.
      for (const sql of [...Object.values(INDEXED_SQL), replaySql(true), replaySql(false)]) {
        const details = plan(sql);
        for (const detail of details) assert.doesNotMatch(detail, /\bSCAN\b/, `${sql}\n→ ${detail}`);
        if (/^\s*INSERT/.test(sql)) continue;
        assert.ok(
          details.some((detail) =>
            /^SEARCH \w+ USING (PRIMARY KEY|INDEX|COVERING INDEX|INTEGER PRIMARY KEY)/.test(detail),
          ),
          `${sql}\n→ ${details.join('; ')}`,
        );
      }
    } finally {
      raw.close();
    }
  });
});
