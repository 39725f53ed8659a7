import assert from 'node:assert/strict';
import { createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { rsaKeys } from '../keys/rsa.js';
import { MAX_DATA_BYTES } from '../limits.js';
import { WYCHEPROOF_PSS_2048_SHA256_TC3 as WYCHEPROOF } from '../self-test/rsa-pss.js';
import { coffer } from '../../../test/support/errors.js';
import type { GeneratedKeyPair } from '../types.js';
import { rsaPssSha256 } from './rsa-pss-sha256.js';

describe('SHA256_RSA_PKCS_PSS', () => {
  const data = Buffer.from('message to sign');
  let pair: GeneratedKeyPair;
  before(async () => {
    pair = await rsaKeys.generatePair!({ keyType: 'rsa', modulusBits: 2048 });
  });

  test('round-trips with the default salt; signatures are salted, so two differ', async () => {
    const a = await rsaPssSha256.sign(pair.privateKey, data, {});
    const b = await rsaPssSha256.sign(pair.privateKey, data, {});
    assert.equal(a.length, 256);
    assert.notDeepEqual(a, b);
    assert.equal(await rsaPssSha256.verify(pair.publicKey, data, a, {}), true);
    assert.equal(await rsaPssSha256.verify(pair.publicKey, data, a, { saltLength: 32 }), true);
  });

  test('round-trips with salt 0 and the largest salt (256 − 32 − 2 = 222)', async () => {
    for (const saltLength of [0, 222]) {
      const signature = await rsaPssSha256.sign(pair.privateKey, data, { saltLength });
      assert.equal(await rsaPssSha256.verify(pair.publicKey, data, signature, { saltLength }), true);
      assert.equal(await rsaPssSha256.verify(pair.publicKey, data, signature, { saltLength: 20 }), false);
    }
  });

  test('verifies the published Wycheproof vector (tcId 3)', async () => {
    const key = createPublicKey({
      key: Buffer.from(WYCHEPROOF.publicKeyDer, 'hex'),
      format: 'der',
      type: 'spki',
    });
    const signature = Buffer.from(WYCHEPROOF.signature, 'hex');
    assert.equal(await rsaPssSha256.verify(key, Buffer.from(WYCHEPROOF.message, 'hex'), signature, {}), true);
  });

  test('verify returns false, never throws, for a bad or malformed signature', async () => {
    const signature = await rsaPssSha256.sign(pair.privateKey, data, {});
    const tampered = Buffer.from(signature);
    tampered[100] = tampered[100]! ^ 0x01;
    assert.equal(await rsaPssSha256.verify(pair.publicKey, data, tampered, {}), false);
    assert.equal(await rsaPssSha256.verify(pair.publicKey, Buffer.from('other'), signature, {}), false);
    for (const malformed of [Buffer.alloc(0), randomBytes(10), randomBytes(300), Buffer.alloc(256, 0xff)]) {
      assert.equal(await rsaPssSha256.verify(pair.publicKey, data, malformed, {}), false);
    }
  });

  test('refuses a salt length out of range with MECHANISM_PARAM_INVALID', async () => {
    for (const saltLength of [-1, 223, 1000, 1.5]) {
      await assert.rejects(
        rsaPssSha256.sign(pair.privateKey, data, { saltLength }),
        coffer('MECHANISM_PARAM_INVALID', '0 to 222'),
      );
      await assert.rejects(
        rsaPssSha256.verify(pair.publicKey, data, Buffer.alloc(256), { saltLength }),
        coffer('MECHANISM_PARAM_INVALID'),
      );
    }
  });

  test('refuses a signatureEncoding with MECHANISM_PARAM_INVALID', async () => {
    await assert.rejects(
      rsaPssSha256.sign(pair.privateKey, data, { signatureEncoding: 'der' }),
      coffer('MECHANISM_PARAM_INVALID', 'signatureEncoding'),
    );
  });

  test('refuses a key that is not an RSA key of the right class with KEY_TYPE_INCONSISTENT', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const aes = createSecretKey(randomBytes(32));
    for (const key of [pair.publicKey, ec.privateKey, aes]) {
      await assert.rejects(rsaPssSha256.sign(key, data, {}), coffer('KEY_TYPE_INCONSISTENT'));
    }
    for (const key of [ec.publicKey, aes]) {
      await assert.rejects(rsaPssSha256.verify(key, data, Buffer.alloc(256), {}), coffer('KEY_TYPE_INCONSISTENT'));
    }
  });

  test('refuses data over the single-part limit with DATA_LEN_RANGE', async () => {
    await assert.rejects(
      rsaPssSha256.sign(pair.privateKey, Buffer.alloc(MAX_DATA_BYTES + 1), {}),
      coffer('DATA_LEN_RANGE'),
    );
  });
});
