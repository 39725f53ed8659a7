import { hash } from 'node:crypto';
import type { Role } from './roles.js';

/**
 * A login session as stored (sealed) at `session/<sha256(token)>`, with an empty index entry at
 * `idx/session-user/<username>/<sha256(token)>` (for the per-user limit and for ending a user's
 * sessions). The token itself is never stored: only the client holds it, and a store, log or
 * backup that leaks holds only hashes of 256-bit random values.
 */
export interface SessionRecord {
  readonly username: string;
  readonly role: Role;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /** The last request, to within the refresh interval (sessions.ts). */
  readonly lastUsedAt: number;
  /** The absolute deadline. */
  readonly expiresAt: number;
  /** The idle limit the session was opened under, so every node ends it alike. */
  readonly idleMs: number;
}

export const SESSION_PREFIX = 'session/';
export const SESSION_USER_INDEX = 'idx/session-user/';
export const TOKEN_PREFIX = 'cfs_';
/** cfs_ and 32 random bytes, base64url: anything else is refused before the store is read. */
const TOKEN_PATTERN = /^cfs_[A-Za-z0-9_-]{43}$/;
/** A session's id (for audit, logs and session-bound state) is this much of its hash. */
const ID_LENGTH = 16;

/** The store key of a token's session, or undefined for a token that cannot be one. */
export function tokenHash(token: string): string | undefined {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  // One-shot: no Hash object on every request.
  return hash('sha256', token, 'hex');
}

export const sessionPath = (hash: string): string => SESSION_PREFIX + hash;
export const userSessionsPrefix = (username: string): string => `${SESSION_USER_INDEX}${username}/`;
export const userSessionPath = (username: string, hash: string): string => userSessionsPrefix(username) + hash;
export const sessionIdOf = (hash: string): string => hash.slice(0, ID_LENGTH);

/** An index entry's user and hash (`idx/session-user/<username>/<hash>`). */
export function parseUserSessionPath(path: string): { username: string; hash: string } {
  const [username = '', hash = ''] = path.slice(SESSION_USER_INDEX.length).split('/');
  return { username, hash };
}

export function isExpired(record: SessionRecord, now: number): boolean {
  return now - record.lastUsedAt >= record.idleMs || now >= record.expiresAt;
}

export function encodeSession(record: SessionRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

export function decodeSession(bytes: Buffer): SessionRecord {
  return JSON.parse(bytes.toString('utf8')) as SessionRecord;
}
