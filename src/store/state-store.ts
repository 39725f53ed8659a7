/**
 * The state store: the one interface between Coffer and persistence. Values are opaque bytes
 * (sealed records, produced by the barrier); the store never sees plaintext. The shape follows
 * etcd v3 — revisions, range by prefix, compare-by-revision transactions, watch — so that the
 * embedded SQLite store and the etcd cluster store are interchangeable.
 * test/support/store-contract.ts holds the tests every implementation must pass.
 *
 * Keys are compared as UTF-8 bytes (etcd's order), not as JavaScript strings: '\uFFFF' sorts
 * before '😀' here although JavaScript's `<` says otherwise. Use compareKeys from key-order.ts.
 */

/** One stored entry. Revisions are store-wide and strictly increasing, as in etcd. */
export interface StoredEntry {
  readonly key: string;
  /** The stored bytes; empty when the entry came from a keysOnly range. */
  readonly value: Buffer;
  /** Revision of the transaction that created this key (since its last deletion). */
  readonly createRevision: number;
  /** Revision of the transaction that last wrote this key. */
  readonly modRevision: number;
}

export interface RangeOptions {
  /** Return keys strictly greater (in byte order) than this one: the cursor of the previous page. */
  readonly after?: string;
  /** Page size, a positive integer; DEFAULT_RANGE_LIMIT when absent, capped at MAX_RANGE_LIMIT. */
  readonly limit?: number;
  /** Return keys only, with empty values: for counting and listing without unsealing. */
  readonly keysOnly?: boolean;
  /**
   * Read the page as the store was at this revision: pass the first page's `revision` to the
   * later pages, and the whole listing is one consistent snapshot. STORE_COMPACTED when the
   * store no longer holds that revision's history (start the listing again); INVALID_FIELD
   * for a revision beyond the current one.
   */
  readonly revision?: number;
}

export interface RangePage {
  /** Keys under the prefix, in byte order. */
  readonly entries: readonly StoredEntry[];
  /** True when more keys under the prefix follow the last one returned. */
  readonly more: boolean;
  /** The store revision the page was read at. */
  readonly revision: number;
}

/**
 * A condition of a transaction: the key's modRevision must equal `modRevision`.
 * modRevision 0 means "the key must not exist".
 */
export interface Compare {
  readonly key: string;
  readonly modRevision: number;
}

/** A lease's id: a positive 64-bit integer in decimal (etcd's ids do not fit a JS number). */
export type LeaseId = string;

export interface LeaseGrant {
  readonly id: LeaseId;
  /** The TTL the store granted: at least the one asked for (etcd may raise it to its minimum). */
  readonly ttlSeconds: number;
}

export type Operation =
  | {
      readonly type: 'put';
      readonly key: string;
      readonly value: Buffer;
      /**
       * Attach the key to this lease: it is deleted (a delete event, a new revision) when the
       * lease expires or is revoked. A put without a lease detaches the key from any lease.
       * An unknown or expired lease fails the whole txn with LEASE_NOT_FOUND.
       */
      readonly lease?: LeaseId;
    }
  | { readonly type: 'delete'; readonly key: string };

export interface TxnResult {
  /** False when a compare failed; then nothing was written. */
  readonly succeeded: boolean;
  /**
   * The store revision after the transaction: one more than before when it changed anything,
   * unchanged when it failed or changed nothing (only deletes of missing keys).
   */
  readonly revision: number;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** The new value for a put; empty for a delete. */
  readonly value: Buffer;
  /** The revision of the transaction that made the change; shared by all of its events. */
  readonly modRevision: number;
}

export type Unsubscribe = () => void;

/** A watch's history was compacted away: the changes it should deliver are gone. */
export interface WatchReset {
  /**
   * Reload the view at this revision (a range with `revision`, or simply drop a cache); the
   * listener then receives every change after it.
   */
  readonly revision: number;
}

