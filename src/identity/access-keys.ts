import type { AuditEventInput } from '../audit/audit-event.js';
import { CofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { RecordReader } from '../records/record-reader.js';
import type { RecordWriter } from '../records/record-writer.js';
import {
  ACCESS_KEY_ID_PATTERN,
  ACCESS_KEY_USER_INDEX,
  MAX_ACCESS_KEYS_PER_USER,
  accessKeyPath,
  accessKeyUserIndex,
  decodeAccessKey,
  encodeAccessKey,
  newAccessKeyId,
  newSecret,
  summarizeAccessKey,
  type AccessKeyRecord,
  type AccessKeySummary,
} from './access-key-record.js';
import type { ChallengeStore } from './challenges.js';
import { normalizeUsername } from './credential-rules.js';
import { LoginAttempts, type Proof } from './login-attempts.js';
import type { Role } from './roles.js';
import type { Session } from './sessions.js';
import { decodeUser, encodeUser, userPath, type UserRecord } from './user-record.js';

export interface AccessKeyDeps {
  readonly reader: Pick<RecordReader, 'get' | 'keys'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly challenges: Pick<ChallengeStore, 'issue' | 'take'>;
  readonly clock?: () => Date;
}

/** A new access key: the secret is shown once, to its user, and then only the node holds it. */
export interface IssuedAccessKey extends AccessKeySummary {
  readonly secretAccessKey: Buffer;
}

/** What a verified signature acts as. */
export interface AccessKeyCredential {
  readonly accessKeyId: string;
  readonly secret: Buffer;
  readonly username: string;
  readonly role: Role;
}

/** Why a key id does not authenticate (audited; the client hears only "unrecognized"). */
export type CredentialRefusal = 'unknown' | 'inactive' | 'user-gone' | 'role' | 'locked';

/** Roles that may hold access keys: an admin (to list and describe keys) and a crypto user. */
const KEY_HOLDING_ROLES: readonly Role[] = ['admin', 'crypto-user'];

/**
 * Access keys for the KMS-compatible API (`user create-access-key`, `list-access-keys`,
 * `disable-access-key`, `delete-access-key`). A user creates its own, only — an admin who could
 * mint a crypto user's key could use that user's keys — and proves its password (and MFA) to do
 * so, so a stolen session token cannot turn into a lasting credential. Its user or an admin may
 * list, disable and delete it. Every change and refusal is audited; the secret never is.
 */
export class AccessKeyService {
  private readonly clock: () => Date;
  private readonly attempts: LoginAttempts;

  constructor(private readonly deps: AccessKeyDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.attempts = new LoginAttempts({ ...deps, clock: this.clock });
  }

  async create(session: Session, confirm: Partial<Proof>): Promise<IssuedAccessKey> {
    const username = session.username;
    const event = { actor: username, action: 'user.create-access-key', target: userPath(username) };
    if (!KEY_HOLDING_ROLES.includes(session.role)) return this.refuse(event, 'PERMISSION_DENIED');
    if ((await this.idsOf(username)).length >= MAX_ACCESS_KEYS_PER_USER) return this.refuse(event, 'ACCESS_KEY_LIMIT');
    if (!confirm.password) return this.refuse(event, 'PASSWORD_REQUIRED');
    await this.attempts.verify(
      username,
      { password: confirm.password, mfa: confirm.mfa },
      { action: 'user.create-access-key', mfa: 'mfa-confirm' },
      () => ({ event: { ...event, action: 'session.confirm', result: 'success', details: { for: event.action } } }),
    );
    const user = await this.user(username);
    if (!user) return this.refuse(event, 'USER_NOT_FOUND');
    // Counted again under the user record's revision: two creations at once cannot both pass.
    if ((await this.idsOf(username)).length >= MAX_ACCESS_KEYS_PER_USER) return this.refuse(event, 'ACCESS_KEY_LIMIT');
    const now = this.clock().toISOString();
    const record: AccessKeyRecord = {
      accessKeyId: newAccessKeyId(),
      username,
      userCreatedAt: user.record.createdAt,
      status: 'Active',
      createdAt: now,
      updatedAt: now,
    };
    const secret = newSecret();
    await this.deps.writer.commit({
      compares: [
        { key: userPath(username), modRevision: user.modRevision },
        { key: accessKeyPath(record.accessKeyId), modRevision: 0 },
      ],
      changes: [
        // The user record, rewritten as it is, is the lock that orders creations of its keys.
        { type: 'put', path: userPath(username), kind: 'user', plaintext: encodeUser(user.record) },
        {
          type: 'put',
          path: accessKeyPath(record.accessKeyId),
          kind: 'access-key',
          plaintext: encodeAccessKey(record, secret),
        },
        { type: 'index', path: accessKeyUserIndex(username, record.accessKeyId) },
      ],
      event: { ...event, target: accessKeyPath(record.accessKeyId), result: 'success', details: { username } },
    });
    return { ...summarizeAccessKey(record), secretAccessKey: secret };
  }

  /** A user's access keys: the caller's own, or (an admin) anyone's. */
  async list(session: Session, usernameInput?: string): Promise<AccessKeySummary[]> {
    const event = { actor: session.username, action: 'user.list-access-keys' };
    const username = await this.checkedUsername(event, usernameInput ?? session.username);
    if (username !== session.username && session.role !== 'admin')
      return this.refuse({ ...event, target: userPath(username) }, 'PERMISSION_DENIED');
    const keys: AccessKeySummary[] = [];
    for (const id of await this.idsOf(username)) {
      const found = await this.load(id);
      if (found && found.record.username === username) keys.push(summarizeAccessKey(found.record));
    }
    return keys;
  }

  /** Makes a key Inactive for good: its signatures are refused from now on, on every node. */
  async disable(session: Session, accessKeyId: string): Promise<AccessKeySummary> {
    const event = { actor: session.username, action: 'user.disable-access-key', target: accessKeyPath(accessKeyId) };
    const found = await this.managed(session, accessKeyId, event);
    if (found.record.status === 'Inactive') return summarizeAccessKey(found.record);
    const next: AccessKeyRecord = { ...found.record, status: 'Inactive', updatedAt: this.clock().toISOString() };
    try {
      await this.deps.writer.commit({
        compares: [{ key: accessKeyPath(accessKeyId), modRevision: found.modRevision }],
        changes: [
          {
            type: 'put',
            path: accessKeyPath(accessKeyId),
            kind: 'access-key',
            plaintext: encodeAccessKey(next, found.secret),
          },
        ],
        event: { ...event, result: 'success', details: { username: next.username } },
      });
    } finally {
      found.secret.fill(0);
    }
    return summarizeAccessKey(next);
  }

  async delete(session: Session, accessKeyId: string): Promise<void> {
    const event = { actor: session.username, action: 'user.delete-access-key', target: accessKeyPath(accessKeyId) };
    const found = await this.managed(session, accessKeyId, event);
    found.secret.fill(0);
    await this.deps.writer.commit({
      compares: [{ key: accessKeyPath(accessKeyId), modRevision: found.modRevision }],
      changes: [
        { type: 'delete', path: accessKeyPath(accessKeyId) },
        { type: 'delete', path: accessKeyUserIndex(found.record.username, accessKeyId) },
      ],
      event: { ...event, result: 'success', details: { username: found.record.username } },
    });
  }

  /** Whether a user holds access keys (such a user is not deleted: see user-service.ts). */
  async holdsKeys(username: string): Promise<boolean> {
    return (await this.idsOf(username)).length > 0;
  }

  /**
   * The credential a SigV4 signature is checked against: an Active key of an existing user of
   * the same incarnation, with a role that may hold keys, not locked out. The caller zeroes
   * `secret`.
   */
  async credential(accessKeyId: string): Promise<AccessKeyCredential | { readonly refused: CredentialRefusal }> {
    const found = ACCESS_KEY_ID_PATTERN.test(accessKeyId) ? await this.load(accessKeyId) : undefined;
    if (!found) return { refused: 'unknown' };
    const { record, secret } = found;
    const refused = (reason: CredentialRefusal) => {
      secret.fill(0);
      return { refused: reason };
    };
    if (record.status !== 'Active') return refused('inactive');
    const user = await this.user(record.username);
    if (!user || user.record.createdAt !== record.userCreatedAt) return refused('user-gone');
    if (!KEY_HOLDING_ROLES.includes(user.record.role)) return refused('role');
    if (user.record.locked) return refused('locked');
    return { accessKeyId, secret, username: record.username, role: user.record.role };
  }

  /** A key its caller may manage: its own, or any for an admin; ACCESS_KEY_NOT_FOUND otherwise. */
  private async managed(
    session: Session,
    accessKeyId: string,
    event: Omit<AuditEventInput, 'result'>,
  ): Promise<{ record: AccessKeyRecord; secret: Buffer; modRevision: number }> {
    const found = ACCESS_KEY_ID_PATTERN.test(accessKeyId) ? await this.load(accessKeyId) : undefined;
    if (!found || (found.record.username !== session.username && session.role !== 'admin')) {
      found?.secret.fill(0);
      return this.refuse(event, 'ACCESS_KEY_NOT_FOUND');
    }
    return found;
  }

  private async idsOf(username: string): Promise<string[]> {
    const prefix = `${ACCESS_KEY_USER_INDEX}${username}/`;
    const page = await this.deps.reader.keys(prefix, { limit: 100 });
    return page.keys.map((key) => key.slice(prefix.length));
  }

  private async load(
    accessKeyId: string,
  ): Promise<{ record: AccessKeyRecord; secret: Buffer; modRevision: number } | undefined> {
    const opened = await this.deps.reader.get(accessKeyPath(accessKeyId), 'access-key');
    if (!opened) return undefined;
    try {
      return { ...decodeAccessKey(opened.plaintext), modRevision: opened.modRevision };
    } finally {
      opened.plaintext.fill(0);
    }
  }

  private async user(username: string): Promise<{ record: UserRecord; modRevision: number } | undefined> {
    const opened = await this.deps.reader.get(userPath(username), 'user');
    return opened && { record: decodeUser(opened.plaintext), modRevision: opened.modRevision };
  }

  private async checkedUsername(event: Omit<AuditEventInput, 'result'>, input: string): Promise<string> {
    try {
      return normalizeUsername(input);
    } catch {
      return this.refuse(event, 'USERNAME_INVALID');
    }
  }

  private async refuse(event: Omit<AuditEventInput, 'result'>, code: ErrorCode): Promise<never> {
    await this.deps.writer.commit({ event: { ...event, result: 'failure', code } });
    throw new CofferError(code);
  }
}
