import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import { GENERIC_SECRET_LENGTHS, genericSecretKeys, requireGenericSecretKey } from './generic-secret.js';
import { KEY_TYPES, keyTypeProvider } from './registry.js';

describe('generic-secret keys', () => {
  test('is registered', () => {
    assert.ok(KEY_TYPES.includes('generic-secret'));
    assert.equal(keyTypeProvider('generic-secret'), genericSecretKeys);
  });

  test('generates keys of 1 to 800 bytes', async () => {
    assert.deepEqual(GENERIC_SECRET_LENGTHS, { min: 1, max: 800 });
    for (const lengthBytes of [1, 20, 32, 64, 800]) {
      const key = await genericSecretKeys.generateSecret!({ keyType: 'generic-secret', lengthBytes });
      assert.equal(key.type, 'secret');
      assert.equal(key.symmetricKeySize, lengthBytes);
      assert.deepEqual(genericSecretKeys.shape(key), { valueLen: lengthBytes });
    }
  });

  test('refuses sizes outside 1–800 bytes with KEY_SIZE_RANGE', async () => {
    for (const lengthBytes of [0, -1, 801, 1.5, Number.NaN]) {
      assert.throws(
        () => genericSecretKeys.checkSpec({ keyType: 'generic-secret', lengthBytes }),
        coffer('KEY_SIZE_RANGE'),
      );
      await assert.rejects(
        genericSecretKeys.generateSecret!({ keyType: 'generic-secret', lengthBytes }),
        coffer('KEY_SIZE_RANGE'),
      );
    }
    assert.throws(() => genericSecretKeys.checkKey(createSecretKey(randomBytes(801))), coffer('KEY_SIZE_RANGE'));
  });

  test('refuses a spec of another key type and a key that is not secret', () => {
    assert.throws(() => genericSecretKeys.checkSpec({ keyType: 'aes', lengthBytes: 32 }), coffer('MECHANISM_INVALID'));
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    assert.throws(() => genericSecretKeys.checkKey(privateKey), coffer('KEY_TYPE_INCONSISTENT'));
    assert.throws(() => genericSecretKeys.shape(privateKey), coffer('KEY_TYPE_INCONSISTENT'));
  });

  test('requireGenericSecretKey admits secret keys of 1–800 bytes only', () => {
    for (const size of [1, 16, 800]) requireGenericSecretKey(createSecretKey(randomBytes(size)), 'SHA256_HMAC');
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (const key of [createSecretKey(randomBytes(801)), publicKey]) {
      assert.throws(() => requireGenericSecretKey(key, 'SHA256_HMAC'), coffer('KEY_TYPE_INCONSISTENT', 'SHA256_HMAC'));
    }
  });
});
