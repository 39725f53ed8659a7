import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditReader } from '../audit/audit-reader.js';
import type { AuditEvent } from '../audit/audit-event.js';
import { RefusalBudget } from '../audit/refusal-budget.js';
import { Barrier, KEYRING_PATH } from '../barrier/barrier.js';
import { isCofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import { RecordReader } from '../records/record-reader.js';
import { RecordWriter } from '../records/record-writer.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { ChallengeStore } from './challenges.js';
import { SESSION_PREFIX } from './session-record.js';
import { SessionManager, type Session } from './sessions.js';
import { FIRST_ADMIN, decodeUser, encodeUser, userPath, type UserRecord } from './user-record.js';
import { UserService } from './user-service.js';

function newPassword(): Buffer {
  return Buffer.from(`pw-${randomBytes(12).toString('base64url')}`, 'utf8');
}

function hasCode(code: ErrorCode) {
  return (error: unknown): boolean => isCofferError(error, code);
}

interface Env {
  readonly store: SqliteStore;
  readonly reader: RecordReader;
  readonly sessions: SessionManager;
  readonly service: UserService;
  readonly owners: Set<string>;
  readonly audit: AuditReader;
}

describe('UserService', () => {
  let dir: string;
  let env: Env;

  async function setup(): Promise<Env> {
    const store = await openSqliteStore(join(dir, 'state.db'));
    const rootKey = randomBytes(32);
    const created = await store.txn(
      [{ key: KEYRING_PATH, modRevision: 0 }],
      [Barrier.initialKeyring(rootKey, { clusterId: 'c', mode: 'dev' }, new Date())],
    );
    assert.ok(created.succeeded);
    const barrier = new Barrier(store);
    await barrier.unseal(rootKey);
    const reader = new RecordReader(store, barrier);
    const writer = new RecordWriter(store, barrier, 'node-1');
    const now = new Date().toISOString();
    const admin: UserRecord = {
      username: FIRST_ADMIN,
      role: 'unactivated-admin',
      failedLogins: 0,
      locked: false,
      createdAt: now,
      updatedAt: now,
    };
    await writer.commit({
      compares: [{ key: userPath(FIRST_ADMIN), modRevision: 0 }],
      changes: [{ type: 'put', path: userPath(FIRST_ADMIN), kind: 'user', plaintext: encodeUser(admin) }],
      event: { actor: 'system', action: 'cluster.init', target: 'cluster', result: 'success' },
    });
    const sessions = new SessionManager({ reader, writer, store });
    const challenges = new ChallengeStore({ reader, writer });
    const owners = new Set<string>();
    const service = new UserService({
      reader,
      writer,
      sessions,
      challenges,
      ownsKeys: async (username) => owners.has(username),
      refusals: new RefusalBudget({ writer }),
    });
    return { store, reader, sessions, service, owners, audit: new AuditReader(reader) };
  }

  async function allEvents(): Promise<AuditEvent[]> {
    const { events, more } = await env.audit.list(0, 1000);
    assert.equal(more, false);
    return events;
  }

  /** Runs `action` and returns the audit events it appended. */
  async function eventsOf(action: () => Promise<unknown>): Promise<AuditEvent[]> {
    const before = (await allEvents()).length;
    await action();
    return (await allEvents()).slice(before);
  }

  async function refusedWith(code: ErrorCode, action: () => Promise<unknown>): Promise<AuditEvent[]> {
    return eventsOf(() => assert.rejects(action(), hasCode(code)));
  }

  async function userRecord(username: string): Promise<UserRecord | undefined> {
    const record = await env.reader.get(userPath(username), 'user');
    return record && decodeUser(record.plaintext);
  }

  /** Activates the first admin and logs it in. */
  async function activeAdmin(): Promise<{ session: Session; password: Buffer }> {
    const password = newPassword();
    await env.service.activate(Buffer.from(password));
    const { session } = await env.service.login('admin', Buffer.from(password));
    return { session, password };
  }

  async function cryptoUser(admin: Session, name: string): Promise<Buffer> {
    const password = newPassword();
    await env.service.create(admin, name, 'crypto-user', Buffer.from(password));
    return password;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-users-'));
    env = await setup();
  });

  afterEach(async () => {
    await env.store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the unactivated admin cannot log in: USER_NOT_ACTIVATED, audited', async () => {
    const events = await refusedWith('USER_NOT_ACTIVATED', () => env.service.login('admin', newPassword()));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.action, 'session.login');
    assert.equal(events[0]!.result, 'failure');
    assert.equal(events[0]!.code, 'USER_NOT_ACTIVATED');
    assert.equal(events[0]!.actor, 'admin');
    assert.equal((await env.store.range(SESSION_PREFIX)).entries.length, 0, 'no session was stored');
  });

  test('activate once, then ALREADY_ACTIVATED; the first password stays', async () => {
    const password = newPassword();
    const activated = await eventsOf(async () => {
      const summary = await env.service.activate(Buffer.from(password));
      assert.deepEqual([summary.username, summary.role], ['admin', 'admin']);
    });
    assert.deepEqual(
      activated.map((e) => [e.actor, e.action, e.target, e.result, e.code]),
      [['admin', 'cluster.activate', 'user/admin', 'success', undefined]],
    );
    const stored = await userRecord('admin');
    assert.equal(stored?.role, 'admin');
    assert.ok(stored?.password);

    const second = newPassword();
    const refused = await refusedWith('ALREADY_ACTIVATED', () => env.service.activate(Buffer.from(second)));
    assert.deepEqual(
      refused.map((e) => [e.actor, e.action, e.result, e.code]),
      [['anonymous', 'cluster.activate', 'failure', 'ALREADY_ACTIVATED']],
    );
    await env.service.login('admin', Buffer.from(password));
    await assert.rejects(env.service.login('admin', Buffer.from(second)), hasCode('LOGIN_FAILED'));
  });

  test('a successful login opens a session and is audited with its session id', async () => {
    const { password } = await activeAdmin();
    let session: Session | undefined;
    const events = await eventsOf(async () => {
      ({ session } = await env.service.login('ADMIN', Buffer.from(password)));
    });
    assert.ok(session);
    assert.equal(session.username, 'admin');
    assert.equal(session.role, 'admin');
    assert.deepEqual(
      events.map((e) => [e.actor, e.action, e.result, e.details?.session]),
      [
        ['admin', 'session.attempt', 'success', undefined],
        ['admin', 'session.login', 'success', session.id],
      ],
    );
  });

  test('an unknown user gets LOGIN_FAILED, audited as anonymous', async () => {
    const events = await refusedWith('LOGIN_FAILED', () => env.service.login('nobody', newPassword()));
    assert.deepEqual(
      events.map((e) => [e.actor, e.action, e.target, e.result, e.code]),
      [['anonymous', 'session.login', 'user/nobody', 'failure', 'LOGIN_FAILED']],
    );
  });

  test('5 wrong passwords lock the account; the 6th attempt with the right password gives ACCOUNT_LOCKED; unlock restores', async () => {
    const { session: admin } = await activeAdmin();
    const password = await cryptoUser(admin, 'carol');
    for (let attempt = 1; attempt <= 5; attempt++) {
      const events = await refusedWith('LOGIN_FAILED', () => env.service.login('carol', newPassword()));
      assert.deepEqual(
        events.map((e) => [e.actor, e.action, e.result, e.code]),
        [
          ['carol', 'session.attempt', 'success', undefined],
          ['carol', 'session.login', 'failure', 'LOGIN_FAILED'],
        ],
        `attempt ${attempt}`,
      );
      const stored = await userRecord('carol');
      assert.equal(stored?.failedLogins, attempt);
      assert.equal(stored?.locked, attempt >= 5, `locked after attempt ${attempt}`);
    }
    const locked = await refusedWith('ACCOUNT_LOCKED', () => env.service.login('carol', Buffer.from(password)));
    assert.deepEqual(
      locked.map((e) => [e.actor, e.action, e.result, e.code]),
      [['carol', 'session.login', 'failure', 'ACCOUNT_LOCKED']],
    );
    assert.equal((await env.service.list()).find((u) => u.username === 'carol')?.locked, true);

    const unlocked = await eventsOf(async () => {
      const summary = await env.service.unlock(admin, 'Carol');
      assert.equal(summary.locked, false);
    });
    assert.deepEqual(
      unlocked.map((e) => [e.actor, e.action, e.target, e.result]),
      [['admin', 'user.unlock', 'user/carol', 'success']],
    );
    const stored = await userRecord('carol');
    assert.deepEqual([stored?.locked, stored?.failedLogins], [false, 0]);
    const { session } = await env.service.login('carol', Buffer.from(password));
    assert.equal(session.username, 'carol');
  });

  test('unlock of an unknown user gives USER_NOT_FOUND, audited', async () => {
    const { session: admin } = await activeAdmin();
    const events = await refusedWith('USER_NOT_FOUND', () => env.service.unlock(admin, 'ghost'));
    assert.deepEqual(
      events.map((e) => [e.action, e.result, e.code]),
      [['user.unlock', 'failure', 'USER_NOT_FOUND']],
    );
  });

  test('a successful login resets the failed count', async () => {
    const { session: admin } = await activeAdmin();
    const password = await cryptoUser(admin, 'dave');
    for (let i = 0; i < 4; i++) await assert.rejects(env.service.login('dave', newPassword()), hasCode('LOGIN_FAILED'));
    assert.equal((await userRecord('dave'))?.failedLogins, 4);
    const events = await eventsOf(() => env.service.login('dave', Buffer.from(password)));
    assert.deepEqual(
      events.map((e) => [e.action, e.result]),
      [
        ['session.attempt', 'success'],
        ['session.login', 'success'],
      ],
    );
    assert.equal((await userRecord('dave'))?.failedLogins, 0);
    for (let i = 0; i < 4; i++) await assert.rejects(env.service.login('dave', newPassword()), hasCode('LOGIN_FAILED'));
    assert.equal((await userRecord('dave'))?.locked, false, 'four more failures do not lock: the count restarted');
    await env.service.login('dave', Buffer.from(password));
  });

  test('create refuses an existing name case-insensitively with USER_EXISTS, audited, and changes nothing', async () => {
    const { session: admin } = await activeAdmin();
    const created = await eventsOf(async () => {
      const summary = await env.service.create(admin, 'alice', 'crypto-user', newPassword());
      assert.deepEqual([summary.username, summary.role, summary.locked], ['alice', 'crypto-user', false]);
    });
    assert.deepEqual(
      created.map((e) => [e.actor, e.action, e.target, e.result, e.details?.role]),
      [['admin', 'user.create', 'user/alice', 'success', 'crypto-user']],
    );
    const before = await env.reader.get(userPath('alice'), 'user');

    const refused = await refusedWith('USER_EXISTS', () => env.service.create(admin, 'Alice', 'admin', newPassword()));
    assert.deepEqual(
      refused.map((e) => [e.actor, e.action, e.target, e.result, e.code]),
      [['admin', 'user.create', 'user/alice', 'failure', 'USER_EXISTS']],
    );
    const after = await env.reader.get(userPath('alice'), 'user');
    assert.equal(after?.modRevision, before?.modRevision);
    assert.equal((await userRecord('alice'))?.role, 'crypto-user');
  });

  test('delete refuses the last admin with LAST_ADMIN, audited; with a second admin it succeeds', async () => {
    const { session: admin } = await activeAdmin();
    const refused = await refusedWith('LAST_ADMIN', () => env.service.delete(admin, 'admin'));
    assert.deepEqual(
      refused.map((e) => [e.actor, e.action, e.target, e.result, e.code]),
      [['admin', 'user.delete', 'user/admin', 'failure', 'LAST_ADMIN']],
    );
    assert.ok(await userRecord('admin'));

    await env.service.create(admin, 'second_admin', 'admin', newPassword());
    const deleted = await eventsOf(() => env.service.delete(admin, 'second_admin'));
    assert.deepEqual(
      deleted.map((e) => [e.action, e.target, e.result]),
      [['user.delete', 'user/second_admin', 'success']],
    );
    assert.equal(await userRecord('second_admin'), undefined);
    await assert.rejects(env.service.delete(admin, 'admin'), hasCode('LAST_ADMIN'));
  });

  test('delete refuses a user who owns keys with USER_OWNS_KEYS, audited; once they own none it succeeds and ends their sessions', async () => {
    const { session: admin } = await activeAdmin();
    const password = await cryptoUser(admin, 'bob');
    const bob = await env.service.login('bob', Buffer.from(password));
    env.owners.add('bob');
    const refused = await refusedWith('USER_OWNS_KEYS', () => env.service.delete(admin, 'bob'));
    assert.deepEqual(
      refused.map((e) => [e.actor, e.action, e.target, e.result, e.code]),
      [['admin', 'user.delete', 'user/bob', 'failure', 'USER_OWNS_KEYS']],
    );
    assert.ok(await userRecord('bob'));
    assert.equal((await env.sessions.resolve(bob.token)).username, 'bob');

    env.owners.delete('bob');
    const deleted = await eventsOf(() => env.service.delete(admin, 'BOB'));
    assert.deepEqual(
      deleted.map((e) => [e.action, e.result]),
      [['user.delete', 'success']],
    );
    assert.equal(await userRecord('bob'), undefined);
    await assert.rejects(env.sessions.resolve(bob.token), hasCode('SESSION_INVALID'));
    const notFound = await refusedWith('USER_NOT_FOUND', () => env.service.delete(admin, 'bob'));
    assert.deepEqual(
      notFound.map((e) => [e.action, e.result, e.code]),
      [['user.delete', 'failure', 'USER_NOT_FOUND']],
    );
  });

  test('changeOwnPassword with a wrong current password is refused, audited, counts toward lockout, keeps the password', async () => {
    const { session: admin } = await activeAdmin();
    const password = await cryptoUser(admin, 'erin');
    const erin = await env.service.login('erin', Buffer.from(password));
    const other = await env.service.login('erin', Buffer.from(password));
    const before = await env.reader.get(userPath('erin'), 'user');
    const next = newPassword();

    const refused = await refusedWith('LOGIN_FAILED', () =>
      env.service.changeOwnPassword(erin.session, newPassword(), Buffer.from(next)),
    );
    assert.deepEqual(
      refused.map((e) => [e.actor, e.action, e.target, e.result, e.code]),
      [
        ['erin', 'session.attempt', 'user/erin', 'success', undefined],
        ['erin', 'user.change-password', 'user/erin', 'failure', 'LOGIN_FAILED'],
      ],
    );
    const after = await env.reader.get(userPath('erin'), 'user');
    assert.ok(before && after);
    assert.deepEqual(decodeUser(after.plaintext).password, decodeUser(before.plaintext).password);
    assert.equal(decodeUser(after.plaintext).failedLogins, decodeUser(before.plaintext).failedLogins + 1);
    assert.equal((await env.sessions.resolve(other.token)).username, 'erin', 'other sessions live on');
    await assert.rejects(env.service.login('erin', Buffer.from(next)), hasCode('LOGIN_FAILED'));
    await env.service.login('erin', Buffer.from(password));
  });

  test("changeOwnPassword with the right current password changes it and ends the user's other sessions", async () => {
    const { session: admin } = await activeAdmin();
    const password = await cryptoUser(admin, 'frank');
    const frank = await env.service.login('frank', Buffer.from(password));
    const other = await env.service.login('frank', Buffer.from(password));
    const next = newPassword();
    const events = await eventsOf(() =>
      env.service.changeOwnPassword(frank.session, Buffer.from(password), Buffer.from(next)),
    );
    assert.deepEqual(
      events.map((e) => [e.actor, e.action, e.result]),
      [
        ['frank', 'session.attempt', 'success'],
        ['frank', 'user.change-password', 'success'],
      ],
    );
    assert.equal((await env.sessions.resolve(frank.token)).username, 'frank', 'the acting session stays');
    await assert.rejects(env.sessions.resolve(other.token), hasCode('SESSION_INVALID'));
    await assert.rejects(env.service.login('frank', Buffer.from(password)), hasCode('LOGIN_FAILED'));
    await env.service.login('frank', Buffer.from(next));
  });

  test('list shows every user without hash or salt', async () => {
    const { session: admin } = await activeAdmin();
    await cryptoUser(admin, 'gina');
    const users = await env.service.list();
    assert.deepEqual(users.map((u) => [u.username, u.role]).sort(), [
      ['admin', 'admin'],
      ['gina', 'crypto-user'],
    ]);
    const text = JSON.stringify(users);
    assert.ok(!text.includes('salt') && !text.includes('hash'));
  });

  test('the audit chain stays gap-free across all of this', async () => {
    const { session: admin } = await activeAdmin();
    await cryptoUser(admin, 'hank');
    await assert.rejects(env.service.login('hank', newPassword()), hasCode('LOGIN_FAILED'));
    await assert.rejects(env.service.delete(admin, 'admin'), hasCode('LAST_ADMIN'));
    const events = await allEvents();
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, index) => index + 1),
    );
    for (let i = 1; i < events.length; i++) assert.equal(events[i]!.prevHash, events[i - 1]!.hash);
  });
});
