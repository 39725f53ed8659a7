import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { CofferSession } from '../../client/index.js';
import {
  BENCH_OPERATION_NAMES,
  BENCH_OPERATIONS,
  isBenchOperationName,
  requestStep,
  type BenchOperationName,
  type PreparedOperation,
} from '../../bench/operations.js';
import { runLoad, type LoadProgress } from '../../bench/runner.js';
import { parseInteger } from '../data-input.js';
import { CliError } from '../errors.js';
import { humanFailure, jsonFailure, table } from '../output.js';
import { withAuthOptions, withSession, type AuthOptions, type CliContext } from '../run.js';

export interface BenchFlags extends AuthOptions {
  readonly operation?: readonly string[];
  readonly concurrency?: string;
  readonly duration?: string;
  readonly batch?: string;
}

export interface BenchPlan {
  readonly operations: readonly BenchOperationName[];
  readonly concurrencies: readonly number[];
  readonly durationMs: number;
  /** Operations per batch request; 1 sends single requests. */
  readonly batch: number;
}

export interface BenchRow {
  readonly operation: BenchOperationName;
  readonly concurrency: number;
  /** The batch size really used (1 for operations the batch route does not carry). */
  readonly batch: number;
  readonly opsPerSec: number;
  /** Per request: a batch request's latency covers all `batch` operations. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly operations: number;
  readonly requests: number;
  readonly seconds: number;
}

const MAX_CONCURRENCY = 1024;
const MAX_DURATION_SECONDS = 3600;
const MAX_BATCH = 1000;
/** Measured runs start after a warm-up of this share of the duration (at most 1 s): connections, TLS. */
const WARMUP_SHARE = 0.1;
const MAX_WARMUP_MS = 1000;

const splitList = (values: readonly string[]): string[] =>
  values
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');

/** Checks the flags and turns them into a plan; throws INVALID_ARGUMENT naming the flag. */
export function parseBenchOptions(
  flags: Pick<BenchFlags, 'operation' | 'concurrency' | 'duration' | 'batch'>,
): BenchPlan {
  const names = splitList(flags.operation ?? []);
  if (names.length === 0)
    throw new CliError('MISSING_ARGUMENT', `--operation is required (one of ${BENCH_OPERATION_NAMES.join(', ')})`);
  const operations: BenchOperationName[] = [];
  for (const name of names) {
    if (!isBenchOperationName(name))
      throw new CliError('INVALID_ARGUMENT', `--operation ${name} is not one of ${BENCH_OPERATION_NAMES.join(', ')}`);
    if (!operations.includes(name)) operations.push(name);
  }
  const concurrencies = splitList([flags.concurrency ?? '1']).map(
    (value) => parseInteger(value, '--concurrency', 1, MAX_CONCURRENCY) as number,
  );
  if (concurrencies.length === 0) throw new CliError('INVALID_ARGUMENT', '--concurrency needs at least one number');
  const durationText = flags.duration ?? '10';
  const seconds = Number(durationText);
  if (!/^\d+(\.\d+)?$/.test(durationText) || !(seconds >= 0.1 && seconds <= MAX_DURATION_SECONDS))
    throw new CliError(
      'INVALID_ARGUMENT',
      `--duration must be a number of seconds from 0.1 to ${MAX_DURATION_SECONDS}`,
    );
  const batch = parseInteger(flags.batch ?? '1', '--batch', 1, MAX_BATCH) as number;
  return { operations, concurrencies: [...new Set(concurrencies)], durationMs: seconds * 1000, batch };
}

const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');

/** The human table, with a header note saying what the latency columns measure. */
export function formatBenchTable(rows: readonly BenchRow[]): string {
  const batched = rows.some((row) => row.batch > 1);
  const note = batched
    ? '# ops/s counts operations. p50/p99 are per request; a batch request carries `batch` operations,\n' +
      '# so "p50 ms/op" is the request p50 divided by the batch size (amortized, not a per-operation latency).'
    : '# ops/s counts operations; p50/p99 are per request (one operation each).';
  const headers = ['operation', 'concurrency', 'batch', 'ops/s', 'p50 ms', 'p99 ms', ...(batched ? ['p50 ms/op'] : [])];
  const lines = rows.map((row) => [
    row.operation,
    row.concurrency,
    row.batch,
    fixed(row.opsPerSec, 0),
    fixed(row.p50Ms, 2),
    fixed(row.p99Ms, 2),
    ...(batched ? [fixed(row.p50Ms / row.batch, 3)] : []),
  ]);
  return `${note}\n${table(headers, lines)}`;
}

/** `--json`: exactly {"results":[{operation, concurrency, opsPerSec, p50Ms, p99Ms, …}]}. */
export function benchJson(rows: readonly BenchRow[]): string {
  const round = (value: number, digits: number) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);
  return JSON.stringify({
    results: rows.map((row) => ({
      operation: row.operation,
      concurrency: row.concurrency,
      opsPerSec: round(row.opsPerSec, 1),
      p50Ms: round(row.p50Ms, 3),
      p99Ms: round(row.p99Ms, 3),
      batch: row.batch,
      operations: row.operations,
      requests: row.requests,
      seconds: round(row.seconds, 3),
    })),
  });
}

