/**
 * The embedded state store: one SQLite file in WAL mode with synchronous=FULL, so a transaction
 * acknowledged to the caller is on disk. It implements the etcd v3 semantics of state-store.ts
 * over a single kv table and a store-wide revision kept in the meta table.
 */
import { closeSync, chmodSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CofferError } from '../errors/coffer-error.js';
import { compareKeys, prefixEnd } from './key-order.js';
import { migrate } from './sqlite-schema.js';
import { rangeSql, SQL } from './sqlite-statements.js';
import type {
  Compare,
  Operation,
  RangeOptions,
  RangePage,
  StateStore,
  StoredEntry,
  TxnResult,
  Unsubscribe,
  WatchEvent,
} from './state-store.js';
import { checkKey, checkPrefix, checkTxn, rangeLimit } from './store-limits.js';
import { WatchHub } from './watch-hub.js';

export interface SqliteStoreOptions {
  /** How long a write waits for another connection's lock before failing. */
  readonly busyTimeoutMs?: number;
  /** Told when a watch listener throws; by default a process warning (without the message). */
  readonly onListenerError?: (error: unknown) => void;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
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

interface Applied {
  readonly result: TxnResult;
  readonly events: readonly WatchEvent[];
}

function prepareStatements(db: Database.Database) {
  return {
    getEntry: db.prepare<[string], EntryRow>(SQL.getEntry),
    getModRevision: db.prepare<[string], { mod_revision: number }>(SQL.getModRevision),
    putEntry: db.prepare<[string, number, number, Buffer]>(SQL.putEntry),
    deleteEntry: db.prepare<[string]>(SQL.deleteEntry),
    getRevision: db.prepare<[], { value: number }>(SQL.getRevision),
    setRevision: db.prepare<[number]>(SQL.setRevision),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

type ApplyTxn = (compares: readonly Compare[], operations: readonly Operation[]) => Applied;

/**
 * One node's store. The process that opens the file owns it: watchers hear of the commits made
 * through this instance, not of writes by another process sharing the file.
 */
export class SqliteStore implements StateStore {
  private closed = false;
  private readonly hub: WatchHub;
  private readonly statements: Statements;
  private readonly rangeStatements = new Map<string, Database.Statement<unknown[], EntryRow>>();
  private readonly applyTxn: Database.Transaction<ApplyTxn>;
  private readonly readPage: Database.Transaction<(sql: string, params: readonly unknown[]) => RangePage>;

  /** Takes a database already configured and migrated by openSqliteStore. */
  constructor(
    private readonly db: Database.Database,
    options: SqliteStoreOptions = {},
  ) {
    this.hub = new WatchHub(options.onListenerError ?? warnListenerError);
    this.statements = prepareStatements(db);
    this.applyTxn = db.transaction((compares: readonly Compare[], operations: readonly Operation[]) =>
      this.apply(compares, operations),
    );
    // A read transaction, so the page and its revision come from one snapshot.
    this.readPage = db.transaction((sql: string, params: readonly unknown[]) => this.page(sql, params));
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    this.ensureOpen();
    checkKey(key);
    const row = guard(() => this.statements.getEntry.get(key));
    return row === undefined ? undefined : toEntry(row);
  }

  async range(prefix: string, options?: RangeOptions): Promise<RangePage> {
    this.ensureOpen();
    checkPrefix(prefix);
    const limit = rangeLimit(options);
    const after = options?.after;
    if (after !== undefined) checkKey(after);
    // A cursor before the prefix is no tighter than the prefix itself.
    const afterCursor = after !== undefined && compareKeys(after, prefix) >= 0;
    const lower = afterCursor && after !== undefined ? after : prefix;
    const upper = prefixEnd(prefix);
    const sql = rangeSql({ afterCursor, bounded: upper !== undefined, keysOnly: options?.keysOnly === true });
    // One row beyond the page tells whether more keys remain.
    const params = upper === undefined ? [lower, limit + 1] : [lower, upper, limit + 1];
    const page = guard(() => this.readPage.deferred(sql, params));
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

  watch(prefix: string, listener: (event: WatchEvent) => void): Unsubscribe {
    this.ensureOpen();
    checkPrefix(prefix);
    return this.hub.add(prefix, listener);
  }

  async revision(): Promise<number> {
    this.ensureOpen();
    return guard(() => this.readRevision());
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
    this.hub.clear();
    this.db.close();
  }

  private apply(compares: readonly Compare[], operations: readonly Operation[]): Applied {
    const current = this.readRevision();
    for (const compare of compares) {
      const actual = this.statements.getModRevision.get(compare.key)?.mod_revision ?? 0;
      if (actual !== compare.modRevision) return { result: { succeeded: false, revision: current }, events: [] };
    }
    const next = current + 1;
    const events: WatchEvent[] = [];
    for (const operation of operations) {
      if (operation.type === 'put') {
        this.statements.putEntry.run(operation.key, next, next, operation.value);
        // A copy: a listener must not see later changes the caller makes to its buffer.
        events.push({ type: 'put', key: operation.key, value: Buffer.from(operation.value), modRevision: next });
      } else if (this.statements.deleteEntry.run(operation.key).changes > 0) {
        events.push({ type: 'delete', key: operation.key, value: EMPTY, modRevision: next });
      }
    }
    // Every put is an event and every effective delete is one: no events, no change.
    if (events.length === 0) return { result: { succeeded: true, revision: current }, events };
    this.statements.setRevision.run(next);
    return { result: { succeeded: true, revision: next }, events };
  }

  private page(sql: string, params: readonly unknown[]): RangePage {
    let statement = this.rangeStatements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], EntryRow>(sql);
      this.rangeStatements.set(sql, statement);
    }
    const entries = statement.all(...params).map(toEntry);
    return { entries, more: false, revision: this.readRevision() };
  }

  private readRevision(): number {
    const row = this.statements.getRevision.get();
    if (row === undefined) throw new CofferError('INTEGRITY_ERROR', 'state store has no revision row');
    return row.value;
  }

  private ensureOpen(): void {
    if (this.closed) throw new CofferError('INTERNAL_ERROR', 'the state store is closed');
  }
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

/** The kind of a thrown value, never its message: messages may carry data. */
function kindOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function warnListenerError(error: unknown): void {
  process.emitWarning(`A state store watch listener threw (${kindOf(error)}); other listeners were still called`, {
    code: 'COFFER_STORE_WATCH_LISTENER',
  });
}
