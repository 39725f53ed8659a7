import { randomBytes } from 'node:crypto';
import type { AuditEventInput } from '../audit/audit-event.js';
import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { RecordReader } from '../records/record-reader.js';
import type { Change, CommitPart, RecordWriter } from '../records/record-writer.js';
import type { StateStore, Unsubscribe } from '../store/state-store.js';
import type { Role } from './roles.js';
import type { SessionBound } from './session-bound.js';
import {
  SESSION_PREFIX,
  SESSION_USER_INDEX,
  TOKEN_PREFIX,
  decodeSession,
  encodeSession,
  isExpired,
  parseUserSessionPath,
  sessionIdOf,
  sessionPath,
  tokenHash,
  userSessionPath,
  userSessionsPrefix,
  type SessionRecord,
} from './session-record.js';
import { userPath } from './user-record.js';

/**
 * Login sessions, held in the store (session-record.ts) so that every node serves every
 * session: a client that fails over mid-work carries on with the same token. The client holds
 * a random bearer token; the store holds only its SHA-256. No node trusts a cache for them:
 * every request reads its session record. Sessions expire when idle and at an absolute
 * deadline, and end at logout, at seal, and when their user is deleted or changes password —
 * each in a commit with its audit event, so the end is seen by every node at once.
 *
 * Idle refresh: lastUsedAt is written (a commit compared on the record's revision) only once it
 * is older than the refresh interval — the smaller of 30 s and a tenth of the idle limit — so a
 * busy session costs one write per interval, not one per request. A session therefore ends
 * idle between idleMs − interval and idleMs after its last request: never later.
 *
 * Session-bound state (session keys, PKCS#11 session objects, multi-part operations) stays in
 * the memory of the node that made it (session-bound.ts); a store watch tells every node of a
 * session's end, wherever it happened, and the node drops its part.
 */
export interface Session {
  /** A non-secret identifier (a prefix of the token hash), safe for logs and audit. */
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: number;
  readonly lastUsedAt: number;
}

export interface SessionLimits {
  readonly idleMs: number;
  readonly absoluteMs: number;
  readonly perUser: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  idleMs: 15 * 60_000,
  absoluteMs: 8 * 60 * 60_000,
  perUser: 32,
};

export const MAX_REFRESH_INTERVAL_MS = 30_000;

/** How stale lastUsedAt may grow before a request writes it again. */
export function refreshInterval(idleMs: number): number {
  return Math.min(MAX_REFRESH_INTERVAL_MS, Math.floor(idleMs / 10));
}

/** A session made for a login: it exists once the login's commit (with `opening`) succeeds. */
export interface OpeningSession {
  readonly token: string;
  readonly session: Session;
  readonly expiresAt: number;
}

/** Two operations a session: within the store's 128 with room for the rest of a commit. */
const MAX_ENDED_PER_COMMIT = 48;
/** A login deletes at most this many of its user's expired sessions; the sweeper does the rest. */
const MAX_EXPIRED_AT_LOGIN = 16;
const PAGE = 500;

interface Found {
  readonly hash: string;
  readonly record: SessionRecord;
  readonly modRevision: number;
}

export interface SessionManagerDeps {
  readonly reader: Pick<RecordReader, 'getDecoded' | 'keys' | 'forgetDecoded'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  /** Deletions under session/, from any node, end the session-bound state held here. */
  readonly store: Pick<StateStore, 'watch'>;
  readonly limits?: SessionLimits;
  readonly now?: () => number;
}

export class SessionManager {
  private readonly limits: SessionLimits;
  private readonly now: () => number;
  private readonly bound: SessionBound[] = [];
  /** Refreshes in flight on this node, by hash: concurrent requests of one session share one. */
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly unwatch: Unsubscribe;

  constructor(private readonly deps: SessionManagerDeps) {
    this.limits = deps.limits ?? DEFAULT_SESSION_LIMITS;
    this.now = deps.now ?? Date.now;
    this.unwatch = deps.store.watch(SESSION_PREFIX, (event) => {
      if (event.type === 'delete') this.drop(sessionIdOf(event.key.slice(SESSION_PREFIX.length)));
    });
  }

  /** A new token and its session, for a login; nothing is stored until `opening` is committed. */
  mint(username: string, role: Role): OpeningSession {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const now = this.now();
    const session = { id: sessionIdOf(tokenHash(token)!), username, role, createdAt: now, lastUsedAt: now };
    return { token, session, expiresAt: now + this.limits.absoluteMs };
  }

