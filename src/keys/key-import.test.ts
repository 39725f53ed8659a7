import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import { KeyImport, type ImportPolicy } from './key-import.js';
import { transferEnv, type TransferEnv } from '../../test/support/transfer-test-env.js';

const code = (expected: ErrorCode) => (error: unknown) => isCofferError(error, expected);

describe('KeyImport over a real store', () => {
  let env: TransferEnv;
  let policy: ImportPolicy;
  let importer: KeyImport;
  const alice = () => env.session('alice');

  before(async () => {
    env = await transferEnv();
    policy = { allowPlaintextImport: false };
    importer = new KeyImport({ keys: env.keys, writer: env.writer, policy: async () => policy });
  });
  after(() => env.close());

  test('public keys import from PEM and DER: RSA, EC; attributes from the table, not local', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    const fromPem = await importer.import(
      alice(),
      { pem: rsa.export({ type: 'spki', format: 'pem' }).toString() },
      { label: 'partner' },
    );
    const fromDer = await importer.import(
      alice(),
      { der: ec.export({ type: 'spki', format: 'der' }) },
      { attributes: { verify: false } },
    );
    assert.deepEqual(
      [fromPem.class, fromPem.keyType, fromPem.label, fromPem.owner],
      ['public', 'rsa', 'partner', 'alice'],
    );
    assert.deepEqual(fromPem.shape, { modulusBits: 2048, publicExponent: 65537 });
    assert.equal(fromPem.attributes.verify, true);
    assert.equal(fromPem.attributes.local, false);
    assert.deepEqual([fromDer.keyType, fromDer.shape.curve, fromDer.attributes.verify], ['ec', 'secp384r1', false]);
    const last = (await env.events()).at(-1);
    assert.deepEqual([last?.action, last?.result, last?.details?.class], ['key.import', 'success', 'public']);
  });

  test('keys Coffer does not support are refused by the key type', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    await assert.rejects(
      importer.import(alice(), { pem: small.export({ type: 'spki', format: 'pem' }).toString() }, {}),
      code('KEY_SIZE_RANGE'),
    );
    const brainpool = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' }).publicKey;
    await assert.rejects(
      importer.import(alice(), { der: brainpool.export({ type: 'spki', format: 'der' }) }, {}),
      code('MECHANISM_INVALID'),
    );
    const x25519 = generateKeyPairSync('x25519').publicKey;
    await assert.rejects(
      importer.import(alice(), { der: x25519.export({ type: 'spki', format: 'der' }) }, {}),
      code('MECHANISM_INVALID'),
    );
    await assert.rejects(
      importer.import(alice(), { pem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }, {}),
      code('ATTRIBUTE_VALUE_INVALID'),
    );
    await assert.rejects(importer.import(alice(), { pem: 'hello' }, {}), code('ATTRIBUTE_VALUE_INVALID'));
  });

  test('plaintext secret and private values are refused by default, audited, and nothing is created', async () => {
    const before = await env.ownedHandles('alice');
    const value = randomBytes(32);
    await assert.rejects(importer.import(alice(), { keyType: 'aes', value }, {}), code('IMPORT_NOT_ALLOWED'));
    assert.ok(value.equals(Buffer.alloc(32)), 'the value is zeroed even when refused');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await assert.rejects(importer.import(alice(), { pem }, {}), code('IMPORT_NOT_ALLOWED'));
    await assert.rejects(
      importer.import(alice(), { der: privateKey.export({ type: 'pkcs8', format: 'der' }) }, {}),
      code('IMPORT_NOT_ALLOWED'),
    );
    assert.deepEqual(await env.ownedHandles('alice'), before);
    const refusals = (await env.events()).filter((event) => event.code === 'IMPORT_NOT_ALLOWED');
    assert.deepEqual(
      refusals.map((event) => event.details?.class),
      ['secret', 'private', 'private'],
    );
  });

  test('where the policy allows, secret and private values import: never local, sensitive or never-extractable', async () => {
    policy = { allowPlaintextImport: true };
    try {
      const secret = await importer.import(
        alice(),
        { keyType: 'aes', value: randomBytes(16) },
        { attributes: { extractable: true } },
      );
      assert.deepEqual([secret.class, secret.keyType, secret.shape.valueLen], ['secret', 'aes', 16]);
      assert.deepEqual(
        [secret.attributes.local, secret.attributes.alwaysSensitive, secret.attributes.neverExtractable],
        [false, false, false],
      );
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const ec = await importer.import(
        alice(),
        { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
        {},
      );
      assert.deepEqual(
        [ec.class, ec.keyType, ec.attributes.local, ec.attributes.neverExtractable],
        ['private', 'ec', false, false],
      );
      await assert.rejects(
        importer.import(alice(), { keyType: 'aes', value: randomBytes(20) }, {}),
        code('KEY_SIZE_RANGE'),
      );
      await assert.rejects(
        importer.import(alice(), { keyType: 'rsa', value: randomBytes(16) }, {}),
        code('MECHANISM_INVALID'),
      );
    } finally {
      policy = { allowPlaintextImport: false };
    }
  });
});
