import { CofferError } from '../errors/coffer-error.js';
import type { AuditEvent } from './audit-event.js';

/** Filters of `GET /v1/audit/events`; every one given must match. */
export interface AuditFilter {
  readonly actor?: string;
  /** Exact, or a prefix when it ends with `*` (`crypto.*`). */
  readonly action?: string;
  readonly target?: string;
  readonly result?: 'success' | 'failure';
  /** ISO 8601 times, inclusive. */
  readonly since?: string;
  readonly until?: string;
}

export function isEmptyFilter(filter: AuditFilter): boolean {
  return Object.values(filter).every((value) => value === undefined);
}

/** A predicate for the filter; a time that does not parse is INVALID_FIELD. */
export function matcher(filter: AuditFilter): (event: AuditEvent) => boolean {
  const since = time(filter.since, 'since');
  const until = time(filter.until, 'until');
  const action = filter.action;
  const actionMatches =
    action === undefined
      ? () => true
      : action.endsWith('*')
        ? (value: string) => value.startsWith(action.slice(0, -1))
        : (value: string) => value === action;
  return (event) => {
    const at = Date.parse(event.time);
    return (
      (filter.actor === undefined || event.actor === filter.actor) &&
      actionMatches(event.action) &&
      (filter.target === undefined || event.target === filter.target) &&
      (filter.result === undefined || event.result === filter.result) &&
      (since === undefined || at >= since) &&
      (until === undefined || at <= until)
    );
  };
}

function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new CofferError('INVALID_FIELD', `querystring.${name} must be an ISO 8601 time`);
  return parsed;
}
