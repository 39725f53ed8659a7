/**
 * What the StateStore contract's parts share: operation builders, a collector of watch events
 * and a poll with a deadline. Nothing here may depend on one implementation.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach } from 'node:test';
import { isCofferError } from '../../src/errors/coffer-error.js';
import type { ErrorCode } from '../../src/errors/registry.js';
import {
  type Compare,
  type LeaseId,
  MAX_TXN_OPERATIONS,
  type Operation,
  type StateStore,
  type WatchEvent,
  type WatchOptions,
  type WatchReset,
} from '../../src/store/state-store.js';

export type OpenStore = () => Promise<{ store: StateStore; cleanup: () => Promise<void> }>;

export const WAIT_MS = 5000;

export function put(key: string, value: string | Buffer = key, lease?: LeaseId): Operation {
  return {
    type: 'put',
    key,
    value: Buffer.isBuffer(value) ? value : Buffer.from(value),
    ...(lease === undefined ? {} : { lease }),
  };
}

export function del(key: string): Operation {
  return { type: 'delete', key };
}

export function mustNotExist(key: string): Compare {
  return { key, modRevision: 0 };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  waitMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Records the events (and resets) a watcher receives. */
export interface Collector {
  readonly events: WatchEvent[];
  readonly resets: WatchReset[];
  readonly waitFor: (count: number) => Promise<void>;
  readonly stop: () => void;
}

export function collect(store: StateStore, prefix: string, options?: Omit<WatchOptions, 'onReset'>): Collector {
  const events: WatchEvent[] = [];
  const resets: WatchReset[] = [];
  const stop = store.watch(prefix, (event) => events.push(event), {
    ...options,
    onReset: (reset) => resets.push(reset),
  });
  const waitFor = (count: number) => until(() => events.length >= count, `${count} events under '${prefix}'`);
  return { events, resets, waitFor, stop };
}

export function summary(events: readonly WatchEvent[]): string[] {
  return events.map((event) => `${event.type} ${event.key} @${event.modRevision}`);
}

export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isCofferError(error, code));
}

export async function rejectsInvalid(promise: Promise<unknown>): Promise<void> {
  await rejectsWith(promise, 'INVALID_FIELD');
}

/** Writes `count` keys `${prefix}${index padded}` in as few transactions as the limits allow. */
export async function fill(store: StateStore, prefix: string, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, index) => `${prefix}${String(index).padStart(5, '0')}`);
  for (let start = 0; start < keys.length; start += MAX_TXN_OPERATIONS) {
    await store.txn(
      [],
      keys.slice(start, start + MAX_TXN_OPERATIONS).map((key) => put(key)),
    );
  }
  return keys;
}

export async function allKeys(store: StateStore, prefix: string, limit: number): Promise<string[]> {
  const keys: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.range(prefix, { limit, ...(after === undefined ? {} : { after }) });
    keys.push(...page.entries.map((entry) => entry.key));
    after = page.entries.at(-1)?.key;
    if (!page.more) return keys;
  }
}

/** Call inside a describe: each of its tests gets a fresh, empty store from `open`, cleaned up after it. */
export function freshStore(open: OpenStore): () => StateStore {
  let store: StateStore | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    ({ store, cleanup } = await open());
  });
  afterEach(async () => {
    await cleanup?.();
    store = undefined;
    cleanup = undefined;
  });
  return () => {
    if (store === undefined) throw new Error('no store: used outside a test');
    return store;
  };
}
