import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Session } from '../src/identity/sessions.js';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Key {
  handle: string;
  class: string;
  keyType: string;
  checkValue: string;
  owner: string;
  attributes: Record<string, boolean>;
}

describe('key wrap and unwrap over the API', () => {
  let t: TestNode;
  let alice: string;
  let wrapper: Key;
  let payload: Key;

  const post = <T = Record<string, unknown>>(path: string, body: unknown, token = alice) =>
    t.api.call<T>('POST', path, { token, body });
  const aes = async (attributes: Record<string, boolean>, label = 'k') =>
    (await post<{ key: Key }>('/v1/keys/symmetric', { keyType: 'aes', keyLengthBytes: 32, label, attributes })).body
      .key;
  const keyCount = async () =>
    (await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?limit=1000', { token: alice })).body.keys.length;

  /** Encrypts with one key, then proves another key decrypts it. */
  async function sameKey(original: string, copy: string): Promise<void> {
    const plaintext = randomBytes(64);
    const enc = await post<{ ciphertext: string; iv: string }>('/v1/crypto/encrypt', {
      keyHandle: original,
      mechanism: 'AES_GCM',
      plaintext: plaintext.toString('base64'),
    });
    assert.equal(enc.status, 200, enc.text);
    const dec = await post<{ plaintext: string }>('/v1/crypto/decrypt', {
      keyHandle: copy,
      mechanism: 'AES_GCM',
      ciphertext: enc.body.ciphertext,
      iv: enc.body.iv,
    });
    assert.equal(dec.status, 200, dec.text);
    assert.deepEqual(Buffer.from(dec.body.plaintext, 'base64'), plaintext);
  }

  before(async () => {
    t = await startTestNode();
    alice = (await t.cryptoUser('alice')).token;
    wrapper = await aes({ wrap: true, unwrap: true }, 'wrapper');
    payload = await aes({ extractable: true }, 'payload');
  });
  after(() => t.stop());

  test('AES_KEY_WRAP_PAD: the unwrapped key decrypts what the original encrypted', async () => {
    const wrapped = await post<{ wrappedKey: string }>('/v1/keys/wrap', {
      wrappingKeyHandle: wrapper.handle,
      keyHandle: payload.handle,
      mechanism: 'AES_KEY_WRAP_PAD',
    });
    assert.equal(wrapped.status, 200, wrapped.text);
    const unwrapped = await post<{ key: Key }>('/v1/keys/unwrap', {
      unwrappingKeyHandle: wrapper.handle,
      mechanism: 'AES_KEY_WRAP_PAD',
      wrappedKey: wrapped.body.wrappedKey,
      class: 'secret',
      keyType: 'aes',
      label: 'unwrapped',
    });
    assert.equal(unwrapped.status, 201, unwrapped.text);
    const copy = unwrapped.body.key;
    assert.equal(copy.checkValue, payload.checkValue);
    assert.deepEqual(
      [copy.owner, copy.attributes.local, copy.attributes.alwaysSensitive, copy.attributes.neverExtractable],
      ['alice', false, false, false],
    );
    await sameKey(payload.handle, copy.handle);
  });

  test('RSA_AES_KEY_WRAP: wrap under the public key, unwrap under the private key', async () => {
    const pair = (
      await post<{ publicKey: Key; privateKey: Key }>('/v1/keys/pairs', {
        keyType: 'rsa',
        modulusBits: 2048,
        label: 'transport',
        publicAttributes: { wrap: true },
        privateAttributes: { unwrap: true },
      })
    ).body;
    const wrapped = await post<{ wrappedKey: string }>('/v1/keys/wrap', {
      wrappingKeyHandle: pair.publicKey.handle,
      keyHandle: payload.handle,
      mechanism: 'RSA_AES_KEY_WRAP',
      hash: 'sha256',
    });
    assert.equal(wrapped.status, 200, wrapped.text);
    const unwrapped = await post<{ key: Key }>('/v1/keys/unwrap', {
      unwrappingKeyHandle: pair.privateKey.handle,
      mechanism: 'RSA_AES_KEY_WRAP',
      wrappedKey: wrapped.body.wrappedKey,
      hash: 'sha256',
      class: 'secret',
      keyType: 'aes',
      label: 'via-rsa',
    });
    assert.equal(unwrapped.status, 201, unwrapped.text);
    await sameKey(payload.handle, unwrapped.body.key.handle);
  });

  test('a key that is not extractable is refused, and so is a public key', async () => {
    const fixed = await aes({}, 'fixed');
    const refused = await post('/v1/keys/wrap', {
      wrappingKeyHandle: wrapper.handle,
      keyHandle: fixed.handle,
      mechanism: 'AES_KEY_WRAP_PAD',
    });
    assert.equal(codeOf(refused), 'KEY_UNEXTRACTABLE');
    assert.equal(refused.status, 403);
    const pair = (await post<{ publicKey: Key }>('/v1/keys/pairs', { keyType: 'ec', curve: 'secp256r1', label: 'p' }))
      .body;
    const publicRefused = await post('/v1/keys/wrap', {
      wrappingKeyHandle: wrapper.handle,
      keyHandle: pair.publicKey.handle,
      mechanism: 'AES_KEY_WRAP_PAD',
    });
    assert.equal(codeOf(publicRefused), 'KEY_NOT_WRAPPABLE');
  });

  test('a wrap-with-trusted key is wrapped only by a trusted wrapping key', async () => {
    const guarded = await aes({ extractable: true, wrapWithTrusted: true }, 'guarded');
    const untrusted = await post('/v1/keys/wrap', {
      wrappingKeyHandle: wrapper.handle,
      keyHandle: guarded.handle,
      mechanism: 'AES_KEY_WRAP_PAD',
    });
    assert.equal(codeOf(untrusted), 'KEY_NOT_WRAPPABLE');
    // No route sets CKA_TRUSTED yet (an admin-only change): record a trusted key in process.
    const session: Session = { id: 'test', username: 'alice', role: 'crypto-user', createdAt: 0, lastUsedAt: 0 };
    const { key } = (await t.node.gate.find(session, wrapper.handle))!;
    const trusted = await t.node.keys.createKey(
      session,
      {
        key,
        class: 'secret',
        keyType: 'aes',
        label: 'trusted',
        id: '',
        attributes: { wrap: true, unwrap: true, trusted: true },
      },
      'key.generate',
    );
    const allowed = await post('/v1/keys/wrap', {
      wrappingKeyHandle: trusted.handle,
      keyHandle: guarded.handle,
      mechanism: 'AES_KEY_WRAP_PAD',
    });
    assert.equal(allowed.status, 200, allowed.text);
  });

  test('unwrapping garbage is refused and creates nothing', async () => {
    const before = await keyCount();
    for (const wrappedKey of [randomBytes(40).toString('base64'), randomBytes(7).toString('base64')]) {
      const refused = await post('/v1/keys/unwrap', {
        unwrappingKeyHandle: wrapper.handle,
        mechanism: 'AES_KEY_WRAP_PAD',
        wrappedKey,
        class: 'secret',
        keyType: 'aes',
      });
      assert.equal(codeOf(refused), 'WRAPPED_KEY_INVALID', refused.text);
    }
    assert.equal(await keyCount(), before);
  });

  test('wrap and unwrap are audited with both handles', async () => {
    const admin = await t.api.login('admin', t.adminPassword);
    const events = (
      await t.api.call<{ events: { action: string; result: string; details?: Record<string, string> }[] }>(
        'GET',
        '/v1/audit/events?limit=1000',
        { token: admin },
      )
    ).body.events;
    const wrap = events.find((event) => event.action === 'key.wrap' && event.result === 'success');
    assert.equal(wrap?.details?.wrappingKey, wrapper.handle);
    assert.equal(wrap?.details?.key, payload.handle);
    assert.ok(events.some((event) => event.action === 'key.unwrap' && event.details?.unwrappingKey === wrapper.handle));
  });
});
