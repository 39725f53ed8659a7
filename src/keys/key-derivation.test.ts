import assert from 'node:assert/strict';
import { generateKeySync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord } from '../objects/key-record.js';
import { KeyDerivation, derivedAttributes } from './key-derivation.js';
import { transferEnv, type TransferEnv } from '../../test/support/transfer-test-env.js';

const code = (expected: ErrorCode) => (error: unknown) => isCofferError(error, expected);

describe('derived key attributes (PKCS#11 inheritance)', () => {
  test('always-sensitive and never-extractable hold only when the base key had them and the new key keeps them', () => {
    const cases: [KeyRecord['attributes'], Record<string, boolean>, boolean, boolean][] = [
      [{ alwaysSensitive: true, neverExtractable: true }, {}, true, true],
      [{ alwaysSensitive: true, neverExtractable: true }, { extractable: true }, true, false],
      [{ alwaysSensitive: true, neverExtractable: true }, { sensitive: false }, false, true],
      [{ alwaysSensitive: false, neverExtractable: false }, {}, false, false],
      [{ alwaysSensitive: false, neverExtractable: true }, {}, false, true],
    ];
    for (const [base, requested, alwaysSensitive, neverExtractable] of cases) {
      const derived = derivedAttributes(base, requested);
      assert.deepEqual(
        [derived.alwaysSensitive, derived.neverExtractable, derived.local],
        [alwaysSensitive, neverExtractable, false],
        JSON.stringify([base, requested]),
      );
    }
  });

  test('node-only attributes cannot be requested', () => {
    assert.throws(() => derivedAttributes({}, { local: true }), code('ATTRIBUTE_READ_ONLY'));
  });
});

describe('KeyDerivation over a real store', () => {
  let env: TransferEnv;
  let derivation: KeyDerivation;
  let alice: Session;
  let baseKey: KeyRecord;

  before(async () => {
    env = await transferEnv();
    derivation = new KeyDerivation({ keys: env.keys, writer: env.writer });
    alice = env.session('alice');
    baseKey = await env.addKey(alice, generateKeySync('aes', { length: 256 }), 'secret', 'aes', {
      derive: true,
      sensitive: true,
      extractable: false,
      alwaysSensitive: true,
      neverExtractable: true,
    });
  });
  after(() => env.close());

  const admit = (session: Session, base: string, mechanism: string) =>
    env.gate.admit(session, base, 'derive', { action: 'key.derive', mechanism });
  const derive = async (base: string, keyType = 'aes', lengthBytes = 32, info = 'ctx', session = alice) =>
    derivation.derive(session, await admit(session, base, 'TEST_DERIVE'), {
      keyType,
      lengthBytes,
      template: { label: 'derived' },
      params: { salt: Buffer.from('salt'), info: Buffer.from(info) },
    });

  test('the same inputs derive the same key; other inputs another; the new key is the caller’s, not local', async () => {
    const one = await derive(baseKey.handle);
    const two = await derive(baseKey.handle);
    const other = await derive(baseKey.handle, 'aes', 32, 'other');
    assert.notEqual(one.handle, two.handle);
    assert.equal(one.checkValue, two.checkValue);
    assert.notEqual(one.checkValue, other.checkValue);
    assert.deepEqual([one.owner, one.class, one.keyType, one.shape.valueLen], ['alice', 'secret', 'aes', 32]);
    assert.deepEqual(
      [one.attributes.local, one.attributes.alwaysSensitive, one.attributes.neverExtractable],
      [false, true, true],
    );
    const last = (await env.events()).at(-1);
    assert.deepEqual([last?.action, last?.details?.baseKey], ['key.derive', baseKey.handle]);
  });

  test('the rules refuse before deriving, and nothing is created', async () => {
    const noDerive = await env.addKey(alice, generateKeySync('aes', { length: 256 }), 'secret', 'aes', {
      derive: false,
    });
    const before = await env.ownedHandles('alice');
    await assert.rejects(derive(noDerive.handle), code('KEY_FUNCTION_NOT_PERMITTED'));
    await assert.rejects(derive(baseKey.handle, 'rsa', 32), code('ATTRIBUTE_VALUE_INVALID'));
    await assert.rejects(derive(baseKey.handle, 'aes', 20), code('KEY_SIZE_RANGE'));
    await assert.rejects(derive(baseKey.handle, 'aes', 32, 'ctx', env.session('bob')), code('KEY_NOT_FOUND'));
    await assert.rejects(
      (async () =>
        derivation.derive(alice, await admit(alice, baseKey.handle, 'AES_GCM'), {
          keyType: 'aes',
          lengthBytes: 32,
          template: {},
          params: {},
        }))(),
      code('MECHANISM_INVALID'),
    );
    assert.deepEqual(await env.ownedHandles('alice'), before);
  });
});
