import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Key {
  handle: string;
}

describe('aliases over the API', () => {
  let t: TestNode;
  let alice: string;
  let bob: string;
  let key: Key;

  before(async () => {
    t = await startTestNode();
    alice = (await t.cryptoUser('alice')).token;
    bob = (await t.cryptoUser('bob')).token;
    key = (
      await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token: alice,
        body: { keyType: 'aes', keyLengthBytes: 32, label: 'aliased' },
      })
    ).body.key;
  });
  after(() => t.stop());

  test('PUT names a key; the alias works in crypto bodies, PATCH paths and the alias filter', async () => {
    const put = await t.api.call('PUT', '/v1/aliases/payments/prod', { token: alice, body: { keyHandle: key.handle } });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.body, { alias: 'payments/prod', keyHandle: key.handle });
    const enc = await t.api.call('POST', '/v1/crypto/encrypt', {
      token: alice,
      body: { keyHandle: 'alias/payments/prod', mechanism: 'AES_GCM', plaintext: 'AA==' },
    });
    assert.equal(enc.status, 200, enc.text);
    const patched = await t.api.call('PATCH', `/v1/keys/${encodeURIComponent('alias/payments/prod')}`, {
      token: alice,
      body: { label: 'via-alias' },
    });
    assert.equal(patched.status, 200, patched.text);
    const listed = await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?alias=payments/prod', { token: alice });
    assert.deepEqual(
      listed.body.keys.map((k) => k.handle),
      [key.handle],
    );
    const aliases = await t.api.call('GET', '/v1/aliases', { token: alice });
    assert.deepEqual(aliases.body, { aliases: [{ alias: 'payments/prod', keyHandle: key.handle }] });
  });

  test("someone else's alias is KEY_NOT_FOUND, and the name is taken", async () => {
    await t.api.call('PUT', '/v1/aliases/taken', { token: alice, body: { keyHandle: key.handle } });
    const enc = await t.api.call('POST', '/v1/crypto/encrypt', {
      token: bob,
      body: { keyHandle: 'alias/taken', mechanism: 'AES_GCM', plaintext: 'AA==' },
    });
    assert.equal(codeOf(enc), 'KEY_NOT_FOUND');
    const bobs = (
      await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token: bob,
        body: { keyType: 'aes', keyLengthBytes: 32 },
      })
    ).body.key;
    assert.equal(
      codeOf(await t.api.call('PUT', '/v1/aliases/taken', { token: bob, body: { keyHandle: bobs.handle } })),
      'ALIAS_EXISTS',
    );
    assert.equal(codeOf(await t.api.call('DELETE', '/v1/aliases/taken', { token: bob })), 'ALIAS_NOT_FOUND');
    assert.deepEqual((await t.api.call('GET', '/v1/aliases', { token: bob })).body, { aliases: [] });
    assert.equal(
      codeOf(await t.api.call('PUT', '/v1/aliases/bad.name', { token: alice, body: { keyHandle: key.handle } })),
      'INVALID_FIELD',
    );
  });

  test('DELETE removes an alias; deleting the key removes the rest', async () => {
    await t.api.call('PUT', '/v1/aliases/short-lived', { token: alice, body: { keyHandle: key.handle } });
    assert.equal((await t.api.call('DELETE', '/v1/aliases/short-lived', { token: alice })).status, 204);
    assert.deepEqual((await t.api.call('GET', '/v1/keys?alias=short-lived', { token: alice })).body, { keys: [] });
    assert.equal((await t.api.call('DELETE', `/v1/keys/${key.handle}`, { token: alice })).status, 204);
    assert.deepEqual((await t.api.call('GET', '/v1/aliases', { token: alice })).body, { aliases: [] });
    assert.equal(
      codeOf(
        await t.api.call('POST', '/v1/crypto/encrypt', {
          token: alice,
          body: { keyHandle: 'alias/taken', mechanism: 'AES_GCM', plaintext: 'AA==' },
        }),
      ),
      'KEY_NOT_FOUND',
    );
  });
});

describe('aliases on the key routes (wrap, unwrap, derive)', () => {
  test('alias/<name> names the wrapping, unwrapping and base keys as a handle would', async () => {
    const t = await startTestNode();
    try {
      const { token } = await t.cryptoUser('alice_kr');
      const make = async (body: Record<string, unknown>): Promise<{ handle: string; checkValue: string }> => {
        const answer = await t.api.call<{ key: { handle: string; checkValue: string } }>('POST', '/v1/keys/symmetric', {
          token,
          body,
        });
        assert.equal(answer.status, 201, answer.text);
        return answer.body.key;
      };
      const kek = await make({ keyType: 'aes', keyLengthBytes: 32, attributes: { wrap: true, unwrap: true } });
      const payload = await make({ keyType: 'aes', keyLengthBytes: 32, attributes: { extractable: true } });
      const base = await make({ keyType: 'generic-secret', keyLengthBytes: 32, attributes: { derive: true } });
      for (const [name, key] of [
        ['kek', kek],
        ['payload', payload],
        ['base', base],
      ] as const) {
        const put = await t.api.call('PUT', `/v1/aliases/kr/${name}`, { token, body: { keyHandle: key.handle } });
        assert.equal(put.status, 200, put.text);
      }
      const wrapped = await t.api.call<{ wrappedKey: string }>('POST', '/v1/keys/wrap', {
        token,
        body: { wrappingKeyHandle: 'alias/kr/kek', keyHandle: 'alias/kr/payload', mechanism: 'AES_KEY_WRAP_PAD' },
      });
      assert.equal(wrapped.status, 200, wrapped.text);
      const unwrapped = await t.api.call<{ key: { checkValue: string } }>('POST', '/v1/keys/unwrap', {
        token,
        body: {
          unwrappingKeyHandle: 'alias/kr/kek',
          mechanism: 'AES_KEY_WRAP_PAD',
          wrappedKey: wrapped.body.wrappedKey,
          class: 'secret',
          keyType: 'aes',
        },
      });
      assert.equal(unwrapped.body.key.checkValue, payload.checkValue);
      const derived = await t.api.call('POST', '/v1/keys/derive', {
        token,
        body: { baseKeyHandle: 'alias/kr/base', mechanism: 'HKDF_DERIVE', keyType: 'aes', keyLengthBytes: 32 },
      });
      assert.equal(derived.status, 201, derived.text);
    } finally {
      await t.stop();
    }
  });
});
