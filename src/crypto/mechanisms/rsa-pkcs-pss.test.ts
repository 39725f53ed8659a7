import assert from 'node:assert/strict';
import { constants, createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { HASH_NAMES, HASHES } from '../hash.js';
import { WYCHEPROOF_PSS_2048_SHA256_TC3 as TC3 } from '../self-test/rsa-pss.js';
import { coffer } from '../../../test/support/errors.js';
import { withOpenssl } from '../../../test/support/testing-openssl.js';
import type { HashName, MechanismParams } from '../types.js';
import { rsaPkcsPss } from './rsa-pkcs-pss.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const data = Buffer.from('message to sign');
const sha = (hash: HashName, message: Buffer): Buffer => createHash(hash).update(message).digest();
const pss = (saltLength: number) => ({ key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });

describe('RSA_PKCS_PSS (CKM_RSA_PKCS_PSS: PSS over the caller’s digest)', () => {
  test('is single-part, for RSA keys: private to sign, public to verify', () => {
    assert.deepEqual(
      [rsaPkcsPss.name, rsaPkcsPss.kind, rsaPkcsPss.keyTypes, rsaPkcsPss.multiPart, rsaPkcsPss.keyClasses],
      ['RSA_PKCS_PSS', 'signature', ['rsa'], 'none', { sign: 'private', verify: 'public' }],
    );
  });

  test('for every hash, a signature of hash(m) verifies with node over m, and is bound to its salt length', async () => {
    for (const hash of HASH_NAMES) {
      const saltLength = HASHES[hash].bytes;
      const signature = await rsaPkcsPss.sign(rsa.privateKey, sha(hash, data), { hash, saltLength });
      assert.equal(signature.length, 256);
      assert.equal(verify(hash, data, pss(saltLength), signature), true, hash);
      assert.equal(verify(hash, data, pss(saltLength - 1), signature), false, `${hash}: another salt length`);
      assert.equal(await rsaPkcsPss.verify(rsa.publicKey, sha(hash, data), signature, { hash }), true);
      assert.equal(await rsaPkcsPss.verify(rsa.privateKey, sha(hash, data), signature, { hash }), true);
      assert.equal(await rsaPkcsPss.verify(rsa.publicKey, sha(hash, data), signature, { hash, saltLength: 0 }), false);
    }
  });

  test('verifies what node signs over the message, salt 0 included (then it is deterministic)', async () => {
    for (const saltLength of [0, 20, 32, 222]) {
      const fromNode = sign('sha256', data, {
        key: rsa.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength,
      });
      const params = { hash: 'sha256', saltLength } as const;
      assert.equal(
        await rsaPkcsPss.verify(rsa.publicKey, sha('sha256', data), fromNode, params),
        true,
        `${saltLength}`,
      );
    }
    const once = await rsaPkcsPss.sign(rsa.privateKey, sha('sha256', data), { hash: 'sha256', saltLength: 0 });
    const twice = await rsaPkcsPss.sign(rsa.privateKey, sha('sha256', data), { hash: 'sha256', saltLength: 0 });
    assert.deepEqual(once, twice);
    const salted = await rsaPkcsPss.sign(rsa.privateKey, sha('sha256', data), { hash: 'sha256' });
    const again = await rsaPkcsPss.sign(rsa.privateKey, sha('sha256', data), { hash: 'sha256' });
    assert.notDeepEqual(salted, again, 'a fresh salt each time');
  });

  test('verifies Wycheproof rsa_pss_2048_sha256_mgf1_32 tcId 3 from its digest, and refuses it altered', async () => {
    const key = createPublicKey({ key: Buffer.from(TC3.publicKeyDer, 'hex'), format: 'der', type: 'spki' });
    const digest = sha('sha256', Buffer.from(TC3.message, 'hex'));
    const signature = Buffer.from(TC3.signature, 'hex');
    const params = { hash: 'sha256', saltLength: TC3.saltLength } as const;
    assert.equal(await rsaPkcsPss.verify(key, digest, signature, params), true);
    for (const at of [0, 100, 255]) {
      const altered = Buffer.from(signature);
      altered[at]! ^= 0x01;
      assert.equal(await rsaPkcsPss.verify(key, digest, altered, params), false, `byte ${at}`);
    }
    const otherDigest = Buffer.from(digest);
    otherDigest[31]! ^= 0x80;
    assert.equal(await rsaPkcsPss.verify(key, otherDigest, signature, params), false);
    assert.equal(await rsaPkcsPss.verify(key, digest, signature, { ...params, mgf1Hash: 'sha1' }), false);
  });

  test('MGF1 over another hash than the digest’s: openssl pkeyutl verifies it with the same choices', async () => {
    const digest = sha('sha384', data);
    const params = { hash: 'sha384', mgf1Hash: 'sha1', saltLength: 48 } as const;
    const signature = await rsaPkcsPss.sign(rsa.privateKey, digest, params);
    assert.equal(await rsaPkcsPss.verify(rsa.publicKey, digest, signature, params), true);
    assert.equal(await rsaPkcsPss.verify(rsa.publicKey, digest, signature, { hash: 'sha384', saltLength: 48 }), false);
    const pkeyopt = (mgf1: string): string[] =>
      ['rsa_padding_mode:pss', 'rsa_pss_saltlen:48', `rsa_mgf1_md:${mgf1}`, 'digest:sha384'].flatMap((option) => [
        '-pkeyopt',
        option,
      ]);
    const files = {
      'pub.pem': rsa.publicKey.export({ type: 'spki', format: 'pem' }),
      'd.bin': digest,
      's.bin': signature,
    };
    const args = ['pkeyutl', '-verify', '-pubin', '-inkey', 'pub.pem', '-in', 'd.bin', '-sigfile', 's.bin'];
    assert.match(withOpenssl(files, [...args, ...pkeyopt('sha1')]).toString(), /Signature Verified Successfully/);
    assert.throws(() => withOpenssl(files, [...args, ...pkeyopt('sha384')]));
  });

  test('the largest salt for the key signs; one byte more is refused', async () => {
    const rsa3072 = generateKeyPairSync('rsa', { modulusLength: 3072 });
    const max = 384 - 64 - 2;
    const digest = sha('sha512', data);
    const signature = await rsaPkcsPss.sign(rsa3072.privateKey, digest, { hash: 'sha512', saltLength: max });
    const options = { key: rsa3072.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: max };
    assert.equal(verify('sha512', data, options, signature), true);
    await assert.rejects(
      rsaPkcsPss.sign(rsa3072.privateKey, digest, { hash: 'sha512', saltLength: max + 1 }),
      coffer('MECHANISM_PARAM_INVALID', `0 to ${max}`),
    );
  });

  test('refuses a digest of the wrong length for its hash, on sign and verify', async () => {
    for (const [hash, length] of [
      ['sha256', 31],
      ['sha256', 48],
      ['sha1', 32],
      ['sha512', 0],
    ] as const) {
      const digest = randomBytes(length);
      await assert.rejects(rsaPkcsPss.sign(rsa.privateKey, digest, { hash }), coffer('DATA_LEN_RANGE', hash));
      await assert.rejects(
        rsaPkcsPss.verify(rsa.publicKey, digest, randomBytes(256), { hash }),
        coffer('DATA_LEN_RANGE'),
      );
    }
  });

  test('refuses missing or unknown hashes, bad salt lengths and parameters it does not take', async () => {
    const digest = sha('sha256', data);
    const bad = [
      [{}, 'needs hash'],
      [{ saltLength: 32 }, 'needs hash'],
      [{ hash: 'md5' }, 'hash is'],
      [{ hash: 'sha256', mgf1Hash: 'md5' }, 'mgf1Hash is'],
      [{ hash: 'sha256', saltLength: -1 }, 'saltLength'],
      [{ hash: 'sha256', saltLength: 1.5 }, 'saltLength'],
      [{ hash: 'sha256', saltLength: 223 }, 'saltLength is 0 to 222'],
      [{ hash: 'sha256', signatureEncoding: 'der' }, 'takes no signatureEncoding'],
      [{ hash: 'sha256', oaepLabel: Buffer.alloc(1) }, 'takes no oaepLabel'],
    ] as unknown as [MechanismParams, string][];
    for (const [params, detail] of bad) {
      await assert.rejects(rsaPkcsPss.sign(rsa.privateKey, digest, params), coffer('MECHANISM_PARAM_INVALID', detail));
      await assert.rejects(
        rsaPkcsPss.verify(rsa.publicKey, digest, randomBytes(256), params),
        coffer('MECHANISM_PARAM_INVALID', detail),
      );
    }
  });

  test('refuses keys that are not RSA, and a public key to sign', async () => {
    const digest = sha('sha256', data);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const key of [rsa.publicKey, ec.privateKey, generateKeyPairSync('ed25519').privateKey]) {
      await assert.rejects(rsaPkcsPss.sign(key, digest, { hash: 'sha256' }), coffer('KEY_TYPE_INCONSISTENT'));
    }
    await assert.rejects(
      rsaPkcsPss.verify(ec.publicKey, digest, randomBytes(64), { hash: 'sha256' }),
      coffer('KEY_TYPE_INCONSISTENT'),
    );
  });

  test('returns false, never throws, for a malformed signature', async () => {
    const digest = sha('sha256', data);
    const params = { hash: 'sha256' } as const;
    const signature = await rsaPkcsPss.sign(rsa.privateKey, digest, params);
    const tooLarge = Buffer.alloc(256, 0xff); // ≥ the modulus
    for (const bad of [Buffer.alloc(0), signature.subarray(1), Buffer.concat([signature, Buffer.alloc(1)]), tooLarge]) {
      assert.equal(await rsaPkcsPss.verify(rsa.publicKey, digest, bad, params), false);
    }
    assert.equal(await rsaPkcsPss.verify(rsa.publicKey, digest, 'x' as unknown as Buffer, params), false);
  });

  test('a signature is the modulus’ length: one with a leading zero byte does not verify without it', async () => {
    const params = { hash: 'sha256' } as const;
    let digest: Buffer;
    let signature: Buffer;
    do {
      digest = randomBytes(32);
      signature = await rsaPkcsPss.sign(rsa.privateKey, digest, params);
    } while (signature[0] !== 0);
    assert.equal(await rsaPkcsPss.verify(rsa.publicKey, digest, signature, params), true);
    assert.equal(await rsaPkcsPss.verify(rsa.publicKey, digest, signature.subarray(1), params), false);
  });

  test('signs concurrently on the pool: 24 signatures at once all verify', async () => {
    const digests = Array.from({ length: 24 }, (_, i) => sha('sha256', Buffer.from(`message ${i}`)));
    const signatures = await Promise.all(digests.map((d) => rsaPkcsPss.sign(rsa.privateKey, d, { hash: 'sha256' })));
    signatures.forEach((signature, i) => {
      assert.equal(verify('sha256', Buffer.from(`message ${i}`), pss(32), signature), true);
    });
  });
});
