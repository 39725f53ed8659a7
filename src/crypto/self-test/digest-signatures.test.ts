import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import { ecdsaDigestVerifyKat, rsaPkcsPssVerifyKat, DIGEST_SIGNATURE_SELF_TESTS } from './digest-signatures.js';
import { RFC6979_P256_SHA256_SAMPLE as P256 } from './ecdsa.js';
import { ALL_SELF_TESTS, runSelfTests } from './run.js';
import { WYCHEPROOF_PSS_2048_SHA256_TC3 as TC3 } from './rsa-pss.js';

function corrupt(hexString: string, at: number): string {
  const digit = hexString[at] === '0' ? '1' : '0';
  return hexString.slice(0, at) + digit + hexString.slice(at + 1);
}

describe('self-tests of the signatures over a digest', () => {
  test('pass, and are part of the power-on suite', async () => {
    const { passed } = await runSelfTests(DIGEST_SIGNATURE_SELF_TESTS);
    assert.deepEqual(passed, ['RSA-PSS 2048 SHA-256 over a digest verify KAT', 'ECDSA P-256 over a digest verify KAT']);
    for (const name of passed)
      assert.ok(
        ALL_SELF_TESTS.some((t) => t.name === name),
        name,
      );
  });

  test('a corrupted vector fails under its own name', async () => {
    const broken = [
      rsaPkcsPssVerifyKat({ ...TC3, signature: corrupt(TC3.signature, 200) }),
      rsaPkcsPssVerifyKat({ ...TC3, saltLength: 20 }),
      ecdsaDigestVerifyKat({ ...P256, signature: corrupt(P256.signature, 100) }),
      ecdsaDigestVerifyKat({ ...P256, message: 'simple' }),
    ];
    for (const kat of broken) {
      await assert.rejects(runSelfTests([kat]), (error: unknown) => {
        coffer('SELF_TEST_FAILED', kat.name)(error);
        return true;
      });
    }
  });
});
