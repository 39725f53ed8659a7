/**
 * The SQLite store of two builds in one run, alternating each round: durable single-put txns
 * as bench/store-compare.ts makes them, one at a time and `concurrency` in flight, and the
 * longest the event loop went without running a 1 ms timer meanwhile (a commit that runs on the
 * loop holds it for as long as the load lasts). Prints one JSON object per measurement.
 *
 *   node dist/bench/store-ab.js DIST_A DIST_B [seconds=4] [rounds=3] [concurrency=16]
 *   node dist/bench/store-ab.js ../other-tree/dist dist 4 4
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { runLoad } from '../src/bench/runner.js';
import type { StateStore } from '../src/store/state-store.js';
import { txnStep } from './store-txn.js';

type SqliteModule = { openSqliteStore(path: string): Promise<StateStore> };

const [distA, distB] = process.argv.slice(2, 4);
if (distA === undefined || distB === undefined) {
  throw new Error('usage: store-ab DIST_A DIST_B [seconds] [rounds] [concurrency]');
}
const seconds = Number(process.argv[4] ?? 4);
const rounds = Number(process.argv[5] ?? 3);
const concurrency = Number(process.argv[6] ?? 16);

async function load(dist: string): Promise<SqliteModule> {
  return (await import(pathToFileURL(resolve(dist, 'src/store/sqlite-store.js')).href)) as SqliteModule;
}

/** Runs the load while a 1 ms timer notes the longest time between two of its turns. */
async function measure(store: StateStore, inFlight: number) {
  let last = performance.now();
  let worstGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worstGapMs = Math.max(worstGapMs, now - last);
    last = now;
  }, 1);
  try {
    const durationMs = seconds * 1000;
    return {
      result: await runLoad({ concurrency: inFlight, durationMs, warmupMs: 500, step: txnStep(store, `c${inFlight}`) }),
      worstGapMs: Math.max(worstGapMs, performance.now() - last),
    };
  } finally {
    clearInterval(timer);
  }
}

const builds = [
  { dist: distA, module: await load(distA) },
  { dist: distB, module: await load(distB) },
];
const dir = await mkdtemp(join(tmpdir(), 'coffer-bench-ab-'));
try {
  for (let round = 1; round <= rounds; round++) {
    for (const [index, build] of builds.entries()) {
      const store = await build.module.openSqliteStore(join(dir, `${index}-${round}.db`));
      try {
        for (const inFlight of [1, concurrency]) {
          const { result, worstGapMs } = await measure(store, inFlight);
          console.log(
            JSON.stringify({
              round,
              dist: build.dist,
              inFlight,
              txnPerSec: Math.round(result.opsPerSec),
              p50Ms: Number(result.latency.p50.toFixed(2)),
              p99Ms: Number(result.latency.p99.toFixed(2)),
              worstTimerGapMs: Number(worstGapMs.toFixed(1)),
            }),
          );
        }
      } finally {
        await store.close();
      }
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
