import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { RFC4493_EXAMPLE1, RFC4493_EXAMPLE2, RFC4493_EXAMPLE3, RFC4493_EXAMPLE4 } from '../self-test/aes-cmac.js';
import { ODD_CHUNKINGS, runChunked } from '../../../test/support/stream-testing.js';
import { coffer } from '../../../test/support/errors.js';
import { aesCmac } from './aes-cmac.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');

/** RFC 4493 §4 Examples 1–4 (AES-128); NIST SP 800-38B Appendix D.3 Examples 9 and 10 (AES-256). */
const VECTORS = [
  RFC4493_EXAMPLE1,
  RFC4493_EXAMPLE2,
  RFC4493_EXAMPLE3,
  RFC4493_EXAMPLE4,
  {
    key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
    message: '',
    mac: '028962f61b7bf89efc6b551f4667d983',
  },
  {
    key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
    message: '6bc1bee22e409f96e93d7e117393172a',
    mac: '28a7023f452e8f82bd4bf28d8c37c35c',
  },
];

const key = createSecretKey(randomBytes(32));

describe('AES_CMAC', () => {
  test('matches RFC 4493 and SP 800-38B, single-part and in every chunking', async () => {
    for (const v of VECTORS) {
      const k = createSecretKey(hex(v.key));
      assert.equal((await aesCmac.sign(k, hex(v.message), {})).toString('hex'), v.mac);
      assert.equal(await aesCmac.verify(k, hex(v.message), hex(v.mac), {}), true);
      for (const sizes of ODD_CHUNKINGS) {
        const stream = aesCmac.begin!(k, {});
        assert.equal(runChunked(stream, hex(v.message), sizes).toString('hex'), v.mac);
      }
    }
  });

  test('multi-part equals single-part for lengths around block boundaries', async () => {
    for (const length of [0, 1, 15, 16, 17, 31, 32, 33, 100]) {
      const data = randomBytes(length);
      const mac = await aesCmac.sign(key, data, {});
      for (const sizes of ODD_CHUNKINGS) assert.deepEqual(runChunked(aesCmac.begin!(key, {}), data, sizes), mac);
    }
  });

  test('verify is false for a changed message, a changed MAC, or a MAC of another length', async () => {
    const data = randomBytes(40);
    const mac = await aesCmac.sign(key, data, {});
    const changed = Buffer.from(mac);
    changed[15] = changed[15]! ^ 1;
    assert.equal(await aesCmac.verify(key, Buffer.concat([data, Buffer.alloc(1)]), mac, {}), false);
    assert.equal(await aesCmac.verify(key, data, changed, {}), false);
    assert.equal(await aesCmac.verify(key, data, mac.subarray(0, 8), {}), false);
    assert.equal(await aesCmac.verify(key, data, Buffer.alloc(0), {}), false);
    assert.equal(await aesCmac.verify(createSecretKey(randomBytes(32)), data, mac, {}), false);
  });

  test('zeroes the exported key bytes once noble has them', async () => {
    const raw = randomBytes(16);
    const spied = createSecretKey(raw);
    let exported: Buffer | undefined;
    const real = spied.export.bind(spied);
    Object.defineProperty(spied, 'export', { value: () => (exported = real()) });
    const mac = await aesCmac.sign(spied, Buffer.from('abc'), {});
    assert.ok(exported, 'the key was exported');
    assert.ok(
      exported.every((byte) => byte === 0),
      'the exported bytes were zeroed',
    );
    assert.deepEqual(await aesCmac.sign(createSecretKey(raw), Buffer.from('abc'), {}), mac);
  });

  test('takes no parameters and only secret AES keys', async () => {
    for (const params of [{ iv: randomBytes(16) }, { tagLengthBits: 64 }, { hash: 'sha256' as const }]) {
      await assert.rejects(aesCmac.sign(key, Buffer.alloc(1), params), coffer('MECHANISM_PARAM_INVALID'));
      assert.throws(() => aesCmac.begin!(key, params), coffer('MECHANISM_PARAM_INVALID'));
    }
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (const wrong of [createSecretKey(randomBytes(20)), privateKey]) {
      await assert.rejects(aesCmac.sign(wrong, Buffer.alloc(1), {}), coffer('KEY_TYPE_INCONSISTENT'));
      await assert.rejects(
        aesCmac.verify(wrong, Buffer.alloc(1), Buffer.alloc(16), {}),
        coffer('KEY_TYPE_INCONSISTENT'),
      );
      assert.throws(() => aesCmac.begin!(wrong, {}), coffer('KEY_TYPE_INCONSISTENT'));
    }
    assert.equal(aesCmac.multiPart, 'stream');
    assert.deepEqual(aesCmac.keyClasses, { sign: 'secret', verify: 'secret' });
  });
});
