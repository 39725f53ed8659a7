import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import {
  classesOf,
  encodingOf,
  KEY_TYPES,
  keyTypeForOpenssl,
  keyTypeProvider,
  specFromRequest,
  specFromShape,
} from './registry.js';

describe('key type table', () => {
  test('finds each supported type', () => {
    assert.deepEqual([...KEY_TYPES].sort(), ['aes', 'ec', 'ec-edwards', 'generic-secret', 'rsa']);
    for (const keyType of KEY_TYPES) assert.equal(keyTypeProvider(keyType).keyType, keyType);
  });

  test('refuses an unknown type with MECHANISM_INVALID naming the supported ones', () => {
    for (const name of ['des3', 'AES', 'hmac', 'constructor', '__proto__', 'hasOwnProperty', '']) {
      assert.throws(() => keyTypeProvider(name), coffer('MECHANISM_INVALID', 'aes'));
    }
  });

  test('classes, encodings and OpenSSL names', () => {
    assert.deepEqual(classesOf('aes'), ['secret']);
    assert.deepEqual(classesOf('generic-secret'), ['secret']);
    for (const keyType of ['ec', 'ec-edwards', 'rsa'] as const)
      assert.deepEqual(classesOf(keyType), ['private', 'public']);
    assert.equal(encodingOf('public', 'aes'), undefined);
    assert.equal(encodingOf('secret', 'rsa'), undefined);
    assert.deepEqual(['ec', 'rsa', 'ed25519', 'x448', 'dsa', undefined].map(keyTypeForOpenssl), [
      'ec',
      'rsa',
      'ec-edwards',
      undefined,
      undefined,
      undefined,
    ]);
  });

  test('a spec from the symmetric and pair request bodies, with the field each type needs', () => {
    assert.deepEqual(specFromRequest('secret', 'generic-secret', { keyLengthBytes: 20 }), {
      keyType: 'generic-secret',
      lengthBytes: 20,
    });
    assert.deepEqual(specFromRequest('pair', 'ec', { curve: 'secp384r1' }), { keyType: 'ec', curve: 'secp384r1' });
    assert.deepEqual(specFromRequest('pair', 'rsa', { modulusBits: 2048 }), { keyType: 'rsa', modulusBits: 2048 });
    assert.deepEqual(specFromRequest('pair', 'rsa', { modulusBits: 3072, publicExponent: 65539 }), {
      keyType: 'rsa',
      modulusBits: 3072,
      publicExponent: 65539,
    });
    assert.throws(() => specFromRequest('pair', 'ec', {}), coffer('MISSING_FIELD', 'body.curve'));
    assert.throws(() => specFromRequest('pair', 'rsa', {}), coffer('MISSING_FIELD', 'body.modulusBits'));
    assert.throws(() => specFromRequest('secret', 'aes', {}), coffer('MISSING_FIELD', 'body.keyLengthBytes'));
    assert.throws(() => specFromRequest('pair', 'aes', {}), coffer('MECHANISM_INVALID', 'key pairs are'));
    assert.throws(() => specFromRequest('secret', 'rsa', {}), coffer('MECHANISM_INVALID', 'symmetric keys are'));
    assert.throws(() => specFromRequest('secret', '__proto__', {}), coffer('MECHANISM_INVALID'));
  });

  test('a spec from a stored key’s shape reproduces its type and size', () => {
    assert.deepEqual(specFromShape('aes', { valueLen: 32 }), { keyType: 'aes', lengthBytes: 32 });
    assert.deepEqual(specFromShape('generic-secret', { valueLen: 5 }), { keyType: 'generic-secret', lengthBytes: 5 });
    assert.deepEqual(specFromShape('ec-edwards', { curve: 'ed25519' }), { keyType: 'ec-edwards', curve: 'ed25519' });
    assert.deepEqual(specFromShape('rsa', { modulusBits: 2048, publicExponent: 65537 }), {
      keyType: 'rsa',
      modulusBits: 2048,
      publicExponent: 65537,
    });
  });
});
