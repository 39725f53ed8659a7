/**
 * The embedded state store: one SQLite file in WAL mode with synchronous=FULL, so a transaction
 * acknowledged to the caller is on disk. It implements the etcd v3 semantics of state-store.ts
 * over a single kv table and a store-wide revision kept in the meta table.
 *
 * Writes run on a writer thread that owns the write connection (sqlite-writer-worker.ts), so a
 * commit's fsync does not stop the event loop; reads run here, on a read-only connection, and
 * see every transaction the writer has answered for (WAL readers see each commit at once).
 */
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CofferError } from '../errors/coffer-error.js';
import { compareKeys, prefixEnd } from './key-order.js';
import { LeaseClock } from './lease-clock.js';
import { rangeParams, rangeSql, replayParams, replaySql, SQL, type RangeShape } from './sqlite-statements.js';
import { SqliteWriter, type WriterReady } from './sqlite-writer.js';
import type { SqliteSettings, WireOperation, WriterCalls } from './sqlite-writer-protocol.js';
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

export type { SqliteSettings } from './sqlite-writer-protocol.js';

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
const FILE_MODE = 0o600;
const EMPTY = Buffer.alloc(0);

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

type MetaName = 'revision' | 'compact_revision';

function prepareStatements(db: Database.Database) {
  return {
    getEntry: db.prepare<[string], EntryRow>(SQL.getEntry),
    getMeta: db.prepare<[MetaName], { value: number }>(SQL.getMeta),
    getLease: db.prepare<[number], { id: number; ttl_seconds: number }>(SQL.getLease),
  };
}

/** What a new watcher starts with: the changes to replay, or a reset, and where live delivery picks up. */
interface WatchStart {
  readonly after: number;
  readonly backlog: readonly WatchEvent[];
  readonly reset?: WatchReset;
}

/** A txn as it crosses to the writer: the put values copied once into one buffer that is transferred. */
interface PackedTxn {
  readonly request: WriterCalls['txn']['request'];
  readonly operations: readonly WireOperation[];
}

/**
 * One node's store. The process that opens the file owns it: watchers hear of the commits made
 * through this instance, not of writes by another process sharing the file, and its leases
 * expire on this process's clock.
 */
export class SqliteStore implements StateStore {
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly hub: WatchHub;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly rangeStatements = new Map<string, Database.Statement<unknown[], EntryRow>>();
  private readonly replayStatements = new Map<string, Database.Statement<unknown[], ReplayRow>>();
  private readonly readPage: Database.Transaction<(shape: RangeShape, bounds: PageBounds) => RangePage>;
  private readonly readWatchStart: Database.Transaction<(prefix: string, from: number | undefined) => WatchStart>;
  private readonly leases: LeaseClock;
  private readonly writeSettings: SqliteSettings;

  /** Takes the read connection and the writer thread openSqliteStore started over the same file. */
  constructor(
    private readonly reader: Database.Database,
    private readonly writer: SqliteWriter,
    ready: WriterReady,
    options: Pick<SqliteStoreOptions, 'onListenerError'> = {},
  ) {
    this.hub = new WatchHub({
      onListenerError: options.onListenerError ?? warnListenerError,
      onUnhandledReset: warnUnhandledReset,
    });
    this.statements = prepareStatements(reader);
    this.writeSettings = ready.settings;
    // Read transactions, so a page or a replay and the revisions it is checked against come from one snapshot.
    this.readPage = reader.transaction((shape: RangeShape, bounds: PageBounds) => this.page(shape, bounds));
    this.readWatchStart = reader.transaction((prefix: string, from: number | undefined) =>
      this.watchStart(prefix, from),
    );
    this.leases = new LeaseClock((id) => this.expireLease(id));
    for (const lease of ready.leases) this.leases.track(lease.id, lease.ttlSeconds);
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
    const packed = this.pack(compares, operations);
    const result = await this.writer.call('txn', packed.request, [packed.request.bytes]);
    // Published before the caller resumes, and in revision order: the writer answers in order.
    this.hub.publish(eventsOf(packed.operations, result));
    return { succeeded: result.succeeded, revision: result.revision };
  }

  watch(prefix: string, listener: (event: WatchEvent) => void, options?: WatchOptions): Unsubscribe {
    this.ensureOpen();
    checkPrefix(prefix);
    checkWatchOptions(options);
    // One snapshot gives the replay and where live delivery starts: a commit in it that the writer
    // has not answered for yet is skipped when it is published, a later one is delivered.
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
    await this.writer.call('compact', { revision });
  }

  async grantLease(ttlSeconds: number): Promise<LeaseGrant> {
    this.ensureOpen();
    checkLeaseTtl(ttlSeconds);
    const { id } = await this.writer.call('grant', { ttlSeconds });
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
    this.publishRevoke(await this.writer.call('revoke', { lease: id }));
  }

  /** The write connection's settings, as the writer thread read them at open. */
  settings(): SqliteSettings {
    this.ensureOpen();
    return this.writeSettings;
  }

