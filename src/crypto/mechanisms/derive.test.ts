import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { EC_CURVE_NAMES, generateEcKeyPair } from '../keys/ec.js';
import { kdfCounterHmac, sp800108FixedInput } from '../kdf/sp800-108.js';
import { x963Kdf } from '../kdf/x963.js';
import { RFC5869_TC1 } from '../self-test/hkdf.js';
import { coffer } from '../../../test/support/errors.js';
import type { MechanismParams } from '../types.js';
import { ecdh1Derive } from './ecdh1-derive.js';
import { hkdfDerive } from './hkdf-derive.js';
import { sp800108CounterKdf } from './sp800-108-counter-kdf.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');
const spki = (key: { export(o: { type: 'spki'; format: 'der' }): Buffer }): Buffer =>
  key.export({ type: 'spki', format: 'der' });

describe('ECDH1_DERIVE', () => {
  test('both sides derive the same secret on every curve, with every KDF, peer as SPKI or point', async () => {
    for (const curve of EC_CURVE_NAMES) {
      const a = await generateEcKeyPair(curve);
      const b = await generateEcKeyPair(curve);
      const point = (key: typeof a.publicKey): Buffer => {
        const jwk = key.export({ format: 'jwk' });
        return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
      };
      const kdfs: MechanismParams[] = [
        { kdf: 'null' },
        {},
        { kdf: 'x963', hash: 'sha384', sharedInfo: Buffer.from('info') },
        { kdf: 'hkdf', hash: 'sha256', salt: Buffer.from('salt'), info: Buffer.from('ctx') },
      ];
      for (const params of kdfs) {
        const ab = await ecdh1Derive.derive(a.privateKey, { ...params, publicKey: spki(b.publicKey) }, 32);
        const ba = await ecdh1Derive.derive(b.privateKey, { ...params, publicKey: point(a.publicKey) }, 32);
        assert.deepEqual(ab, ba, `${curve} ${String(params.kdf)}`);
      }
      const zBytes = { secp256r1: 32, secp384r1: 48, secp521r1: 66, secp256k1: 32 }[curve];
      const z = await ecdh1Derive.derive(a.privateKey, { publicKey: spki(b.publicKey) }, zBytes);
      const viaX963 = await ecdh1Derive.derive(
        a.privateKey,
        { publicKey: spki(b.publicKey), kdf: 'x963', hash: 'sha256' },
        64,
      );
      assert.deepEqual(
        viaX963,
        x963Kdf('sha256', z, Buffer.alloc(0), 64),
        `x963 is computed over the whole Z (${curve})`,
      );
    }
  });

  test('null KDF gives at most |Z| bytes; any KDF at most 800', async () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const b = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const publicKey = spki(b.publicKey);
    assert.equal((await ecdh1Derive.derive(a.privateKey, { publicKey }, 16)).length, 16);
    await assert.rejects(ecdh1Derive.derive(a.privateKey, { publicKey }, 33), coffer('KEY_SIZE_RANGE', '1 to 32'));
    assert.equal((await ecdh1Derive.derive(a.privateKey, { publicKey, kdf: 'hkdf' }, 800)).length, 800);
    for (const length of [0, 801, 1.5]) {
      await assert.rejects(
        ecdh1Derive.derive(a.privateKey, { publicKey, kdf: 'x963' }, length),
        coffer('KEY_SIZE_RANGE'),
      );
    }
  });

  test('refuses a missing, malformed, off-curve or other-curve peer key', async () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const other = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const offCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(32, 1), Buffer.alloc(32, 2)]);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const publicKey of [
      undefined,
      Buffer.alloc(0),
      randomBytes(65),
      offCurve,
      spki(other.publicKey),
      spki(rsa.publicKey),
    ]) {
      await assert.rejects(ecdh1Derive.derive(a.privateKey, { publicKey }, 32), coffer('MECHANISM_PARAM_INVALID'));
    }
  });

  test('refuses params that do not belong to the chosen KDF, an unknown KDF, and wrong keys', async () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const publicKey = spki(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
    const bad: MechanismParams[] = [
      { publicKey, hash: 'sha256' },
      { publicKey, kdf: 'null', sharedInfo: Buffer.alloc(1) },
      { publicKey, kdf: 'x963', salt: Buffer.alloc(1) },
      { publicKey, kdf: 'hkdf', sharedInfo: Buffer.alloc(1) },
      { publicKey, iv: Buffer.alloc(12) },
      { publicKey, kdf: 'sha1' } as unknown as MechanismParams,
    ];
    for (const params of bad) {
      await assert.rejects(ecdh1Derive.derive(a.privateKey, params, 32), coffer('MECHANISM_PARAM_INVALID'));
    }
    await assert.rejects(ecdh1Derive.derive(a.publicKey, { publicKey }, 32), coffer('KEY_TYPE_INCONSISTENT'));
    await assert.rejects(
      ecdh1Derive.derive(createSecretKey(randomBytes(32)), { publicKey }, 32),
      coffer('KEY_TYPE_INCONSISTENT'),
    );
  });
});

