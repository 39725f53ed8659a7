import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { EC_CURVE_NAMES, generateEcKeyPair } from '../keys/ec.js';
import { MAX_DATA_BYTES } from '../limits.js';
import { coffer } from '../../../test/support/errors.js';
import { ecdsaSha256 } from './ecdsa-sha256.js';

/** r‖s length per curve: twice the field size in bytes. */
const P1363_BYTES: Readonly<Record<string, number>> = {
  secp256r1: 64,
  secp384r1: 96,
  secp521r1: 132,
  secp256k1: 64,
};

describe('ECDSA_SHA256', () => {
  const data = Buffer.from('message to sign');

  test('round-trips on every curve in both encodings; p1363 is r‖s, der a SEQUENCE', async () => {
    for (const curve of EC_CURVE_NAMES) {
      const { privateKey, publicKey } = await generateEcKeyPair(curve);
      const p1363 = await ecdsaSha256.sign(privateKey, data, {});
      assert.equal(p1363.length, P1363_BYTES[curve]);
      assert.equal(await ecdsaSha256.verify(publicKey, data, p1363, { signatureEncoding: 'p1363' }), true);
      const der = await ecdsaSha256.sign(privateKey, data, { signatureEncoding: 'der' });
      assert.equal(der[0], 0x30);
      assert.equal(await ecdsaSha256.verify(publicKey, data, der, { signatureEncoding: 'der' }), true);
      assert.equal(await ecdsaSha256.verify(privateKey, data, der, { signatureEncoding: 'der' }), true);
    }
  });

  test('verify returns false, never throws, for a bad or malformed signature', async () => {
    const { privateKey, publicKey } = await generateEcKeyPair('secp256r1');
    const signature = await ecdsaSha256.sign(privateKey, data, {});
    const tampered = Buffer.from(signature);
    tampered[10] = tampered[10]! ^ 0xff;
    assert.equal(await ecdsaSha256.verify(publicKey, data, tampered, {}), false);
    assert.equal(await ecdsaSha256.verify(publicKey, Buffer.from('other'), signature, {}), false);
    for (const malformed of [Buffer.alloc(0), randomBytes(5), randomBytes(200), Buffer.alloc(64)]) {
      assert.equal(await ecdsaSha256.verify(publicKey, data, malformed, {}), false);
      assert.equal(await ecdsaSha256.verify(publicKey, data, malformed, { signatureEncoding: 'der' }), false);
    }
    assert.equal(await ecdsaSha256.verify(publicKey, data, signature, { signatureEncoding: 'der' }), false);
  });

  test('refuses a key that is not an EC key of the right class with KEY_TYPE_INCONSISTENT', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const aes = createSecretKey(randomBytes(32));
    for (const key of [ec.publicKey, rsa.privateKey, aes]) {
      await assert.rejects(ecdsaSha256.sign(key, data, {}), coffer('KEY_TYPE_INCONSISTENT'));
    }
    for (const key of [rsa.publicKey, aes]) {
      await assert.rejects(ecdsaSha256.verify(key, data, Buffer.alloc(64), {}), coffer('KEY_TYPE_INCONSISTENT'));
    }
  });

  test('refuses an unknown encoding or a saltLength with MECHANISM_PARAM_INVALID', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const raw = { signatureEncoding: 'raw' } as unknown as { signatureEncoding: 'der' };
    await assert.rejects(ecdsaSha256.sign(privateKey, data, raw), coffer('MECHANISM_PARAM_INVALID', 'p1363 or der'));
    await assert.rejects(
      ecdsaSha256.sign(privateKey, data, { saltLength: 32 }),
      coffer('MECHANISM_PARAM_INVALID', 'saltLength'),
    );
  });

  test('refuses data over the single-part limit with DATA_LEN_RANGE', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const big = Buffer.alloc(MAX_DATA_BYTES + 1);
    await assert.rejects(ecdsaSha256.sign(privateKey, big, {}), coffer('DATA_LEN_RANGE'));
    await assert.rejects(ecdsaSha256.verify(publicKey, big, Buffer.alloc(64), {}), coffer('DATA_LEN_RANGE'));
  });
});
