import { createPublicKey } from 'node:crypto';
import { generateEcKeyPair } from '../keys/ec.js';
import { ecdsaSha256 } from '../mechanisms/ecdsa-sha256.js';
import type { SelfTest } from '../types.js';
import { expectTrue, hex } from './expect.js';

export interface EcdsaVector {
  readonly x: string;
  readonly y: string;
  readonly message: string;
  /** r‖s, as PKCS#11 encodes it. */
  readonly signature: string;
}

/**
 * RFC 6979 Appendix A.2.5 (ECDSA, 256 bits, prime field — P-256): the public key U = xG and the
 * deterministic signature of the message "sample" with SHA-256.
 */
export const RFC6979_P256_SHA256_SAMPLE: EcdsaVector = {
  x: '60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6',
  y: '7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299',
  message: 'sample',
  signature:
    'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716' +
    'f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8',
};

/** Verifies the published signature, and refuses it over a different message. */
export function ecdsaVerifyKat(v: EcdsaVector = RFC6979_P256_SHA256_SAMPLE): SelfTest {
  return {
    name: 'ECDSA P-256 SHA-256 verify KAT',
    async run() {
      const jwk = {
        kty: 'EC',
        crv: 'P-256',
        x: hex(v.x).toString('base64url'),
        y: hex(v.y).toString('base64url'),
      };
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      const message = Buffer.from(v.message, 'utf8');
      const signature = hex(v.signature);
      expectTrue(await ecdsaSha256.verify(key, message, signature, {}), 'verify of the published signature');
      const other = Buffer.concat([message, Buffer.from('!')]);
      expectTrue(!(await ecdsaSha256.verify(key, other, signature, {})), 'rejection of another message');
    },
  };
}

/** ECDSA signatures are randomized, so signing is tested by a fresh key signing and verifying. */
export function ecdsaSignVerifyTest(): SelfTest {
  return {
    name: 'ECDSA P-256 SHA-256 sign-verify',
    async run() {
      const pair = await generateEcKeyPair('secp256r1');
      const message = Buffer.from('Coffer ECDSA self-test', 'utf8');
      const signature = await ecdsaSha256.sign(pair.privateKey, message, {});
      expectTrue(await ecdsaSha256.verify(pair.publicKey, message, signature, {}), 'verify of a fresh signature');
    },
  };
}
