import { createHash, createPublicKey } from 'node:crypto';
import { ecdsaRaw } from '../mechanisms/ecdsa-raw.js';
import { rsaPkcsPss } from '../mechanisms/rsa-pkcs-pss.js';
import type { SelfTest } from '../types.js';
import { RFC6979_P256_SHA256_SAMPLE, type EcdsaVector } from './ecdsa.js';
import { expectTrue, hex } from './expect.js';
import { WYCHEPROOF_PSS_2048_SHA256_TC3, type RsaPssVector } from './rsa-pss.js';

/**
 * The signatures over a caller's digest (RSA_PKCS_PSS, ECDSA), which run in Coffer's native
 * addon rather than node:crypto: the same published vectors, given as the digest of their
 * message. A node whose addon is missing or broken refuses service here.
 */
const sha256 = (message: Buffer): Buffer => createHash('sha256').update(message).digest();

/** Wycheproof PSS-2048 SHA-256 tcId 3 from sha256(message); refused over another digest. */
export function rsaPkcsPssVerifyKat(v: RsaPssVector = WYCHEPROOF_PSS_2048_SHA256_TC3): SelfTest {
  return {
    name: 'RSA-PSS 2048 SHA-256 over a digest verify KAT',
    async run() {
      const key = createPublicKey({ key: hex(v.publicKeyDer), format: 'der', type: 'spki' });
      const params = { hash: 'sha256', saltLength: v.saltLength } as const;
      const digest = sha256(hex(v.message));
      const signature = hex(v.signature);
      expectTrue(await rsaPkcsPss.verify(key, digest, signature, params), 'verify of the published signature');
      const other = sha256(Buffer.concat([hex(v.message), Buffer.from('!')]));
      expectTrue(!(await rsaPkcsPss.verify(key, other, signature, params)), 'rejection of another digest');
    },
  };
}

/** RFC 6979 A.2.5 (P-256, SHA-256, "sample") from its digest; refused over another digest. */
export function ecdsaDigestVerifyKat(v: EcdsaVector = RFC6979_P256_SHA256_SAMPLE): SelfTest {
  return {
    name: 'ECDSA P-256 over a digest verify KAT',
    async run() {
      const b64 = (value: string): string => hex(value).toString('base64url');
      const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(v.x), y: b64(v.y) }, format: 'jwk' });
      const message = Buffer.from(v.message, 'utf8');
      const signature = hex(v.signature);
      expectTrue(await ecdsaRaw.verify(key, sha256(message), signature, {}), 'verify of the published signature');
      const other = sha256(Buffer.concat([message, Buffer.from('!')]));
      expectTrue(!(await ecdsaRaw.verify(key, other, signature, {})), 'rejection of another digest');
    },
  };
}

export const DIGEST_SIGNATURE_SELF_TESTS: readonly SelfTest[] = [rsaPkcsPssVerifyKat(), ecdsaDigestVerifyKat()];
