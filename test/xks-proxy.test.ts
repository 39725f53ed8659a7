import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { auditEvents } from './support/audit-events.js';
import { startTestNode, type TestNode } from './support/test-node.js';
import { XksClient, XksCurl, type XksAnswer, type XksCredential } from './support/xks-client.js';

/**
 * The XKS proxy API against a real node over real TLS: every API and error of the spec
 * (aws/aws-kms-xksproxy-api-spec, xks_proxy_api_spec.md), requests signed as AWS KMS signs
 * them — by the AWS SDK's SigV4 signer and by curl --aws-sigv4.
 */
const PREFIX = '/tenant-a';
const ROOT = `${PREFIX}/kms/xks/v1`;
const b64 = (bytes: Buffer | string): string => Buffer.from(bytes).toString('base64');
const unb64 = (value: unknown): Buffer => Buffer.from(value as string, 'base64');

function metadata(operation: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    awsPrincipalArn: 'arn:aws:iam::123456789012:user/Alice',
    kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    kmsOperation: operation,
    kmsRequestId: `req-${randomBytes(8).toString('hex')}`,
    kmsViaService: 'ebs',
    ...extra,
  };
}

function errorName(answer: XksAnswer): unknown {
  return answer.body.errorName;
}

describe('the XKS proxy API (real node, SigV4 as AWS KMS signs)', () => {
  let t: TestNode;
  let admin: string;
  let owner: string;
  let credential: XksCredential;
  let xks: XksClient;
  let curl: XksCurl;
  const keys: Record<string, string> = {};

  const call = (path: string, body: unknown, options = {}) => xks.call(ROOT + path, body, credential, options);
  const encrypt = (externalKeyId: string, fields: Record<string, unknown> = {}) =>
    call(`/keys/${externalKeyId}/encrypt`, {
      requestMetadata: metadata('Encrypt'),
      plaintext: b64('Hello World!'),
      encryptionAlgorithm: 'AES_GCM',
      ...fields,
    });
  const decrypt = (externalKeyId: string, fields: Record<string, unknown>) =>
    call(`/keys/${externalKeyId}/decrypt`, {
      requestMetadata: metadata('Decrypt'),
      encryptionAlgorithm: 'AES_GCM',
      ...fields,
    });

  async function aesKey(token: string, attributes: Record<string, boolean> = { encrypt: true, decrypt: true }) {
    const made = await t.api.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token,
      body: { keyType: 'aes', keyLengthBytes: 32, attributes },
    });
    assert.equal(made.status, 201, made.text);
    return made.body.key.handle;
  }

  async function expose(externalKeyId: string, keyHandle: string, storeId = 'store-a') {
    return t.api.call('POST', `/v1/xks/key-stores/${storeId}/keys`, {
      token: admin,
      body: { externalKeyId, keyHandle },
    });
  }

  before(async () => {
    t = await startTestNode();
    admin = await t.api.login('admin', t.adminPassword);
    owner = (await t.cryptoUser('kms_proxy')).token;
    const alice = (await t.cryptoUser('alice')).token;
    keys.main = await aesKey(owner);
    keys.disabled = await aesKey(owner);
    keys.usage = await aesKey(owner);
    keys.shared = await aesKey(alice);
    const shared = await t.api.call('POST', `/v1/keys/${keys.shared}/shares`, {
      token: alice,
      body: { username: 'kms_proxy' },
    });
    assert.equal(shared.status, 200, shared.text);
    keys.notShared = await aesKey(alice);
    keys.encryptOnly = await aesKey(owner, { encrypt: true, decrypt: false });
    const created = await t.api.call<{ credential: { accessKeyId: string; secretAccessKey: string } }>(
      'POST',
      '/v1/xks/key-stores',
      { token: admin, body: { id: 'store-a', user: 'kms_proxy', pathPrefix: PREFIX } },
    );
    assert.equal(created.status, 201, created.text);
    credential = { accessKeyId: created.body.credential.accessKeyId, secret: created.body.credential.secretAccessKey };
    for (const [id, handle] of [
      ['main-key', keys.main],
      ['disabled.key', keys.disabled],
      ['usage_key', keys.usage],
      ['shared-key', keys.shared],
    ] as const) {
      const exposed = await expose(id, handle!);
      assert.equal(exposed.status, 201, exposed.text);
    }
    const tls = { ca: await readFile(t.dir.caCert) };
    xks = new XksClient(t.node.url, tls);
    curl = new XksCurl(t.node.url, t.root, t.dir.caCert);
  });
  after(async () => {
    await curl?.stop();
    await xks?.close();
    await t?.stop();
  });

  describe('GetHealthStatus', () => {
    test('answers the spec’s report after a deep check: one fleet entry, ACTIVE', async () => {
      const answer = await call('/health', {
        requestMetadata: { kmsRequestId: 'r-1', kmsOperation: 'KmsHealthCheck' },
      });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.xksProxyFleetSize, 1);
      assert.equal(answer.body.xksProxyVendor, 'Coffer');
      assert.match(answer.body.xksProxyModel as string, /^Coffer XKS proxy /);
      assert.equal(answer.body.ekmVendor, 'Coffer');
      const fleet = answer.body.ekmFleetDetails as { id: string; model: string; healthStatus: string }[];
      assert.equal(fleet.length, 1);
      assert.equal(fleet[0]!.id, t.node.info.nodeId);
      assert.equal(fleet[0]!.healthStatus, 'ACTIVE');
    });

    test('curl --aws-sigv4 "aws:amz:us-east-1:kms-xks-proxy" is served as the spec’s Appendix D shows', async () => {
      const answer = await curl.call(
        `${ROOT}/health`,
        { requestMetadata: { kmsOperation: 'KmsHealthCheck', kmsRequestId: '1124f4d6-db54-4af4-ae30-c55a22a8abcd' } },
        credential,
      );
      assert.equal(answer.status, 200, answer.text);
      assert.equal((answer.body.ekmFleetDetails as { healthStatus: string }[])[0]!.healthStatus, 'ACTIVE');
    });

    test('is not subject to ValidationException: any JSON object is taken', async () => {
      assert.equal((await call('/health', { requestMetadata: { kmsOperation: 'SomethingNew' }, more: 1 })).status, 200);
    });
  });

  describe('GetKeyMetadata', () => {
    test('an exposed key: AES_256, its usages, ENABLED', async () => {
      const answer = await call('/keys/main-key/metadata', { requestMetadata: metadata('DescribeKey') });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.body, { keySpec: 'AES_256', keyUsage: ['ENCRYPT', 'DECRYPT'], keyStatus: 'ENABLED' });
    });

    test('a key shared with the store’s user is served too', async () => {
      const answer = await call('/keys/shared-key/metadata', { requestMetadata: metadata('CreateKey') });
      assert.equal(answer.status, 200, answer.text);
    });

    test('over curl', async () => {
      const answer = await curl.call(
        `${ROOT}/keys/main-key/metadata`,
        { requestMetadata: metadata('DescribeKey') },
        credential,
      );
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.keySpec, 'AES_256');
    });
  });

  describe('Encrypt and Decrypt', () => {
    test('round trip with AAD and a CDIV that KMS can recompute (Appendix C)', async () => {
      const plaintext = randomBytes(4300);
      const aad = randomBytes(8192);
      const sealed = await encrypt('main-key', {
        plaintext: b64(plaintext),
        additionalAuthenticatedData: b64(aad),
        ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
      });
      assert.equal(sealed.status, 200, sealed.text);
      const ciphertext = unb64(sealed.body.ciphertext);
      assert.equal(ciphertext.length, plaintext.length, 'AES-GCM: as long as the plaintext');
      assert.equal(unb64(sealed.body.initializationVector).length, 12);
      assert.equal(unb64(sealed.body.authenticationTag).length, 16);
      assert.ok(unb64(sealed.body.ciphertextMetadata).length <= 20);
      const cdiv = createHash('sha256')
        .update(
          Buffer.concat([
            aad,
            ...['ciphertextMetadata', 'initializationVector', 'ciphertext', 'authenticationTag'].map((f) =>
              unb64(sealed.body[f]),
            ),
          ]),
        )
        .digest('base64');
      assert.equal(sealed.body.ciphertextDataIntegrityValue, cdiv);
      const { ciphertextDataIntegrityValue: _cdiv, ...blob } = sealed.body;
      const opened = await decrypt('main-key', { ...blob, additionalAuthenticatedData: b64(aad) });
      assert.equal(opened.status, 200, opened.text);
      assert.deepEqual(unb64(opened.body.plaintext), plaintext);
    });

    test('without AAD or CDIV: the three required fields and the metadata, no CDIV', async () => {
      const sealed = await encrypt('main-key');
      assert.equal(sealed.status, 200, sealed.text);
      assert.deepEqual(Object.keys(sealed.body).sort(), [
        'authenticationTag',
        'ciphertext',
        'ciphertextMetadata',
        'initializationVector',
      ]);
      const opened = await decrypt('main-key', sealed.body);
      assert.equal(unb64(opened.body.plaintext).toString(), 'Hello World!');
    });

    test('curl encrypts (the spec’s Appendix D request), the SDK-signed call decrypts', async () => {
      const sealed = await curl.call(
        `${ROOT}/keys/main-key/encrypt`,
        {
          requestMetadata: metadata('GenerateDataKey'),
          plaintext: 'SGVsbG8gV29ybGQh',
          encryptionAlgorithm: 'AES_GCM',
          additionalAuthenticatedData: 'cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n',
        },
        credential,
      );
      assert.equal(sealed.status, 200, sealed.text);
      const opened = await decrypt('main-key', {
        ...sealed.body,
        additionalAuthenticatedData: 'cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n',
      });
      assert.equal(opened.body.plaintext, 'SGVsbG8gV29ybGQh', opened.text);
    });

    test('anything tampered is InvalidCiphertextException: ciphertext, tag, IV, AAD, metadata', async () => {
      const aad = b64('project=nile');
      const sealed = await encrypt('main-key', { additionalAuthenticatedData: aad });
      assert.equal(sealed.status, 200, sealed.text);
      const flip = (field: string) => {
        const bytes = unb64(sealed.body[field]);
        bytes[bytes.length - 1]! ^= 1;
        return b64(bytes);
      };
      const good = { ...sealed.body, additionalAuthenticatedData: aad };
      const cases: Record<string, Record<string, unknown>> = {
        ciphertext: { ...good, ciphertext: flip('ciphertext') },
        tag: { ...good, authenticationTag: flip('authenticationTag') },
        iv: { ...good, initializationVector: flip('initializationVector') },
        aad: { ...good, additionalAuthenticatedData: b64('project=amazon') },
        'no aad': { ...sealed.body },
        metadata: { ...good, ciphertextMetadata: flip('ciphertextMetadata') },
        'no metadata': { ...good, ciphertextMetadata: undefined },
        // The spec's length trap: no AAD but the metadata passed as AAD, and no metadata.
        'metadata as aad': {
          ...sealed.body,
          additionalAuthenticatedData: sealed.body.ciphertextMetadata,
          ciphertextMetadata: undefined,
        },
        '16-byte IV': { ...good, initializationVector: b64(randomBytes(16)) },
        'another key': good,
      };
      for (const [name, body] of Object.entries(cases)) {
        const answer = await decrypt(name === 'another key' ? 'shared-key' : 'main-key', body);
        assert.equal(answer.status, 400, `${name}: ${answer.text}`);
        assert.equal(errorName(answer), 'InvalidCiphertextException', name);
      }
      assert.equal((await decrypt('main-key', good)).status, 200, 'the untampered blob still decrypts');
    });

    test('a rotated key still decrypts what its older version encrypted: the metadata names the version', async () => {
      const old = await encrypt('main-key');
      const rotated = await t.api.call('POST', `/v1/keys/${keys.main}/rotate`, { token: owner, body: {} });
      assert.equal(rotated.status, 200, rotated.text);
      const fresh = await encrypt('main-key');
      assert.notEqual(fresh.body.ciphertextMetadata, old.body.ciphertextMetadata);
      assert.equal((await decrypt('main-key', old.body)).status, 200);
      assert.equal((await decrypt('main-key', fresh.body)).status, 200);
    });
  });

  describe('refusals, as the spec names them', () => {
    test('a key not exposed in the store: KeyNotFoundException (404), even a key the user has', async () => {
      for (const answer of [
        await call('/keys/nope/metadata', { requestMetadata: metadata('DescribeKey') }),
        await encrypt('nope'),
        await encrypt(keys.main!),
        // The spec's longest external key id is routed, and simply not found.
        await encrypt('k'.repeat(128)),
      ]) {
        assert.equal(answer.status, 404, answer.text);
        assert.equal(errorName(answer), 'KeyNotFoundException');
      }
    });

    test('exposing refuses what the spec cannot serve and what the store user cannot use', async () => {
      const refusals = [
        [await expose('enc-only', keys.encryptOnly!), 'XKS_KEY_NOT_ELIGIBLE'],
        [await expose('not-shared', keys.notShared!), 'XKS_KEY_NOT_ELIGIBLE'],
        [await expose('main-key', await aesKey(owner)), 'XKS_KEY_EXPOSED'],
        [await expose('again', keys.main!), 'XKS_KEY_EXPOSED'],
      ] as const;
      for (const [answer, code] of refusals)
        assert.equal((answer.body as { error?: { code: string } }).error?.code, code, answer.text);
    });

    test('a key outside its dates is DISABLED, and InvalidStateException to use; usable again after', async () => {
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      const sealed = await encrypt('disabled.key');
      const patched = await t.api.call('PATCH', `/v1/keys/${keys.disabled}`, {
        token: owner,
        body: { endDate: yesterday },
      });
      assert.equal(patched.status, 200, patched.text);
      const described = await call('/keys/disabled.key/metadata', { requestMetadata: metadata('DescribeKey') });
      assert.equal(described.body.keyStatus, 'DISABLED', described.text);
      for (const answer of [await encrypt('disabled.key'), await decrypt('disabled.key', sealed.body)]) {
        assert.equal(answer.status, 400, answer.text);
        assert.equal(errorName(answer), 'InvalidStateException');
      }
      const restored = await t.api.call('PATCH', `/v1/keys/${keys.disabled}`, {
        token: owner,
        body: { endDate: null },
      });
      assert.equal(restored.status, 200, restored.text);
      assert.equal((await encrypt('disabled.key')).status, 200);
    });

    test('a key whose owner took away encrypt: InvalidKeyUsageException, and its metadata says so', async () => {
      const patched = await t.api.call('PATCH', `/v1/keys/${keys.usage}`, {
        token: owner,
        body: { attributes: { encrypt: false } },
      });
      assert.equal(patched.status, 200, patched.text);
      const answer = await encrypt('usage_key');
      assert.equal(answer.status, 400, answer.text);
      assert.equal(errorName(answer), 'InvalidKeyUsageException');
      const described = await call('/keys/usage_key/metadata', { requestMetadata: metadata('DescribeKey') });
      assert.deepEqual(described.body.keyUsage, ['DECRYPT']);
    });

    test('a key unshared from the store’s user is gone for the store: KeyNotFoundException', async () => {
      const carol = (await t.cryptoUser('carol')).token;
      const handle = await aesKey(carol);
      await t.api.call('POST', `/v1/keys/${handle}/shares`, { token: carol, body: { username: 'kms_proxy' } });
      assert.equal((await expose('carols-key', handle)).status, 201);
      assert.equal((await encrypt('carols-key')).status, 200);
      await t.api.call('DELETE', `/v1/keys/${handle}/shares/kms_proxy`, { token: carol });
      const answer = await encrypt('carols-key');
      assert.equal(answer.status, 404, answer.text);
      assert.equal(errorName(answer), 'KeyNotFoundException');
    });

    test('invalid input is ValidationException (400); what the proxy does not implement is 501', async () => {
      const validation = [
        await call('/keys/main-key/encrypt', { plaintext: b64('x'), encryptionAlgorithm: 'AES_GCM' }),
        await encrypt('main-key', { requestMetadata: { kmsOperation: 'Encrypt' } }),
        await encrypt('main-key', { surprise: true }),
        await encrypt('main-key', { plaintext: 'not base64!' }),
        await call('/keys/main-key/encrypt', '{"requestMetadata":'),
        await decrypt('main-key', {
          ciphertext: b64('x'),
          initializationVector: b64(randomBytes(5)),
          authenticationTag: b64(randomBytes(16)),
        }),
        await decrypt('main-key', {
          ciphertext: b64('x'),
          initializationVector: b64(randomBytes(12)),
          authenticationTag: b64(randomBytes(8)),
        }),
        await call('/keys/bad%20id/metadata', { requestMetadata: metadata('DescribeKey') }),
      ];
      for (const answer of validation) {
        assert.equal(answer.status, 400, answer.text);
        assert.equal(errorName(answer), 'ValidationException', answer.text);
        assert.match(answer.body.errorMessage as string, /^[\x20-\x7e]{1,511}$/);
      }
      const unsupported = [
        await encrypt('main-key', { encryptionAlgorithm: 'AES_CBC' }),
        await encrypt('main-key', { ciphertextDataIntegrityValueAlgorithm: 'SHA_512' }),
        await encrypt('main-key', { additionalAuthenticatedData: b64(randomBytes(8193)) }),
        await encrypt('main-key', { plaintext: b64(randomBytes(70_000)) }),
      ];
      for (const answer of unsupported) {
        assert.equal(answer.status, 501, answer.text);
        assert.equal(errorName(answer), 'UnsupportedOperationException');
      }
    });

    test('GET at an API’s URI is 405 Method Not Allowed', async () => {
      const answer = await xks.call(`${ROOT}/health`, '', credential, { method: 'GET' });
      assert.equal(answer.status, 405, answer.text);
      assert.equal(answer.headers.allow, 'POST');
    });

    test('a path not under the signing credential’s store, or no v1 API: InvalidUriPathException (404)', async () => {
      const body = { requestMetadata: metadata('DescribeKey') };
      for (const path of [
        '/tenant-b/kms/xks/v1/health',
        '/kms/xks/v1/health',
        '/tenant-a/x/kms/xks/v1/keys/main-key/metadata',
        `${ROOT}/keys/main-key/sign`,
        `${ROOT}/keys`,
      ]) {
        const answer = await xks.call(path, body, credential);
        assert.equal(answer.status, 404, `${path}: ${answer.text}`);
        assert.equal(errorName(answer), 'InvalidUriPathException', path);
      }
    });

    test('SigV4 refusals are AuthenticationFailedException (401), audited, and tell nothing of the store', async () => {
      const body = { requestMetadata: metadata('DescribeKey') };
      const path = '/keys/main-key/metadata';
      const cases: [string, Promise<XksAnswer>][] = [
        ['unsigned', call(path, body, { unsigned: true })],
        [
          'unknown key',
          xks.call(ROOT + path, body, { accessKeyId: 'AAAAAAAAAAAAAAAAAAAAAAAA', secret: credential.secret }),
        ],
        ['wrong secret', xks.call(ROOT + path, body, { ...credential, secret: 'x'.repeat(44) })],
        ['skew', call(path, body, { date: new Date(Date.now() - 6 * 60_000) })],
        ['service kms', call(path, body, { service: 'kms' })],
        [
          'body changed',
          call(path, body, { afterSigning: (s: { body: string }) => (s.body = s.body.replace('Alice', 'Mallory')) }),
        ],
        [
          'path changed',
          call(path, body, { afterSigning: (s: { path: string }) => (s.path = `${ROOT}/keys/shared-key/metadata`) }),
        ],
        // An unknown prefix is not told apart from a bad signature before the signature is checked.
        ['other prefix, unsigned', xks.call('/tenant-b/kms/xks/v1/health', body, credential, { unsigned: true })],
      ];
      for (const [name, pending] of cases) {
        const answer = await pending;
        assert.equal(answer.status, 401, `${name}: ${answer.text}`);
        assert.equal(errorName(answer), 'AuthenticationFailedException', name);
      }
      const refused = (await auditEvents(t.api, admin, { action: 'xks.authenticate' })).filter(
        (e) => e.result === 'failure',
      );
      assert.ok(refused.length >= cases.length, `${refused.length} audited`);
      assert.ok(
        refused.some(
          (e) => e.target === `xks/access-key/${credential.accessKeyId}` && e.details?.reason === 'signature',
        ),
      );
      assert.ok(refused.some((e) => e.details?.reason === 'expired'));
    });
  });

  describe('the audit', () => {
    test('records each call with its requestMetadata, as the store’s user; refusals too', async () => {
      const requestMetadata = metadata('GenerateDataKey', { awsSourceVpc: 'vpc-0123', awsSourceVpce: 'vpce-0456' });
      const sealed = await call('/keys/main-key/encrypt', {
        requestMetadata,
        plaintext: b64('audited'),
        encryptionAlgorithm: 'AES_GCM',
      });
      assert.equal(sealed.status, 200, sealed.text);
      const refusedMetadata = metadata('Decrypt');
      await call('/keys/main-key/decrypt', {
        requestMetadata: refusedMetadata,
        ...sealed.body,
        encryptionAlgorithm: 'AES_GCM',
        additionalAuthenticatedData: b64('wrong'),
      });
      const events = await auditEvents(t.api, admin);
      const success = events.find(
        (e) => e.action === 'xks.encrypt' && e.details?.kmsRequestId === requestMetadata.kmsRequestId,
      );
      assert.ok(success, 'the encrypt is audited with its kmsRequestId');
      assert.equal(success.actor, 'kms_proxy');
      assert.equal(success.result, 'success');
      assert.equal(success.target, `key/${keys.main}`);
      assert.deepEqual(success.details, { xksKeyStore: 'store-a', externalKeyId: 'main-key', ...requestMetadata });
      const refusal = events.find((e) => e.details?.kmsRequestId === refusedMetadata.kmsRequestId);
      assert.equal(refusal?.action, 'xks.decrypt');
      assert.equal(refusal?.code, 'ENCRYPTED_DATA_INVALID');
      const disabled = events.find(
        (e) => e.action === 'xks.encrypt' && e.result === 'failure' && e.code === 'KEY_FUNCTION_NOT_PERMITTED',
      );
      assert.ok(disabled?.details?.kmsRequestId, 'the gate’s refusals carry the metadata too');
    });

    test('neither plaintext nor the secret access key is in a log line or an audit event', async () => {
      const secretPlaintext = randomBytes(24);
      const answer = await encrypt('main-key', { plaintext: b64(secretPlaintext) });
      const opened = await decrypt('main-key', answer.body);
      assert.equal(opened.body.plaintext, b64(secretPlaintext));
      const audit = JSON.stringify(await auditEvents(t.api, admin));
      for (const needle of [b64(secretPlaintext), secretPlaintext.toString('hex'), credential.secret]) {
        assert.ok(!t.logs.some((line) => line.includes(needle)), 'not in the logs');
        assert.ok(!audit.includes(needle), 'not in the audit');
      }
    });
  });

  describe('the store’s user', () => {
    test('deleted: the store cannot act, InvalidStateException', async () => {
      await t.cryptoUser('leaving');
      const made = await t.api.call<{ credential: { accessKeyId: string; secretAccessKey: string } }>(
        'POST',
        '/v1/xks/key-stores',
        {
          token: admin,
          body: { id: 'store-gone', user: 'leaving', pathPrefix: '/gone' },
        },
      );
      assert.equal(made.status, 201, made.text);
      const gone = { accessKeyId: made.body.credential.accessKeyId, secret: made.body.credential.secretAccessKey };
      const health = () =>
        xks.call(
          '/gone/kms/xks/v1/health',
          { requestMetadata: { kmsOperation: 'KmsHealthCheck', kmsRequestId: 'x' } },
          gone,
        );
      assert.equal((await health()).status, 200);
      assert.equal((await t.api.call('DELETE', '/v1/users/leaving', { token: admin })).status, 204);
      const answer = await health();
      assert.equal(answer.status, 400, answer.text);
      assert.equal(errorName(answer), 'InvalidStateException');
    });
  });

  describe('a sealed node', () => {
    test('answers every XKS API with InternalException', async () => {
      const sealed = await t.api.call('POST', '/v1/cluster/seal', { token: admin, body: {} });
      assert.equal(sealed.status, 200, sealed.text);
      const answer = await encrypt('main-key');
      assert.equal(answer.status, 500, answer.text);
      assert.equal(errorName(answer), 'InternalException');
    });
  });
});
