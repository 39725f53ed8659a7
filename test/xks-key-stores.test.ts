import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REFUSAL_RULES } from '../src/audit/refusal-budget.js';
import { main } from '../src/cli/main.js';
import { createKeyAndCsr, privateKeyPem } from '../src/pki/index.js';
import { codeOf } from './support/api.js';
import { auditEvents } from './support/audit-events.js';
import { capturedIo } from './support/captured-io.js';
import { startTestNode, type TestNode } from './support/test-node.js';
import { XksClient, type XksCredential } from './support/xks-client.js';

/**
 * XKS key stores as an admin runs them — the /v1 routes and `coffer xks …` — and what each
 * setting means on the wire: credential rotation, the region, mutual TLS, deletion.
 */

const health = { requestMetadata: { kmsOperation: 'KmsHealthCheck', kmsRequestId: 'r' } };

describe('XKS key stores (admin API, CLI, credentials, region, mutual TLS)', () => {
  let t: TestNode;
  let admin: string;
  let owner: string;
  let ca: Buffer;
  let xks: XksClient;
  let connection: string[];

  async function coffer(args: string[]): Promise<{ code: number; data: Record<string, unknown>; err: string }> {
    const run = capturedIo(t.root);
    const code = await main(['xks', ...args, '--json', ...connection], run);
    const parsed = JSON.parse(run.out.join('') || '{}') as { data?: Record<string, unknown> };
    return { code, data: parsed.data ?? {}, err: run.err.join('') + run.out.join('') };
  }

  async function createStore(body: Record<string, unknown>): Promise<XksCredential> {
    const made = await t.api.call<{ credential: { accessKeyId: string; secretAccessKey: string } }>(
      'POST',
      '/v1/xks/key-stores',
      { token: admin, body },
    );
    assert.equal(made.status, 201, made.text);
    return { accessKeyId: made.body.credential.accessKeyId, secret: made.body.credential.secretAccessKey };
  }

  before(async () => {
    t = await startTestNode();
    admin = await t.api.login('admin', t.adminPassword);
    owner = (await t.cryptoUser('kms_proxy')).token;
    ca = await readFile(t.dir.caCert);
    xks = new XksClient(t.node.url, { ca });
    connection = [
      '--endpoint',
      t.node.url,
      '--ca-file',
      t.dir.caCert,
      '--cert-file',
      t.init.clientCert!,
      '--key-file',
      t.init.clientKey!,
      '--username',
      'admin',
      '--password',
      t.adminPassword,
    ];
  });
  after(async () => {
    await xks?.close();
    await t?.stop();
  });

  test('coffer xks: create (writing the AWS console file), expose, list, unexpose, delete', async () => {
    const made = await t.api.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token: owner,
      body: { keyType: 'aes', keyLengthBytes: 32, attributes: { encrypt: true, decrypt: true } },
    });
    const created = await coffer([
      'store',
      'create',
      '--id',
      'cli-store',
      '--user',
      'kms_proxy',
      '--aws-config-file',
      'xks-proxy.json',
    ]);
    assert.equal(created.code, 0, created.err);
    assert.equal((created.data.keyStore as { uriPath: string }).uriPath, '/keystores/cli-store/kms/xks/v1');
    assert.equal(JSON.stringify(created.data).includes('secret'), false, 'the secret went to the file only');
    const file = join(t.root, 'xks-proxy.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const config = JSON.parse(await readFile(file, 'utf8')) as {
      XksProxyUriPath: string;
      XksProxyAuthenticationCredential: { AccessKeyId: string; RawSecretAccessKey: string };
    };
    assert.equal(config.XksProxyUriPath, '/keystores/cli-store/kms/xks/v1');
    const credential = {
      accessKeyId: config.XksProxyAuthenticationCredential.AccessKeyId,
      secret: config.XksProxyAuthenticationCredential.RawSecretAccessKey,
    };
    assert.equal((await xks.call(`${config.XksProxyUriPath}/health`, health, credential)).status, 200);

    const exposed = await coffer([
      'key',
      'expose',
      '--id',
      'cli-store',
      '--external-key-id',
      'k-1',
      '--key-handle',
      made.body.key.handle,
    ]);
    assert.equal(exposed.code, 0, exposed.err);
    const metadata = await xks.call(
      `${config.XksProxyUriPath}/keys/k-1/metadata`,
      { requestMetadata: { awsPrincipalArn: 'a', kmsOperation: 'CreateKey', kmsRequestId: 'r' } },
      credential,
    );
    assert.equal(metadata.status, 200, metadata.text);
    const listed = await coffer(['key', 'list', '--id', 'cli-store']);
    assert.deepEqual(
      (listed.data.keys as { externalKeyId: string }[]).map((entry) => entry.externalKeyId),
      ['k-1'],
    );
    const stores = await coffer(['store', 'list']);
    assert.ok((stores.data.keyStores as { id: string }[]).some((entry) => entry.id === 'cli-store'));
    const refused = await coffer(['store', 'delete', '--id', 'cli-store']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /XKS_KEY_STORE_NOT_EMPTY/);
    assert.equal((await coffer(['key', 'unexpose', '--id', 'cli-store', '--external-key-id', 'k-1'])).code, 0);
    assert.equal((await coffer(['store', 'delete', '--id', 'cli-store'])).code, 0);
    const after = await xks.call(`${config.XksProxyUriPath}/health`, health, credential);
    assert.equal(after.status, 401, 'a deleted store’s credential signs nothing');
    const described = await coffer(['store', 'describe', '--id', 'cli-store']);
    assert.match(described.err, /XKS_KEY_STORE_NOT_FOUND/);
  });

  test('rotation: a second credential works beside the first; removed, the first is refused', async () => {
    const first = await createStore({ id: 'rotating', user: 'kms_proxy', pathPrefix: '/rot' });
    const added = await coffer(['credential', 'add', '--id', 'rotating']);
    assert.equal(added.code, 0, added.err);
    const issued = added.data.credential as { accessKeyId: string; secretAccessKey: string };
    const second = { accessKeyId: issued.accessKeyId, secret: issued.secretAccessKey };
    const path = '/rot/kms/xks/v1/health';
    assert.equal((await xks.call(path, health, first)).status, 200);
    assert.equal((await xks.call(path, health, second)).status, 200);
    const third = await t.api.call('POST', '/v1/xks/key-stores/rotating/credentials', { token: admin, body: {} });
    assert.equal(codeOf(third), 'XKS_LIMIT', 'two at most');
    assert.equal(
      (await coffer(['credential', 'remove', '--id', 'rotating', '--access-key-id', first.accessKeyId])).code,
      0,
    );
    assert.equal((await xks.call(path, health, first)).status, 401);
    assert.equal((await xks.call(path, health, second)).status, 200);
    const last = await t.api.call('DELETE', `/v1/xks/key-stores/rotating/credentials/${second.accessKeyId}`, {
      token: admin,
    });
    assert.equal(codeOf(last), 'XKS_LIMIT', 'the last credential stays');
  });

  test('no prefix, and the deepest prefix: each store is served at its own XksProxyUriPath only', async () => {
    const bare = await createStore({ id: 'bare', user: 'kms_proxy', pathPrefix: '' });
    const deep = await createStore({ id: 'deep', user: 'kms_proxy', pathPrefix: '/a/b/c/d/e/f/g/h' });
    assert.equal((await xks.call('/kms/xks/v1/health', health, bare)).status, 200);
    assert.equal((await xks.call('/a/b/c/d/e/f/g/h/kms/xks/v1/health', health, deep)).status, 200);
    assert.equal((await xks.call('/a/b/c/d/e/f/g/h/kms/xks/v1/health', health, bare)).status, 404);
    assert.equal((await xks.call('/kms/xks/v1/health', health, deep)).status, 404);
    const taken = await t.api.call('POST', '/v1/xks/key-stores', {
      token: admin,
      body: { id: 'bare2', user: 'kms_proxy', pathPrefix: '' },
    });
    assert.equal(codeOf(taken), 'XKS_KEY_STORE_EXISTS', 'one store without a prefix');
  });

  test('a store bound to a region refuses a signature scoped to another', async () => {
    const credential = await createStore({ id: 'regional', user: 'kms_proxy', pathPrefix: '/eu', region: 'eu-west-1' });
    assert.equal((await xks.call('/eu/kms/xks/v1/health', health, credential, { region: 'eu-west-1' })).status, 200);
    const scoped = async () =>
      (await auditEvents(t.api, admin, { action: 'xks.authenticate' })).filter(
        (event) => event.details?.reason === 'scope',
      ).length;
    const before = await scoped();
    // A valid signature of the store's secret, refused for its region: the signer is known, so
    // each refusal is audited in full, past the budget for callers without a credential too.
    const tries = REFUSAL_RULES.auditedPerWindow + 2;
    for (let i = 0; i < tries; i++) {
      const other = await xks.call('/eu/kms/xks/v1/health', health, credential, { region: 'us-east-1' });
      assert.equal(other.status, 401, other.text);
      assert.equal(other.body.errorName, 'AuthenticationFailedException');
    }
    assert.equal((await scoped()) - before, tries);
  });

  test('mutual TLS: a store that names a client certificate subject refuses every other caller', async () => {
    const subject = 'cks.kms.us-east-1.amazonaws.com';
    const credential = await createStore({
      id: 'mtls',
      user: 'kms_proxy',
      pathPrefix: '/mtls',
      tlsClientSubject: subject,
    });
    const client = await createKeyAndCsr({ commonName: 'ignored' });
    const issued = await t.api.call<{ certificate: string }>('POST', '/v1/cluster/client-certificates', {
      token: admin,
      body: { csr: client.csrPem, commonName: subject },
    });
    assert.equal(issued.status, 200, issued.text);
    const kms = new XksClient(t.node.url, {
      ca,
      cert: Buffer.from(issued.body.certificate),
      key: Buffer.from(privateKeyPem(client.privateKey)),
    });
    const otherCert = new XksClient(t.node.url, {
      ca,
      cert: await readFile(t.init.clientCert!),
      key: await readFile(t.init.clientKey!),
    });
    try {
      const path = '/mtls/kms/xks/v1/health';
      assert.equal((await kms.call(path, health, credential)).status, 200);
      for (const [name, refused] of [
        ['no certificate', await xks.call(path, health, credential)],
        ['another subject', await otherCert.call(path, health, credential)],
      ] as const) {
        assert.equal(refused.status, 401, `${name}: ${refused.text}`);
        assert.equal(refused.body.errorName, 'AuthenticationFailedException', name);
      }
    } finally {
      await kms.close();
      await otherCert.close();
    }
    const events = await auditEvents(t.api, admin, { action: 'xks.authenticate' });
    assert.ok(events.some((event) => event.details?.reason === 'client-certificate'));
  });

  test('what an admin may not make: a taken id or prefix, no such user, an admin as the user, a bad prefix', async () => {
    await createStore({ id: 'taken', user: 'kms_proxy', pathPrefix: '/taken' });
    const cases: [Record<string, unknown>, string][] = [
      [{ id: 'taken', user: 'kms_proxy', pathPrefix: '/fresh' }, 'XKS_KEY_STORE_EXISTS'],
      [{ id: 'fresh', user: 'kms_proxy', pathPrefix: '/taken' }, 'XKS_KEY_STORE_EXISTS'],
      [{ id: 'fresh', user: 'nobody' }, 'XKS_KEY_STORE_USER_INVALID'],
      [{ id: 'fresh', user: 'admin' }, 'XKS_KEY_STORE_USER_INVALID'],
      [{ id: 'fresh', user: 'kms_proxy', pathPrefix: '/v1' }, 'INVALID_FIELD'],
      [{ id: 'fresh', user: 'kms_proxy', pathPrefix: 'no-slash' }, 'INVALID_FIELD'],
      [{ id: 'has space', user: 'kms_proxy' }, 'INVALID_FIELD'],
    ];
    for (const [body, code] of cases) {
      const answer = await t.api.call('POST', '/v1/xks/key-stores', { token: admin, body });
      assert.equal(codeOf(answer), code, `${JSON.stringify(body)}: ${answer.text}`);
    }
    const events = await auditEvents(t.api, admin, { action: 'xks.create-store' });
    assert.ok(events.some((event) => event.result === 'failure' && event.code === 'XKS_KEY_STORE_EXISTS'));
    const success = events.find((event) => event.target === 'xks/taken' && event.result === 'success');
    assert.equal(success?.details?.pathPrefix, '/taken');
    assert.equal(JSON.stringify(events).includes('secret'), false);
  });

  test('listing and describing show no secret; the store names its access key ids only', async () => {
    const listed = await t.api.call<{ keyStores: Record<string, unknown>[] }>('GET', '/v1/xks/key-stores', {
      token: admin,
    });
    assert.equal(listed.status, 200, listed.text);
    assert.ok(listed.body.keyStores.length >= 1);
    assert.doesNotMatch(listed.text, /secret/i);
    const one = await t.api.call('GET', '/v1/xks/key-stores/taken', { token: admin });
    assert.deepEqual(Object.keys((one.body as { keyStore: object }).keyStore).sort(), [
      'accessKeyIds',
      'createdAt',
      'createdBy',
      'id',
      'keys',
      'pathPrefix',
      'uriPath',
      'user',
    ]);
  });

  test('the XKS routes are not part of /v1’s OpenAPI document', async () => {
    const document = await t.api.call<{ paths: Record<string, unknown> }>('GET', '/v1/openapi.json');
    const paths = Object.keys(document.body.paths);
    assert.ok(paths.includes('/v1/xks/key-stores'));
    assert.deepEqual(
      paths.filter((path) => path.includes('kms/xks')),
      [],
    );
  });
});
