import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, generateKeySync, randomBytes, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord } from '../objects/key-record.js';
import { KeyWrapping, WRAP_RULES } from './key-wrapping.js';
import { TEST_WRAP, transferEnv, type TransferEnv } from '../../test/support/transfer-test-env.js';

const code = (expected: ErrorCode) => (error: unknown) => isCofferError(error, expected);
const aesKey = (): KeyObject => generateKeySync('aes', { length: 256 });

// A wrapping key only: a key is a wrapping key or a data key, never both (objects/attributes.ts).
const WRAPPER = { encrypt: false, decrypt: false, wrap: true, unwrap: true, trusted: false };
const PAYLOAD = { encrypt: true, decrypt: true, extractable: true, sensitive: true, wrapWithTrusted: false };

describe('the wrap rule table', () => {
  const base = (attributes: KeyRecord['attributes'], extra: Partial<KeyRecord> = {}): KeyRecord => ({
    handle: '0x0000000000000001',
    class: 'secret',
    keyType: 'aes',
    label: '',
    id: '',
    attributes,
    shape: { valueLen: 32 },
    checkValue: '000000',
    owner: 'alice',
    sharedWith: [],
    state: 'enabled',
    version: 1,
    createdAt: '',
    updatedAt: '',
    ...extra,
  });
  const broken = (wrapping: KeyRecord, target: KeyRecord) =>
    WRAP_RULES.find((rule) => !rule.holds({ wrapping, target: { ...target, handle: '0x0000000000000002' } }))?.code;

  test('trusted × wrap-with-trusted: only an untrusted wrapping key of a wrap-with-trusted key is refused', () => {
    for (const trusted of [false, true]) {
      for (const wrapWithTrusted of [false, true]) {
        const expected = wrapWithTrusted && !trusted ? 'KEY_NOT_WRAPPABLE' : undefined;
        assert.equal(
          broken(base({ ...WRAPPER, trusted }), base({ ...PAYLOAD, wrapWithTrusted })),
          expected,
          `trusted=${trusted} wrapWithTrusted=${wrapWithTrusted}`,
        );
      }
    }
  });

  test('each rule refuses with its own code, in table order', () => {
    const cases: [string, KeyRecord, KeyRecord, ErrorCode | undefined][] = [
      ['fits', base(WRAPPER), base(PAYLOAD), undefined],
      ['public target', base(WRAPPER), base({ verify: true }, { class: 'public', keyType: 'ec' }), 'KEY_NOT_WRAPPABLE'],
      ['not extractable', base(WRAPPER), base({ ...PAYLOAD, extractable: false }), 'KEY_UNEXTRACTABLE'],
      [
        'not extractable beats wrap-with-trusted',
        base(WRAPPER),
        base({ ...PAYLOAD, extractable: false, wrapWithTrusted: true }),
        'KEY_UNEXTRACTABLE',
      ],
    ];
    for (const [name, wrapping, target, expected] of cases) assert.equal(broken(wrapping, target), expected, name);
    const self = base({ ...WRAPPER, extractable: true });
    assert.equal(
      WRAP_RULES.find((rule) => !rule.holds({ wrapping: self, target: self }))?.code,
      'KEY_NOT_WRAPPABLE',
      'a key under itself',
    );
  });
});

