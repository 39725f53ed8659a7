import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { MAX_AAD_BYTES, MAX_DATA_BYTES } from '../limits.js';
import { GCM_SPEC_TC16 } from '../self-test/aes.js';
import { coffer } from '../../../test/support/errors.js';
import { aesGcm } from './aes-gcm.js';

const key32 = createSecretKey(randomBytes(32));
const flip = (buf: Buffer, at: number): Buffer => {
  const copy = Buffer.from(buf);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
};

describe('AES_GCM', () => {
  test('round-trips with each AES key length, with and without AAD', async () => {
    for (const size of [16, 24, 32]) {
      const key = createSecretKey(randomBytes(size));
      for (const aad of [undefined, Buffer.from('record/path|kind|v1')]) {
        const plaintext = randomBytes(100);
        const { output, iv } = await aesGcm.encrypt(key, plaintext, { aad });
        assert.equal(output.length, plaintext.length + 16);
        assert.deepEqual(await aesGcm.decrypt(key, output, { iv, aad }), plaintext);
      }
    }
  });

  test('round-trips an empty plaintext and each allowed tag length', async () => {
    for (const tagLengthBits of [96, 104, 112, 120, 128]) {
      const { output, iv } = await aesGcm.encrypt(key32, Buffer.alloc(0), { tagLengthBits });
      assert.equal(output.length, tagLengthBits / 8);
      assert.equal((await aesGcm.decrypt(key32, output, { iv, tagLengthBits })).length, 0);
    }
  });

  test('makes a fresh random 12-byte IV when none is given, and uses the one given', async () => {
    const a = await aesGcm.encrypt(key32, Buffer.from('x'), {});
    const b = await aesGcm.encrypt(key32, Buffer.from('x'), {});
    assert.equal(a.iv?.length, 12);
    assert.notDeepEqual(a.iv, b.iv);
    const iv = randomBytes(12);
    assert.deepEqual((await aesGcm.encrypt(key32, Buffer.from('x'), { iv })).iv, iv);
  });

  test('matches the GCM specification test case 16 (ciphertext‖tag)', async () => {
    const v = GCM_SPEC_TC16;
    const key = createSecretKey(Buffer.from(v.key, 'hex'));
    const params = { iv: Buffer.from(v.iv, 'hex'), aad: Buffer.from(v.aad, 'hex') };
    const { output } = await aesGcm.encrypt(key, Buffer.from(v.plaintext, 'hex'), params);
    assert.equal(output.toString('hex'), v.ciphertext + v.tag);
  });

  test('refuses tampered ciphertext, tag, AAD or IV with ENCRYPTED_DATA_INVALID', async () => {
    const aad = Buffer.from('aad');
    const { output, iv } = await aesGcm.encrypt(key32, randomBytes(40), { aad });
    assert.ok(iv, 'AES-GCM returns the IV it made');
    await assert.rejects(aesGcm.decrypt(key32, flip(output, 0), { iv, aad }), coffer('ENCRYPTED_DATA_INVALID'));
    await assert.rejects(
      aesGcm.decrypt(key32, flip(output, output.length - 1), { iv, aad }),
      coffer('ENCRYPTED_DATA_INVALID'),
    );
    await assert.rejects(
      aesGcm.decrypt(key32, output, { iv, aad: Buffer.from('aae') }),
      coffer('ENCRYPTED_DATA_INVALID'),
    );
    await assert.rejects(aesGcm.decrypt(key32, output, { iv: flip(iv, 3), aad }), coffer('ENCRYPTED_DATA_INVALID'));
    await assert.rejects(
      aesGcm.decrypt(createSecretKey(randomBytes(32)), output, { iv, aad }),
      coffer('ENCRYPTED_DATA_INVALID'),
    );
  });

  test('refuses input shorter than the tag, or a tag length other than the one used', async () => {
    const iv = randomBytes(12);
    await assert.rejects(aesGcm.decrypt(key32, Buffer.alloc(15), { iv }), coffer('ENCRYPTED_DATA_INVALID'));
    const { output } = await aesGcm.encrypt(key32, Buffer.from('data'), { iv, tagLengthBits: 96 });
    await assert.rejects(aesGcm.decrypt(key32, output, { iv }), coffer('ENCRYPTED_DATA_INVALID'));
  });

  test('refuses a bad IV with MECHANISM_PARAM_INVALID, and a missing one on decrypt', async () => {
    for (const iv of [Buffer.alloc(0), Buffer.alloc(8), Buffer.alloc(16)]) {
      await assert.rejects(aesGcm.encrypt(key32, Buffer.from('x'), { iv }), coffer('MECHANISM_PARAM_INVALID', 'iv'));
    }
    await assert.rejects(aesGcm.decrypt(key32, Buffer.alloc(32), {}), coffer('MECHANISM_PARAM_INVALID', 'iv'));
  });

  test('refuses a bad tag length with MECHANISM_PARAM_INVALID', async () => {
    for (const tagLengthBits of [0, 64, 88, 100, 136, 120.5]) {
      await assert.rejects(
        aesGcm.encrypt(key32, Buffer.from('x'), { tagLengthBits }),
        coffer('MECHANISM_PARAM_INVALID', 'tag'),
      );
    }
  });

  test('accepts 64 KiB of AAD and refuses more', async () => {
    await aesGcm.encrypt(key32, Buffer.from('x'), { aad: Buffer.alloc(MAX_AAD_BYTES) });
    const aad = Buffer.alloc(MAX_AAD_BYTES + 1);
    await assert.rejects(aesGcm.encrypt(key32, Buffer.from('x'), { aad }), coffer('MECHANISM_PARAM_INVALID', 'aad'));
  });

  test('accepts 512 KiB of plaintext and refuses more with DATA_LEN_RANGE', async () => {
    const { output, iv } = await aesGcm.encrypt(key32, Buffer.alloc(MAX_DATA_BYTES), {});
    assert.equal((await aesGcm.decrypt(key32, output, { iv })).length, MAX_DATA_BYTES);
    await assert.rejects(aesGcm.encrypt(key32, Buffer.alloc(MAX_DATA_BYTES + 1), {}), coffer('DATA_LEN_RANGE'));
    await assert.rejects(aesGcm.decrypt(key32, Buffer.alloc(MAX_DATA_BYTES + 17), { iv }), coffer('DATA_LEN_RANGE'));
  });

  test('refuses a key that is not a secret AES key with KEY_TYPE_INCONSISTENT', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (const key of [ec.privateKey, ec.publicKey, createSecretKey(randomBytes(20))]) {
      await assert.rejects(aesGcm.encrypt(key, Buffer.from('x'), {}), coffer('KEY_TYPE_INCONSISTENT'));
      await assert.rejects(
        aesGcm.decrypt(key, Buffer.alloc(32), { iv: randomBytes(12) }),
        coffer('KEY_TYPE_INCONSISTENT'),
      );
    }
  });
});
