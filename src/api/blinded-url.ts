import { createHmac, randomBytes } from 'node:crypto';
import { FILTER_FLAGS } from '../objects/attributes.js';

/**
 * Query parameters whose values are never client data: enumerations, flags, numbers and
 * handles. Every other value (label, id, owner, alias, audit filters, any name not known here)
 * is blinded, so a new parameter is blinded until someone decides otherwise.
 */
const READABLE_PARAMS: ReadonlySet<string> = new Set(['class', 'keyType', 'result', 'after', 'limit', ...FILTER_FLAGS]);

/** A parameter name that is a plain identifier is shown; anything else is blinded too. */
const PLAIN_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/;

/**
 * The blinding key: random per process and never written anywhere, so a blinded value in the
 * log cannot be tested against guesses (a label is often low-entropy), yet the same value reads
 * the same in one process's log, and lines about one label can still be put together.
 */
const BLINDING_KEY = randomBytes(32);

function blind(value: string): string {
  return `blind.${createHmac('sha256', BLINDING_KEY).update(value, 'utf8').digest('base64url').slice(0, 12)}`;
}

function blindPair(pair: string): string {
  if (pair === '') return pair;
  const at = pair.indexOf('=');
  const name = at < 0 ? pair : pair.slice(0, at);
  const shownName = PLAIN_NAME.test(name) ? name : blind(name);
  if (at < 0) return shownName;
  const value = pair.slice(at + 1);
  return `${shownName}=${READABLE_PARAMS.has(name) ? value : blind(value)}`;
}

/**
 * A request URL fit for the log: the path as it is (handles and usernames, which the store
 * keeps in the clear too), the query with client data blinded, as labels and IDs are blinded in
 * the store's indexes (`label=blind.3q2-7wAbCd9x`).
 */
export function blindedUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = url.slice(at + 1);
  return `${url.slice(0, at)}?${query.split('&').map(blindPair).join('&')}`;
}
