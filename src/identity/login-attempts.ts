import { randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { RefusalBudget, RefusalOrigin } from '../audit/refusal-budget.js';
import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { RecordReader } from '../records/record-reader.js';
import type { CommitPart, RecordWriter } from '../records/record-writer.js';
import type { ChallengeStore } from './challenges.js';
import { admit, fail, release, succeed } from './lockout.js';
import { checkMfa, type MfaAnswer, type MfaPurpose } from './mfa.js';
import { verifyPassword } from './password-hash.js';
import { decodeUser, encodeUser, userPath, type UserRecord } from './user-record.js';

export interface LoginAttemptDeps {
  readonly reader: Pick<RecordReader, 'get'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly challenges: Pick<ChallengeStore, 'issue' | 'take'>;
  readonly clock?: () => Date;
  /** How long an attempt waits for a free slot while others are being checked (default 10 s). */
  readonly waitMs?: number;
  /** Where refusals made before any check are audited when the attempt has an origin. */
  readonly refusals?: Pick<RefusalBudget, 'audit'>;
}

/** What a user proves: the password, and (with an MFA key, when asked for) a signed challenge. */
export interface Proof {
  readonly password: Buffer;
  readonly mfa?: MfaAnswer;
}

export interface AttemptOptions {
  /** The audited action: 'session.login', 'user.change-password', 'user.change-mfa' … */
  readonly action: string;
  /** Which MFA challenge a user with an MFA key must sign too; none: the password alone. */
  readonly mfa?: MfaPurpose;
  /**
   * Where an attempt without a session came from (a login). Its refusals made before the
   * password is checked (a locked account, no free slot) are ones anybody can ask for without
   * end, so they are audited under the source's budget (src/audit/refusal-budget.ts).
   */
  readonly origin?: RefusalOrigin;
}

/** What a verified attempt commits, in the transaction that clears the failure count. */
export interface OnVerified {
  readonly event: AuditEventInput;
  /** A further change of the same user record (a new key, a new password). */
  readonly change?: (user: UserRecord) => UserRecord;
  /**
   * More of the same commit (a new session; the user's sessions that end), read afresh on every
   * attempt: it depends on state the user record's revision guards, which a retry re-read.
   */
  readonly extra?: () => Promise<CommitPart>;
}

/** Commits that lose a compare re-read and retry; contention is on one user record only. */
const MAX_RETRIES = 32;
const POLL_MS = { min: 10, max: 50 } as const;

/**
 * Password (and MFA) checks under the cluster-wide lockout (lockout.ts): each attempt is
 * reserved in a compared store transaction BEFORE scrypt runs, and resolved in another, so
 * however many arrive at once — on one node or many — at most MAX_FAILED_LOGINS wrong guesses
 * are ever evaluated. Every outcome is audited: the reservation, each refusal (one made before
 * the check, which anybody can ask for, under its source's budget), the success.
 */
export class LoginAttempts {
  private readonly clock: () => Date;

  constructor(private readonly deps: LoginAttemptDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /**
   * Verifies `proof` for `user` (already loaded, and allowed to log in) and commits what
   * `onVerified` returns. Refusals: ACCOUNT_LOCKED, LOGIN_BUSY, LOGIN_FAILED, MFA_REQUIRED
   * (with a challenge; not a failed attempt).
   */
  async verify(
    username: string,
    proof: Proof,
    options: AttemptOptions,
    onVerified: (user: UserRecord) => OnVerified | Promise<OnVerified>,
  ): Promise<UserRecord> {
    const event = { actor: username, action: options.action, target: userPath(username) };
    const id = randomBytes(12).toString('base64url');
    const user = await this.reserve(username, id, event, options.origin);
    let verified: boolean;
    try {
      verified =
        user.password !== undefined &&
        (await verifyPassword(proof.password, user.password)) &&
        (!options.mfa || (await checkMfa(user, proof.mfa, this.deps.challenges, options.mfa)));
    } catch (error) {
      // MFA_REQUIRED (a right password, no MFA answer yet) is not a failed attempt: the slot
      // goes back and the challenge travels with the refusal. So does any other error.
      await this.resolve(username, (current) => release(current, id, this.now()), failure(event, error));
      throw error;
    }
    if (!verified) {
      await this.resolve(username, (current) => fail(current, id, this.now()), {
        ...event,
        result: 'failure',
        code: 'LOGIN_FAILED',
      });
      throw new CofferError('LOGIN_FAILED');
    }
    return this.commitSuccess(username, id, event, user, onVerified);
  }

  /** Reserves an attempt, waiting while every slot is held by an attempt being checked. */
  private async reserve(
    username: string,
    id: string,
    event: Omit<AuditEventInput, 'result'>,
    origin: RefusalOrigin | undefined,
  ): Promise<UserRecord> {
    const deadline = Date.now() + (this.deps.waitMs ?? 10_000);
    // Waiting for a free slot is bounded by the deadline; lost compares by MAX_RETRIES.
    let conflicts = 0;
    for (;;) {
      const loaded = await this.load(username);
      if (!loaded) return this.refuse(event, 'LOGIN_FAILED');
      const admission = admit(loaded.user, id, this.now());
      if (!admission.admitted) {
        if (admission.reason === 'locked') return this.refuse(event, 'ACCOUNT_LOCKED', origin);
        if (Date.now() >= deadline) return this.refuse(event, 'LOGIN_BUSY', origin);
        await sleep(randomInt(POLL_MS.min, POLL_MS.max));
        continue;
      }
      try {
        await this.save(admission.user, loaded.modRevision, {
          ...event,
          action: 'session.attempt',
          result: 'success',
          details: { for: event.action },
        });
        return admission.user;
      } catch (error) {
        if (!isCofferError(error, 'CONFLICT') || ++conflicts > MAX_RETRIES) throw error;
        await sleep(randomInt(0, POLL_MS.min));
      }
    }
  }

  /**
   * Clears the count and commits the caller's change, unless the account locked meanwhile, or
   * its credentials changed while this attempt checked the old ones (a password change on
   * another node): then the proof no longer holds, and the attempt is refused.
   */
  private async commitSuccess(
    username: string,
    id: string,
    event: Omit<AuditEventInput, 'result'>,
    verifiedAgainst: UserRecord,
    onVerified: (user: UserRecord) => OnVerified | Promise<OnVerified>,
  ): Promise<UserRecord> {
    const giveBack = (error: unknown) =>
      this.resolve(username, (current) => release(current, id, this.now()), failure(event, error));
    let plan: OnVerified | undefined;
    for (let attempt = 0; ; attempt++) {
      const loaded = await this.load(username);
      if (!loaded) return this.refuse(event, 'LOGIN_FAILED');
      if (!sameCredentials(loaded.user, verifiedAgainst)) {
        const error = new CofferError('LOGIN_FAILED', 'the credentials changed while they were checked');
        await giveBack(error);
        throw error;
      }
      const cleared = succeed(loaded.user, id, this.now());
      let user: UserRecord;
      let outcome: AuditEventInput;
      let extra: CommitPart | undefined;
      if (!cleared) {
        // A parallel failure locked the account first: the lock stands; refused, slot given back.
        user = release(loaded.user, id, this.now());
        outcome = { ...event, result: 'failure', code: 'ACCOUNT_LOCKED' };
      } else {
        try {
          plan ??= await onVerified(cleared);
          extra = await plan.extra?.();
        } catch (error) {
          await giveBack(error);
          throw error;
        }
        user = { ...(plan.change ? plan.change(cleared) : cleared), updatedAt: this.clock().toISOString() };
        outcome = plan.event;
      }
      try {
        await this.save(user, loaded.modRevision, outcome, extra);
      } catch (error) {
        if (isCofferError(error, 'CONFLICT') && attempt < MAX_RETRIES) {
          await sleep(randomInt(0, POLL_MS.min));
          continue;
        }
        await giveBack(error).catch(() => undefined);
        throw error;
      }
      if (!cleared) throw new CofferError('ACCOUNT_LOCKED');
      return user;
    }
  }

  /** Read-modify-write of the user's lockout state with its event, retried on a lost compare. */
  private async resolve(
    username: string,
    transition: (user: UserRecord) => UserRecord,
    event: AuditEventInput,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const loaded = await this.load(username);
      if (!loaded) {
        await this.deps.writer.commit({ event });
        return;
      }
      const next = transition(loaded.user);
      const locked = next.locked && !loaded.user.locked;
      try {
        await this.save(next, loaded.modRevision, locked ? { ...event, details: { ...event.details, locked } } : event);
        return;
      } catch (error) {
        if (!isCofferError(error, 'CONFLICT') || attempt >= MAX_RETRIES) throw error;
        await sleep(randomInt(0, POLL_MS.min));
      }
    }
  }

  private async save(user: UserRecord, modRevision: number, event: AuditEventInput, extra?: CommitPart): Promise<void> {
    await this.deps.writer.commit({
      compares: [{ key: userPath(user.username), modRevision }, ...(extra?.compares ?? [])],
      changes: [
        { type: 'put', path: userPath(user.username), kind: 'user', plaintext: encodeUser(user) },
        ...(extra?.changes ?? []),
      ],
      event,
    });
  }

  /**
   * Audits a refusal, then throws it. One made before the password is checked with an `origin`
   * goes under the source's budget (anybody can ask for it without end).
   */
  private async refuse(
    event: Omit<AuditEventInput, 'result'>,
    code: ErrorCode,
    origin?: RefusalOrigin,
  ): Promise<never> {
    const refusal = { ...event, result: 'failure' as const, code };
    if (origin !== undefined && this.deps.refusals !== undefined) await this.deps.refusals.audit(origin, refusal);
    else await this.deps.writer.commit({ event: refusal });
    throw new CofferError(code);
  }

  private async load(username: string): Promise<{ user: UserRecord; modRevision: number } | undefined> {
    const record = await this.deps.reader.get(userPath(username), 'user');
    return record && { user: decodeUser(record.plaintext), modRevision: record.modRevision };
  }

  private now(): number {
    return this.clock().getTime();
  }
}

/** Whether a user's password and MFA key are still the ones an attempt was checked against. */
function sameCredentials(current: UserRecord, checked: UserRecord): boolean {
  return (
    current.password?.salt === checked.password?.salt &&
    current.password?.hash === checked.password?.hash &&
    current.mfaKey?.publicKey === checked.mfaKey?.publicKey
  );
}

/** The audited refusal for an error: its code when it has one. */
function failure(event: Omit<AuditEventInput, 'result'>, error: unknown): AuditEventInput {
  const code: ErrorCode = error instanceof CofferError ? error.code : 'INTERNAL_ERROR';
  return { ...event, result: 'failure', code };
}
