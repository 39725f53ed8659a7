import { createSecretKey } from 'node:crypto';
import { aesKeyWrap, aesKeyWrapPad } from '../mechanisms/aes-key-wrap.js';
import type { SelfTest, WrapMechanism } from '../types.js';
import { expectHex, hex } from './expect.js';

export interface KeyWrapVector {
  readonly kek: string;
  readonly keyData: string;
  readonly wrapped: string;
}

/** RFC 3394 §4.6: 256 bits of key data wrapped with a 256-bit KEK. */
export const RFC3394_4_6: KeyWrapVector = {
  kek: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  keyData: '00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f',
  wrapped: '28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21',
};

/** RFC 5649 §6, first example: 20 octets of key data wrapped with a 192-bit KEK. */
export const RFC5649_6_20_OCTETS: KeyWrapVector = {
  kek: '5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8',
  keyData: 'c37b7e6492584340bed12207808941155068f738',
  wrapped: '138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a',
};

/** RFC 5649 §6, second example: 7 octets (the single-block case, §4.1). */
export const RFC5649_6_7_OCTETS: KeyWrapVector = {
  kek: '5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8',
  keyData: '466f7250617369',
  wrapped: 'afbeb0f07dfbf5419200f2ccb50bb24f',
};

/** Wraps and unwraps through the mechanism clients use. */
function keyWrapKat(name: string, mechanism: WrapMechanism, vectors: readonly KeyWrapVector[]): SelfTest {
  return {
    name,
    async run() {
      for (const v of vectors) {
        const kek = createSecretKey(hex(v.kek));
        expectHex(await mechanism.wrap(kek, hex(v.keyData), {}), v.wrapped, 'wrapped key');
        expectHex(await mechanism.unwrap(kek, hex(v.wrapped), {}), v.keyData, 'unwrapped key');
      }
    },
  };
}

export const aesKeyWrapKat = (v: KeyWrapVector = RFC3394_4_6): SelfTest =>
  keyWrapKat('AES-256 key wrap KAT', aesKeyWrap, [v]);
export const aesKeyWrapPadKat = (
  vectors: readonly KeyWrapVector[] = [RFC5649_6_20_OCTETS, RFC5649_6_7_OCTETS],
): SelfTest => keyWrapKat('AES-192 key wrap with padding KAT', aesKeyWrapPad, vectors);

export const KEY_WRAP_SELF_TESTS: readonly SelfTest[] = [aesKeyWrapKat(), aesKeyWrapPadKat()];
