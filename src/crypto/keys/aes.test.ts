import assert from 'node:assert/strict';
import { generateKeyPairSync, createSecretKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import { aesKeys } from './aes.js';

describe('AES key type', () => {
  test('accepts 16, 24 and 32-byte specs and generates keys of that size', async () => {
    for (const lengthBytes of [16, 24, 32]) {
      aesKeys.checkSpec({ keyType: 'aes', lengthBytes });
      const key = await aesKeys.generateSecret!({ keyType: 'aes', lengthBytes });
      assert.equal(key.type, 'secret');
      assert.deepEqual(aesKeys.shape(key), { valueLen: lengthBytes });
    }
  });

  test('two generated keys differ', async () => {
    const a = await aesKeys.generateSecret!({ keyType: 'aes', lengthBytes: 32 });
    const b = await aesKeys.generateSecret!({ keyType: 'aes', lengthBytes: 32 });
    assert.notDeepEqual(a.export(), b.export());
  });

  test('refuses other lengths with KEY_SIZE_RANGE naming the allowed values', async () => {
    for (const lengthBytes of [0, 8, 15, 20, 33, 64, 16.5]) {
      assert.throws(() => aesKeys.checkSpec({ keyType: 'aes', lengthBytes }), coffer('KEY_SIZE_RANGE', '16, 24, 32'));
      await assert.rejects(aesKeys.generateSecret!({ keyType: 'aes', lengthBytes }), coffer('KEY_SIZE_RANGE'));
    }
  });

  test('refuses a spec of another key type', () => {
    assert.throws(() => aesKeys.checkSpec({ keyType: 'ec', curve: 'secp256r1' }), coffer('MECHANISM_INVALID'));
  });

  test('checkKey refuses a non-AES length and an asymmetric key', () => {
    assert.throws(() => aesKeys.checkKey(createSecretKey(Buffer.alloc(20))), coffer('KEY_SIZE_RANGE'));
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    assert.throws(() => aesKeys.shape(privateKey), coffer('KEY_TYPE_INCONSISTENT'));
  });
});
