/**
 * The failover window a client sees. Steady P-256 signs through one SDK client given every
 * endpoint (in the first node's zone, as an application placed beside a node is); then kill -9
 * of the node that served most of them, or of the etcd leader. Per trial:
 *
 *   window     kill → the end of the first call that began after the kill and succeeded
 *   failed     calls that failed after the kill, and from the kill to the last one's end
 *   slowest    the longest successful call that was in flight across the kill
 *
 * With the etcd leader killed, durable key creations run beside the signs, since a write is
 * what waits for a new leader. The killed process is started again and the cluster is ready
 * before the next trial; each trial has a fresh client, so no backoff carries over.
 */
import { performance } from 'node:perf_hooks';
import { CofferClient } from '../src/client/client.js';
import type { CofferSession } from '../src/client/session.js';
import type { SignKey } from './cluster-measure.js';
import { createStep, signStep } from './cluster-measure.js';
import { startOutcomeLoop, type Outcome } from './cluster-outcomes.js';

export interface FailoverNode {
  readonly name: string;
  readonly url: string;
  readonly zone: string;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export interface FailoverTarget {
  readonly nodes: readonly FailoverNode[];
  readonly tls: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer };
  readonly user: { readonly username: string; readonly password: string };
  /** The etcd leader now, with its kill -9 and its start again. */
  etcdLeader(): Promise<{ readonly name: string; kill(): Promise<void>; restart(): Promise<void> }>;
}

export interface StreamFigures {
  readonly windowMs: number | undefined;
  readonly failed: number;
  readonly failedSpanMs: number;
  readonly slowestAcrossMs: number;
  readonly errors: readonly string[];
}

export interface Trial {
  readonly killed: string;
  /** The share of signs the killed node served before the kill (node trials). */
  readonly servedShare?: number;
  readonly signs: StreamFigures;
  readonly creates?: StreamFigures;
}

const STEADY_MS = 1500;
const AFTER_KILL_MS = 4000;

function figures(outcomes: readonly Outcome[], killedAt: number): StreamFigures {
  const firstOk = outcomes
    .filter((outcome) => outcome.error === undefined && outcome.began >= killedAt)
    .reduce((first, outcome) => Math.min(first, outcome.ended), Number.POSITIVE_INFINITY);
  const failures = outcomes.filter((outcome) => outcome.error !== undefined && outcome.ended >= killedAt);
  const across = outcomes.filter(
    (outcome) => outcome.error === undefined && outcome.began < killedAt && outcome.ended >= killedAt,
  );
  return {
    windowMs: Number.isFinite(firstOk) ? firstOk - killedAt : undefined,
    failed: failures.length,
    failedSpanMs: failures.reduce((last, outcome) => Math.max(last, outcome.ended - killedAt), 0),
    slowestAcrossMs: across.reduce((slowest, outcome) => Math.max(slowest, outcome.ended - outcome.began), 0),
    errors: [...new Set(failures.map((outcome) => outcome.error!))],
  };
}

