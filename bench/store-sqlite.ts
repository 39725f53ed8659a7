/**
 * Benchmark of the SQLite state store: durable single-put transactions per second (each one
 * fsynced, synchronous=FULL) and range-page latency at 100k keys. Prints figures only.
 * Run: node --import tsx bench/store-sqlite.ts [keys]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MAX_TXN_OPERATIONS, type RangeOptions } from '../src/store/state-store.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite-store.js';

const KEYS = Number(process.argv[2] ?? 100_000);
const VALUE = Buffer.alloc(512, 1); // About the size of a sealed key record.
const SINGLE_PUTS = 2_000;
const PAGE_READS = 2_000;

function key(index: number): string {
  return `objects/${String(index).padStart(8, '0')}`;
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

async function singlePuts(store: SqliteStore): Promise<void> {
  const start = performance.now();
  for (let index = 0; index < SINGLE_PUTS; index++) {
    await store.txn(
      [{ key: `single/${index}`, modRevision: 0 }],
      [{ type: 'put', key: `single/${index}`, value: VALUE }],
    );
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(`durable single-put txns: ${(SINGLE_PUTS / seconds).toFixed(0)}/s (${SINGLE_PUTS} txns)`);
}

async function fill(store: SqliteStore): Promise<void> {
  const start = performance.now();
  for (let first = 0; first < KEYS; first += MAX_TXN_OPERATIONS) {
    const count = Math.min(MAX_TXN_OPERATIONS, KEYS - first);
    const operations = Array.from({ length: count }, (_, offset) => ({
      type: 'put' as const,
      key: key(first + offset),
      value: VALUE,
    }));
    await store.txn([], operations);
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(`filled ${KEYS} keys in ${seconds.toFixed(1)} s (${MAX_TXN_OPERATIONS} puts a txn)`);
}

async function pages(store: SqliteStore, label: string, options: RangeOptions): Promise<void> {
  const timings: number[] = [];
  for (let read = 0; read < PAGE_READS; read++) {
    const after = key(Math.floor(Math.random() * KEYS));
    const start = performance.now();
    await store.range('objects/', { ...options, after });
    timings.push(performance.now() - start);
  }
  timings.sort((a, b) => a - b);
  const p50 = percentile(timings, 0.5).toFixed(3);
  const p99 = percentile(timings, 0.99).toFixed(3);
  console.log(`range page ${label}: p50 ${p50} ms, p99 ${p99} ms (${PAGE_READS} pages at random cursors)`);
}

const dir = await mkdtemp(join(tmpdir(), 'coffer-bench-'));
try {
  const store = await openSqliteStore(join(dir, 'bench.db'));
  try {
    await singlePuts(store);
    await fill(store);
    await pages(store, 'of 100 with values', { limit: 100 });
    await pages(store, 'of 100 keysOnly', { limit: 100, keysOnly: true });
    await pages(store, 'of 1000 with values', { limit: 1000 });
  } finally {
    await store.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
