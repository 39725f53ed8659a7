import { CofferError } from '../errors/coffer-error.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** notBefore is set this far in the past, so a peer whose clock is a little behind accepts it. */
export const CLOCK_SKEW_MS = 60 * 1000;
export const MAX_VALIDITY_DAYS = 3650;

/** Requires a whole number of days, 1 to 3650; `fallback` when absent. */
export function checkValidityDays(value: unknown, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_VALIDITY_DAYS) {
    throw new CofferError('INVALID_FIELD', `${field} must be a whole number of days from 1 to ${MAX_VALIDITY_DAYS}`);
  }
  return value;
}

/**
 * The validity window of a new certificate: from a minute ago (clock skew) to `days` from now.
 * Dates are truncated to whole seconds, the precision X.509 encodes.
 */
export function validityWindow(days: number, now: Date = new Date()): { notBefore: Date; notAfter: Date } {
  const start = Math.floor(now.getTime() / 1000) * 1000;
  return { notBefore: new Date(start - CLOCK_SKEW_MS), notAfter: new Date(start + days * DAY_MS) };
}
