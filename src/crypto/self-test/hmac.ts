import { createHmac } from 'node:crypto';
import type { SelfTest } from '../types.js';
import { expectHex, hex } from './expect.js';

export interface HmacVector {
  readonly key: string;
  readonly data: string;
  readonly mac: string;
}

/** RFC 4231 §4.3, Test Case 2: key "Jefe", data "what do ya want for nothing?" (HMAC-SHA-256). */
export const RFC4231_TC2: HmacVector = {
  key: '4a656665',
  data: '7768617420646f2079612077616e7420666f72206e6f7468696e673f',
  mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
};

/** HMAC-SHA-256 computes blind indexes. */
export function hmacSha256Kat(v: HmacVector = RFC4231_TC2): SelfTest {
  return {
    name: 'HMAC-SHA-256 KAT',
    async run() {
      expectHex(createHmac('sha256', hex(v.key)).update(hex(v.data)).digest(), v.mac, 'MAC');
    },
  };
}