export interface WatchOptions {
  /**
   * Deliver every change after this revision first (a revision a view was loaded at), then
   * the live changes: none lost, none twice. Absent: changes after the latest revision this
   * store instance has seen, so every change it makes after watch() returns is delivered.
   */
  readonly fromRevision?: number;
  /**
   * Called instead of delivering changes the store no longer holds (fromRevision older than
   * its compacted history, or a reconnect that found history compacted). Without it, a reset
   * is reported as a process warning: a cache fed by a watch must pass onReset.
   */
  readonly onReset?: (reset: WatchReset) => void;
}

export interface StateStore {
  get(key: string): Promise<StoredEntry | undefined>;
  /** One page of the keys starting with `prefix` ('' for all keys). */
  range(prefix: string, options?: RangeOptions): Promise<RangePage>;
  /**
   * Applies every operation atomically and durably if every compare holds; otherwise none.
   * Refused (CofferError INVALID_FIELD) when a key appears twice among the operations, a key or
   * value breaks the limits below, or there are more than MAX_TXN_OPERATIONS compares or
   * operations. A put always counts as a change; a delete only when the key existed.
   */
  txn(compares: readonly Compare[], operations: readonly Operation[]): Promise<TxnResult>;
  /**
   * Calls `listener` for every committed change under the prefix, in revision order and, within
   * one transaction, in operation order. Delivery may be asynchronous: an event can arrive after
   * the txn() promise resolves. Failed transactions and no-op deletes produce no event. A
   * listener that throws is reported and does not affect the store or other listeners.
   * A watch survives reconnects (etcd): it resumes after the last revision it delivered.
   */
  watch(prefix: string, listener: (event: WatchEvent) => void, options?: WatchOptions): Unsubscribe;
  /** The current store revision: 0 for an empty, never-written store. */
  revision(): Promise<number>;
  /**
   * Forgets the history before `revision` (at most the current revision): ranges at an older
   * revision fail with STORE_COMPACTED, watches from an older one are reset. Compacting to a
   * revision already compacted is a no-op.
   */
  compact(revision: number): Promise<void>;
  /** A new lease of `ttlSeconds` (1 to MAX_LEASE_TTL_SECONDS), for keys that must vanish with their holder. */
  grantLease(ttlSeconds: number): Promise<LeaseGrant>;
  /** Renews the lease to its full TTL and resolves to it; LEASE_NOT_FOUND once it expired or was revoked. */
  keepAliveLease(id: LeaseId): Promise<number>;
  /** Seconds left before the lease expires, or undefined when it expired or was revoked. */
  leaseTimeToLive(id: LeaseId): Promise<number | undefined>;
  /** Revokes the lease, deleting its keys in one revision; LEASE_NOT_FOUND when it is unknown. */
  revokeLease(id: LeaseId): Promise<void>;
  /** Idempotent; afterwards every other method fails. */
  close(): Promise<void>;
}

export const DEFAULT_RANGE_LIMIT = 100;
export const MAX_RANGE_LIMIT = 1000;

/** Keys are at most this many UTF-8 bytes, non-empty, without NUL or unpaired surrogates. */
export const MAX_KEY_BYTES = 1024;
/** etcd's default request limit (--max-request-bytes), 1.5 MiB, as the largest value. */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;
/** etcd's default --max-txn-ops: the most compares, and the most operations, in one txn. */
export const MAX_TXN_OPERATIONS = 128;
/**
 * The most key and value bytes one txn carries (compared keys included). An etcd cluster for
 * Coffer runs with --max-request-bytes of at least ETCD_MAX_REQUEST_BYTES, which leaves room for
 * the protobuf framing of MAX_TXN_OPERATIONS compares and operations.
 */
export const MAX_TXN_BYTES = 2 * 1024 * 1024;
export const ETCD_MAX_REQUEST_BYTES = MAX_TXN_BYTES + 64 * 1024;
/** The longest lease: a lease is for liveness (a node's membership), renewed every few seconds. */
export const MAX_LEASE_TTL_SECONDS = 24 * 60 * 60;