function progressLine(name: string, concurrency: number, batch: number, progress: LoadProgress): string {
  const seconds = progress.elapsedMs / 1000;
  const rate = seconds > 0 ? progress.operations / seconds : 0;
  return (
    `bench ${name} concurrency=${concurrency} batch=${batch}: ${seconds.toFixed(0)}/${(progress.durationMs / 1000).toFixed(0)} s, ` +
    `${progress.operations} ops, ${rate.toFixed(0)} ops/s\n`
  );
}

async function measure(
  ctx: CliContext,
  session: CofferSession,
  plan: BenchPlan,
  prepared: ReadonlyMap<BenchOperationName, PreparedOperation>,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const name of plan.operations) {
    const operation = prepared.get(name) as PreparedOperation;
    for (const concurrency of plan.concurrencies) {
      const { step, batch } = requestStep(session, operation, plan.batch);
      const result = await runLoad({
        concurrency,
        durationMs: plan.durationMs,
        warmupMs: Math.min(MAX_WARMUP_MS, plan.durationMs * WARMUP_SHARE),
        step,
        onProgress: (progress) => ctx.io.writeErr(progressLine(name, concurrency, batch, progress)),
      });
      rows.push({
        operation: name,
        concurrency,
        batch,
        opsPerSec: result.opsPerSec,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        operations: result.operations,
        requests: result.requests,
        seconds: result.elapsedMs / 1000,
      });
    }
  }
  return rows;
}

/** Creates the keys, measures, and deletes every bench key in `finally`. */
async function runBench(ctx: CliContext, session: CofferSession, plan: BenchPlan): Promise<BenchRow[]> {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const prepared = new Map<BenchOperationName, PreparedOperation>();
  try {
    for (const name of plan.operations) {
      ctx.io.writeErr(`bench: preparing ${name} (${BENCH_OPERATIONS[name].description})\n`);
      prepared.set(name, await BENCH_OPERATIONS[name].prepare(session, `${prefix}-${name}`));
    }
    return await measure(ctx, session, plan, prepared);
  } finally {
    ctx.io.writeErr(`bench: deleting the ${prefix}-* keys\n`);
    for (const [name, operation] of prepared) {
      await operation
        .cleanup()
        .catch((error: unknown) => ctx.io.writeErr(`bench: cleaning up ${name} failed: ${humanFailure(error)}\n`));
    }
  }
}

export function registerBenchCommand(program: Command, ctx: CliContext): void {
  const command = program
    .command('bench')
    .description(
      "measure ops/s and p50/p99 latency through the API (CloudHSM's pkpspeed); creates bench-* keys and deletes them",
    )
    .option(
      '--operation <name>',
      `an operation to measure, repeatable or comma-separated: ${BENCH_OPERATION_NAMES.join(', ')}`,
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--concurrency <list>', 'requests in flight, comma-separated; each is one run', '1')
    .option('--duration <seconds>', 'measured seconds per run (after a short warm-up)', '10')
    .option('--batch <n>', 'operations per POST /v1/batch request (sign and encrypt); else single requests');
  withAuthOptions(command).action(async (flags: BenchFlags) => {
    try {
      const plan = parseBenchOptions(flags);
      const rows = await withSession(ctx, flags, (session) => runBench(ctx, session, plan));
      ctx.io.writeOut(`${flags.json ? benchJson(rows) : formatBenchTable(rows)}\n`);
      ctx.exitCode = 0;
    } catch (error) {
      if (flags.json) ctx.io.writeOut(`${jsonFailure(error)}\n`);
      else ctx.io.writeErr(`${humanFailure(error)}\n`);
      ctx.exitCode = 1;
    }
  });
}
