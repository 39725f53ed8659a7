import { createHash, randomBytes } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import type { Role } from './roles.js';

/**
 * Login sessions, held server-side in node memory. The client holds a random bearer token; the
 * node keeps only its SHA-256, so a memory or log leak of the table yields no usable token.
 * Sessions expire when idle and at an absolute deadline, and end at logout, at seal, and when
 * their user is deleted or changes password. Session-bound state (session keys) registers a
 * close listener and is dropped with the session.
 */
export interface Session {
  /** A non-secret identifier (a prefix of the token hash), safe for logs and audit. */
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: number;
  lastUsedAt: number;
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

const TOKEN_PREFIX = 'cfs_';

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly closeListeners: ((session: Session) => void)[] = [];

  constructor(
    private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  open(username: string, role: Role): { token: string; session: Session; expiresAt: number } {
    this.sweep();
    const open = [...this.sessions.values()].filter((session) => session.username === username);
    if (open.length >= this.limits.perUser)
      throw new CofferError('TOO_MANY_SESSIONS', `at most ${this.limits.perUser}`);
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const key = tokenKey(token);
    const now = this.now();
    const session: Session = { id: key.slice(0, 16), username, role, createdAt: now, lastUsedAt: now };
    this.sessions.set(key, session);
    return { token, session, expiresAt: now + this.limits.absoluteMs };
  }

  /** The live session for a token, refreshed; SESSION_INVALID when unknown or expired. */
  resolve(token: string): Session {
    const key = tokenKey(token);
    const session = this.sessions.get(key);
    if (!session) throw new CofferError('SESSION_INVALID');
    if (this.expired(session)) {
      this.remove(key, session);
      throw new CofferError('SESSION_INVALID');
    }
    session.lastUsedAt = this.now();
    return session;
  }

  close(token: string): void {
    const key = tokenKey(token);
    const session = this.sessions.get(key);
    if (session) this.remove(key, session);
  }

  /** Ends every session of a user, except the one with id `keep` if given. */
  closeUser(username: string, keep?: string): void {
    for (const [key, session] of this.sessions) {
      if (session.username === username && session.id !== keep) this.remove(key, session);
    }
  }

  closeAll(): void {
    for (const [key, session] of this.sessions) this.remove(key, session);
  }

  onClose(listener: (session: Session) => void): void {
    this.closeListeners.push(listener);
  }

  get size(): number {
    return this.sessions.size;
  }

  sweep(): void {
    for (const [key, session] of this.sessions) if (this.expired(session)) this.remove(key, session);
  }

  private expired(session: Session): boolean {
    const now = this.now();
    return now - session.lastUsedAt >= this.limits.idleMs || now - session.createdAt >= this.limits.absoluteMs;
  }

  private remove(key: string, session: Session): void {
    this.sessions.delete(key);
    for (const listener of this.closeListeners) listener(session);
  }
}

function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
