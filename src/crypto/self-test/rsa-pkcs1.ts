import { createPublicKey } from 'node:crypto';
import { RSA_PKCS1_SIGNATURES } from '../mechanisms/rsa-pkcs1-sign.js';
import type { SelfTest } from '../types.js';
import { expectTrue, hex } from './expect.js';
import { WYCHEPROOF_PSS_2048_SHA256_TC3 } from './rsa-pss.js';

export interface RsaPkcs1Vector {
  /** DER SubjectPublicKeyInfo. */
  readonly publicKeyDer: string;
  readonly message: string;
  readonly signature: string;
}

/**
 * Project Wycheproof, testvectors_v1/rsa_signature_2048_sha256_test.json, tcId 3 (valid):
 * RSASSA-PKCS1-v1_5, SHA-256, message "Test". The same public key as the PSS vector.
 */
export const WYCHEPROOF_PKCS1_2048_SHA256_TC3: RsaPkcs1Vector = {
  publicKeyDer: WYCHEPROOF_PSS_2048_SHA256_TC3.publicKeyDer,
  message: '54657374',
  signature:
    '264491e844c119f14e425c03282139a558dcdaeb82a4628173cd407fd319f9076eaebc0dd87a1c22e4d17839096886d5' +
    '8a9d5b7f7aeb63efec56c45ac7bead4203b6886e1faa90e028ec0ae094d46bf3f97efdd19045cfbc25a1abda2432639f' +
    '9876405c0d68f8edbf047c12a454f7681d5d5a2b54bd3723d193dbad4338baad753264006e2d08931c4b8bb79aa1c9ca' +
    'd10eb6605f87c5831f6e2b08e002f9c6f21141f5841d92727dd3e1d99c36bc560da3c9067df99fcaf818941f72588be3' +
    '3032bad22caf6704223bb114d575b6d02d9d222b580005d930e8f40cce9f672eebb634a20177d84351627964b83f2053' +
    'd736a84ab1a005f63bd5ba943de6205c',
};

/** Verifies the published signature through SHA256_RSA_PKCS, and refuses another message. */
export function rsaPkcs1VerifyKat(v: RsaPkcs1Vector = WYCHEPROOF_PKCS1_2048_SHA256_TC3): SelfTest {
  return {
    name: 'RSA PKCS#1 v1.5 2048 SHA-256 verify KAT',
    async run() {
      const key = createPublicKey({ key: hex(v.publicKeyDer), format: 'der', type: 'spki' });
      const mechanism = RSA_PKCS1_SIGNATURES.sha256;
      const message = hex(v.message);
      const signature = hex(v.signature);
      expectTrue(await mechanism.verify(key, message, signature, {}), 'verify of the published signature');
      const other = Buffer.concat([message, Buffer.from('!')]);
      expectTrue(!(await mechanism.verify(key, other, signature, {})), 'rejection of another message');
    },
  };
}