describe('KeyWrapping over a real store', () => {
  let env: TransferEnv;
  let wrapping: KeyWrapping;
  let alice: Session;
  let bob: Session;
  let wrapper: KeyRecord;
  let payload: KeyRecord;

  before(async () => {
    env = await transferEnv();
    wrapping = new KeyWrapping({ keys: env.keys, writer: env.writer });
    alice = env.session('alice');
    bob = env.session('bob');
    wrapper = await env.addKey(alice, aesKey(), 'secret', 'aes', WRAPPER);
    payload = await env.addKey(alice, aesKey(), 'secret', 'aes', PAYLOAD);
  });
  after(() => env.close());

  const wrap = async (wrappingKey: string, key: string, session = alice, mechanism = 'TEST_WRAP') =>
    wrapping.wrap(
      session,
      await env.gate.admit(session, wrappingKey, 'wrap', { action: 'key.wrap', mechanism }),
      await env.gate.admit(session, key, 'export', { action: 'key.wrap' }),
      {},
    );
  const unwrap = async (
    wrapped: Buffer,
    keyClass: 'secret' | 'private',
    keyType: string,
    unwrappingKey = wrapper.handle,
  ) =>
    wrapping.unwrap(
      alice,
      await env.gate.admit(alice, unwrappingKey, 'unwrap', { action: 'key.unwrap', mechanism: 'TEST_WRAP' }),
      {
        wrapped,
        keyClass,
        keyType,
        template: { label: 'unwrapped', attributes: { extractable: true } },
        params: {},
      },
    );

  test('a secret key round-trips: same value, new handle, not local, attributes from the template', async () => {
    const wrapped = await wrap(wrapper.handle, payload.handle);
    const copy = await unwrap(wrapped, 'secret', 'aes');
    assert.notEqual(copy.handle, payload.handle);
    assert.equal(copy.checkValue, payload.checkValue);
    assert.equal(copy.owner, 'alice');
    assert.equal(copy.label, 'unwrapped');
    assert.deepEqual(
      [
        copy.attributes.local,
        copy.attributes.alwaysSensitive,
        copy.attributes.neverExtractable,
        copy.attributes.extractable,
      ],
      [false, false, false, true],
    );
  });

  test('a private key is wrapped as PKCS#8 and unwraps to the same key', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const ec = await env.addKey(alice, privateKey, 'private', 'ec', { sign: true, extractable: true, sensitive: true });
    const wrapped = await wrap(wrapper.handle, ec.handle);
    const copy = await unwrap(wrapped, 'private', 'ec');
    const loaded = (await env.gate.find(alice, copy.handle))!;
    assert.equal(
      createPublicKey(loaded.key).export({ type: 'spki', format: 'der' }).toString('hex'),
      createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('hex'),
    );
  });

  test('the checks of the table run on the service path, and refusals are audited', async () => {
    const fixed = await env.addKey(alice, aesKey(), 'secret', 'aes', { ...PAYLOAD, extractable: false });
    await assert.rejects(wrap(wrapper.handle, fixed.handle), code('KEY_UNEXTRACTABLE'));
    const guarded = await env.addKey(alice, aesKey(), 'secret', 'aes', { ...PAYLOAD, wrapWithTrusted: true });
    await assert.rejects(wrap(wrapper.handle, guarded.handle), code('KEY_NOT_WRAPPABLE'));
    const trustedWrapper = await env.addKey(alice, aesKey(), 'secret', 'aes', { ...WRAPPER, trusted: true });
    assert.ok((await wrap(trustedWrapper.handle, guarded.handle)).length > 0);
    const noWrap = await env.addKey(alice, aesKey(), 'secret', 'aes', { ...WRAPPER, wrap: false });
    await assert.rejects(wrap(noWrap.handle, payload.handle), code('KEY_FUNCTION_NOT_PERMITTED'));
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const ecWrapper = await env.addKey(alice, privateKey, 'private', 'ec', { unwrap: true });
    await assert.rejects(wrap(ecWrapper.handle, payload.handle), code('KEY_TYPE_INCONSISTENT'));
    const pub = await env.addKey(alice, publicKey, 'public', 'ec', { verify: true });
    await assert.rejects(wrap(wrapper.handle, pub.handle), code('KEY_NOT_WRAPPABLE'));
    const refusals = (await env.events()).filter((event) => event.action === 'key.wrap' && event.result === 'failure');
    assert.deepEqual(
      refusals.slice(-5).map((event) => [event.code, event.target]),
      [
        ['KEY_UNEXTRACTABLE', `key/${fixed.handle}`],
        ['KEY_NOT_WRAPPABLE', `key/${guarded.handle}`],
        ['KEY_FUNCTION_NOT_PERMITTED', `key/${noWrap.handle}`],
        ['KEY_TYPE_INCONSISTENT', `key/${ecWrapper.handle}`],
        ['KEY_NOT_WRAPPABLE', `key/${pub.handle}`],
      ],
    );
  });

  test('a wrap is audited with both handles', async () => {
    await wrap(wrapper.handle, payload.handle);
    const last = (await env.events()).at(-1);
    assert.equal(last?.action, 'key.wrap');
    assert.equal(last?.result, 'success');
    assert.deepEqual(last?.details, { wrappingKey: wrapper.handle, key: payload.handle, mechanism: 'TEST_WRAP' });
  });

  test("another user's keys are not found; a non-wrap mechanism is refused", async () => {
    await assert.rejects(wrap(wrapper.handle, payload.handle, bob), code('KEY_NOT_FOUND'));
    await assert.rejects(wrap(wrapper.handle, payload.handle, alice, 'ECDSA_SHA256'), code('MECHANISM_INVALID'));
    await assert.rejects(wrap(wrapper.handle, payload.handle, alice, 'NO_SUCH'), code('MECHANISM_INVALID'));
  });

  test('unwrap refuses garbage, a wrong stated type and a bad template, and creates nothing', async () => {
    const before = await env.ownedHandles('alice');
    const wrapped = await wrap(wrapper.handle, payload.handle);
    await assert.rejects(unwrap(randomBytes(60), 'secret', 'aes'), code('WRAPPED_KEY_INVALID'));
    await assert.rejects(unwrap(wrapped, 'private', 'ec'), code('WRAPPED_KEY_INVALID'));
    await assert.rejects(unwrap(wrapped, 'private', 'rsa'), code('WRAPPED_KEY_INVALID'));
    await assert.rejects(unwrap(wrapped, 'secret', 'rsa'), code('ATTRIBUTE_VALUE_INVALID'));
    const noUnwrap = await env.addKey(alice, aesKey(), 'secret', 'aes', { ...WRAPPER, unwrap: false });
    await assert.rejects(unwrap(wrapped, 'secret', 'aes', noUnwrap.handle), code('KEY_FUNCTION_NOT_PERMITTED'));
    const after = await env.ownedHandles('alice');
    assert.deepEqual(
      after.filter((handle) => !before.includes(handle)),
      [noUnwrap.handle],
    );
    const failures = (await env.events()).filter(
      (event) => event.action === 'key.unwrap' && event.result === 'failure',
    );
    assert.deepEqual(
      failures.map((event) => event.code),
      [
        'WRAPPED_KEY_INVALID',
        'WRAPPED_KEY_INVALID',
        'WRAPPED_KEY_INVALID',
        'ATTRIBUTE_VALUE_INVALID',
        'KEY_FUNCTION_NOT_PERMITTED',
      ],
    );
  });

  test('an unwrapped AES key of an unsupported size is refused by the key type', async () => {
    const odd = Buffer.alloc(20, 7);
    const wrapped = await TEST_WRAP.wrap((await env.gate.find(alice, wrapper.handle))!.key, odd, {});
    await assert.rejects(unwrap(wrapped, 'secret', 'aes'), code('KEY_SIZE_RANGE'));
  });
});
