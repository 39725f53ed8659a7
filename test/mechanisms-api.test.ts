import assert from 'node:assert/strict';
import { constants, createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/**
 * Every registered mechanism, through the real HTTP API: ciphers round-trip, signatures and
 * MACs verify (and refuse altered data), digests match node:crypto, wrapping gives back the
 * same key (same check value), derivation agrees on both sides. The list is checked against
 * GET /v1/mechanisms, so a mechanism added without a row here fails this test.
 */
/** The DER DigestInfo of SHA-256(message) (RFC 8017 §9.2 note 1), as a caller of RSA_PKCS signs it. */
function sha256DigestInfo(message: string): Buffer {
  const prefix = Buffer.from('3031300d060960864801650304020105000420', 'hex');
  return Buffer.concat([prefix, createHash('sha256').update(message).digest()]);
}

interface Key {
  handle: string;
  checkValue: string;
  keyType: string;
  class: string;
}
interface Pair {
  publicKey: Key;
  privateKey: Key;
}
const b64 = (bytes: Buffer): string => bytes.toString('base64');
const HASHES = ['SHA1', 'SHA224', 'SHA256', 'SHA384', 'SHA512'] as const;
const NODE_HASH: Record<string, string> = {
  SHA_1: 'sha1',
  SHA224: 'sha224',
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
};

describe('every mechanism through the HTTP API', () => {
  let t: TestNode;
  let alice: string;
  const keys: Record<string, Key> = {};
  const pairs: Record<string, Pair> = {};
  const covered = new Set<string>();

  const call = <T = Record<string, string>>(method: string, path: string, body?: unknown) =>
    t.api.call<T>(method, path, { token: alice, body });
  const symmetric = async (
    keyType: string,
    keyLengthBytes: number,
    attributes: Record<string, boolean>,
  ): Promise<Key> => {
    const answer = await call<{ key: Key }>('POST', '/v1/keys/symmetric', { keyType, keyLengthBytes, attributes });
    assert.equal(answer.status, 201, answer.text);
    return answer.body.key;
  };
  const pair = async (
    body: Record<string, unknown>,
    privateAttributes: Record<string, boolean>,
    publicAttributes: Record<string, boolean>,
  ): Promise<Pair> => {
    const answer = await call<Pair>('POST', '/v1/keys/pairs', { ...body, privateAttributes, publicAttributes });
    assert.equal(answer.status, 201, answer.text);
    return answer.body;
  };

  before(async () => {
    t = await startTestNode();
    alice = (await t.cryptoUser('alice')).token;
    // A key is either a data key or a wrapping key, never both.
    keys.aes = await symmetric('aes', 32, { encrypt: true, decrypt: true, sign: true, verify: true });
    keys.kek = await symmetric('aes', 32, { wrap: true, unwrap: true });
    keys.payload = await symmetric('aes', 32, { extractable: true });
    keys.hmac = await symmetric('generic-secret', 32, { sign: true, verify: true, derive: true });
    pairs.rsa = await pair(
      { keyType: 'rsa', modulusBits: 2048 },
      { sign: true, decrypt: true },
      { verify: true, encrypt: true },
    );
    pairs.rsaKek = await pair({ keyType: 'rsa', modulusBits: 2048 }, { unwrap: true }, { wrap: true });
    pairs.ec = await pair({ keyType: 'ec', curve: 'secp256r1' }, { sign: true, derive: true }, { verify: true });
    pairs.peer = await pair({ keyType: 'ec', curve: 'secp256r1' }, { derive: true }, {});
    pairs.ed = await pair({ keyType: 'ec-edwards', curve: 'ed25519' }, { sign: true }, { verify: true });
  });
  after(() => t.stop());

  test('ciphers round-trip', async () => {
    const cases: [string, Key, Key, Record<string, unknown>, number][] = [
      ['AES_GCM', keys.aes!, keys.aes!, { aad: b64(Buffer.from('aad')) }, 100],
      ['AES_CBC', keys.aes!, keys.aes!, { iv: b64(randomBytes(16)) }, 64],
      ['AES_CBC_PAD', keys.aes!, keys.aes!, { iv: b64(randomBytes(16)) }, 100],
      // The node makes AES_CTR's initial counter block (and AES_GCM's IV) and returns it.
      ['AES_CTR', keys.aes!, keys.aes!, {}, 100],
      [
        'RSA_PKCS_OAEP',
        pairs.rsa!.publicKey,
        pairs.rsa!.privateKey,
        { hash: 'sha256', oaepLabel: b64(Buffer.from('label')) },
        100,
      ],
    ];
    for (const [mechanism, encryptKey, decryptKey, params, length] of cases) {
      const plaintext = randomBytes(length);
      const encrypted = await call<{ ciphertext: string; iv?: string }>('POST', '/v1/crypto/encrypt', {
        keyHandle: encryptKey.handle,
        mechanism,
        plaintext: b64(plaintext),
        ...params,
      });
      assert.equal(encrypted.status, 200, `${mechanism}: ${encrypted.text}`);
      const decrypted = await call<{ plaintext: string }>('POST', '/v1/crypto/decrypt', {
        keyHandle: decryptKey.handle,
        mechanism,
        ciphertext: encrypted.body.ciphertext,
        ...params,
        ...(encrypted.body.iv && { iv: encrypted.body.iv }),
      });
      assert.equal(decrypted.body.plaintext, b64(plaintext), mechanism);
      covered.add(`cipher:${mechanism}`);
    }
    const pkcs1 = await call<{ ciphertext: string }>('POST', '/v1/crypto/encrypt', {
      keyHandle: pairs.rsa!.publicKey.handle,
      mechanism: 'RSA_PKCS',
      plaintext: b64(Buffer.from('hi')),
    });
    assert.equal(pkcs1.status, 200);
    const refused = await call('POST', '/v1/crypto/decrypt', {
      keyHandle: pairs.rsa!.privateKey.handle,
      mechanism: 'RSA_PKCS',
      ciphertext: pkcs1.body.ciphertext,
    });
    assert.equal(codeOf(refused), 'MECHANISM_INVALID', 'PKCS#1 v1.5 decryption is refused (Marvin)');
    covered.add('cipher:RSA_PKCS');
  });

  test('signatures and MACs verify, and refuse altered data', async () => {
    const cases: [string, string, string, Buffer][] = [
      ['AES_CMAC', keys.aes!.handle, keys.aes!.handle, randomBytes(50)],
      ...HASHES.map((hash): [string, string, string, Buffer] => [
        `${hash}_HMAC`,
        keys.hmac!.handle,
        keys.hmac!.handle,
        randomBytes(50),
      ]),
      ...HASHES.map((hash): [string, string, string, Buffer] => [
        `${hash}_RSA_PKCS`,
        pairs.rsa!.privateKey.handle,
        pairs.rsa!.publicKey.handle,
        randomBytes(50),
      ]),
      ...HASHES.map((hash): [string, string, string, Buffer] => [
        `${hash}_RSA_PKCS_PSS`,
        pairs.rsa!.privateKey.handle,
        pairs.rsa!.publicKey.handle,
        randomBytes(50),
      ]),
      ...HASHES.map((hash): [string, string, string, Buffer] => [
        `ECDSA_${hash}`,
        pairs.ec!.privateKey.handle,
        pairs.ec!.publicKey.handle,
        randomBytes(50),
      ]),
      [
        'ECDSA',
        pairs.ec!.privateKey.handle,
        pairs.ec!.publicKey.handle,
        createHash('sha256').update('a message').digest(),
      ],
      ['EDDSA', pairs.ed!.privateKey.handle, pairs.ed!.publicKey.handle, randomBytes(50)],
      ['RSA_PKCS', pairs.rsa!.privateKey.handle, pairs.rsa!.publicKey.handle, sha256DigestInfo('a message')],
    ];
    for (const [mechanism, signKey, verifyKey, data] of cases) {
      const signed = await call<{ signature: string }>('POST', '/v1/crypto/sign', {
        keyHandle: signKey,
        mechanism,
        data: b64(data),
      });
      assert.equal(signed.status, 200, `${mechanism}: ${signed.text}`);
      const verified = await call('POST', '/v1/crypto/verify', {
        keyHandle: verifyKey,
        mechanism,
        data: b64(data),
        signature: signed.body.signature,
      });
      assert.equal(verified.status, 200, `${mechanism}: ${verified.text}`);
      const altered = Buffer.from(data);
      altered[0]! ^= 1;
      const forged = await call('POST', '/v1/crypto/verify', {
        keyHandle: verifyKey,
        mechanism,
        data: b64(altered),
        signature: signed.body.signature,
      });
      assert.equal(codeOf(forged), 'SIGNATURE_INVALID', mechanism);
      covered.add(`signature:${mechanism}`);
    }
  });

  test('RSA_PKCS signs a DigestInfo as OpenSSL signs SHA-256, and refuses input longer than k − 11', async () => {
    const signed = await call<{ signature: string }>('POST', '/v1/crypto/sign', {
      keyHandle: pairs.rsa!.privateKey.handle,
      mechanism: 'RSA_PKCS',
      data: b64(sha256DigestInfo('a message')),
    });
    assert.equal(signed.status, 200, signed.text);
    const pem = await call<{ pem: string }>('GET', `/v1/keys/${pairs.rsa!.publicKey.handle}/public-key`);
    const signature = Buffer.from(signed.body.signature, 'base64');
    assert.ok(verify('sha256', Buffer.from('a message'), createPublicKey(pem.body.pem), signature));
    const tooLong = await call('POST', '/v1/crypto/sign', {
      keyHandle: pairs.rsa!.privateKey.handle,
      mechanism: 'RSA_PKCS',
      data: b64(randomBytes(256 - 10)),
    });
    assert.equal(codeOf(tooLong), 'DATA_LEN_RANGE');
  });

  test('RSA_PKCS_PSS signs a SHA-256 digest as node signs the message, with MGF1 chosen apart; bad params refused', async () => {
    const message = Buffer.from('a message');
    const digest = createHash('sha256').update(message).digest();
    const pem = await call<{ pem: string }>('GET', `/v1/keys/${pairs.rsa!.publicKey.handle}/public-key`);
    const publicKey = createPublicKey(pem.body.pem);
    for (const params of [{ hash: 'sha256' }, { hash: 'sha256', mgf1Hash: 'sha512', saltLength: 0 }]) {
      const signed = await call<{ signature: string }>('POST', '/v1/crypto/sign', {
        keyHandle: pairs.rsa!.privateKey.handle,
        mechanism: 'RSA_PKCS_PSS',
        data: b64(digest),
        ...params,
      });
      assert.equal(signed.status, 200, signed.text);
      const signature = Buffer.from(signed.body.signature, 'base64');
      const verifyWith = (extra: Record<string, unknown>) =>
        call('POST', '/v1/crypto/verify', {
          keyHandle: pairs.rsa!.publicKey.handle,
          mechanism: 'RSA_PKCS_PSS',
          data: b64(digest),
          signature: signed.body.signature,
          ...params,
          ...extra,
        });
      assert.equal((await verifyWith({})).status, 200);
      if (params.mgf1Hash === undefined) {
        const options = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
        assert.ok(verify('sha256', message, options, signature), 'node verifies it over the message');
      } else {
        assert.equal(codeOf(await verifyWith({ mgf1Hash: 'sha256' })), 'SIGNATURE_INVALID');
      }
      assert.equal(codeOf(await verifyWith({ saltLength: 31 })), 'SIGNATURE_INVALID');
    }
    const sign = (data: Buffer, params: Record<string, unknown>) =>
      call('POST', '/v1/crypto/sign', {
        keyHandle: pairs.rsa!.privateKey.handle,
        mechanism: 'RSA_PKCS_PSS',
        data: b64(data),
        ...params,
      });
    assert.equal(codeOf(await sign(digest, {})), 'MECHANISM_PARAM_INVALID');
    assert.equal(codeOf(await sign(digest, { hash: 'sha256', saltLength: 223 })), 'MECHANISM_PARAM_INVALID');
    assert.equal(codeOf(await sign(digest, { hash: 'sha256', signatureEncoding: 'der' })), 'MECHANISM_PARAM_INVALID');
    assert.equal((await sign(digest, { hash: 'md5' })).status, 400);
    assert.equal(codeOf(await sign(digest, { hash: 'sha384' })), 'DATA_LEN_RANGE');
    assert.equal(codeOf(await sign(message, { hash: 'sha256' })), 'DATA_LEN_RANGE');
    covered.add('signature:RSA_PKCS_PSS');
  });

  test('digests match node:crypto', async () => {
    const data = randomBytes(1000);
    for (const [mechanism, hash] of Object.entries(NODE_HASH)) {
      const digest = await call<{ digest: string }>('POST', '/v1/crypto/digest', { mechanism, data: b64(data) });
      assert.equal(digest.body.digest, createHash(hash).update(data).digest('base64'), mechanism);
      covered.add(`digest:${mechanism}`);
    }
  });

  test('wrapping gives back the same key', async () => {
    const cases: [string, Key, Key, Record<string, unknown>][] = [
      ['AES_KEY_WRAP', keys.kek!, keys.kek!, {}],
      ['AES_KEY_WRAP_PAD', keys.kek!, keys.kek!, {}],
      ['AES_GCM', keys.kek!, keys.kek!, {}],
      ['RSA_PKCS_OAEP', pairs.rsaKek!.publicKey, pairs.rsaKek!.privateKey, { hash: 'sha256' }],
      ['RSA_AES_KEY_WRAP', pairs.rsaKek!.publicKey, pairs.rsaKek!.privateKey, { hash: 'sha256' }],
    ];
    for (const [mechanism, wrapKey, unwrapKey, params] of cases) {
      const wrapped = await call<{ wrappedKey: string }>('POST', '/v1/keys/wrap', {
        wrappingKeyHandle: wrapKey.handle,
        keyHandle: keys.payload!.handle,
        mechanism,
        ...params,
      });
      assert.equal(wrapped.status, 200, `${mechanism}: ${wrapped.text}`);
      const unwrapped = await call<{ key: Key }>('POST', '/v1/keys/unwrap', {
        unwrappingKeyHandle: unwrapKey.handle,
        mechanism,
        wrappedKey: wrapped.body.wrappedKey,
        class: 'secret',
        keyType: 'aes',
        ...params,
      });
      assert.equal(unwrapped.status, 201, `${mechanism}: ${unwrapped.text}`);
      assert.equal(unwrapped.body.key.checkValue, keys.payload!.checkValue, `${mechanism} gives back the same key`);
      covered.add(`wrap:${mechanism}`);
    }
  });

  test('derivation agrees on both sides and is deterministic', async () => {
    const peerPem = (await call<{ pem: string }>('GET', `/v1/keys/${pairs.peer!.publicKey.handle}/public-key`)).body
      .pem;
    const ownPem = (await call<{ pem: string }>('GET', `/v1/keys/${pairs.ec!.publicKey.handle}/public-key`)).body.pem;
    const spki = (pem: string): string => b64(createPublicKey(pem).export({ type: 'spki', format: 'der' }));
    const ecdh = async (base: Key, peer: string): Promise<Key> =>
      (
        await call<{ key: Key }>('POST', '/v1/keys/derive', {
          baseKeyHandle: base.handle,
          mechanism: 'ECDH1_DERIVE',
          publicKey: peer,
          kdf: 'x963',
          hash: 'sha256',
          keyType: 'aes',
          keyLengthBytes: 32,
        })
      ).body.key;
    const mine = await ecdh(pairs.ec!.privateKey, spki(peerPem));
    const theirs = await ecdh(pairs.peer!.privateKey, spki(ownPem));
    assert.equal(mine.checkValue, theirs.checkValue);
    covered.add('derive:ECDH1_DERIVE');
    for (const [mechanism, params] of [
      ['HKDF_DERIVE', { hash: 'sha256', salt: b64(Buffer.from('salt')), info: b64(Buffer.from('info')) }],
      [
        'SP800_108_COUNTER_KDF',
        { hash: 'sha256', kdfLabel: b64(Buffer.from('label')), context: b64(Buffer.from('context')) },
      ],
    ] as const) {
      const derive = () =>
        call<{ key: Key }>('POST', '/v1/keys/derive', {
          baseKeyHandle: keys.hmac!.handle,
          mechanism,
          keyType: 'aes',
          keyLengthBytes: 32,
          ...params,
        });
      const [one, two] = [await derive(), await derive()];
      assert.equal(one.status, 201, `${mechanism}: ${one.text}`);
      assert.equal(one.body.key.checkValue, two.body.key.checkValue, `${mechanism} is deterministic`);
      covered.add(`derive:${mechanism}`);
    }
  });

  test('key generation: the mechanism of each key type made a key of that type above', async () => {
    const listed = await call<{ mechanisms: { name: string; kind: string; keyTypes: string[] }[] }>(
      'GET',
      '/v1/mechanisms',
    );
    const made: Record<string, Key> = {
      aes: keys.aes!,
      'generic-secret': keys.hmac!,
      rsa: pairs.rsa!.privateKey,
      ec: pairs.ec!.privateKey,
      'ec-edwards': pairs.ed!.privateKey,
    };
    for (const entry of listed.body.mechanisms.filter((m) => m.kind === 'generate' || m.kind === 'generate-pair')) {
      const keyType = entry.keyTypes[0]!;
      assert.equal(made[keyType]?.keyType, keyType, entry.name);
      assert.equal(entry.kind === 'generate', made[keyType]!.class === 'secret', entry.name);
      covered.add(`${entry.kind}:${entry.name}`);
    }
    assert.ok(covered.has('generate:AES_KEY_GEN') && covered.has('generate-pair:RSA_PKCS_KEY_PAIR_GEN'));
  });

  test('every registered mechanism was exercised above', async () => {
    const listed = await call<{ mechanisms: { name: string; kind: string }[] }>('GET', '/v1/mechanisms');
    const registered = listed.body.mechanisms.map((entry) => `${entry.kind}:${entry.name}`).sort();
    assert.deepEqual(registered, [...covered].sort());
    assert.ok(!registered.includes('cipher:AES_ECB'), 'ECB is not a data mechanism');
  });
});
