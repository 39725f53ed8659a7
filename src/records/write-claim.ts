import { AsyncLocalStorage } from 'node:async_hooks';
import type { Compare } from '../store/state-store.js';
import type { Change, Commit } from './record-writer.js';

/**
 * What the commit that carried an idempotent request wrote: enough for a retry to answer the
 * same result (the handle it created, the record it changed) without writing again.
 */
export interface WriteOutcome {
  /** The operation that wrote (`key.generate-symmetric`, `user.create` …). */
  readonly operation: string;
  /** The audit event's target (`key/0x…`, `user/alice`). */
  readonly target?: string;
  /** The sealed record paths the commit put and deleted (index entries aside). */
  readonly put: readonly string[];
  readonly deleted: readonly string[];
}

/** The record of a request, added to the commit that carries its write. */
export interface ClaimRecord {
  readonly compares: readonly Compare[];
  readonly changes: readonly Change[];
}

/**
 * An idempotent request waiting for its write. The first successful commit of its own user,
 * made while an operation that accepts an Idempotency-Key runs, takes it: the request's record
 * is written in that same transaction, so the write and the record exist together or not at all.
 */
export interface WriteClaim {
  /** Only a commit whose audit event names this actor takes the claim (never a system flush). */
  readonly actor: string;
  /** The record for this outcome, or undefined when the claim is already taken. */
  take(outcome: WriteOutcome): ClaimRecord | undefined;
  /** The commit that took the claim failed: it may be taken again. */
  release(): void;
}

interface Scope {
  readonly claim: WriteClaim;
  /** The operation running now, when it accepts the key: only then may a commit take the claim. */
  readonly operation?: string;
}

const scope = new AsyncLocalStorage<Scope>();

/** Runs `request` (a route's work) with its claim waiting for a write. */
export function withWriteClaim<T>(claim: WriteClaim, request: () => Promise<T>): Promise<T> {
  return scope.run({ claim }, request);
}

/**
 * Runs an operation's own work (after its key checks, quorum and counting, whose commits never
 * take the claim) so that its write may take the request's claim. Without a claim: just runs.
 */
export function claimingWrites<T>(operation: string, work: () => Promise<T>): Promise<T> {
  const current = scope.getStore();
  if (current === undefined) return work();
  return scope.run({ claim: current.claim, operation }, work);
}

/** For RecordWriter.commit: the request record this commit carries, if it takes the claim. */
export function claimFor(commit: Commit, written: Omit<WriteOutcome, 'operation' | 'target'>): TakenClaim | undefined {
  const current = scope.getStore();
  if (current?.operation === undefined) return undefined;
  const { event } = commit;
  if (event.result !== 'success' || event.actor !== current.claim.actor) return undefined;
  const record = current.claim.take({
    operation: current.operation,
    ...(event.target !== undefined && { target: event.target }),
    ...written,
  });
  return record && { ...record, release: () => current.claim.release() };
}

export interface TakenClaim extends ClaimRecord {
  release(): void;
}
