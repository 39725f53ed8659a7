import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { SP800_38A_F55_CTR_AES256 } from '../self-test/aes-modes.js';
import { ODD_CHUNKINGS, runChunked } from '../../../test/support/stream-testing.js';
import { coffer } from '../../../test/support/errors.js';
import { aesCtr } from './aes-ctr.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');

/** NIST SP 800-38A F.5.1 (CTR-AES128.Encrypt) and F.5.5 (CTR-AES256.Encrypt). */
const VECTORS = [
  {
    name: 'F.5.1',
    key: '2b7e151628aed2a6abf7158809cf4f3c',
    iv: SP800_38A_F55_CTR_AES256.iv,
    plaintext: SP800_38A_F55_CTR_AES256.plaintext,
    ciphertext:
      '874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff' +
      '5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee',
  },
  { name: 'F.5.5', ...SP800_38A_F55_CTR_AES256 },
];

const key = createSecretKey(randomBytes(32));

describe('AES_CTR', () => {
  test('matches SP 800-38A F.5.1 and F.5.5, single-part and multi-part, both ways', async () => {
    for (const v of VECTORS) {
      const k = createSecretKey(hex(v.key));
      const params = { iv: hex(v.iv) };
      assert.equal((await aesCtr.encrypt(k, hex(v.plaintext), params)).output.toString('hex'), v.ciphertext, v.name);
      assert.equal((await aesCtr.decrypt(k, hex(v.ciphertext), params)).toString('hex'), v.plaintext);
      for (const sizes of ODD_CHUNKINGS) {
        assert.equal(
          runChunked(aesCtr.begin!(k, 'encrypt', params), hex(v.plaintext), sizes).toString('hex'),
          v.ciphertext,
        );
        assert.equal(
          runChunked(aesCtr.begin!(k, 'decrypt', params), hex(v.ciphertext), sizes).toString('hex'),
          v.plaintext,
        );
      }
    }
  });

  test('takes any length and returns the IV it used', async () => {
    const iv = randomBytes(16);
    for (const length of [0, 1, 15, 17, 100]) {
      const plaintext = randomBytes(length);
      const { output, iv: used } = await aesCtr.encrypt(key, plaintext, { iv });
      assert.equal(output.length, length);
      assert.deepEqual(used, iv);
      assert.deepEqual(await aesCtr.decrypt(key, output, { iv }), plaintext);
    }
  });

  test('a smaller counter gives the same keystream while it does not wrap', async () => {
    const iv = hex('000102030405060708090a0b0c0d0e00');
    const data = randomBytes(16 * 200);
    const full = await aesCtr.encrypt(key, data, { iv });
    assert.deepEqual((await aesCtr.encrypt(key, data, { iv, counterBits: 8 })).output, full.output);
  });

  test('refuses input that would wrap the counter, single-part and multi-part', async () => {
    // counterBits 8 with the low byte at 0xfe: two blocks remain (0xfe, 0xff).
    const params = { iv: hex('00000000000000000000000000000' + '0fe'), counterBits: 8 };
    assert.equal((await aesCtr.encrypt(key, randomBytes(32), params)).output.length, 32);
    await assert.rejects(aesCtr.encrypt(key, randomBytes(33), params), coffer('DATA_LEN_RANGE', 'wrap'));
    const stream = aesCtr.begin!(key, 'encrypt', params);
    assert.equal(stream.update(randomBytes(31)).length, 31);
    assert.equal(stream.update(randomBytes(1)).length, 1);
    assert.throws(() => stream.update(randomBytes(1)), coffer('DATA_LEN_RANGE', 'wrap'));
    // The full 128-bit counter at its last value: one block remains.
    const last = { iv: Buffer.alloc(16, 0xff) };
    assert.equal((await aesCtr.encrypt(key, randomBytes(16), last)).output.length, 16);
    await assert.rejects(aesCtr.decrypt(key, randomBytes(17), last), coffer('DATA_LEN_RANGE'));
    // counterBits 1 counts two blocks from an even counter.
    await assert.rejects(
      aesCtr.encrypt(key, randomBytes(33), { iv: Buffer.alloc(16), counterBits: 1 }),
      coffer('DATA_LEN_RANGE'),
    );
  });

  test('makes a fresh counter block on encrypt when none is given: random nonce, counter from zero', async () => {
    const plaintext = randomBytes(70);
    const seen = new Set<string>();
    for (let round = 0; round < 200; round += 1) {
      const { output, iv } = await aesCtr.encrypt(key, plaintext, {});
      assert.equal(iv?.length, 16);
      assert.equal(iv!.readUInt32BE(12), 0, 'the low 32 bits count from zero');
      seen.add(iv!.toString('hex'));
      if (round === 0) assert.deepEqual(await aesCtr.decrypt(key, output, { iv: iv! }), plaintext);
    }
    assert.equal(seen.size, 200, 'no counter block repeats');
    const small = await aesCtr.encrypt(key, Buffer.alloc(16 * 256), { counterBits: 8 });
    assert.equal(small.iv![15], 0, 'a smaller counter field is zeroed whole, so it has all its room');
    const stream = aesCtr.begin!(key, 'encrypt', {});
    assert.equal(stream.iv?.length, 16);
  });

  test('refuses a missing or wrong-length IV on decrypt, a bad counterBits and other parameters', async () => {
    await assert.rejects(aesCtr.decrypt(key, Buffer.alloc(16), {}), coffer('MECHANISM_PARAM_INVALID', 'iv'));
    assert.throws(() => aesCtr.begin!(key, 'decrypt', {}), coffer('MECHANISM_PARAM_INVALID', 'iv'));
    for (const params of [{ iv: Buffer.alloc(12) }, { iv: Buffer.alloc(16), counterBits: 0 }, { counterBits: 0 }]) {
      await assert.rejects(aesCtr.encrypt(key, Buffer.alloc(16), params), coffer('MECHANISM_PARAM_INVALID'));
    }
    for (const counterBits of [0, 129, 1.5, Number.NaN]) {
      assert.throws(
        () => aesCtr.begin!(key, 'encrypt', { iv: Buffer.alloc(16), counterBits }),
        coffer('MECHANISM_PARAM_INVALID'),
      );
    }
    await assert.rejects(
      aesCtr.encrypt(key, Buffer.alloc(16), { iv: Buffer.alloc(16), aad: Buffer.alloc(1) }),
      coffer('MECHANISM_PARAM_INVALID'),
    );
  });

  test('refuses keys that are not secret AES keys', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (const wrong of [createSecretKey(randomBytes(64)), privateKey]) {
      await assert.rejects(
        aesCtr.encrypt(wrong, Buffer.alloc(16), { iv: Buffer.alloc(16) }),
        coffer('KEY_TYPE_INCONSISTENT'),
      );
    }
  });
});
