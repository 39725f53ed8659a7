import assert from 'node:assert/strict';
import { constants, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import { pairwiseConsistencyTest } from './pairwise.js';

describe('pairwise consistency test', () => {
  const a = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const b = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

  test('passes for a matching pair', async () => {
    await pairwiseConsistencyTest(a);
  });

  test('throws SELF_TEST_FAILED for halves of two different pairs', async () => {
    await assert.rejects(
      pairwiseConsistencyTest({ privateKey: a.privateKey, publicKey: b.publicKey }),
      coffer('SELF_TEST_FAILED', 'pairwise'),
    );
  });

  test('throws SELF_TEST_FAILED when signing itself fails', async () => {
    // A PSS salt longer than a 1024-bit modulus can hold makes OpenSSL refuse to sign.
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const options = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 200 };
    await assert.rejects(pairwiseConsistencyTest(small, options), coffer('SELF_TEST_FAILED'));
  });
});
