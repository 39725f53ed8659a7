/**
 * Every write of the SQLite store, on the write connection its writer thread owns: a txn's
 * compares and operations in one IMMEDIATE transaction, lease grants and revokes, compaction
 * and the history window. Each returns only once SQLite committed (synchronous=FULL: fsynced).
 */
import { randomInt } from 'node:crypto';
import Database from 'better-sqlite3';
import { CofferError } from '../errors/coffer-error.js';
import { migrate } from './sqlite-schema.js';
import { INDEXED_SQL, SQL } from './sqlite-statements.js';
import type { SqliteSettings, StoredLease, WriterCalls, WriterConfig } from './sqlite-writer-protocol.js';
import type { Compare, LeaseId } from './state-store.js';

/** Compaction runs every tenth of the kept window, at most every 1000 revisions. */
const MAX_COMPACT_STEP = 1000;
/** Lease ids are random below 2^48 (randomInt's widest range): exact as SQLite integers read into JS numbers. */
const LEASE_ID_BOUND = 2 ** 48;
const SYNCHRONOUS_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

type MetaName = 'revision' | 'compact_revision';

/** A put or a delete as the writer applies it; a put's value is a view of the request's buffer. */
export type WriteOperation =
  | { readonly type: 'put'; readonly key: string; readonly value: Buffer; readonly lease?: LeaseId }
  | { readonly type: 'delete'; readonly key: string };

type TxnOutcome = Omit<WriterCalls['txn']['result'], 'bytes'>;
type RevokeOutcome = WriterCalls['revoke']['result'];

function prepareStatements(db: Database.Database) {
  return {
    getModRevision: db.prepare<[string], { mod_revision: number }>(SQL.getModRevision),
    putEntry: db.prepare<[string, number, number, number, number, Buffer]>(SQL.putEntry),
    archiveEntry: db.prepare<[number, number, number, string]>(SQL.archiveEntry),
    deleteEntry: db.prepare<[string]>(SQL.deleteEntry),
    getMeta: db.prepare<[MetaName], { value: number }>(SQL.getMeta),
    setMeta: db.prepare<[number, MetaName]>(SQL.setMeta),
    getLease: db.prepare<[number], { id: number }>(SQL.getLease),
    deleteLease: db.prepare<[number]>(SQL.deleteLease),
    compact: db.prepare<[number]>(INDEXED_SQL.compact),
    leaseKeys: db.prepare<[number], { key: string }>(INDEXED_SQL.leaseKeys),
    insertLease: db.prepare<[number, number]>(INDEXED_SQL.insertLease),
    allLeases: db.prepare<[], { id: number; ttl_seconds: number }>(INDEXED_SQL.allLeases),
  };
}

export class SqliteWrites {
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly compactStep: number;
  private readonly applyTxn: Database.Transaction<
    (compares: readonly Compare[], operations: readonly WriteOperation[], expired: ReadonlySet<LeaseId>) => TxnOutcome
  >;
  private readonly applyRevoke: Database.Transaction<(id: number) => RevokeOutcome>;
  private readonly applyCompact: Database.Transaction<(revision: number) => void>;

