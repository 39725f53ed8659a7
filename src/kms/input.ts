import { decodeBase64 } from '../api/base64.js';
import { CofferError } from '../errors/coffer-error.js';

/**
 * Reading a KMS request's members, checked as KMS's model has them (types, lengths, ranges):
 * a member of the wrong shape is ValidationException (INVALID_FIELD), a missing required one
 * too (MISSING_FIELD). Messages name the member, never its value. Members a request may carry
 * but Coffer does not act on are listed per operation (`allowOnly`), so one it does not know
 * is refused rather than silently ignored.
 */
export type KmsInput = Readonly<Record<string, unknown>>;

export function allowOnly(input: KmsInput, members: readonly string[]): void {
  const unknown = Object.keys(input).find((name) => !members.includes(name));
  if (unknown !== undefined) throw new CofferError('UNKNOWN_FIELD', unknown.slice(0, 64));
}

export function optionalString(input: KmsInput, name: string, max = 2048): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max)
    throw new CofferError('INVALID_FIELD', `${name} is a string of at most ${max} characters`);
  return value;
}

export function requiredString(input: KmsInput, name: string, max = 2048): string {
  const value = optionalString(input, name, max);
  if (value === undefined || value === '') throw new CofferError('MISSING_FIELD', name);
  return value;
}

export function optionalEnum<T extends string>(input: KmsInput, name: string, values: readonly T[]): T | undefined {
  const value = optionalString(input, name, 64);
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value))
    throw new CofferError('INVALID_FIELD', `${name} is one of ${values.join(', ')}`);
  return value as T;
}

export function requiredEnum<T extends string>(input: KmsInput, name: string, values: readonly T[]): T {
  const value = optionalEnum(input, name, values);
  if (value === undefined) throw new CofferError('MISSING_FIELD', name);
  return value;
}

export function optionalInteger(input: KmsInput, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new CofferError('INVALID_FIELD', `${name} is an integer from ${min} to ${max}`);
  return value;
}

export function optionalBoolean(input: KmsInput, name: string): boolean | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new CofferError('INVALID_FIELD', `${name} is a boolean`);
  return value;
}

/** A blob member (base64 on the wire) of `min` to `max` bytes. */
export function requiredBlob(input: KmsInput, name: string, min: number, max: number): Buffer {
  const value = input[name];
  if (value === undefined || value === null) throw new CofferError('MISSING_FIELD', name);
  if (typeof value !== 'string') throw new CofferError('INVALID_FIELD', `${name} is base64`);
  const bytes = decodeBase64(value, name);
  if (bytes.length < min || bytes.length > max) {
    bytes.fill(0);
    throw new CofferError('INVALID_FIELD', `${name} is ${min} to ${max} bytes`);
  }
  return bytes;
}

export function optionalStringList(input: KmsInput, name: string, maxItems: number, maxLength = 2048): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > maxItems)
    throw new CofferError('INVALID_FIELD', `${name} is a list of at most ${maxItems} strings`);
  for (const item of value)
    if (typeof item !== 'string' || item.length === 0 || item.length > maxLength)
      throw new CofferError('INVALID_FIELD', `${name} holds strings of 1 to ${maxLength} characters`);
  return value as string[];
}

/** KMS timestamps on the wire (JSON 1.1): seconds since the epoch. */
export function epochSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}
