import { CofferError } from '../errors/coffer-error.js';
import { normalizeDate } from '../objects/attributes.js';
import { attributeKind, attributeTypeName, attributeTypeNumber, type AttributeTypeName } from './attribute-types.js';

/**
 * Attribute values between the wire and the node, by kind (attribute-types.ts): JSON boolean ⇄
 * boolean, JSON number ⇄ number (a CK_ULONG), array of numbers ⇄ number[], base64 ⇄ Buffer.
 * Nothing here knows what an attribute means; the templates and the projection do.
 */
export type AttributeValue = boolean | number | readonly number[] | Buffer;

/** A template as sent: `{"type": <CKA_ number>, "value": <JSON of its kind>}`. */
export interface WireAttribute {
  readonly type: number;
  readonly value: unknown;
}

/** A decoded template, in the order given; each type at most once. */
export type Template = ReadonlyMap<AttributeTypeName, AttributeValue>;

/** The JSON of a value on the wire. */
export type WireValue = boolean | number | readonly number[] | string;

/** CK_ULONG values the node accepts: what a JSON number carries exactly. */
const isUlong = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** At most this many entries in a CKA_ALLOWED_MECHANISMS-like list. */
const MAX_LIST = 256;

/** The name of a CKA_ number, or ATTRIBUTE_TYPE_INVALID for one the face does not speak. */
export function typeName(type: number): AttributeTypeName {
  const name = Number.isSafeInteger(type) ? attributeTypeName(type) : undefined;
  if (name === undefined) throw new CofferError('ATTRIBUTE_TYPE_INVALID', `attribute type 0x${type.toString(16)}`);
  return name;
}

/** A wire value as its kind's typed value; ATTRIBUTE_VALUE_INVALID when it is not of that kind. */
export function decodeValue(name: AttributeTypeName, value: unknown): AttributeValue {
  const invalid = (what: string): never => {
    throw new CofferError('ATTRIBUTE_VALUE_INVALID', `${name} is ${what}`);
  };
  switch (attributeKind(name)) {
    case 'bool':
      return typeof value === 'boolean' ? value : invalid('a boolean');
    case 'ulong':
      return isUlong(value) ? value : invalid('a CK_ULONG');
    case 'ulong-list':
      return Array.isArray(value) && value.length <= MAX_LIST && value.every(isUlong)
        ? [...(value as number[])]
        : invalid('a list of CK_ULONG');
    case 'bytes': {
      if (typeof value !== 'string') return invalid('base64');
      const bytes = Buffer.from(value, 'base64');
      return bytes.toString('base64') === value ? bytes : invalid('not canonical base64');
    }
  }
}

/** A template from the wire: unknown types ATTRIBUTE_TYPE_INVALID, a type twice TEMPLATE_INCONSISTENT. */
export function decodeTemplate(attributes: readonly WireAttribute[]): Template {
  const template = new Map<AttributeTypeName, AttributeValue>();
  for (const { type, value } of attributes) {
    const name = typeName(type);
    if (template.has(name)) throw new CofferError('TEMPLATE_INCONSISTENT', `${name} given twice`);
    template.set(name, decodeValue(name, value));
  }
  return template;
}

/** A typed value as its JSON on the wire. */
export function encodeValue(name: AttributeTypeName, value: AttributeValue): WireValue {
  const kind = attributeKind(name);
  const fits =
    (kind === 'bool' && typeof value === 'boolean') ||
    (kind === 'ulong' && isUlong(value)) ||
    (kind === 'ulong-list' && Array.isArray(value)) ||
    (kind === 'bytes' && Buffer.isBuffer(value));
  if (!fits) throw new CofferError('INTERNAL_ERROR', `${name} has a value of the wrong kind`);
  return Buffer.isBuffer(value) ? value.toString('base64') : (value as WireValue);
}

export function encodeAttribute(name: AttributeTypeName, value: AttributeValue): { type: number; value: WireValue } {
  return { type: attributeTypeNumber(name), value: encodeValue(name, value) };
}

/** Exact equality of two values (bytes byte for byte, lists element by element). */
export function valuesEqual(one: AttributeValue, other: AttributeValue): boolean {
  if (Buffer.isBuffer(one) || Buffer.isBuffer(other))
    return Buffer.isBuffer(one) && Buffer.isBuffer(other) && one.equals(other);
  if (Array.isArray(one) || Array.isArray(other)) {
    const [a, b] = [one as readonly number[], other as readonly number[]];
    return Array.isArray(one) && Array.isArray(other) && a.length === b.length && a.every((v, i) => v === b[i]);
  }
  return one === other;
}

/** CK_DATE on the wire: 8 ASCII digits YYYYMMDD, or no bytes for no date. */
export function dateToBytes(date: string | undefined): Buffer {
  return Buffer.from(date === undefined ? '' : date.replaceAll('-', ''), 'ascii');
}

/** A CK_DATE as YYYY-MM-DD ('' for none); ATTRIBUTE_VALUE_INVALID when it is not a real date. */
export function dateFromBytes(name: AttributeTypeName, bytes: Buffer): string {
  if (bytes.length === 0) return '';
  const text = bytes.toString('latin1');
  const date = /^\d{8}$/.test(text) ? normalizeDate(`${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6)}`) : '';
  if (!date) throw new CofferError('ATTRIBUTE_VALUE_INVALID', `${name} is a CK_DATE (YYYYMMDD)`);
  return date;
}

/** A UTF-8 text attribute (CKA_LABEL); ATTRIBUTE_VALUE_INVALID for bytes that are not UTF-8. */
export function textFromBytes(name: AttributeTypeName, bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new CofferError('ATTRIBUTE_VALUE_INVALID', `${name} is UTF-8`);
  }
}
