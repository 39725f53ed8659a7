import type { UserRecord } from './user-record.js';
import { MAX_FAILED_LOGINS } from './user-record.js';

/**
 * The lockout rules, as pure transitions of a user record, each applied in a store transaction
 * that compares the record's revision (so they hold across every node sharing the store).
 *
 * A password check first reserves an attempt: `failedLogins` plus the attempts in flight may
 * never exceed MAX_FAILED_LOGINS, so at most that many wrong guesses are ever evaluated, however
 * many arrive at once. A failure turns its reservation into a failure and locks at the limit; a
 * success clears the count but never the lock; only an admin's unlock clears the lock. A
 * reservation left by a node that died mid-check counts as a failure once it is stale.
 */
export interface LoginReservation {
  /** Random; names the attempt that holds it. */
  readonly id: string;
  /** When it was made (ms since the epoch). */
  readonly at: number;
}

/** Longer than any password check takes; after it a reservation counts as a failure. */
export const RESERVATION_TTL_MS = 60_000;

export type Admission =
  | { readonly admitted: true; readonly user: UserRecord }
  | { readonly admitted: false; readonly reason: 'locked' | 'busy' };

/** Stale reservations become failures (the attempt's outcome is unknown: count the worst). */
export function settleStale(user: UserRecord, now: number): UserRecord {
  const inFlight = user.loginsInFlight ?? [];
  const live = inFlight.filter((reservation) => now - reservation.at < RESERVATION_TTL_MS);
  if (live.length === inFlight.length) return user;
  return withFailures(user, user.failedLogins + inFlight.length - live.length, live);
}

/** Whether the account refuses every attempt (locked, or failures at the limit). */
export function isLocked(user: UserRecord): boolean {
  return user.locked || user.failedLogins >= MAX_FAILED_LOGINS;
}

/** Reserves an attempt, or says why not: locked, or all attempts are in flight (wait). */
export function admit(current: UserRecord, id: string, now: number): Admission {
  const user = settleStale(current, now);
  if (isLocked(user)) return { admitted: false, reason: 'locked' };
  const inFlight = user.loginsInFlight ?? [];
  if (user.failedLogins + inFlight.length >= MAX_FAILED_LOGINS) return { admitted: false, reason: 'busy' };
  return { admitted: true, user: { ...user, loginsInFlight: [...inFlight, { id, at: now }] } };
}

/** An evaluated wrong guess: its reservation becomes a failure (already counted if it went stale). */
export function fail(current: UserRecord, id: string, now: number): UserRecord {
  const user = settleStale(current, now);
  const inFlight = user.loginsInFlight ?? [];
  const rest = inFlight.filter((reservation) => reservation.id !== id);
  if (rest.length === inFlight.length) return user;
  return withFailures(user, user.failedLogins + 1, rest);
}

/** An attempt that ended without a verdict (MFA_REQUIRED): its reservation is given back. */
export function release(current: UserRecord, id: string, now: number): UserRecord {
  const user = settleStale(current, now);
  return { ...user, loginsInFlight: (user.loginsInFlight ?? []).filter((reservation) => reservation.id !== id) };
}

/** A right answer clears the count, unless the account locked meanwhile (then: undefined). */
export function succeed(current: UserRecord, id: string, now: number): UserRecord | undefined {
  const user = release(current, id, now);
  if (isLocked(user)) return undefined;
  return { ...user, failedLogins: 0 };
}

/** An admin's unlock: the lock and the count go; attempts still in flight stay reserved. */
export function unlock(current: UserRecord, now: number): UserRecord {
  const user = settleStale(current, now);
  return { ...user, locked: false, failedLogins: 0 };
}

function withFailures(user: UserRecord, failedLogins: number, loginsInFlight: readonly LoginReservation[]): UserRecord {
  // The lock is only ever set here, never cleared: a lower count cannot unlock.
  return { ...user, failedLogins, loginsInFlight, locked: user.locked || failedLogins >= MAX_FAILED_LOGINS };
}
