import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { codeOf, type ApiAnswer } from './support/api.js';
import {
  approve,
  generateToken,
  registerKey,
  signerKeys,
  withApproval,
  type SignerKeys,
} from './support/quorum-kit.js';
import { startTestNode, type TestNode } from './support/test-node.js';

const crypto = (username: string) => ({ username, role: 'crypto-user', password: `${username}-password` });

describe('quorum on the user service: three admins, M = 2 (real node, real TLS)', () => {
  let t: TestNode;
  const tokens: Record<string, string> = {};
  const keys: Record<string, SignerKeys> = {};
  const signers = (...names: string[]) => names.map((name): [string, SignerKeys] => [name, keys[name]!]);

  before(async () => {
    t = await startTestNode();
    tokens.admin = await t.api.login('admin', t.adminPassword);
    for (const name of ['admin2', 'admin3']) {
      const created: ApiAnswer = await t.api.call('POST', '/v1/users', {
        token: tokens.admin!,
        body: { username: name, role: 'admin', password: `${name}-password` },
      });
      assert.equal(created.status, 201, created.text);
      tokens[name] = await t.api.login(name, `${name}-password`);
    }
    for (const name of ['admin', 'admin2', 'admin3']) {
      keys[name] = signerKeys(name === 'admin2' ? 'rsa' : 'ec');
      const password = name === 'admin' ? t.adminPassword : `${name}-password`;
      const registered = await registerKey(t.api, tokens[name]!, 'quorum', keys[name]!, password);
      assert.equal(registered.status, 200, registered.text);
      assert.equal(registered.body.quorumKey, true);
    }
    // quorum = 3 first (the user value must stay below it), then user = 2 under the quorum service's approval.
    const quorumValue = await t.api.call('PUT', '/v1/quorum/values/quorum', {
      token: tokens.admin,
      body: { value: 3 },
    });
    assert.equal(quorumValue.status, 200, quorumValue.text);
    const unapproved = await t.api.call('PUT', '/v1/quorum/values/user', { token: tokens.admin, body: { value: 2 } });
    assert.equal(codeOf(unapproved), 'QUORUM_REQUIRED');
    const file = approve(
      await generateToken(t.api, tokens.admin!, { service: 'quorum' }),
      signers('admin', 'admin2', 'admin3'),
    );
    const userValue = await t.api.call('PUT', '/v1/quorum/values/user', {
      token: tokens.admin,
      body: { value: 2 },
      headers: withApproval(file),
    });
    assert.equal(userValue.status, 200, userValue.text);
    assert.deepEqual(userValue.body.values, { user: 2, quorum: 3, cluster: 1 });
  });
  after(() => t.stop());

  test('the cluster service: with value 2, changing the cluster policy takes two approvals', async () => {
    const set = await t.api.call('PUT', '/v1/quorum/values/cluster', {
      token: tokens.admin,
      body: { value: 2 },
      headers: withApproval(
        approve(await generateToken(t.api, tokens.admin!, { service: 'quorum' }), signers('admin', 'admin2', 'admin3')),
      ),
    });
    assert.equal(set.status, 200, set.text);
    const body = { allowPlaintextImport: true };
    assert.equal(
      codeOf(await t.api.call('PUT', '/v1/cluster/policy', { token: tokens.admin, body })),
      'QUORUM_REQUIRED',
    );
    const file = approve(
      await generateToken(t.api, tokens.admin!, { service: 'cluster' }),
      signers('admin2', 'admin3'),
    );
    const approved = await t.api.call('PUT', '/v1/cluster/policy', {
      token: tokens.admin,
      body,
      headers: withApproval(file),
    });
    assert.equal(approved.status, 200, approved.text);
    const replay = await t.api.call('PUT', '/v1/cluster/policy', {
      token: tokens.admin,
      body,
      headers: withApproval(file),
    });
    assert.equal(codeOf(replay), 'QUORUM_TOKEN_INVALID');
    const reset = await t.api.call('PUT', '/v1/quorum/values/cluster', {
      token: tokens.admin,
      body: { value: 1 },
      headers: withApproval(
        approve(await generateToken(t.api, tokens.admin!, { service: 'quorum' }), signers('admin', 'admin2', 'admin3')),
      ),
    });
    assert.equal(reset.status, 200, reset.text);
  });

  test('values out of range or breaking user < quorum are refused', async () => {
    for (const value of [0, 9]) {
      const answer = await t.api.call('PUT', '/v1/quorum/values/cluster', { token: tokens.admin, body: { value } });
      assert.equal(codeOf(answer), 'INVALID_FIELD', String(value));
    }
    const file = approve(
      await generateToken(t.api, tokens.admin!, { service: 'quorum' }),
      signers('admin', 'admin2', 'admin3'),
    );
    const breaks = await t.api.call('PUT', '/v1/quorum/values/user', {
      token: tokens.admin,
      body: { value: 3 },
      headers: withApproval(file),
    });
    assert.equal(codeOf(breaks), 'QUORUM_VALUE_INVALID');
  });

  test('creating a crypto user without approvals fails with QUORUM_REQUIRED', async () => {
    const answer = await t.api.call('POST', '/v1/users', { token: tokens.admin, body: crypto('carol') });
    assert.equal(codeOf(answer), 'QUORUM_REQUIRED');
    assert.equal(answer.status, 403);
    const users = await t.api.call<{ users: { username: string }[] }>('GET', '/v1/users', { token: tokens.admin });
    assert.ok(!users.body.users.some((user) => user.username === 'carol'));
  });

  test('with two approvals it succeeds; replaying the token fails', async () => {
    const file = approve(await generateToken(t.api, tokens.admin!, { service: 'user' }), signers('admin2', 'admin3'));
    const created = await t.api.call('POST', '/v1/users', {
      token: tokens.admin,
      body: crypto('carol'),
      headers: withApproval(file),
    });
    assert.equal(created.status, 201, created.text);
    const replay = await t.api.call('POST', '/v1/users', {
      token: tokens.admin,
      body: crypto('dave'),
      headers: withApproval(file),
    });
    assert.equal(codeOf(replay), 'QUORUM_TOKEN_INVALID');
  });

  test('an expired token fails', async () => {
    const file = approve(
      await generateToken(t.api, tokens.admin!, { service: 'user', timeoutSeconds: 1 }),
      signers('admin2', 'admin3'),
    );
    await sleep(1100);
    const answer = await t.api.call('POST', '/v1/users', {
      token: tokens.admin,
      body: crypto('erin'),
      headers: withApproval(file),
    });
    assert.equal(codeOf(answer), 'QUORUM_TOKEN_INVALID');
  });

  test('an approval signed by an unregistered key does not count; the token survives the refusal', async () => {
    const generated = await generateToken(t.api, tokens.admin!, { service: 'user' });
    const forged = approve(generated, [...signers('admin2'), ['admin3', signerKeys()]]);
    const refused = await t.api.call('POST', '/v1/users', {
      token: tokens.admin,
      body: crypto('frank'),
      headers: withApproval(forged),
    });
    assert.equal(codeOf(refused), 'QUORUM_APPROVALS_INSUFFICIENT');
    const duplicate = approve(generated, [...signers('admin2'), ['admin2', keys.admin2!]]);
    assert.equal(
      codeOf(
        await t.api.call('POST', '/v1/users', {
          token: tokens.admin,
          body: crypto('frank'),
          headers: withApproval(duplicate),
        }),
      ),
      'QUORUM_APPROVALS_INSUFFICIENT',
      'one approver counts once',
    );
    const good = approve(generated, signers('admin2', 'admin3'));
    const created = await t.api.call('POST', '/v1/users', {
      token: tokens.admin,
      body: crypto('frank'),
      headers: withApproval(good),
    });
    assert.equal(created.status, 201, created.text);
  });

  test('a crypto user cannot approve admin services; a token serves only its session and service', async () => {
    const file = await generateToken(t.api, tokens.admin!, { service: 'user' });
    const carol = await t.api.login('carol', 'carol-password');
    const carolKey = signerKeys();
    assert.equal((await registerKey(t.api, carol, 'quorum', carolKey, 'carol-password')).status, 200);
    const byCryptoUser = approve(file, [...signers('admin2'), ['carol', carolKey]]);
    assert.equal(
      codeOf(
        await t.api.call('POST', '/v1/users', {
          token: tokens.admin,
          body: crypto('gina'),
          headers: withApproval(byCryptoUser),
        }),
      ),
      'QUORUM_APPROVALS_INSUFFICIENT',
    );
    const approved = approve(file, signers('admin2', 'admin3'));
    const otherSession = await t.api.login('admin', t.adminPassword);
    const elsewhere = await t.api.call('POST', '/v1/users', {
      token: otherSession,
      body: crypto('gina'),
      headers: withApproval(approved),
    });
    assert.equal(codeOf(elsewhere), 'QUORUM_TOKEN_INVALID');
    const quorumToken = approve(
      await generateToken(t.api, tokens.admin!, { service: 'cluster' }),
      signers('admin2', 'admin3'),
    );
    const wrongService = await t.api.call('POST', '/v1/users', {
      token: tokens.admin,
      body: crypto('gina'),
      headers: withApproval(quorumToken),
    });
    assert.equal(codeOf(wrongService), 'QUORUM_TOKEN_INVALID');
  });

  test("deleting a user and changing another user's password take the user quorum too", async () => {
    assert.equal(codeOf(await t.api.call('DELETE', '/v1/users/frank', { token: tokens.admin })), 'QUORUM_REQUIRED');
    const change = { newPassword: 'frank-new-password' };
    assert.equal(
      codeOf(await t.api.call('PUT', '/v1/users/frank/password', { token: tokens.admin, body: change })),
      'QUORUM_REQUIRED',
    );
    const file = approve(await generateToken(t.api, tokens.admin!, { service: 'user' }), signers('admin', 'admin3'));
    const changed = await t.api.call('PUT', '/v1/users/frank/password', {
      token: tokens.admin,
      body: change,
      headers: withApproval(file),
    });
    assert.equal(changed.status, 204, changed.text);
    assert.ok(await t.api.login('frank', 'frank-new-password'));
    const deletion = approve(
      await generateToken(t.api, tokens.admin!, { service: 'user' }),
      signers('admin2', 'admin3'),
    );
    assert.equal(
      (await t.api.call('DELETE', '/v1/users/frank', { token: tokens.admin, headers: withApproval(deletion) })).status,
      204,
    );
  });

  test('tokens are listed and deleted; the quorum actions are audited', async () => {
    const file = await generateToken(t.api, tokens.admin2!, { service: 'user' });
    const listed = await t.api.call<{ tokens: { token: string; approvalsRequired: number }[] }>(
      'GET',
      '/v1/quorum/tokens',
      { token: tokens.admin },
    );
    assert.equal(listed.body.tokens.find((entry) => entry.token === file.token)?.approvalsRequired, 2);
    const carol = await t.api.login('carol', 'carol-password');
    assert.equal(
      codeOf(await t.api.call('DELETE', `/v1/quorum/tokens/${file.token}`, { token: carol })),
      'PERMISSION_DENIED',
    );
    assert.equal((await t.api.call('DELETE', `/v1/quorum/tokens/${file.token}`, { token: tokens.admin2 })).status, 204);
    assert.equal(
      codeOf(await t.api.call('DELETE', `/v1/quorum/tokens/${file.token}`, { token: tokens.admin2 })),
      'QUORUM_TOKEN_INVALID',
    );
    const events = await t.api.call<{
      events: { action: string; result: string; code?: string; details?: Record<string, unknown> }[];
    }>('GET', '/v1/audit/events?limit=1000', { token: tokens.admin });
    const seen = (action: string, result: string, code?: string) =>
      events.body.events.some((event) => event.action === action && event.result === result && event.code === code);
    assert.ok(seen('user.change-quorum', 'success'));
    assert.ok(seen('quorum.set-value', 'success'));
    assert.ok(seen('quorum.token.generate', 'success'));
    assert.ok(seen('quorum.token.delete', 'success'));
    assert.ok(seen('quorum.token.consume', 'failure', 'QUORUM_REQUIRED'));
    assert.ok(seen('quorum.token.consume', 'failure', 'QUORUM_TOKEN_INVALID'));
    assert.ok(seen('quorum.token.consume', 'failure', 'QUORUM_APPROVALS_INSUFFICIENT'));
    const created = events.body.events.find((event) => event.action === 'user.create' && event.details?.quorumToken);
    assert.equal(created?.details?.approvers, 'admin2,admin3');
  });
});

