/**
 * Input checks every StateStore applies before touching storage, so that both implementations
 * refuse exactly the same requests (etcd would otherwise accept some that SQLite refuses).
 * Callers are internal, so every refusal is INVALID_FIELD with a detail naming the rule.
 */
import { CofferError } from '../errors/coffer-error.js';
import {
  type Compare,
  DEFAULT_RANGE_LIMIT,
  type LeaseId,
  MAX_KEY_BYTES,
  MAX_LEASE_TTL_SECONDS,
  MAX_RANGE_LIMIT,
  MAX_TXN_BYTES,
  MAX_TXN_OPERATIONS,
  MAX_VALUE_BYTES,
  type Operation,
  type RangeOptions,
  type WatchOptions,
} from './state-store.js';

// A lone surrogate has no UTF-8 encoding: it would be stored as U+FFFD and read back changed.
const LONE_SURROGATE = /\p{Surrogate}/u;

function invalid(detail: string): CofferError {
  return new CofferError('INVALID_FIELD', detail);
}

/** A prefix may be empty (all keys); otherwise it obeys the key rules. */
export function checkPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw invalid('store prefix must be a string');
  if (prefix.length > 0) checkKey(prefix);
}

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw invalid('store key must be a non-empty string');
  if (key.includes('\0')) throw invalid('store key must not contain NUL');
  if (LONE_SURROGATE.test(key)) throw invalid('store key must be well-formed Unicode');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw invalid(`store key must be at most ${MAX_KEY_BYTES} bytes of UTF-8`);
  }
}

export function checkValue(value: Buffer): void {
  if (!Buffer.isBuffer(value)) throw invalid('store value must be a Buffer');
  if (value.length > MAX_VALUE_BYTES) throw invalid(`store value must be at most ${MAX_VALUE_BYTES} bytes`);
}

export function checkTxn(compares: readonly Compare[], operations: readonly Operation[]): void {
  if (compares.length > MAX_TXN_OPERATIONS || operations.length > MAX_TXN_OPERATIONS) {
    throw invalid(
      `a store transaction takes at most ${MAX_TXN_OPERATIONS} compares and ${MAX_TXN_OPERATIONS} operations`,
    );
  }
  for (const compare of compares) {
    checkKey(compare.key);
    if (!Number.isSafeInteger(compare.modRevision) || compare.modRevision < 0) {
      throw invalid('compare modRevision must be a non-negative integer');
    }
  }
  let bytes = compares.reduce((sum, compare) => sum + Buffer.byteLength(compare.key, 'utf8'), 0);
  const seen = new Set<string>();
  for (const operation of operations) {
    checkKey(operation.key);
    bytes += Buffer.byteLength(operation.key, 'utf8');
    if (operation.type === 'put') {
      checkValue(operation.value);
      if (operation.lease !== undefined) checkLeaseId(operation.lease);
      bytes += operation.value.length;
    } else if (operation.type !== 'delete') throw invalid('store operation type must be put or delete');
    // etcd refuses a key written twice in one txn: the outcome would depend on operation order.
    if (seen.has(operation.key)) throw invalid('a key appears twice in one store transaction');
    seen.add(operation.key);
  }
  if (bytes > MAX_TXN_BYTES)
    throw invalid(`a store transaction carries at most ${MAX_TXN_BYTES} bytes of keys and values`);
}

/** A revision a caller names (a range's, a watch's start, a compaction's): a non-negative integer. */
export function checkRevision(revision: number, what: string): void {
  if (!Number.isSafeInteger(revision) || revision < 0) throw invalid(`${what} must be a non-negative integer`);
}

export function checkWatchOptions(options: WatchOptions | undefined): void {
  if (options?.fromRevision !== undefined) checkRevision(options.fromRevision, 'watch fromRevision');
  if (options?.onReset !== undefined && typeof options.onReset !== 'function')
    throw invalid('onReset must be a function');
}

// etcd's ids are positive int64; 19 digits at most, and no leading zero so one id has one spelling.
const LEASE_ID = /^[1-9][0-9]{0,18}$/;
const MAX_INT64 = 2n ** 63n - 1n;

export function checkLeaseId(id: LeaseId): void {
  if (typeof id !== 'string' || !LEASE_ID.test(id) || BigInt(id) > MAX_INT64) {
    throw invalid('lease id must be a positive 64-bit integer in decimal');
  }
}

export function checkLeaseTtl(ttlSeconds: number): void {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_LEASE_TTL_SECONDS) {
    throw invalid(`lease TTL must be an integer from 1 to ${MAX_LEASE_TTL_SECONDS} seconds`);
  }
}

/** Checks a range's prefix and options; returns the page size it uses. */
export function checkRange(prefix: string, options: RangeOptions | undefined): number {
  checkPrefix(prefix);
  if (options?.after !== undefined) checkKey(options.after);
  if (options?.revision !== undefined) checkRevision(options.revision, 'range revision');
  return rangeLimit(options);
}

/** The page size a range uses: the default when absent, capped at MAX_RANGE_LIMIT. */
function rangeLimit(options: RangeOptions | undefined): number {
  const limit = options?.limit;
  if (limit === undefined) return DEFAULT_RANGE_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw invalid('range limit must be a positive integer');
  return Math.min(limit, MAX_RANGE_LIMIT);
}
