import { createPublicKey } from 'node:crypto';
import { rsaPssSha256 } from '../mechanisms/rsa-pss-sha256.js';
import type { SelfTest } from '../types.js';
import { expectTrue, hex } from './expect.js';

export interface RsaPssVector {
  /** DER SubjectPublicKeyInfo of the public key (modulus and exponent). */
  readonly publicKeyDer: string;
  readonly saltLength: number;
  readonly message: string;
  readonly signature: string;
}

/**
 * Project Wycheproof, testvectors_v1/rsa_pss_2048_sha256_mgf1_32_test.json, tcId 3 ("valid
 * signature"): RSA-2048, e = 65537, SHA-256, MGF1-SHA-256, sLen 32, message "Test".
 * Public values only.
 */
export const WYCHEPROOF_PSS_2048_SHA256_TC3: RsaPssVector = {
  publicKeyDer:
    '30820122300d06092a864886f70d01010105000382010f003082010a0282010100' +
    'a2b451a07d0aa5f96e455671513550514a8a5b462ebef717094fa1fee82224e6' +
    '37f9746d3f7cafd31878d80325b6ef5a1700f65903b469429e89d6eac8845097' +
    'b5ab393189db92512ed8a7711a1253facd20f79c15e8247f3d3e42e46e48c98e' +
    '254a2fe9765313a03eff8f17e1a029397a1fa26a8dce26f490ed81299615d981' +
    '4c22da610428e09c7d9658594266f5c021d0fceca08d945a12be82de4d1ece6b' +
    '4c03145b5d3495d4ed5411eb878daf05fd7afc3e09ada0f1126422f590975a19' +
    '69816f48698bcbba1b4d9cae79d460d8f9f85e7975005d9bc22c4e5ac0f7c1a4' +
    '5d12569a62807d3b9a02e5a530e773066f453d1f5b4c2e9cf7820283f742b9d5' +
    '0203010001',
  saltLength: 32,
  message: '54657374',
  signature:
    '401eb03cdb47ca88033e3030f6bdecbac8f5c8fc1dd6a13d23d379ed9a2b3098' +
    '91d13d74fea9d21d159b9e6d8f37efa2489962e24555f56dd434ff1d31ce4f9f' +
    '5abd3f22cbea8b691d6a11e44efb83e2bca155e6a164325e0fde2a8865afd5c9' +
    'f51161a9d615f62af7ec2e31b3e5ab649c164490d31d88cfae35b84aea792569' +
    '0f929a144b6d2f48e8fb894a52deecd1b9a6496990c4ecf1588699a42cacd10c' +
    '53af350514e4291ea9a058e77f101e32c1c0cefa61d945f7bc931f8bd19e7ba3' +
    '169358a60e5a8b0123bc3199b9fdcafe8e519c41ba675491a27b85e44ef2d772' +
    '77c10fe107293c8290186913bc9a99b640d8da041b64f31eab1d35920985f4a5',
};

/** Verifies the published signature and refuses it over a different message. */
export function rsaPssVerifyKat(v: RsaPssVector = WYCHEPROOF_PSS_2048_SHA256_TC3): SelfTest {
  return {
    name: 'RSA-PSS 2048 SHA-256 verify KAT',
    async run() {
      const key = createPublicKey({ key: hex(v.publicKeyDer), format: 'der', type: 'spki' });
      const params = { saltLength: v.saltLength };
      const message = hex(v.message);
      const signature = hex(v.signature);
      expectTrue(await rsaPssSha256.verify(key, message, signature, params), 'verify of the published signature');
      const other = Buffer.concat([message, Buffer.from('!')]);
      expectTrue(!(await rsaPssSha256.verify(key, other, signature, params)), 'rejection of another message');
    },
  };
}
