import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import { KEY_TYPES, keyTypeProvider } from './registry.js';

describe('key type registry', () => {
  test('finds each supported type', () => {
    assert.deepEqual([...KEY_TYPES].sort(), ['aes', 'ec', 'ec-edwards', 'generic-secret', 'rsa']);
    for (const keyType of KEY_TYPES) assert.equal(keyTypeProvider(keyType).keyType, keyType);
  });

  test('refuses an unknown type with MECHANISM_INVALID naming the supported ones', () => {
    for (const name of ['des3', 'AES', 'hmac', 'constructor', '__proto__', '']) {
      assert.throws(() => keyTypeProvider(name), coffer('MECHANISM_INVALID', 'aes'));
    }
  });
});
