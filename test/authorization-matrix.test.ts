import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { PERMISSIONS, type PolicyOperation } from '../src/identity/policy.js';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/**
 * The authorization matrix: every route of the permission table, for each caller — the key's
 * owner, a user it is shared with, another crypto user, an admin — against what must happen:
 * 'ok' (2xx), an error code, or '!CODE' (anything but that code: the permission check passed
 * and the request failed later on its content). Run over real TLS against a real node; each
 * cell gets fresh keys, so cells cannot disturb each other.
 */
type Actor = 'owner' | 'shared' | 'other' | 'admin';
type Expect = 'ok' | `!${string}` | string;

interface Fixture {
  /** A wrapping key (wrap, unwrap, derive): a key is a wrapping key or a data key, never both. */
  readonly secret: string;
  /** A data key (encrypt, decrypt). */
  readonly dataKey: string;
  readonly privateKey: string;
  readonly publicKey: string;
  readonly alias: string;
  readonly name: string;
}

interface Row {
  readonly operation: PolicyOperation;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: (f: Fixture) => string;
  readonly body?: (f: Fixture) => unknown;
  readonly expect: Readonly<Partial<Record<Actor, Expect>>>;
}

const PD = 'PERMISSION_DENIED';
const KNF = 'KEY_NOT_FOUND';
const b64 = (text: string) => Buffer.from(text).toString('base64');
/** Role-only rows: no key involved, so owner/shared/other are simply a crypto user. */
const crypto = (expect: Expect, admin: Expect) => ({ owner: expect, other: expect, admin });
const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' });

