/**
 * A load loop that, unlike runLoad, goes on through failures and keeps every call's outcome
 * with its times: what the audit-contention and failover measurements count and time.
 */
import { performance } from 'node:perf_hooks';

export interface Outcome {
  /** performance.now() at the call's start and end. */
  readonly began: number;
  readonly ended: number;
  /** Absent: it succeeded. Else the error's code (CONFLICT, CONNECTION_FAILED, …) or name. */
  readonly error?: string;
}

export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string')
    return error.code;
  return error instanceof Error ? error.name : String(error);
}

export interface OutcomeLoop {
  readonly outcomes: Outcome[];
  /** Stops starting calls and resolves once every worker's last call has ended. */
  stop(): Promise<void>;
}

/** `concurrency` workers, each calling `step` one call after another until stopped. */
export function startOutcomeLoop(concurrency: number, step: () => Promise<unknown>): OutcomeLoop {
  const outcomes: Outcome[] = [];
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const began = performance.now();
      try {
        await step();
        outcomes.push({ began, ended: performance.now() });
      } catch (error) {
        outcomes.push({ began, ended: performance.now(), error: errorName(error) });
        // A refused connection fails in microseconds: a short pause keeps a dead cluster from
        // spinning the loop (and so every failure counted is one a client would see).
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  };
  const workers = Promise.all(Array.from({ length: concurrency }, worker));
  return {
    outcomes,
    async stop() {
      stopped = true;
      await workers;
    },
  };
}
