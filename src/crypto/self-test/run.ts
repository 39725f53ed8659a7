import { performance } from 'node:perf_hooks';
import { CofferError } from '../../errors/coffer-error.js';
import type { SelfTest } from '../types.js';
import { aesCmacKat } from './aes-cmac.js';
import { AES_MODE_SELF_TESTS } from './aes-modes.js';
import { AES_SELF_TESTS } from './aes.js';
import { ASYMMETRIC_SELF_TESTS } from './asymmetric.js';
import { DIGEST_SELF_TESTS } from './digest.js';
import { DIGEST_SIGNATURE_SELF_TESTS } from './digest-signatures.js';
import { drbgHealthTest } from './drbg.js';
import { ecdsaSignVerifyTest, ecdsaVerifyKat } from './ecdsa.js';
import { ed25519SignKat } from './eddsa.js';
import { hkdfSha256Kat } from './hkdf.js';
import { HMAC_FAMILY_SELF_TESTS } from './hmac-family.js';
import { hmacSha256Kat } from './hmac.js';
import { KEY_WRAP_SELF_TESTS } from './key-wrap.js';
import { rsaPssVerifyKat } from './rsa-pss.js';
import { scryptKat } from './scrypt.js';
import { SHA2_SELF_TESTS } from './sha2.js';
import { shamirTest } from './shamir.js';

/** The power-on self-tests: one known-answer test (or health test) per algorithm Coffer uses. */
export const ALL_SELF_TESTS: readonly SelfTest[] = [
  drbgHealthTest(),
  ...DIGEST_SELF_TESTS,
  ...AES_SELF_TESTS,
  ...AES_MODE_SELF_TESTS,
  aesCmacKat(),
  ...KEY_WRAP_SELF_TESTS,
  ...SHA2_SELF_TESTS,
  ...HMAC_FAMILY_SELF_TESTS,
  hmacSha256Kat(),
  hkdfSha256Kat(),
  scryptKat(),
  ecdsaVerifyKat(),
  ecdsaSignVerifyTest(),
  rsaPssVerifyKat(),
  ...DIGEST_SIGNATURE_SELF_TESTS,
  ...ASYMMETRIC_SELF_TESTS,
  ed25519SignKat(),
  shamirTest(),
];

/**
 * Runs the tests in order and stops at the first failure with SELF_TEST_FAILED naming it; the
 * node then refuses service. The cause stays on the error for the log, never in the detail.
 */
export async function runSelfTests(
  tests: readonly SelfTest[] = ALL_SELF_TESTS,
): Promise<{ passed: string[]; durationMs: number }> {
  const started = performance.now();
  const passed: string[] = [];
  for (const test of tests) {
    try {
      await test.run();
    } catch (error) {
      throw new CofferError('SELF_TEST_FAILED', test.name, { cause: error });
    }
    passed.push(test.name);
  }
  return { passed, durationMs: performance.now() - started };
}
