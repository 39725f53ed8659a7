import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { codeOf, type ApiAnswer } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Key {
  handle: string;
  label: string;
  attributes: Record<string, boolean>;
}

interface AuditEvent {
  actor: string;
  action: string;
  target?: string;
  result: string;
  code?: string;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const YESTERDAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

/**
 * The key-use gate over the real API: every key of every operation — wrap, unwrap, derive,
 * multi-part steps and key management, not only encrypt and sign — passes the same checks
 * (dates, quorum, counting, audit), and session keys stay in memory.
 */
describe('one key-use gate on every path', () => {
  let t: TestNode;
  let alice: string;
  let alicePassword: string;
  let bob: string;
  let admin: string;

  before(async () => {
    t = await startTestNode();
    ({ token: alice, password: alicePassword } = await t.cryptoUser('alice'));
    bob = (await t.cryptoUser('bob')).token;
    await t.cryptoUser('carol');
    admin = await t.api.login('admin', t.adminPassword);
  });
  after(() => t.stop());

  const call = (token: string, method: string, path: string, body?: unknown) =>
    t.api.call(method, path, { token, ...(body === undefined ? {} : { body }) });
  const ok = (answer: ApiAnswer, what: string) => assert.ok(answer.status < 300, `${what}: ${answer.text}`);
  const aes = async (attributes: Record<string, boolean>, extra: Record<string, unknown> = {}, keyType = 'aes') => {
    const made = await call(alice, 'POST', '/v1/keys/symmetric', {
      keyType,
      keyLengthBytes: 32,
      attributes,
      ...extra,
    });
    ok(made, 'generate');
    return (made.body as { key: Key }).key;
  };
  const wrapper = () => aes({ wrap: true, unwrap: true });
  const payload = () => aes({ extractable: true });
  const wrap = (token: string, wrapping: Key, target: Key) =>
    call(token, 'POST', '/v1/keys/wrap', {
      wrappingKeyHandle: wrapping.handle,
      keyHandle: target.handle,
      mechanism: 'AES_KEY_WRAP_PAD',
    });
  const unwrap = (token: string, unwrapping: Key, wrappedKey: string) =>
    call(token, 'POST', '/v1/keys/unwrap', {
      unwrappingKeyHandle: unwrapping.handle,
      mechanism: 'AES_KEY_WRAP_PAD',
      wrappedKey,
      class: 'secret',
      keyType: 'aes',
    });
  const derive = (token: string, base: Key) =>
    call(token, 'POST', '/v1/keys/derive', {
      baseKeyHandle: base.handle,
      mechanism: 'HKDF_DERIVE',
      keyType: 'aes',
      keyLengthBytes: 32,
      hash: 'sha256',
      salt: b64('salt'),
      info: b64('info'),
    });
  const setQuorum = async (key: Key, values: Record<string, number>) => {
    ok(await call(alice, 'POST', `/v1/keys/${key.handle}/shares`, { username: 'bob' }), 'share for quorum');
    ok(await call(alice, 'PUT', `/v1/keys/${key.handle}/quorum`, values), 'set quorum');
  };
  const failures = async (actor: string): Promise<AuditEvent[]> => {
    const answer = await call(admin, 'GET', `/v1/audit/events?actor=${actor}&result=failure&limit=1000`);
    ok(answer, 'audit');
    return (answer.body as { events: AuditEvent[] }).events;
  };

  test('a key outside its end date neither wraps, is wrapped, unwraps nor derives', async () => {
    const live = await wrapper();
    const target = await payload();
    const wrapped = await wrap(alice, live, target);
    ok(wrapped, 'wrap while in date');
    const wrappedKey = (wrapped.body as { wrappedKey: string }).wrappedKey;
    const base = await aes({ derive: true }, {}, 'generic-secret');
    for (const key of [live, target, base])
      ok(await call(alice, 'PATCH', `/v1/keys/${key.handle}`, { endDate: YESTERDAY }), 'expire');
    const fresh = await wrapper();
    const other = await payload();
    assert.equal(codeOf(await wrap(alice, live, other)), 'KEY_FUNCTION_NOT_PERMITTED', 'expired wrapping key');
    assert.equal(codeOf(await wrap(alice, fresh, target)), 'KEY_FUNCTION_NOT_PERMITTED', 'expired key to wrap');
    assert.equal(codeOf(await unwrap(alice, live, wrappedKey)), 'KEY_FUNCTION_NOT_PERMITTED', 'expired unwrapping');
    assert.equal(codeOf(await derive(alice, base)), 'KEY_FUNCTION_NOT_PERMITTED', 'expired base key');
  });

  test('wrap, unwrap and derive answer to the key-usage quorum; exporting a key to its strictest', async () => {
    const guardedWrapper = await wrapper();
    await setQuorum(guardedWrapper, { 'key-usage': 2 });
    const target = await payload();
    assert.equal(codeOf(await wrap(alice, guardedWrapper, target)), 'QUORUM_REQUIRED', 'wrapping key under quorum');
    assert.equal(codeOf(await unwrap(alice, guardedWrapper, b64('x'.repeat(40)))), 'QUORUM_REQUIRED', 'unwrap');
    const base = await aes({ derive: true }, {}, 'generic-secret');
    await setQuorum(base, { 'key-usage': 2 });
    assert.equal(codeOf(await derive(alice, base)), 'QUORUM_REQUIRED', 'derive');
    // A key whose use needs two approvals is not exported (into a copy with none) on one.
    const guardedData = await payload();
    await setQuorum(guardedData, { 'key-usage': 2 });
    assert.equal(codeOf(await wrap(alice, await wrapper(), guardedData)), 'QUORUM_REQUIRED', 'export');
  });

  test('wraps, unwraps and derives are counted on the keys they use', async () => {
    const kek = await wrapper();
    const target = await payload();
    const wrapped = await wrap(alice, kek, target);
    ok(wrapped, 'wrap');
    ok(await unwrap(alice, kek, (wrapped.body as { wrappedKey: string }).wrappedKey), 'unwrap');
    const base = await aes({ derive: true }, {}, 'generic-secret');
    ok(await derive(alice, base), 'derive');
    // A wrap whose second key is refused spends nothing of the first.
    const disabled = await payload();
    ok(await call(alice, 'PATCH', `/v1/keys/${disabled.handle}`, { endDate: YESTERDAY }), 'expire');
    assert.equal(codeOf(await wrap(alice, kek, disabled)), 'KEY_FUNCTION_NOT_PERMITTED');
    const usage = async (key: Key) =>
      ((await call(alice, 'GET', `/v1/keys/${key.handle}/usage`)).body as { usage: { operations: object } }).usage
        .operations;
    assert.deepEqual(await usage(kek), { wrap: 1, unwrap: 1 });
    assert.deepEqual(await usage(target), { export: 1 });
    assert.deepEqual(await usage(base), { derive: 1 });
  });

  test('the key-management quorum covers share, unshare, rotate, aliases and set-attribute', async () => {
    const key = await aes({});
    ok(await call(alice, 'PUT', '/v1/aliases/managed-before', { keyHandle: key.handle }), 'alias before quorum');
    await setQuorum(key, { 'key-management': 2 });
    const refused: [string, string, unknown][] = [
      ['POST', `/v1/keys/${key.handle}/shares`, { username: 'carol' }],
      ['DELETE', `/v1/keys/${key.handle}/shares/bob`, undefined],
      ['POST', `/v1/keys/${key.handle}/rotate`, {}],
      ['PUT', '/v1/aliases/managed-after', { keyHandle: key.handle }],
      ['DELETE', '/v1/aliases/managed-before', undefined],
      ['PATCH', `/v1/keys/${key.handle}`, { label: 'renamed' }],
    ];
    for (const [method, path, body] of refused)
      assert.equal(codeOf(await call(alice, method, path, body)), 'QUORUM_REQUIRED', `${method} ${path}`);
  });

  test('a session key stays in memory: changed, refused for sharing and aliases, and gone when deleted', async () => {
    const key = await aes({}, { token: false, label: 'ephemeral' });
    const patched = await call(alice, 'PATCH', `/v1/keys/${key.handle}`, { label: 'renamed' });
    ok(patched, 'patch a session key');
    const listed = await call(alice, 'GET', '/v1/keys?label=renamed');
    assert.deepEqual(
      (listed.body as { keys: Key[] }).keys.map((k) => k.handle),
      [key.handle],
      'the change applies in memory',
    );
    const share = await call(alice, 'POST', `/v1/keys/${key.handle}/shares`, { username: 'bob' });
    assert.equal(codeOf(share), 'KEY_FUNCTION_NOT_PERMITTED', 'share');
    const alias = await call(alice, 'PUT', '/v1/aliases/ephemeral', { keyHandle: key.handle });
    assert.equal(codeOf(alias), 'KEY_FUNCTION_NOT_PERMITTED', 'alias');
    assert.equal(codeOf(await call(alice, 'POST', `/v1/keys/${key.handle}/rotate`, {})), 'KEY_FUNCTION_NOT_PERMITTED');
    const otherSession = await t.api.login('alice', alicePassword);
    assert.equal(codeOf(await call(otherSession, 'GET', `/v1/keys/${key.handle}`)), 'KEY_NOT_FOUND', 'other session');
    assert.equal((await call(alice, 'DELETE', `/v1/keys/${key.handle}`)).status, 204);
    // Had the change written a record, the key would now come back from the store.
    assert.equal(codeOf(await call(alice, 'GET', `/v1/keys/${key.handle}`)), 'KEY_NOT_FOUND', 'deleted');
    assert.equal(
      codeOf(
        await call(alice, 'POST', '/v1/crypto/encrypt', {
          keyHandle: key.handle,
          mechanism: 'AES_GCM',
          plaintext: b64('after'),
        }),
      ),
      'KEY_NOT_FOUND',
      'not usable after delete',
    );
  });

  test('a started multi-part operation ends when its key is unshared or loses its usage', async () => {
    const key = await aes({ sign: true, verify: true }, {}, 'generic-secret');
    ok(await call(alice, 'POST', `/v1/keys/${key.handle}/shares`, { username: 'bob' }), 'share');
    const begin = async (token: string) => {
      const begun = await call(token, 'POST', '/v1/crypto/operations', {
        operation: 'sign',
        keyHandle: key.handle,
        mechanism: 'SHA256_HMAC',
      });
      ok(begun, 'begin');
      return (begun.body as { operationId: string }).operationId;
    };
    const update = (token: string, id: string) =>
      call(token, 'POST', `/v1/crypto/operations/${id}/update`, { data: b64('part') });
    const bobs = await begin(bob);
    ok(await update(bob, bobs), 'update while shared');
    ok(await call(alice, 'DELETE', `/v1/keys/${key.handle}/shares/bob`), 'unshare');
    assert.equal(codeOf(await update(bob, bobs)), 'KEY_NOT_FOUND', 'after unshare');
    const alices = await begin(alice);
    ok(await update(alice, alices), 'update');
    ok(await call(alice, 'PATCH', `/v1/keys/${key.handle}`, { attributes: { sign: false } }), 'sign off');
    const final = await call(alice, 'POST', `/v1/crypto/operations/${alices}/final`, {});
    assert.equal(codeOf(final), 'KEY_FUNCTION_NOT_PERMITTED', 'after sign off');
  });

  test('RSA_PKCS_PSS over a digest passes the same gate: visibility, key class, usage, shares', async () => {
    const pair = await call(alice, 'POST', '/v1/keys/pairs', { keyType: 'rsa', modulusBits: 2048 });
    ok(pair, 'pair');
    const { privateKey, publicKey } = pair.body as { privateKey: Key; publicKey: Key };
    const digest = createHash('sha256').update('handshake').digest('base64');
    const sign = (token: string, key: Key) =>
      call(token, 'POST', '/v1/crypto/sign', {
        keyHandle: key.handle,
        mechanism: 'RSA_PKCS_PSS',
        data: digest,
        hash: 'sha256',
      });
    ok(await sign(alice, privateKey), 'the owner signs');
    assert.equal(codeOf(await sign(bob, privateKey)), 'KEY_NOT_FOUND', 'another user sees no key');
    assert.equal(codeOf(await sign(alice, publicKey)), 'KEY_TYPE_INCONSISTENT', 'a public key does not sign');
    ok(await call(alice, 'POST', `/v1/keys/${privateKey.handle}/shares`, { username: 'bob' }), 'share');
    ok(await sign(bob, privateKey), 'a user it is shared with signs');
    ok(await call(alice, 'PATCH', `/v1/keys/${privateKey.handle}`, { attributes: { sign: false } }), 'sign off');
    assert.equal(codeOf(await sign(alice, privateKey)), 'KEY_FUNCTION_NOT_PERMITTED', 'after sign off');
    assert.equal(codeOf(await sign(bob, privateKey)), 'KEY_FUNCTION_NOT_PERMITTED', 'after sign off, shared');
  });

  test('refusals of the gate are audited: probes, wrong key types, rotate refusals', async () => {
    const secret = await aes({});
    const probe = await call(bob, 'GET', `/v1/keys/${secret.handle}`);
    assert.equal(codeOf(probe), 'KEY_NOT_FOUND');
    const missing = await call(bob, 'GET', '/v1/keys/0x00000000000000ff');
    assert.equal(codeOf(missing), 'KEY_NOT_FOUND');
    const pair = await call(alice, 'POST', '/v1/keys/pairs', { keyType: 'ec', curve: 'secp256r1' });
    ok(pair, 'pair');
    const { publicKey } = pair.body as { publicKey: Key };
    const wrongType = await call(alice, 'POST', '/v1/crypto/sign', {
      keyHandle: secret.handle,
      mechanism: 'ECDSA_SHA256',
      data: b64('data'),
    });
    assert.equal(codeOf(wrongType), 'KEY_TYPE_INCONSISTENT');
    const rotatePublic = await call(alice, 'POST', `/v1/keys/${publicKey.handle}/rotate`, {});
    assert.equal(codeOf(rotatePublic), 'KEY_TYPE_INCONSISTENT');
    const bobs = (await failures('bob')).map((event) => [event.action, event.code, event.target]);
    assert.deepEqual(bobs.slice(-2), [
      ['key.read-attributes', 'KEY_NOT_FOUND', `key/${secret.handle}`],
      ['key.read-attributes', 'KEY_NOT_FOUND', 'key/0x00000000000000ff'],
    ]);
    const alices = (await failures('alice')).map((event) => [event.action, event.code, event.target]);
    assert.deepEqual(alices.slice(-2), [
      ['crypto.sign', 'KEY_TYPE_INCONSISTENT', `key/${secret.handle}`],
      ['key.rotate', 'KEY_TYPE_INCONSISTENT', `key/${publicKey.handle}`],
    ]);
  });
  test('an imported public key wraps only once an admin trusts it; a wrapping pair keeps its private half in', async () => {
    const outside = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = outside.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const imported = await call(alice, 'POST', '/v1/keys/import', { pem, attributes: { wrap: true } });
    ok(imported, 'import');
    const destination = (imported.body as { key: Key }).key;
    const target = await payload();
    const rsaWrap = () =>
      call(alice, 'POST', '/v1/keys/wrap', {
        wrappingKeyHandle: destination.handle,
        keyHandle: target.handle,
        mechanism: 'RSA_PKCS_OAEP',
        hash: 'sha256',
      });
    assert.equal(codeOf(await rsaWrap()), 'KEY_FUNCTION_NOT_PERMITTED', 'untrusted imported destination');
    ok(await call(admin, 'PATCH', `/v1/keys/${destination.handle}`, { attributes: { trusted: true } }), 'trust');
    ok(await rsaWrap(), 'wrap to a trusted destination');
    const leaky = await call(alice, 'POST', '/v1/keys/pairs', {
      keyType: 'rsa',
      modulusBits: 2048,
      publicAttributes: { wrap: true },
      privateAttributes: { unwrap: true, extractable: true },
    });
    assert.equal(codeOf(leaky), 'TEMPLATE_INCONSISTENT', 'the private half of a wrapping pair never leaves');
  });
});
