import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CliIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { signBytes } from '../src/client/index.js';
import { codeOf, type ApiAnswer } from './support/api.js';
import { auditEvents, count } from './support/audit-events.js';
import { confirmed, registerKey, signerKeys } from './support/quorum-kit.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Challenge {
  challengeId: string;
  challenge: string;
}

/** Finding 9: a session token alone never replaces a user's quorum key or removes their MFA. */
describe('changing your own MFA or quorum key needs the password and MFA (real node, real TLS)', () => {
  let t: TestNode;
  let admin: string;
  before(async () => {
    t = await startTestNode();
    admin = await t.api.login('admin', t.adminPassword);
  });
  after(() => t.stop());

  const summary = async (username: string) => {
    const list = await t.api.call<{ users: { username: string; mfa: boolean; quorumKey: boolean }[] }>(
      'GET',
      '/v1/users',
      { token: admin },
    );
    return list.body.users.find((user) => user.username === username)!;
  };
  const registration = async (token: string, path: 'mfa' | 'quorum-key', keys = signerKeys()) => {
    const issued = await t.api.call<Challenge>('POST', `/v1/users/me/${path}/registration-token`, { token, body: {} });
    const signature = signBytes(keys.privateKey, Buffer.from(issued.body.challenge, 'base64'));
    return { publicKey: keys.publicPem, challengeId: issued.body.challengeId, signature };
  };

  test('the session token alone, or a wrong password, registers nothing; the right password does', async () => {
    const { token, password } = await t.cryptoUser('kim');
    for (const path of ['quorum-key', 'mfa'] as const) {
      const body = await registration(token, path);
      const bare = await t.api.call('PUT', `/v1/users/me/${path}`, { token, body });
      assert.equal(codeOf(bare), 'PASSWORD_REQUIRED', bare.text);
      const wrong = await t.api.call('PUT', `/v1/users/me/${path}`, {
        token,
        body: { ...body, password: 'not-it-at-all' },
      });
      assert.equal(codeOf(wrong), 'LOGIN_FAILED');
    }
    assert.deepEqual([(await summary('kim')).mfa, (await summary('kim')).quorumKey], [false, false]);
    const ok = await t.api.call('PUT', '/v1/users/me/quorum-key', {
      token,
      body: { ...(await registration(token, 'quorum-key')), password },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await summary('kim')).quorumKey, true);

    const events = await auditEvents(t.api, admin, { target: 'user/kim' });
    assert.equal(count(events, 'user.change-quorum', 'failure', 'PASSWORD_REQUIRED'), 1);
    assert.equal(count(events, 'user.change-mfa', 'failure', 'PASSWORD_REQUIRED'), 1);
    assert.equal(count(events, 'user.change-quorum', 'failure', 'LOGIN_FAILED'), 1);
    assert.equal(count(events, 'user.change-mfa', 'failure', 'LOGIN_FAILED'), 1);
  });

  test('wrong passwords on key changes count toward the lockout', async () => {
    const { token, password } = await t.cryptoUser('lee');
    for (let attempt = 1; attempt <= 5; attempt++) {
      const answer = await t.api.call('PUT', '/v1/users/me/quorum-key', {
        token,
        body: { ...(await registration(token, 'quorum-key')), password: 'not-it-at-all' },
      });
      assert.equal(codeOf(answer), 'LOGIN_FAILED', `attempt ${attempt}`);
    }
    const locked = await t.api.call('PUT', '/v1/users/me/quorum-key', {
      token,
      body: { ...(await registration(token, 'quorum-key')), password },
    });
    assert.equal(codeOf(locked), 'ACCOUNT_LOCKED');
    assert.equal(
      codeOf(await t.api.call('POST', '/v1/sessions', { body: { username: 'lee', password } })),
      'ACCOUNT_LOCKED',
    );
    assert.equal((await summary('lee')).quorumKey, false);
  });

  test('with MFA registered, a change also needs a fresh challenge signed by the current MFA key', async () => {
    const { token, password } = await t.cryptoUser('max');
    const mfaKey = signerKeys();
    assert.equal((await registerKey(t.api, token, 'mfa', mfaKey, password)).status, 200);

    // Replace the quorum key: the password alone answers MFA_REQUIRED with a challenge.
    const body = { ...(await registration(token, 'quorum-key')), password };
    const first = await t.api.call<{ error: { challenge: Challenge } }>('PUT', '/v1/users/me/quorum-key', {
      token,
      body,
    });
    assert.equal(codeOf(first), 'MFA_REQUIRED');
    const challenge = first.body.error.challenge;
    const impostor = signBytes(signerKeys().privateKey, Buffer.from(challenge.challenge, 'base64'));
    const forged = await t.api.call('PUT', '/v1/users/me/quorum-key', {
      token,
      body: { ...body, mfa: { challengeId: challenge.challengeId, signature: impostor } },
    });
    assert.equal(codeOf(forged), 'LOGIN_FAILED');
    assert.equal((await summary('max')).quorumKey, false);
    const done = await confirmed(t.api, 'PUT', '/v1/users/me/quorum-key', token, body, mfaKey);
    assert.equal(done.status, 200, done.text);
    assert.equal((await summary('max')).quorumKey, true);

    // A login challenge is not a confirmation challenge.
    const login = await t.api.call<{ error: { challenge: Challenge } }>('POST', '/v1/sessions', {
      body: { username: 'max', password },
    });
    const loginChallenge = login.body.error.challenge;
    const crossed = await t.api.call('DELETE', '/v1/users/max/mfa', {
      token,
      body: {
        password,
        mfa: {
          challengeId: loginChallenge.challengeId,
          signature: signBytes(mfaKey.privateKey, Buffer.from(loginChallenge.challenge, 'base64')),
        },
      },
    });
    assert.equal(codeOf(crossed), 'LOGIN_FAILED');

    // Removing MFA: no body, the password alone, then password and signature.
    const cases: [Record<string, unknown> | undefined, string][] = [
      [undefined, 'PASSWORD_REQUIRED'],
      [{}, 'PASSWORD_REQUIRED'],
      [{ password }, 'MFA_REQUIRED'],
    ];
    for (const [sent, code] of cases) {
      const answer: ApiAnswer = await t.api.call('DELETE', '/v1/users/max/mfa', { token, body: sent });
      assert.equal(codeOf(answer), code, JSON.stringify(sent));
    }
    assert.equal((await summary('max')).mfa, true);
    const removed = await confirmed(t.api, 'DELETE', '/v1/users/max/mfa', token, { password }, mfaKey);
    assert.equal(removed.status, 200, removed.text);
    assert.equal((await summary('max')).mfa, false);

    // Without MFA now, the password alone removes the quorum key.
    const unquorum = await t.api.call('DELETE', '/v1/users/max/quorum-key', { token, body: { password } });
    assert.equal(unquorum.status, 200, unquorum.text);
    assert.equal((await summary('max')).quorumKey, false);
  });

  test("an admin still removes another user's MFA key without that user's password (user quorum)", async () => {
    const { token, password } = await t.cryptoUser('ned');
    assert.equal((await registerKey(t.api, token, 'mfa', signerKeys(), password)).status, 200);
    const removed = await t.api.call('DELETE', '/v1/users/ned/mfa', { token: admin });
    assert.equal(removed.status, 200, removed.text);
    assert.equal((await summary('ned')).mfa, false);
    const other = await t.api.call('DELETE', '/v1/users/admin/mfa', { token, body: { password } });
    assert.equal(codeOf(other), 'PERMISSION_DENIED');
  });

  test('the CLI confirms with the login password, and signs the MFA confirmation with --mfa-key-file', async () => {
    const { password } = await t.cryptoUser('oli');
    const out: string[] = [];
    const io: CliIo = {
      env: { COFFER_ENDPOINT: t.node.url, COFFER_CA_FILE: t.dir.caCert, COFFER_PIN: `oli:${password}` },
      cwd: t.root,
      interactive: false,
      writeOut: (text) => void out.push(text),
      writeErr: (text) => void out.push(text),
      promptLine: () => Promise.reject(new Error('no prompt')),
      promptSecret: () => Promise.reject(new Error('no prompt')),
    };
    const files = (name: string, keys = signerKeys()) => {
      const publicFile = join(t.root, `${name}.pub`);
      const privateFile = join(t.root, `${name}.key`);
      writeFileSync(publicFile, keys.publicPem);
      writeFileSync(privateFile, keys.privateKey.export({ format: 'pem', type: 'pkcs8' }));
      return { publicFile, privateFile };
    };
    const mfa = files('oli-mfa');
    const quorum = files('oli-quorum');
    const run = (args: string[]) => main([...args, '--json'], io);
    const mfaArgs = ['user', 'change-mfa', 'token-sign', '--public-key-file', mfa.publicFile];
    assert.equal(await run([...mfaArgs, '--private-key-file', mfa.privateFile]), 0, out.join(''));
    const quorumArgs = ['user', 'change-quorum', 'token-sign', 'register', '--public-key', quorum.publicFile];
    const withMfa = ['--private-key-file', quorum.privateFile, '--mfa-key-file', mfa.privateFile];
    assert.equal(await run([...quorumArgs, ...withMfa]), 0, out.join(''));
    assert.equal((await summary('oli')).quorumKey, true);
    assert.equal(await run(['user', 'change-mfa', 'token-sign', '--deregister', '--mfa-key-file', mfa.privateFile]), 0);
    assert.equal((await summary('oli')).mfa, false, out.join(''));
  });
});
