import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import { HASH_NAMES, HASHES } from '../hash.js';
import { EC_CURVE_NAMES, EC_CURVES, generateEcKeyPair } from '../keys/ec.js';
import { RFC6979_P256_SHA256_SAMPLE } from '../self-test/ecdsa.js';
import { RFC6979_P384_SHA384_SAMPLE } from '../self-test/ecdsa-p384.js';
import { coffer } from '../../../test/support/errors.js';
import { withOpenssl } from '../../../test/support/testing-openssl.js';
import type { GeneratedKeyPair, MechanismParams } from '../types.js';
import { ECDSA_SIGNATURES } from './ecdsa-hash.js';
import { ecdsaRaw } from './ecdsa-raw.js';

const data = Buffer.from('message to sign');
const sha = (hash: string, message: Buffer): Buffer => createHash(hash).update(message).digest();

function publicKey(crv: string, x: string, y: string): KeyObject {
  const b64 = (value: string): string => Buffer.from(value, 'hex').toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv, x: b64(x), y: b64(y) }, format: 'jwk' });
}

const pairs: Record<string, GeneratedKeyPair> = {};
for (const curve of EC_CURVE_NAMES) pairs[curve] = await generateEcKeyPair(curve);

describe('ECDSA_SHA1 … ECDSA_SHA512', () => {
  test('every hash on every curve round-trips in both encodings and verifies with node', async () => {
    for (const hash of HASH_NAMES) {
      const m = ECDSA_SIGNATURES[hash];
      assert.equal(m.name, `ECDSA_${HASHES[hash].pkcs11}`);
      assert.equal(m.multiPart, 'accumulate');
      for (const curve of EC_CURVE_NAMES) {
        const { privateKey, publicKey: pub } = pairs[curve]!;
        const p1363 = await m.sign(privateKey, data, {});
        assert.equal(await m.verify(pub, data, p1363, {}), true, `${hash} ${curve}`);
        assert.equal(verify(hash, data, { key: pub, dsaEncoding: 'ieee-p1363' }, p1363), true);
        const der = await m.sign(privateKey, data, { signatureEncoding: 'der' });
        assert.equal(await m.verify(pub, data, der, { signatureEncoding: 'der' }), true);
        assert.equal(await m.verify(pub, data, der, {}), false, 'a DER signature read as r‖s');
      }
    }
  });

  test('a DER signature verifies with the openssl CLI', async () => {
    const { privateKey, publicKey: pub } = pairs.secp521r1!;
    const signature = await ECDSA_SIGNATURES.sha512.sign(privateKey, data, { signatureEncoding: 'der' });
    const out = withOpenssl(
      { 'pub.pem': pub.export({ type: 'spki', format: 'pem' }), 'data.bin': data, 'sig.der': signature },
      ['dgst', '-sha512', '-verify', 'pub.pem', '-signature', 'sig.der', 'data.bin'],
    );
    assert.match(out.toString(), /Verified OK/);
  });

  test('verifies RFC 6979 A.2.6 (P-384, SHA-384) and refuses it under ECDSA_SHA256', async () => {
    const v = RFC6979_P384_SHA384_SAMPLE;
    const key = publicKey('P-384', v.x, v.y);
    const signature = Buffer.from(v.signature, 'hex');
    assert.equal(await ECDSA_SIGNATURES.sha384.verify(key, Buffer.from('sample'), signature, {}), true);
    assert.equal(await ECDSA_SIGNATURES.sha256.verify(key, Buffer.from('sample'), signature, {}), false);
  });

  test('refuses hash and RSA params', async () => {
    const { privateKey } = pairs.secp256r1!;
    for (const params of [{ hash: 'sha256' }, { saltLength: 1 }, { oaepLabel: Buffer.alloc(1) }] as MechanismParams[]) {
      await assert.rejects(
        ECDSA_SIGNATURES.sha1.sign(privateKey, data, params),
        coffer('MECHANISM_PARAM_INVALID', 'takes no'),
      );
    }
  });
});