  /**
   * What the login's commit adds to open the session: its record and index entry, and the
   * deletion of some of the user's expired sessions. TOO_MANY_SESSIONS at the per-user limit.
   * The count cannot be outrun by logins on other nodes because every login's commit also
   * compares the user record it writes: a session opened since this count moved that record,
   * so this commit fails and the login counts again. Read afresh for every attempt.
   */
  async opening(opening: OpeningSession): Promise<CommitPart> {
    const { session, expiresAt } = opening;
    const hash = tokenHash(opening.token)!;
    const now = this.now();
    const changes: Change[] = [];
    let live = 0;
    let expired = 0;
    for await (const other of this.userHashes(session.username)) {
      const found = await this.read(other);
      if (found && !isExpired(found.record, now)) live++;
      else if (expired++ < MAX_EXPIRED_AT_LOGIN) changes.push(...ending(session.username, other));
    }
    if (live >= this.limits.perUser) throw new CofferError('TOO_MANY_SESSIONS', `at most ${this.limits.perUser}`);
    const record: SessionRecord = {
      username: session.username,
      role: session.role,
      createdAt: session.createdAt,
      lastUsedAt: session.lastUsedAt,
      expiresAt,
      idleMs: this.limits.idleMs,
    };
    changes.push(
      { type: 'put', path: sessionPath(hash), kind: 'session', plaintext: encodeSession(record) },
      { type: 'index', path: userSessionPath(session.username, hash) },
    );
    return { compares: [{ key: sessionPath(hash), modRevision: 0 }], changes };
  }

  /** The live session for a token, read from the store; SESSION_INVALID when unknown or expired. */
  async resolve(token: string): Promise<Session> {
    const hash = tokenHash(token);
    const found = hash === undefined ? undefined : await this.read(hash);
    if (!found) throw new CofferError('SESSION_INVALID');
    const now = this.now();
    if (isExpired(found.record, now)) {
      // Best effort: the sweeper deletes what this does not.
      await this.expire([found]).catch(() => undefined);
      throw new CofferError('SESSION_INVALID');
    }
    const stale = now - found.record.lastUsedAt >= refreshInterval(found.record.idleMs);
    if (stale) await this.refresh(found, now);
    return toSession(found, stale ? now : found.record.lastUsedAt);
  }

  /** The changes that end the session of `token` (logout), for the commit that audits it. */
  ending(token: string, session: Session): Change[] {
    const hash = tokenHash(token);
    return hash === undefined ? [] : ending(session.username, hash);
  }

  /**
   * The changes that end a user's sessions (but `keepId`), for the commit of the change that
   * ends them (deletion, password change): at most MAX_ENDED_PER_COMMIT; `closeUser` after the
   * commit ends any beyond.
   */
  async userEnding(username: string, keepId?: string): Promise<Change[]> {
    const changes: Change[] = [];
    for await (const hash of this.userHashes(username)) {
      if (sessionIdOf(hash) === keepId) continue;
      if (changes.length >= MAX_ENDED_PER_COMMIT * 2) break;
      changes.push(...ending(username, hash));
    }
    return changes;
  }

  /** Ends every session of a user but `keepId`, in commits of their own. */
  async closeUser(username: string, keepId: string | undefined, event: Omit<AuditEventInput, 'result'>): Promise<void> {
    for (;;) {
      const changes = await this.userEnding(username, keepId);
      if (changes.length === 0) return;
      await this.deps.writer.commit({
        changes,
        event: { ...event, result: 'success', details: { ...event.details, sessions: changes.length / 2 } },
      });
    }
  }

  /** At seal: every session of the cluster ends, and this node drops all session-bound state. */
  async closeAll(actor: string): Promise<void> {
    try {
      for (;;) {
        const page = await this.deps.reader.keys(SESSION_USER_INDEX, { limit: MAX_ENDED_PER_COMMIT });
        if (page.keys.length === 0) return;
        const changes = page.keys.flatMap((path) => {
          const { username, hash } = parseUserSessionPath(path);
          return ending(username, hash);
        });
        await this.deps.writer.commit({
          changes,
          event: {
            actor,
            action: 'session.close',
            target: 'cluster',
            result: 'success',
            details: { reason: 'seal', sessions: page.keys.length },
          },
        });
      }
    } finally {
      this.dropAll();
    }
  }

