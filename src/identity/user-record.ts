import type { PasswordHash } from './password-hash.js';
import type { Role } from './roles.js';

/** A user as stored (sealed) at `user/<username>`. */
export interface UserRecord {
  readonly username: string;
  readonly role: Role;
  /** Absent only for the unactivated admin. */
  readonly password?: PasswordHash;
  readonly failedLogins: number;
  readonly locked: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What any user may see of another: no hash, no salt. */
export interface UserSummary {
  readonly username: string;
  readonly role: Role;
  readonly locked: boolean;
  readonly createdAt: string;
}

export const USER_PREFIX = 'user/';
export const FIRST_ADMIN = 'admin';
/** Failed logins, counted cluster-wide, after which an account locks until an admin unlocks it. */
export const MAX_FAILED_LOGINS = 5;

export function userPath(username: string): string {
  return USER_PREFIX + username;
}

export function encodeUser(user: UserRecord): Buffer {
  return Buffer.from(JSON.stringify(user), 'utf8');
}

export function decodeUser(bytes: Buffer): UserRecord {
  return JSON.parse(bytes.toString('utf8')) as UserRecord;
}

export function summarize(user: UserRecord): UserSummary {
  return { username: user.username, role: user.role, locked: user.locked, createdAt: user.createdAt };
}
