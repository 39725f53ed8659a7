import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { RecordReader } from '../records/record-reader.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { RefusalBudget, RefusalOrigin } from '../audit/refusal-budget.js';
import { checkPassword, normalizeUsername } from './credential-rules.js';
import { decoyHash, hashPassword, verifyPassword } from './password-hash.js';
import type { ChallengeStore } from './challenges.js';
import { LoginAttempts } from './login-attempts.js';
import { unlock } from './lockout.js';
import type { MfaAnswer } from './mfa.js';
import type { ApprovalPlan, QuorumService } from './quorum-service.js';
import type { CreatableRole } from './roles.js';
import type { OpeningSession, Session, SessionManager } from './sessions.js';
import {
  FIRST_ADMIN,
  USER_PREFIX,
  decodeUser,
  encodeUser,
  summarize,
  userPath,
  type UserRecord,
  type UserSummary,
} from './user-record.js';

export interface UserServiceDeps {
  readonly reader: Pick<RecordReader, 'get' | 'page'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly sessions: Pick<SessionManager, 'mint' | 'opening' | 'resolve' | 'ending' | 'userEnding' | 'closeUser'>;
  /** Whether keys are owned by or shared with a user (such a user cannot be deleted). */
  readonly ownsKeys: (username: string) => Promise<boolean>;
  readonly clock?: () => Date;
  /** Quorum for the user service (create, delete, another user's password); none when absent. */
  readonly quorum?: Pick<QuorumService, 'approve'>;
  /** MFA login challenges (sealed records in the store). */
  readonly challenges: Pick<ChallengeStore, 'issue' | 'take'>;
  /** Refusals made before any credential was checked (login, logout, activation). */
  readonly refusals: Pick<RefusalBudget, 'audit'>;
}

interface Loaded {
  readonly user: UserRecord;
  readonly modRevision: number;
}

/**
 * Users: activation of the first admin, login with cluster-wide lockout, and the admin's user
 * management. Every change and every refusal is committed with its audit event.
 */
export class UserService {
  private readonly clock: () => Date;

  private readonly attempts: LoginAttempts;

  constructor(private readonly deps: UserServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.attempts = new LoginAttempts({
      reader: deps.reader,
      writer: deps.writer,
      challenges: deps.challenges,
      clock: this.clock,
      refusals: deps.refusals,
    });
  }

  /**
   * Sets the first admin's password: `cluster activate`. `origin`: where the request came from
   * (none for an in-process caller); what it may ask is refused without a credential.
   */
  async activate(password: Buffer, origin?: RefusalOrigin): Promise<UserSummary> {
    const event = { actor: 'anonymous', action: 'cluster.activate', target: userPath(FIRST_ADMIN) };
    await this.checked(event, () => checkPassword(password), origin);
    const loaded = await this.load(FIRST_ADMIN);
    if (!loaded || loaded.user.role !== 'unactivated-admin') return this.refuse(event, 'ALREADY_ACTIVATED', origin);
    const user: UserRecord = {
      ...loaded.user,
      role: 'admin',
      password: await hashPassword(password),
      updatedAt: this.stamp(),
    };
    await this.save(user, loaded.modRevision, {
      actor: FIRST_ADMIN,
      action: 'cluster.activate',
      target: userPath(FIRST_ADMIN),
      result: 'success',
    });
    return summarize(user);
  }

  /**
   * A login: the password, then (for a user with an MFA key) the signed challenge, checked under
   * the lockout (login-attempts.ts). A right password without an answer is refused with
   * MFA_REQUIRED and a fresh challenge; a wrong answer counts toward the lockout like a wrong
   * password.
   */
  async login(
    usernameInput: string,
    password: Buffer,
    mfa?: MfaAnswer,
    origin?: RefusalOrigin,
  ): Promise<{ token: string; session: Session; expiresAt: number }> {
    // The raw input is not audited: a password typed into the username field stays out of the log.
    const username = await this.checked(
      { actor: 'anonymous', action: 'session.login' },
      () => normalizeUsername(usernameInput),
      origin,
    );
    const event = { actor: username, action: 'session.login', target: userPath(username) };
    const loaded = await this.load(username);
    if (!loaded) {
      await verifyPassword(password, await decoyHash());
      return this.refuse({ ...event, actor: 'anonymous' }, 'LOGIN_FAILED', origin);
    }
    // Refused before the password is checked, and counted by no lockout.
    if (loaded.user.role === 'unactivated-admin') return this.refuse(event, 'USER_NOT_ACTIVATED', origin);
    if (loaded.user.role === 'appliance') return this.refuse(event, 'PERMISSION_DENIED', origin);
    // The session is written by the commit that clears the failure count and audits the login:
    // no session without its audit event, and none for a login that failed after the check.
    let opened: OpeningSession | undefined;
    await this.attempts.verify(
      username,
      { password, mfa },
      { action: 'session.login', mfa: 'mfa-login', origin },
      (user) => {
        const opening = (opened ??= this.deps.sessions.mint(username, user.role));
        return {
          event: { ...event, result: 'success', details: { session: opening.session.id } },
          extra: () => this.deps.sessions.opening(opening),
        };
      },
    );
    return opened!;
  }

