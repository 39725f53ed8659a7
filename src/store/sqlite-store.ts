/**
 * The embedded state store: one SQLite file in WAL mode with synchronous=FULL, so a transaction
 * acknowledged to the caller is on disk. It implements the etcd v3 semantics of state-store.ts
 * over a single kv table and a store-wide revision kept in the meta table.
 */
import { randomInt } from 'node:crypto';
import { closeSync, chmodSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CofferError } from '../errors/coffer-error.js';
import { compareKeys, prefixEnd } from './key-order.js';
import { LeaseClock } from './lease-clock.js';
import { migrate } from './sqlite-schema.js';
import {
  INDEXED_SQL,
  rangeParams,
  rangeSql,
  replayParams,
  replaySql,
  SQL,
  type RangeShape,
} from './sqlite-statements.js';
import type {
  Compare,
  LeaseGrant,
  LeaseId,
  Operation,
  RangeOptions,
  RangePage,
  StateStore,
  StoredEntry,
  TxnResult,
  Unsubscribe,
  WatchEvent,
  WatchOptions,
  WatchReset,
} from './state-store.js';
import {
  checkKey,
  checkLeaseId,
  checkLeaseTtl,
  checkPrefix,
  checkRange,
  checkRevision,
  checkTxn,
  checkWatchOptions,
} from './store-limits.js';
import { WatchHub } from './watch-hub.js';
import { kindOf, warnListenerError, warnUnhandledReset } from './watch-warnings.js';

export interface SqliteStoreOptions {
  /** How long a write waits for another connection's lock before failing. */
  readonly busyTimeoutMs?: number;
  /** Told when a watch listener throws; by default a process warning (without the message). */
  readonly onListenerError?: (error: unknown) => void;
  /**
   * How many revisions of history are kept for ranges at a revision and watches from one:
   * older history is compacted (in steps of a tenth of it, at most 1000) as the store moves on.
   */
  readonly historyRevisions?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const DEFAULT_HISTORY_REVISIONS = 10_000;
/** Compaction runs every tenth of the kept window, at most every 1000 revisions. */
const MAX_COMPACT_STEP = 1000;
/** Lease ids are random below 2^48 (randomInt's widest range): exact as SQLite integers read into JS numbers. */
const LEASE_ID_BOUND = 2 ** 48;
const FILE_MODE = 0o600;
const EMPTY = Buffer.alloc(0);

/** The connection's durability settings, as SQLite reports them: for status and tests. */
export interface SqliteSettings {
  readonly journalMode: string;
  readonly synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  readonly busyTimeoutMs: number;
}

const SYNCHRONOUS_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

interface EntryRow {
  readonly key: string;
  readonly create_revision: number;
  readonly mod_revision: number;
  readonly value?: Buffer;
}

interface ReplayRow {
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly revision: number;
  readonly value: Buffer;
}

interface Applied {
  readonly result: TxnResult;
  readonly events: readonly WatchEvent[];
}

function prepareStatements(db: Database.Database) {
  return {
    getEntry: db.prepare<[string], EntryRow>(SQL.getEntry),
    getModRevision: db.prepare<[string], { mod_revision: number }>(SQL.getModRevision),
    putEntry: db.prepare<[string, number, number, number, number, Buffer]>(SQL.putEntry),
    archiveEntry: db.prepare<[number, number, number, string]>(SQL.archiveEntry),
    deleteEntry: db.prepare<[string]>(SQL.deleteEntry),
    getMeta: db.prepare<[MetaName], { value: number }>(SQL.getMeta),
    setMeta: db.prepare<[number, MetaName]>(SQL.setMeta),
    getLease: db.prepare<[number], { id: number; ttl_seconds: number }>(SQL.getLease),
    deleteLease: db.prepare<[number]>(SQL.deleteLease),
    compact: db.prepare<[number]>(INDEXED_SQL.compact),
    leaseKeys: db.prepare<[number], { key: string }>(INDEXED_SQL.leaseKeys),
    insertLease: db.prepare<[number, number]>(INDEXED_SQL.insertLease),
    allLeases: db.prepare<[], { id: number; ttl_seconds: number }>(INDEXED_SQL.allLeases),
  };
}

type MetaName = 'revision' | 'compact_revision';

type Statements = ReturnType<typeof prepareStatements>;

type ApplyTxn = (compares: readonly Compare[], operations: readonly Operation[]) => Applied;

/** What a new watcher starts with: the changes to replay, or a reset, and where live delivery picks up. */
interface WatchStart {
  readonly after: number;
  readonly backlog: readonly WatchEvent[];
  readonly reset?: WatchReset;
}

/**
 * One node's store. The process that opens the file owns it: watchers hear of the commits made
 * through this instance, not of writes by another process sharing the file, and its leases
 * expire on this process's clock.
 */
export class SqliteStore implements StateStore {
  private closed = false;
  private readonly hub: WatchHub;
  private readonly statements: Statements;
  private readonly rangeStatements = new Map<string, Database.Statement<unknown[], EntryRow>>();
  private readonly replayStatements = new Map<string, Database.Statement<unknown[], ReplayRow>>();
  private readonly applyTxn: Database.Transaction<ApplyTxn>;
  private readonly readPage: Database.Transaction<(shape: RangeShape, bounds: PageBounds) => RangePage>;
  private readonly readWatchStart: Database.Transaction<(prefix: string, from: number | undefined) => WatchStart>;
  private readonly applyRevoke: Database.Transaction<(id: number) => readonly WatchEvent[]>;
  private readonly leases: LeaseClock;
  private readonly historyRevisions: number;
  private readonly compactStep: number;

