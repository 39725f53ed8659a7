import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Key {
  handle: string;
  version: number;
  attributes: Record<string, boolean>;
}
const b64 = (bytes: Buffer): string => bytes.toString('base64');

describe('digest, random, multi-part, batch, rotation and session keys', () => {
  let t: TestNode;
  let alice: string;
  let alicePassword: string;
  let aes: Key;
  let ec: { publicKey: Key; privateKey: Key };

  before(async () => {
    t = await startTestNode();
    ({ token: alice, password: alicePassword } = await t.cryptoUser('alice'));
    aes = (
      await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token: alice,
        body: { keyType: 'aes', keyLengthBytes: 32, label: 'ops-aes' },
      })
    ).body.key;
    ec = (
      await t.api.call<{ publicKey: Key; privateKey: Key }>('POST', '/v1/keys/pairs', {
        token: alice,
        body: { keyType: 'ec', curve: 'secp256r1', label: 'ops-ec' },
      })
    ).body;
  });
  after(() => t.stop());

  test('digest matches node, random has the asked length and differs', async () => {
    const data = randomBytes(3000);
    const digest = await t.api.call<{ digest: string }>('POST', '/v1/crypto/digest', {
      token: alice,
      body: { mechanism: 'SHA256', data: b64(data) },
    });
    assert.equal(digest.body.digest, createHash('sha256').update(data).digest('base64'));
    const [one, two] = await Promise.all(
      [0, 1].map(() =>
        t.api.call<{ random: string }>('POST', '/v1/crypto/random', { token: alice, body: { length: 48 } }),
      ),
    );
    assert.equal(Buffer.from(one!.body.random, 'base64').length, 48);
    assert.notEqual(one!.body.random, two!.body.random);
    assert.equal(
      codeOf(await t.api.call('POST', '/v1/crypto/random', { token: alice, body: { length: 70_000 } })),
      'DATA_LEN_RANGE',
    );
  });

  test('multi-part AES-GCM encryption in odd parts decrypts single-part', async () => {
    const plaintext = randomBytes(5000);
    const begun = await t.api.call<{ operationId: string; iv: string }>('POST', '/v1/crypto/operations', {
      token: alice,
      body: { operation: 'encrypt', keyHandle: aes.handle, mechanism: 'AES_GCM' },
    });
    assert.equal(begun.status, 201, begun.text);
    const outputs: Buffer[] = [];
    for (const [start, end] of [
      [0, 1],
      [1, 17],
      [17, 4000],
      [4000, 4999],
    ] as const) {
      const part = await t.api.call<{ output?: string }>(
        'POST',
        `/v1/crypto/operations/${begun.body.operationId}/update`,
        { token: alice, body: { data: b64(plaintext.subarray(start, end)) } },
      );
      assert.equal(part.status, 200, part.text);
      if (part.body.output) outputs.push(Buffer.from(part.body.output, 'base64'));
    }
    const final = await t.api.call<{ output: string }>(
      'POST',
      `/v1/crypto/operations/${begun.body.operationId}/final`,
      { token: alice, body: { data: b64(plaintext.subarray(4999)) } },
    );
    outputs.push(Buffer.from(final.body.output, 'base64'));
    const decrypted = await t.api.call<{ plaintext: string }>('POST', '/v1/crypto/decrypt', {
      token: alice,
      body: { keyHandle: aes.handle, mechanism: 'AES_GCM', ciphertext: b64(Buffer.concat(outputs)), iv: begun.body.iv },
    });
    assert.deepEqual(Buffer.from(decrypted.body.plaintext, 'base64'), plaintext);
    const gone = await t.api.call('POST', `/v1/crypto/operations/${begun.body.operationId}/update`, {
      token: alice,
      body: { data: 'AA==' },
    });
    assert.equal(codeOf(gone), 'OPERATION_NOT_INITIALIZED', 'final ends the operation');
  });

  test('multi-part ECDSA signing and digest; an operation belongs to its session', async () => {
    const data = randomBytes(2048);
    const sign = await t.api.call<{ operationId: string }>('POST', '/v1/crypto/operations', {
      token: alice,
      body: { operation: 'sign', keyHandle: ec.privateKey.handle, mechanism: 'ECDSA_SHA256' },
    });
    const otherSession = await t.api.login('alice', alicePassword);
    const stolen = await t.api.call('POST', `/v1/crypto/operations/${sign.body.operationId}/update`, {
      token: otherSession,
      body: { data: 'AA==' },
    });
    assert.equal(codeOf(stolen), 'OPERATION_NOT_INITIALIZED');
    await t.api.call('POST', `/v1/crypto/operations/${sign.body.operationId}/update`, {
      token: alice,
      body: { data: b64(data.subarray(0, 1000)) },
    });
    const signed = await t.api.call<{ signature: string }>(
      'POST',
      `/v1/crypto/operations/${sign.body.operationId}/final`,
      { token: alice, body: { data: b64(data.subarray(1000)) } },
    );
    const verified = await t.api.call('POST', '/v1/crypto/verify', {
      token: alice,
      body: {
        keyHandle: ec.publicKey.handle,
        mechanism: 'ECDSA_SHA256',
        data: b64(data),
        signature: signed.body.signature,
      },
    });
    assert.equal(verified.status, 200, verified.text);
    const digest = await t.api.call<{ operationId: string }>('POST', '/v1/crypto/operations', {
      token: alice,
      body: { operation: 'digest', mechanism: 'SHA512' },
    });
    await t.api.call('POST', `/v1/crypto/operations/${digest.body.operationId}/update`, {
      token: alice,
      body: { data: b64(data.subarray(0, 7)) },
    });
    const digested = await t.api.call<{ digest: string }>(
      'POST',
      `/v1/crypto/operations/${digest.body.operationId}/final`,
      { token: alice, body: { data: b64(data.subarray(7)) } },
    );
    assert.equal(digested.body.digest, createHash('sha512').update(data).digest('base64'));
  });

  test('a batch runs many operations, each checked alone, results in order', async () => {
    const data = b64(Buffer.from('batch me'));
    const batch = await t.api.call<{
      results: { status: number; body?: Record<string, string>; error?: { code: string } }[];
    }>('POST', '/v1/batch', {
      token: alice,
      body: {
        operations: [
          { operation: 'sign', keyHandle: ec.privateKey.handle, mechanism: 'ECDSA_SHA256', data },
          { operation: 'encrypt', keyHandle: aes.handle, mechanism: 'AES_GCM', plaintext: data },
          { operation: 'sign', keyHandle: aes.handle, mechanism: 'ECDSA_SHA256', data },
          { operation: 'encrypt', keyHandle: aes.handle, mechanism: 'AES_GCM', plaintext: data, colour: 'blue' },
          { operation: 'frobnicate' },
          { operation: 'digest', mechanism: 'SHA256', data },
        ],
      },
    });
    assert.equal(batch.status, 200, batch.text);
    const results = batch.body.results;
    assert.deepEqual(
      results.map((result) => result.status),
      [200, 200, 400, 400, 400, 200],
    );
    assert.deepEqual(
      results.map((result) => result.error?.code),
      [undefined, undefined, 'KEY_TYPE_INCONSISTENT', 'UNKNOWN_FIELD', 'INVALID_FIELD', undefined],
    );
    const verified = await t.api.call('POST', '/v1/crypto/verify', {
      token: alice,
      body: { keyHandle: ec.publicKey.handle, mechanism: 'ECDSA_SHA256', data, signature: results[0]!.body!.signature },
    });
    assert.equal(verified.status, 200);
    const admin = await t.api.login('admin', t.adminPassword);
    assert.equal(
      codeOf(
        await t.api.call('POST', '/v1/batch', {
          token: admin,
          body: { operations: [{ operation: 'random', length: 8 }] },
        }),
      ),
      'PERMISSION_DENIED',
    );
  });

  test('rotation: new encryptions use the newest version; every version still decrypts and verifies', async () => {
    const rotating = (
      await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token: alice,
        body: { keyType: 'aes', keyLengthBytes: 32, label: 'rotating' },
      })
    ).body.key;
    const pair = (
      await t.api.call<{ publicKey: Key; privateKey: Key }>('POST', '/v1/keys/pairs', {
        token: alice,
        body: { keyType: 'ec', curve: 'secp256r1', label: 'rotating-ec' },
      })
    ).body;
    const plaintext = b64(Buffer.from('written under version 1'));
    const v1 = await t.api.call<{ ciphertext: string; iv: string; keyVersion: number }>('POST', '/v1/crypto/encrypt', {
      token: alice,
      body: { keyHandle: rotating.handle, mechanism: 'AES_GCM', plaintext },
    });
    const signedV1 = await t.api.call<{ signature: string; keyVersion: number }>('POST', '/v1/crypto/sign', {
      token: alice,
      body: { keyHandle: pair.privateKey.handle, mechanism: 'ECDSA_SHA256', data: plaintext },
    });
    assert.deepEqual([v1.body.keyVersion, signedV1.body.keyVersion], [1, 1]);

    const rotated = await t.api.call<{ key: Key }>('POST', `/v1/keys/${rotating.handle}/rotate`, {
      token: alice,
      body: {},
    });
    assert.equal(rotated.body.key.version, 2);
    assert.equal(
      (await t.api.call<{ key: Key }>('POST', `/v1/keys/${pair.privateKey.handle}/rotate`, { token: alice, body: {} }))
        .body.key.version,
      2,
    );
    const v2 = await t.api.call<{ ciphertext: string; iv: string; keyVersion: number }>('POST', '/v1/crypto/encrypt', {
      token: alice,
      body: { keyHandle: rotating.handle, mechanism: 'AES_GCM', plaintext },
    });
    assert.equal(v2.body.keyVersion, 2);
    for (const written of [v1.body, v2.body]) {
      const decrypted = await t.api.call<{ plaintext: string }>('POST', '/v1/crypto/decrypt', {
        token: alice,
        body: { keyHandle: rotating.handle, mechanism: 'AES_GCM', ciphertext: written.ciphertext, iv: written.iv },
      });
      assert.equal(decrypted.body.plaintext, plaintext);
    }
    const wrongVersion = await t.api.call('POST', '/v1/crypto/decrypt', {
      token: alice,
      body: {
        keyHandle: rotating.handle,
        mechanism: 'AES_GCM',
        ciphertext: v1.body.ciphertext,
        iv: v1.body.iv,
        keyVersion: 2,
      },
    });
    assert.equal(codeOf(wrongVersion), 'ENCRYPTED_DATA_INVALID');
    const verifiedV1 = await t.api.call<{ keyVersion: number }>('POST', '/v1/crypto/verify', {
      token: alice,
      body: {
        keyHandle: pair.publicKey.handle,
        mechanism: 'ECDSA_SHA256',
        data: plaintext,
        signature: signedV1.body.signature,
      },
    });
    assert.equal(verifiedV1.body.keyVersion, 1);
    const bob = (await t.cryptoUser('bob_rot')).token;
    assert.equal(
      codeOf(await t.api.call('POST', `/v1/keys/${rotating.handle}/rotate`, { token: bob, body: {} })),
      'KEY_NOT_FOUND',
    );
    assert.equal((await t.api.call('DELETE', `/v1/keys/${rotating.handle}`, { token: alice })).status, 204);
  });

  test('session keys live in memory only, for their session only, and end with it', async () => {
    const session = await t.api.login('alice', alicePassword);
    const created = await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
      token: session,
      body: { keyType: 'aes', keyLengthBytes: 32, token: false },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.key.attributes.token, false);
    const handle = created.body.key.handle;
    const encrypted = await t.api.call('POST', '/v1/crypto/encrypt', {
      token: session,
      body: { keyHandle: handle, mechanism: 'AES_GCM', plaintext: 'aGk=' },
    });
    assert.equal(encrypted.status, 200);
    assert.equal(
      codeOf(await t.api.call('GET', `/v1/keys/${handle}`, { token: alice })),
      'KEY_NOT_FOUND',
      'another session of the same user does not see it',
    );
    const listed = await t.api.call<{ keys: Key[] }>('GET', '/v1/keys', { token: session });
    assert.ok(
      listed.body.keys.some((key) => key.handle === handle),
      'its own session lists it',
    );
    const elsewhere = await t.api.call<{ keys: Key[] }>('GET', '/v1/keys', { token: alice });
    assert.ok(!elsewhere.body.keys.some((key) => key.handle === handle));
    const files = await readdir(t.dir.root);
    const store = Buffer.concat(
      await Promise.all(
        files.filter((name) => name.startsWith('store.db')).map((name) => readFile(join(t.dir.root, name))),
      ),
    );
    assert.equal(store.indexOf(Buffer.from(`key/${handle}`)), -1, 'never stored');
    await t.api.call('DELETE', '/v1/sessions/current', { token: session });
    const again = await t.api.login('alice', alicePassword);
    assert.equal(
      codeOf(await t.api.call('GET', `/v1/keys/${handle}`, { token: again })),
      'KEY_NOT_FOUND',
      'gone with its session',
    );
  });
});
