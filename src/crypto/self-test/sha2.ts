import { sha224Digest, sha384Digest, sha512Digest } from '../mechanisms/digest.js';
import type { DigestMechanism, SelfTest } from '../types.js';
import type { DigestVector } from './digest.js';
import { expectHex } from './expect.js';

/** FIPS 180-4 examples (NIST CSRC "Examples with Intermediate Values"): SHA-224 of "abc". */
export const SHA224_ABC: DigestVector = {
  message: 'abc',
  digest: '23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7',
};

/** FIPS 180-4 examples: SHA-384 of "abc". */
export const SHA384_ABC: DigestVector = {
  message: 'abc',
  digest: 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
};

/** FIPS 180-4 examples: SHA-512 of "abc". */
export const SHA512_ABC: DigestVector = {
  message: 'abc',
  digest:
    'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a' +
    '2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
};

/** Through the digest mechanism clients use. (SHA-1 and SHA-256 have their KATs in digest.ts.) */
function digestMechanismKat(name: string, mechanism: DigestMechanism, v: DigestVector): SelfTest {
  return {
    name,
    async run() {
      expectHex(await mechanism.digest(Buffer.from(v.message, 'utf8')), v.digest, 'digest');
    },
  };
}

export const sha224Kat = (v: DigestVector = SHA224_ABC): SelfTest => digestMechanismKat('SHA-224 KAT', sha224Digest, v);
export const sha384Kat = (v: DigestVector = SHA384_ABC): SelfTest => digestMechanismKat('SHA-384 KAT', sha384Digest, v);
export const sha512Kat = (v: DigestVector = SHA512_ABC): SelfTest => digestMechanismKat('SHA-512 KAT', sha512Digest, v);

export const SHA2_SELF_TESTS: readonly SelfTest[] = [sha224Kat(), sha384Kat(), sha512Kat()];
