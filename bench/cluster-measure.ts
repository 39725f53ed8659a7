/**
 * What the cluster benchmark's measurements share: a load run (src/bench/runner.ts) with the
 * resident memory of every process it watches sampled all along, one table row per run, and the
 * SDK steps it times (a sign, a durable key creation).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { runLoad, type LoadResult, type LoadStep } from '../src/bench/runner.js';
import type { CofferSession } from '../src/client/session.js';
import type { SignMechanism } from '../src/client/types.js';

const SAMPLE_MS = 100;
const WARMUP_MS = 1000;

/** The processes whose memory is watched, by name; a pid may change (a restarted node). */
export type Watched = () => ReadonlyMap<string, number | undefined>;

/** Each watched process's highest resident memory (KiB) over the whole benchmark. */
export const peakRss = new Map<string, number>();

async function rssKib(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return undefined; // it has just exited (a kill under test)
  }
}

/** Samples every watched process's RSS until the returned stop is called. */
export function sampleRss(watched: Watched): () => Promise<void> {
  const sample = async (): Promise<void> => {
    for (const [name, pid] of watched()) {
      if (pid === undefined) continue;
      const kib = await rssKib(pid);
      if (kib !== undefined) peakRss.set(name, Math.max(peakRss.get(name) ?? 0, kib));
    }
  };
  const timer = setInterval(() => void sample(), SAMPLE_MS);
  return async () => {
    clearInterval(timer);
    await sample();
  };
}

export interface Row {
  readonly name: string;
  readonly concurrency: number;
  readonly result: LoadResult;
}

export async function measure(
  name: string,
  concurrency: number,
  seconds: number,
  watched: Watched,
  step: LoadStep,
): Promise<Row> {
  const stop = sampleRss(watched);
  try {
    const result = await runLoad({ concurrency, durationMs: seconds * 1000, warmupMs: WARMUP_MS, step });
    return { name, concurrency, result };
  } finally {
    await stop();
  }
}

export function printRows(title: string, rows: readonly Row[]): void {
  console.log(`\n${title}`);
  console.log(
    `${'measurement'.padEnd(34)} ${'in flight'.padStart(9)} ${'ops/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'ops'.padStart(7)}`,
  );
  for (const { name, concurrency, result } of rows)
    console.log(
      [
        name.padEnd(34),
        String(concurrency).padStart(9),
        result.opsPerSec.toFixed(0).padStart(8),
        result.latency.p50.toFixed(2).padStart(8),
        result.latency.p99.toFixed(2).padStart(8),
        String(result.operations).padStart(7),
      ].join(' '),
    );
}

export function printPeakRss(): void {
  console.log('\nPeak resident memory (sampled every 100 ms over the whole run)');
  for (const [name, kib] of [...peakRss].sort(([a], [b]) => a.localeCompare(b)))
    console.log(`${name.padEnd(34)} ${(kib / 1024).toFixed(1).padStart(8)} MiB`);
}

export interface SignKey {
  readonly name: string;
  readonly handle: string;
  readonly mechanism: SignMechanism;
}

/** A P-256 and an RSA-2048 signing key of the session's user. */
export async function signKeys(session: CofferSession): Promise<readonly SignKey[]> {
  const ec = await session.generateKeyPair({ keyType: 'ec', curve: 'secp256r1', label: 'bench-p256' });
  const rsa = await session.generateKeyPair({ keyType: 'rsa', modulusBits: 2048, label: 'bench-rsa2048' });
  return [
    { name: 'P-256 ECDSA', handle: ec.privateKey.handle, mechanism: 'ECDSA_SHA256' },
    { name: 'RSA-2048 PSS', handle: rsa.privateKey.handle, mechanism: 'SHA256_RSA_PKCS_PSS' },
  ];
}

const DATA = randomBytes(32);

export function signStep(session: CofferSession, key: SignKey): LoadStep {
  return async () => {
    await session.sign({ keyHandle: key.handle, mechanism: key.mechanism, data: DATA });
    return 1;
  };
}

/** One durable AES-256 token key: its record, indexes and audit event in one transaction. */
export function createStep(session: CofferSession, label: string): LoadStep {
  let next = 0;
  return async () => {
    await session.generateSymmetricKey({ keyType: 'aes', keyLengthBytes: 32, label: `${label}-${next++}` });
    return 1;
  };
}
