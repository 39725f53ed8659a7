import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CofferClient, isCofferApiError, signBytes } from '../src/client/index.js';
import type { CliIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { codeOf } from './support/api.js';
import { registerKey, signerKeys } from './support/quorum-kit.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Challenge {
  challengeId: string;
  challenge: string;
}

describe('MFA login (token-sign) on a real node', () => {
  let t: TestNode;
  let password: string;
  const registered = signerKeys('ec');
  const rsaKeys = signerKeys('rsa');

  const loginWith = (body: Record<string, unknown>) =>
    t.api.call<{ error?: { challenge?: Challenge } }>('POST', '/v1/sessions', { body });
  const challengeFor = async (user: string, secret: string): Promise<Challenge> => {
    const answer = await loginWith({ username: user, password: secret });
    assert.equal(codeOf(answer), 'MFA_REQUIRED');
    assert.equal(answer.status, 401);
    return answer.body.error!.challenge!;
  };

  before(async () => {
    t = await startTestNode();
    const user = await t.cryptoUser('mia');
    password = user.password;
    const answer = await registerKey(t.api, user.token, 'mfa', registered, user.password);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.mfa, true);
  });
  after(() => t.stop());

  test('keys that are not RSA ≥ 2048 or P-256, or an unproven key, are refused', async () => {
    const { token, password: noahPassword } = await t.cryptoUser('noah');
    const { publicKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ec', { namedCurve: 'P-384' }));
    const issued = await t.api.call<Challenge>('POST', '/v1/users/me/mfa/registration-token', { token, body: {} });
    const weak = await t.api.call('PUT', '/v1/users/me/mfa', {
      token,
      body: {
        publicKey: publicKey.export({ format: 'pem', type: 'spki' }),
        challengeId: issued.body.challengeId,
        signature: 'AA==',
        password: noahPassword,
      },
    });
    assert.equal(codeOf(weak), 'PUBLIC_KEY_INVALID');
    const other = signerKeys();
    const unproven = await t.api.call('PUT', '/v1/users/me/mfa', {
      token,
      body: {
        publicKey: other.publicPem,
        challengeId: issued.body.challengeId,
        signature: signBytes(signerKeys().privateKey, Buffer.from(issued.body.challenge, 'base64')),
        password: noahPassword,
      },
    });
    assert.equal(codeOf(unproven), 'CHALLENGE_INVALID');
  });

  test('the password alone answers MFA_REQUIRED with a challenge; a wrong password gives none', async () => {
    const wrong = await loginWith({ username: 'mia', password: 'not-the-password' });
    assert.equal(codeOf(wrong), 'LOGIN_FAILED');
    assert.equal(wrong.body.error?.challenge, undefined);
    const challenge = await challengeFor('mia', password);
    assert.equal(Buffer.from(challenge.challenge, 'base64').length, 32);
  });

  test('the registered key logs in; the challenge is single use', async () => {
    const challenge = await challengeFor('mia', password);
    const signature = signBytes(registered.privateKey, Buffer.from(challenge.challenge, 'base64'));
    const ok = await loginWith({ username: 'mia', password, mfa: { challengeId: challenge.challengeId, signature } });
    assert.equal(ok.status, 201, ok.text);
    const replay = await loginWith({
      username: 'mia',
      password,
      mfa: { challengeId: challenge.challengeId, signature },
    });
    assert.equal(codeOf(replay), 'LOGIN_FAILED');
  });

  test('an RSA key works too, PKCS#1 v1.5 (the SDK signs)', async () => {
    const { token: rita, password: pw } = await t.cryptoUser('rita');
    assert.equal((await registerKey(t.api, rita, 'mfa', rsaKeys, pw)).status, 200);
    const client = new CofferClient({ endpoints: [t.node.url], ca: readFileSync(t.dir.caCert) });
    try {
      await assert.rejects(client.login('rita', pw), (error: unknown) => isCofferApiError(error, 'MFA_REQUIRED'));
      const session = await client.login('rita', pw, { privateKey: rsaKeys.privateKey });
      assert.equal((await session.whoami()).username, 'rita');
      await assert.rejects(client.login('rita', pw, { privateKey: registered.privateKey }), (error: unknown) =>
        isCofferApiError(error, 'LOGIN_FAILED'),
      );
    } finally {
      await client.close();
    }
  });

  test('any other key fails, counts toward the lockout, and five lock the account', async () => {
    const { password: pw } = await t.cryptoUser('otto');
    const otto = await t.api.login('otto', pw);
    assert.equal((await registerKey(t.api, otto, 'mfa', registered, pw)).status, 200);
    const impostor = signerKeys();
    for (let attempt = 1; attempt <= 5; attempt++) {
      const challenge = await challengeFor('otto', pw);
      const signature = signBytes(impostor.privateKey, Buffer.from(challenge.challenge, 'base64'));
      const answer = await loginWith({
        username: 'otto',
        password: pw,
        mfa: { challengeId: challenge.challengeId, signature },
      });
      assert.equal(codeOf(answer), 'LOGIN_FAILED', `attempt ${attempt}`);
    }
    assert.equal(codeOf(await loginWith({ username: 'otto', password: pw })), 'ACCOUNT_LOCKED');
  });

  test('the CLI: --mfa-key-file signs; --mfa-token-file writes the challenge, then reads it back signed', async () => {
    const keyFile = join(t.root, 'mia.key');
    writeFileSync(keyFile, registered.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const tokenFile = join(t.root, 'mia.token');
    const out: string[] = [];
    const io: CliIo = {
      env: { COFFER_ENDPOINT: t.node.url, COFFER_CA_FILE: t.dir.caCert, COFFER_PIN: `mia:${password}` },
      cwd: t.root,
      interactive: false,
      writeOut: (text) => void out.push(text),
      writeErr: (text) => void out.push(text),
      promptLine: () => Promise.reject(new Error('no prompt')),
      promptSecret: () => Promise.reject(new Error('no prompt')),
    };
    assert.equal(await main(['user', 'list', '--json'], io), 1);
    assert.match(out.pop()!, /MFA_REQUIRED/);
    assert.equal(await main(['user', 'list', '--json', '--mfa-key-file', keyFile], io), 0);
    const listed = JSON.parse(out.pop()!) as { data: { users: { username: string; mfa: unknown[] }[] } };
    assert.deepEqual(listed.data.users.find((user) => user.username === 'mia')?.mfa, [
      { strategy: 'token-sign', status: 'enabled' },
    ]);

    assert.equal(await main(['user', 'list', '--json', '--mfa-token-file', tokenFile], io), 1);
    assert.match(out.pop()!, /wrote the challenge/);
    const file = JSON.parse(readFileSync(tokenFile, 'utf8')) as { tokens: { unsigned: string; signed: string }[] };
    const signed = signBytes(registered.privateKey, Buffer.from(file.tokens[0]!.unsigned, 'base64'));
    writeFileSync(tokenFile, JSON.stringify({ ...file, tokens: [{ ...file.tokens[0], signed }] }));
    assert.equal(await main(['user', 'list', '--json', '--mfa-token-file', tokenFile], io), 0, out.join(''));
    assert.equal((JSON.parse(out.pop()!) as { error_code: number }).error_code, 0);
  });
});
