import assert from 'node:assert/strict';
import { constants, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { HASH_NAMES, HASHES } from '../hash.js';
import { WYCHEPROOF_PKCS1_2048_SHA256_TC3 as TC3 } from '../self-test/rsa-pkcs1.js';
import { coffer } from '../../../test/support/errors.js';
import { withOpenssl } from '../../../test/support/testing-openssl.js';
import type { MechanismParams } from '../types.js';
import { RSA_PKCS1_SIGNATURES } from './rsa-pkcs1-sign.js';
import { RSA_PSS_SIGNATURES } from './rsa-pss.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const data = Buffer.from('message to sign');
const hex = (value: string): Buffer => Buffer.from(value, 'hex');

describe('SHA*_RSA_PKCS (PKCS#1 v1.5 signatures)', () => {
  test('names, key types and multi-part mode', () => {
    assert.deepEqual(
      HASH_NAMES.map((h) => RSA_PKCS1_SIGNATURES[h].name),
      ['SHA1_RSA_PKCS', 'SHA224_RSA_PKCS', 'SHA256_RSA_PKCS', 'SHA384_RSA_PKCS', 'SHA512_RSA_PKCS'],
    );
    for (const m of Object.values(RSA_PKCS1_SIGNATURES)) {
      assert.deepEqual(
        [m.keyTypes, m.multiPart, m.keyClasses],
        [['rsa'], 'accumulate', { sign: 'private', verify: 'public' }],
      );
    }
  });

  test('round-trips for every hash, is deterministic, and verifies with node over the same hash', async () => {
    for (const hash of HASH_NAMES) {
      const m = RSA_PKCS1_SIGNATURES[hash];
      const signature = await m.sign(rsa.privateKey, data, {});
      assert.deepEqual(await m.sign(rsa.privateKey, data, {}), signature);
      assert.equal(await m.verify(rsa.publicKey, data, signature, {}), true);
      assert.equal(verify(hash, data, rsa.publicKey, signature), true);
      const other = RSA_PKCS1_SIGNATURES[hash === 'sha256' ? 'sha384' : 'sha256'];
      assert.equal(await other.verify(rsa.publicKey, data, signature, {}), false, `${hash} is bound to its hash`);
    }
  });

  test('verifies Wycheproof rsa_signature_2048_sha256 tcId 3 and refuses tcId 9 (BER-encoded length)', async () => {
    const key = createPublicKey({ key: hex(TC3.publicKeyDer), format: 'der', type: 'spki' });
    const m = RSA_PKCS1_SIGNATURES.sha256;
    assert.equal(await m.verify(key, hex(TC3.message), hex(TC3.signature), {}), true);
    const tc9 =
      '8a0e82d4f334aca72a718b6f8f643f69c6048d619d5eba71263a5d2d3ac7a7af133b780c7595ca2c982c006e861948f543cd0210c758691f' +
      '9626842c25de2843ea314ca8eff285d47e0cffa54180af416004017034962a80a5959c3d3f1bfc154a4824462a93c014f6dfe920824f414a' +
      '6e30e0e5944d480b99949ec7bf64c4a7461575933b17d7d6b0178b5192392ace3ed8469e8ac1dacae51ad5d3ad73dcb213e056d04596e64d' +
      '8c0703def3110c7cecc93ba8ac8059f0f3d66b89d8712c62b41d407e4b4a104f4569558b0290c213cad6d0653898b9df8f4a453ab07d13bf' +
      'b7598d505abbd0c4987e4f1ac66e1a523e113e370ab7cf990f0cc63f50f4f0a4';
    assert.equal(await m.verify(key, Buffer.from('123400'), hex(tc9), {}), false);
  });

  test('a signature verifies with the openssl CLI', async () => {
    const signature = await RSA_PKCS1_SIGNATURES.sha384.sign(rsa.privateKey, data, {});
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const out = withOpenssl({ 'pub.pem': pem, 'data.bin': data, 'sig.bin': signature }, [
      'dgst',
      '-sha384',
      '-verify',
      'pub.pem',
      '-signature',
      'sig.bin',
      'data.bin',
    ]);
    assert.match(out.toString(), /Verified OK/);
  });

  test('refuses every parameter and wrong keys', async () => {
    const m = RSA_PKCS1_SIGNATURES.sha256;
    const bad: MechanismParams[] = [
      { saltLength: 32 },
      { signatureEncoding: 'der' },
      { hash: 'sha256' },
      { iv: Buffer.alloc(16) },
    ];
    for (const params of bad) {
      await assert.rejects(m.sign(rsa.privateKey, data, params), coffer('MECHANISM_PARAM_INVALID', 'takes no'));
      await assert.rejects(m.verify(rsa.publicKey, data, Buffer.alloc(256), params), coffer('MECHANISM_PARAM_INVALID'));
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (const key of [rsa.publicKey, ec.privateKey, createSecretKey(randomBytes(32))]) {
      await assert.rejects(m.sign(key, data, {}), coffer('KEY_TYPE_INCONSISTENT', 'private RSA'));
    }
    await assert.rejects(m.verify(ec.publicKey, data, Buffer.alloc(256), {}), coffer('KEY_TYPE_INCONSISTENT'));
  });
});

describe('SHA*_RSA_PKCS_PSS', () => {
  test('round-trips for every hash with the default salt (the hash length), MGF1 with the same hash', async () => {
    for (const hash of HASH_NAMES) {
      const m = RSA_PSS_SIGNATURES[hash];
      assert.equal(m.name, `${HASHES[hash].pkcs11}_RSA_PKCS_PSS`);
      const signature = await m.sign(rsa.privateKey, data, {});
      assert.equal(await m.verify(rsa.publicKey, data, signature, {}), true);
      assert.equal(await m.verify(rsa.publicKey, data, signature, { saltLength: HASHES[hash].bytes }), true);
      const nodeOptions = {
        key: rsa.publicKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: HASHES[hash].bytes,
      };
      assert.equal(verify(hash, data, nodeOptions, signature), true);
    }
  });

  test('verifies with the openssl CLI (MGF1 and salt as PKCS#11 says)', async () => {
    const signature = await RSA_PSS_SIGNATURES.sha512.sign(rsa.privateKey, data, {});
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const out = withOpenssl({ 'pub.pem': pem, 'data.bin': data, 'sig.bin': signature }, [
      'dgst',
      '-sha512',
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:64',
      '-sigopt',
      'rsa_mgf1_md:sha512',
      '-verify',
      'pub.pem',
      '-signature',
      'sig.bin',
      'data.bin',
    ]);
    assert.match(out.toString(), /Verified OK/);
  });

  test('the salt bound depends on the hash: 256 − 64 − 2 = 190 for SHA-512 on RSA-2048', async () => {
    const m = RSA_PSS_SIGNATURES.sha512;
    const signature = await m.sign(rsa.privateKey, data, { saltLength: 190 });
    assert.equal(await m.verify(rsa.publicKey, data, signature, { saltLength: 190 }), true);
    await assert.rejects(
      m.sign(rsa.privateKey, data, { saltLength: 191 }),
      coffer('MECHANISM_PARAM_INVALID', '0 to 190'),
    );
    await assert.rejects(
      m.sign(rsa.privateKey, data, { hash: 'sha1' }),
      coffer('MECHANISM_PARAM_INVALID', 'takes no hash'),
    );
  });

  test('a signature is the modulus’ length: one with a leading zero byte does not verify without it', async () => {
    // OpenSSL's PSS verification reads a shorter signature as the same number.
    const m = RSA_PSS_SIGNATURES.sha256;
    let message: Buffer;
    let signature: Buffer;
    do {
      message = randomBytes(16);
      signature = await m.sign(rsa.privateKey, message, {});
    } while (signature[0] !== 0);
    assert.equal(await m.verify(rsa.publicKey, message, signature, {}), true);
    assert.equal(await m.verify(rsa.publicKey, message, signature.subarray(1), {}), false);
  });
});
