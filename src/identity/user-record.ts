import type { LoginReservation } from './lockout.js';
import type { PasswordHash } from './password-hash.js';
import type { Role } from './roles.js';

/** A user as stored (sealed) at `user/<username>`. */
export interface UserRecord {
  readonly username: string;
  readonly role: Role;
  /** Absent only for the unactivated admin. */
  readonly password?: PasswordHash;
  /** Evaluated failed attempts since the last success or unlock (cluster-wide). */
  readonly failedLogins: number;
  /** Set by the failure that reaches MAX_FAILED_LOGINS; cleared only by an admin's unlock. */
  readonly locked: boolean;
  /** Password checks reserved and not yet resolved (see lockout.ts); absent means none. */
  readonly loginsInFlight?: readonly LoginReservation[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The public key that signs this user's MFA login challenges (token-sign), when registered. */
  readonly mfaKey?: RegisteredKey;
  /** The public key that signs this user's quorum approvals, when registered. */
  readonly quorumKey?: RegisteredKey;
}

export interface RegisteredKey {
  /** SPKI PEM. */
  readonly publicKey: string;
  readonly registeredAt: string;
}

/** What any user may see of another: no hash, no salt. */
export interface UserSummary {
  readonly username: string;
  readonly role: Role;
  readonly locked: boolean;
  readonly createdAt: string;
  /** Whether the user logs in with MFA (a registered token-sign key). */
  readonly mfa: boolean;
  /** Whether the user has a quorum approval key registered. */
  readonly quorumKey: boolean;
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
  return {
    username: user.username,
    role: user.role,
    locked: user.locked,
    createdAt: user.createdAt,
    mfa: user.mfaKey !== undefined,
    quorumKey: user.quorumKey !== undefined,
  };
}