  /** Takes a database already configured and migrated by openSqliteStore. */
  constructor(
    private readonly db: Database.Database,
    options: SqliteStoreOptions = {},
  ) {
    this.hub = new WatchHub({
      onListenerError: options.onListenerError ?? warnListenerError,
      onUnhandledReset: warnUnhandledReset,
    });
    this.statements = prepareStatements(db);
    this.historyRevisions = options.historyRevisions ?? DEFAULT_HISTORY_REVISIONS;
    if (!Number.isSafeInteger(this.historyRevisions) || this.historyRevisions < 1) {
      throw new CofferError('INVALID_FIELD', 'historyRevisions must be a positive integer');
    }
    this.compactStep = Math.max(1, Math.min(MAX_COMPACT_STEP, Math.floor(this.historyRevisions / 10)));
    this.applyTxn = db.transaction((compares: readonly Compare[], operations: readonly Operation[]) =>
      this.apply(compares, operations),
    );
    // Read transactions, so a page or a replay and the revisions it is checked against come from one snapshot.
    this.readPage = db.transaction((shape: RangeShape, bounds: PageBounds) => this.page(shape, bounds));
    this.readWatchStart = db.transaction((prefix: string, from: number | undefined) => this.watchStart(prefix, from));
    this.applyRevoke = db.transaction((id: number) => this.revoke(id));
    this.leases = new LeaseClock((id) => this.expireLease(id));
    for (const lease of this.statements.allLeases.all()) this.leases.track(String(lease.id), lease.ttl_seconds);
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    this.ensureOpen();
    checkKey(key);
    const row = guard(() => this.statements.getEntry.get(key));
    return row === undefined ? undefined : toEntry(row);
  }

  async range(prefix: string, options?: RangeOptions): Promise<RangePage> {
    this.ensureOpen();
    const limit = checkRange(prefix, options);
    const after = options?.after;
    // A cursor before the prefix is no tighter than the prefix itself.
    const afterCursor = after !== undefined && compareKeys(after, prefix) >= 0;
    const upper = prefixEnd(prefix);
    const shape = {
      afterCursor,
      bounded: upper !== undefined,
      keysOnly: options?.keysOnly === true,
      atRevision: false,
    };
    // One row beyond the page tells whether more keys remain.
    const bounds = { lower: afterCursor && after !== undefined ? after : prefix, upper, limit: limit + 1 };
    const page = guard(() => this.readPage.deferred(shape, { ...bounds, revision: options?.revision }));
    const more = page.entries.length > limit;
    return { entries: more ? page.entries.slice(0, limit) : page.entries, more, revision: page.revision };
  }

  async txn(compares: readonly Compare[], operations: readonly Operation[]): Promise<TxnResult> {
    this.ensureOpen();
    checkTxn(compares, operations);
    // IMMEDIATE takes the write lock before the compares are read, so they cannot go stale.
    const applied = guard(() => this.applyTxn.immediate(compares, operations));
    this.hub.publish(applied.events);
    return applied.result;
  }

  watch(prefix: string, listener: (event: WatchEvent) => void, options?: WatchOptions): Unsubscribe {
    this.ensureOpen();
    checkPrefix(prefix);
    checkWatchOptions(options);
    // Synchronous, like every write here: no commit can fall between the replay and the subscription.
    const start = guard(() => this.readWatchStart.deferred(prefix, options?.fromRevision));
    const watcher = this.hub.add(prefix, listener, { after: start.after, onReset: options?.onReset });
    if (start.reset) this.hub.reset(watcher, start.reset, true);
    else if (start.backlog.length > 0) this.hub.send(watcher, start.backlog, true);
    return () => watcher.unsubscribe();
  }

