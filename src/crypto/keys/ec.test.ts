import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import { EC_CURVE_NAMES, ecKeys, generateEcKeyPair } from './ec.js';

describe('EC key type', () => {
  test('generates a pair on each supported curve, and shape names the curve', async () => {
    assert.deepEqual([...EC_CURVE_NAMES], ['secp256r1', 'secp384r1', 'secp521r1', 'secp256k1']);
    for (const curve of EC_CURVE_NAMES) {
      const pair = await ecKeys.generatePair!({ keyType: 'ec', curve });
      assert.equal(pair.privateKey.type, 'private');
      assert.equal(pair.publicKey.type, 'public');
      assert.deepEqual(ecKeys.shape(pair.privateKey), { curve });
      assert.deepEqual(ecKeys.shape(pair.publicKey), { curve });
    }
  });

  test('refuses any other curve with MECHANISM_INVALID naming the supported ones', async () => {
    for (const curve of ['secp224r1', 'P-256', 'prime256v1', 'ed25519', '', 'constructor']) {
      assert.throws(
        () => ecKeys.checkSpec({ keyType: 'ec', curve }),
        coffer('MECHANISM_INVALID', 'secp256r1, secp384r1'),
      );
      await assert.rejects(ecKeys.generatePair!({ keyType: 'ec', curve }), coffer('MECHANISM_INVALID'));
    }
  });

  test('checkKey refuses a key on an unsupported curve and a non-EC key', () => {
    const p224 = generateKeyPairSync('ec', { namedCurve: 'secp224r1' });
    assert.throws(() => ecKeys.checkKey(p224.publicKey), coffer('MECHANISM_INVALID'));
    const ed = generateKeyPairSync('ed25519');
    assert.throws(() => ecKeys.checkKey(ed.privateKey), coffer('KEY_TYPE_INCONSISTENT'));
  });

  test('a generated pair that fails the pairwise consistency test is refused', async () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const b = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const faulty = async () => ({ privateKey: a.privateKey, publicKey: b.publicKey });
    await assert.rejects(generateEcKeyPair('secp256r1', faulty), coffer('SELF_TEST_FAILED'));
  });
});
