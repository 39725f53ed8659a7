import { hkdf, type KeyObject } from 'node:crypto';
import type { HashName } from '../types.js';

/** RFC 5869 HKDF through node's callback form, which runs on the libuv pool. */
export function hkdfAsync(
  hash: HashName,
  ikm: KeyObject | Buffer,
  salt: Buffer,
  info: Buffer,
  lengthBytes: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    hkdf(hash, ikm, salt, info, lengthBytes, (error, okm) => (error ? reject(error) : resolve(Buffer.from(okm))));
  });
}
