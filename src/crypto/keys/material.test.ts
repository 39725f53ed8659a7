import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { coffer } from '../testing.js';
import { exportKeyMaterial, importKeyMaterial, keyTypeOf, publicKeyOf, publicKeyPem } from './material.js';

describe('key material', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  test('a secret key exports as its raw bytes and imports back', () => {
    const raw = randomBytes(32);
    const exported = exportKeyMaterial(createSecretKey(raw));
    assert.deepEqual(exported, raw);
    const back = importKeyMaterial('secret', exported);
    assert.ok(back.equals(createSecretKey(raw)));
  });

  test('private keys export as PKCS#8 DER and public keys as SPKI DER, and import back', () => {
    for (const pair of [ec, rsa]) {
      const privateDer = exportKeyMaterial(pair.privateKey);
      assert.deepEqual(privateDer, pair.privateKey.export({ type: 'pkcs8', format: 'der' }));
      assert.ok(importKeyMaterial('private', privateDer).equals(pair.privateKey));
      const publicDer = exportKeyMaterial(pair.publicKey);
      assert.deepEqual(publicDer, pair.publicKey.export({ type: 'spki', format: 'der' }));
      assert.ok(importKeyMaterial('public', publicDer).equals(pair.publicKey));
    }
  });

  test('import refuses bytes that do not parse as the class given', () => {
    assert.throws(() => importKeyMaterial('private', Buffer.from('not a key')), coffer('ATTRIBUTE_VALUE_INVALID'));
    assert.throws(
      () => importKeyMaterial('public', exportKeyMaterial(ec.privateKey)),
      coffer('ATTRIBUTE_VALUE_INVALID'),
    );
  });

  test('import refuses keys Coffer does not support', () => {
    assert.throws(() => importKeyMaterial('secret', randomBytes(20)), coffer('KEY_SIZE_RANGE'));
    const ed = generateKeyPairSync('ed25519');
    assert.throws(() => importKeyMaterial('public', exportKeyMaterial(ed.publicKey)), coffer('MECHANISM_INVALID'));
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => importKeyMaterial('private', exportKeyMaterial(small.privateKey)), coffer('KEY_SIZE_RANGE'));
  });

  test('keyTypeOf names aes, ec and rsa keys', () => {
    assert.equal(keyTypeOf(createSecretKey(randomBytes(16))), 'aes');
    assert.equal(keyTypeOf(ec.privateKey), 'ec');
    assert.equal(keyTypeOf(rsa.publicKey), 'rsa');
    assert.throws(() => keyTypeOf(generateKeyPairSync('ed25519').publicKey), coffer('MECHANISM_INVALID'));
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
