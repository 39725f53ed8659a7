import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { generateEdwardsKeyPair } from '../keys/ec-edwards.js';
import { RFC8032_TEST1 } from '../self-test/eddsa.js';
import { coffer } from '../../../test/support/errors.js';
import type { MechanismParams } from '../types.js';
import { eddsa } from './eddsa.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');

describe('EDDSA (Ed25519, pure)', () => {
  test('signs RFC 8032 §7.1 TEST 1 to its published signature, and verifies it', async () => {
    const v = RFC8032_TEST1;
    const jwk = {
      kty: 'OKP',
      crv: 'Ed25519',
      d: hex(v.seed).toString('base64url'),
      x: hex(v.publicKey).toString('base64url'),
    };
    const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    assert.equal((await eddsa.sign(privateKey, hex(v.message), {})).toString('hex'), v.signature);
    const pub = createPublicKey(privateKey);
    assert.equal(await eddsa.verify(pub, hex(v.message), hex(v.signature), {}), true);
    assert.equal(await eddsa.verify(pub, Buffer.from('x'), hex(v.signature), {}), false);
  });

  test('round-trips with a generated key; node verifies; malformed signatures are false', async () => {
    assert.equal(eddsa.multiPart, 'none');
    const { privateKey, publicKey } = await generateEdwardsKeyPair();
    const data = randomBytes(100);
    const signature = await eddsa.sign(privateKey, data, {});
    assert.equal(verify(null, data, publicKey, signature), true);
    assert.equal(await eddsa.verify(publicKey, data, signature, {}), true);
    for (const bad of [Buffer.alloc(0), Buffer.alloc(64), randomBytes(65)]) {
      assert.equal(await eddsa.verify(publicKey, data, bad, {}), false);
    }
  });

  test('takes no parameters and only Ed25519 keys', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    for (const params of [
      { signatureEncoding: 'der' },
      { hash: 'sha512' },
      { context: Buffer.alloc(1) },
    ] as MechanismParams[]) {
      await assert.rejects(
        eddsa.sign(privateKey, Buffer.alloc(1), params),
        coffer('MECHANISM_PARAM_INVALID', 'takes no'),
      );
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const x25519 = generateKeyPairSync('x25519');
    for (const key of [publicKey, ec.privateKey, x25519.privateKey]) {
      await assert.rejects(eddsa.sign(key, Buffer.alloc(1), {}), coffer('KEY_TYPE_INCONSISTENT', 'Ed25519'));
    }
  });
});
