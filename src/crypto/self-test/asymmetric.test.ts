import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import { ASYMMETRIC_SELF_TESTS } from './asymmetric.js';
import { CAVP_ECC_CDH_P256_COUNT0, ecdhP256Kat } from './ecdh.js';
import { ecdsaP384VerifyKat, RFC6979_P384_SHA384_SAMPLE } from './ecdsa-p384.js';
import { rsaOaepDecryptKat, WYCHEPROOF_OAEP_2048_SHA1_TC3 } from './rsa-oaep.js';
import { rsaPkcs1VerifyKat, WYCHEPROOF_PKCS1_2048_SHA256_TC3 } from './rsa-pkcs1.js';
import { ALL_SELF_TESTS, runSelfTests } from './run.js';
import { CAVP_KDFCTR_HMAC_SHA256_COUNT30, sp800108Kat } from './sp800-108.js';
import { CAVP_X963_SHA256_INFO128, x963KdfKat } from './x963-kdf.js';

/** Flips one hex digit. */
function corrupt(hexString: string, at = 0): string {
  const digit = hexString[at] === '0' ? '1' : '0';
  return hexString.slice(0, at) + digit + hexString.slice(at + 1);
}

const CORRUPTED = [
  rsaPkcs1VerifyKat({
    ...WYCHEPROOF_PKCS1_2048_SHA256_TC3,
    signature: corrupt(WYCHEPROOF_PKCS1_2048_SHA256_TC3.signature, 100),
  }),
  rsaOaepDecryptKat({ ...WYCHEPROOF_OAEP_2048_SHA1_TC3, message: corrupt(WYCHEPROOF_OAEP_2048_SHA1_TC3.message) }),
  rsaOaepDecryptKat({ ...WYCHEPROOF_OAEP_2048_SHA1_TC3, label: '00' }),
  ecdsaP384VerifyKat({ ...RFC6979_P384_SHA384_SAMPLE, signature: corrupt(RFC6979_P384_SHA384_SAMPLE.signature, 150) }),
  ecdhP256Kat({ ...CAVP_ECC_CDH_P256_COUNT0, z: corrupt(CAVP_ECC_CDH_P256_COUNT0.z, 63) }),
  ecdhP256Kat({ ...CAVP_ECC_CDH_P256_COUNT0, d: corrupt(CAVP_ECC_CDH_P256_COUNT0.d, 5) }),
  x963KdfKat({ ...CAVP_X963_SHA256_INFO128, sharedInfo: corrupt(CAVP_X963_SHA256_INFO128.sharedInfo) }),
  sp800108Kat({ ...CAVP_KDFCTR_HMAC_SHA256_COUNT30, ko: corrupt(CAVP_KDFCTR_HMAC_SHA256_COUNT30.ko, 79) }),
];

describe('asymmetric and KDF self-tests', () => {
  test('all pass and are part of the power-on suite (their time is reported, not asserted)', async (t) => {
    const { passed, durationMs } = await runSelfTests(ASYMMETRIC_SELF_TESTS);
    assert.equal(passed.length, 6);
    for (const name of passed)
      assert.ok(
        ALL_SELF_TESTS.some((t) => t.name === name),
        name,
      );
    t.diagnostic(`took ${durationMs.toFixed(0)} ms`);
  });

  test('each corrupted vector fails with SELF_TEST_FAILED naming its test', async () => {
    for (const broken of CORRUPTED) {
      await assert.rejects(runSelfTests([broken]), coffer('SELF_TEST_FAILED', broken.name));
    }
  });
});
