import { AsyncLocalStorage } from 'node:async_hooks';
import { CofferError } from '../errors/coffer-error.js';
import { MAX_QUORUM_VALUE, type ApprovalInput } from './quorum-token.js';

/**
 * The approval a request carries (header `x-coffer-quorum-approval`: base64 of
 * `{"token","signatures":[{"username","signature"}]}`), held for the duration of the request so
 * that any service a request reaches — user changes, key management, key use, batch items —
 * finds it without every route and body schema knowing about quorum.
 */
export const APPROVAL_HEADER = 'x-coffer-quorum-approval';
const MAX_HEADER_CHARS = 12_000;

const context = new AsyncLocalStorage<ApprovalInput | undefined>();

export function runWithApproval(approval: ApprovalInput | undefined, next: () => void): void {
  context.run(approval, next);
}

export function currentApproval(): ApprovalInput | undefined {
  return context.getStore();
}

/** Parses the header value; INVALID_FIELD when it is not an approval. */
export function parseApprovalHeader(value: string | string[] | undefined): ApprovalInput | undefined {
  if (value === undefined || value === '') return undefined;
  if (Array.isArray(value) || value.length > MAX_HEADER_CHARS) throw new CofferError('INVALID_FIELD', APPROVAL_HEADER);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw new CofferError('INVALID_FIELD', APPROVAL_HEADER);
  }
  if (!isApproval(parsed)) throw new CofferError('INVALID_FIELD', APPROVAL_HEADER);
  return {
    token: parsed.token,
    signatures: parsed.signatures.map((s) => ({ username: s.username, signature: s.signature })),
  };
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
