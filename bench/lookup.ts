/**
 * Key lookup at scale: a dev data dir with N AES-256 keys (labels lookup-0 … lookup-N-1, one
 * owner), then lookups by label (KeyRepository.find + load) and by handle (load), with the
 * repository's key cache cold and warm, and `GET /v1/keys?label=…` through a node started
 * in-process on that data dir.
 *
 * The keys are written through the real record path — KeyRepository.create makes the changes,
 * the barrier seals them, the StateStore commits them with the same compare (the handle must be
 * new) — but many keys per store txn (at most MAX_TXN_OPERATIONS operations) and one audit
 * event per txn rather than per key: a synthetic bulk load only, never a path the node offers.
 *
 *   node dist/bench/lookup.js 1000 100000 1000000 [--lookups 1000]
 */
import { randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Barrier } from '../src/barrier/barrier.js';
import { combineShares, decodeShare } from '../src/barrier/unseal-shares.js';
import { summarize } from '../src/bench/stats.js';
import { CofferClient } from '../src/client/index.js';
import { dataDir, type DataDir } from '../src/cluster/data-dir.js';
import { initCluster } from '../src/cluster/init.js';
import { startNode } from '../src/cluster/node.js';
import { checkValue } from '../src/crypto/keys/check-value.js';
import { exportKeyMaterial } from '../src/crypto/keys/material.js';
import { keyTypeProvider } from '../src/crypto/keys/registry.js';
import { KeyRepository } from '../src/keys/key-repository.js';
import { resolveCreationAttributes } from '../src/objects/attributes.js';
import { newHandle } from '../src/objects/key-handle.js';
import type { KeyRecord } from '../src/objects/key-record.js';
import { RecordReader } from '../src/records/record-reader.js';
import { RecordWriter, type Change } from '../src/records/record-writer.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { MAX_TXN_OPERATIONS, type Compare, type StateStore } from '../src/store/state-store.js';
import { createLogger } from '../src/util/logger.js';

const OWNER = 'bencher';
const OWNER_PASSWORD = 'bench-lookup-password-1';
const ADMIN_PASSWORD = 'bench-lookup-admin-password-1';

const args = process.argv.slice(2);
const lookupsFlag = args.indexOf('--lookups');
const LOOKUPS = lookupsFlag >= 0 ? Number(args[lookupsFlag + 1]) : 1000;
const sizes = args
  .filter((_, index) => lookupsFlag < 0 || (index !== lookupsFlag && index !== lookupsFlag + 1))
  .map(Number);
if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size < 1) || !(LOOKUPS >= 1)) {
  console.error('usage: node dist/bench/lookup.js N [N …] [--lookups 1000]');
  process.exit(2);
}

const label = (index: number): string => `lookup-${index}`;
const us = (ms: number): string => (ms * 1000).toFixed(1);
const line = (what: string, samples: number[]): string => {
  const summary = summarize(samples);
  return `  ${what.padEnd(44)} p50 ${us(summary.p50).padStart(8)} µs   p99 ${us(summary.p99).padStart(8)} µs   (${summary.count})`;
};

async function unsealedBarrier(dir: DataDir, store: StateStore): Promise<Barrier> {
  const barrier = new Barrier(store);
  const rootKey = await combineShares([decodeShare(await readFile(dir.devShare, 'utf8'))]);
  try {
    await barrier.unseal(rootKey);
  } finally {
    rootKey.fill(0);
  }
  return barrier;
}

async function newAesRecord(index: number, now: string): Promise<{ record: KeyRecord; material: Buffer }> {
  const provider = keyTypeProvider('aes');
  const key = await provider.generateSecret!({ keyType: 'aes', lengthBytes: 32 });
  const attributes = resolveCreationAttributes('secret', {}, { generatedHere: true });
  if (!attributes.ok) throw new Error('the default AES attributes do not resolve');
  const record: KeyRecord = {
    handle: newHandle(),
    class: 'secret',
    keyType: 'aes',
    label: label(index),
    id: '',
    attributes: attributes.attributes,
    shape: provider.shape(key),
    checkValue: checkValue(key, 'aes').toString('hex'),
    owner: OWNER,
    sharedWith: [],
    state: 'enabled',
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  return { record, material: exportKeyMaterial(key) };
}

/** Keys per txn: each key is one record and two index entries (owner, label); plus the event and head. */
const KEYS_PER_TXN = Math.floor((MAX_TXN_OPERATIONS - 2) / 3);

/**
 * Writes `count` keys, KEYS_PER_TXN a txn (at most MAX_TXN_OPERATIONS operations); returns their
 * handles. Each txn is one RecordWriter commit with one audit event naming its records: the
 * node refuses records no event of its chain wrote.
 */
async function bulkLoad(
  store: StateStore,
  barrier: Barrier,
  repository: KeyRepository,
  count: number,
): Promise<string[]> {
  const handles: string[] = [];
  const now = new Date().toISOString();
  const writer = new RecordWriter(store, barrier, 'bench-loader');
  let lastReport = performance.now();
  for (let first = 0; first < count; first += KEYS_PER_TXN) {
    const size = Math.min(KEYS_PER_TXN, count - first);
    // Generation hops through the libuv pool: make a txn's keys at once.
    const made = await Promise.all(Array.from({ length: size }, (_, offset) => newAesRecord(first + offset, now)));
    const compares: Compare[] = [];
    const changes: Change[] = [];
    for (const { record, material } of made) {
      const planned = repository.create(record, material);
      material.fill(0);
      compares.push(...planned.compares);
      changes.push(...planned.changes);
      handles.push(record.handle);
    }
    if (changes.length + 2 > MAX_TXN_OPERATIONS) throw new Error(`${changes.length} changes in one txn`);
    await writer.commit({
      compares,
      changes,
      event: { actor: 'system', action: 'bench.bulk-load', result: 'success', details: { keys: size } },
    });
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      process.stderr.write(`    … ${first + size} keys written\n`);
    }
  }
  return handles;
}