const ROWS: readonly Row[] = [
  { operation: 'user.list', method: 'GET', path: () => '/v1/users', expect: crypto('ok', 'ok') },
  {
    operation: 'user.create',
    method: 'POST',
    path: () => '/v1/users',
    body: (f) => ({ username: f.name, role: 'crypto-user', password: 'a-good-password' }),
    expect: crypto(PD, 'ok'),
  },
  { operation: 'user.delete', method: 'DELETE', path: () => '/v1/users/target', expect: crypto(PD, '!' + PD) },
  {
    operation: 'user.unlock',
    method: 'POST',
    path: () => '/v1/users/target/unlock',
    body: () => ({}),
    expect: crypto(PD, 'ok'),
  },
  {
    operation: 'user.change-password',
    method: 'PUT',
    path: () => '/v1/users/target/password',
    body: () => ({ newPassword: 'target-password' }),
    expect: crypto(PD, 'ok'),
  },
  {
    operation: 'user.change-own-password',
    method: 'PUT',
    path: () => '/v1/users/me/password',
    body: () => ({ currentPassword: 'wrong-password', newPassword: 'another-password' }),
    expect: crypto('LOGIN_FAILED', 'LOGIN_FAILED'),
  },
  {
    operation: 'user.change-mfa',
    method: 'POST',
    path: () => '/v1/users/me/mfa/registration-token',
    body: () => ({}),
    expect: crypto('ok', 'ok'),
  },
  {
    operation: 'user.change-quorum',
    method: 'POST',
    path: () => '/v1/users/me/quorum-key/registration-token',
    body: () => ({}),
    expect: crypto('ok', 'ok'),
  },
  {
    operation: 'quorum.generate',
    method: 'POST',
    path: () => '/v1/quorum/tokens',
    body: () => ({ service: 'user' }),
    expect: crypto('ok', 'ok'),
  },
  { operation: 'quorum.list', method: 'GET', path: () => '/v1/quorum/tokens', expect: crypto('ok', 'ok') },
  {
    operation: 'quorum.delete',
    method: 'DELETE',
    path: () => `/v1/quorum/tokens/${'0'.repeat(32)}`,
    expect: crypto('QUORUM_TOKEN_INVALID', 'QUORUM_TOKEN_INVALID'),
  },
  { operation: 'quorum.read-values', method: 'GET', path: () => '/v1/quorum/values', expect: crypto('ok', 'ok') },
  {
    operation: 'quorum.set-value',
    method: 'PUT',
    path: () => '/v1/quorum/values/cluster',
    body: () => ({ value: 1 }),
    expect: crypto(PD, 'ok'),
  },
  // Audit routes of the audit chain's owner: the permission check only (their content is theirs to test).
  {
    operation: 'audit.checkpoint',
    method: 'POST',
    path: () => '/v1/audit/checkpoints',
    body: () => ({}),
    expect: crypto(PD, '!' + PD),
  },
  {
    operation: 'key.read-usage',
    method: 'GET',
    path: (f) => `/v1/keys/${f.secret}/usage`,
    expect: { owner: '!' + PD, other: '!ok', admin: '!' + PD },
  },
  { operation: 'audit.read', method: 'GET', path: () => '/v1/audit/events?limit=1', expect: crypto(PD, 'ok') },
  { operation: 'cluster.read-policy', method: 'GET', path: () => '/v1/cluster/policy', expect: crypto('ok', 'ok') },
  {
    operation: 'cluster.set-policy',
    method: 'PUT',
    path: () => '/v1/cluster/policy',
    body: () => ({ allowPlaintextImport: false }),
    expect: crypto(PD, 'ok'),
  },
  {
    operation: 'cluster.issue-client-certificate',
    method: 'POST',
    path: () => '/v1/cluster/client-certificates',
    body: () => ({ csr: 'not a csr' }),
    expect: crypto(PD, '!' + PD),
  },
  // Nodes: an admin passes the table (and is then refused on content: a CSR that is none, an unknown node).
  { operation: 'cluster.list-nodes', method: 'GET', path: () => '/v1/cluster/members', expect: crypto('ok', 'ok') },
  {
    operation: 'cluster.add-node',
    method: 'POST',
    path: () => '/v1/cluster/members',
    body: () => ({ csr: 'not a csr' }),
    expect: crypto(PD, '!' + PD),
  },
  {
    operation: 'cluster.remove-node',
    method: 'DELETE',
    path: () => '/v1/cluster/members/node-unknown',
    expect: crypto(PD, '!' + PD),
  },
  { operation: 'key.list', method: 'GET', path: () => '/v1/keys', expect: crypto('ok', 'ok') },
  {
    operation: 'key.generate',
    method: 'POST',
    path: () => '/v1/keys/symmetric',
    body: () => ({ keyType: 'aes', keyLengthBytes: 32 }),
    expect: crypto('ok', PD),
  },
  {
    operation: 'key.import',
    method: 'POST',
    path: () => '/v1/keys/import',
    body: () => ({ pem }),
    expect: crypto('ok', PD),
  },
  { operation: 'alias.list', method: 'GET', path: () => '/v1/aliases', expect: crypto('ok', PD) },
  {
    operation: 'crypto.digest',
    method: 'POST',
    path: () => '/v1/crypto/digest',
    body: () => ({ mechanism: 'SHA256', data: b64('x') }),
    expect: crypto('ok', PD),
  },
  {
    operation: 'crypto.random',
    method: 'POST',
    path: () => '/v1/crypto/random',
    body: () => ({ length: 16 }),
    expect: crypto('ok', PD),
  },
  {
    operation: 'crypto.batch',
    method: 'POST',
    path: () => '/v1/batch',
    body: () => ({ operations: [{ operation: 'random', length: 8 }] }),
    expect: crypto('ok', PD),
  },
  // Key rows: the owner manages and uses; a shared user only uses; another user sees nothing.
  {
    operation: 'key.read-attributes',
    method: 'GET',
    path: (f) => `/v1/keys/${f.secret}`,
    expect: { owner: 'ok', shared: 'ok', other: KNF, admin: 'ok' },
  },
  {
    operation: 'key.export-public',
    method: 'GET',
    path: (f) => `/v1/keys/${f.publicKey}/public-key`,
    expect: { owner: 'ok', shared: 'ok', other: KNF, admin: PD },
  },
  {
    operation: 'key.delete',
    method: 'DELETE',
    path: (f) => `/v1/keys/${f.secret}`,
    expect: { owner: 'ok', shared: PD, other: KNF, admin: PD },
  },
  {
    operation: 'key.set-attribute',
    method: 'PATCH',
    path: (f) => `/v1/keys/${f.secret}`,
    body: () => ({ label: 'renamed' }),
    expect: { owner: 'ok', shared: PD, other: KNF, admin: 'ATTRIBUTE_READ_ONLY' },
  },
  {
    operation: 'key.share',
    method: 'POST',
    path: (f) => `/v1/keys/${f.secret}/shares`,
    body: () => ({ username: 'oscar' }),
    expect: { owner: 'ok', shared: PD, other: KNF, admin: PD },
  },
  {
    operation: 'key.unshare',
    method: 'DELETE',
    path: (f) => `/v1/keys/${f.secret}/shares/sam`,
    expect: { owner: 'ok', shared: PD, other: KNF, admin: PD },
  },
  {
    operation: 'key.rotate',
    method: 'POST',
    path: (f) => `/v1/keys/${f.secret}/rotate`,
    body: () => ({}),
    expect: { owner: 'ok', shared: PD, other: KNF, admin: PD },
  },
  {
    operation: 'key.set-quorum',
    method: 'PUT',
    path: (f) => `/v1/keys/${f.secret}/quorum`,
    body: () => ({ 'key-usage': 2 }),
    expect: { owner: 'ok', shared: PD, other: KNF, admin: PD },
  },
  {
    operation: 'alias.create',
    method: 'PUT',
    path: (f) => `/v1/aliases/${f.alias}-new`,
    body: (f) => ({ keyHandle: f.secret }),
    expect: { owner: 'ok', shared: PD, other: KNF, admin: PD },
  },
  {
    operation: 'alias.delete',
    method: 'DELETE',
    path: (f) => `/v1/aliases/${f.alias}`,
    expect: { owner: 'ok', shared: '!ok', other: 'ALIAS_NOT_FOUND', admin: PD },
  },
  {
    operation: 'crypto.encrypt',
    method: 'POST',
    path: () => '/v1/crypto/encrypt',
    body: (f) => ({ keyHandle: f.dataKey, mechanism: 'AES_GCM', plaintext: b64('hello') }),
    expect: { owner: 'ok', shared: 'ok', other: KNF, admin: PD },
  },
  {
    operation: 'crypto.decrypt',
    method: 'POST',
    path: () => '/v1/crypto/decrypt',
    body: (f) => ({
      keyHandle: f.dataKey,
      mechanism: 'AES_GCM',
      ciphertext: b64('x'.repeat(20)),
      iv: b64('y'.repeat(12)),
    }),
    expect: { owner: 'ENCRYPTED_DATA_INVALID', shared: 'ENCRYPTED_DATA_INVALID', other: KNF, admin: PD },
  },
  {
    operation: 'crypto.sign',
    method: 'POST',
    path: () => '/v1/crypto/sign',
    body: (f) => ({ keyHandle: f.privateKey, mechanism: 'ECDSA_SHA256', data: b64('data') }),
    expect: { owner: 'ok', shared: 'ok', other: KNF, admin: PD },
  },
  {
    operation: 'crypto.verify',
    method: 'POST',
    path: () => '/v1/crypto/verify',
    body: (f) => ({
      keyHandle: f.publicKey,
      mechanism: 'ECDSA_SHA256',
      data: b64('data'),
      signature: b64('z'.repeat(64)),
    }),
    expect: { owner: 'SIGNATURE_INVALID', shared: 'SIGNATURE_INVALID', other: KNF, admin: PD },
  },
  {
    operation: 'key.wrap',
    method: 'POST',
    path: () => '/v1/keys/wrap',
    body: (f) => ({ wrappingKeyHandle: f.secret, keyHandle: f.secret, mechanism: 'AES_KEY_WRAP' }),
    // Only the owner may export a key (CloudHSM: shared users cannot export).
    expect: { owner: '!' + PD, shared: PD, other: KNF, admin: PD },
  },
  {
    operation: 'key.unwrap',
    method: 'POST',
    path: () => '/v1/keys/unwrap',
    body: (f) => ({
      unwrappingKeyHandle: f.secret,
      mechanism: 'AES_KEY_WRAP',
      wrappedKey: b64('w'.repeat(40)),
      class: 'secret',
      keyType: 'aes',
    }),
    expect: { owner: '!' + PD, shared: '!' + PD, other: KNF, admin: PD },
  },
  {
    operation: 'key.derive',
    method: 'POST',
    path: () => '/v1/keys/derive',
    body: (f) => ({
      baseKeyHandle: f.secret,
      mechanism: 'HKDF_DERIVE',
      keyType: 'aes',
      keyLengthBytes: 32,
      hash: 'sha256',
    }),
    expect: { owner: '!' + PD, shared: '!' + PD, other: KNF, admin: PD },
  },
  // XKS key stores: admins only; a store that does not exist shows the check passed.
  {
    operation: 'xks.create-store',
    method: 'POST',
    path: () => '/v1/xks/key-stores',
    body: (f) => ({ id: f.name, user: 'olga' }),
    expect: crypto(PD, 'ok'),
  },
  { operation: 'xks.list-stores', method: 'GET', path: () => '/v1/xks/key-stores', expect: crypto(PD, 'ok') },
  {
    operation: 'xks.delete-store',
    method: 'DELETE',
    path: () => '/v1/xks/key-stores/none',
    expect: crypto(PD, 'XKS_KEY_STORE_NOT_FOUND'),
  },
  {
    operation: 'xks.manage-credentials',
    method: 'POST',
    path: () => '/v1/xks/key-stores/none/credentials',
    body: () => ({}),
    expect: crypto(PD, 'XKS_KEY_STORE_NOT_FOUND'),
  },
  {
    operation: 'xks.expose-key',
    method: 'POST',
    path: () => '/v1/xks/key-stores/none/keys',
    body: (f) => ({ externalKeyId: 'k1', keyHandle: f.dataKey }),
    expect: { owner: PD, shared: PD, other: PD, admin: 'XKS_KEY_STORE_NOT_FOUND' },
  },
  {
    operation: 'xks.unexpose-key',
    method: 'DELETE',
    path: () => '/v1/xks/key-stores/none/keys/k1',
    expect: crypto(PD, 'XKS_KEY_STORE_NOT_FOUND'),
  },
  {
    operation: 'user.create-access-key',
    method: 'POST',
    path: () => '/v1/access-keys',
    // Past the table, the service asks for the password again.
    body: () => ({}),
    expect: crypto('PASSWORD_REQUIRED', 'PASSWORD_REQUIRED'),
  },
  { operation: 'user.list-access-keys', method: 'GET', path: () => '/v1/access-keys', expect: crypto('ok', 'ok') },
  {
    operation: 'user.disable-access-key',
    method: 'POST',
    path: () => '/v1/access-keys/AKCFAAAAAAAAAAAAAAAA/disable',
    body: () => ({}),
    expect: crypto('ACCESS_KEY_NOT_FOUND', 'ACCESS_KEY_NOT_FOUND'),
  },
  {
    operation: 'user.delete-access-key',
    method: 'DELETE',
    path: () => '/v1/access-keys/AKCFAAAAAAAAAAAAAAAA',
    expect: crypto('ACCESS_KEY_NOT_FOUND', 'ACCESS_KEY_NOT_FOUND'),
  },
  // Last: sealing ends every session.
  {
    operation: 'cluster.seal',
    method: 'POST',
    path: () => '/v1/cluster/seal',
    body: () => ({}),
    expect: crypto(PD, 'ok'),
  },
];

