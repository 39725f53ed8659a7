import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { startNode } from '../src/cluster/node.js';
import type { Session } from '../src/identity/sessions.js';
import { createLogger } from '../src/util/logger.js';
import type { ApiAnswer } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/** Every file under a directory, as bytes. */
async function filesUnder(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  return Promise.all(files.map(async (path) => ({ path, bytes: await readFile(path) })));
}

/** The secret numbers of a key, the bytes an attacker would look for. */
function secretsOf(key: KeyObject): Buffer[] {
  if (key.type === 'secret') return [key.export()];
  const jwk = key.export({ format: 'jwk' });
  return (['d', 'p', 'q', 'dp', 'dq', 'qi'] as const).flatMap((field) =>
    jwk[field] ? [Buffer.from(jwk[field], 'base64url')] : [],
  );
}

/** The forms a secret could be written in: raw, hex, base64, base64url. */
function forms(secret: Buffer): Buffer[] {
  return [
    secret,
    ...['hex', 'base64', 'base64url'].map((encoding) => Buffer.from(secret.toString(encoding as BufferEncoding))),
  ];
}

describe('the boundary: key bytes never leave the node, and keys survive a restart', () => {
  let t: TestNode;
  let alice: { token: string; password: string };
  const answers: ApiAnswer[] = [];
  const handles: Record<string, string> = {};

  before(async () => {
    t = await startTestNode({ mode: 'production' });
    alice = await t.cryptoUser('alice');
    const call = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
      const answer = await t.api.call(method, path, { token: alice.token, body });
      answers.push(answer);
      return answer;
    };
    const aes = await call('POST', '/v1/keys/symmetric', { keyType: 'aes', keyLengthBytes: 32, label: 'leak-aes' });
    const ec = await call('POST', '/v1/keys/pairs', { keyType: 'ec', curve: 'secp256r1', label: 'leak-ec' });
    const rsa = await call('POST', '/v1/keys/pairs', { keyType: 'rsa', modulusBits: 2048, label: 'leak-rsa' });
    handles.aes = (aes.body as { key: { handle: string } }).key.handle;
    for (const [name, pair] of [
      ['ec', ec],
      ['rsa', rsa],
    ] as const) {
      const body = pair.body as { privateKey: { handle: string }; publicKey: { handle: string } };
      handles[name] = body.privateKey.handle;
      handles[`${name}-public`] = body.publicKey.handle;
      await call('GET', `/v1/keys/${body.privateKey.handle}`);
      await call('GET', `/v1/keys/${body.privateKey.handle}/public-key`);
    }
    await call('POST', '/v1/crypto/encrypt', { keyHandle: handles.aes, mechanism: 'AES_GCM', plaintext: 'aGVsbG8=' });
    await call('POST', '/v1/crypto/sign', { keyHandle: handles.ec, mechanism: 'ECDSA_SHA256', data: 'aGVsbG8=' });
    await call('POST', '/v1/crypto/sign', {
      keyHandle: handles.rsa,
      mechanism: 'SHA256_RSA_PKCS_PSS',
      data: 'aGVsbG8=',
    });
    // Refusals too: an error must not carry key bytes either.
    await call('POST', '/v1/crypto/decrypt', {
      keyHandle: handles.aes,
      mechanism: 'AES_GCM',
      ciphertext: 'AAAAAAAAAAAAAAAAAAAAAA==',
      iv: 'AAAAAAAAAAAAAAAA',
    });
    await call('POST', '/v1/crypto/sign', { keyHandle: handles.aes, mechanism: 'ECDSA_SHA256', data: 'aGVsbG8=' });
    await call('POST', '/v1/crypto/verify', {
      keyHandle: handles['ec-public'],
      mechanism: 'ECDSA_SHA256',
      data: 'aGVsbG8=',
      signature: 'AAAA',
    });
  });
  after(() => t.stop());

  test('no key byte appears in the data dir, the logs, or any answer', async () => {
    const session: Session = {
      id: 'test',
      username: 'alice',
      role: 'crypto-user',
      createdAt: Date.now(),
      lastUsedAt: Date.now(),
    };
    const secrets: { name: string; bytes: Buffer }[] = [];
    for (const name of ['aes', 'ec', 'rsa']) {
      const loaded = (await t.node.gate.find(session, handles[name]!))!;
      for (const secret of secretsOf(loaded.key)) secrets.push({ name, bytes: secret });
    }
    assert.ok(secrets.length >= 1 + 1 + 5, 'the scan has something to look for');
    const haystacks = [
      ...(await filesUnder(t.dir.root)).map(({ path, bytes }) => ({ where: path, bytes })),
      { where: 'logs', bytes: Buffer.from(t.logs.join('\n')) },
      { where: 'API answers', bytes: Buffer.from(answers.map((answer) => answer.text).join('\n')) },
    ];
    assert.ok(haystacks.some((haystack) => haystack.where.endsWith('store.db') && haystack.bytes.length > 0));
    assert.ok(t.logs.length > 10, 'the node logged');
    for (const { name, bytes } of secrets) {
      for (const form of forms(bytes)) {
        for (const haystack of haystacks) {
          assert.equal(haystack.bytes.indexOf(form), -1, `${name} key material found in ${haystack.where}`);
        }
      }
    }
  });

  test('no password or session token appears in the data dir or the logs', async () => {
    const needles = [t.adminPassword, alice.password, alice.token].map((text) => Buffer.from(text));
    const haystacks = [...(await filesUnder(t.dir.root)).map((file) => file.bytes), Buffer.from(t.logs.join('\n'))];
    for (const needle of needles) for (const haystack of haystacks) assert.equal(haystack.indexOf(needle), -1);
  });

  test('keys survive a restart (sealed, then unsealed from shares) and still work', async () => {
    const data = Buffer.from('signed before, verified after').toString('base64');
    const signed = await t.api.call<{ signature: string }>('POST', '/v1/crypto/sign', {
      token: alice.token,
      body: { keyHandle: handles.ec, mechanism: 'ECDSA_SHA256', data },
    });
    const encrypted = await t.api.call<{ ciphertext: string; iv: string }>('POST', '/v1/crypto/encrypt', {
      token: alice.token,
      body: { keyHandle: handles.aes, mechanism: 'AES_GCM', plaintext: data },
    });
    await t.restart();
    const token = await t.api.login('alice', alice.password);
    const verified = await t.api.call('POST', '/v1/crypto/verify', {
      token,
      body: { keyHandle: handles['ec-public'], mechanism: 'ECDSA_SHA256', data, signature: signed.body.signature },
    });
    assert.equal(verified.status, 200, verified.text);
    const decrypted = await t.api.call<{ plaintext: string }>('POST', '/v1/crypto/decrypt', {
      token,
      body: {
        keyHandle: handles.aes,
        mechanism: 'AES_GCM',
        ciphertext: encrypted.body.ciphertext,
        iv: encrypted.body.iv,
      },
    });
    assert.equal(decrypted.body.plaintext, data);
    const listed = await t.api.call<{ keys: unknown[] }>('GET', '/v1/keys', { token });
    assert.equal(listed.body.keys.length, 5);
  });

  test('a tampered record in the store is refused, never used', async () => {
    const port = t.node.port;
    await t.node.close();
    const db = new Database(t.dir.store);
    const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(`key/${handles.aes}`) as { value: Buffer };
    const tampered = Buffer.from(row.value);
    tampered[tampered.length - 20]! ^= 0x01;
    db.prepare('UPDATE kv SET value = ? WHERE key = ?').run(tampered, `key/${handles.aes}`);
    // Swap: the EC private key's record placed at the RSA key's path.
    const ecRow = db.prepare('SELECT value FROM kv WHERE key = ?').get(`key/${handles.ec}`) as { value: Buffer };
    db.prepare('UPDATE kv SET value = ? WHERE key = ?').run(ecRow.value, `key/${handles.rsa}`);
    db.close();
    t.node = await startNode({ dataDir: t.dir.root, port, logger: createLogger({ level: 'silent' }) });
    await t.unsealAll();
    const token = await t.api.login('alice', alice.password);
    for (const handle of [handles.aes, handles.rsa]) {
      const refused = await t.api.call('GET', `/v1/keys/${handle}`, { token });
      assert.equal((refused.body as { error: { code: string } }).error.code, 'INTEGRITY_ERROR', handle);
      assert.equal(refused.status, 500);
    }
    const untouched = await t.api.call('GET', `/v1/keys/${handles.ec}`, { token });
    assert.equal(untouched.status, 200);
  });
});
