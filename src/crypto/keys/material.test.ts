import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import { exportKeyMaterial, importKeyMaterial, keyTypeOf, publicKeyOf, publicKeyPem } from './material.js';

describe('key material', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  test('a secret key exports as its raw bytes and imports back', () => {
    const raw = randomBytes(32);
    const exported = exportKeyMaterial(createSecretKey(raw));
    assert.deepEqual(exported, raw);
    const back = importKeyMaterial('secret', 'aes', exported);
    assert.ok(back.equals(createSecretKey(raw)));
  });

  test("a secret key's type comes from the record: 20 bytes are a generic secret, not an AES key", () => {
    const raw = randomBytes(20);
    assert.ok(importKeyMaterial('secret', 'generic-secret', raw).equals(createSecretKey(raw)));
    assert.throws(() => importKeyMaterial('secret', 'aes', raw), coffer('KEY_SIZE_RANGE'));
    assert.throws(() => importKeyMaterial('secret', 'generic-secret', Buffer.alloc(801)), coffer('KEY_SIZE_RANGE'));
  });

  test('an asymmetric key whose bytes are of another type than the record says is refused', () => {
    const rsaDer = exportKeyMaterial(rsa.privateKey);
    assert.throws(() => importKeyMaterial('private', 'ec', rsaDer), coffer('KEY_TYPE_INCONSISTENT'));
  });

  test('private keys export as PKCS#8 DER and public keys as SPKI DER, and import back', () => {
    for (const [pair, keyType] of [
      [ec, 'ec'],
      [rsa, 'rsa'],
    ] as const) {
      const privateDer = exportKeyMaterial(pair.privateKey);
      assert.deepEqual(privateDer, pair.privateKey.export({ type: 'pkcs8', format: 'der' }));
      assert.ok(importKeyMaterial('private', keyType, privateDer).equals(pair.privateKey));
      const publicDer = exportKeyMaterial(pair.publicKey);
      assert.deepEqual(publicDer, pair.publicKey.export({ type: 'spki', format: 'der' }));
      assert.ok(importKeyMaterial('public', keyType, publicDer).equals(pair.publicKey));
    }
  });

  test('import refuses bytes that do not parse as the class given', () => {
    assert.throws(
      () => importKeyMaterial('private', 'ec', Buffer.from('not a key')),
      coffer('ATTRIBUTE_VALUE_INVALID'),
    );
    assert.throws(
      () => importKeyMaterial('public', 'ec', exportKeyMaterial(ec.privateKey)),
      coffer('ATTRIBUTE_VALUE_INVALID'),
    );
  });

  test('import refuses keys Coffer does not support', () => {
    assert.throws(() => importKeyMaterial('secret', 'aes', randomBytes(20)), coffer('KEY_SIZE_RANGE'));
    const x448 = generateKeyPairSync('x448');
    assert.throws(
      () => importKeyMaterial('public', 'ec', exportKeyMaterial(x448.publicKey)),
      coffer('MECHANISM_INVALID'),
    );
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(
      () => importKeyMaterial('private', 'rsa', exportKeyMaterial(small.privateKey)),
      coffer('KEY_SIZE_RANGE'),
    );
  });

  test('keyTypeOf names ec and rsa keys, and refuses to guess a secret key', () => {
    assert.throws(() => keyTypeOf(createSecretKey(randomBytes(16))), coffer('KEY_TYPE_INCONSISTENT'));
    assert.equal(keyTypeOf(ec.privateKey), 'ec');
    assert.equal(keyTypeOf(rsa.publicKey), 'rsa');
    assert.throws(() => keyTypeOf(generateKeyPairSync('x448').publicKey), coffer('MECHANISM_INVALID'));
  });

  test('publicKeyOf derives the public half and refuses a non-private key', () => {
    assert.ok(publicKeyOf(ec.privateKey).equals(ec.publicKey));
    assert.throws(() => publicKeyOf(ec.publicKey), coffer('KEY_TYPE_INCONSISTENT'));
  });

  test('publicKeyPem gives the same SPKI PEM for either half, and refuses a secret key', () => {
    const pem = publicKeyPem(rsa.publicKey);
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(publicKeyPem(rsa.privateKey), pem);
    assert.throws(() => publicKeyPem(createSecretKey(randomBytes(16))), coffer('KEY_TYPE_INCONSISTENT'));
  });
});
