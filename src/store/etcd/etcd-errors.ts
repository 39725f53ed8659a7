/**
 * What a failed etcd call means, as one table: whether the request never reached a member
 * that could apply it (safe to send again, anywhere), whether its fate is unknown (a read is
 * sent again; a write may have been applied), or a final answer with its CofferError code.
 * Details are fixed text naming the rule, never etcd's message: nothing of a value can leak.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { CofferError } from '../../errors/coffer-error.js';
import type { ErrorCode } from '../../errors/registry.js';

export type CallKind = 'read' | 'write';

type Verdict =
  /** Refused before it could be applied (no connection, no leader, overloaded): retry anywhere. */
  | { readonly retry: 'unsent' }
  /** Sent, answer lost (connection dropped, leader changed, proposal timed out). */
  | { readonly retry: 'unknown' }
  | { readonly code: ErrorCode; readonly detail: string };

interface Rule {
  readonly status: GrpcStatus;
  /** Matched against the gRPC details; absent: any. */
  readonly details?: RegExp;
  readonly verdict: Verdict;
}

// First match wins. etcd's error texts are its rpctypes constants (etcd 3.4).
const RULES: readonly Rule[] = [
  { status: GrpcStatus.UNAVAILABLE, details: /^No connection established/, verdict: { retry: 'unsent' } },
  // With the hasleader metadata, a member without a leader refuses before proposing anything.
  { status: GrpcStatus.UNAVAILABLE, details: /^etcdserver: no leader$/, verdict: { retry: 'unsent' } },
  { status: GrpcStatus.RESOURCE_EXHAUSTED, details: /^etcdserver: too many requests$/, verdict: { retry: 'unsent' } },
  {
    status: GrpcStatus.RESOURCE_EXHAUSTED,
    details: /database space exceeded/,
    verdict: { code: 'STORE_UNAVAILABLE', detail: 'etcd is out of space (NOSPACE alarm)' },
  },
  { status: GrpcStatus.UNAVAILABLE, verdict: { retry: 'unknown' } },
  {
    status: GrpcStatus.OUT_OF_RANGE,
    details: /compacted/,
    verdict: { code: 'STORE_COMPACTED', detail: 'etcd compacted that revision' },
  },
  {
    status: GrpcStatus.OUT_OF_RANGE,
    details: /future revision/,
    verdict: { code: 'INVALID_FIELD', detail: 'the revision is beyond the current store revision' },
  },
  { status: GrpcStatus.NOT_FOUND, details: /lease not found/, verdict: { code: 'LEASE_NOT_FOUND', detail: 'etcd' } },
  {
    status: GrpcStatus.INVALID_ARGUMENT,
    details: /request is too large/,
    verdict: { code: 'INVALID_FIELD', detail: 'the txn is larger than the etcd server accepts (--max-request-bytes)' },
  },
  {
    status: GrpcStatus.INVALID_ARGUMENT,
    details: /too many operations in txn/,
    verdict: {
      code: 'INVALID_FIELD',
      detail: 'the txn has more operations than the etcd server accepts (--max-txn-ops)',
    },
  },
  {
    status: GrpcStatus.INVALID_ARGUMENT,
    details: /duplicate key/,
    verdict: { code: 'INVALID_FIELD', detail: 'a key appears twice in one store transaction' },
  },
];

function statusName(code: number): string {
  return GrpcStatus[code] ?? String(code);
}

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && 'code' in error && typeof error.code === 'number' && 'details' in error;
}

export function verdictOf(error: unknown): Verdict {
  if (!isServiceError(error)) return { code: 'INTERNAL_ERROR', detail: 'etcd call failed' };
  const rule = RULES.find(
    (candidate) => candidate.status === error.code && (candidate.details?.test(error.details) ?? true),
  );
  if (rule) return rule.verdict;
  if (error.code === GrpcStatus.DEADLINE_EXCEEDED) return { retry: 'unknown' };
  if (error.code === GrpcStatus.UNAUTHENTICATED || error.code === GrpcStatus.PERMISSION_DENIED) {
    return { code: 'STORE_UNAVAILABLE', detail: `etcd refused the client (${statusName(error.code)})` };
  }
  return { code: 'INTERNAL_ERROR', detail: `etcd answered ${statusName(error.code)}` };
}

/** Whether a call of this kind may be sent again after this verdict. */
export function mayRetry(verdict: Verdict, kind: CallKind): boolean {
  return 'retry' in verdict && (verdict.retry === 'unsent' || kind === 'read');
}

/** The error a caller sees when no more attempts are made. */
export function finalError(error: unknown, kind: CallKind): CofferError {
  const verdict = verdictOf(error);
  const status = isServiceError(error) ? statusName(error.code) : 'no status';
  if ('code' in verdict) return new CofferError(verdict.code, verdict.detail, { cause: error });
  if (verdict.retry === 'unknown' && kind === 'write') {
    return new CofferError('STORE_TIMEOUT', `etcd ${status}`, { cause: error });
  }
  return new CofferError('STORE_UNAVAILABLE', `etcd ${status}`, { cause: error });
}
