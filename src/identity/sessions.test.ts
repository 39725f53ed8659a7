import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import { isCofferError } from '../errors/coffer-error.js';
import type { RecordReader } from '../records/record-reader.js';
import { RecordWriter } from '../records/record-writer.js';
import { openTestStore, type TestStore } from '../../test/support/test-store.js';
import { SESSION_PREFIX, SESSION_USER_INDEX, sessionPath } from './session-record.js';
import {
  DEFAULT_SESSION_LIMITS,
  SessionManager,
  refreshInterval,
  type OpeningSession,
  type SessionLimits,
} from './sessions.js';

const LIMITS: SessionLimits = { idleMs: 1_000, absoluteMs: 5_000, perUser: 3 };

function hasCode(code: 'SESSION_INVALID' | 'TOO_MANY_SESSIONS') {
  return (error: unknown): boolean => isCofferError(error, code);
}

describe('SessionManager (sessions in the store)', () => {
  let t: TestStore;
  const clock = { now: 1_700_000_000_000 };
  const dropped: string[] = [];
  const droppedAll: number[] = [];

  /** A node's manager over the shared test store, recording what it drops. */
  function manager(
    limits: SessionLimits = LIMITS,
    reader: Pick<RecordReader, 'getDecoded' | 'keys' | 'forgetDecoded'> = t.reader,
    writer: RecordWriter = t.writer,
  ) {
    const sessions = new SessionManager({ reader, writer, store: t.store, limits, now: () => clock.now });
    sessions.bind({ dropSession: (id) => dropped.push(id), dropAll: () => droppedAll.push(1) });
    return sessions;
  }

  /** A login's commit: the session's changes with an event, as UserService commits them. */
  async function open(sessions: SessionManager, username: string): Promise<OpeningSession> {
    const opening = sessions.mint(username, 'crypto-user');
    const part = await sessions.opening(opening);
    await t.writer.commit({
      ...part,
      event: { actor: username, action: 'session.login', result: 'success' },
    });
    return opening;
  }

  async function logout(sessions: SessionManager, opening: OpeningSession): Promise<void> {
    await t.writer.commit({
      changes: sessions.ending(opening.token, opening.session),
      event: { actor: opening.session.username, action: 'session.logout', result: 'success' },
    });
  }

  const stored = async (prefix: string) => (await t.store.range(prefix)).entries;
  const revision = () => t.store.revision();

  beforeEach(async () => {
    t = await openTestStore('coffer-sessions-');
    clock.now = 1_700_000_000_000;
    dropped.length = 0;
    droppedAll.length = 0;
  });
  afterEach(() => t.close());

  test('the default limits are 15 min idle, 8 h absolute, 32 per user; refresh every 30 s at most', () => {
    assert.deepEqual(DEFAULT_SESSION_LIMITS, { idleMs: 900_000, absoluteMs: 28_800_000, perUser: 32 });
    assert.equal(refreshInterval(DEFAULT_SESSION_LIMITS.idleMs), 30_000);
    assert.equal(refreshInterval(1_000), 100);
  });

  test('a committed opening resolves; nothing exists before the commit; expiresAt is the absolute deadline', async () => {
    const sessions = manager();
    const opening = sessions.mint('alice', 'crypto-user');
    assert.match(opening.token, /^cfs_[A-Za-z0-9_-]{43}$/);
    assert.equal(opening.expiresAt, clock.now + LIMITS.absoluteMs);
    await assert.rejects(sessions.resolve(opening.token), hasCode('SESSION_INVALID'), 'not before its commit');
    await t.writer.commit({
      ...(await sessions.opening(opening)),
      event: { actor: 'alice', action: 'session.login', result: 'success' },
    });
    const resolved = await sessions.resolve(opening.token);
    assert.deepEqual(resolved, opening.session);
    assert.equal(resolved.role, 'crypto-user');
  });

  test('the store holds the SHA-256 of the token only, sealed; the id is a prefix of that hash', async () => {
    const sessions = manager();
    const opening = await open(sessions, 'alice');
    const digest = createHash('sha256').update(opening.token).digest('hex');
    assert.deepEqual(
      (await stored(SESSION_PREFIX)).map((entry) => entry.key),
      [`${SESSION_PREFIX}${digest}`],
    );
    assert.deepEqual(
      (await stored(SESSION_USER_INDEX)).map((entry) => entry.key),
      [`${SESSION_USER_INDEX}alice/${digest}`],
    );
    const body = Buffer.from(opening.token.slice('cfs_'.length));
    for (const entry of await stored('')) {
      assert.equal(entry.key.includes(opening.token.slice(4)), false);
      assert.equal(entry.value.indexOf(body), -1);
    }
    const [record] = await stored(SESSION_PREFIX);
    assert.equal(record!.value.indexOf(Buffer.from('alice')), -1, 'the record is sealed');
    assert.equal(opening.session.id, digest.slice(0, 16));
  });

  test('tokens are random and sessions distinct', () => {
    const sessions = manager();
    const tokens = new Set<string>();
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const opening = sessions.mint('alice', 'crypto-user');
      tokens.add(opening.token);
      ids.add(opening.session.id);
    }
    assert.equal(tokens.size, 50);
    assert.equal(ids.size, 50);
  });

  test('an unknown, altered or bare token is SESSION_INVALID', async () => {
    const sessions = manager();
    const { token } = await open(sessions, 'alice');
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    for (const candidate of [
      '',
      'cfs_',
      token.slice(4),
      token.slice(0, -1) + last,
      `${token} `,
      createHash('sha256').update(token).digest('hex'),
    ]) {
      await assert.rejects(sessions.resolve(candidate), hasCode('SESSION_INVALID'), JSON.stringify(candidate));
    }
  });

  test('idle refresh writes only once lastUsedAt is older than the interval; idleMs without use ends it', async () => {
    const sessions = manager();
    const opening = await open(sessions, 'alice');
    const interval = refreshInterval(LIMITS.idleMs);
    const before = await revision();
    for (let i = 0; i < 5; i++) {
      clock.now += interval / 5 - 1;
      await sessions.resolve(opening.token);
    }
    assert.equal(await revision(), before, 'requests within the interval write nothing');
    clock.now += 10;
    assert.equal((await sessions.resolve(opening.token)).lastUsedAt, clock.now);
    assert.equal(await revision(), before + 1, 'one refresh');
    for (let i = 0; i < 3; i++) {
      clock.now += LIMITS.idleMs - 1;
      assert.equal((await sessions.resolve(opening.token)).username, 'alice');
    }
    clock.now += LIMITS.idleMs;
    await assert.rejects(sessions.resolve(opening.token), hasCode('SESSION_INVALID'));
    assert.deepEqual(await stored(SESSION_PREFIX), [], 'the expired session was deleted');
    await tick();
    assert.deepEqual(dropped, [opening.session.id], 'and its session-bound state dropped');
  });

  test('absolute expiry: a session in constant use still ends absoluteMs after it opened', async () => {
    const sessions = manager();
    const start = clock.now;
    const opening = await open(sessions, 'alice');
    while (clock.now + 500 < start + LIMITS.absoluteMs) {
      clock.now += 500;
      await sessions.resolve(opening.token);
    }
    clock.now = start + LIMITS.absoluteMs - 1;
    assert.equal((await sessions.resolve(opening.token)).id, opening.session.id);
    clock.now = start + LIMITS.absoluteMs;
    await assert.rejects(sessions.resolve(opening.token), hasCode('SESSION_INVALID'));
  });

  test('per-user limit: TOO_MANY_SESSIONS at the limit, other users unaffected, room again after a logout or an expiry', async () => {
    const sessions = manager();
    const opened = [await open(sessions, 'alice'), await open(sessions, 'alice'), await open(sessions, 'alice')];
    await assert.rejects(open(sessions, 'alice'), hasCode('TOO_MANY_SESSIONS'));
    assert.equal((await stored(SESSION_PREFIX)).length, 3, 'the refused opening left nothing behind');
    await open(sessions, 'bob');
    await logout(sessions, opened[0]!);
    await open(sessions, 'alice');
    await assert.rejects(open(sessions, 'alice'), hasCode('TOO_MANY_SESSIONS'));
    clock.now += LIMITS.idleMs;
    await open(sessions, 'alice');
    const alices = (await stored(`${SESSION_USER_INDEX}alice/`)).length;
    assert.equal(alices, 1, "the login's commit deleted alice's expired sessions");
  });

  test('a logout ends one session on every node at once and drops its state there', async () => {
    const nodeA = manager();
    const nodeB = manager();
    const a = await open(nodeA, 'alice');
    const b = await open(nodeA, 'alice');
    assert.equal((await nodeB.resolve(a.token)).id, a.session.id, 'made on A, served by B');
    await logout(nodeB, a);
    await assert.rejects(nodeA.resolve(a.token), hasCode('SESSION_INVALID'));
    await assert.rejects(nodeB.resolve(a.token), hasCode('SESSION_INVALID'));
    assert.equal((await nodeA.resolve(b.token)).id, b.session.id);
    await tick();
    assert.deepEqual(dropped, [a.session.id, a.session.id], 'each node dropped what it held for it');
  });

  test("userEnding and closeUser end a user's sessions except `keep`, and no one else's", async () => {
    const sessions = manager();
    const a1 = await open(sessions, 'alice');
    const a2 = await open(sessions, 'alice');
    const a3 = await open(sessions, 'alice');
    const b1 = await open(sessions, 'bob');
    const ending = await sessions.userEnding('alice', a2.session.id);
    assert.equal(ending.length, 4, 'two sessions, each a record and an index entry');
    await sessions.closeUser('alice', a2.session.id, { actor: 'admin', action: 'session.close' });
    assert.equal((await sessions.resolve(a2.token)).id, a2.session.id);
    assert.equal((await sessions.resolve(b1.token)).id, b1.session.id);
    await assert.rejects(sessions.resolve(a1.token), hasCode('SESSION_INVALID'));
    await assert.rejects(sessions.resolve(a3.token), hasCode('SESSION_INVALID'));
    await sessions.closeUser('alice', undefined, { actor: 'admin', action: 'session.close' });
    await assert.rejects(sessions.resolve(a2.token), hasCode('SESSION_INVALID'));
    assert.equal((await sessions.resolve(b1.token)).id, b1.session.id);
  });

  test('closeAll (seal) ends every session in the store and drops all local state', async () => {
    const sessions = manager({ ...LIMITS, perUser: 100 });
    const opened = [];
    for (let i = 0; i < 60; i++) opened.push(await open(sessions, i % 2 ? 'alice' : 'bob'));
    await sessions.closeAll('admin');
    assert.deepEqual(await stored(SESSION_PREFIX), []);
    assert.deepEqual(await stored(SESSION_USER_INDEX), []);
    assert.equal(droppedAll.length, 1);
    for (const { token } of opened.slice(0, 5))
      await assert.rejects(sessions.resolve(token), hasCode('SESSION_INVALID'));
  });

  test('two nodes sweeping at once delete each expired session once and keep the live ones', async () => {
    const limits = { ...LIMITS, perUser: 200 };
    const nodeA = manager(limits);
    // Node B writes through a writer of its own, as another node does.
    const nodeB = manager(limits, t.reader, new RecordWriter(t.store, t.barrier, 'node-2'));
    for (let i = 0; i < 120; i++) await open(nodeA, 'alice');
    clock.now += LIMITS.idleMs - 10;
    const young = await open(nodeB, 'bob');
    clock.now += 10;
    const swept = await Promise.all([nodeA.sweep(), nodeB.sweep()]);
    // A batch that lost a race is left whole for the next sweep: never an error, never twice.
    const again = await nodeB.sweep();
    assert.equal(swept[0]! + swept[1]! + again, 120, `${swept.join('+')}+${again}: each expired session deleted once`);
    assert.ok(swept[0]! + swept[1]! >= 48, 'the first round did most of it');
    assert.equal((await stored(SESSION_PREFIX)).length, 1);
    assert.equal((await nodeA.resolve(young.token)).username, 'bob');
  });

  test('a refresh never brings back a session that ended meanwhile (compared on its revision)', async () => {
    // The reader ends the session right after it was read, before the refresh commits.
    let target: OpeningSession | undefined;
    const racing: Pick<RecordReader, 'getDecoded' | 'keys' | 'forgetDecoded'> = {
      keys: (prefix, options) => t.reader.keys(prefix, options),
      forgetDecoded: () => t.reader.forgetDecoded(),
      async getDecoded(path, kind, decode) {
        const read = await t.reader.getDecoded(path, kind, decode);
        if (target && read && path === sessionPath(createHash('sha256').update(target.token).digest('hex'))) {
          const ending = target;
          target = undefined;
          await logout(plain, ending);
        }
        return read;
      },
    };
    const plain = manager();
    const sessions = manager(LIMITS, racing);
    const opening = await open(plain, 'alice');
    clock.now += refreshInterval(LIMITS.idleMs);
    target = opening;
    await assert.rejects(sessions.resolve(opening.token), hasCode('SESSION_INVALID'));
    assert.deepEqual(await stored(SESSION_PREFIX), [], 'still ended');
  });
});
