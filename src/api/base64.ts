import { CofferError } from '../errors/coffer-error.js';

/** Decodes a base64 field strictly: what does not round-trip is refused, never guessed at. */
export function decodeBase64(value: string, field: string): Buffer {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) throw new CofferError('INVALID_FIELD', `${field} is not canonical base64`);
  return bytes;
}

export function optionalBase64(value: string | undefined, field: string): Buffer | undefined {
  return value === undefined ? undefined : decodeBase64(value, field);
}
