import assert from 'node:assert/strict';
import { createHash, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { WYCHEPROOF_PSS_2048_SHA256_TC3 } from '../self-test/rsa-pss.js';
import { checkValue } from './check-value.js';

const kcv = (keyHex: string, keyType: 'aes' | 'generic-secret' = 'aes'): string =>
  checkValue(createSecretKey(Buffer.from(keyHex, 'hex')), keyType).toString('hex');

describe('checkValue', () => {
  test('AES: first 3 bytes of the zero block encrypted, matching published values', () => {
    // The GCM specification (McGrew & Viega), Test Cases 1 and 13, publish H = E(K, 0^128) for
    // the all-zero AES-128 and AES-256 keys: 66e94bd4… and dc95c078….
    assert.equal(kcv('00'.repeat(16)), '66e94b');
    assert.equal(kcv('00'.repeat(32)), 'dc95c0');
    // Cryptography Stack Exchange, "How to obtain KCV from the key": key 48C3…42A4 has KCV 77DC84.
    assert.equal(kcv('48C3B4286FF421A4A328E68AD9E542A4'), '77dc84');
  });

  test('generic secret: first 3 bytes of SHA-1 of the value, at any length, no AES involved', () => {
    // FIPS 180 / RFC 3174 test vector: SHA-1("abc") = a9993e36…
    assert.equal(kcv(Buffer.from('abc').toString('hex'), 'generic-secret'), 'a9993e');
    for (const length of [1, 5, 16, 20, 48, 66, 100, 800]) {
      const value = randomBytes(length);
      const expected = createHash('sha1').update(value).digest('hex').slice(0, 6);
      assert.equal(kcv(value.toString('hex'), 'generic-secret'), expected, `${length} bytes`);
    }
  });

  test('the same 32 bytes have one check value as AES and another as a generic secret', () => {
    const value = '00'.repeat(32);
    assert.equal(kcv(value, 'aes'), 'dc95c0');
    assert.equal(kcv(value, 'generic-secret'), createHash('sha1').update(Buffer.alloc(32)).digest('hex').slice(0, 6));
  });

  test('asymmetric: first 3 bytes of SHA-1 over the DER SubjectPublicKeyInfo, same for both halves', () => {
    const der = Buffer.from(WYCHEPROOF_PSS_2048_SHA256_TC3.publicKeyDer, 'hex');
    // SHA-1 of that DER, computed outside Node (Python hashlib): db6430043a5c…
    const publicKey = createPublicKey({ key: der, format: 'der', type: 'spki' });
    assert.equal(checkValue(publicKey, 'rsa').toString('hex'), 'db6430');
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    assert.deepEqual(checkValue(pair.privateKey, 'ec'), checkValue(pair.publicKey, 'ec'));
    assert.equal(checkValue(pair.publicKey, 'ec').length, 3);
  });

  test('different keys have different check values', () => {
    assert.notEqual(kcv('00'.repeat(16)), kcv('01'.repeat(16)));
  });
});
