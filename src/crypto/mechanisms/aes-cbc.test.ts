import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { MAX_DATA_BYTES } from '../limits.js';
import { SP800_38A_F25_CBC_AES256 } from '../self-test/aes-modes.js';
import { ODD_CHUNKINGS, runChunked } from '../../../test/support/stream-testing.js';
import { coffer } from '../../../test/support/errors.js';
import { aesCbc, aesCbcPad } from './aes-cbc.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');

/** NIST SP 800-38A F.2.1 (CBC-AES128.Encrypt) and F.2.5 (CBC-AES256.Encrypt). */
const VECTORS = [
  {
    name: 'F.2.1',
    key: '2b7e151628aed2a6abf7158809cf4f3c',
    iv: '000102030405060708090a0b0c0d0e0f',
    plaintext: SP800_38A_F25_CBC_AES256.plaintext,
    ciphertext:
      '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2' +
      '73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7',
  },
  { name: 'F.2.5', ...SP800_38A_F25_CBC_AES256 },
];

const key = createSecretKey(randomBytes(32));
const iv = randomBytes(16);

describe('AES_CBC', () => {
  test('matches SP 800-38A F.2.1 and F.2.5, single-part and multi-part, both ways', async () => {
    for (const v of VECTORS) {
      const k = createSecretKey(hex(v.key));
      const params = { iv: hex(v.iv) };
      const { output, iv: used } = await aesCbc.encrypt(k, hex(v.plaintext), params);
      assert.equal(output.toString('hex'), v.ciphertext, v.name);
      assert.deepEqual(used, params.iv);
      assert.equal((await aesCbc.decrypt(k, hex(v.ciphertext), params)).toString('hex'), v.plaintext, v.name);
      for (const sizes of ODD_CHUNKINGS) {
        assert.equal(
          runChunked(aesCbc.begin!(k, 'encrypt', params), hex(v.plaintext), sizes).toString('hex'),
          v.ciphertext,
        );
        assert.equal(
          runChunked(aesCbc.begin!(k, 'decrypt', params), hex(v.ciphertext), sizes).toString('hex'),
          v.plaintext,
        );
      }
    }
  });

  test('refuses input that is not whole blocks, single-part and at final', async () => {
    for (const length of [1, 15, 17, 31]) {
      await assert.rejects(aesCbc.encrypt(key, randomBytes(length), { iv }), coffer('DATA_LEN_RANGE'));
      await assert.rejects(aesCbc.decrypt(key, randomBytes(length), { iv }), coffer('DATA_LEN_RANGE'));
      const stream = aesCbc.begin!(key, 'encrypt', { iv });
      stream.update(randomBytes(length));
      assert.throws(() => stream.final(), coffer('DATA_LEN_RANGE'));
    }
    assert.equal((await aesCbc.encrypt(key, Buffer.alloc(0), { iv })).output.length, 0);
  });

  test('refuses input over the single-part limit', async () => {
    await assert.rejects(aesCbc.encrypt(key, Buffer.alloc(MAX_DATA_BYTES + 16), { iv }), coffer('DATA_LEN_RANGE'));
  });
});

