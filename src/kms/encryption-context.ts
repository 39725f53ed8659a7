import { CofferError } from '../errors/coffer-error.js';

/**
 * KMS's encryption context: string pairs bound to a ciphertext as AES-GCM additional data, so
 * the ciphertext decrypts only with the same pairs (in any order). Canonical form: the pairs
 * sorted by key (by UTF-8 bytes), each key and value as a 2-byte length and its UTF-8 bytes,
 * after a 2-byte count. KMS's limit: 8,192 bytes of keys and values together.
 */
export type EncryptionContext = Readonly<Record<string, string>>;

export const MAX_CONTEXT_BYTES = 8192;

export function checkEncryptionContext(value: unknown, field: string): EncryptionContext {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new CofferError('INVALID_FIELD', `${field} is a map of strings to strings`);
  let bytes = 0;
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (typeof entry !== 'string' || key.length === 0)
      throw new CofferError('INVALID_FIELD', `${field} is a map of non-empty keys to strings`);
    bytes += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(entry, 'utf8');
  }
  if (bytes > MAX_CONTEXT_BYTES)
    throw new CofferError('INVALID_FIELD', `${field} is at most ${MAX_CONTEXT_BYTES} bytes`);
  return value as EncryptionContext;
}

export function canonicalContext(context: EncryptionContext): Buffer {
  const pairs = Object.entries(context)
    .map(([key, value]) => [Buffer.from(key, 'utf8'), Buffer.from(value, 'utf8')] as const)
    .sort(([a], [b]) => Buffer.compare(a, b));
  const parts: Buffer[] = [u16(pairs.length)];
  for (const [key, value] of pairs) parts.push(u16(key.length), key, u16(value.length), value);
  return Buffer.concat(parts);
}

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}
