import { randomBytes } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';

/** Key references are random 64-bit values, shown as 0x and 16 hex digits (never 0). */
const HANDLE_PATTERN = /^0x[0-9a-f]{16}$/;

export function newHandle(): string {
  for (;;) {
    const bytes = randomBytes(8);
    if (!bytes.equals(Buffer.alloc(8))) return '0x' + bytes.toString('hex');
  }
}

/** Accepts 0x-prefixed hex of any case and up to 16 digits; KEY_NOT_FOUND otherwise. */
export function parseHandle(input: string): string {
  const match = /^0x([0-9a-fA-F]{1,16})$/.exec(input);
  if (!match) throw new CofferError('KEY_NOT_FOUND', 'a key reference is 0x followed by up to 16 hex digits');
  const handle = '0x' + match[1]!.toLowerCase().padStart(16, '0');
  if (!HANDLE_PATTERN.test(handle) || handle === '0x0000000000000000') throw new CofferError('KEY_NOT_FOUND');
  return handle;
}