describe('the authorization matrix over the API (real node, real TLS)', () => {
  let t: TestNode;
  const tokens = {} as Record<Actor, string>;
  let count = 0;

  before(async () => {
    t = await startTestNode();
    tokens.admin = await t.api.login('admin', t.adminPassword);
    tokens.owner = (await t.cryptoUser('olga')).token;
    tokens.shared = (await t.cryptoUser('sam')).token;
    tokens.other = (await t.cryptoUser('oscar')).token;
    await t.cryptoUser('target');
  });
  after(() => t.stop());

  async function fixture(): Promise<Fixture> {
    const n = ++count;
    const secret = await t.api.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token: tokens.owner,
      body: {
        keyType: 'aes',
        keyLengthBytes: 32,
        label: `m${n}`,
        attributes: { wrap: true, unwrap: true, derive: true },
      },
    });
    assert.equal(secret.status, 201, secret.text);
    const data = await t.api.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token: tokens.owner,
      body: { keyType: 'aes', keyLengthBytes: 32, label: `d${n}`, attributes: { encrypt: true, decrypt: true } },
    });
    assert.equal(data.status, 201, data.text);
    const pair = await t.api.call<{ publicKey: { handle: string }; privateKey: { handle: string } }>(
      'POST',
      '/v1/keys/pairs',
      {
        token: tokens.owner,
        body: { keyType: 'ec', curve: 'secp256r1', label: `p${n}` },
      },
    );
    assert.equal(pair.status, 201, pair.text);
    const handles = [
      secret.body.key.handle,
      pair.body.publicKey.handle,
      pair.body.privateKey.handle,
      data.body.key.handle,
    ];
    for (const handle of handles) {
      const shared = await t.api.call('POST', `/v1/keys/${handle}/shares`, {
        token: tokens.owner,
        body: { username: 'sam' },
      });
      assert.equal(shared.status, 200, shared.text);
    }
    const alias = `matrix-${n}`;
    const made = await t.api.call('PUT', `/v1/aliases/${alias}`, {
      token: tokens.owner,
      body: { keyHandle: handles[0] },
    });
    assert.equal(made.status, 200, made.text);
    return {
      secret: handles[0]!,
      publicKey: handles[1]!,
      privateKey: handles[2]!,
      dataKey: handles[3]!,
      alias,
      name: `u${n}_${randomBytes(3).toString('hex')}`,
    };
  }

  test('every operation of the permission table has a row', () => {
    const covered = new Set(ROWS.map((row) => row.operation));
    assert.deepEqual(
      (Object.keys(PERMISSIONS) as PolicyOperation[]).filter((operation) => !covered.has(operation)),
      [],
    );
  });

  for (const row of ROWS) {
    for (const [actor, expected] of Object.entries(row.expect) as [Actor, Expect][]) {
      test(`${row.operation} by ${actor} → ${expected}`, async () => {
        const f = await fixture();
        if (row.operation === 'user.delete' && actor === 'admin') await t.cryptoUser(`del_${count}`);
        const path = row.operation === 'user.delete' && actor === 'admin' ? `/v1/users/del_${count}` : row.path(f);
        const answer = await t.api.call(row.method, path, {
          token: tokens[actor],
          ...(row.body ? { body: row.body(f) } : {}),
        });
        const got = answer.status < 300 ? 'ok' : (codeOf(answer) ?? `HTTP_${answer.status}`);
        if (expected.startsWith('!')) assert.notEqual(got, expected.slice(1), answer.text);
        else assert.equal(got, expected, answer.text);
      });
    }
  }
});
