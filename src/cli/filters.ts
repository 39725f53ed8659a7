import type { Key, KeyAttributes, KeyClass, KeyListFilter, KeyType } from '../client/index.js';
import { attributeName, parseBoolean, parseKeyClass, toKebab } from './attributes.js';
import { CliError } from './errors.js';

/** A parsed CloudHSM key filter: `key-reference=0x…` and/or `attr.NAME=VALUE` terms. */
export interface KeyFilter {
  readonly keyReference?: string;
  readonly label?: string;
  readonly id?: string;
  readonly class?: KeyClass;
  readonly keyType?: KeyType;
  /** Boolean attributes, matched on the client. */
  readonly attributes: KeyAttributes;
}

const KEY_TYPES: readonly KeyType[] = ['aes', 'ec', 'rsa'];

/** `0x1c0686` → `0x00000000001c0686`: the API's 16-digit lowercase form. */
export function normalizeKeyReference(value: string): string {
  const match = /^0x([0-9a-f]{1,16})$/i.exec(value);
  if (!match)
    throw new CliError('INVALID_ARGUMENT', `key-reference must be 0x followed by up to 16 hex digits, not "${value}"`);
  return `0x${(match[1] as string).toLowerCase().padStart(16, '0')}`;
}

/** CKA_ID as the API wants it: lowercase hex, an optional 0x dropped. */
export function normalizeId(value: string): string {
  const hex = value.replace(/^0x/i, '').toLowerCase();
  if (!/^([0-9a-f]{2})*$/.test(hex))
    throw new CliError('INVALID_ARGUMENT', `an id must be hex bytes (e.g. 0x01ab), not "${value}"`);
  return hex;
}

export function parseKeyFilter(tokens: readonly string[] | undefined, option = '--filter'): KeyFilter {
  let filter: { -readonly [K in keyof KeyFilter]: KeyFilter[K] } = { attributes: {} };
  const seen = new Set<string>();
  for (const token of tokens ?? []) {
    const eq = token.indexOf('=');
    if (eq <= 0)
      throw new CliError(
        'INVALID_ARGUMENT',
        `${option}: expected key-reference=0x… or attr.NAME=VALUE, got "${token}"`,
      );
    const name = token.slice(0, eq).toLowerCase();
    const value = token.slice(eq + 1);
    if (seen.has(name)) throw new CliError('INVALID_ARGUMENT', `${option}: "${name}" given twice`);
    seen.add(name);
    filter = { ...filter, ...term(name, value, option, filter.attributes) };
  }
  return filter;
}

function term(name: string, value: string, option: string, attributes: KeyAttributes): Partial<KeyFilter> {
  if (name === 'key-reference') return { keyReference: normalizeKeyReference(value) };
  if (!name.startsWith('attr.')) {
    throw new CliError(
      'INVALID_ARGUMENT',
      `${option}: unknown filter "${name}" (use key-reference=0x… or attr.NAME=VALUE)`,
    );
  }
  const attr = name.slice('attr.'.length);
  switch (attr) {
    case 'label':
      return { label: value };
    case 'id':
      return { id: normalizeId(value) };
    case 'class':
      return { class: parseKeyClass(value) };
    case 'key-type': {
      const keyType = value.toLowerCase() as KeyType;
      if (!KEY_TYPES.includes(keyType))
        throw new CliError('INVALID_ARGUMENT', `attr.key-type must be aes, ec or rsa, not "${value}"`);
      return { keyType };
    }
  }
  const api = attributeName(attr);
  if (api === undefined) throw new CliError('INVALID_ARGUMENT', `${option}: unknown attribute "${attr}"`);
  return { attributes: { ...attributes, [api]: parseBoolean(value, `${option} attr.${attr}`) } };
}

/** The part of a filter the node applies (GET /v1/keys query). */
export function serverQuery(filter: KeyFilter): KeyListFilter {
  const query: { -readonly [K in keyof KeyListFilter]: KeyListFilter[K] } = {};
  if (filter.label !== undefined) query.label = filter.label;
  if (filter.id !== undefined) query.id = filter.id;
  if (filter.class !== undefined) query.class = filter.class;
  if (filter.keyType !== undefined) query.keyType = filter.keyType;
  return query;
}

/** Whether `key` satisfies every term of `filter` (used for what the node does not filter). */
export function matchesFilter(key: Key, filter: KeyFilter): boolean {
  if (filter.keyReference !== undefined && key.handle.toLowerCase() !== filter.keyReference) return false;
  if (filter.label !== undefined && key.label !== filter.label) return false;
  if (filter.id !== undefined && key.id.toLowerCase() !== filter.id) return false;
  if (filter.class !== undefined && key.class !== filter.class) return false;
  if (filter.keyType !== undefined && key.keyType !== filter.keyType) return false;
  for (const [name, wanted] of Object.entries(filter.attributes)) {
    if (key.attributes[name as keyof KeyAttributes] !== wanted) return false;
  }
  return true;
}

export function isEmptyFilter(filter: KeyFilter): boolean {
  return (
    filter.keyReference === undefined &&
    filter.label === undefined &&
    filter.id === undefined &&
    filter.class === undefined &&
    filter.keyType === undefined &&
    Object.keys(filter.attributes).length === 0
  );
}

/** Adds the class an operation needs when the filter names none and no key reference. */
export function withDefaultClass(filter: KeyFilter, keyClass: KeyClass): KeyFilter {
  if (filter.class !== undefined || filter.keyReference !== undefined) return filter;
  return { ...filter, class: keyClass };
}

export function describeFilter(filter: KeyFilter): string {
  const parts: string[] = [];
  if (filter.keyReference !== undefined) parts.push(`key-reference=${filter.keyReference}`);
  if (filter.label !== undefined) parts.push(`attr.label=${filter.label}`);
  if (filter.id !== undefined) parts.push(`attr.id=0x${filter.id}`);
  if (filter.class !== undefined) parts.push(`attr.class=${filter.class}-key`);
  if (filter.keyType !== undefined) parts.push(`attr.key-type=${filter.keyType}`);
  for (const [name, value] of Object.entries(filter.attributes)) parts.push(`attr.${toKebab(name)}=${String(value)}`);
  return parts.length === 0 ? '(no filter)' : parts.join(' ');
}
