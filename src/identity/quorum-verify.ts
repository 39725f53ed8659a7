import type { ErrorCode } from '../errors/registry.js';
import { parseSignerKey, verifySignature } from './signer-keys.js';
import type { ApprovalInput, QuorumService, QuorumTokenRecord } from './quorum-token.js';
import type { UserRecord } from './user-record.js';

/** Who asks to use the token: the session, the service, and (for key services) the key. */
export interface ApprovalRequest {
  readonly username: string;
  readonly sessionId: string;
  readonly service: QuorumService;
  readonly keyHandle?: string;
  /** Whether a user may approve for this request (an admin; or a user of the key). */
  readonly mayApprove: (user: UserRecord) => boolean;
}

export type ApprovalCheck =
  | { readonly ok: true; readonly approvers: readonly string[] }
  | {
      readonly ok: false;
      readonly code: Extract<ErrorCode, 'QUORUM_TOKEN_INVALID' | 'QUORUM_APPROVALS_INSUFFICIENT'>;
      readonly detail: string;
      readonly refused?: readonly string[];
    };

/**
 * Checks a token and its approvals against a request: live, for this service, session and key,
 * and at least `required` valid signatures over the token's approval data, each by a distinct
 * existing user allowed to approve, with the quorum key registered to that user. Every refused
 * approval is named (user and reason) for the audit event.
 */
export async function checkApproval(
  token: QuorumTokenRecord | undefined,
  approval: ApprovalInput,
  request: ApprovalRequest,
  required: number,
  now: Date,
  loadUser: (username: string) => Promise<UserRecord | undefined>,
): Promise<ApprovalCheck> {
  const invalid = (detail: string): ApprovalCheck => ({ ok: false, code: 'QUORUM_TOKEN_INVALID', detail });
  if (!token) return invalid('unknown or already used');
  if (Date.parse(token.expiresAt) <= now.getTime()) return invalid('expired');
  if (token.service !== request.service) return invalid(`the token is for the ${token.service} service`);
  if (token.requester !== request.username || token.sessionId !== request.sessionId)
    return invalid("the token belongs to another user's session or to an earlier session");
  // A key service's approval names its key: approvers sign for one key, never for any.
  if (request.keyHandle !== undefined && token.keyHandle !== request.keyHandle)
    return invalid(token.keyHandle === undefined ? 'the token names no key' : 'the token is for another key');
  const data = Buffer.from(token.approvalData, 'base64');
  const approvers: string[] = [];
  const refused: string[] = [];
  for (const { username: name, signature } of approval.signatures) {
    const username = name.toLowerCase();
    const reason = await refusal(username, signature, data, approvers, request, loadUser);
    if (reason === undefined) approvers.push(username);
    else refused.push(`${username.slice(0, 31)}:${reason}`);
  }
  if (approvers.length < required) {
    return {
      ok: false,
      code: 'QUORUM_APPROVALS_INSUFFICIENT',
      detail: `${approvers.length} valid of ${required} required`,
      refused,
    };
  }
  return { ok: true, approvers };
}

async function refusal(
  username: string,
  signature: string,
  data: Buffer,
  approvers: readonly string[],
  request: ApprovalRequest,
  loadUser: (username: string) => Promise<UserRecord | undefined>,
): Promise<string | undefined> {
  if (approvers.includes(username)) return 'duplicate';
  const user = /^[a-z0-9_]{1,31}$/.test(username) ? await loadUser(username) : undefined;
  if (!user) return 'no-such-user';
  if (!request.mayApprove(user)) return 'not-an-approver';
  if (!user.quorumKey) return 'no-quorum-key';
  const valid = verifySignature(parseSignerKey(user.quorumKey.publicKey), data, Buffer.from(signature, 'base64'));
  return valid ? undefined : 'bad-signature';
}
