import { createHmac, type KeyObject } from 'node:crypto';
import { HASHES } from '../hash.js';
import type { HashName } from '../types.js';

/**
 * NIST SP 800-108r1 §4.1, KDF in counter mode with HMAC as the PRF and a 32-bit counter before
 * the fixed input: K(i) = HMAC(K_I, [i]₃₂ ‖ FixedInput), i = 1, 2, …, cut to `lengthBytes`.
 * (CAVP's "CTRLOCATION=BEFORE_FIXED, RLEN=32_BITS".) node's HMAC takes the KeyObject itself,
 * so the key-derivation key never leaves it.
 */
export function kdfCounterHmac(hash: HashName, key: KeyObject, fixedInput: Buffer, lengthBytes: number): Buffer {
  const blocks = Math.ceil(lengthBytes / HASHES[hash].bytes);
  const counter = Buffer.alloc(4);
  const output: Buffer[] = [];
  for (let i = 1; i <= blocks; i++) {
    counter.writeUInt32BE(i);
    output.push(createHmac(hash, key).update(counter).update(fixedInput).digest());
  }
  const all = Buffer.concat(output);
  const derived = Buffer.from(all.subarray(0, lengthBytes));
  all.fill(0);
  for (const block of output) block.fill(0);
  return derived;
}

/** The fixed input SP 800-108r1 §4 suggests: Label ‖ 0x00 ‖ Context ‖ [L]₃₂, L the output length in bits. */
export function sp800108FixedInput(label: Buffer, context: Buffer, lengthBytes: number): Buffer {
  const lengthBits = Buffer.alloc(4);
  lengthBits.writeUInt32BE(lengthBytes * 8);
  return Buffer.concat([label, Buffer.from([0x00]), context, lengthBits]);
}
