import { CofferError } from '../errors/coffer-error.js';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** A page size from a query string (digits, already checked by the schema). */
export function pageLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PAGE;
  const limit = Number(value);
  if (limit < 1 || limit > MAX_PAGE)
    throw new CofferError('INVALID_FIELD', `querystring.limit must be 1 to ${MAX_PAGE}`);
  return limit;
}
