import { createSecretKey } from 'node:crypto';
import { kdfCounterHmac } from '../kdf/sp800-108.js';
import type { SelfTest } from '../types.js';
import { expectHex, hex } from './expect.js';

export interface KdfCounterVector {
  readonly ki: string;
  readonly fixedInput: string;
  readonly ko: string;
}

/**
 * NIST CAVP KBKDF (KDFCTR_gen.rsp, CAVS 14.4), [PRF=HMAC_SHA256] [CTRLOCATION=BEFORE_FIXED]
 * [RLEN=32_BITS], COUNT=30: L = 320 bits, two HMAC blocks.
 */
export const CAVP_KDFCTR_HMAC_SHA256_COUNT30: KdfCounterVector = {
  ki: 'c4bedbddb66493e7c7259a3bbbc25f8c7e0ca7fe284d92d431d9cd99a0d214ac',
  fixedInput:
    '1c69c54766791e315c2cc5c47ecd3ffab87d0d273dd920e70955814c220eacace6a5946542da3dfe24ff626b4897898c' +
    'afb7db83bdff3c14fa46fd4b',
  ko: '1da47638d6c9c4d04d74d4640bbd42ab814d9e8cc22f4326695239f96b0693f12d0dd1152cf44430',
};

/** SP 800-108 counter-mode KDF with HMAC-SHA-256 (SP800_108_COUNTER_KDF). */
export function sp800108Kat(v: KdfCounterVector = CAVP_KDFCTR_HMAC_SHA256_COUNT30): SelfTest {
  return {
    name: 'SP 800-108 counter KDF HMAC-SHA-256 KAT',
    async run() {
      const derived = kdfCounterHmac('sha256', createSecretKey(hex(v.ki)), hex(v.fixedInput), v.ko.length / 2);
      expectHex(derived, v.ko, 'derived key');
    },
  };
}
