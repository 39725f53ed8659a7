import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { codeOf, type ApiAnswer } from './support/api.js';
import { auditEvents } from './support/audit-events.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Key {
  handle: string;
  label?: string;
}

const newKey = (): string => randomBytes(18).toString('base64url');
const header = (key: string) => ({ 'idempotency-key': key });

describe('Idempotency-Key on writes', () => {
  let t: TestNode;
  let alice: string;
  let bob: string;
  let admin: string;

  before(async () => {
    t = await startTestNode();
    alice = (await t.cryptoUser('alice')).token;
    bob = (await t.cryptoUser('bob')).token;
    admin = await t.api.login('admin', t.adminPassword);
  });
  after(() => t.stop());

  const generate = (token: string, key: string, label: string, length = 32): Promise<ApiAnswer<{ key: Key }>> =>
    t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
      token,
      headers: header(key),
      body: { keyType: 'aes', keyLengthBytes: length, label },
    });
  const withLabel = async (token: string, label: string): Promise<string[]> =>
    (await t.api.call<{ keys: Key[] }>('GET', `/v1/keys?label=${label}`, { token })).body.keys.map((k) => k.handle);

  test('a create sent twice (its first answer lost) makes one key and answers the same handle twice', async () => {
    const key = newKey();
    const first = await generate(alice, key, 'twice');
    const second = await generate(alice, key, 'twice');
    assert.equal(first.status, 201, first.text);
    assert.equal(second.status, 201, second.text);
    assert.equal(second.body.key.handle, first.body.key.handle);
    assert.deepEqual(second.body.key, first.body.key);
    assert.deepEqual(await withLabel(alice, 'twice'), [first.body.key.handle]);
    const events = await auditEvents(t.api, admin);
    const target = `key/${first.body.key.handle}`;
    assert.equal(events.filter((e) => e.action === 'key.generate' && e.target === target).length, 1);
    assert.equal(events.filter((e) => e.action === 'idempotency.replay' && e.target === target).length, 1);
  });

  test('concurrent duplicates race in the transaction: exactly one key pair, every answer names it', async () => {
    const key = newKey();
    // RSA generation takes long enough that every duplicate has looked for the record before the first commits.
    const send = () =>
      t.api.call<{ privateKey: Key }>('POST', '/v1/keys/pairs', {
        token: alice,
        headers: header(key),
        body: { keyType: 'rsa', modulusBits: 2048, label: 'raced' },
      });
    const answers = await Promise.all(Array.from({ length: 6 }, send));
    for (const answer of answers) assert.equal(answer.status, 201, answer.text);
    const handles = new Set(answers.map((answer) => answer.body.privateKey.handle));
    assert.equal(handles.size, 1);
    assert.equal((await withLabel(alice, 'raced')).length, 2);
  });

  test('the same key with another request is refused, and the refusal is audited', async () => {
    const key = newKey();
    assert.equal((await generate(alice, key, 'first')).status, 201);
    const other = await generate(alice, key, 'second');
    assert.equal(other.status, 422, other.text);
    assert.equal(codeOf(other), 'IDEMPOTENCY_KEY_REUSED');
    const elsewhere = await t.api.call('DELETE', '/v1/aliases/nothing-here', { token: alice, headers: header(key) });
    assert.equal(codeOf(elsewhere), 'IDEMPOTENCY_KEY_REUSED');
    assert.deepEqual(await withLabel(alice, 'second'), []);
    const refused = (await auditEvents(t.api, admin)).filter(
      (e) => e.action === 'idempotency.replay' && e.code === 'IDEMPOTENCY_KEY_REUSED' && e.actor === 'alice',
    );
    assert.equal(refused.length, 2);
  });

  test("keys are per user: another user's same key is its own request, and learns nothing", async () => {
    const key = newKey();
    const mine = await generate(alice, key, 'per-user');
    const theirs = await generate(bob, key, 'per-user-bob');
    assert.equal(theirs.status, 201, theirs.text);
    assert.notEqual(theirs.body.key.handle, mine.body.key.handle);
    assert.deepEqual(await withLabel(bob, 'per-user'), []);
  });

  test('a refused write leaves no record: its retry runs (here, corrected)', async () => {
    const key = newKey();
    const refused = await generate(alice, key, 'corrected', 7);
    assert.equal(codeOf(refused), 'KEY_SIZE_RANGE');
    const retried = await generate(alice, key, 'corrected');
    assert.equal(retried.status, 201, retried.text);
  });

  test('a delete retried answers 204 again instead of KEY_NOT_FOUND', async () => {
    const made = await generate(alice, newKey(), 'deleted');
    const key = newKey();
    const path = `/v1/keys/${made.body.key.handle}`;
    assert.equal((await t.api.call('DELETE', path, { token: alice, headers: header(key) })).status, 204);
    assert.equal((await t.api.call('DELETE', path, { token: alice, headers: header(key) })).status, 204);
    assert.equal(codeOf(await t.api.call('DELETE', path, { token: alice })), 'KEY_NOT_FOUND');
  });

  test('key changes, aliases, pairs, the PKCS#11 face and users replay their answers', async () => {
    const made = (await generate(alice, newKey(), 'changed')).body.key;
    const twice = async (method: string, path: string, token: string, body?: unknown) => {
      const key = newKey();
      const first = await t.api.call(method, path, { token, headers: header(key), body });
      const second = await t.api.call(method, path, { token, headers: header(key), body });
      assert.ok(first.status < 300, `${method} ${path}: ${first.text}`);
      assert.equal(second.status, first.status, `${method} ${path}: ${second.text}`);
      return [first.body, second.body] as const;
    };
    const [labelled, relabelled] = await twice('PATCH', `/v1/keys/${made.handle}`, alice, { label: 'renamed' });
    assert.deepEqual(relabelled, labelled);
    const [shared, reshared] = await twice('POST', `/v1/keys/${made.handle}/shares`, alice, { username: 'bob' });
    assert.deepEqual(reshared, shared);
    const [aliased, realiased] = await twice('PUT', '/v1/aliases/app/one', alice, { keyHandle: made.handle });
    assert.deepEqual(realiased, aliased);
    assert.deepEqual(aliased, { alias: 'app/one', keyHandle: made.handle });
    const [pair, repaired] = await twice('POST', '/v1/keys/pairs', alice, {
      keyType: 'ec',
      curve: 'secp256r1',
      label: 'pr',
    });
    assert.deepEqual(repaired, pair);
    assert.equal((await withLabel(alice, 'pr')).length, 2);
    const [rotated, rerotated] = await twice('POST', `/v1/keys/${made.handle}/rotate`, alice, {});
    assert.deepEqual(rerotated, rotated);
    assert.equal((rotated as { key: { version: number } }).key.version, 2);
    // CKA_VALUE_LEN 32, CKA_LABEL "p11-once".
    const template = [
      { type: 0x161, value: 32 },
      { type: 0x3, value: Buffer.from('p11-once').toString('base64') },
    ];
    const [generated, regenerated] = await twice('POST', '/v1/pkcs11/keys/generate', alice, {
      mechanism: 'AES_KEY_GEN',
      template,
    });
    assert.deepEqual(regenerated, generated);
    assert.equal((await withLabel(alice, 'p11-once')).length, 1);
    const [user, reuser] = await twice('POST', '/v1/users', admin, {
      username: 'carol',
      role: 'crypto-user',
      password: `pw-${randomBytes(9).toString('base64url')}`,
    });
    assert.deepEqual(reuser, user);
    const [gone, regone] = await twice('DELETE', '/v1/users/carol', admin);
    assert.deepEqual(regone, gone);
  });

  test('a route that makes no write refuses the header; a malformed key is refused', async () => {
    const made = (await generate(alice, newKey(), 'header-checks')).body.key;
    const encrypt = await t.api.call('POST', '/v1/crypto/encrypt', {
      token: alice,
      headers: header(newKey()),
      body: { keyHandle: made.handle, mechanism: 'AES_GCM', plaintext: 'AA==' },
    });
    assert.equal(codeOf(encrypt), 'IDEMPOTENCY_KEY_NOT_ACCEPTED');
    const read = await t.api.call('GET', `/v1/keys/${made.handle}`, { token: alice, headers: header(newKey()) });
    assert.equal(codeOf(read), 'IDEMPOTENCY_KEY_NOT_ACCEPTED');
    for (const bad of ['short', 'x'.repeat(65), 'has space in it 123']) {
      assert.equal(codeOf(await generate(alice, bad, 'bad-key')), 'IDEMPOTENCY_KEY_INVALID', bad);
    }
    assert.deepEqual(await withLabel(alice, 'bad-key'), []);
    const anonymous = await t.api.call('POST', '/v1/keys/symmetric', {
      headers: header(newKey()),
      body: { keyType: 'aes', keyLengthBytes: 32 },
    });
    assert.equal(codeOf(anonymous), 'NOT_AUTHENTICATED');
  });

  test('a batch item carries its own idempotencyKey: each write once, a retried batch answers the same', async () => {
    // CKA_VALUE_LEN 32, CKA_LABEL.
    const template = (label: string) => [
      { type: 0x161, value: 32 },
      { type: 0x3, value: Buffer.from(label).toString('base64') },
    ];
    const generateItem = (key: string, label: string) => ({
      operation: 'pkcs11.generate-key',
      idempotencyKey: key,
      mechanism: 'AES_KEY_GEN',
      template: template(label),
    });
    type Results = { results: { status: number; body?: { handle: string }; error?: { code: string } }[] };
    const batch = (token: string, operations: unknown[], headers: Record<string, string> = {}) =>
      t.api.call<Results>('POST', '/v1/batch', { token, headers, body: { operations } });
    const [one, two] = [newKey(), newKey()];
    const operations = [
      generateItem(one, 'batch-one'),
      generateItem(two, 'batch-two'),
      { operation: 'random', length: 8 },
    ];
    const first = await batch(alice, operations);
    const again = await batch(alice, operations);
    assert.equal(first.status, 200, first.text);
    assert.equal(again.status, 200, again.text);
    for (const index of [0, 1]) {
      assert.equal(first.body.results[index]!.status, 200, JSON.stringify(first.body.results[index]));
      assert.deepEqual(again.body.results[index], first.body.results[index]);
    }
    assert.deepEqual(await withLabel(alice, 'batch-one'), [first.body.results[0]!.body!.handle]);
    assert.deepEqual(await withLabel(alice, 'batch-two'), [first.body.results[1]!.body!.handle]);
    const events = await auditEvents(t.api, admin);
    const target = `key/${first.body.results[0]!.body!.handle}`;
    assert.equal(events.filter((e) => e.action === 'key.generate' && e.target === target).length, 1);
    assert.equal(events.filter((e) => e.action === 'idempotency.replay' && e.target === target).length, 1);

    // The same key for another item is refused, per item; keys are per user; a read takes none.
    const refused = await batch(alice, [
      generateItem(one, 'batch-other'),
      { operation: 'random', length: 8, idempotencyKey: newKey() },
      generateItem('short', 'batch-bad'),
    ]);
    assert.deepEqual(
      refused.body.results.map((result) => result.error?.code),
      ['IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_NOT_ACCEPTED', 'IDEMPOTENCY_KEY_INVALID'],
    );
    assert.deepEqual(await withLabel(alice, 'batch-other'), []);
    const bobs = await batch(bob, [generateItem(one, 'batch-one')]);
    assert.equal(bobs.body.results[0]!.status, 200, JSON.stringify(bobs.body.results[0]));
    assert.notEqual(bobs.body.results[0]!.body!.handle, first.body.results[0]!.body!.handle);
    // The batch itself takes no header: its items carry their keys.
    assert.equal(codeOf(await batch(alice, operations, header(newKey()))), 'IDEMPOTENCY_KEY_NOT_ACCEPTED');
  });

  test('XKS key store and access key writes replay; the writes that show a secret take no key', async () => {
    const made = (
      await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token: alice,
        body: { keyType: 'aes', keyLengthBytes: 32, attributes: { encrypt: true, decrypt: true } },
      })
    ).body.key;
    const twice = async (method: string, path: string, token: string, body?: unknown) => {
      const key = newKey();
      const first = await t.api.call(method, path, { token, headers: header(key), body });
      const second = await t.api.call(method, path, { token, headers: header(key), body });
      assert.ok(first.status < 300, `${method} ${path}: ${first.text}`);
      assert.equal(second.status, first.status, `${method} ${path}: ${second.text}`);
      assert.deepEqual(second.body, first.body, `${method} ${path}`);
    };
    const store = { id: 'idem-store', user: 'alice' };
    const secretOnce = await t.api.call('POST', '/v1/xks/key-stores', {
      token: admin,
      headers: header(newKey()),
      body: store,
    });
    assert.equal(codeOf(secretOnce), 'IDEMPOTENCY_KEY_NOT_ACCEPTED');
    const created = await t.api.call<{ credential: { accessKeyId: string } }>('POST', '/v1/xks/key-stores', {
      token: admin,
      body: store,
    });
    assert.equal(created.status, 201, created.text);
    const second = await t.api.call<{ credential: { accessKeyId: string } }>(
      'POST',
      '/v1/xks/key-stores/idem-store/credentials',
      {
        token: admin,
        body: {},
      },
    );
    assert.equal(second.status, 201, second.text);
    await twice('POST', '/v1/xks/key-stores/idem-store/keys', admin, {
      externalKeyId: 'idem-key',
      keyHandle: made.handle,
    });
    await twice('DELETE', '/v1/xks/key-stores/idem-store/keys/idem-key', admin);
    await twice('DELETE', `/v1/xks/key-stores/idem-store/credentials/${created.body.credential.accessKeyId}`, admin);
    await twice('DELETE', '/v1/xks/key-stores/idem-store', admin);
    const events = (await auditEvents(t.api, admin)).filter((e) => e.target?.startsWith('xks/idem-store'));
    for (const action of ['xks.expose-key', 'xks.unexpose-key', 'xks.remove-credential', 'xks.delete-store'])
      assert.equal(events.filter((e) => e.action === action && e.result === 'success').length, 1, action);

    const password = (await t.cryptoUser('dave')).password;
    const dave = await t.api.login('dave', password);
    const issueOnce = await t.api.call('POST', '/v1/access-keys', {
      token: dave,
      headers: header(newKey()),
      body: { password },
    });
    assert.equal(codeOf(issueOnce), 'IDEMPOTENCY_KEY_NOT_ACCEPTED');
    const issued = await t.api.call<{ accessKeyId: string }>('POST', '/v1/access-keys', {
      token: dave,
      body: { password },
    });
    assert.equal(issued.status, 201, issued.text);
    const id = issued.body.accessKeyId;
    await twice('POST', `/v1/access-keys/${id}/disable`, dave, {});
    await twice('DELETE', `/v1/access-keys/${id}`, dave);
    const deleted = (await auditEvents(t.api, admin)).filter(
      (e) => e.action === 'user.delete-access-key' && e.actor === 'dave',
    );
    assert.deepEqual(
      deleted.map((e) => e.result),
      ['success'],
    );
  });

  test('a user without the permission is refused before any record is read', async () => {
    const key = newKey();
    const made = await generate(alice, key, 'perm');
    assert.equal(made.status, 201);
    // An admin may not generate keys: the permission table refuses, whatever the key.
    const asAdmin = await generate(admin, key, 'perm');
    assert.equal(codeOf(asAdmin), 'PERMISSION_DENIED');
  });
});

describe('Idempotency-Key retention', () => {
  let t: TestNode;
  let alice: string;

  before(async () => {
    t = await startTestNode({ node: { idempotencyRetentionMs: 1500 } });
    alice = (await t.cryptoUser('alice')).token;
  });
  after(() => t.stop());

  test('a key older than the retention is forgotten: the same request makes a new key', async () => {
    const key = newKey();
    const send = () =>
      t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token: alice,
        headers: header(key),
        body: { keyType: 'aes', keyLengthBytes: 16, label: 'kept-awhile' },
      });
    const first = await send();
    const replayed = await send();
    assert.equal(replayed.body.key.handle, first.body.key.handle);
    await sleep(1700);
    const later = await send();
    assert.equal(later.status, 201, later.text);
    assert.notEqual(later.body.key.handle, first.body.key.handle);
    const again = await send();
    assert.equal(again.body.key.handle, later.body.key.handle);
  });
});