async function clientFor(target: FailoverTarget): Promise<{ client: CofferClient; session: CofferSession }> {
  const client = new CofferClient({
    endpoints: target.nodes.map((node) => ({ url: node.url, zone: node.zone })),
    zone: target.nodes[0]!.zone,
    ...target.tls,
  });
  try {
    return { client, session: await client.login(target.user.username, target.user.password) };
  } catch (error) {
    await client.close();
    throw error;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One trial: steady load, the kill, the load through it, then the killed process back. */
async function trial(target: FailoverTarget, key: SignKey, concurrency: number, kind: 'node' | 'etcd'): Promise<Trial> {
  const { client, session } = await clientFor(target);
  try {
    const served = new Map<string, number>();
    const sign = signStep(session, key);
    const signs = startOutcomeLoop(concurrency, async () => {
      await sign();
      served.set(client.currentEndpoint, (served.get(client.currentEndpoint) ?? 0) + 1);
    });
    const creates = kind === 'etcd' ? startOutcomeLoop(2, createStep(session, 'failover')) : undefined;
    await sleep(STEADY_MS);
    let killed: string;
    let servedShare: number | undefined;
    let restart: () => Promise<void>;
    let killedAt: number;
    if (kind === 'node') {
      const total = [...served.values()].reduce((sum, count) => sum + count, 0);
      const [busiest] = [...served].sort(([, a], [, b]) => b - a)[0]!;
      const node = target.nodes.find((candidate) => candidate.url === busiest)!;
      servedShare = (served.get(busiest) ?? 0) / total;
      killed = node.name;
      killedAt = performance.now();
      await node.kill();
      restart = () => node.restart();
    } else {
      const leader = await target.etcdLeader();
      killed = `etcd ${leader.name} (leader)`;
      killedAt = performance.now();
      await leader.kill();
      restart = () => leader.restart();
    }
    await sleep(AFTER_KILL_MS);
    await Promise.all([signs.stop(), creates?.stop()]);
    await restart();
    return {
      killed,
      ...(servedShare !== undefined && { servedShare }),
      signs: figures(signs.outcomes, killedAt),
      ...(creates && { creates: figures(creates.outcomes, killedAt) }),
    };
  } finally {
    await client.close();
  }
}

export async function measureFailover(
  target: FailoverTarget,
  key: SignKey,
  concurrency: number,
  repeats: number,
): Promise<{ node: Trial[]; etcd: Trial[] }> {
  const node: Trial[] = [];
  const etcd: Trial[] = [];
  for (let i = 0; i < repeats; i++) node.push(await trial(target, key, concurrency, 'node'));
  for (let i = 0; i < repeats; i++) etcd.push(await trial(target, key, concurrency, 'etcd'));
  return { node, etcd };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const ms = (value: number | undefined): string => (value === undefined ? 'none' : value.toFixed(0));

function streamLine(label: string, stream: StreamFigures): string {
  return [
    label.padEnd(8),
    `window ${ms(stream.windowMs).padStart(5)} ms`,
    `failed ${String(stream.failed).padStart(3)} over ${ms(stream.failedSpanMs).padStart(5)} ms`,
    `slowest across ${ms(stream.slowestAcrossMs).padStart(5)} ms`,
    stream.errors.length > 0 ? stream.errors.join(',') : '',
  ].join('  ');
}

export function printFailover(result: { node: Trial[]; etcd: Trial[] }, concurrency: number): void {
  console.log(`\n4. Failover as the client sees it (${concurrency} P-256 signs in flight, kill -9, goal < 2000 ms)`);
  for (const [title, trials] of [
    ['a Coffer node killed', result.node],
    ['the etcd leader killed (2 key creations in flight beside)', result.etcd],
  ] as const) {
    console.log(`-- ${title}`);
    trials.forEach((t, index) => {
      const share = t.servedShare === undefined ? '' : ` (served ${(t.servedShare * 100).toFixed(0)}% before)`;
      console.log(`trial ${index + 1}: killed ${t.killed}${share}`);
      console.log(`  ${streamLine('signs', t.signs)}`);
      if (t.creates) console.log(`  ${streamLine('creates', t.creates)}`);
    });
    const windows = (pick: (t: Trial) => StreamFigures | undefined): number[] =>
      trials.map(pick).flatMap((s) => (s?.windowMs === undefined ? [] : [s.windowMs]));
    const failed = (pick: (t: Trial) => StreamFigures | undefined): number[] =>
      trials.map(pick).flatMap((s) => (s === undefined ? [] : [s.failed]));
    console.log(
      `  median: signs window ${ms(median(windows((t) => t.signs)))} ms, failed ${median(failed((t) => t.signs))}` +
        (trials[0]?.creates
          ? `; creates window ${ms(median(windows((t) => t.creates)))} ms, failed ${median(failed((t) => t.creates))}`
          : ''),
    );
  }
}