  /** Ends the session of `token`; an unknown or missing token is an audited refusal. */
  async logout(token: string | undefined, origin?: RefusalOrigin): Promise<void> {
    const event = { actor: 'anonymous', action: 'session.logout' };
    const session = await this.checked(
      event,
      () => {
        if (token === undefined) throw new CofferError('NOT_AUTHENTICATED');
        return this.deps.sessions.resolve(token);
      },
      origin,
    );
    await this.deps.writer.commit({
      changes: this.deps.sessions.ending(token!, session),
      event: {
        actor: session.username,
        action: 'session.logout',
        target: userPath(session.username),
        result: 'success',
        details: { session: session.id },
      },
    });
  }

  async list(): Promise<UserSummary[]> {
    const users: UserSummary[] = [];
    for await (const user of this.all()) users.push(summarize(user));
    return users;
  }

  async create(actor: Session, usernameInput: string, role: CreatableRole, password: Buffer): Promise<UserSummary> {
    const username = await this.checked({ actor: actor.username, action: 'user.create' }, () =>
      normalizeUsername(usernameInput),
    );
    await this.checked({ actor: actor.username, action: 'user.create', target: userPath(username) }, () =>
      checkPassword(password),
    );
    const now = this.stamp();
    const user: UserRecord = {
      username,
      role,
      password: await hashPassword(password),
      failedLogins: 0,
      locked: false,
      createdAt: now,
      updatedAt: now,
    };
    const event = { actor: actor.username, action: 'user.create', target: userPath(username), details: { role } };
    if (await this.load(username)) return this.refuse(event, 'USER_EXISTS');
    const plan = await this.deps.quorum?.approve(actor, 'user');
    try {
      await this.save(user, 0, withPlan({ ...event, result: 'success' }, plan), plan);
    } catch (error) {
      if (isCofferError(error, 'CONFLICT') && (await this.load(username))) return this.refuse(event, 'USER_EXISTS');
      throw error;
    }
    return summarize(user);
  }

  async delete(actor: Session, usernameInput: string): Promise<void> {
    const username = await this.checked({ actor: actor.username, action: 'user.delete' }, () =>
      normalizeUsername(usernameInput),
    );
    const event = { actor: actor.username, action: 'user.delete', target: userPath(username) };
    const loaded = await this.load(username);
    if (!loaded) return this.refuse(event, 'USER_NOT_FOUND');
    if (loaded.user.role === 'admin' || loaded.user.role === 'unactivated-admin') {
      let admins = 0;
      for await (const user of this.all()) if (user.role === 'admin') admins++;
      if (admins <= 1) return this.refuse(event, 'LAST_ADMIN');
    }
    if (await this.deps.ownsKeys(username)) return this.refuse(event, 'USER_OWNS_KEYS');
    const plan = await this.deps.quorum?.approve(actor, 'user');
    // The user's sessions end in the same commit: a login that raced it moved the user record.
    await this.deps.writer.commit({
      compares: [{ key: userPath(username), modRevision: loaded.modRevision }, ...(plan?.compares ?? [])],
      changes: [
        { type: 'delete', path: userPath(username) },
        ...(await this.deps.sessions.userEnding(username)),
        ...(plan?.changes ?? []),
      ],
      event: withPlan({ ...event, result: 'success' }, plan),
    });
    await this.closeLeftSessions(username, undefined, event);
  }

  /**
   * An admin sets another user's password (CloudHSM: no current password needed), under the
   * user quorum; the user's sessions end.
   */
  async changePassword(actor: Session, usernameInput: string, next: Buffer): Promise<void> {
    const username = await this.checked({ actor: actor.username, action: 'user.change-password' }, () =>
      normalizeUsername(usernameInput),
    );
    const event = { actor: actor.username, action: 'user.change-password', target: userPath(username) };
    await this.checked(event, () => checkPassword(next));
    const loaded = await this.load(username);
    if (!loaded || loaded.user.role === 'unactivated-admin' || loaded.user.role === 'appliance')
      return this.refuse(event, 'USER_NOT_FOUND');
    const plan = await this.deps.quorum?.approve(actor, 'user');
    const password = await hashPassword(next);
    const user = { ...loaded.user, password, failedLogins: 0, updatedAt: this.stamp() };
    const keep = username === actor.username ? actor.id : undefined;
    const ended = await this.deps.sessions.userEnding(username, keep);
    const part = { compares: plan?.compares ?? [], changes: [...(plan?.changes ?? []), ...ended] };
    await this.save(user, loaded.modRevision, withPlan({ ...event, result: 'success' }, plan), part);
    await this.closeLeftSessions(username, keep, event);
  }