  async revision(): Promise<number> {
    this.ensureOpen();
    return guard(() => this.readMeta('revision'));
  }

  async compact(revision: number): Promise<void> {
    this.ensureOpen();
    checkRevision(revision, 'compact revision');
    guard(() =>
      this.db
        .transaction(() => {
          if (revision > this.readMeta('revision')) throw futureRevision();
          this.compactTo(revision);
        })
        .immediate(),
    );
  }

  async grantLease(ttlSeconds: number): Promise<LeaseGrant> {
    this.ensureOpen();
    checkLeaseTtl(ttlSeconds);
    const id = guard(() => {
      for (;;) {
        const candidate = randomInt(1, LEASE_ID_BOUND);
        if (this.statements.getLease.get(candidate) !== undefined) continue;
        this.statements.insertLease.run(candidate, ttlSeconds);
        return String(candidate);
      }
    });
    this.leases.track(id, ttlSeconds);
    return { id, ttlSeconds };
  }

  async keepAliveLease(id: LeaseId): Promise<number> {
    this.ensureOpen();
    checkLeaseId(id);
    const lease = this.liveLease(id);
    this.leases.track(id, lease.ttl_seconds);
    return lease.ttl_seconds;
  }

  async leaseTimeToLive(id: LeaseId): Promise<number | undefined> {
    this.ensureOpen();
    checkLeaseId(id);
    return this.leases.remainingSeconds(id);
  }

  async revokeLease(id: LeaseId): Promise<void> {
    this.ensureOpen();
    checkLeaseId(id);
    this.liveLease(id);
    this.leases.forget(id);
    this.hub.publish(guard(() => this.applyRevoke.immediate(Number(id))));
  }

  settings(): SqliteSettings {
    this.ensureOpen();
    const synchronous = SYNCHRONOUS_NAMES[Number(this.db.pragma('synchronous', { simple: true }))];
    if (synchronous === undefined) throw new CofferError('INTERNAL_ERROR', 'unknown SQLite synchronous level');
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous,
      busyTimeoutMs: Number(this.db.pragma('busy_timeout', { simple: true })),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.leases.stop();
    this.hub.clear();
    this.db.close();
  }

  private apply(compares: readonly Compare[], operations: readonly Operation[]): Applied {
    const current = this.readMeta('revision');
    for (const compare of compares) {
      const actual = this.statements.getModRevision.get(compare.key)?.mod_revision ?? 0;
      if (actual !== compare.modRevision) return { result: { succeeded: false, revision: current }, events: [] };
    }
    // As etcd: leases are checked only once the compares hold, and fail the whole txn.
    for (const operation of operations) {
      if (operation.type === 'put' && operation.lease !== undefined) this.liveLease(operation.lease);
    }
    const next = current + 1;
    const events: WatchEvent[] = [];
    operations.forEach((operation, index) => {
      if (operation.type === 'put') {
        this.statements.archiveEntry.run(next, index, 0, operation.key);
        const lease = operation.lease === undefined ? 0 : Number(operation.lease);
        this.statements.putEntry.run(operation.key, next, next, index, lease, operation.value);
        // A copy: a listener must not see later changes the caller makes to its buffer.
        events.push({ type: 'put', key: operation.key, value: Buffer.from(operation.value), modRevision: next });
      } else if (this.statements.archiveEntry.run(next, index, 1, operation.key).changes > 0) {
        this.statements.deleteEntry.run(operation.key);
        events.push({ type: 'delete', key: operation.key, value: EMPTY, modRevision: next });
      }
    });
    // Every put is an event and every effective delete is one: no events, no change.
    if (events.length === 0) return { result: { succeeded: true, revision: current }, events };
    this.advanceTo(next);
    return { result: { succeeded: true, revision: next }, events };
  }

  /** Sets the store revision, compacting the history that falls out of the kept window. */
  private advanceTo(revision: number): void {
    this.statements.setMeta.run(revision, 'revision');
    const keepFrom = revision - this.historyRevisions;
    if (keepFrom - this.readMeta('compact_revision') >= this.compactStep) this.compactTo(keepFrom);
  }

  private compactTo(revision: number): void {
    if (revision <= this.readMeta('compact_revision')) return;
    this.statements.compact.run(revision);
    this.statements.setMeta.run(revision, 'compact_revision');
  }

