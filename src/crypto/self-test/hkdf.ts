import { hkdf } from 'node:crypto';
import type { SelfTest } from '../types.js';
import { expectHex, hex } from './expect.js';

export interface HkdfVector {
  readonly ikm: string;
  readonly salt: string;
  readonly info: string;
  readonly length: number;
  readonly okm: string;
}

/** RFC 5869 Appendix A.1, Test Case 1 (HKDF-SHA-256, 42-byte output). */
export const RFC5869_TC1: HkdfVector = {
  ikm: '0b'.repeat(22),
  salt: '000102030405060708090a0b0c',
  info: 'f0f1f2f3f4f5f6f7f8f9',
  length: 42,
  okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
};

function hkdfSha256(v: HkdfVector): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => {
    hkdf('sha256', hex(v.ikm), hex(v.salt), hex(v.info), v.length, (error, okm) =>
      error ? reject(error) : resolve(okm),
    );
  });
}

/** HKDF-SHA-256 derives subkeys. */
export function hkdfSha256Kat(v: HkdfVector = RFC5869_TC1): SelfTest {
  return {
    name: 'HKDF-SHA-256 KAT',
    async run() {
      expectHex(Buffer.from(await hkdfSha256(v)), v.okm, 'OKM');
    },
  };
}
