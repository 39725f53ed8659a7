import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Key {
  handle: string;
  label: string;
  id: string;
  attributes: Record<string, boolean>;
  startDate?: string;
  endDate?: string;
}

describe('PATCH /v1/keys/:handle over the API', () => {
  let t: TestNode;
  let alice: string;
  let admin: string;

  const generate = async (body: Record<string, unknown> = {}) =>
    (
      await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token: alice,
        body: { keyType: 'aes', keyLengthBytes: 32, label: 'attr', ...body },
      })
    ).body.key;
  const patch = (handle: string, body: unknown, token = alice) =>
    t.api.call<{ key: Key }>('PATCH', `/v1/keys/${handle}`, { token, body });

  before(async () => {
    t = await startTestNode();
    alice = (await t.cryptoUser('alice')).token;
    admin = await t.api.login('admin', t.adminPassword);
  });
  after(() => t.stop());

  test('the owner changes label, id and flags; label and id lookups follow', async () => {
    const key = await generate({ id: '0a' });
    const changed = await patch(key.handle, { label: 'renamed', id: '0B', attributes: { encrypt: false } });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(
      [changed.body.key.label, changed.body.key.id, changed.body.key.attributes.encrypt],
      ['renamed', '0b', false],
    );
    const byLabel = await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?label=renamed', { token: alice });
    assert.deepEqual(
      byLabel.body.keys.map((k) => k.handle),
      [key.handle],
    );
    const byId = await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?id=0a', { token: alice });
    assert.deepEqual(byId.body.keys, []);
  });

  test('refusals carry their codes and change nothing', async () => {
    const key = await generate();
    const cases = [
      [{ attributes: { sensitive: false } }, 'ATTRIBUTE_READ_ONLY', 403],
      [{ attributes: { extractable: true } }, 'ATTRIBUTE_READ_ONLY', 403],
      [{ attributes: { trusted: true } }, 'ATTRIBUTE_READ_ONLY', 403],
      [{ attributes: { sign: true, verify: 'yes' } }, 'INVALID_FIELD', 400],
      [{ attributes: { modulusBits: true } }, 'ATTRIBUTE_TYPE_INVALID', 400],
      [{ id: 'zz' }, 'ATTRIBUTE_VALUE_INVALID', 400],
      [{ startDate: '2024-02-30' }, 'ATTRIBUTE_VALUE_INVALID', 400],
      [{ color: 'red' }, 'UNKNOWN_FIELD', 400],
    ] as const;
    for (const [body, code, status] of cases) {
      const answer = await patch(key.handle, body);
      assert.equal(codeOf(answer), code, JSON.stringify(body));
      assert.equal(answer.status, status);
    }
    const now = (await t.api.call<{ key: Key }>('GET', `/v1/keys/${key.handle}`, { token: alice })).body.key;
    assert.deepEqual(now, key);
  });

  test('modifiable=false freezes the key', async () => {
    const key = await generate();
    assert.equal((await patch(key.handle, { attributes: { modifiable: false } })).status, 200);
    assert.equal(codeOf(await patch(key.handle, { label: 'nope' })), 'ATTRIBUTE_READ_ONLY');
  });

  test('an admin grants trust (and nothing else); another user sees KEY_NOT_FOUND', async () => {
    const refused = await patch((await generate()).handle, { attributes: { trusted: true } }, admin);
    assert.equal(codeOf(refused), 'TEMPLATE_INCONSISTENT', 'only a wrapping key may be trusted');
    const key = await generate({ attributes: { wrap: true, unwrap: true } });
    const granted = await patch(key.handle, { attributes: { trusted: true } }, admin);
    assert.equal(granted.status, 200, granted.text);
    assert.equal(granted.body.key.attributes.trusted, true);
    assert.equal(codeOf(await patch(key.handle, { label: 'admin' }, admin)), 'ATTRIBUTE_READ_ONLY');
    const bob = (await t.cryptoUser('bob_attr')).token;
    assert.equal(codeOf(await patch(key.handle, { label: 'bob' }, bob)), 'KEY_NOT_FOUND');
  });

  test('a trusted wrapping key keeps its usage: its owner cannot turn decrypt on, and it stays trusted', async () => {
    const kek = await generate({ attributes: { wrap: true, unwrap: true } });
    assert.deepEqual([kek.attributes.encrypt, kek.attributes.decrypt], [false, false], 'data-use defaults yield');
    assert.equal((await patch(kek.handle, { attributes: { trusted: true } }, admin)).status, 200);
    for (const attributes of [{ decrypt: true }, { wrap: false }, { trusted: false, decrypt: true }]) {
      const refused = await patch(kek.handle, { attributes });
      assert.equal(codeOf(refused), 'ATTRIBUTE_READ_ONLY', JSON.stringify(attributes));
    }
    const now = (await t.api.call<{ key: Key }>('GET', `/v1/keys/${kek.handle}`, { token: alice })).body.key;
    assert.deepEqual([now.attributes.trusted, now.attributes.decrypt, now.attributes.wrap], [true, false, true]);
  });

  test('a key with wrap and decrypt cannot be made, by creation or by change', async () => {
    for (const attributes of [
      { wrap: true, decrypt: true },
      { unwrap: true, encrypt: true },
    ]) {
      const made = await t.api.call('POST', '/v1/keys/symmetric', {
        token: alice,
        body: { keyType: 'aes', keyLengthBytes: 32, label: 'both', attributes },
      });
      assert.equal(codeOf(made), 'TEMPLATE_INCONSISTENT', JSON.stringify(attributes));
      assert.equal(made.status, 400);
    }
    const pair = await t.api.call('POST', '/v1/keys/pairs', {
      token: alice,
      body: { keyType: 'rsa', modulusBits: 2048, privateAttributes: { unwrap: true, decrypt: true } },
    });
    assert.equal(codeOf(pair), 'TEMPLATE_INCONSISTENT');
    const data = await generate();
    const kek = await generate({ attributes: { wrap: true } });
    for (const [key, attributes] of [
      [data, { wrap: true }],
      [data, { unwrap: true, encrypt: false }],
      [kek, { decrypt: true }],
    ] as const) {
      const code = codeOf(await patch(key.handle, { attributes }));
      assert.ok(
        code === 'TEMPLATE_INCONSISTENT' || code === 'ATTRIBUTE_READ_ONLY',
        `${JSON.stringify(attributes)}: ${code}`,
      );
    }
    // Nor does a key move between the two: a data key never becomes a wrapping key, or back.
    assert.equal(
      codeOf(await patch(data.handle, { attributes: { encrypt: false, decrypt: false, wrap: true } })),
      'ATTRIBUTE_READ_ONLY',
    );
    assert.equal(
      codeOf(await patch(kek.handle, { attributes: { wrap: false, decrypt: true } })),
      'ATTRIBUTE_READ_ONLY',
    );
    // A pair is refused when one half wraps what the other decrypts.
    const split = await t.api.call('POST', '/v1/keys/pairs', {
      token: alice,
      body: {
        keyType: 'rsa',
        modulusBits: 2048,
        publicAttributes: { wrap: true },
        privateAttributes: { decrypt: true },
      },
    });
    assert.equal(codeOf(split), 'TEMPLATE_INCONSISTENT');
    // A wrapping key is never extractable (an unwrapped copy of it could be a data key).
    const extractableKek = await t.api.call('POST', '/v1/keys/symmetric', {
      token: alice,
      body: { keyType: 'aes', keyLengthBytes: 32, attributes: { wrap: true, extractable: true } },
    });
    assert.equal(codeOf(extractableKek), 'TEMPLATE_INCONSISTENT');
    const listed = await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?wrap=true&decrypt=true', { token: alice });
    assert.deepEqual(listed.body.keys, [], 'no key is both');
  });

  test('outside its start/end dates a key is not used; back inside it is', async () => {
    const key = await generate();
    const encrypt = () =>
      t.api.call('POST', '/v1/crypto/encrypt', {
        token: alice,
        body: { keyHandle: key.handle, mechanism: 'AES_GCM', plaintext: 'aGVsbG8=' },
      });
    assert.equal((await encrypt()).status, 200);
    assert.equal((await patch(key.handle, { endDate: '2000-01-01' })).status, 200);
    assert.equal(codeOf(await encrypt()), 'KEY_FUNCTION_NOT_PERMITTED');
    assert.equal((await patch(key.handle, { endDate: null, startDate: '2999-01-01' })).status, 200);
    assert.equal(codeOf(await encrypt()), 'KEY_FUNCTION_NOT_PERMITTED');
    const cleared = await patch(key.handle, { startDate: null });
    assert.equal(cleared.body.key.startDate, undefined);
    assert.equal((await encrypt()).status, 200);
  });

  test('changes and refusals are audited', async () => {
    const key = await generate();
    await patch(key.handle, { label: 'audited' });
    await patch(key.handle, { attributes: { sensitive: false } });
    const events = (
      await t.api.call<{ events: { action: string; target: string; result: string; code?: string }[] }>(
        'GET',
        '/v1/audit/events?limit=1000',
        { token: admin },
      )
    ).body.events.filter((event) => event.action === 'key.set-attribute' && event.target === `key/${key.handle}`);
    assert.deepEqual(
      events.map((event) => [event.result, event.code]),
      [
        ['success', undefined],
        ['failure', 'ATTRIBUTE_READ_ONLY'],
      ],
    );
  });
});
