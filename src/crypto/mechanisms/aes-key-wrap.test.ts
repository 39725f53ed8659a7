import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { MAX_DATA_BYTES } from '../limits.js';
import { RFC3394_4_6, RFC5649_6_20_OCTETS, RFC5649_6_7_OCTETS } from '../self-test/key-wrap.js';
import { coffer } from '../../../test/support/errors.js';
import { aesKeyWrap, aesKeyWrapPad } from './aes-key-wrap.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');
const KEK_128 = '000102030405060708090a0b0c0d0e0f';
const KEK_192 = '000102030405060708090a0b0c0d0e0f1011121314151617';
const KEK_256 = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const DATA_128 = '00112233445566778899aabbccddeeff';
const DATA_192 = '00112233445566778899aabbccddeeff0001020304050607';

/** RFC 3394 §4.1–4.6: every KEK size with every key data size it can wrap. */
const RFC3394 = [
  { kek: KEK_128, keyData: DATA_128, wrapped: '1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5' },
  { kek: KEK_192, keyData: DATA_128, wrapped: '96778b25ae6ca435f92b5b97c050aed2468ab8a17ad84e5d' },
  { kek: KEK_256, keyData: DATA_128, wrapped: '64e8c3f9ce0f5ba263e9777905818a2a93c8191e7d6e8ae7' },
  { kek: KEK_192, keyData: DATA_192, wrapped: '031d33264e15d33268f24ec260743edce1c6c7ddee725a936ba814915c6762d2' },
  { kek: KEK_256, keyData: DATA_192, wrapped: 'a8f9bc1612c68b3ff6e6f4fbe30e71e4769c8b80a32cb8958cd5d17d6b254da1' },
  RFC3394_4_6,
];

const kek = createSecretKey(randomBytes(32));
const flip = (buf: Buffer, at: number): Buffer => {
  const copy = Buffer.from(buf);
  copy[at] = copy[at]! ^ 1;
  return copy;
};

describe('AES_KEY_WRAP (RFC 3394)', () => {
  test('matches RFC 3394 §4.1–4.6 both ways', async () => {
    for (const v of RFC3394) {
      const k = createSecretKey(hex(v.kek));
      assert.equal((await aesKeyWrap.wrap(k, hex(v.keyData), {})).toString('hex'), v.wrapped);
      assert.equal((await aesKeyWrap.unwrap(k, hex(v.wrapped), {})).toString('hex'), v.keyData);
    }
  });

  test('wraps only multiples of 8 bytes, at least 16', async () => {
    for (const length of [0, 8, 15, 17, 20, 33]) {
      await assert.rejects(aesKeyWrap.wrap(kek, randomBytes(length), {}), coffer('DATA_LEN_RANGE'));
    }
    for (const length of [16, 24, 32, 64, 1216]) {
      const material = randomBytes(length);
      const wrapped = await aesKeyWrap.wrap(kek, material, {});
      assert.equal(wrapped.length, length + 8);
      assert.deepEqual(await aesKeyWrap.unwrap(kek, wrapped, {}), material);
    }
    await assert.rejects(aesKeyWrap.wrap(kek, Buffer.alloc(MAX_DATA_BYTES + 8), {}), coffer('DATA_LEN_RANGE'));
  });

  test('unwrap refuses any changed byte or another key with ENCRYPTED_DATA_INVALID', async () => {
    const wrapped = await aesKeyWrap.wrap(kek, randomBytes(32), {});
    for (const at of [0, 7, 8, wrapped.length - 1]) {
      await assert.rejects(aesKeyWrap.unwrap(kek, flip(wrapped, at), {}), coffer('ENCRYPTED_DATA_INVALID'));
    }
    await assert.rejects(
      aesKeyWrap.unwrap(createSecretKey(randomBytes(32)), wrapped, {}),
      coffer('ENCRYPTED_DATA_INVALID'),
    );
  });

  test('unwrap refuses wrapped lengths that cannot be (DATA_LEN_RANGE)', async () => {
    for (const length of [0, 8, 16, 23, 25]) {
      await assert.rejects(aesKeyWrap.unwrap(kek, randomBytes(length), {}), coffer('DATA_LEN_RANGE'));
    }
  });
});

describe('AES_KEY_WRAP_PAD (RFC 5649)', () => {
  test('matches RFC 5649 §6 both ways', async () => {
    for (const v of [RFC5649_6_20_OCTETS, RFC5649_6_7_OCTETS]) {
      const k = createSecretKey(hex(v.kek));
      assert.equal((await aesKeyWrapPad.wrap(k, hex(v.keyData), {})).toString('hex'), v.wrapped);
      assert.equal((await aesKeyWrapPad.unwrap(k, hex(v.wrapped), {})).toString('hex'), v.keyData);
    }
  });

  test('round-trips every length 1–40 and a PKCS#8 private key', async () => {
    for (let length = 1; length <= 40; length++) {
      const material = randomBytes(length);
      const wrapped = await aesKeyWrapPad.wrap(kek, material, {});
      assert.equal(wrapped.length, Math.ceil(length / 8) * 8 + 8);
      assert.deepEqual(await aesKeyWrapPad.unwrap(kek, wrapped, {}), material);
    }
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    assert.deepEqual(await aesKeyWrapPad.unwrap(kek, await aesKeyWrapPad.wrap(kek, der, {}), {}), der);
  });

  test('refuses empty material, tampering and impossible lengths', async () => {
    await assert.rejects(aesKeyWrapPad.wrap(kek, Buffer.alloc(0), {}), coffer('DATA_LEN_RANGE'));
    const wrapped = await aesKeyWrapPad.wrap(kek, randomBytes(20), {});
    for (const at of [0, 4, wrapped.length - 1]) {
      await assert.rejects(aesKeyWrapPad.unwrap(kek, flip(wrapped, at), {}), coffer('ENCRYPTED_DATA_INVALID'));
    }
    for (const length of [0, 8, 15, 17]) {
      await assert.rejects(aesKeyWrapPad.unwrap(kek, randomBytes(length), {}), coffer('DATA_LEN_RANGE'));
    }
  });
});

describe('AES key wrap parameters and keys', () => {
  test('take no parameters', async () => {
    for (const mechanism of [aesKeyWrap, aesKeyWrapPad]) {
      for (const params of [{ iv: Buffer.alloc(8) }, { aad: Buffer.alloc(1) }, { hash: 'sha1' as const }]) {
        await assert.rejects(mechanism.wrap(kek, randomBytes(16), params), coffer('MECHANISM_PARAM_INVALID'));
        await assert.rejects(mechanism.unwrap(kek, randomBytes(24), params), coffer('MECHANISM_PARAM_INVALID'));
      }
    }
  });

  test('take only secret AES wrapping keys', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (const mechanism of [aesKeyWrap, aesKeyWrapPad]) {
      assert.deepEqual(mechanism.keyClasses, { wrap: 'secret', unwrap: 'secret' });
      for (const wrong of [createSecretKey(randomBytes(20)), publicKey]) {
        await assert.rejects(mechanism.wrap(wrong, randomBytes(16), {}), coffer('KEY_TYPE_INCONSISTENT'));
        await assert.rejects(mechanism.unwrap(wrong, randomBytes(24), {}), coffer('KEY_TYPE_INCONSISTENT'));
      }
    }
  });
});