describe('AES_CBC_PAD', () => {
  test('is CBC over the PKCS#7-padded input: F.2.5 plus one block of sixteen 0x10', async () => {
    const v = SP800_38A_F25_CBC_AES256;
    const k = createSecretKey(hex(v.key));
    const params = { iv: hex(v.iv) };
    const { output } = await aesCbcPad.encrypt(k, hex(v.plaintext), params);
    assert.equal(output.length, 80);
    assert.equal(output.subarray(0, 64).toString('hex'), v.ciphertext);
    const unpadded = await aesCbc.decrypt(k, output, params);
    assert.equal(unpadded.toString('hex'), v.plaintext + '10'.repeat(16));
  });

  test('round-trips every length 0–40, single-part and chunked alike', async () => {
    for (let length = 0; length <= 40; length++) {
      const plaintext = randomBytes(length);
      const { output } = await aesCbcPad.encrypt(key, plaintext, { iv });
      assert.equal(output.length, (Math.floor(length / 16) + 1) * 16);
      assert.deepEqual(await aesCbcPad.decrypt(key, output, { iv }), plaintext);
      for (const sizes of ODD_CHUNKINGS) {
        assert.deepEqual(runChunked(aesCbcPad.begin!(key, 'encrypt', { iv }), plaintext, sizes), output);
        assert.deepEqual(runChunked(aesCbcPad.begin!(key, 'decrypt', { iv }), output, sizes), plaintext);
      }
    }
  });

  test('refuses bad padding with ENCRYPTED_DATA_INVALID, single-part and at final', async () => {
    // Last plaintext bytes …00 (zero pad), …11 (pad longer than a block), …01 02 (inconsistent).
    for (const tail of ['00', '11', '0102', '10'.repeat(15) + '0f']) {
      const forged = Buffer.concat([randomBytes(32 - tail.length / 2), hex(tail)]);
      const ciphertext = (await aesCbc.encrypt(key, forged, { iv })).output;
      await assert.rejects(aesCbcPad.decrypt(key, ciphertext, { iv }), coffer('ENCRYPTED_DATA_INVALID'));
      const stream = aesCbcPad.begin!(key, 'decrypt', { iv });
      stream.update(ciphertext);
      assert.throws(() => stream.final(), coffer('ENCRYPTED_DATA_INVALID'));
    }
  });

  test('refuses ciphertext that is empty or not whole blocks with DATA_LEN_RANGE', async () => {
    for (const length of [0, 15, 17]) {
      await assert.rejects(aesCbcPad.decrypt(key, randomBytes(length), { iv }), coffer('DATA_LEN_RANGE'));
    }
    await assert.rejects(aesCbcPad.encrypt(key, Buffer.alloc(MAX_DATA_BYTES + 1), { iv }), coffer('DATA_LEN_RANGE'));
  });

  test('takes ciphertext of the largest plaintext (one padding block over the limit)', async () => {
    const { output } = await aesCbcPad.encrypt(key, Buffer.alloc(MAX_DATA_BYTES), { iv });
    assert.equal((await aesCbcPad.decrypt(key, output, { iv })).length, MAX_DATA_BYTES);
  });
});

describe('AES_CBC and AES_CBC_PAD parameters and keys', () => {
  test('require a 16-byte IV and never make one', async () => {
    for (const mechanism of [aesCbc, aesCbcPad]) {
      for (const bad of [undefined, Buffer.alloc(12), Buffer.alloc(17)]) {
        await assert.rejects(mechanism.encrypt(key, Buffer.alloc(16), { iv: bad }), coffer('MECHANISM_PARAM_INVALID'));
        await assert.rejects(mechanism.decrypt(key, Buffer.alloc(16), { iv: bad }), coffer('MECHANISM_PARAM_INVALID'));
        assert.throws(() => mechanism.begin!(key, 'encrypt', { iv: bad }), coffer('MECHANISM_PARAM_INVALID'));
      }
    }
  });

  test('refuse every parameter but the IV', async () => {
    const extras = [{ aad: Buffer.alloc(1) }, { tagLengthBits: 128 }, { counterBits: 32 }, { hash: 'sha256' as const }];
    for (const mechanism of [aesCbc, aesCbcPad]) {
      for (const extra of extras) {
        await assert.rejects(
          mechanism.encrypt(key, Buffer.alloc(16), { iv, ...extra }),
          coffer('MECHANISM_PARAM_INVALID'),
        );
        assert.throws(() => mechanism.begin!(key, 'decrypt', { iv, ...extra }), coffer('MECHANISM_PARAM_INVALID'));
      }
    }
  });

  test('refuse keys that are not secret AES keys', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (const mechanism of [aesCbc, aesCbcPad]) {
      for (const wrong of [createSecretKey(randomBytes(20)), privateKey]) {
        await assert.rejects(mechanism.encrypt(wrong, Buffer.alloc(16), { iv }), coffer('KEY_TYPE_INCONSISTENT'));
        await assert.rejects(mechanism.decrypt(wrong, Buffer.alloc(16), { iv }), coffer('KEY_TYPE_INCONSISTENT'));
        assert.throws(() => mechanism.begin!(wrong, 'encrypt', { iv }), coffer('KEY_TYPE_INCONSISTENT'));
      }
      assert.equal(mechanism.authenticated, false);
      assert.deepEqual(mechanism.keyTypes, ['aes']);
    }
  });
});
