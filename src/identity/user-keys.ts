import type { AuditEventInput } from '../audit/audit-event.js';
import { CofferError } from '../errors/coffer-error.js';
import type { RecordReader } from '../records/record-reader.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { ChallengeStore, IssuedChallenge } from './challenges.js';
import { normalizeUsername } from './credential-rules.js';
import { LoginAttempts, type Proof } from './login-attempts.js';
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
 *
 * A session token alone changes neither key: the user also proves the password and, with an MFA
 * key registered, signs a fresh `mfa-confirm` challenge with it — checked under the lockout, so
 * a wrong password counts as a failed login.
 */
export class UserKeyService {
  private readonly clock: () => Date;

  private readonly attempts: LoginAttempts;

  constructor(private readonly deps: UserKeyDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.attempts = new LoginAttempts({ ...deps, clock: this.clock });
  }

  registrationToken(session: Session, purpose: KeyPurpose): Promise<IssuedChallenge> {
    return this.deps.challenges.issue(session.username, CHALLENGE[purpose]);
  }

  async register(
    session: Session,
    purpose: KeyPurpose,
    publicKeyPem: string,
    proof: { readonly challengeId: string; readonly signature: string },
    confirm: Partial<Proof>,
  ): Promise<UserSummary> {
    const event = { actor: session.username, action: ACTION[purpose], target: userPath(session.username) };
    let key;
    try {
      key = parseSignerKey(publicKeyPem);
    } catch (error) {
      return this.refuse(event, 'PUBLIC_KEY_INVALID', error);
    }
    const registered = { publicKey: canonicalPem(key), registeredAt: this.clock().toISOString() };
    const keyType = key.asymmetricKeyType ?? 'unknown';
    // The registration token is taken only once the user is verified, so an MFA_REQUIRED round
    // trip does not spend it.
    const user = await this.confirmed(session, confirm, purpose, async () => {
      const token = await this.deps.challenges.take(proof.challengeId, session.username, CHALLENGE[purpose]);
      if (!token || !verifySignature(key, token, Buffer.from(proof.signature, 'base64')))
        throw new CofferError('CHALLENGE_INVALID');
      return {
        event: { ...event, result: 'success', details: { keyType } },
        change: (current) => ({ ...current, [FIELD[purpose]]: registered }),
      };
    });
    return summarize(user);
  }

  /**
   * Removes a registered key: a user's own (with the password, and MFA when registered), or
   * (admin) another user's, under the user quorum.
   */
  async deregister(
    session: Session,
    usernameInput: string,
    purpose: KeyPurpose,
    confirm: Partial<Proof> = {},
  ): Promise<UserSummary> {
    let username;
    try {
      username = normalizeUsername(usernameInput);
    } catch (error) {
      return this.refuse({ actor: session.username, action: ACTION[purpose] }, 'USERNAME_INVALID', error);
    }
    const event = { actor: session.username, action: ACTION[purpose], target: userPath(username) };
    const other = username !== session.username;
    const details = { deregistered: true };
    if (!other) {
      const user = await this.confirmed(session, confirm, purpose, () => ({
        event: { ...event, result: 'success', details },
        change: ({ [FIELD[purpose]]: _removed, ...rest }) => rest,
      }));
      return summarize(user);
    }
    if (session.role !== 'admin') return this.refuse(event, 'PERMISSION_DENIED');
    const plan = await this.deps.quorum?.approve(session, 'user');
    const user = await this.change(
      username,
      ({ [FIELD[purpose]]: _removed, ...rest }) => rest,
      { ...event, details },
      plan,
    );
    return summarize(user);
  }

  /** The user's own change, after the password (and MFA) verified; PASSWORD_REQUIRED without one. */
  private async confirmed(
    session: Session,
    confirm: Partial<Proof>,
    purpose: KeyPurpose,
    onVerified: Parameters<LoginAttempts['verify']>[3],
  ): Promise<UserRecord> {
    const event = { actor: session.username, action: ACTION[purpose], target: userPath(session.username) };
    if (!confirm.password) return this.refuse(event, 'PASSWORD_REQUIRED');
    const proof = { password: confirm.password, mfa: confirm.mfa };
    return this.attempts.verify(session.username, proof, { action: ACTION[purpose], mfa: 'mfa-confirm' }, onVerified);
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
