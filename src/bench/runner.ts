/**
 * The load loop of `coffer bench`: `concurrency` workers each run one request after another
 * until the deadline, recording every request's latency. Bounded: no worker starts a request
 * after the deadline, so a run lasts the duration plus at most one request per worker. The first
 * error stops every worker and is thrown once they have all returned.
 */
import { performance } from 'node:perf_hooks';
import { summarize, type LatencySummary } from './stats.js';

/** One request; resolves to the number of operations it carried (1, or a batch's size). */
export type LoadStep = () => Promise<number>;

export interface LoadProgress {
  readonly elapsedMs: number;
  readonly durationMs: number;
  readonly operations: number;
  readonly requests: number;
}

export interface LoadOptions {
  readonly concurrency: number;
  readonly durationMs: number;
  /** Run (and discard) this long before measuring: connections, TLS handshakes, caches. */
  readonly warmupMs?: number;
  readonly step: LoadStep;
  readonly onProgress?: (progress: LoadProgress) => void;
  readonly progressIntervalMs?: number;
  /** Milliseconds from an arbitrary origin; performance.now unless a test replaces it. */
  readonly now?: () => number;
}

export interface LoadResult {
  readonly operations: number;
  readonly requests: number;
  /** From the first measured request to the last one's end (the tail past the deadline included). */
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  /** Per request, in milliseconds. */
  readonly latency: LatencySummary;
}

const DEFAULT_PROGRESS_MS = 1000;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { concurrency, durationMs, step } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  if (!(durationMs > 0)) throw new RangeError('the duration must be positive');
  const now = options.now ?? (() => performance.now());
  const warmupEnd = now() + (options.warmupMs ?? 0);
  const deadline = warmupEnd + durationMs;
  const latencies: number[] = [];
  let operations = 0;
  let lastEnd = warmupEnd;
  let failure: { error: unknown } | undefined;

  const worker = async (): Promise<void> => {
    while (failure === undefined) {
      const began = now();
      if (began >= deadline) return;
      let count: number;
      try {
        count = await step();
      } catch (error) {
        failure ??= { error };
        return;
      }
      const ended = now();
      if (began < warmupEnd) continue;
      latencies.push(ended - began);
      operations += count;
      if (ended > lastEnd) lastEnd = ended;
    }
  };

  const timer =
    options.onProgress === undefined
      ? undefined
      : setInterval(() => {
          const elapsed = Math.max(0, Math.min(now() - warmupEnd, durationMs));
          options.onProgress?.({ elapsedMs: elapsed, durationMs, operations, requests: latencies.length });
        }, options.progressIntervalMs ?? DEFAULT_PROGRESS_MS);
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
  if (failure !== undefined) throw failure.error;
  const elapsedMs = Math.max(lastEnd - warmupEnd, Number.EPSILON);
  return {
    operations,
    requests: latencies.length,
    elapsedMs,
    opsPerSec: operations / (elapsedMs / 1000),
    latency: summarize(latencies),
  };
}
