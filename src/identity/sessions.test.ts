import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isCofferError } from '../errors/coffer-error.js';
import { DEFAULT_SESSION_LIMITS, SessionManager, type Session, type SessionLimits } from './sessions.js';

const LIMITS: SessionLimits = { idleMs: 1_000, absoluteMs: 5_000, perUser: 3 };

function hasCode(code: 'SESSION_INVALID' | 'TOO_MANY_SESSIONS') {
  return (error: unknown): boolean => isCofferError(error, code);
}

/** A manager on a clock the test moves by hand, recording every closed session. */
function setup(limits: SessionLimits = LIMITS) {
  const clock = { now: 1_700_000_000_000 };
  const manager = new SessionManager(limits, () => clock.now);
  const closed: Session[] = [];
  manager.onClose((session) => closed.push(session));
  return { clock, manager, closed };
}

function internalMap(manager: SessionManager): Map<string, Session> {
  const map: unknown = Reflect.get(manager, 'sessions');
  assert.ok(map instanceof Map);
  return map as Map<string, Session>;
}

describe('SessionManager', () => {
  test('the default limits are 15 min idle, 8 h absolute, 32 per user', () => {
    assert.deepEqual(DEFAULT_SESSION_LIMITS, { idleMs: 900_000, absoluteMs: 28_800_000, perUser: 32 });
  });

  test('open gives a cfs_ token that resolves to the session; expiresAt is the absolute deadline', () => {
    const { clock, manager } = setup();
    const opened = manager.open('alice', 'crypto-user');
    assert.match(opened.token, /^cfs_[A-Za-z0-9_-]{43}$/);
    assert.equal(opened.expiresAt, clock.now + LIMITS.absoluteMs);
    assert.equal(opened.session.username, 'alice');
    assert.equal(opened.session.role, 'crypto-user');
    assert.equal(opened.session.createdAt, clock.now);
    assert.equal(manager.resolve(opened.token), opened.session);
    assert.equal(manager.size, 1);
  });

  test('tokens are random and sessions distinct', () => {
    const { manager } = setup({ ...LIMITS, perUser: 100 });
    const tokens = new Set<string>();
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const opened = manager.open('alice', 'crypto-user');
      tokens.add(opened.token);
      ids.add(opened.session.id);
    }
    assert.equal(tokens.size, 50);
    assert.equal(ids.size, 50);
  });

  test('the session table never holds the raw token, only its SHA-256; the id is a prefix of that hash', () => {
    const { manager } = setup();
    const opened = manager.open('alice', 'admin');
    const map = internalMap(manager);
    const digest = createHash('sha256').update(opened.token).digest('hex');
    assert.deepEqual([...map.keys()], [digest]);
    const body = opened.token.slice('cfs_'.length);
    for (const [key, session] of map) {
      assert.ok(!key.includes(body));
      assert.ok(!JSON.stringify(session).includes(body));
    }
    assert.equal(opened.session.id, digest.slice(0, 16));
  });

  test('an unknown, altered or bare token is SESSION_INVALID', () => {
    const { manager } = setup();
    const { token } = manager.open('alice', 'admin');
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    for (const candidate of [
      '',
      'cfs_',
      token.slice(4),
      token.slice(0, -1) + last,
      `${token} `,
      createHash('sha256').update(token).digest('hex'),
    ]) {
      assert.throws(() => manager.resolve(candidate), hasCode('SESSION_INVALID'), JSON.stringify(candidate));
    }
  });

  test('idle expiry: use within the idle window keeps a session; idleMs without use ends it', () => {
    const { clock, manager, closed } = setup();
    const { token, session } = manager.open('alice', 'admin');
    for (let i = 0; i < 3; i++) {
      clock.now += LIMITS.idleMs - 1;
      assert.equal(manager.resolve(token), session);
      assert.equal(session.lastUsedAt, clock.now);
    }
    clock.now += LIMITS.idleMs;
    assert.throws(() => manager.resolve(token), hasCode('SESSION_INVALID'));
    assert.deepEqual(closed, [session]);
    assert.equal(manager.size, 0);
    assert.throws(() => manager.resolve(token), hasCode('SESSION_INVALID'));
    assert.equal(closed.length, 1, 'a session closes once');
  });

  test('absolute expiry: a session in constant use still ends absoluteMs after it opened', () => {
    const { clock, manager, closed } = setup();
    const start = clock.now;
    const { token, session } = manager.open('alice', 'admin');
    while (clock.now + 500 < start + LIMITS.absoluteMs) {
      clock.now += 500;
      manager.resolve(token);
    }
    clock.now = start + LIMITS.absoluteMs - 1;
    assert.equal(manager.resolve(token), session);
    clock.now = start + LIMITS.absoluteMs;
    assert.throws(() => manager.resolve(token), hasCode('SESSION_INVALID'));
    assert.deepEqual(closed, [session]);
  });

  test('per-user limit: TOO_MANY_SESSIONS at the limit, other users unaffected, room again after a close or an expiry', () => {
    const { clock, manager } = setup();
    const opened = [
      manager.open('alice', 'crypto-user'),
      manager.open('alice', 'crypto-user'),
      manager.open('alice', 'crypto-user'),
    ];
    assert.throws(() => manager.open('alice', 'crypto-user'), hasCode('TOO_MANY_SESSIONS'));
    assert.equal(manager.size, 3, 'the refused open left nothing behind');
    assert.doesNotThrow(() => manager.open('bob', 'crypto-user'));
    manager.close(opened[0]!.token);
    assert.doesNotThrow(() => manager.open('alice', 'crypto-user'));
    assert.throws(() => manager.open('alice', 'crypto-user'), hasCode('TOO_MANY_SESSIONS'));
    clock.now += LIMITS.idleMs;
    assert.doesNotThrow(() => manager.open('alice', 'crypto-user'), 'expired sessions do not count');
  });

  test('close ends one session and calls the listeners; closing an unknown token does nothing', () => {
    const { manager, closed } = setup();
    const a = manager.open('alice', 'admin');
    const b = manager.open('alice', 'admin');
    manager.close(a.token);
    assert.deepEqual(closed, [a.session]);
    assert.throws(() => manager.resolve(a.token), hasCode('SESSION_INVALID'));
    assert.equal(manager.resolve(b.token), b.session);
    manager.close(a.token);
    manager.close('cfs_unknown');
    assert.equal(closed.length, 1);
  });

  test("closeUser ends every session of that user except `keep`, and no one else's", () => {
    const { manager, closed } = setup();
    const a1 = manager.open('alice', 'crypto-user');
    const a2 = manager.open('alice', 'crypto-user');
    const a3 = manager.open('alice', 'crypto-user');
    const b1 = manager.open('bob', 'crypto-user');
    manager.closeUser('alice', a2.session.id);
    assert.deepEqual(new Set(closed), new Set([a1.session, a3.session]));
    assert.equal(manager.resolve(a2.token), a2.session);
    assert.equal(manager.resolve(b1.token), b1.session);
    assert.throws(() => manager.resolve(a1.token), hasCode('SESSION_INVALID'));
    assert.throws(() => manager.resolve(a3.token), hasCode('SESSION_INVALID'));

    manager.closeUser('alice');
    assert.throws(() => manager.resolve(a2.token), hasCode('SESSION_INVALID'));
    assert.equal(manager.resolve(b1.token), b1.session);
    assert.equal(closed.length, 3);
  });

  test('closeAll ends every session and tells every listener', () => {
    const { manager, closed } = setup();
    const second: string[] = [];
    manager.onClose((session) => second.push(session.id));
    const opened = [
      manager.open('alice', 'admin'),
      manager.open('bob', 'crypto-user'),
      manager.open('bob', 'crypto-user'),
    ];
    manager.closeAll();
    assert.equal(manager.size, 0);
    assert.deepEqual(new Set(closed), new Set(opened.map((o) => o.session)));
    assert.deepEqual(new Set(second), new Set(opened.map((o) => o.session.id)));
    for (const { token } of opened) assert.throws(() => manager.resolve(token), hasCode('SESSION_INVALID'));
  });

  test('sweep removes expired sessions and tells the listeners', () => {
    const { clock, manager, closed } = setup();
    const old = manager.open('alice', 'admin');
    clock.now += LIMITS.idleMs - 10;
    const young = manager.open('bob', 'admin');
    clock.now += 10;
    manager.sweep();
    assert.deepEqual(closed, [old.session]);
    assert.equal(manager.size, 1);
    assert.equal(manager.resolve(young.token), young.session);
  });
});