  /**
   * Deletes expired sessions; any node may run it. Each batch compares the revisions it judged
   * by, so a session refreshed meanwhile is kept; a batch that loses to another sweeper is left
   * (what it held is gone or is swept next time). Returns how many were deleted.
   */
  async sweep(): Promise<number> {
    const now = this.now();
    const expired: Found[] = [];
    for await (const hash of this.hashes()) {
      const found = await this.read(hash).catch((error: unknown) => {
        // A record that fails to open is left for an operator, not deleted unseen.
        if (isCofferError(error, 'INTEGRITY_ERROR')) return undefined;
        throw error;
      });
      if (found && isExpired(found.record, now)) expired.push(found);
    }
    let swept = 0;
    for (let start = 0; start < expired.length; start += MAX_ENDED_PER_COMMIT) {
      const batch = expired.slice(start, start + MAX_ENDED_PER_COMMIT);
      try {
        await this.expire(batch);
        swept += batch.length;
      } catch (error) {
        if (!isCofferError(error, 'CONFLICT')) throw error;
      }
    }
    return swept;
  }

  /** Registers node-local state to drop when a session ends or the node seals. */
  bind(holder: SessionBound): void {
    this.bound.push(holder);
  }

  /** Drops every session-bound state of this node (at seal and at stop); the sessions stay. */
  dropAll(): void {
    this.deps.reader.forgetDecoded();
    for (const holder of this.bound) holder.dropAll();
  }

  /** At node stop: no more watch events. */
  stop(): void {
    this.unwatch();
    this.dropAll();
  }

  private drop(sessionId: string): void {
    for (const holder of this.bound) holder.dropSession(sessionId);
  }

  private async expire(sessions: readonly Found[]): Promise<void> {
    await this.deps.writer.commit({
      compares: sessions.map(({ hash, modRevision }) => ({ key: sessionPath(hash), modRevision })),
      changes: sessions.flatMap(({ hash, record }) => ending(record.username, hash)),
      event: {
        actor: 'system',
        action: 'session.expire',
        result: 'success',
        details: { sessions: sessions.length, ids: sessions.map(({ hash }) => sessionIdOf(hash)).join(',') },
      },
    });
  }

  /** Writes lastUsedAt, compared on the revision read: a session ended meanwhile stays ended. */
  private refresh(found: Found, now: number): Promise<void> {
    const running = this.refreshing.get(found.hash);
    if (running) return running;
    const { hash, record, modRevision } = found;
    const refresh = this.deps.writer
      .commit({
        compares: [{ key: sessionPath(hash), modRevision }],
        changes: [
          {
            type: 'put',
            path: sessionPath(hash),
            kind: 'session',
            plaintext: encodeSession({ ...record, lastUsedAt: now }),
          },
        ],
        event: {
          actor: record.username,
          action: 'session.refresh',
          target: userPath(record.username),
          result: 'success',
          details: { session: sessionIdOf(hash) },
        },
      })
      .then(
        () => undefined,
        async (error: unknown) => {
          if (!isCofferError(error, 'CONFLICT')) throw error;
          // Another node refreshed it first — or it ended, and then this request is refused.
          if (!(await this.read(hash))) throw new CofferError('SESSION_INVALID');
        },
      )
      .finally(() => this.refreshing.delete(hash));
    this.refreshing.set(hash, refresh);
    return refresh;
  }

  /** Read from the store every time; an unchanged record is not decrypted again (record-reader.ts). */
  private async read(hash: string): Promise<Found | undefined> {
    const decoded = await this.deps.reader.getDecoded(sessionPath(hash), 'session', decodeSession);
    return decoded && { hash, record: decoded.value, modRevision: decoded.modRevision };
  }

  private async *userHashes(username: string): AsyncGenerator<string> {
    const prefix = userSessionsPrefix(username);
    for await (const path of this.paths(prefix)) yield path.slice(prefix.length);
  }

  private async *hashes(): AsyncGenerator<string> {
    for await (const path of this.paths(SESSION_PREFIX)) yield path.slice(SESSION_PREFIX.length);
  }

  private async *paths(prefix: string): AsyncGenerator<string> {
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.reader.keys(prefix, { ...(after !== undefined && { after }), limit: PAGE });
      yield* page.keys;
      if (!page.more || page.keys.length === 0) return;
      after = page.keys.at(-1);
    }
  }
}

/** A session's record and its index entry, deleted. */
function ending(username: string, hash: string): Change[] {
  return [
    { type: 'delete', path: sessionPath(hash) },
    { type: 'delete', path: userSessionPath(username, hash) },
  ];
}

function toSession(found: Found, lastUsedAt: number): Session {
  const { hash, record } = found;
  return {
    id: sessionIdOf(hash),
    username: record.username,
    role: record.role,
    createdAt: record.createdAt,
    lastUsedAt,
  };
}
