/**
 * The transaction the store benchmarks time: one put of a new key with a sealed key record's
 * worth of bytes, compared absent — what a key creation commits at its smallest.
 */
import { randomBytes } from 'node:crypto';
import type { StateStore } from '../src/store/state-store.js';

/** A sealed AES or EC key record with its indexes' worth of bytes. */
export const VALUE_BYTES = 1536;

/** A load step: each call commits one such txn under `label`'s own keys. */
export function txnStep(store: StateStore, label: string): () => Promise<number> {
  const value = randomBytes(VALUE_BYTES);
  let next = 0;
  return async () => {
    const key = `bench/${label}/${String(next++).padStart(9, '0')}`;
    const result = await store.txn([{ key, modRevision: 0 }], [{ type: 'put', key, value }]);
    if (!result.succeeded) throw new Error(`txn on ${key} failed its compare`);
    return 1;
  };
}
