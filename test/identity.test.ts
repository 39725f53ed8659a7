import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codeOf } from './support/api.js';
import { auditEvents, count } from './support/audit-events.js';
import { startTestNode, type TestNode } from './support/test-node.js';

describe('identity over the API (dev node, real TLS)', () => {
  let t: TestNode;
  let admin: string;
  before(async () => {
    t = await startTestNode();
    admin = await t.api.login('admin', t.adminPassword);
  });
  after(() => t.stop());

  test('activation happens once', async () => {
    const again = await t.api.call('POST', '/v1/cluster/activate', { body: { password: 'another-password' } });
    assert.equal(codeOf(again), 'ALREADY_ACTIVATED');
    assert.equal(again.status, 409);
    assert.equal((await t.api.call('GET', '/v1/cluster/status')).body.activated, true);
  });

  test('login, whoami, logout; the token is dead after logout', async () => {
    const token = await t.api.login('admin', t.adminPassword);
    const whoami = await t.api.call('GET', '/v1/sessions/current', { token });
    assert.deepEqual([whoami.body.username, whoami.body.role], ['admin', 'admin']);
    assert.equal((await t.api.call('DELETE', '/v1/sessions/current', { token })).status, 204);
    assert.equal(codeOf(await t.api.call('GET', '/v1/sessions/current', { token })), 'SESSION_INVALID');
    assert.equal(codeOf(await t.api.call('GET', '/v1/users')), 'NOT_AUTHENTICATED');
  });

  test('an admin creates, lists and deletes crypto users; names are case-insensitive', async () => {
    const created = await t.api.call('POST', '/v1/users', {
      token: admin,
      body: { username: 'Carol_1', role: 'crypto-user', password: 'carol-password' },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.username, 'carol_1');
    const duplicate = await t.api.call('POST', '/v1/users', {
      token: admin,
      body: { username: 'CAROL_1', role: 'crypto-user', password: 'carol-password' },
    });
    assert.equal(codeOf(duplicate), 'USER_EXISTS');
    const list = await t.api.call<{ users: { username: string; role: string }[] }>('GET', '/v1/users', {
      token: admin,
    });
    assert.ok(list.body.users.some((user) => user.username === 'carol_1' && user.role === 'crypto-user'));
    assert.ok(!JSON.stringify(list.body).includes('salt'), 'no hash or salt is listed');
    assert.equal((await t.api.call('DELETE', '/v1/users/carol_1', { token: admin })).status, 204);
    assert.equal(codeOf(await t.api.call('DELETE', '/v1/users/carol_1', { token: admin })), 'USER_NOT_FOUND');
  });

  test('username and password rules give their codes and create nothing', async () => {
    const cases = [
      [{ username: 'a'.repeat(32), role: 'crypto-user', password: 'long-enough' }, 'USERNAME_INVALID'],
      [{ username: 'has-hyphen', role: 'crypto-user', password: 'long-enough' }, 'USERNAME_INVALID'],
      [{ username: 'shortpw', role: 'crypto-user', password: 'short' }, 'PASSWORD_INVALID'],
      [{ username: 'badrole', role: 'appliance', password: 'long-enough' }, 'INVALID_FIELD'],
    ] as const;
    for (const [body, code] of cases) {
      assert.equal(codeOf(await t.api.call('POST', '/v1/users', { token: admin, body })), code, JSON.stringify(body));
    }
    const list = await t.api.call<{ users: { username: string }[] }>('GET', '/v1/users', { token: admin });
    assert.deepEqual(
      list.body.users.map((user) => user.username).filter((name) => ['shortpw', 'badrole'].includes(name)),
      [],
    );
  });

  test('five failed logins lock the account until an admin unlocks it', async () => {
    const { password } = await t.cryptoUser('dave');
    for (let attempt = 1; attempt <= 5; attempt++) {
      const failed = await t.api.call('POST', '/v1/sessions', {
        body: { username: 'dave', password: 'wrong-password' },
      });
      assert.equal(codeOf(failed), 'LOGIN_FAILED', `attempt ${attempt}`);
    }
    const locked = await t.api.call('POST', '/v1/sessions', { body: { username: 'dave', password } });
    assert.equal(codeOf(locked), 'ACCOUNT_LOCKED');
    assert.equal(locked.status, 403);
    const users = await t.api.call<{ users: { username: string; locked: boolean }[] }>('GET', '/v1/users', {
      token: admin,
    });
    assert.equal(users.body.users.find((user) => user.username === 'dave')?.locked, true);
    const dave = await t.api.login.bind(t.api);
    const unlocked = await t.api.call('POST', '/v1/users/dave/unlock', { token: admin, body: {} });
    assert.equal(unlocked.body.locked, false);
    assert.ok(await dave('dave', password));
  });

  test('anyone changes their own password; the old one and the other sessions stop working', async () => {
    const { token, password } = await t.cryptoUser('erin');
    const other = await t.api.login('erin', password);
    const wrong = await t.api.call('PUT', '/v1/users/me/password', {
      token,
      body: { currentPassword: 'not-it-at-all', newPassword: 'erin-new-password' },
    });
    assert.equal(codeOf(wrong), 'LOGIN_FAILED');
    const changed = await t.api.call('PUT', '/v1/users/me/password', {
      token,
      body: { currentPassword: password, newPassword: 'erin-new-password' },
    });
    assert.equal(changed.status, 204);
    assert.equal(codeOf(await t.api.call('GET', '/v1/sessions/current', { token: other })), 'SESSION_INVALID');
    assert.equal((await t.api.call('GET', '/v1/sessions/current', { token })).status, 200);
    assert.equal(
      codeOf(await t.api.call('POST', '/v1/sessions', { body: { username: 'erin', password } })),
      'LOGIN_FAILED',
    );
    assert.ok(await t.api.login('erin', 'erin-new-password'));
  });

  test('the last admin cannot be deleted; a crypto user cannot manage users', async () => {
    assert.equal(codeOf(await t.api.call('DELETE', '/v1/users/admin', { token: admin })), 'LAST_ADMIN');
    const { token } = await t.cryptoUser('frank');
    const refused = await t.api.call('POST', '/v1/users', {
      token,
      body: { username: 'mallory', role: 'admin', password: 'mallory-password' },
    });
    assert.equal(codeOf(refused), 'PERMISSION_DENIED');
    assert.equal(refused.status, 403);
    assert.equal(codeOf(await t.api.call('DELETE', '/v1/users/admin', { token })), 'PERMISSION_DENIED');
  });

  test('a user who owns keys cannot be deleted', async () => {
    const { token } = await t.cryptoUser('gina');
    const key = await t.api.call('POST', '/v1/keys/symmetric', {
      token,
      body: { keyType: 'aes', keyLengthBytes: 32, label: 'gina-key' },
    });
    assert.equal(key.status, 201);
    assert.equal(codeOf(await t.api.call('DELETE', '/v1/users/gina', { token: admin })), 'USER_OWNS_KEYS');
  });

  test('logout is audited; a logout with a bad or missing token is an audited refusal', async () => {
    const token = await t.api.login('admin', t.adminPassword);
    assert.equal((await t.api.call('DELETE', '/v1/sessions/current', { token })).status, 204);
    const again = await t.api.call('DELETE', '/v1/sessions/current', { token });
    assert.equal(codeOf(again), 'SESSION_INVALID');
    assert.equal(again.status, 401);
    assert.equal(codeOf(await t.api.call('DELETE', '/v1/sessions/current')), 'NOT_AUTHENTICATED');
    const events = await auditEvents(t.api, admin, { action: 'session.logout' });
    assert.ok(events.some((event) => event.result === 'success' && event.actor === 'admin'));
    assert.equal(count(events, 'session.logout', 'failure', 'SESSION_INVALID') >= 1, true);
    assert.equal(count(events, 'session.logout', 'failure', 'NOT_AUTHENTICATED') >= 1, true);
    assert.ok(!JSON.stringify(events).includes(token), 'no token in the audit log');
  });

  test('input refusals of identity operations are audited, without the raw input', async () => {
    const typo = 'my-Secret-Passw0rd!';
    assert.equal(
      codeOf(await t.api.call('POST', '/v1/sessions', { body: { username: typo, password: 'whatever-pw' } })),
      'USERNAME_INVALID',
    );
    const erin = await t.cryptoUser('ivy');
    const short = await t.api.call('PUT', '/v1/users/me/password', {
      token: erin.token,
      body: { currentPassword: erin.password, newPassword: 'short' },
    });
    assert.equal(codeOf(short), 'PASSWORD_INVALID');
    assert.equal(
      codeOf(await t.api.call('POST', '/v1/users/bad-name/unlock', { token: admin, body: {} })),
      'USERNAME_INVALID',
    );
    const events = await auditEvents(t.api, admin, { result: 'failure' });
    assert.ok(count(events, 'session.login', 'failure', 'USERNAME_INVALID') >= 1);
    assert.ok(count(events, 'user.change-password', 'failure', 'PASSWORD_INVALID') >= 1);
    assert.ok(count(events, 'user.unlock', 'failure', 'USERNAME_INVALID') >= 1);
    assert.ok(!JSON.stringify(events).includes(typo), 'the rejected username is not logged');
  });

  test('logins and refusals are in the audit log', async () => {
    const events = await t.api.call<{ events: { action: string; result: string; code?: string; actor: string }[] }>(
      'GET',
      '/v1/audit/events?limit=1000',
      { token: admin },
    );
    const seen = (action: string, result: string, code?: string): boolean =>
      events.body.events.some((event) => event.action === action && event.result === result && event.code === code);
    assert.ok(seen('session.login', 'success'));
    assert.ok(seen('session.login', 'failure', 'LOGIN_FAILED'));
    assert.ok(seen('session.login', 'failure', 'ACCOUNT_LOCKED'));
    assert.ok(seen('user.create', 'success'));
    assert.ok(seen('user.create', 'failure', 'USER_EXISTS'));
    assert.ok(seen('user.create', 'failure', 'PERMISSION_DENIED'));
    assert.ok(seen('user.unlock', 'success'));
    assert.ok(seen('user.delete', 'failure', 'LAST_ADMIN'));
  });

  test('sessions live in the store: a node restart keeps them, session keys go with the node', async () => {
    const { token } = await t.cryptoUser('kai');
    const made = await t.api.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token,
      body: { keyType: 'aes', keyLengthBytes: 32, token: false },
    });
    assert.equal(made.status, 201, made.text);
    await t.restart();
    const whoami = await t.api.call('GET', '/v1/sessions/current', { token });
    assert.equal(whoami.status, 200, whoami.text);
    const gone = await t.api.call('GET', `/v1/keys/${made.body.key.handle}`, { token });
    assert.equal(codeOf(gone), 'SESSION_OBJECT_NOT_HERE', gone.text);
    assert.equal((await t.api.call('DELETE', '/v1/sessions/current', { token })).status, 204);
  });
});
