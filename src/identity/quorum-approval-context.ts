import { AsyncLocalStorage } from 'node:async_hooks';
import { CofferError } from '../errors/coffer-error.js';
import { MAX_QUORUM_VALUE, type ApprovalInput } from './quorum-token.js';

/**
 * The approvals a request carries (header `x-coffer-quorum-approval`: base64 of
 * `{"token","signatures":[{"username","signature"}]}`, or of a list of up to
 * MAX_APPROVALS_PER_REQUEST of them when an operation needs approvals for several keys — a wrap
 * whose wrapping key and key to wrap both have quorum), held for the duration of the request so
 * that any service a request reaches — user changes, key management, key use, batch items —
 * finds them without every route and body schema knowing about quorum.
 */
export const APPROVAL_HEADER = 'x-coffer-quorum-approval';
export const MAX_APPROVALS_PER_REQUEST = 4;
const MAX_HEADER_CHARS = 12_000 * MAX_APPROVALS_PER_REQUEST;

const context = new AsyncLocalStorage<readonly ApprovalInput[]>();

export function runWithApproval(approvals: readonly ApprovalInput[], next: () => void): void {
  context.run(approvals, next);
}

export function currentApprovals(): readonly ApprovalInput[] {
  return context.getStore() ?? [];
}

/** Parses the header value; INVALID_FIELD when it is not an approval or a list of them. */
export function parseApprovalHeader(value: string | string[] | undefined): readonly ApprovalInput[] {
  if (value === undefined || value === '') return [];
  if (Array.isArray(value) || value.length > MAX_HEADER_CHARS) throw new CofferError('INVALID_FIELD', APPROVAL_HEADER);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw new CofferError('INVALID_FIELD', APPROVAL_HEADER);
  }
  const list: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  if (list.length === 0 || list.length > MAX_APPROVALS_PER_REQUEST || !list.every(isApproval))
    throw new CofferError('INVALID_FIELD', APPROVAL_HEADER);
  return (list as ApprovalInput[]).map((approval) => ({
    token: approval.token,
    signatures: approval.signatures.map((s) => ({ username: s.username, signature: s.signature })),
  }));
}

function isApproval(value: unknown): value is ApprovalInput {
  if (typeof value !== 'object' || value === null) return false;
  const { token, signatures } = value as Record<string, unknown>;
  return (
    typeof token === 'string' &&
    /^[0-9a-f]{32}$/.test(token) &&
    Array.isArray(signatures) &&
    signatures.length <= 2 * MAX_QUORUM_VALUE &&
    signatures.every(
      (entry: unknown) =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof (entry as Record<string, unknown>).username === 'string' &&
        typeof (entry as Record<string, unknown>).signature === 'string',
    )
  );
}
