import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Key {
  handle: string;
  owner: string;
  sharedWith: string[];
  attributes: Record<string, boolean>;
}

describe('key sharing and list filters over the API', () => {
  let t: TestNode;
  let alice: string;
  let bob: string;
  let admin: string;
  let key: Key;

  before(async () => {
    t = await startTestNode();
    alice = (await t.cryptoUser('alice')).token;
    bob = (await t.cryptoUser('bob')).token;
    admin = await t.api.login('admin', t.adminPassword);
    key = (
      await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token: alice,
        body: { keyType: 'aes', keyLengthBytes: 32, label: 'shared' },
      })
    ).body.key;
  });
  after(() => t.stop());

  const list = async (token: string, query = '') =>
    (await t.api.call<{ keys: Key[] }>('GET', `/v1/keys${query}`, { token })).body.keys.map((k) => k.handle);

  test('a shared user sees, lists and uses the key but cannot manage it; unsharing ends that', async () => {
    const shared = await t.api.call<{ key: Key }>('POST', `/v1/keys/${key.handle}/shares`, {
      token: alice,
      body: { username: 'bob' },
    });
    assert.equal(shared.status, 200, shared.text);
    assert.deepEqual(shared.body.key.sharedWith, ['bob']);
    assert.deepEqual(await list(bob), [key.handle]);
    const used = await t.api.call('POST', '/v1/crypto/encrypt', {
      token: bob,
      body: { keyHandle: key.handle, mechanism: 'AES_GCM', plaintext: 'AA==' },
    });
    assert.equal(used.status, 200, used.text);
    for (const [method, path, body] of [
      ['DELETE', `/v1/keys/${key.handle}`, undefined],
      ['PATCH', `/v1/keys/${key.handle}`, { label: 'bobs' }],
      ['POST', `/v1/keys/${key.handle}/shares`, { username: 'bob' }],
      ['DELETE', `/v1/keys/${key.handle}/shares/bob`, undefined],
    ] as const) {
      assert.equal(
        codeOf(await t.api.call(method, path, { token: bob, body })),
        'PERMISSION_DENIED',
        `${method} ${path}`,
      );
    }
    const unshared = await t.api.call<{ key: Key }>('DELETE', `/v1/keys/${key.handle}/shares/bob`, { token: alice });
    assert.deepEqual(unshared.body.key.sharedWith, []);
    assert.deepEqual(await list(bob), []);
    assert.equal(codeOf(await t.api.call('GET', `/v1/keys/${key.handle}`, { token: bob })), 'KEY_NOT_FOUND');
  });

  test('share refusals: yourself, an admin, a missing user; admins may not share', async () => {
    const share = (username: string, token = alice) =>
      t.api.call('POST', `/v1/keys/${key.handle}/shares`, { token, body: { username } });
    assert.equal(codeOf(await share('alice')), 'KEY_SHARE_INVALID');
    assert.equal(codeOf(await share('admin')), 'KEY_SHARE_INVALID');
    assert.equal(codeOf(await share('nobody')), 'USER_NOT_FOUND');
    assert.equal(codeOf(await share('bob', admin)), 'PERMISSION_DENIED');
  });

  test('GET /v1/keys: owner= and usage flags, validated', async () => {
    const bobs = (
      await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token: bob,
        body: { keyType: 'aes', keyLengthBytes: 16, attributes: { encrypt: false } },
      })
    ).body.key;
    assert.deepEqual(await list(admin, '?owner=bob'), [bobs.handle]);
    assert.deepEqual(await list(alice, '?owner=bob'), []);
    assert.deepEqual(await list(bob, '?owner=bob'), [bobs.handle]);
    assert.deepEqual(await list(bob, '?encrypt=false'), [bobs.handle]);
    assert.deepEqual(await list(bob, '?encrypt=true'), []);
    assert.deepEqual(await list(alice, '?encrypt=true&sensitive=true&token=true'), [key.handle]);
    const bad = await t.api.call('GET', '/v1/keys?encrypt=yes', { token: alice });
    assert.equal(codeOf(bad), 'INVALID_FIELD');
    assert.equal(codeOf(await t.api.call('GET', '/v1/keys?frob=true', { token: alice })), 'UNKNOWN_FIELD');
  });
});

describe('deleting a user a key is shared with', () => {
  test('is refused, so a later user of the same name cannot inherit the access', async () => {
    const t = await startTestNode();
    try {
      const owner = await t.cryptoUser('owner_u');
      await t.cryptoUser('sharee_u');
      const admin = await t.api.login('admin', t.adminPassword);
      const key = await t.api.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
        token: owner.token,
        body: { keyType: 'aes', keyLengthBytes: 32 },
      });
      const shared = await t.api.call('POST', `/v1/keys/${key.body.key.handle}/shares`, {
        token: owner.token,
        body: { username: 'sharee_u' },
      });
      assert.equal(shared.status, 200, shared.text);
      const refused = await t.api.call('DELETE', '/v1/users/sharee_u', { token: admin });
      assert.equal((refused.body as { error: { code: string } }).error.code, 'USER_OWNS_KEYS');
      await t.api.call('DELETE', `/v1/keys/${key.body.key.handle}/shares/sharee_u`, { token: owner.token });
      assert.equal((await t.api.call('DELETE', '/v1/users/sharee_u', { token: admin })).status, 204);
    } finally {
      await t.stop();
    }
  });
});