  /** Lets the writes in flight finish (their callers are answered), then closes both connections. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closed = true;
      this.leases.stop();
      this.closing = this.shutDown();
    }
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await this.writer.drained();
    this.hub.clear();
    // The reader first: the writer, closing last, checkpoints the WAL into the file.
    this.reader.close();
    await this.writer.close();
  }

  /** Copies the put values into one buffer (the caller may change its own afterwards) and lists expired leases. */
  private pack(compares: readonly Compare[], operations: readonly Operation[]): PackedTxn {
    let total = 0;
    for (const operation of operations) if (operation.type === 'put') total += operation.value.length;
    const bytes = new ArrayBuffer(total);
    const view = new Uint8Array(bytes);
    const expired = new Set<LeaseId>();
    let offset = 0;
    const wire = operations.map((operation): WireOperation => {
      if (operation.type === 'delete') return { type: 'delete', key: operation.key };
      view.set(operation.value, offset);
      const length = operation.value.length;
      const put = { type: 'put' as const, key: operation.key, offset, length };
      offset += length;
      if (operation.lease === undefined) return put;
      if (!this.leases.alive(operation.lease)) expired.add(operation.lease);
      return { ...put, lease: operation.lease };
    });
    const request = {
      compares: compares.map(({ key, modRevision }) => ({ key, modRevision })),
      operations: wire,
      bytes,
      expiredLeases: [...expired],
    };
    return { request, operations: wire };
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
      statement = this.reader.prepare<unknown[], EntryRow>(sql);
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
      statement = this.reader.prepare<unknown[], ReplayRow>(sql);
      this.replayStatements.set(sql, statement);
    }
    const backlog = statement
      .all(...replayParams(from, prefix, upper))
      .map((row) => ({ type: row.type, key: row.key, value: row.value, modRevision: row.revision }));
    return { after: current, backlog };
  }

  /** The lease's row, while its deadline has not passed; LEASE_NOT_FOUND otherwise. */
  private liveLease(id: LeaseId): { id: number; ttl_seconds: number } {
    const row = this.leases.alive(id) ? guard(() => this.statements.getLease.get(Number(id))) : undefined;
    if (row === undefined) throw new CofferError('LEASE_NOT_FOUND');
    return row;
  }

  private publishRevoke({ revision, keys }: WriterCalls['revoke']['result']): void {
    this.hub.publish(keys.map((key) => ({ type: 'delete', key, value: EMPTY, modRevision: revision })));
  }

  private expireLease(id: string): void {
    if (this.closed || this.writer.broken) return;
    this.writer.call('revoke', { lease: id }).then(
      (outcome) => this.publishRevoke(outcome),
      (error: unknown) => {
        // Tried again at the next open: the lease row stays until its keys are gone.
        process.emitWarning(`A state store lease could not be expired (${kindOf(error)})`, {
          code: 'COFFER_STORE_LEASE_EXPIRY',
        });
      },
    );
  }

  private readMeta(name: MetaName): number {
    const row = this.statements.getMeta.get(name);
    if (row === undefined) throw new CofferError('INTEGRITY_ERROR', `state store has no ${name} row`);
    return row.value;
  }

  private ensureOpen(): void {
    if (this.closed) throw new CofferError('INTERNAL_ERROR', 'the state store is closed');
    if (this.writer.broken) throw new CofferError('STORE_UNAVAILABLE', 'the SQLite writer thread stopped');
  }
}

interface PageBounds {
  readonly lower: string;
  readonly upper: string | undefined;
  readonly limit: number;
  readonly revision: number | undefined;
}

/** The txn's events; a put's value is a view of the buffer the writer handed back. */
function eventsOf(operations: readonly WireOperation[], result: WriterCalls['txn']['result']): WatchEvent[] {
  return result.changed.flatMap((index): WatchEvent[] => {
    const operation = operations[index];
    if (operation === undefined) return [];
    if (operation.type === 'delete') {
      return [{ type: 'delete', key: operation.key, value: EMPTY, modRevision: result.revision }];
    }
    const value = Buffer.from(result.bytes, operation.offset, operation.length);
    return [{ type: 'put', key: operation.key, value, modRevision: result.revision }];
  });
}

function futureRevision(): CofferError {
  return new CofferError('INVALID_FIELD', 'the revision is beyond the current store revision');
}

function compacted(): CofferError {
  return new CofferError('STORE_COMPACTED');
}

/** Opens (creating if needed) the store at `path`, owner-only, in WAL mode with full sync. */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const historyRevisions = options.historyRevisions ?? DEFAULT_HISTORY_REVISIONS;
  if (!Number.isSafeInteger(historyRevisions) || historyRevisions < 1) {
    throw new CofferError('INVALID_FIELD', 'historyRevisions must be a positive integer');
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  restrictFiles(path);
  // The writer creates, configures and migrates the file before the reader opens it.
  const { writer, ready } = await SqliteWriter.start({ path, busyTimeoutMs, historyRevisions });
  return openSqliteStoreOver(writer, ready, path, { ...options, busyTimeoutMs });
}

/** The store over a writer thread already started on `path`: the read connection is opened here. */
export async function openSqliteStoreOver(
  writer: SqliteWriter,
  ready: WriterReady,
  path: string,
  options: SqliteStoreOptions = {},
): Promise<SqliteStore> {
  let reader: Database.Database | undefined;
  try {
    reader = new Database(path, { readonly: true, timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
    return new SqliteStore(reader, writer, ready, options);
  } catch (error) {
    reader?.close();
    await writer.close();
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
