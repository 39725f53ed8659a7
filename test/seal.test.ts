import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

describe('sealed nodes and M-of-N unseal (production node, 2-of-3 shares)', () => {
  let t: TestNode;
  let other: TestNode;
  before(async () => {
    t = await startTestNode({ mode: 'production', raw: true });
    other = await startTestNode({ mode: 'production', raw: true });
  });
  after(async () => {
    await t.stop();
    await other.stop();
  });

  const share = async (node: TestNode, index: number): Promise<string> =>
    (await readFile(node.init.shareFiles[index]!, 'utf8')).trim();

  test('a sealed node answers health and status, and refuses everything else', async () => {
    const health = await t.api.call('GET', '/v1/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.sealed, true);
    const status = await t.api.call('GET', '/v1/cluster/status');
    assert.deepEqual([status.body.sealed, status.body.mode, status.body.activated], [true, 'production', null]);
    for (const [method, path, body] of [
      ['POST', '/v1/sessions', { username: 'admin', password: 'whatever-it-is' }],
      ['POST', '/v1/crypto/sign', { keyHandle: '0x1', mechanism: 'ECDSA_SHA256', data: 'AA==' }],
      ['POST', '/v1/cluster/activate', { password: 'whatever-it-is' }],
      ['GET', '/v1/keys', undefined],
    ] as const) {
      const refused = await t.api.call(method, path, { body });
      assert.equal(codeOf(refused), 'NODE_SEALED', path);
      assert.equal(refused.status, 503);
    }
  });

  test('a malformed share is refused and does not count', async () => {
    const answer = await t.api.call('POST', '/v1/cluster/unseal', { body: { share: 'coffer-share-v1.not-a-share' } });
    assert.equal(codeOf(answer), 'UNSEAL_SHARE_INVALID');
    assert.equal(
      (await t.api.call<{ unseal: { progress: number } }>('GET', '/v1/cluster/status')).body.unseal.progress,
      0,
    );
  });

  test("a share of another cluster's root key fails the unseal and resets progress", async () => {
    const first = await t.api.call('POST', '/v1/cluster/unseal', { body: { share: await share(t, 0) } });
    assert.deepEqual([first.body.sealed, first.body.progress, first.body.threshold], [true, 1, 2]);
    const foreign = await t.api.call('POST', '/v1/cluster/unseal', { body: { share: await share(other, 1) } });
    assert.equal(codeOf(foreign), 'UNSEAL_FAILED');
    const status = await t.api.call<{ sealed: boolean; unseal: { progress: number } }>('GET', '/v1/cluster/status');
    assert.deepEqual([status.body.sealed, status.body.unseal.progress], [true, 0]);
  });

  test('any two of the three shares unseal; then the node serves', async () => {
    const first = await t.api.call('POST', '/v1/cluster/unseal', { body: { share: await share(t, 2) } });
    assert.equal(first.body.sealed, true);
    const again = await t.api.call('POST', '/v1/cluster/unseal', { body: { share: await share(t, 2) } });
    assert.equal(again.body.progress, 1, 'a repeated share does not count twice');
    const second = await t.api.call('POST', '/v1/cluster/unseal', { body: { share: await share(t, 0) } });
    assert.equal(second.body.sealed, false);
    assert.equal(
      codeOf(await t.api.call('POST', '/v1/cluster/unseal', { body: { share: await share(t, 1) } })),
      'ALREADY_UNSEALED',
    );
    assert.equal(
      (await t.api.call('POST', '/v1/cluster/activate', { body: { password: t.adminPassword } })).status,
      200,
    );
  });

  test('an admin seals the node: sessions end and crypto is refused until unsealed again', async () => {
    const admin = await t.api.login('admin', t.adminPassword);
    await t.api.call('POST', '/v1/users', {
      token: admin,
      body: { username: 'alice', role: 'crypto-user', password: 'alice-password' },
    });
    const alice = await t.api.login('alice', 'alice-password');
    const key = await t.api.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token: alice,
      body: { keyType: 'aes', keyLengthBytes: 32 },
    });
    assert.equal(codeOf(await t.api.call('POST', '/v1/cluster/seal', { token: alice, body: {} })), 'PERMISSION_DENIED');
    assert.equal((await t.api.call('POST', '/v1/cluster/seal', { token: admin, body: {} })).status, 200);
    const refused = await t.api.call('POST', '/v1/crypto/encrypt', {
      token: alice,
      body: { keyHandle: key.body.key.handle, mechanism: 'AES_GCM', plaintext: 'AA==' },
    });
    assert.equal(codeOf(refused), 'NODE_SEALED');
    await t.unsealAll();
    assert.equal(codeOf(await t.api.call('GET', '/v1/sessions/current', { token: alice })), 'SESSION_INVALID');
    const again = await t.api.login('alice', 'alice-password');
    const encrypted = await t.api.call('POST', '/v1/crypto/encrypt', {
      token: again,
      body: { keyHandle: key.body.key.handle, mechanism: 'AES_GCM', plaintext: 'AA==' },
    });
    assert.equal(encrypted.status, 200);
    const events = await t.api.call<{ events: { action: string }[] }>('GET', '/v1/audit/events?limit=1000', {
      token: await t.api.login('admin', t.adminPassword),
    });
    const actions = events.body.events.map((event) => event.action);
    assert.ok(actions.includes('cluster.seal') && actions.filter((action) => action === 'cluster.unseal').length === 2);
  });
});