  /**
   * A user changes their own password, proving the current one; their other sessions end. A
   * wrong current password is a failed login: it counts toward the lockout, so a stolen session
   * token cannot be used to guess the password.
   */
  async changeOwnPassword(actor: Session, current: Buffer, next: Buffer): Promise<void> {
    const event = { actor: actor.username, action: 'user.change-password', target: userPath(actor.username) };
    await this.checked(event, () => checkPassword(next));
    await this.attempts.verify(actor.username, { password: current }, { action: 'user.change-password' }, async () => {
      // Hashed only once the current password verified: a refused guess costs one scrypt.
      const password = await hashPassword(next);
      return {
        event: { ...event, result: 'success' },
        change: (user) => ({ ...user, password }),
        extra: async () => ({ compares: [], changes: await this.deps.sessions.userEnding(actor.username, actor.id) }),
      };
    });
    await this.closeLeftSessions(actor.username, actor.id, event);
  }

  /** Sessions beyond what one commit carries (rare: the per-user limit fits in one). */
  private async closeLeftSessions(
    username: string,
    keep: string | undefined,
    event: Omit<AuditEventInput, 'result'>,
  ): Promise<void> {
    await this.deps.sessions.closeUser(username, keep, {
      ...event,
      action: 'session.close',
      details: { reason: event.action },
    });
  }

  async unlock(actor: Session, usernameInput: string): Promise<UserSummary> {
    const username = await this.checked({ actor: actor.username, action: 'user.unlock' }, () =>
      normalizeUsername(usernameInput),
    );
    const event = { actor: actor.username, action: 'user.unlock', target: userPath(username) };
    const user = await this.update(username, (current) => unlock(current, this.clock().getTime()), {
      ...event,
      result: 'success',
    });
    if (!user) return this.refuse(event, 'USER_NOT_FOUND');
    return summarize(user);
  }

  /** Read-modify-write of one user, retried on a concurrent change (compare by revision). */
  private async update(
    username: string,
    change: (user: UserRecord) => UserRecord,
    event: AuditEventInput,
  ): Promise<UserRecord | undefined> {
    for (let attempt = 0; ; attempt++) {
      const loaded = await this.load(username);
      if (!loaded) return undefined;
      const user = { ...change(loaded.user), updatedAt: this.stamp() };
      try {
        await this.save(user, loaded.modRevision, event);
        return user;
      } catch (error) {
        if (!isCofferError(error, 'CONFLICT') || attempt >= 16) throw error;
      }
    }
  }

  private async save(
    user: UserRecord,
    modRevision: number,
    event: AuditEventInput,
    plan?: Pick<ApprovalPlan, 'compares' | 'changes'>,
  ): Promise<void> {
    await this.deps.writer.commit({
      compares: [{ key: userPath(user.username), modRevision }, ...(plan?.compares ?? [])],
      changes: [
        { type: 'put', path: userPath(user.username), kind: 'user', plaintext: encodeUser(user) },
        ...(plan?.changes ?? []),
      ],
      event,
    });
  }

  /**
   * Runs an input check; its refusal (a CofferError) is audited before it is thrown — under
   * the source's budget when `origin` is given: a check made before any credential was.
   */
  private async checked<T>(
    event: Omit<AuditEventInput, 'result'>,
    check: () => T | Promise<T>,
    origin?: RefusalOrigin,
  ): Promise<T> {
    try {
      return await check();
    } catch (error) {
      if (!isCofferError(error)) throw error;
      return this.refuse(event, error.code, origin);
    }
  }

  /**
   * Audits a refusal, then throws it. One made before any credential was checked, so one
   * anybody can ask for, comes with its `origin`: audited under the source's budget
   * (src/audit/refusal-budget.ts). Without an origin, audited in full.
   */
  private async refuse(
    event: Omit<AuditEventInput, 'result'>,
    code: CofferError['code'],
    origin?: RefusalOrigin,
  ): Promise<never> {
    await this.deps.refusals.audit(origin, { ...event, result: 'failure', code });
    throw new CofferError(code);
  }

  private async load(username: string): Promise<Loaded | undefined> {
    const record = await this.deps.reader.get(userPath(username), 'user');
    return record && { user: decodeUser(record.plaintext), modRevision: record.modRevision };
  }

  private async *all(): AsyncGenerator<UserRecord> {
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.reader.page(USER_PREFIX, 'user', { after, limit: 500 });
      for (const record of page.records) yield decodeUser(record.plaintext);
      if (!page.more || page.records.length === 0) return;
      after = page.records[page.records.length - 1]!.path;
    }
  }

  private stamp(): string {
    return this.clock().toISOString();
  }
}

/** The event of a quorum-approved change names the token it consumed and its approvers. */
function withPlan(event: AuditEventInput, plan: ApprovalPlan | undefined): AuditEventInput {
  return plan ? { ...event, details: { ...event.details, ...plan.details } } : event;
}
