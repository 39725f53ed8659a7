import { createSecretKey } from 'node:crypto';
import { aesEncryptBlock } from '../aes-block.js';
import { aesGcm } from '../mechanisms/aes-gcm.js';
import type { SelfTest } from '../types.js';
import { expectHex, hex } from './expect.js';

export interface GcmVector {
  readonly key: string;
  readonly iv: string;
  readonly aad: string;
  readonly plaintext: string;
  readonly ciphertext: string;
  readonly tag: string;
}

/**
 * McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)" (the GCM specification submitted
 * to NIST), Appendix B, Test Case 16: AES-256, 96-bit IV, 20-byte AAD, 60-byte plaintext.
 */
export const GCM_SPEC_TC16: GcmVector = {
  key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
  iv: 'cafebabefacedbaddecaf888',
  aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
  plaintext:
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
    '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
  ciphertext:
    '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
    '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
  tag: '76fc6ece0f4e1768cddf8853bb2d551b',
};

export interface BlockVector {
  readonly key: string;
  readonly plaintext: string;
  readonly ciphertext: string;
}

/** FIPS 197, Appendix C.3 (AES-256): the single-block example. */
export const FIPS197_C3: BlockVector = {
  key: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  plaintext: '00112233445566778899aabbccddeeff',
  ciphertext: '8ea2b7ca516745bfeafc49904b496089',
};

/** Runs through the AES_GCM mechanism itself, so the KAT covers the code clients use. */
export function aesGcmEncryptKat(v: GcmVector = GCM_SPEC_TC16): SelfTest {
  return {
    name: 'AES-256-GCM encrypt KAT',
    async run() {
      const key = createSecretKey(hex(v.key));
      const { output } = await aesGcm.encrypt(key, hex(v.plaintext), { iv: hex(v.iv), aad: hex(v.aad) });
      expectHex(output, v.ciphertext + v.tag, 'ciphertext and tag');
    },
  };
}

export function aesGcmDecryptKat(v: GcmVector = GCM_SPEC_TC16): SelfTest {
  return {
    name: 'AES-256-GCM decrypt KAT',
    async run() {
      const key = createSecretKey(hex(v.key));
      const plaintext = await aesGcm.decrypt(key, hex(v.ciphertext + v.tag), {
        iv: hex(v.iv),
        aad: hex(v.aad),
      });
      expectHex(plaintext, v.plaintext, 'plaintext');
    },
  };
}

/** AES-ECB backs the key check value. */
export function aesEcbKat(v: BlockVector = FIPS197_C3): SelfTest {
  return {
    name: 'AES-256-ECB KAT',
    async run() {
      expectHex(aesEncryptBlock(createSecretKey(hex(v.key)), hex(v.plaintext)), v.ciphertext, 'ciphertext');
    },
  };
}

export const AES_SELF_TESTS: readonly SelfTest[] = [aesGcmEncryptKat(), aesGcmDecryptKat(), aesEcbKat()];
