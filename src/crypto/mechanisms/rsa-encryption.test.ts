import assert from 'node:assert/strict';
import { createPrivateKey, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { HASH_NAMES, HASHES } from '../hash.js';
import { WYCHEPROOF_OAEP_2048_SHA1_TC3 as TC3 } from '../self-test/rsa-oaep.js';
import { coffer } from '../../../test/support/errors.js';
import { withOpenssl } from '../../../test/support/testing-openssl.js';
import type { MechanismParams } from '../types.js';
import { rsaAesKeyWrap } from './rsa-aes-key-wrap.js';
import { rsaOaep } from './rsa-oaep.js';
import { rsaOaepWrap } from './rsa-oaep-wrap.js';
import { rsaPkcs1 } from './rsa-pkcs1-encrypt.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const wycheproofKey = createPrivateKey({ key: hex(TC3.privateKeyPkcs8), format: 'der', type: 'pkcs8' });

/** Wycheproof rsa_oaep_2048_sha1_mgf1sha1_test.json, same key as TC3: tcId 9 (label) and 12 (bad l_hash). */
const TC9 = {
  label: '000102030405060708090a0b0c0d0e0f10111213',
  ct:
    '873c4ecb4858c60218b4ff5fe75ec216502367e0a8446fef2302da892816f127a8bedf7e2fff349be493857c4e363493b28f9036' +
    '5eae44323a933eae25701d84024c84e09b9163de0dc7ba2d44f97c29af5b9422c417bb241a2fd326efd9aed2dcd7cea55bb16b95' +
    '71647eaece0a0ca71f7da7decfbc588cafa8beacf0b286e143ff77f05407388b72c89c6a4be35d074083e2a128fda53ba7d3363c' +
    '0d261430667770fd7b42032a4d9764fa86dd4834eba3864acf3e0c230fd03581292562151faa1ed3f8433bc63472c425c382d742' +
    '5b11c97969b1fd0fa0b014d47d87af919de6df72ba52be888e44de4fa63c215ea80fc61072a320a24e99c6a247880c9a',
};
const TC12_CT =
  '7866ab0f81437de93442325f02f86a305c4a4a0871207ff3203746c26a43fff5979e68c74264c34dad13955a32785ec1523fccb2' +
  '64957ed6f6b822b5c052b9161d6b75adde451c6f8d637a75dffc9b9a9103934e777cef41b7966bf730a648e5b96aa587936d4601' +
  '24dcec515b55473a009844f19cb2794bd739557d25417e2c036762a921481d728b4d32a8015b17539b7cc2a16a2b33e43b85561a' +
  '2119fb6c9d8ed42d6bec324281be79e2f79426c653f8445a20cce87a2c263e7933b8ef3fa0b9f9f38fd115fde459e5d32eee2412' +
  'c0af06d2f6454e04ba060ea87c5aa0d4b365f24b4f05bb27c4aa42061a45cdcef1a39118018b875dfb9f904fda4d80fb';

describe('RSA_PKCS_OAEP (cipher)', () => {
  test('decrypts Wycheproof vectors, with and without a label; refuses invalid padding', async () => {
    assert.equal(rsaOaep.authenticated, true);
    assert.equal((await rsaOaep.decrypt(wycheproofKey, hex(TC3.ciphertext), {})).toString(), 'Test');
    const withLabel = await rsaOaep.decrypt(wycheproofKey, hex(TC9.ct), { oaepLabel: hex(TC9.label) });
    assert.equal(withLabel.toString(), '123400');
    await assert.rejects(rsaOaep.decrypt(wycheproofKey, hex(TC9.ct), {}), coffer('ENCRYPTED_DATA_INVALID'));
    await assert.rejects(rsaOaep.decrypt(wycheproofKey, hex(TC12_CT), {}), coffer('ENCRYPTED_DATA_INVALID'));
    await assert.rejects(
      rsaOaep.decrypt(wycheproofKey, hex(TC3.ciphertext), { hash: 'sha256' }),
      coffer('ENCRYPTED_DATA_INVALID'),
    );
  });

  test('round-trips for every hash at the longest message, k − 2·hLen − 2', async () => {
    for (const hash of HASH_NAMES) {
      const max = 256 - 2 * HASHES[hash].bytes - 2;
      const message = randomBytes(max);
      const { output } = await rsaOaep.encrypt(rsa.publicKey, message, { hash });
      assert.equal(output.length, 256);
      assert.deepEqual(await rsaOaep.decrypt(rsa.privateKey, output, { hash }), message);
      await assert.rejects(
        rsaOaep.encrypt(rsa.publicKey, randomBytes(max + 1), { hash }),
        coffer('DATA_LEN_RANGE', `at most ${max}`),
      );
    }
  });

  test('a label binds: the wrong or a missing label fails', async () => {
    const label = Buffer.from('context A');
    const { output } = await rsaOaep.encrypt(rsa.publicKey, Buffer.from('secret'), {
      hash: 'sha256',
      oaepLabel: label,
    });
    assert.equal(
      (await rsaOaep.decrypt(rsa.privateKey, output, { hash: 'sha256', oaepLabel: label })).toString(),
      'secret',
    );
    for (const params of [
      { hash: 'sha256', oaepLabel: Buffer.from('context B') },
      { hash: 'sha256' },
    ] as MechanismParams[]) {
      await assert.rejects(rsaOaep.decrypt(rsa.privateKey, output, params), coffer('ENCRYPTED_DATA_INVALID'));
    }
  });

  test('ciphertext of the wrong length is DATA_LEN_RANGE; openssl decrypts what Coffer encrypts', async () => {
    await assert.rejects(rsaOaep.decrypt(rsa.privateKey, Buffer.alloc(255), {}), coffer('DATA_LEN_RANGE'));
    const { output } = await rsaOaep.encrypt(rsa.publicKey, Buffer.from('interop'), { hash: 'sha256' });
    const key = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' });
    const plain = withOpenssl({ 'k.pem': key, 'ct.bin': output }, [
      'pkeyutl',
      '-decrypt',
      '-inkey',
      'k.pem',
      '-in',
      'ct.bin',
      '-pkeyopt',
      'rsa_padding_mode:oaep',
      '-pkeyopt',
      'rsa_oaep_md:sha256',
      '-pkeyopt',
      'rsa_mgf1_md:sha256',
    ]);
    assert.equal(plain.toString(), 'interop');
  });

  test('refuses params it does not take, an unknown hash, and wrong keys', async () => {
    for (const params of [
      { iv: Buffer.alloc(16) },
      { saltLength: 20 },
      { label: Buffer.alloc(1) },
    ] as MechanismParams[]) {
      await assert.rejects(
        rsaOaep.encrypt(rsa.publicKey, Buffer.alloc(1), params),
        coffer('MECHANISM_PARAM_INVALID', 'takes no'),
      );
    }
    const md5 = { hash: 'md5' } as unknown as MechanismParams;
    await assert.rejects(
      rsaOaep.encrypt(rsa.publicKey, Buffer.alloc(1), md5),
      coffer('MECHANISM_PARAM_INVALID', 'hash is'),
    );
    const label = { oaepLabel: 'text' } as unknown as MechanismParams;
    await assert.rejects(rsaOaep.encrypt(rsa.publicKey, Buffer.alloc(1), label), coffer('MECHANISM_PARAM_INVALID'));
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await assert.rejects(rsaOaep.encrypt(ec.publicKey, Buffer.alloc(1), {}), coffer('KEY_TYPE_INCONSISTENT'));
    await assert.rejects(rsaOaep.decrypt(rsa.publicKey, Buffer.alloc(256), {}), coffer('KEY_TYPE_INCONSISTENT'));
  });
});

describe('RSA_PKCS (PKCS#1 v1.5 encryption)', () => {
  test('encrypts (openssl decrypts it) up to k − 11 bytes', async () => {
    const { output } = await rsaPkcs1.encrypt(rsa.publicKey, Buffer.from('legacy peer'), {});
    const key = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' });
    const plain = withOpenssl({ 'k.pem': key, 'ct.bin': output }, [
      'pkeyutl',
      '-decrypt',
      '-inkey',
      'k.pem',
      '-in',
      'ct.bin',
      '-pkeyopt',
      'rsa_padding_mode:pkcs1',
    ]);
    assert.equal(plain.toString(), 'legacy peer');
    await rsaPkcs1.encrypt(rsa.publicKey, randomBytes(245), {});
    await assert.rejects(rsaPkcs1.encrypt(rsa.publicKey, randomBytes(246), {}), coffer('DATA_LEN_RANGE', '245'));
    await assert.rejects(
      rsaPkcs1.encrypt(rsa.publicKey, Buffer.alloc(1), { hash: 'sha1' }),
      coffer('MECHANISM_PARAM_INVALID'),
    );
  });

  test('refuses decryption as unsafe (Marvin), naming RSA_PKCS_OAEP', async () => {
    const { output } = await rsaPkcs1.encrypt(rsa.publicKey, Buffer.from('x'), {});
    await assert.rejects(rsaPkcs1.decrypt(rsa.privateKey, output, {}), coffer('MECHANISM_INVALID', 'Marvin'));
    await assert.rejects(rsaPkcs1.decrypt(rsa.privateKey, output, {}), coffer('MECHANISM_INVALID', 'RSA_PKCS_OAEP'));
  });
});

describe('RSA_PKCS_OAEP (wrap)', () => {
  test('wraps a secret with the public key and unwraps with the private key', async () => {
    const secret = randomBytes(32);
    const wrapped = await rsaOaepWrap.wrap(rsa.publicKey, secret, { hash: 'sha256' });
    assert.deepEqual(await rsaOaepWrap.unwrap(rsa.privateKey, wrapped, { hash: 'sha256' }), secret);
    await assert.rejects(rsaOaepWrap.unwrap(rsa.privateKey, wrapped, {}), coffer('ENCRYPTED_DATA_INVALID'));
    const tampered = Buffer.from(wrapped);
    tampered[9] = tampered[9]! ^ 4;
    await assert.rejects(
      rsaOaepWrap.unwrap(rsa.privateKey, tampered, { hash: 'sha256' }),
      coffer('ENCRYPTED_DATA_INVALID'),
    );
    await assert.rejects(
      rsaOaepWrap.unwrap(rsa.privateKey, wrapped.subarray(1), { hash: 'sha256' }),
      coffer('ENCRYPTED_DATA_INVALID'),
    );
  });

  test('material too large for OAEP is KEY_SIZE_RANGE; the private key cannot wrap-unwrap the wrong way', async () => {
    await assert.rejects(rsaOaepWrap.wrap(rsa.publicKey, randomBytes(215), {}), coffer('KEY_SIZE_RANGE'));
    await assert.rejects(rsaOaepWrap.wrap(rsa.publicKey, Buffer.alloc(0), {}), coffer('KEY_SIZE_RANGE'));
    await assert.rejects(rsaOaepWrap.unwrap(rsa.publicKey, Buffer.alloc(256), {}), coffer('KEY_TYPE_INCONSISTENT'));
    await assert.rejects(
      rsaOaepWrap.wrap(createSecretKey(randomBytes(32)), randomBytes(16), {}),
      coffer('KEY_TYPE_INCONSISTENT'),
    );
  });
});

describe('RSA_AES_KEY_WRAP', () => {
  test('wraps a private key (PKCS#8) of any size: OAEP(AES-256 key) ‖ AES-KWP(material)', async () => {
    const target = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'der',
    });
    for (const hash of ['sha1', 'sha256', 'sha512'] as const) {
      const wrapped = await rsaAesKeyWrap.wrap(rsa.publicKey, target, { hash });
      const kwpBytes = Math.ceil(target.length / 8) * 8 + 8;
      assert.equal(wrapped.length, 256 + kwpBytes);
      assert.deepEqual(await rsaAesKeyWrap.unwrap(rsa.privateKey, wrapped, { hash }), target);
    }
    const short = randomBytes(5);
    const wrapped = await rsaAesKeyWrap.wrap(rsa.publicKey, short, {});
    assert.deepEqual(await rsaAesKeyWrap.unwrap(rsa.privateKey, wrapped, {}), short);
  });

  test('refuses tampering in either layer, the wrong hash or label, and bad lengths', async () => {
    const material = randomBytes(48);
    const label = Buffer.from('L');
    const wrapped = await rsaAesKeyWrap.wrap(rsa.publicKey, material, { hash: 'sha256', oaepLabel: label });
    const params = { hash: 'sha256', oaepLabel: label } as const;
    for (const at of [10, 256 + 3, wrapped.length - 1]) {
      const tampered = Buffer.from(wrapped);
      tampered[at] = tampered[at]! ^ 0x80;
      await assert.rejects(rsaAesKeyWrap.unwrap(rsa.privateKey, tampered, params), coffer('ENCRYPTED_DATA_INVALID'));
    }
    await assert.rejects(
      rsaAesKeyWrap.unwrap(rsa.privateKey, wrapped, { hash: 'sha1', oaepLabel: label }),
      coffer('ENCRYPTED_DATA_INVALID'),
    );
    await assert.rejects(
      rsaAesKeyWrap.unwrap(rsa.privateKey, wrapped, { hash: 'sha256' }),
      coffer('ENCRYPTED_DATA_INVALID'),
    );
    for (const cut of [
      wrapped.subarray(0, 256 + 8),
      wrapped.subarray(0, wrapped.length - 3),
      wrapped.subarray(0, 100),
    ]) {
      await assert.rejects(rsaAesKeyWrap.unwrap(rsa.privateKey, cut, params), coffer('ENCRYPTED_DATA_INVALID'));
    }
    // An OAEP-sealed 16-byte value in the first layer is not an AES-256 key.
    const { output } = await rsaOaep.encrypt(rsa.publicKey, randomBytes(16), {});
    await assert.rejects(
      rsaAesKeyWrap.unwrap(rsa.privateKey, Buffer.concat([output, randomBytes(24)]), {}),
      coffer('ENCRYPTED_DATA_INVALID', 'not an AES-256 key'),
    );
  });

  test('refuses empty material and params it does not take', async () => {
    await assert.rejects(rsaAesKeyWrap.wrap(rsa.publicKey, Buffer.alloc(0), {}), coffer('KEY_SIZE_RANGE'));
    await assert.rejects(
      rsaAesKeyWrap.wrap(rsa.publicKey, randomBytes(16), { iv: randomBytes(8) }),
      coffer('MECHANISM_PARAM_INVALID'),
    );
  });
});
