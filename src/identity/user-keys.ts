import type { AuditEventInput } from '../audit/audit-event.js';
import { CofferError } from '../errors/coffer-error.js';
import type { RecordReader } from '../records/record-reader.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { ChallengeStore, IssuedChallenge } from './challenges.js';
import { normalizeUsername } from './credential-rules.js';
import type { ApprovalPlan, QuorumService } from './quorum-service.js';
import { canonicalPem, parseSignerKey, verifySignature } from './signer-keys.js';
import type { Session } from './sessions.js';
import { decodeUser, encodeUser, summarize, userPath, type UserRecord, type UserSummary } from './user-record.js';

/** Which registered key: the MFA login key, or the quorum approval key. */
export type KeyPurpose = 'mfa' | 'quorum';

export interface UserKeyDeps {
  readonly reader: Pick<RecordReader, 'get'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly challenges: Pick<ChallengeStore, 'issue' | 'take'>;
  readonly quorum?: Pick<QuorumService, 'approve'>;
  readonly clock?: () => Date;
}

const FIELD = { mfa: 'mfaKey', quorum: 'quorumKey' } as const satisfies Record<KeyPurpose, keyof UserRecord>;
const ACTION = { mfa: 'user.change-mfa', quorum: 'user.change-quorum' } as const;
const CHALLENGE = { mfa: 'register-mfa', quorum: 'register-quorum' } as const;

/**
 * `user change-mfa token-sign` and `user change-quorum token-sign register`: a user registers a
 * public key after proving possession of its private key by signing a registration token the
 * node issued. An admin may deregister another user's MFA key, under the user quorum.
 */
export class UserKeyService {
  private readonly clock: () => Date;

  constructor(private readonly deps: UserKeyDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  registrationToken(session: Session, purpose: KeyPurpose): IssuedChallenge {
    return this.deps.challenges.issue(session.username, CHALLENGE[purpose]);
  }

  async register(
    session: Session,
    purpose: KeyPurpose,
    publicKeyPem: string,
    proof: { readonly challengeId: string; readonly signature: string },
  ): Promise<UserSummary> {
    const event = { actor: session.username, action: ACTION[purpose], target: userPath(session.username) };
    let key;
    try {
      key = parseSignerKey(publicKeyPem);
    } catch (error) {
      return this.refuse(event, 'PUBLIC_KEY_INVALID', error);
    }
    const token = this.deps.challenges.take(proof.challengeId, session.username, CHALLENGE[purpose]);
    if (!token || !verifySignature(key, token, Buffer.from(proof.signature, 'base64')))
      return this.refuse(event, 'CHALLENGE_INVALID');
    const registered = { publicKey: canonicalPem(key), registeredAt: this.clock().toISOString() };
    const user = await this.change(session.username, (current) => ({ ...current, [FIELD[purpose]]: registered }), {
      ...event,
      details: { keyType: key.asymmetricKeyType ?? 'unknown' },
    });
    return summarize(user);
  }

  /** Removes a registered key: a user's own, or (admin) another user's, under the user quorum. */
  async deregister(session: Session, usernameInput: string, purpose: KeyPurpose): Promise<UserSummary> {
    const username = normalizeUsername(usernameInput);
    const event = { actor: session.username, action: ACTION[purpose], target: userPath(username) };
    const other = username !== session.username;
    if (other && session.role !== 'admin') return this.refuse(event, 'PERMISSION_DENIED');
    const plan = other ? await this.deps.quorum?.approve(session, 'user') : undefined;
    const user = await this.change(
      username,
      ({ [FIELD[purpose]]: _removed, ...rest }) => rest,
      { ...event, details: { deregistered: true } },
      plan,
    );
    return summarize(user);
  }

  private async change(
    username: string,
    update: (user: UserRecord) => UserRecord,
    event: Omit<AuditEventInput, 'result'>,
    plan?: ApprovalPlan,
  ): Promise<UserRecord> {
    const record = await this.deps.reader.get(userPath(username), 'user');
    if (!record) return this.refuse(event, 'USER_NOT_FOUND');
    const user = { ...update(decodeUser(record.plaintext)), updatedAt: this.clock().toISOString() };
    await this.deps.writer.commit({
      compares: [{ key: userPath(username), modRevision: record.modRevision }, ...(plan?.compares ?? [])],
      changes: [
        { type: 'put', path: userPath(username), kind: 'user', plaintext: encodeUser(user) },
        ...(plan?.changes ?? []),
      ],
      event: { ...event, result: 'success', details: { ...event.details, ...plan?.details } },
    });
    return user;
  }

  private async refuse(
    event: Omit<AuditEventInput, 'result'>,
    code: CofferError['code'],
    cause?: unknown,
  ): Promise<never> {
    await this.deps.writer.commit({ event: { ...event, result: 'failure', code } });
    throw cause instanceof CofferError ? cause : new CofferError(code);
  }
}