  /** Opens the file, in WAL mode with full sync, and brings its schema up to date. */
  static open(config: WriterConfig): SqliteWrites {
    const db = new Database(config.path, { timeout: config.busyTimeoutMs });
    try {
      configure(db);
      migrate(db);
      return new SqliteWrites(db, config.historyRevisions);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private constructor(
    private readonly db: Database.Database,
    private readonly historyRevisions: number,
  ) {
    this.statements = prepareStatements(db);
    this.compactStep = Math.max(1, Math.min(MAX_COMPACT_STEP, Math.floor(historyRevisions / 10)));
    this.applyTxn = db.transaction((compares, operations, expired) => this.apply(compares, operations, expired));
    this.applyRevoke = db.transaction((id: number) => this.revokeKeys(id));
    this.applyCompact = db.transaction((revision: number) => {
      if (revision > this.readMeta('revision')) {
        throw new CofferError('INVALID_FIELD', 'the revision is beyond the current store revision');
      }
      this.compactTo(revision);
    });
  }

  // IMMEDIATE takes the write lock before the compares are read, so they cannot go stale.
  txn(compares: readonly Compare[], operations: readonly WriteOperation[], expired: ReadonlySet<LeaseId>): TxnOutcome {
    return this.applyTxn.immediate(compares, operations, expired);
  }

  /** Deletes the lease and its keys (in key order, as etcd) in one revision. */
  revoke(id: LeaseId): RevokeOutcome {
    return this.applyRevoke.immediate(Number(id));
  }

  compact(revision: number): void {
    this.applyCompact.immediate(revision);
  }

  grantLease(ttlSeconds: number): LeaseId {
    for (;;) {
      const candidate = randomInt(1, LEASE_ID_BOUND);
      if (this.statements.getLease.get(candidate) !== undefined) continue;
      this.statements.insertLease.run(candidate, ttlSeconds);
      return String(candidate);
    }
  }

  leases(): StoredLease[] {
    return this.statements.allLeases.all().map((row) => ({ id: String(row.id), ttlSeconds: row.ttl_seconds }));
  }

  settings(): SqliteSettings {
    const synchronous = SYNCHRONOUS_NAMES[Number(this.db.pragma('synchronous', { simple: true }))];
    if (synchronous === undefined) throw new CofferError('INTERNAL_ERROR', 'unknown SQLite synchronous level');
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous,
      busyTimeoutMs: Number(this.db.pragma('busy_timeout', { simple: true })),
    };
  }

  close(): void {
    this.db.close();
  }

  private apply(
    compares: readonly Compare[],
    operations: readonly WriteOperation[],
    expired: ReadonlySet<LeaseId>,
  ): TxnOutcome {
    const current = this.readMeta('revision');
    for (const compare of compares) {
      const actual = this.statements.getModRevision.get(compare.key)?.mod_revision ?? 0;
      if (actual !== compare.modRevision) return { succeeded: false, revision: current, changed: [] };
    }
    // As etcd: leases are checked only once the compares hold, and fail the whole txn.
    for (const operation of operations) {
      if (operation.type !== 'put' || operation.lease === undefined) continue;
      if (expired.has(operation.lease) || this.statements.getLease.get(Number(operation.lease)) === undefined) {
        throw new CofferError('LEASE_NOT_FOUND');
      }
    }
    const next = current + 1;
    const changed: number[] = [];
    operations.forEach((operation, index) => {
      if (operation.type === 'put') {
        this.statements.archiveEntry.run(next, index, 0, operation.key);
        const lease = operation.lease === undefined ? 0 : Number(operation.lease);
        this.statements.putEntry.run(operation.key, next, next, index, lease, operation.value);
        changed.push(index);
      } else if (this.statements.archiveEntry.run(next, index, 1, operation.key).changes > 0) {
        this.statements.deleteEntry.run(operation.key);
        changed.push(index);
      }
    });
    // Every put is an event and every effective delete is one: no events, no change.
    if (changed.length === 0) return { succeeded: true, revision: current, changed };
    this.advanceTo(next);
    return { succeeded: true, revision: next, changed };
  }

  private revokeKeys(id: number): RevokeOutcome {
    this.statements.deleteLease.run(id);
    const keys = this.statements.leaseKeys.all(id).map((row) => row.key);
    if (keys.length === 0) return { revision: this.readMeta('revision'), keys };
    const next = this.readMeta('revision') + 1;
    keys.forEach((key, index) => {
      this.statements.archiveEntry.run(next, index, 1, key);
      this.statements.deleteEntry.run(key);
    });
    this.advanceTo(next);
    return { revision: next, keys };
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

  private readMeta(name: MetaName): number {
    const row = this.statements.getMeta.get(name);
    if (row === undefined) throw new CofferError('INTEGRITY_ERROR', `state store has no ${name} row`);
    return row.value;
  }
}

function configure(db: Database.Database): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new CofferError('INTERNAL_ERROR', `state store could not enter WAL mode (${String(mode)})`);
  // FULL: in WAL mode, NORMAL may lose the last commits on power loss; an acknowledged txn must not.
  db.pragma('synchronous = FULL');
}
