import { createHash } from 'node:crypto';
import type { SelfTest } from '../types.js';
import { expectHex } from './expect.js';

export interface DigestVector {
  readonly message: string;
  readonly digest: string;
}

/** FIPS 180-4 examples (NIST CSRC "Examples with Intermediate Values"): SHA-256 of "abc". */
export const SHA256_ABC: DigestVector = {
  message: 'abc',
  digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
};

/** FIPS 180-4 examples: SHA-1 of "abc". SHA-1 backs the asymmetric key check value. */
export const SHA1_ABC: DigestVector = {
  message: 'abc',
  digest: 'a9993e364706816aba3e25717850c26c9cd0d89d',
};

function digestKat(name: string, algorithm: string, v: DigestVector): SelfTest {
  return {
    name,
    async run() {
      expectHex(createHash(algorithm).update(v.message, 'utf8').digest(), v.digest, 'digest');
    },
  };
}

export const sha256Kat = (v: DigestVector = SHA256_ABC): SelfTest => digestKat('SHA-256 KAT', 'sha256', v);
export const sha1Kat = (v: DigestVector = SHA1_ABC): SelfTest => digestKat('SHA-1 KAT', 'sha1', v);

export const DIGEST_SELF_TESTS: readonly SelfTest[] = [sha256Kat(), sha1Kat()];
