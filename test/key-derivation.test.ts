import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Key {
  handle: string;
  class: string;
  keyType: string;
  checkValue: string;
  owner: string;
  attributes: Record<string, boolean>;
  shape: { valueLen?: number };
}

describe('key derivation over the API', () => {
  let t: TestNode;
  let alice: string;
  let bob: string;

  const post = <T = Record<string, unknown>>(path: string, body: unknown, token: string) =>
    t.api.call<T>('POST', path, { token, body });

  before(async () => {
    t = await startTestNode();
    alice = (await t.cryptoUser('alice')).token;
    bob = (await t.cryptoUser('bob')).token;
  });
  after(() => t.stop());

  async function ecPair(token: string): Promise<{ privateKey: Key; spki: Buffer }> {
    const pair = await post<{ publicKey: Key; privateKey: Key }>(
      '/v1/keys/pairs',
      { keyType: 'ec', curve: 'secp256r1', label: 'agreement', privateAttributes: { derive: true, sign: false } },
      token,
    );
    assert.equal(pair.status, 201, pair.text);
    const pem = (
      await t.api.call<{ pem: string }>('GET', `/v1/keys/${pair.body.publicKey.handle}/public-key`, { token })
    ).body.pem;
    return { privateKey: pair.body.privateKey, spki: createPublicKey(pem).export({ type: 'spki', format: 'der' }) };
  }

  test('ECDH between two users derives keys that decrypt each other’s data', async () => {
    const a = await ecPair(alice);
    const b = await ecPair(bob);
    const derive = (token: string, base: Key, peer: Buffer) =>
      post<{ key: Key }>(
        '/v1/keys/derive',
        {
          baseKeyHandle: base.handle,
          mechanism: 'ECDH1_DERIVE',
          keyType: 'aes',
          keyLengthBytes: 32,
          label: 'shared',
          attributes: { encrypt: true, decrypt: true },
          publicKey: peer.toString('base64'),
          kdf: 'null',
        },
        token,
      );
    const ours = await derive(alice, a.privateKey, b.spki);
    const theirs = await derive(bob, b.privateKey, a.spki);
    assert.equal(ours.status, 201, ours.text);
    assert.equal(theirs.status, 201, theirs.text);
    assert.equal(ours.body.key.owner, 'alice');
    assert.equal(theirs.body.key.owner, 'bob');
    assert.equal(ours.body.key.attributes.local, false);
    assert.equal(ours.body.key.checkValue, theirs.body.key.checkValue);
    const plaintext = randomBytes(100);
    const enc = await post<{ ciphertext: string; iv: string }>(
      '/v1/crypto/encrypt',
      { keyHandle: ours.body.key.handle, mechanism: 'AES_GCM', plaintext: plaintext.toString('base64') },
      alice,
    );
    const dec = await post<{ plaintext: string }>(
      '/v1/crypto/decrypt',
      { keyHandle: theirs.body.key.handle, mechanism: 'AES_GCM', ciphertext: enc.body.ciphertext, iv: enc.body.iv },
      bob,
    );
    assert.equal(dec.status, 200, dec.text);
    assert.deepEqual(Buffer.from(dec.body.plaintext, 'base64'), plaintext);
  });

  test('a public key with CKA_DERIVE true derives nothing: a derivation’s base is the private half', async () => {
    const pair = await post<{ publicKey: Key; privateKey: Key }>(
      '/v1/keys/pairs',
      { keyType: 'ec', curve: 'secp256r1', publicAttributes: { derive: true }, privateAttributes: { derive: true } },
      alice,
    );
    assert.equal(pair.status, 201, pair.text);
    assert.equal(pair.body.publicKey.attributes.derive, true);
    const peer = await ecPair(bob);
    const derived = await post(
      '/v1/keys/derive',
      {
        baseKeyHandle: pair.body.publicKey.handle,
        mechanism: 'ECDH1_DERIVE',
        keyType: 'aes',
        keyLengthBytes: 32,
        publicKey: peer.spki.toString('base64'),
        kdf: 'null',
      },
      alice,
    );
    assert.equal(codeOf(derived), 'KEY_TYPE_INCONSISTENT');
  });

  test('HKDF derives the same key from the same inputs, and another from other inputs', async () => {
    const base = await post<{ key: Key }>(
      '/v1/keys/symmetric',
      { keyType: 'generic-secret', keyLengthBytes: 32, label: 'ikm', attributes: { derive: true } },
      alice,
    );
    assert.equal(base.status, 201, base.text);
    const hkdf = (info: string) =>
      post<{ key: Key }>(
        '/v1/keys/derive',
        {
          baseKeyHandle: base.body.key.handle,
          mechanism: 'HKDF_DERIVE',
          keyType: 'aes',
          keyLengthBytes: 32,
          hash: 'sha256',
          salt: Buffer.from('salt').toString('base64'),
          info: Buffer.from(info).toString('base64'),
        },
        alice,
      );
    const one = await hkdf('payments');
    const two = await hkdf('payments');
    const other = await hkdf('reports');
    assert.equal(one.status, 201, one.text);
    assert.notEqual(one.body.key.handle, two.body.key.handle);
    assert.equal(one.body.key.checkValue, two.body.key.checkValue);
    assert.notEqual(one.body.key.checkValue, other.body.key.checkValue);
    assert.equal(one.body.key.attributes.neverExtractable, true, 'inherited from a never-extractable base key');
  });

  test('derive needs the base key’s derive attribute, a derive mechanism and a secret key type', async () => {
    const plain = await post<{ key: Key }>(
      '/v1/keys/symmetric',
      { keyType: 'generic-secret', keyLengthBytes: 32, label: 'x' },
      alice,
    );
    const body = { baseKeyHandle: plain.body.key.handle, mechanism: 'HKDF_DERIVE', keyType: 'aes', keyLengthBytes: 32 };
    assert.equal(codeOf(await post('/v1/keys/derive', body, alice)), 'KEY_FUNCTION_NOT_PERMITTED');
    assert.equal(codeOf(await post('/v1/keys/derive', { ...body, mechanism: 'AES_GCM' }, alice)), 'MECHANISM_INVALID');
    assert.equal(codeOf(await post('/v1/keys/derive', body, bob)), 'KEY_NOT_FOUND');
    const admin = await t.api.login('admin', t.adminPassword);
    assert.equal(codeOf(await post('/v1/keys/derive', body, admin)), 'PERMISSION_DENIED');
  });
});