describe('key-usage quorum on a key', () => {
  let t: TestNode;
  let carol: string;
  let dave: string;
  let handle: string;
  const carolKey = signerKeys();
  const daveKey = signerKeys('rsa');

  before(async () => {
    t = await startTestNode();
    const carolUser = await t.cryptoUser('carol');
    const daveUser = await t.cryptoUser('dave');
    carol = carolUser.token;
    dave = daveUser.token;
    const key = await t.api.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token: carol,
      body: { keyType: 'aes', keyLengthBytes: 32, label: 'quorum-key' },
    });
    handle = key.body.key.handle;
    assert.equal((await registerKey(t.api, carol, 'quorum', carolKey, carolUser.password)).status, 200);
    assert.equal((await registerKey(t.api, dave, 'quorum', daveKey, daveUser.password)).status, 200);
  });
  after(() => t.stop());

  const encrypt = (token: string, headers?: Record<string, string>) =>
    t.api.call('POST', '/v1/crypto/encrypt', {
      token,
      body: { keyHandle: handle, mechanism: 'AES_GCM', plaintext: Buffer.from('hello').toString('base64') },
      ...(headers ? { headers } : {}),
    });

  test('the value is at most the owner plus the shared users, and only the owner sets it', async () => {
    const tooHigh = await t.api.call('PUT', `/v1/keys/${handle}/quorum`, { token: carol, body: { 'key-usage': 2 } });
    assert.equal(codeOf(tooHigh), 'QUORUM_VALUE_INVALID');
    const shared = await t.api.call('POST', `/v1/keys/${handle}/shares`, { token: carol, body: { username: 'dave' } });
    assert.equal(shared.status, 200, shared.text);
    assert.equal(
      codeOf(await t.api.call('PUT', `/v1/keys/${handle}/quorum`, { token: dave, body: { 'key-usage': 2 } })),
      'PERMISSION_DENIED',
    );
    const set = await t.api.call('PUT', `/v1/keys/${handle}/quorum`, { token: carol, body: { 'key-usage': 2 } });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body['key-usage'], 2);
  });

  test("use needs the key users' approvals, and each token serves one use", async () => {
    assert.equal(codeOf(await encrypt(carol)), 'QUORUM_REQUIRED');
    const file = approve(await generateToken(t.api, carol, { service: 'key-usage', keyHandle: handle }), [
      ['carol', carolKey],
      ['dave', daveKey],
    ]);
    const used = await encrypt(carol, withApproval(file));
    assert.equal(used.status, 200, used.text);
    assert.equal(codeOf(await encrypt(carol, withApproval(file))), 'QUORUM_TOKEN_INVALID');
    const alone = approve(await generateToken(t.api, carol, { service: 'key-usage', keyHandle: handle }), [
      ['carol', carolKey],
    ]);
    assert.equal(codeOf(await encrypt(carol, withApproval(alone))), 'QUORUM_APPROVALS_INSUFFICIENT');
  });

  test('an approval by a user the key is not shared with does not count', async () => {
    const { token: erin, password: erinPassword } = await t.cryptoUser('erin');
    const erinKey = signerKeys();
    assert.equal((await registerKey(t.api, erin, 'quorum', erinKey, erinPassword)).status, 200);
    const file = approve(await generateToken(t.api, dave, { service: 'key-usage', keyHandle: handle }), [
      ['dave', daveKey],
      ['erin', erinKey],
    ]);
    assert.equal(codeOf(await encrypt(dave, withApproval(file))), 'QUORUM_APPROVALS_INSUFFICIENT');
  });

  test('a wrap whose two keys both have quorum takes an approval for each, in one header', async () => {
    const make = async (attributes: Record<string, boolean>) => {
      const made = await t.api.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
        token: carol,
        body: { keyType: 'aes', keyLengthBytes: 32, attributes },
      });
      assert.equal(made.status, 201, made.text);
      const key = made.body.key.handle;
      const shared = await t.api.call('POST', `/v1/keys/${key}/shares`, { token: carol, body: { username: 'dave' } });
      assert.equal(shared.status, 200, shared.text);
      const set = await t.api.call('PUT', `/v1/keys/${key}/quorum`, { token: carol, body: { 'key-usage': 2 } });
      assert.equal(set.status, 200, set.text);
      return key;
    };
    const kek = await make({ wrap: true, unwrap: true });
    const target = await make({ extractable: true });
    const wrap = (headers?: Record<string, string>) =>
      t.api.call('POST', '/v1/keys/wrap', {
        token: carol,
        body: { wrappingKeyHandle: kek, keyHandle: target, mechanism: 'AES_KEY_WRAP_PAD' },
        ...(headers ? { headers } : {}),
      });
    const both: [string, SignerKeys][] = [
      ['carol', carolKey],
      ['dave', daveKey],
    ];
    const forUse = async () =>
      approve(await generateToken(t.api, carol, { service: 'key-usage', keyHandle: kek }), both);
    assert.equal(codeOf(await wrap()), 'QUORUM_REQUIRED');
    // One approval is the wrapping key's: the key to wrap has none for its own service and key.
    assert.equal(codeOf(await wrap(withApproval(await forUse()))), 'QUORUM_TOKEN_INVALID', "the target's is missing");
    // Exporting the target takes a key-management token at the stricter of its two values (2).
    const forExport = approve(
      await generateToken(t.api, carol, { service: 'key-management', keyHandle: target }),
      both,
    );
    const wrapped = await wrap(withApproval([await forUse(), forExport]));
    assert.equal(wrapped.status, 200, wrapped.text);
  });

  test('deletion is under the key-management value', async () => {
    const set = await t.api.call('PUT', `/v1/keys/${handle}/quorum`, { token: carol, body: { 'key-management': 2 } });
    assert.equal(set.status, 200, set.text);
    assert.equal(codeOf(await t.api.call('DELETE', `/v1/keys/${handle}`, { token: carol })), 'QUORUM_REQUIRED');
    const file = approve(await generateToken(t.api, carol, { service: 'key-management', keyHandle: handle }), [
      ['carol', carolKey],
      ['dave', daveKey],
    ]);
    const deleted = await t.api.call('DELETE', `/v1/keys/${handle}`, { token: carol, headers: withApproval(file) });
    assert.equal(deleted.status, 204, deleted.text);
  });
});
