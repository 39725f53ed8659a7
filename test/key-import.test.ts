import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign as nodeSign } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Key {
  handle: string;
  class: string;
  keyType: string;
  label: string;
  owner: string;
  attributes: Record<string, boolean>;
}

describe('key import over the API', () => {
  let t: TestNode;
  let alice: string;

  before(async () => {
    t = await startTestNode();
    alice = (await t.cryptoUser('alice')).token;
  });
  after(() => t.stop());

  const post = <T = Record<string, unknown>>(path: string, body: unknown) =>
    t.api.call<T>('POST', path, { token: alice, body });

  test('an imported PEM public key verifies a signature made outside Coffer', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const data = Buffer.from('signed by a partner, far away');
    const signature = nodeSign('sha256', data, privateKey);
    const imported = await post<{ key: Key }>('/v1/keys/import', {
      pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      label: 'partner',
    });
    assert.equal(imported.status, 201, imported.text);
    const key = imported.body.key;
    assert.deepEqual(
      [key.class, key.keyType, key.owner, key.label, key.attributes.local],
      ['public', 'ec', 'alice', 'partner', false],
    );
    const verify = (signed: Buffer) =>
      post('/v1/crypto/verify', {
        keyHandle: key.handle,
        mechanism: 'ECDSA_SHA256',
        data: data.toString('base64'),
        signature: signed.toString('base64'),
        signatureEncoding: 'der',
      });
    const verified = await verify(signature);
    assert.equal(verified.status, 200, verified.text);
    assert.equal(verified.body.valid, true);
    const forged = nodeSign('sha256', Buffer.from('something else'), privateKey);
    assert.equal(codeOf(await verify(forged)), 'SIGNATURE_INVALID');
  });

  test('an RSA public key imports from DER; one below 2048 bits is refused', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const ok = await post<{ key: Key }>('/v1/keys/import', {
      der: rsa.export({ type: 'spki', format: 'der' }).toString('base64'),
    });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.key.keyType, 'rsa');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const refused = await post('/v1/keys/import', { pem: small.export({ type: 'spki', format: 'pem' }).toString() });
    assert.equal(codeOf(refused), 'KEY_SIZE_RANGE');
  });

  test('plaintext secret and private key values are refused by default and create nothing', async () => {
    const count = async () =>
      (await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?limit=1000', { token: alice })).body.keys.length;
    const before = await count();
    const secret = await post('/v1/keys/import', { keyType: 'aes', value: randomBytes(32).toString('base64') });
    assert.equal(codeOf(secret), 'IMPORT_NOT_ALLOWED');
    assert.equal(secret.status, 403);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.equal(codeOf(await post('/v1/keys/import', { pem })), 'IMPORT_NOT_ALLOWED');
    assert.equal(await count(), before);
  });

  test('an admin may not import; a body with two key forms is refused', async () => {
    const admin = await t.api.login('admin', t.adminPassword);
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    assert.equal(
      codeOf(await t.api.call('POST', '/v1/keys/import', { token: admin, body: { pem } })),
      'PERMISSION_DENIED',
    );
    assert.equal(codeOf(await post('/v1/keys/import', { pem, der: 'AAAA' })), 'INVALID_FIELD');
    assert.equal(codeOf(await post('/v1/keys/import', {})), 'INVALID_FIELD');
  });
});

describe('key import where an admin set the cluster policy to allow plaintext import', () => {
  let t: TestNode;
  let alice: string;

  before(async () => {
    t = await startTestNode();
    ({ token: alice } = await t.cryptoUser('alice'));
    const admin = await t.api.login('admin', t.adminPassword);
    assert.equal(
      codeOf(await t.api.call('PUT', '/v1/cluster/policy', { token: alice, body: { allowPlaintextImport: true } })),
      'PERMISSION_DENIED',
    );
    const set = await t.api.call<{ policy: { allowPlaintextImport: boolean } }>('PUT', '/v1/cluster/policy', {
      token: admin,
      body: { allowPlaintextImport: true },
    });
    assert.equal(set.body.policy.allowPlaintextImport, true, set.text);
    const events = await t.api.call<{ events: { action: string; details?: Record<string, unknown> }[] }>(
      'GET',
      '/v1/audit/events?limit=1000',
      { token: admin },
    );
    assert.ok(
      events.body.events.some(
        (event) => event.action === 'cluster.policy.set' && event.details?.allowPlaintextImport === true,
      ),
    );
  });
  after(() => t.stop());

  test('a secret value imports: not local, never always-sensitive or never-extractable', async () => {
    const value = randomBytes(32);
    const imported = await t.api.call<{ key: Key }>('POST', '/v1/keys/import', {
      token: alice,
      body: {
        keyType: 'aes',
        value: value.toString('base64'),
        label: 'legacy',
        attributes: { encrypt: true, decrypt: true },
      },
    });
    assert.equal(imported.status, 201, imported.text);
    const { attributes } = imported.body.key;
    assert.deepEqual(
      [attributes.local, attributes.alwaysSensitive, attributes.neverExtractable],
      [false, false, false],
    );
  });
});
