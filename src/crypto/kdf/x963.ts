import { createHash } from 'node:crypto';
import { HASHES } from '../hash.js';
import type { HashName } from '../types.js';

/**
 * The ANSI X9.63-2001 key derivation function (§5.6.3; also SEC 1 v2 §3.6.1):
 * K = Hash(Z ‖ Counter ‖ SharedInfo) for Counter = 1, 2, … as a 32-bit big-endian integer,
 * concatenated and cut to `lengthBytes`. A construction over node's SHA; the caller bounds the
 * length far below the standard's limit of hashLen·(2³² − 1).
 */
export function x963Kdf(hash: HashName, z: Buffer, sharedInfo: Buffer, lengthBytes: number): Buffer {
  const blocks = Math.ceil(lengthBytes / HASHES[hash].bytes);
  const counter = Buffer.alloc(4);
  const output: Buffer[] = [];
  for (let i = 1; i <= blocks; i++) {
    counter.writeUInt32BE(i);
    output.push(createHash(hash).update(z).update(counter).update(sharedInfo).digest());
  }
  const all = Buffer.concat(output);
  const derived = Buffer.from(all.subarray(0, lengthBytes));
  all.fill(0);
  for (const block of output) block.fill(0);
  return derived;
}
