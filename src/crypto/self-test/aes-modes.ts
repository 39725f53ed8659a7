import { createSecretKey } from 'node:crypto';
import { aesCbc } from '../mechanisms/aes-cbc.js';
import { aesCtr } from '../mechanisms/aes-ctr.js';
import { aesEcb } from '../mechanisms/aes-ecb.js';
import type { CipherMechanism, SelfTest } from '../types.js';
import { expectHex, hex } from './expect.js';

export interface ModeVector {
  readonly key: string;
  /** IV (CBC) or initial counter block (CTR); empty for ECB. */
  readonly iv: string;
  readonly plaintext: string;
  readonly ciphertext: string;
}

/** NIST SP 800-38A Appendix F: the AES-256 key and the four-block plaintext every example shares. */
const SP800_38A_KEY_256 = '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4';
const SP800_38A_PLAINTEXT =
  '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51' +
  '30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710';

/** SP 800-38A F.1.5, ECB-AES256.Encrypt. */
export const SP800_38A_F15_ECB_AES256: ModeVector = {
  key: SP800_38A_KEY_256,
  iv: '',
  plaintext: SP800_38A_PLAINTEXT,
  ciphertext:
    'f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870' +
    'b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7',
};

/** SP 800-38A F.2.5, CBC-AES256.Encrypt. */
export const SP800_38A_F25_CBC_AES256: ModeVector = {
  key: SP800_38A_KEY_256,
  iv: '000102030405060708090a0b0c0d0e0f',
  plaintext: SP800_38A_PLAINTEXT,
  ciphertext:
    'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d' +
    '39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b',
};

/** SP 800-38A F.5.5, CTR-AES256.Encrypt (initial counter block f0f1…feff). */
export const SP800_38A_F55_CTR_AES256: ModeVector = {
  key: SP800_38A_KEY_256,
  iv: 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff',
  plaintext: SP800_38A_PLAINTEXT,
  ciphertext:
    '601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5' +
    '2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6',
};

/** Encrypts and decrypts the vector through the mechanism clients use. */
function modeKat(name: string, mechanism: CipherMechanism, v: ModeVector): SelfTest {
  return {
    name,
    async run() {
      const key = createSecretKey(hex(v.key));
      const params = v.iv === '' ? {} : { iv: hex(v.iv) };
      expectHex((await mechanism.encrypt(key, hex(v.plaintext), params)).output, v.ciphertext, 'ciphertext');
      expectHex(await mechanism.decrypt(key, hex(v.ciphertext), params), v.plaintext, 'plaintext');
    },
  };
}

export const aesEcbModeKat = (v: ModeVector = SP800_38A_F15_ECB_AES256): SelfTest =>
  modeKat('AES-256-ECB mechanism KAT', aesEcb, v);
export const aesCbcKat = (v: ModeVector = SP800_38A_F25_CBC_AES256): SelfTest => modeKat('AES-256-CBC KAT', aesCbc, v);
export const aesCtrKat = (v: ModeVector = SP800_38A_F55_CTR_AES256): SelfTest => modeKat('AES-256-CTR KAT', aesCtr, v);

export const AES_MODE_SELF_TESTS: readonly SelfTest[] = [aesEcbModeKat(), aesCbcKat(), aesCtrKat()];
