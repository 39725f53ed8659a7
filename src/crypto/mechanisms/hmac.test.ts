import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { MAX_DATA_BYTES } from '../limits.js';
import { ODD_CHUNKINGS, runChunked } from '../../../test/support/stream-testing.js';
import { coffer } from '../../../test/support/errors.js';
import type { SignatureMechanism } from '../types.js';
import { HMAC_MECHANISMS, sha1Hmac, sha224Hmac, sha256Hmac, sha384Hmac, sha512Hmac } from './hmac.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');
const HI_THERE = Buffer.from('Hi There').toString('hex');
const JEFE = { key: '4a656665', data: Buffer.from('what do ya want for nothing?').toString('hex') };
/** RFC 4231 Test Case 6: a 131-byte key, longer than the block, so it is hashed first. */
const LONG_KEY = {
  key: 'aa'.repeat(131),
  data: Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First').toString('hex'),
};

interface Vector {
  readonly source: string;
  readonly mechanism: SignatureMechanism;
  readonly key: string;
  readonly data: string;
  readonly mac: string;
}

const VECTORS: readonly Vector[] = [
  {
    source: 'RFC 2202 TC1',
    mechanism: sha1Hmac,
    key: '0b'.repeat(20),
    data: HI_THERE,
    mac: 'b617318655057264e28bc0b6fb378c8ef146be00',
  },
  { source: 'RFC 2202 TC2', mechanism: sha1Hmac, ...JEFE, mac: 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79' },
  {
    source: 'RFC 4231 TC1',
    mechanism: sha224Hmac,
    key: '0b'.repeat(20),
    data: HI_THERE,
    mac: '896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22',
  },
  {
    source: 'RFC 4231 TC2',
    mechanism: sha224Hmac,
    ...JEFE,
    mac: 'a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44',
  },
  {
    source: 'RFC 4231 TC1',
    mechanism: sha256Hmac,
    key: '0b'.repeat(20),
    data: HI_THERE,
    mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  },
  {
    source: 'RFC 4231 TC2',
    mechanism: sha256Hmac,
    ...JEFE,
    mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  },
  {
    source: 'RFC 4231 TC6',
    mechanism: sha256Hmac,
    ...LONG_KEY,
    mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    source: 'RFC 4231 TC1',
    mechanism: sha384Hmac,
    key: '0b'.repeat(20),
    data: HI_THERE,
    mac: 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6',
  },
  {
    source: 'RFC 4231 TC2',
    mechanism: sha384Hmac,
    ...JEFE,
    mac: 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
  },
  {
    source: 'RFC 4231 TC1',
    mechanism: sha512Hmac,
    key: '0b'.repeat(20),
    data: HI_THERE,
    mac:
      '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde' +
      'daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
  },
  {
    source: 'RFC 4231 TC2',
    mechanism: sha512Hmac,
    ...JEFE,
    mac:
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554' +
      '9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
  },
];

const key = createSecretKey(randomBytes(32));

describe('SHA*_HMAC', () => {
  test('match RFC 2202 and RFC 4231, single-part and in every chunking', async () => {
    for (const v of VECTORS) {
      const k = createSecretKey(hex(v.key));
      const what = `${v.mechanism.name} ${v.source}`;
      assert.equal((await v.mechanism.sign(k, hex(v.data), {})).toString('hex'), v.mac, what);
      assert.equal(await v.mechanism.verify(k, hex(v.data), hex(v.mac), {}), true, what);
      for (const sizes of ODD_CHUNKINGS) {
        assert.equal(runChunked(v.mechanism.begin!(k, {}), hex(v.data), sizes).toString('hex'), v.mac, what);
      }
    }
  });

  test('multi-part equals single-part and updates output nothing', async () => {
    for (const mechanism of HMAC_MECHANISMS) {
      const data = randomBytes(300);
      const mac = await mechanism.sign(key, data, {});
      const stream = mechanism.begin!(key, {});
      assert.equal(stream.update(data.subarray(0, 100)).length, 0);
      assert.equal(stream.update(data.subarray(100)).length, 0);
      assert.deepEqual(stream.final(), mac);
      for (const sizes of ODD_CHUNKINGS) assert.deepEqual(runChunked(mechanism.begin!(key, {}), data, sizes), mac);
    }
  });

  test('verify is false for a changed message or MAC, a truncated MAC, or another key', async () => {
    for (const mechanism of HMAC_MECHANISMS) {
      const data = randomBytes(20);
      const mac = await mechanism.sign(key, data, {});
      const changed = Buffer.from(mac);
      changed[0] = changed[0]! ^ 0x80;
      assert.equal(await mechanism.verify(key, data, changed, {}), false);
      assert.equal(await mechanism.verify(key, randomBytes(20), mac, {}), false);
      assert.equal(await mechanism.verify(key, data, mac.subarray(0, mac.length - 1), {}), false);
      assert.equal(await mechanism.verify(key, data, Buffer.concat([mac, Buffer.alloc(1)]), {}), false);
      assert.equal(await mechanism.verify(createSecretKey(randomBytes(32)), data, mac, {}), false);
    }
  });

  test('take generic secret keys of 1–800 bytes only', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (const mechanism of HMAC_MECHANISMS) {
      assert.deepEqual(mechanism.keyTypes, ['generic-secret']);
      assert.equal((await mechanism.sign(createSecretKey(randomBytes(1)), Buffer.from('x'), {})).length > 0, true);
      assert.equal((await mechanism.sign(createSecretKey(randomBytes(800)), Buffer.from('x'), {})).length > 0, true);
      for (const wrong of [createSecretKey(randomBytes(801)), privateKey]) {
        await assert.rejects(mechanism.sign(wrong, Buffer.from('x'), {}), coffer('KEY_TYPE_INCONSISTENT'));
        await assert.rejects(
          mechanism.verify(wrong, Buffer.from('x'), Buffer.alloc(20), {}),
          coffer('KEY_TYPE_INCONSISTENT'),
        );
        assert.throws(() => mechanism.begin!(wrong, {}), coffer('KEY_TYPE_INCONSISTENT'));
      }
    }
  });

  test('take no parameters, and refuse over-limit input', async () => {
    for (const mechanism of HMAC_MECHANISMS) {
      for (const params of [{ hash: 'sha256' as const }, { iv: Buffer.alloc(16) }, { saltLength: 0 }]) {
        await assert.rejects(mechanism.sign(key, Buffer.from('x'), params), coffer('MECHANISM_PARAM_INVALID'));
        assert.throws(() => mechanism.begin!(key, params), coffer('MECHANISM_PARAM_INVALID'));
      }
      await assert.rejects(mechanism.sign(key, Buffer.alloc(MAX_DATA_BYTES + 1), {}), coffer('DATA_LEN_RANGE'));
      assert.throws(() => mechanism.begin!(key, {}).update(Buffer.alloc(MAX_DATA_BYTES + 1)), coffer('DATA_LEN_RANGE'));
    }
  });
});
