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

export type Operation =
  | { readonly type: 'put'; readonly key: string; readonly value: Buffer }
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
   */
  watch(prefix: string, listener: (event: WatchEvent) => void): Unsubscribe;
  /** The current store revision: 0 for an empty, never-written store. */
  revision(): Promise<number>;
  /** Idempotent; afterwards every other method fails. */
  close(): Promise<void>;
}

export const DEFAULT_RANGE_LIMIT = 100;
export const MAX_RANGE_LIMIT = 1000;

/** Keys are at most this many UTF-8 bytes, non-empty, without NUL or unpaired surrogates. */
export const MAX_KEY_BYTES = 1024;
/** etcd's default request limit (--max-request-bytes): 1.5 MiB. */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;
/** etcd's default --max-txn-ops: the most compares, and the most operations, in one txn. */
export const MAX_TXN_OPERATIONS = 128;
