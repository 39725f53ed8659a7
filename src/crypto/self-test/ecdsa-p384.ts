import { createPublicKey } from 'node:crypto';
import { ECDSA_SIGNATURES } from '../mechanisms/ecdsa-hash.js';
import type { SelfTest } from '../types.js';
import type { EcdsaVector } from './ecdsa.js';
import { expectTrue, hex } from './expect.js';

/**
 * RFC 6979 Appendix A.2.6 (ECDSA, 384 bits, prime field — P-384): the public key U = xG and the
 * deterministic signature of the message "sample" with SHA-384.
 */
export const RFC6979_P384_SHA384_SAMPLE: EcdsaVector = {
  x: 'ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5286b300c64def8f0ea9055866064a254515480bc13',
  y: '8015d9b72d7d57244ea8ef9ac0c621896708a59367f9dfb9f54ca84b3f1c9db1288b231c3ae0d4fe7344fd2533264720',
  message: 'sample',
  signature:
    '94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c81a648152e44acf96e36dd1e80fabe46' +
    '99ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a38628ac8',
};

/** Verifies the published signature through ECDSA_SHA384, and refuses another message. */
export function ecdsaP384VerifyKat(v: EcdsaVector = RFC6979_P384_SHA384_SAMPLE): SelfTest {
  return {
    name: 'ECDSA P-384 SHA-384 verify KAT',
    async run() {
      const jwk = { kty: 'EC', crv: 'P-384', x: hex(v.x).toString('base64url'), y: hex(v.y).toString('base64url') };
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      const mechanism = ECDSA_SIGNATURES.sha384;
      const message = Buffer.from(v.message, 'utf8');
      const signature = hex(v.signature);
      expectTrue(await mechanism.verify(key, message, signature, {}), 'verify of the published signature');
      const other = Buffer.concat([message, Buffer.from('!')]);
      expectTrue(!(await mechanism.verify(key, other, signature, {})), 'rejection of another message');
    },
  };
}
