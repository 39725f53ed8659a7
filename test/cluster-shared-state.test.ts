import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signBytes } from '../src/client/quorum-file.js';
import type { Session } from '../src/identity/sessions.js';
import { codeOf, type Api, type ApiAnswer } from './support/api.js';
import { approve, generateToken, registerKey, signerKeys, withApproval } from './support/quorum-kit.js';
import { startTestCluster, type TestCluster } from './support/test-cluster.js';

/**
 * Two nodes over one store: what a client relies on when it fails over mid-work (sessions, MFA
 * challenges), and what the store's compared transactions must decide once for the whole
 * cluster (lockout counts, quorum tokens, the per-user session limit), raced across both nodes.
 */
describe('two nodes sharing one store (real nodes, real TLS)', () => {
  let c: TestCluster;
  let a: Api;
  let b: Api;
  before(async () => {
    c = await startTestCluster({ nodes: 2 });
    a = c.nodes[0]!.api;
    b = c.nodes[1]!.api;
  });
  after(() => c.stop());

  const login = (api: Api, username: string, password: string) =>
    api.call<{ token: string }>('POST', '/v1/sessions', { body: { username, password } });
  const whoami = (api: Api, token: string) =>
    api.call<{ username: string; sessionId: string }>('GET', '/v1/sessions/current', { token });
  const ok = (answer: ApiAnswer<unknown>, what: string) => assert.ok(answer.status < 300, `${what}: ${answer.text}`);

  test('a session made through node A serves through node B, for whoami and for a key made on A', async () => {
    const password = await c.cryptoUser('ada');
    const token = await a.login('ada', password);
    const onB = await whoami(b, token);
    assert.equal(onB.status, 200, onB.text);
    assert.equal(onB.body.username, 'ada');
    assert.equal(onB.body.sessionId, (await whoami(a, token)).body.sessionId);
    const made = await a.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token,
      body: { keyType: 'aes', keyLengthBytes: 32, label: 'failover' },
    });
    ok(made, 'generate on A');
    const plaintext = Buffer.from('carried over').toString('base64');
    const encrypted = await b.call<{ ciphertext: string; iv: string }>('POST', '/v1/crypto/encrypt', {
      token,
      body: { keyHandle: made.body.key.handle, mechanism: 'AES_GCM', plaintext },
    });
    ok(encrypted, 'encrypt on B');
    const decrypted = await a.call<{ plaintext: string }>('POST', '/v1/crypto/decrypt', {
      token,
      body: { keyHandle: made.body.key.handle, mechanism: 'AES_GCM', ...encrypted.body },
    });
    assert.equal(decrypted.body.plaintext, plaintext);
  });

  test('a logout on A is refused on B at once; a password change on B ends the other sessions on A', async () => {
    const password = await c.cryptoUser('bea');
    const token = await a.login('bea', password);
    assert.equal((await whoami(b, token)).status, 200);
    assert.equal((await a.call('DELETE', '/v1/sessions/current', { token })).status, 204);
    assert.equal(codeOf(await whoami(b, token)), 'SESSION_INVALID');
    assert.equal(codeOf(await b.call('DELETE', '/v1/sessions/current', { token })), 'SESSION_INVALID');

    const acting = await b.login('bea', password);
    const other = await a.login('bea', password);
    const changed = await b.call('PUT', '/v1/users/me/password', {
      token: acting,
      body: { currentPassword: password, newPassword: 'bea-new-password' },
    });
    assert.equal(changed.status, 204, changed.text);
    assert.equal(codeOf(await whoami(a, other)), 'SESSION_INVALID');
    assert.equal((await whoami(a, acting)).status, 200, 'the acting session stays');
  });

  test('6 concurrent wrong passwords split across A and B: exactly 5 counted, the 6th refused as locked', async () => {
    const password = await c.cryptoUser('cy');
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => login(i % 2 === 0 ? a : b, 'cy', 'wrong-password')),
    );
    const codes = answers.map((answer) => codeOf(answer)).sort();
    assert.deepEqual(codes, [...Array(5).fill('LOGIN_FAILED'), 'ACCOUNT_LOCKED'].sort(), codes.join(','));
    assert.equal(codeOf(await login(a, 'cy', password)), 'ACCOUNT_LOCKED');
    assert.equal(codeOf(await login(b, 'cy', password)), 'ACCOUNT_LOCKED');
    const admin = await b.login('admin', c.adminPassword);
    const users = await b.call<{ users: { username: string; locked: boolean }[] }>('GET', '/v1/users', {
      token: admin,
    });
    assert.equal(users.body.users.find((user) => user.username === 'cy')?.locked, true);
  });

  test('one quorum token spent at once on A and on B serves exactly one use', async () => {
    const ownerPassword = await c.cryptoUser('dee');
    const sharerPassword = await c.cryptoUser('eve');
    const owner = await a.login('dee', ownerPassword);
    const sharer = await b.login('eve', sharerPassword);
    const ownerKey = signerKeys();
    const sharerKey = signerKeys();
    ok(await registerKey(a, owner, 'quorum', ownerKey, ownerPassword), 'register dee');
    ok(await registerKey(b, sharer, 'quorum', sharerKey, sharerPassword), 'register eve');
    const made = await a.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token: owner,
      body: { keyType: 'aes', keyLengthBytes: 32, label: 'guarded' },
    });
    const handle = made.body.key.handle;
    ok(await a.call('POST', `/v1/keys/${handle}/shares`, { token: owner, body: { username: 'eve' } }), 'share');
    ok(await b.call('PUT', `/v1/keys/${handle}/quorum`, { token: owner, body: { 'key-usage': 2 } }), 'quorum 2');
    const file = approve(await generateToken(b, owner, { service: 'key-usage', keyHandle: handle }), [
      ['dee', ownerKey],
      ['eve', sharerKey],
    ]);
    const encrypt = (api: Api) =>
      api.call('POST', '/v1/crypto/encrypt', {
        token: owner,
        body: { keyHandle: handle, mechanism: 'AES_GCM', plaintext: Buffer.from('once').toString('base64') },
        headers: withApproval(file),
      });
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all([encrypt(a), encrypt(b)]);
      const served = answers.filter((answer) => answer.status === 200).length;
      assert.equal(served, round === 0 ? 1 : 0, answers.map((answer) => answer.text).join(' | '));
      for (const answer of answers.filter((candidate) => candidate.status !== 200))
        assert.equal(codeOf(answer), 'QUORUM_TOKEN_INVALID', answer.text);
    }
  });

  test('the per-user session limit (32) holds across nodes: with 30 open, 6 logins raced on A and B open exactly 2', async () => {
    const password = await c.cryptoUser('fay');
    // Five at a time: the lockout checks at most five passwords of one user at once.
    for (let round = 0; round < 6; round++) {
      const opened = await Promise.all(Array.from({ length: 5 }, (_, i) => login(i % 2 ? a : b, 'fay', password)));
      for (const answer of opened) assert.equal(answer.status, 201, answer.text);
    }
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => login(i % 2 ? a : b, 'fay', password)));
    const codes = answers.map((answer) => codeOf(answer) ?? String(answer.status)).sort();
    assert.deepEqual(codes, ['201', '201', ...Array(4).fill('TOO_MANY_SESSIONS')].sort(), codes.join(','));
  });

  test('an MFA challenge issued by A is answered on B, once', async () => {
    const password = await c.cryptoUser('gus');
    const token = await a.login('gus', password);
    const mfaKey = signerKeys();
    ok(await registerKey(a, token, 'mfa', mfaKey, password), 'register the MFA key');
    const first = await login(a, 'gus', password);
    assert.equal(codeOf(first), 'MFA_REQUIRED');
    const challenge = (first.body as unknown as { error: { challenge: { challengeId: string; challenge: string } } })
      .error.challenge;
    const mfa = {
      challengeId: challenge.challengeId,
      signature: signBytes(mfaKey.privateKey, Buffer.from(challenge.challenge, 'base64')),
    };
    const answers = await Promise.all([
      b.call('POST', '/v1/sessions', { body: { username: 'gus', password, mfa } }),
      a.call('POST', '/v1/sessions', { body: { username: 'gus', password, mfa } }),
    ]);
    assert.equal(answers.filter((answer) => answer.status === 201).length, 1, answers.map((x) => x.text).join(' | '));
    assert.equal(codeOf(answers.find((answer) => answer.status !== 201)!), 'LOGIN_FAILED');
  });

  test('session objects stay on the node that made them: B answers SESSION_OBJECT_NOT_HERE, A still serves them', async () => {
    const password = await c.cryptoUser('hal');
    const token = await a.login('hal', password);
    const other = await b.login('hal', password);
    const made = await a.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token,
      body: { keyType: 'aes', keyLengthBytes: 32, token: false },
    });
    ok(made, 'a session key on A');
    const handle = made.body.key.handle;
    const body = { keyHandle: handle, mechanism: 'AES_GCM', plaintext: Buffer.from('x').toString('base64') };
    const onB = await b.call('POST', '/v1/crypto/encrypt', { token, body });
    assert.equal(onB.status, 409, onB.text);
    assert.equal(codeOf(onB), 'SESSION_OBJECT_NOT_HERE');
    assert.equal((await b.call('GET', `/v1/keys/${handle}`, { token })).status, 409);
    ok(await a.call('POST', '/v1/crypto/encrypt', { token, body }), 'A still serves it');
    const anotherSession = await a.call('POST', '/v1/crypto/encrypt', { token: other, body });
    assert.equal(codeOf(anotherSession), 'KEY_NOT_FOUND', "another session's session key is not even named");
    const onBOther = await b.call('POST', '/v1/crypto/encrypt', { token: other, body });
    assert.equal(codeOf(onBOther), 'KEY_NOT_FOUND', 'nor on B');

    const begun = await a.call<{ operationId: string }>('POST', '/v1/crypto/operations', {
      token,
      body: { operation: 'digest', mechanism: 'SHA256' },
    });
    ok(begun, 'a multi-part digest on A');
    const update = (api: Api) =>
      api.call('POST', `/v1/crypto/operations/${begun.body.operationId}/update`, {
        token,
        body: { data: Buffer.from('part').toString('base64') },
      });
    assert.equal(codeOf(await update(b)), 'SESSION_OBJECT_NOT_HERE');
    ok(await update(a), 'A continues it');
  });

  test("a logout on B drops the session's keys held on A (the store watch tells every node)", async () => {
    const password = await c.cryptoUser('ida');
    const token = await a.login('ida', password);
    const made = await a.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token,
      body: { keyType: 'aes', keyLengthBytes: 32, token: false },
    });
    const handle = made.body.key.handle;
    const whoA = await whoami(a, token);
    const session: Session = {
      id: whoA.body.sessionId,
      username: 'ida',
      role: 'crypto-user',
      createdAt: 0,
      lastUsedAt: 0,
    };
    const gate = c.nodes[0]!.node.gate;
    assert.ok(await gate.find(session, handle), 'held on A');
    assert.equal((await b.call('DELETE', '/v1/sessions/current', { token })).status, 204);
    for (let i = 0; i < 50 && (await gate.find(session, handle)); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await gate.find(session, handle), undefined, 'dropped on A');
  });

  test('sealing node A ends every session of the cluster; B keeps serving new logins', async () => {
    const password = await c.cryptoUser('jo');
    const user = await b.login('jo', password);
    const admin = await a.login('admin', c.adminPassword);
    const sealed = await a.call('POST', '/v1/cluster/seal', { token: admin, body: {} });
    assert.equal(sealed.status, 200, sealed.text);
    assert.equal(codeOf(await whoami(b, user)), 'SESSION_INVALID');
    assert.equal(codeOf(await whoami(a, user)), 'NODE_SEALED');
    const again = await b.login('jo', password);
    assert.equal((await whoami(b, again)).status, 200);
  });
});
