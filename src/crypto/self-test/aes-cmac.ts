import { createSecretKey } from 'node:crypto';
import { aesCmac } from '../mechanisms/aes-cmac.js';
import type { SelfTest } from '../types.js';
import { expectHex, expectTrue, hex } from './expect.js';

export interface CmacVector {
  readonly key: string;
  readonly message: string;
  readonly mac: string;
}

/** RFC 4493 §4 (AES-128 subkeys K = 2b7e1516…): the key every example shares. */
const RFC4493_KEY = '2b7e151628aed2a6abf7158809cf4f3c';

/** RFC 4493 §4, Example 1: the empty message (the padded final block, subkey K2). */
export const RFC4493_EXAMPLE1: CmacVector = { key: RFC4493_KEY, message: '', mac: 'bb1d6929e95937287fa37d129b756746' };

/** RFC 4493 §4, Example 2: one whole block (subkey K1). */
export const RFC4493_EXAMPLE2: CmacVector = {
  key: RFC4493_KEY,
  message: '6bc1bee22e409f96e93d7e117393172a',
  mac: '070a16b46b4d4144f79bdd9dd04a287c',
};

/** RFC 4493 §4, Example 3: 40 bytes, two blocks and a partial one (subkey K2). */
export const RFC4493_EXAMPLE3: CmacVector = {
  key: RFC4493_KEY,
  message: '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51' + '30c81c46a35ce411',
  mac: 'dfa66747de9ae63030ca32611497c827',
};

/** RFC 4493 §4, Example 4: 64 bytes, four whole blocks. */
export const RFC4493_EXAMPLE4: CmacVector = {
  key: RFC4493_KEY,
  message:
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51' +
    '30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
  mac: '51f0bebf7e3b9d92fc49741779363cfe',
};

/** Signs and verifies through AES_CMAC (a partial final block exercises the K2 path). */
export function aesCmacKat(v: CmacVector = RFC4493_EXAMPLE3): SelfTest {
  return {
    name: 'AES-128-CMAC KAT',
    async run() {
      const key = createSecretKey(hex(v.key));
      expectHex(await aesCmac.sign(key, hex(v.message), {}), v.mac, 'MAC');
      expectTrue(await aesCmac.verify(key, hex(v.message), hex(v.mac), {}), 'verify of the published MAC');
    },
  };
}
