import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { GCM_SPEC_TC16 } from '../self-test/aes.js';
import { coffer } from '../../../test/support/errors.js';
import { aesGcmWrap } from './aes-gcm-wrap.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');
const kek = createSecretKey(randomBytes(32));

describe('AES_GCM as a wrap mechanism', () => {
  test('unwraps iv‖ciphertext‖tag built from GCM specification test case 16', async () => {
    const v = GCM_SPEC_TC16;
    const wrapped = hex(v.iv + v.ciphertext + v.tag);
    const material = await aesGcmWrap.unwrap(createSecretKey(hex(v.key)), wrapped, { aad: hex(v.aad) });
    assert.equal(material.toString('hex'), v.plaintext);
  });

  test('wraps as a fresh 12-byte IV, the ciphertext and the tag, and unwraps back', async () => {
    const material = randomBytes(32);
    const a = await aesGcmWrap.wrap(kek, material, {});
    const b = await aesGcmWrap.wrap(kek, material, {});
    assert.equal(a.length, 12 + 32 + 16);
    assert.notDeepEqual(a.subarray(0, 12), b.subarray(0, 12), 'each wrap makes its own IV');
    assert.deepEqual(await aesGcmWrap.unwrap(kek, a, {}), material);
    assert.deepEqual(await aesGcmWrap.unwrap(kek, b, {}), material);
  });

  test('binds the AAD and honours the tag length', async () => {
    const material = randomBytes(24);
    const aad = Buffer.from('key/0x1234');
    const wrapped = await aesGcmWrap.wrap(kek, material, { aad, tagLengthBits: 96 });
    assert.equal(wrapped.length, 12 + 24 + 12);
    assert.deepEqual(await aesGcmWrap.unwrap(kek, wrapped, { aad, tagLengthBits: 96 }), material);
    await assert.rejects(aesGcmWrap.unwrap(kek, wrapped, { tagLengthBits: 96 }), coffer('ENCRYPTED_DATA_INVALID'));
    await assert.rejects(aesGcmWrap.unwrap(kek, wrapped, { aad }), coffer('ENCRYPTED_DATA_INVALID'));
  });

  test('refuses a changed IV, ciphertext or tag, another key, or input shorter than IV and tag', async () => {
    const wrapped = await aesGcmWrap.wrap(kek, randomBytes(32), {});
    for (const at of [0, 11, 12, wrapped.length - 1]) {
      const tampered = Buffer.from(wrapped);
      tampered[at] = tampered[at]! ^ 1;
      await assert.rejects(aesGcmWrap.unwrap(kek, tampered, {}), coffer('ENCRYPTED_DATA_INVALID'));
    }
    await assert.rejects(
      aesGcmWrap.unwrap(createSecretKey(randomBytes(32)), wrapped, {}),
      coffer('ENCRYPTED_DATA_INVALID'),
    );
    await assert.rejects(aesGcmWrap.unwrap(kek, wrapped.subarray(0, 27), {}), coffer('ENCRYPTED_DATA_INVALID'));
  });

  test('refuses an IV in either direction, and parameters GCM does not take', async () => {
    await assert.rejects(
      aesGcmWrap.wrap(kek, randomBytes(16), { iv: randomBytes(12) }),
      coffer('MECHANISM_PARAM_INVALID', 'iv'),
    );
    const wrapped = await aesGcmWrap.wrap(kek, randomBytes(16), {});
    await assert.rejects(
      aesGcmWrap.unwrap(kek, wrapped, { iv: wrapped.subarray(0, 12) }),
      coffer('MECHANISM_PARAM_INVALID'),
    );
    await assert.rejects(aesGcmWrap.wrap(kek, randomBytes(16), { counterBits: 8 }), coffer('MECHANISM_PARAM_INVALID'));
    await assert.rejects(aesGcmWrap.unwrap(kek, wrapped, { hash: 'sha256' }), coffer('MECHANISM_PARAM_INVALID'));
    await assert.rejects(
      aesGcmWrap.wrap(kek, randomBytes(16), { tagLengthBits: 64 }),
      coffer('MECHANISM_PARAM_INVALID'),
    );
  });

  test('takes only secret AES keys', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (const wrong of [createSecretKey(randomBytes(20)), privateKey]) {
      await assert.rejects(aesGcmWrap.wrap(wrong, randomBytes(16), {}), coffer('KEY_TYPE_INCONSISTENT'));
      await assert.rejects(aesGcmWrap.unwrap(wrong, randomBytes(60), {}), coffer('KEY_TYPE_INCONSISTENT'));
    }
  });
});
