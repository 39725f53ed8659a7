/**
 * The messages between the SQLite store (main thread) and its writer thread, which owns the
 * write connection. Each request carries an id; the writer answers every request once, in the
 * order it received them, so the store publishes watch events in revision order.
 */
import { CofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { Compare, LeaseId } from './state-store.js';
import { kindOf } from './watch-warnings.js';

/** What the writer thread is started with (its workerData). */
export interface WriterConfig {
  readonly path: string;
  readonly busyTimeoutMs: number;
  readonly historyRevisions: number;
}

/** The write connection's durability settings, as SQLite reports them. */
export interface SqliteSettings {
  readonly journalMode: string;
  readonly synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  readonly busyTimeoutMs: number;
}

export interface StoredLease {
  readonly id: LeaseId;
  readonly ttlSeconds: number;
}

/** A put's value travels as a slice of the request's one packed buffer, which is transferred. */
export type WireOperation =
  | {
      readonly type: 'put';
      readonly key: string;
      readonly offset: number;
      readonly length: number;
      readonly lease?: LeaseId;
    }
  | { readonly type: 'delete'; readonly key: string };

/** Each call: what the request carries and what a successful answer holds. */
export interface WriterCalls {
  txn: {
    request: {
      readonly compares: readonly Compare[];
      readonly operations: readonly WireOperation[];
      readonly bytes: ArrayBuffer;
      /** Leases the store's clock holds expired (their revoke may still be queued): the txn fails on them. */
      readonly expiredLeases: readonly LeaseId[];
    };
    result: {
      readonly succeeded: boolean;
      readonly revision: number;
      /** The operations that made an event (every put, each delete of a key that existed), in order. */
      readonly changed: readonly number[];
      /** The request's buffer, handed back so the events' values are views of it, not copies. */
      readonly bytes: ArrayBuffer;
    };
  };
  revoke: {
    request: { readonly lease: LeaseId };
    /** The lease's keys, deleted at `revision` in key order; none: no new revision. */
    result: { readonly revision: number; readonly keys: readonly string[] };
  };
  compact: { request: { readonly revision: number }; result: Record<string, never> };
  grant: { request: { readonly ttlSeconds: number }; result: { readonly id: LeaseId } };
  close: { request: Record<string, never>; result: Record<string, never> };
}

export type WriterCall = keyof WriterCalls;

export type WriterRequest = {
  [K in WriterCall]: { readonly id: number; readonly type: K } & WriterCalls[K]['request'];
}[WriterCall];

/** An error as it crosses the thread boundary: its stable code and a detail without data. */
export interface WireError {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
}

export type WriterAnswer =
  | { readonly id: number; readonly ok: true; readonly result: WriterCalls[WriterCall]['result'] }
  | { readonly id: number; readonly ok: false; readonly error: WireError };

/** The writer's first message: the file is open, configured and migrated, or it could not be. */
export type WriterHello =
  | { readonly type: 'ready'; readonly settings: SqliteSettings; readonly leases: readonly StoredLease[] }
  | { readonly type: 'failed'; readonly error: WireError };

/** A CofferError keeps its code and detail; a driver error becomes INTERNAL_ERROR naming its SQLite code only. */
export function toWireError(error: unknown): WireError {
  if (error instanceof CofferError) return { code: error.code, detail: error.detail };
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : kindOf(error);
  return { code: 'INTERNAL_ERROR', detail: `state store failed (${code})` };
}

export function fromWireError(error: WireError): CofferError {
  return new CofferError(error.code, error.detail);
}