const sample = (count: number, lookups: number): number[] => Array.from({ length: lookups }, () => randomInt(0, count));

async function timeEach(indices: readonly number[], lookup: (index: number) => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (const index of indices) {
    const began = performance.now();
    await lookup(index);
    samples.push(performance.now() - began);
  }
  return samples;
}

async function inProcessLookups(store: StateStore, barrier: Barrier, handles: readonly string[]): Promise<void> {
  const reader = new RecordReader(store, barrier);
  const byLabel = async (repository: KeyRepository, index: number): Promise<void> => {
    const found = await repository.find('label', label(index), { limit: 2 });
    if (found.handles.length !== 1) throw new Error(`label ${label(index)}: ${found.handles.length} keys`);
    const loaded = await repository.load(found.handles[0] as string);
    if (loaded?.record.label !== label(index)) throw new Error(`label ${label(index)} loaded the wrong key`);
  };
  const byHandle = async (repository: KeyRepository, index: number): Promise<void> => {
    if (!(await repository.load(handles[index] as string))) throw new Error(`handle ${handles[index]} not found`);
  };
  for (const [what, lookup] of [
    ['by label (find + load)', byLabel],
    ['by handle (load)', byHandle],
  ] as const) {
    const repository = new KeyRepository(store, barrier, reader);
    try {
      const indices = sample(handles.length, LOOKUPS);
      console.log(line(`${what}, cold key cache`, await timeEach(indices, (index) => lookup(repository, index))));
      console.log(line(`${what}, warm key cache`, await timeEach(indices, (index) => lookup(repository, index))));
    } finally {
      repository.close();
    }
  }
}

async function httpLookups(dir: DataDir, count: number): Promise<void> {
  const node = await startNode({ dataDir: dir.root, port: 0, logger: createLogger({ level: 'silent' }) });
  const client = new CofferClient({ endpoints: [node.url], ca: await readFile(dir.caCert) });
  try {
    await client.activate(ADMIN_PASSWORD);
    const admin = await client.login('admin', ADMIN_PASSWORD);
    await admin.createUser(OWNER, 'crypto-user', OWNER_PASSWORD);
    await admin.logout();
    const session = await client.login(OWNER, OWNER_PASSWORD);
    const lookup = async (index: number): Promise<void> => {
      const page = await session.listKeys({ label: label(index) });
      if (page.keys.length !== 1) throw new Error(`GET /v1/keys?label=${label(index)}: ${page.keys.length} keys`);
    };
    const indices = sample(count, LOOKUPS);
    console.log(line('HTTP GET /v1/keys?label=…, cold key cache', await timeEach(indices, lookup)));
    console.log(line('HTTP GET /v1/keys?label=…, warm key cache', await timeEach(indices, lookup)));
    await session.logout();
  } finally {
    await client.close();
    await node.close();
  }
}

async function storeBytes(dir: DataDir): Promise<number> {
  let total = 0;
  for (const file of [dir.store, `${dir.store}-wal`]) total += (await stat(file).catch(() => ({ size: 0 }))).size;
  return total;
}

console.log(
  `lookup benchmark: ${LOOKUPS} random lookups per figure, one at a time. Keys are bulk-loaded through ` +
    `KeyRepository.create + the barrier + StateStore.txn, up to ${MAX_TXN_OPERATIONS} operations a txn, ` +
    'with one audit event per txn (a synthetic load only: the node always writes one audit event per change). ' +
    '"Cold" = Coffer\'s key cache empty; SQLite\'s page cache and the OS cache are warm from the load.',
);
for (const count of sizes) {
  const root = await mkdtemp(join(tmpdir(), 'coffer-bench-lookup-'));
  const dir = dataDir(join(root, 'data'));
  try {
    await initCluster({ dataDir: dir.root, mode: 'dev', seal: { shares: 1, threshold: 1 }, outDir: dir.devDir });
    console.log(`\n${count} keys`);
    const store = await openSqliteStore(dir.store);
    try {
      const barrier = await unsealedBarrier(dir, store);
      const loader = new KeyRepository(store, barrier, new RecordReader(store, barrier));
      const began = performance.now();
      const handles = await bulkLoad(store, barrier, loader, count);
      const seconds = (performance.now() - began) / 1000;
      loader.close();
      console.log(`  load: ${seconds.toFixed(1)} s, ${(count / seconds).toFixed(0)} keys/s (no audit events)`);
      await inProcessLookups(store, barrier, handles);
    } finally {
      await store.close();
    }
    const bytes = await storeBytes(dir);
    console.log(
      `  store file: ${(bytes / 2 ** 20).toFixed(1)} MiB (${(bytes / count).toFixed(0)} B/key, store.db + WAL)`,
    );
    await httpLookups(dir, count);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
