import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REFUSAL_RULES } from '../src/audit/refusal-budget.js';
import { codeOf } from './support/api.js';
import { auditEvents, count } from './support/audit-events.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/** Finding 6: the lockout decided in store transactions, so concurrency cannot outrun it. */
describe('login lockout under concurrency (real node, real TLS)', () => {
  let t: TestNode;
  let admin: string;
  before(async () => {
    t = await startTestNode();
    admin = await t.api.login('admin', t.adminPassword);
  });
  after(() => t.stop());

  const login = (username: string, password: string) =>
    t.api.call('POST', '/v1/sessions', { body: { username, password } });

  test('60 parallel wrong guesses: at most 5 are evaluated, the rest refused as locked; the right password then too', async () => {
    const { password } = await t.cryptoUser('rex');
    const answers = await Promise.all(Array.from({ length: 60 }, () => login('rex', 'wrong-password')));
    const codes = answers.map((answer) => codeOf(answer));
    const failed = codes.filter((code) => code === 'LOGIN_FAILED').length;
    assert.ok(failed <= 5, `${failed} wrong guesses were evaluated`);
    assert.deepEqual(
      codes.filter((code) => code !== 'LOGIN_FAILED' && code !== 'ACCOUNT_LOCKED'),
      [],
      'every other guess is refused as locked',
    );

    const right = await login('rex', password);
    assert.equal(codeOf(right), 'ACCOUNT_LOCKED', right.text);

    const events = await auditEvents(t.api, admin, { target: 'user/rex' });
    assert.equal(count(events, 'session.login', 'failure', 'LOGIN_FAILED'), failed);
    // Admitted: the login cryptoUser made, and at most 5 guesses.
    assert.ok(count(events, 'session.attempt', 'success') <= 6, 'at most 5 guesses were admitted');
    // Refused before any check, so under the source's refusal budget: the first ones audited in
    // full, the rest summarized (test/refusal-budget-faces.test.ts counts them).
    assert.equal(
      count(events, 'session.login', 'failure', 'ACCOUNT_LOCKED'),
      Math.min(60 - failed + 1, REFUSAL_RULES.auditedPerWindow),
    );
    assert.equal(count(events, 'session.login', 'success'), 1, 'only the login made by cryptoUser');

    const users = await t.api.call<{ users: { username: string; locked: boolean }[] }>('GET', '/v1/users', {
      token: admin,
    });
    assert.equal(users.body.users.find((user) => user.username === 'rex')?.locked, true);
    assert.equal(codeOf(await login('rex', password)), 'ACCOUNT_LOCKED', 'still locked: only an admin unlocks');

    assert.equal((await t.api.call('POST', '/v1/users/rex/unlock', { token: admin, body: {} })).status, 200);
    assert.equal((await login('rex', password)).status, 201);
  });

  test('wrong guesses racing the right password never leave the account unlocked after 5 evaluated failures', async () => {
    const { password } = await t.cryptoUser('sam');
    const answers = await Promise.all([
      ...Array.from({ length: 30 }, () => login('sam', 'wrong-password')),
      login('sam', password),
      ...Array.from({ length: 30 }, () => login('sam', 'wrong-password')),
    ]);
    const codes = answers.map((answer) => codeOf(answer) ?? String(answer.status));
    const events = await auditEvents(t.api, admin, { target: 'user/sam' });
    const failures = count(events, 'session.login', 'failure', 'LOGIN_FAILED');
    assert.equal(codes.filter((code) => code === 'LOGIN_FAILED').length, failures);
    // A success may reset the count once, so at most 5 failures before it and 5 after.
    assert.ok(failures <= 10, `${failures} failures evaluated`);
    const users = await t.api.call<{ users: { username: string; locked: boolean }[] }>('GET', '/v1/users', {
      token: admin,
    });
    const locked = users.body.users.find((user) => user.username === 'sam')?.locked;
    // 61 attempts: after any success, 30 more wrong guesses remain, so the account ends locked.
    assert.equal(locked, true, codes.join(','));
    assert.equal(codeOf(await login('sam', password)), 'ACCOUNT_LOCKED');
  });

  test('a wrong current password on change-password counts toward the same lockout', async () => {
    const { token, password } = await t.cryptoUser('tia');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.api.call('PUT', '/v1/users/me/password', {
          token,
          body: { currentPassword: 'wrong-password', newPassword: 'tia-new-password' },
        }),
      ),
    );
    assert.ok(answers.filter((answer) => codeOf(answer) === 'LOGIN_FAILED').length <= 5);
    assert.equal(codeOf(await login('tia', password)), 'ACCOUNT_LOCKED');
  });
});
