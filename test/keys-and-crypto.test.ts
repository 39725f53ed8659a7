import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify as nodeVerify, constants } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Key {
  handle: string;
  class: string;
  keyType: string;
  label: string;
  owner: string;
  checkValue: string;
  attributes: Record<string, boolean>;
  shape: Record<string, unknown>;
}

describe('keys and crypto over the API', () => {
  let t: TestNode;
  let alice: string;
  let bob: string;
  let admin: string;
  let aes: Key;
  let ec: { publicKey: Key; privateKey: Key };
  let rsa: { publicKey: Key; privateKey: Key };

  before(async () => {
    t = await startTestNode();
    alice = (await t.cryptoUser('alice')).token;
    bob = (await t.cryptoUser('bob')).token;
    admin = await t.api.login('admin', t.adminPassword);
    aes = (
      await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token: alice,
        body: { keyType: 'aes', keyLengthBytes: 32, label: 'payments', id: 'A1B2' },
      })
    ).body.key;
    ec = (
      await t.api.call<{ publicKey: Key; privateKey: Key }>('POST', '/v1/keys/pairs', {
        token: alice,
        body: { keyType: 'ec', curve: 'secp256r1', label: 'signer' },
      })
    ).body;
    rsa = (
      await t.api.call<{ publicKey: Key; privateKey: Key }>('POST', '/v1/keys/pairs', {
        token: alice,
        body: { keyType: 'rsa', modulusBits: 2048, label: 'rsa-signer' },
      })
    ).body;
  });
  after(() => t.stop());

  test('generated keys carry their attributes, owner, handle and check value', () => {
    assert.match(aes.handle, /^0x[0-9a-f]{16}$/);
    assert.deepEqual([aes.class, aes.keyType, aes.label, aes.owner], ['secret', 'aes', 'payments', 'alice']);
    assert.deepEqual(aes.shape, { valueLen: 32 });
    assert.match(aes.checkValue, /^[0-9a-f]{6}$/);
    assert.equal(aes.attributes.sensitive, true);
    assert.equal(aes.attributes.extractable, false);
    assert.equal(aes.attributes.neverExtractable, true);
    assert.equal(aes.attributes.local, true);
    assert.equal(ec.privateKey.attributes.sign, true);
    assert.equal(ec.publicKey.attributes.verify, true);
    assert.equal(ec.publicKey.attributes.sensitive, undefined, 'public keys carry no CKA_SENSITIVE');
    assert.deepEqual(rsa.privateKey.shape, { modulusBits: 2048, publicExponent: 65537 });
    assert.ok(
      !JSON.stringify([aes, ec, rsa]).match(/material|value"|privateKey"\s*:\s*"/),
      'no key value in any answer',
    );
  });

  test('list filters by label, id and class, and pages', async () => {
    const byLabel = await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?label=signer', { token: alice });
    assert.deepEqual(byLabel.body.keys.map((key) => key.class).sort(), ['private', 'public']);
    const byClass = await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?label=signer&class=private', { token: alice });
    assert.deepEqual(
      byClass.body.keys.map((key) => key.handle),
      [ec.privateKey.handle],
    );
    const byId = await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?id=a1b2', { token: alice });
    assert.deepEqual(
      byId.body.keys.map((key) => key.handle),
      [aes.handle],
    );
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await t.api.call<{ keys: Key[]; next?: string }>(
        'GET',
        `/v1/keys?limit=2${next ? `&after=${next}` : ''}`,
        { token: alice },
      );
      assert.ok(page.body.keys.length <= 2);
      seen.push(...page.body.keys.map((key) => key.handle));
      next = page.body.next;
    } while (next);
    assert.equal(new Set(seen).size, 5);
    assert.equal(seen.length, 5);
  });

  test('AES-GCM encrypts and decrypts; a flipped bit is refused', async () => {
    const plaintext = randomBytes(1000);
    const aad = Buffer.from('order-42');
    const enc = await t.api.call<{ ciphertext: string; iv: string }>('POST', '/v1/crypto/encrypt', {
      token: alice,
      body: {
        keyHandle: aes.handle,
        mechanism: 'AES_GCM',
        plaintext: plaintext.toString('base64'),
        aad: aad.toString('base64'),
      },
    });
    assert.equal(enc.status, 200);
    assert.equal(Buffer.from(enc.body.iv, 'base64').length, 12, 'the node makes a 96-bit IV');
    const dec = await t.api.call<{ plaintext: string }>('POST', '/v1/crypto/decrypt', {
      token: alice,
      body: {
        keyHandle: aes.handle,
        mechanism: 'AES_GCM',
        ciphertext: enc.body.ciphertext,
        iv: enc.body.iv,
        aad: aad.toString('base64'),
      },
    });
    assert.deepEqual(Buffer.from(dec.body.plaintext, 'base64'), plaintext);
    const tampered = Buffer.from(enc.body.ciphertext, 'base64');
    tampered[10]! ^= 1;
    const refused = await t.api.call('POST', '/v1/crypto/decrypt', {
      token: alice,
      body: {
        keyHandle: aes.handle,
        mechanism: 'AES_GCM',
        ciphertext: tampered.toString('base64'),
        iv: enc.body.iv,
        aad: aad.toString('base64'),
      },
    });
    assert.equal(codeOf(refused), 'ENCRYPTED_DATA_INVALID');
  });

  test('ECDSA-SHA256 and RSA-PSS sign in the node and verify in the node and in OpenSSL', async () => {
    const data = Buffer.from('the quick brown fox');
    for (const [pair, mechanism, extra] of [
      [ec, 'ECDSA_SHA256', { signatureEncoding: 'der' }],
      [rsa, 'SHA256_RSA_PKCS_PSS', {}],
    ] as const) {
      const signed = await t.api.call<{ signature: string }>('POST', '/v1/crypto/sign', {
        token: alice,
        body: { keyHandle: pair.privateKey.handle, mechanism, data: data.toString('base64'), ...extra },
      });
      assert.equal(signed.status, 200, signed.text);
      const verified = await t.api.call('POST', '/v1/crypto/verify', {
        token: alice,
        body: {
          keyHandle: pair.publicKey.handle,
          mechanism,
          data: data.toString('base64'),
          signature: signed.body.signature,
          ...extra,
        },
      });
      assert.equal(verified.body.valid, true);
      const pem = (
        await t.api.call<{ pem: string }>('GET', `/v1/keys/${pair.publicKey.handle}/public-key`, { token: alice })
      ).body.pem;
      const publicKey = createPublicKey(pem);
      const options =
        mechanism === 'SHA256_RSA_PKCS_PSS'
          ? { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
          : publicKey;
      assert.ok(
        nodeVerify('sha256', data, options, Buffer.from(signed.body.signature, 'base64')),
        `${mechanism} verifies outside Coffer`,
      );
      const forged = await t.api.call('POST', '/v1/crypto/verify', {
        token: alice,
        body: {
          keyHandle: pair.publicKey.handle,
          mechanism,
          data: Buffer.from('other data').toString('base64'),
          signature: signed.body.signature,
          ...extra,
        },
      });
      assert.equal(codeOf(forged), 'SIGNATURE_INVALID');
    }
  });

  test("a crypto user cannot see or use another's key: it is simply not found", async () => {
    const attempts = [
      ['GET', `/v1/keys/${aes.handle}`, undefined],
      ['DELETE', `/v1/keys/${aes.handle}`, undefined],
      ['GET', `/v1/keys/${ec.publicKey.handle}/public-key`, undefined],
      ['POST', '/v1/crypto/sign', { keyHandle: ec.privateKey.handle, mechanism: 'ECDSA_SHA256', data: 'AA==' }],
      ['POST', '/v1/crypto/encrypt', { keyHandle: aes.handle, mechanism: 'AES_GCM', plaintext: 'AA==' }],
    ] as const;
    for (const [method, path, body] of attempts) {
      assert.equal(codeOf(await t.api.call(method, path, { token: bob, body })), 'KEY_NOT_FOUND', `${method} ${path}`);
    }
    const bobsKeys = await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?label=payments', { token: bob });
    assert.deepEqual(bobsKeys.body.keys, []);
    assert.equal(codeOf(await t.api.call('GET', '/v1/keys/0x0123456789abcdef', { token: alice })), 'KEY_NOT_FOUND');
  });

  test('an admin cannot sign, encrypt or generate keys, but may list key metadata', async () => {
    for (const [path, body] of [
      ['/v1/crypto/sign', { keyHandle: ec.privateKey.handle, mechanism: 'ECDSA_SHA256', data: 'AA==' }],
      ['/v1/crypto/encrypt', { keyHandle: aes.handle, mechanism: 'AES_GCM', plaintext: 'AA==' }],
      ['/v1/keys/symmetric', { keyType: 'aes', keyLengthBytes: 32 }],
    ] as const) {
      const refused = await t.api.call('POST', path, { token: admin, body });
      assert.equal(codeOf(refused), 'PERMISSION_DENIED', path);
      assert.equal(refused.status, 403);
    }
    const listed = await t.api.call<{ keys: Key[] }>('GET', '/v1/keys', { token: admin });
    assert.ok(listed.body.keys.some((key) => key.handle === aes.handle));
  });

  test('the key attributes decide what a key may do', async () => {
    const sealOnly = (
      await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token: alice,
        body: { keyType: 'aes', keyLengthBytes: 16, label: 'encrypt-only', attributes: { decrypt: false } },
      })
    ).body.key;
    const enc = await t.api.call<{ ciphertext: string; iv: string }>('POST', '/v1/crypto/encrypt', {
      token: alice,
      body: { keyHandle: sealOnly.handle, mechanism: 'AES_GCM', plaintext: 'aGVsbG8=' },
    });
    assert.equal(enc.status, 200);
    const refused = await t.api.call('POST', '/v1/crypto/decrypt', {
      token: alice,
      body: { keyHandle: sealOnly.handle, mechanism: 'AES_GCM', ciphertext: enc.body.ciphertext, iv: enc.body.iv },
    });
    assert.equal(codeOf(refused), 'KEY_FUNCTION_NOT_PERMITTED');
    const wrongType = await t.api.call('POST', '/v1/crypto/sign', {
      token: alice,
      body: { keyHandle: aes.handle, mechanism: 'ECDSA_SHA256', data: 'AA==' },
    });
    assert.equal(codeOf(wrongType), 'KEY_TYPE_INCONSISTENT');
    const wrongHalf = await t.api.call('POST', '/v1/crypto/sign', {
      token: alice,
      body: { keyHandle: ec.publicKey.handle, mechanism: 'ECDSA_SHA256', data: 'AA==' },
    });
    assert.equal(codeOf(wrongHalf), 'KEY_TYPE_INCONSISTENT');
    const nodeOnly = await t.api.call('POST', '/v1/keys/symmetric', {
      token: alice,
      body: { keyType: 'aes', keyLengthBytes: 32, attributes: { local: false } },
    });
    assert.equal(codeOf(nodeOnly), 'ATTRIBUTE_READ_ONLY');
    const notForClass = await t.api.call('POST', '/v1/keys/symmetric', {
      token: alice,
      body: { keyType: 'aes', keyLengthBytes: 32, attributes: { frobnicate: true } },
    });
    assert.equal(codeOf(notForClass), 'ATTRIBUTE_TYPE_INVALID');
  });

  test('unsupported key sizes, curves, types and mechanisms are refused by code and create nothing', async () => {
    const before = (await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?limit=1000', { token: alice })).body.keys.length;
    const cases = [
      ['/v1/keys/symmetric', { keyType: 'aes', keyLengthBytes: 20 }, 'KEY_SIZE_RANGE'],
      ['/v1/keys/symmetric', { keyType: 'des3', keyLengthBytes: 24 }, 'MECHANISM_INVALID'],
      ['/v1/keys/pairs', { keyType: 'rsa', modulusBits: 1024 }, 'KEY_SIZE_RANGE'],
      ['/v1/keys/pairs', { keyType: 'ec', curve: 'brainpoolP256r1' }, 'MECHANISM_INVALID'],
      ['/v1/keys/pairs', { keyType: 'dsa' }, 'MECHANISM_INVALID'],
      ['/v1/keys/symmetric', { keyType: 'aes', keyLengthBytes: 32, id: 'not-hex' }, 'ATTRIBUTE_VALUE_INVALID'],
      ['/v1/crypto/encrypt', { keyHandle: aes.handle, mechanism: 'AES_XTS', plaintext: 'AA==' }, 'MECHANISM_INVALID'],
      [
        '/v1/crypto/encrypt',
        { keyHandle: aes.handle, mechanism: 'AES_CBC_PAD', plaintext: 'AA==', iv: 'AAAA' },
        'MECHANISM_PARAM_INVALID',
      ],
      // The node makes AES-GCM IVs: a caller's is refused under the default policy.
      [
        '/v1/crypto/encrypt',
        { keyHandle: aes.handle, mechanism: 'AES_GCM', plaintext: 'AA==', iv: 'AAAAAAAAAAAAAAAA' },
        'IV_NOT_ALLOWED',
      ],
    ] as const;
    for (const [path, body, code] of cases) {
      assert.equal(codeOf(await t.api.call('POST', path, { token: alice, body })), code, JSON.stringify(body));
    }
    const afterwards = (await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?limit=1000', { token: alice })).body.keys
      .length;
    assert.equal(afterwards, before);
  });

  test('the owner deletes a key; it is gone for good', async () => {
    const doomed = (
      await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token: alice,
        body: { keyType: 'aes', keyLengthBytes: 32, label: 'doomed' },
      })
    ).body.key;
    assert.equal((await t.api.call('DELETE', `/v1/keys/${doomed.handle}`, { token: alice })).status, 204);
    assert.equal(codeOf(await t.api.call('GET', `/v1/keys/${doomed.handle}`, { token: alice })), 'KEY_NOT_FOUND');
    assert.deepEqual(
      (await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?label=doomed', { token: alice })).body.keys,
      [],
    );
  });
});
