import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import { ecEdwardsKeys, generateEdwardsKeyPair } from './ec-edwards.js';
import { exportKeyMaterial, importKeyMaterial, keyTypeOf } from './material.js';
import { keyTypeProvider } from './registry.js';

describe('ec-edwards keys (Ed25519)', () => {
  test('is registered, generates a checked pair of the right shape', async () => {
    assert.equal(keyTypeProvider('ec-edwards'), ecEdwardsKeys);
    const { privateKey, publicKey } = await ecEdwardsKeys.generatePair!({ keyType: 'ec-edwards', curve: 'ed25519' });
    assert.equal(privateKey.asymmetricKeyType, 'ed25519');
    assert.deepEqual(ecEdwardsKeys.shape(publicKey), { curve: 'ed25519' });
    assert.deepEqual(ecEdwardsKeys.shape(privateKey), { curve: 'ed25519' });
  });

  test('material knows Ed25519 keys as ec-edwards and round-trips them', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    assert.equal(keyTypeOf(privateKey), 'ec-edwards');
    assert.equal(keyTypeOf(publicKey), 'ec-edwards');
    const bytes = exportKeyMaterial(privateKey);
    const back = importKeyMaterial('private', 'ec-edwards', bytes);
    assert.ok(back.equals(privateKey));
  });

  test('refuses other curves, other spec types and other keys', async () => {
    assert.throws(
      () => ecEdwardsKeys.checkSpec({ keyType: 'ec-edwards', curve: 'ed448' }),
      coffer('MECHANISM_INVALID', 'ed25519'),
    );
    assert.throws(() => ecEdwardsKeys.checkSpec({ keyType: 'ec', curve: 'ed25519' }), coffer('MECHANISM_INVALID'));
    await assert.rejects(
      ecEdwardsKeys.generatePair!({ keyType: 'ec-edwards', curve: 'x25519' }),
      coffer('MECHANISM_INVALID'),
    );
    for (const type of ['ed448', 'x25519'] as const) {
      const other = type === 'ed448' ? generateKeyPairSync('ed448') : generateKeyPairSync('x25519');
      assert.throws(() => ecEdwardsKeys.checkKey(other.publicKey), coffer('KEY_TYPE_INCONSISTENT'));
    }
  });

  test('a pair that fails its pairwise test is never handed out', async () => {
    const a = generateKeyPairSync('ed25519');
    const b = generateKeyPairSync('ed25519');
    const mismatched = async () => ({ privateKey: a.privateKey, publicKey: b.publicKey });
    await assert.rejects(generateEdwardsKeyPair(mismatched), coffer('SELF_TEST_FAILED', 'pairwise'));
  });
});