  private page(shape: RangeShape, bounds: PageBounds): RangePage {
    const current = this.readMeta('revision');
    const revision = bounds.revision ?? current;
    if (revision > current) throw futureRevision();
    if (revision < this.readMeta('compact_revision')) throw compacted();
    const atShape = { ...shape, atRevision: revision < current };
    const sql = rangeSql(atShape);
    let statement = this.rangeStatements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], EntryRow>(sql);
      this.rangeStatements.set(sql, statement);
    }
    const entries = statement.all(...rangeParams(atShape, { ...bounds, revision })).map(toEntry);
    return { entries, more: false, revision };
  }

  private watchStart(prefix: string, from: number | undefined): WatchStart {
    const current = this.readMeta('revision');
    if (from === undefined || from >= current) return { after: from ?? current, backlog: [] };
    if (from < this.readMeta('compact_revision')) return { after: current, backlog: [], reset: { revision: current } };
    const upper = prefixEnd(prefix);
    const sql = replaySql(upper !== undefined);
    let statement = this.replayStatements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], ReplayRow>(sql);
      this.replayStatements.set(sql, statement);
    }
    const backlog = statement
      .all(...replayParams(from, prefix, upper))
      .map((row) => ({ type: row.type, key: row.key, value: row.value, modRevision: row.revision }));
    return { after: current, backlog };
  }

  /** The lease's row, while its deadline has not passed; LEASE_NOT_FOUND otherwise. */
  private liveLease(id: LeaseId): { id: number; ttl_seconds: number } {
    const row = this.leases.alive(id) ? this.statements.getLease.get(Number(id)) : undefined;
    if (row === undefined) throw new CofferError('LEASE_NOT_FOUND');
    return row;
  }

  /** Deletes the lease and its keys (in key order, as etcd) in one revision. */
  private revoke(id: number): readonly WatchEvent[] {
    this.statements.deleteLease.run(id);
    const keys = this.statements.leaseKeys.all(id).map((row) => row.key);
    if (keys.length === 0) return [];
    const next = this.readMeta('revision') + 1;
    keys.forEach((key, index) => {
      this.statements.archiveEntry.run(next, index, 1, key);
      this.statements.deleteEntry.run(key);
    });
    this.advanceTo(next);
    return keys.map((key) => ({ type: 'delete', key, value: EMPTY, modRevision: next }));
  }

  private expireLease(id: string): void {
    if (this.closed) return;
    try {
      this.hub.publish(this.applyRevoke.immediate(Number(id)));
    } catch (error) {
      // Tried again at the next open: the lease row stays until its keys are gone.
      process.emitWarning(`A state store lease could not be expired (${kindOf(error)})`, {
        code: 'COFFER_STORE_LEASE_EXPIRY',
      });
    }
  }

  private readMeta(name: MetaName): number {
    const row = this.statements.getMeta.get(name);
    if (row === undefined) throw new CofferError('INTEGRITY_ERROR', `state store has no ${name} row`);
    return row.value;
  }

  private ensureOpen(): void {
    if (this.closed) throw new CofferError('INTERNAL_ERROR', 'the state store is closed');
  }
}

interface PageBounds {
  readonly lower: string;
  readonly upper: string | undefined;
  readonly limit: number;
  readonly revision: number | undefined;
}

function futureRevision(): CofferError {
  return new CofferError('INVALID_FIELD', 'the revision is beyond the current store revision');
}

function compacted(): CofferError {
  return new CofferError('STORE_COMPACTED');
}

/** Opens (creating if needed) the store at `path`, owner-only, in WAL mode with full sync. */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  restrictFiles(path);
  const db = guard(() => new Database(path, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS }));
  try {
    configure(db);
    migrate(db);
    return new SqliteStore(db, options);
  } catch (error) {
    db.close();
    throw toCofferError(error);
  }
}

/**
 * Creates the database file owner-only before SQLite opens it; SQLite then gives its -wal and
 * -shm files the database file's mode. Files left by an earlier run are tightened too.
 */
function restrictFiles(path: string): void {
  guard(() => {
    closeSync(openSync(path, 'a', FILE_MODE));
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      if (existsSync(file)) chmodSync(file, FILE_MODE);
    }
  });
}

function configure(db: Database.Database): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new CofferError('INTERNAL_ERROR', `state store could not enter WAL mode (${String(mode)})`);
  // FULL: in WAL mode, NORMAL may lose the last commits on power loss; an acknowledged txn must not.
  db.pragma('synchronous = FULL');
}

function toEntry(row: EntryRow): StoredEntry {
  return {
    key: row.key,
    value: row.value ?? EMPTY,
    createRevision: row.create_revision,
    modRevision: row.mod_revision,
  };
}

/** Runs a storage call, turning a driver error into a CofferError (the SQLite code only). */
function guard<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw toCofferError(error);
  }
}

function toCofferError(error: unknown): CofferError {
  if (error instanceof CofferError) return error;
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : kindOf(error);
  return new CofferError('INTERNAL_ERROR', `state store failed (${code})`, { cause: error });
}
