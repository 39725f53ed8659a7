import { createPrivateKey } from 'node:crypto';
import { ecdh1Derive } from '../mechanisms/ecdh1-derive.js';
import type { SelfTest } from '../types.js';
import { expectHex, hex } from './expect.js';

export interface EcdhVector {
  /** The other party's public point (QCAVS). */
  readonly peerX: string;
  readonly peerY: string;
  /** Our published test key (dIUT, QIUT): public knowledge, protects nothing. */
  readonly d: string;
  readonly x: string;
  readonly y: string;
  /** The shared secret Z (ZIUT). */
  readonly z: string;
}

/** NIST CAVP, KAS ECC CDH primitive test (KAS_ECC_CDH_PrimitiveTest.txt), [P-256] COUNT = 0. */
export const CAVP_ECC_CDH_P256_COUNT0: EcdhVector = {
  peerX: '700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc838833d287',
  peerY: 'db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782cab85fa4ac',
  d: '7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534',
  x: 'ead218590119e8876b29146ff89ca61770c4edbbf97d38ce385ed281d8a6b230',
  y: '28af61281fd35e2fa7002523acc85a429cb06ee6648325389f59edfce1405141',
  z: '46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b',
};

/** Derives Z through ECDH1_DERIVE with the null KDF, the peer given as an uncompressed point. */
export function ecdhP256Kat(v: EcdhVector = CAVP_ECC_CDH_P256_COUNT0): SelfTest {
  return {
    name: 'ECDH P-256 shared secret KAT',
    async run() {
      const b64 = (value: string): string => hex(value).toString('base64url');
      const jwk = { kty: 'EC', crv: 'P-256', d: b64(v.d), x: b64(v.x), y: b64(v.y) };
      const key = createPrivateKey({ key: jwk, format: 'jwk' });
      const publicKey = Buffer.concat([Buffer.from([0x04]), hex(v.peerX), hex(v.peerY)]);
      const z = await ecdh1Derive.derive(key, { publicKey, kdf: 'null' }, 32);
      expectHex(z, v.z, 'shared secret');
    },
  };
}
