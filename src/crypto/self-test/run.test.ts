import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CofferError } from '../../errors/coffer-error.js';
import { coffer } from '../../../test/support/errors.js';
import type { SelfTest } from '../types.js';
import { aesEcbKat, aesGcmDecryptKat, aesGcmEncryptKat, FIPS197_C3, GCM_SPEC_TC16 } from './aes.js';
import { SHA1_ABC, SHA256_ABC, sha1Kat, sha256Kat } from './digest.js';
import { drbgHealthTest } from './drbg.js';
import { ecdsaVerifyKat, RFC6979_P256_SHA256_SAMPLE } from './ecdsa.js';
import { ed25519SignKat, RFC8032_TEST1 } from './eddsa.js';
import { hkdfSha256Kat, RFC5869_TC1 } from './hkdf.js';
import { hmacSha256Kat, RFC4231_TC2 } from './hmac.js';
import { rsaPssVerifyKat, WYCHEPROOF_PSS_2048_SHA256_TC3 } from './rsa-pss.js';
import { ALL_SELF_TESTS, runSelfTests } from './run.js';
import { RFC7914_NACL, scryptKat } from './scrypt.js';

/** Flips the low bit of the hex digit at `at`: a one-bit corruption of a published value. */
function corrupt(hexValue: string, at = 0): string {
  const digit = (parseInt(hexValue[at]!, 16) ^ 1).toString(16);
  return hexValue.slice(0, at) + digit + hexValue.slice(at + 1);
}

/** One corrupted vector per known-answer test; each must fail under its own name. */
const CORRUPTED: readonly SelfTest[] = [
  aesGcmEncryptKat({ ...GCM_SPEC_TC16, tag: corrupt(GCM_SPEC_TC16.tag) }),
  aesGcmDecryptKat({ ...GCM_SPEC_TC16, ciphertext: corrupt(GCM_SPEC_TC16.ciphertext, 5) }),
  aesEcbKat({ ...FIPS197_C3, ciphertext: corrupt(FIPS197_C3.ciphertext) }),
  sha256Kat({ ...SHA256_ABC, message: 'abd' }),
  sha1Kat({ ...SHA1_ABC, digest: corrupt(SHA1_ABC.digest, 39) }),
  hmacSha256Kat({ ...RFC4231_TC2, key: corrupt(RFC4231_TC2.key) }),
  hkdfSha256Kat({ ...RFC5869_TC1, okm: corrupt(RFC5869_TC1.okm, 10) }),
  scryptKat({ ...RFC7914_NACL, derived: corrupt(RFC7914_NACL.derived) }),
  ecdsaVerifyKat({
    ...RFC6979_P256_SHA256_SAMPLE,
    signature: corrupt(RFC6979_P256_SHA256_SAMPLE.signature, 70),
  }),
  rsaPssVerifyKat({
    ...WYCHEPROOF_PSS_2048_SHA256_TC3,
    message: corrupt(WYCHEPROOF_PSS_2048_SHA256_TC3.message),
  }),
  ed25519SignKat({ ...RFC8032_TEST1, signature: corrupt(RFC8032_TEST1.signature, 127) }),
  drbgHealthTest(() => Buffer.alloc(32, 7)),
];

describe('runSelfTests', () => {
  test('passes every test, in order (the time is reported, not asserted: the machine may be loaded)', async (t) => {
    await runSelfTests(); // warm-up: first use loads OpenSSL providers and curve tables
    const { passed, durationMs } = await runSelfTests();
    assert.deepEqual(
      passed,
      ALL_SELF_TESTS.map((t) => t.name),
    );
    assert.ok(passed.length >= 14, `only ${passed.length} tests`);
    t.diagnostic(`self-tests took ${durationMs.toFixed(0)} ms`);
  });

  test('each corrupted vector fails with SELF_TEST_FAILED naming its test', async () => {
    for (const broken of CORRUPTED) {
      await assert.rejects(runSelfTests([sha256Kat(), broken]), coffer('SELF_TEST_FAILED'));
      await assert.rejects(runSelfTests([broken]), (error: unknown) => {
        assert.ok(error instanceof CofferError);
        assert.equal(error.detail, broken.name);
        return true;
      });
    }
  });

  test('stops at the first failure: later tests do not run', async () => {
    let ran = false;
    const spy: SelfTest = { name: 'spy', run: async () => void (ran = true) };
    await assert.rejects(runSelfTests([CORRUPTED[0]!, spy]), coffer('SELF_TEST_FAILED', 'AES-256-GCM encrypt KAT'));
    assert.equal(ran, false);
  });

  test('the uncorrupted forms of the same factories pass', async () => {
    const { passed } = await runSelfTests(CORRUPTED.map((t) => ALL_SELF_TESTS.find((a) => a.name === t.name)!));
    assert.equal(passed.length, CORRUPTED.length);
  });
});