describe('ECDSA (CKM_ECDSA: the input is a digest)', () => {
  const P256 = RFC6979_P256_SHA256_SAMPLE;
  const sample = Buffer.from('sample');

  test('is single-part and verifies RFC 6979 signatures from their digests', async () => {
    assert.equal(ecdsaRaw.multiPart, 'none');
    const p256 = publicKey('P-256', P256.x, P256.y);
    const p384 = publicKey('P-384', RFC6979_P384_SHA384_SAMPLE.x, RFC6979_P384_SHA384_SAMPLE.y);
    assert.equal(await ecdsaRaw.verify(p256, sha('sha256', sample), Buffer.from(P256.signature, 'hex'), {}), true);
    const p384Sig = Buffer.from(RFC6979_P384_SHA384_SAMPLE.signature, 'hex');
    assert.equal(await ecdsaRaw.verify(p384, sha('sha384', sample), p384Sig, {}), true);
    // RFC 6979 A.2.5, SHA-512 on P-256: a digest longer than the order, truncated to its leftmost 256 bits.
    const sha512Sig =
      '8496a60b5e9b47c825488827e0495b0e3fa109ec4568fd3f8d1097678eb97f00' +
      '2362ab1adbe2b8adf9cb9edab740ea6049c028114f2460f96554f61fae3302fe';
    assert.equal(await ecdsaRaw.verify(p256, sha('sha512', sample), Buffer.from(sha512Sig, 'hex'), {}), true);
    // RFC 6979 A.2.6, SHA-256 on P-384: a digest shorter than the order, used as it is.
    const sha256Sig =
      '21b13d1e013c7fa1392d03c5f99af8b30c570c6f98d4ea8e354b63a21d3daa33bde1e888e63355d92fa2b3c36d8fb2cd' +
      'f3aa443fb107745bf4bd77cb3891674632068a10ca67e3d45db2266fa7d1feebefdc63eccd1ac42ec0cb8668a4fa0ab0';
    assert.equal(await ecdsaRaw.verify(p384, sha('sha256', sample), Buffer.from(sha256Sig, 'hex'), {}), true);
    assert.equal(await ecdsaRaw.verify(p384, sha('sha384', sample), Buffer.from(sha256Sig, 'hex'), {}), false);
  });

  test('signs on every curve; node verifies it over the data, and it verifies node signatures', async () => {
    for (const curve of EC_CURVE_NAMES) {
      const { privateKey, publicKey: pub } = pairs[curve]!;
      for (const hash of ['sha256', 'sha512'] as const) {
        const signature = await ecdsaRaw.sign(privateKey, sha(hash, data), {});
        assert.equal(verify(hash, data, { key: pub, dsaEncoding: 'ieee-p1363' }, signature), true, `${curve} ${hash}`);
        assert.equal(await ecdsaRaw.verify(pub, sha(hash, data), signature, {}), true);
        const fromNode = await ECDSA_SIGNATURES[hash].sign(privateKey, data, { signatureEncoding: 'der' });
        assert.equal(await ecdsaRaw.verify(pub, sha(hash, data), fromNode, { signatureEncoding: 'der' }), true);
      }
    }
  });

  test('a DER signature of a raw digest verifies with openssl pkeyutl', async () => {
    const { privateKey, publicKey: pub } = pairs.secp384r1!;
    const digest = sha('sha384', data);
    const signature = await ecdsaRaw.sign(privateKey, digest, { signatureEncoding: 'der' });
    const out = withOpenssl(
      { 'pub.pem': pub.export({ type: 'spki', format: 'pem' }), 'digest.bin': digest, 'sig.der': signature },
      ['pkeyutl', '-verify', '-pubin', '-inkey', 'pub.pem', '-in', 'digest.bin', '-sigfile', 'sig.der'],
    );
    assert.match(out.toString(), /Signature Verified Successfully/);
  });

  test('returns false, never throws, for a tampered or malformed signature', async () => {
    const { privateKey, publicKey: pub } = pairs.secp256k1!;
    const digest = sha('sha256', data);
    const signature = await ecdsaRaw.sign(privateKey, digest, {});
    const tampered = Buffer.from(signature);
    tampered[5] = tampered[5]! ^ 1;
    for (const bad of [tampered, Buffer.alloc(0), randomBytes(63), Buffer.alloc(64), randomBytes(70)]) {
      assert.equal(await ecdsaRaw.verify(pub, digest, bad, {}), false);
      assert.equal(await ecdsaRaw.verify(pub, digest, bad, { signatureEncoding: 'der' }), false);
    }
    assert.equal(await ecdsaRaw.verify(pub, sha('sha256', Buffer.from('other')), signature, {}), false);
  });

  test('DER verification is strict: trailing bytes, a long-form length or a padded INTEGER is refused', async () => {
    const { privateKey, publicKey: pub } = pairs.secp256r1!;
    const digest = sha('sha256', data);
    const der = await ecdsaRaw.sign(privateKey, digest, { signatureEncoding: 'der' });
    const params = { signatureEncoding: 'der' } as const;
    assert.equal(await ecdsaRaw.verify(pub, digest, der, params), true);
    assert.equal(der[0], 0x30);
    const body = der.subarray(2);
    const longForm = Buffer.concat([Buffer.from([0x30, 0x81, body.length]), body]);
    // r as INTEGER with one more leading zero byte than DER allows.
    const rLength = body[1]!;
    const r = body.subarray(2, 2 + rLength);
    const rest = body.subarray(2 + rLength);
    const paddedR = Buffer.concat([Buffer.from([0x02, rLength + 1, 0x00]), r, rest]);
    const padded = Buffer.concat([Buffer.from([0x30, paddedR.length]), paddedR]);
    for (const bad of [Buffer.concat([der, Buffer.alloc(1)]), longForm, padded]) {
      assert.equal(verify('sha256', data, pub, bad), false, 'node refuses it too');
      assert.equal(await ecdsaRaw.verify(pub, digest, bad, params), false);
    }
  });

  test('verifies high-S signatures (s and n − s both verify, as OpenSSL has it) and with the private key', async () => {
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'); // P-256's order
    const { privateKey, publicKey: pub } = pairs.secp256r1!;
    const digest = sha('sha256', data);
    const signature = await ecdsaRaw.sign(privateKey, digest, {});
    const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
    const flipped = Buffer.concat([
      signature.subarray(0, 32),
      Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'),
    ]);
    assert.equal(await ecdsaRaw.verify(pub, digest, flipped, {}), true);
    assert.equal(await ecdsaRaw.verify(privateKey, digest, signature, {}), true);
    const rIsN = Buffer.concat([Buffer.from(n.toString(16), 'hex'), signature.subarray(32)]);
    assert.equal(await ecdsaRaw.verify(pub, digest, rIsN, {}), false, 'r = n is out of range');
  });

  test('signs concurrently on the pool: 32 signatures at once all verify with node', async () => {
    const { privateKey, publicKey: pub } = pairs.secp384r1!;
    const messages = Array.from({ length: 32 }, (_, i) => Buffer.from(`message ${i}`));
    const signatures = await Promise.all(messages.map((m) => ecdsaRaw.sign(privateKey, sha('sha384', m), {})));
    signatures.forEach((signature, i) => {
      assert.equal(verify('sha384', messages[i]!, { key: pub, dsaEncoding: 'ieee-p1363' }, signature), true);
    });
  });

  test('refuses an empty or over-long digest, params it does not take, and wrong keys', async () => {
    const { privateKey, publicKey: pub } = pairs.secp256r1!;
    for (const digest of [Buffer.alloc(0), Buffer.alloc(65)]) {
      await assert.rejects(ecdsaRaw.sign(privateKey, digest, {}), coffer('DATA_LEN_RANGE', '1 to 64'));
      await assert.rejects(ecdsaRaw.verify(pub, digest, Buffer.alloc(64), {}), coffer('DATA_LEN_RANGE'));
    }
    const digest = sha('sha256', data);
    await assert.rejects(ecdsaRaw.sign(privateKey, digest, { hash: 'sha256' }), coffer('MECHANISM_PARAM_INVALID'));
    const raw = { signatureEncoding: 'raw' } as unknown as MechanismParams;
    await assert.rejects(ecdsaRaw.sign(privateKey, digest, raw), coffer('MECHANISM_PARAM_INVALID', 'p1363 or der'));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ed = generateKeyPairSync('ed25519');
    for (const key of [pub, rsa.privateKey, ed.privateKey]) {
      await assert.rejects(ecdsaRaw.sign(key, digest, {}), coffer('KEY_TYPE_INCONSISTENT'));
    }
    const p224 = generateKeyPairSync('ec', { namedCurve: 'secp224r1' });
    await assert.rejects(ecdsaRaw.sign(p224.privateKey, digest, {}), coffer('KEY_TYPE_INCONSISTENT', 'curve'));
    assert.equal(Object.keys(EC_CURVES).length, 4);
  });
});
