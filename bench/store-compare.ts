/**
 * The state stores side by side, in one run: durable single-put txns (one sealed-key-record
 * sized value, compared must-not-exist, as a key creation commits) on SQLite (WAL,
 * synchronous=FULL), a one-member etcd and a three-member etcd, all on loopback with their
 * data on the same disk. Per store: txn/s and p50/p99 latency one at a time (each txn waits
 * for the previous), then txn/s with `concurrency` txns in flight. Prints figures only.
 *
 *   node dist/bench/store-compare.js [seconds=5] [concurrency=16]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, type LoadResult } from '../src/bench/runner.js';
import { openEtcdStore } from '../src/store/etcd/etcd-store.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { StateStore } from '../src/store/state-store.js';
import { txnStep, VALUE_BYTES } from './store-txn.js';
import { startEtcd } from '../test/support/etcd-process.js';

const seconds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 16);

function row(name: string, mode: string, result: LoadResult): string {
  const { p50, p99 } = result.latency;
  return [
    name.padEnd(16),
    mode.padEnd(14),
    `${result.opsPerSec.toFixed(0).padStart(7)} txn/s`,
    `p50 ${p50.toFixed(2).padStart(7)} ms`,
    `p99 ${p99.toFixed(2).padStart(7)} ms`,
    `(${result.requests} txns)`,
  ].join('  ');
}

async function measure(name: string, store: StateStore): Promise<void> {
  const durationMs = seconds * 1000;
  const serial = await runLoad({ concurrency: 1, durationMs, warmupMs: 500, step: txnStep(store, 'serial') });
  console.log(row(name, 'one at a time', serial));
  const parallel = await runLoad({ concurrency, durationMs, warmupMs: 500, step: txnStep(store, 'parallel') });
  console.log(row(name, `${concurrency} in flight`, parallel));
}

const cleanups: (() => Promise<void>)[] = [];
const root = await mkdtemp(join(tmpdir(), 'coffer-bench-stores-'));
cleanups.push(() => rm(root, { recursive: true, force: true }));
try {
  console.log(`single-put txns of ${VALUE_BYTES} bytes, ${seconds} s each, data under ${tmpdir()}`);
  const sqlite = await openSqliteStore(join(root, 'bench.db'));
  try {
    await measure('sqlite', sqlite);
  } finally {
    await sqlite.close();
  }
  for (const members of [1, 3] as const) {
    // etcd's default timings, not the tests' short ones: the figures are for a real cluster.
    const cluster = await startEtcd({ members, electionMs: 1000 }, (stop) => cleanups.push(stop));
    const store = await openEtcdStore({ endpoints: cluster.endpoints });
    try {
      await measure(`etcd ${members} member${members === 1 ? '' : 's'}`, store);
    } finally {
      await store.close();
    }
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