describe('HKDF_DERIVE', () => {
  test('matches RFC 5869 A.1 (Test Case 1) from a generic-secret base key', async () => {
    const v = RFC5869_TC1;
    const okm = await hkdfDerive.derive(
      createSecretKey(hex(v.ikm)),
      { hash: 'sha256', salt: hex(v.salt), info: hex(v.info) },
      v.length,
    );
    assert.equal(okm.toString('hex'), v.okm);
    assert.deepEqual(
      await hkdfDerive.derive(createSecretKey(hex(v.ikm)), { salt: hex(v.salt), info: hex(v.info) }, v.length),
      okm,
    );
  });

  test('refuses other params, lengths outside 1–800, and asymmetric keys', async () => {
    const key = createSecretKey(randomBytes(32));
    for (const params of [
      { label: Buffer.alloc(1) },
      { publicKey: Buffer.alloc(1) },
      { kdf: 'hkdf' },
    ] as MechanismParams[]) {
      await assert.rejects(hkdfDerive.derive(key, params, 32), coffer('MECHANISM_PARAM_INVALID', 'takes no'));
    }
    await assert.rejects(hkdfDerive.derive(key, { info: Buffer.alloc(1025) }, 32), coffer('MECHANISM_PARAM_INVALID'));
    for (const length of [0, 801]) await assert.rejects(hkdfDerive.derive(key, {}, length), coffer('KEY_SIZE_RANGE'));
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await assert.rejects(hkdfDerive.derive(ec.privateKey, {}, 32), coffer('KEY_TYPE_INCONSISTENT'));
  });
});

describe('SP800_108_COUNTER_KDF', () => {
  test('is the counter KDF over Label ‖ 0x00 ‖ Context ‖ [L]32, SHA-256 by default', async () => {
    const key = createSecretKey(randomBytes(32));
    const label = Buffer.from('label');
    const context = Buffer.from('context');
    const out = await sp800108CounterKdf.derive(key, { label, context }, 48);
    assert.deepEqual(out, kdfCounterHmac('sha256', key, sp800108FixedInput(label, context, 48), 48));
    const sha512 = await sp800108CounterKdf.derive(key, { label, context, hash: 'sha512' }, 48);
    assert.notDeepEqual(sha512, out);
    const shorter = await sp800108CounterKdf.derive(key, { label, context }, 32);
    assert.notDeepEqual(shorter, out.subarray(0, 32), 'L is bound into every block');
  });

  test('refuses other params, lengths outside 1–800, and asymmetric keys', async () => {
    const key = createSecretKey(randomBytes(32));
    for (const params of [
      { salt: Buffer.alloc(1) },
      { info: Buffer.alloc(1) },
      { sharedInfo: Buffer.alloc(1) },
    ] as MechanismParams[]) {
      await assert.rejects(sp800108CounterKdf.derive(key, params, 32), coffer('MECHANISM_PARAM_INVALID', 'takes no'));
    }
    for (const length of [0, 801])
      await assert.rejects(sp800108CounterKdf.derive(key, {}, length), coffer('KEY_SIZE_RANGE'));
    assert.equal((await sp800108CounterKdf.derive(key, {}, 800)).length, 800);
    const ed = generateKeyPairSync('ed25519');
    await assert.rejects(sp800108CounterKdf.derive(ed.privateKey, {}, 32), coffer('KEY_TYPE_INCONSISTENT'));
  });
});
