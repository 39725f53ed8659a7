import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { GCM_SPEC_TC16 } from '../self-test/aes.js';
import { ODD_CHUNKINGS, runChunked } from '../../../test/support/stream-testing.js';
import { coffer } from '../../../test/support/errors.js';
import { aesGcm } from './aes-gcm.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');
const key = createSecretKey(randomBytes(32));

describe('AES_GCM begin()', () => {
  test('matches GCM specification test case 16 in every chunking, both ways', () => {
    const v = GCM_SPEC_TC16;
    const k = createSecretKey(hex(v.key));
    const params = { iv: hex(v.iv), aad: hex(v.aad) };
    for (const sizes of ODD_CHUNKINGS) {
      const encrypt = aesGcm.begin!(k, 'encrypt', params);
      assert.deepEqual(encrypt.iv, params.iv);
      assert.equal(runChunked(encrypt, hex(v.plaintext), sizes).toString('hex'), v.ciphertext + v.tag);
      const decrypt = aesGcm.begin!(k, 'decrypt', params);
      assert.equal(runChunked(decrypt, hex(v.ciphertext + v.tag), sizes).toString('hex'), v.plaintext);
    }
  });

  test('encrypt outputs ciphertext as it comes and the tag at final; decrypt holds everything until the tag verifies', () => {
    const iv = randomBytes(12);
    const plaintext = randomBytes(50);
    const encrypt = aesGcm.begin!(key, 'encrypt', { iv });
    assert.equal(encrypt.update(plaintext.subarray(0, 20)).length, 20);
    assert.equal(encrypt.update(plaintext.subarray(20)).length, 30);
    const tag = encrypt.final();
    assert.equal(tag.length, 16);
    const whole = runChunked(aesGcm.begin!(key, 'encrypt', { iv }), plaintext, [50]);
    assert.deepEqual(whole.subarray(50), tag);
    const decrypt = aesGcm.begin!(key, 'decrypt', { iv });
    assert.equal(decrypt.update(whole.subarray(0, 40)).length, 0);
    assert.equal(decrypt.update(whole.subarray(40)).length, 0);
    assert.deepEqual(decrypt.final(), plaintext);
  });

  test('equals single-part for every length and chunking, with each tag length', async () => {
    for (const tagLengthBits of [96, 128]) {
      for (const length of [0, 1, 11, 12, 13, 16, 33]) {
        const plaintext = randomBytes(length);
        const aad = randomBytes(5);
        const { output, iv } = await aesGcm.encrypt(key, plaintext, { aad, tagLengthBits });
        for (const sizes of ODD_CHUNKINGS) {
          assert.deepEqual(
            runChunked(aesGcm.begin!(key, 'encrypt', { iv, aad, tagLengthBits }), plaintext, sizes),
            output,
          );
          assert.deepEqual(
            runChunked(aesGcm.begin!(key, 'decrypt', { iv, aad, tagLengthBits }), output, sizes),
            plaintext,
          );
        }
      }
    }
  });

  test('makes a fresh 12-byte IV for encryption when none is given, and needs one to decrypt', () => {
    const a = aesGcm.begin!(key, 'encrypt', {});
    const b = aesGcm.begin!(key, 'encrypt', {});
    assert.equal(a.iv?.length, 12);
    assert.notDeepEqual(a.iv, b.iv);
    assert.throws(() => aesGcm.begin!(key, 'decrypt', {}), coffer('MECHANISM_PARAM_INVALID'));
  });

  test('refuses a tampered ciphertext or tag, or input shorter than the tag, at final', async () => {
    const iv = randomBytes(12);
    const { output } = await aesGcm.encrypt(key, randomBytes(40), { iv });
    for (const at of [0, 39, 40, output.length - 1]) {
      const tampered = Buffer.from(output);
      tampered[at] = tampered[at]! ^ 1;
      const stream = aesGcm.begin!(key, 'decrypt', { iv });
      assert.equal(stream.update(tampered).length, 0, 'no unauthenticated plaintext leaves');
      assert.throws(() => stream.final(), coffer('ENCRYPTED_DATA_INVALID'));
    }
    const short = aesGcm.begin!(key, 'decrypt', { iv });
    short.update(output.subarray(0, 15));
    assert.throws(() => short.final(), coffer('ENCRYPTED_DATA_INVALID', 'shorter than the tag'));
  });

  test('refuses parameters AES_GCM does not take, on every path', async () => {
    const iv = randomBytes(12);
    for (const extra of [{ counterBits: 32 }, { hash: 'sha1' as const }, { salt: Buffer.alloc(1) }]) {
      assert.throws(
        () => aesGcm.begin!(key, 'encrypt', { iv, ...extra }),
        coffer('MECHANISM_PARAM_INVALID', 'AES_GCM'),
      );
      await assert.rejects(aesGcm.encrypt(key, Buffer.alloc(1), { iv, ...extra }), coffer('MECHANISM_PARAM_INVALID'));
      await assert.rejects(aesGcm.decrypt(key, Buffer.alloc(16), { iv, ...extra }), coffer('MECHANISM_PARAM_INVALID'));
    }
    assert.equal(aesGcm.authenticated, true);
  });

  test('refuses a key that is not a secret AES key', () => {
    assert.throws(
      () => aesGcm.begin!(createSecretKey(randomBytes(20)), 'encrypt', {}),
      coffer('KEY_TYPE_INCONSISTENT'),
    );
  });
});
