import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { SP800_38A_F15_ECB_AES256 } from '../self-test/aes-modes.js';
import { ODD_CHUNKINGS, runChunked } from '../../../test/support/stream-testing.js';
import { coffer } from '../../../test/support/errors.js';
import { aesEcb } from './aes-ecb.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');

/** NIST SP 800-38A F.1.1 (ECB-AES128.Encrypt) and F.1.5 (ECB-AES256.Encrypt). */
const VECTORS = [
  {
    name: 'F.1.1',
    key: '2b7e151628aed2a6abf7158809cf4f3c',
    plaintext: SP800_38A_F15_ECB_AES256.plaintext,
    ciphertext:
      '3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf' +
      '43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4',
  },
  { name: 'F.1.5', ...SP800_38A_F15_ECB_AES256 },
];

const key = createSecretKey(randomBytes(16));

describe('AES_ECB', () => {
  test('matches SP 800-38A F.1.1 and F.1.5, single-part and multi-part, both ways', async () => {
    for (const v of VECTORS) {
      const k = createSecretKey(hex(v.key));
      const { output, iv } = await aesEcb.encrypt(k, hex(v.plaintext), {});
      assert.equal(output.toString('hex'), v.ciphertext, v.name);
      assert.equal(iv, undefined);
      assert.equal((await aesEcb.decrypt(k, hex(v.ciphertext), {})).toString('hex'), v.plaintext);
      for (const sizes of ODD_CHUNKINGS) {
        assert.equal(
          runChunked(aesEcb.begin!(k, 'encrypt', {}), hex(v.plaintext), sizes).toString('hex'),
          v.ciphertext,
        );
        assert.equal(
          runChunked(aesEcb.begin!(k, 'decrypt', {}), hex(v.ciphertext), sizes).toString('hex'),
          v.plaintext,
        );
      }
    }
  });

  test('refuses input that is not whole blocks', async () => {
    for (const length of [1, 15, 17]) {
      await assert.rejects(aesEcb.encrypt(key, randomBytes(length), {}), coffer('DATA_LEN_RANGE'));
      await assert.rejects(aesEcb.decrypt(key, randomBytes(length), {}), coffer('DATA_LEN_RANGE'));
      const stream = aesEcb.begin!(key, 'decrypt', {});
      stream.update(randomBytes(length));
      assert.throws(() => stream.final(), coffer('DATA_LEN_RANGE'));
    }
  });

  test('takes no parameters at all, not even an IV', async () => {
    for (const params of [{ iv: randomBytes(16) }, { aad: Buffer.alloc(0) }, { counterBits: 128 }]) {
      await assert.rejects(aesEcb.encrypt(key, Buffer.alloc(16), params), coffer('MECHANISM_PARAM_INVALID'));
      assert.throws(() => aesEcb.begin!(key, 'encrypt', params), coffer('MECHANISM_PARAM_INVALID'));
    }
  });

  test('refuses keys that are not secret AES keys', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (const wrong of [createSecretKey(randomBytes(15)), publicKey]) {
      await assert.rejects(aesEcb.encrypt(wrong, Buffer.alloc(16), {}), coffer('KEY_TYPE_INCONSISTENT'));
      assert.throws(() => aesEcb.begin!(wrong, 'decrypt', {}), coffer('KEY_TYPE_INCONSISTENT'));
    }
  });
});
