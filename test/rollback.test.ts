import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { startNode, type RunningNode } from '../src/cluster/node.js';
import { isCofferError } from '../src/errors/coffer-error.js';
import { AUDIT_EVENT_PREFIX, AUDIT_HEAD_PATH, auditEventPath } from '../src/records/audit-chain.js';
import { createLogger } from '../src/util/logger.js';
import { codeOf } from './support/api.js';
import { registerKey, signerKeys } from './support/quorum-kit.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/**
 * Rollback through the real API over TLS: state is made, old sealed rows are copied out of
 * the store, the state changes, and with the node STOPPED the old rows are put back with SQL
 * on its SQLite file (table kv: key, create_revision, mod_revision, value). The node must not
 * take an older sealed value of a record for the current one, nor a rolled-back audit head.
 */

interface Row {
  key: string;
  create_revision: number;
  mod_revision: number;
  value: Buffer;
}

/** Runs `edit` on the store file of a stopped node. */
function withStore<T>(t: TestNode, edit: (db: Database.Database) => T): T {
  const db = new Database(t.dir.store);
  try {
    return edit(db);
  } finally {
    db.close();
  }
}

const readRow = (t: TestNode, key: string): Row => {
  const row = withStore(t, (db) => db.prepare('SELECT * FROM kv WHERE key = ?').get(key) as Row | undefined);
  assert.ok(row, `no row ${key}`);
  return row;
};

const putBack = (t: TestNode, rows: readonly Row[]): void =>
  withStore(t, (db) => {
    const put = db.prepare(
      'INSERT OR REPLACE INTO kv (key, create_revision, mod_revision, value) VALUES (@key, @create_revision, @mod_revision, @value)',
    );
    db.transaction(() => rows.forEach((row) => put.run(row)))();
  });

/** A logger whose JSON lines the test can read. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

/** The error a start failed with; a node that started after all is stopped, and the test fails. */
async function refusedStart(starting: Promise<RunningNode>): Promise<unknown> {
  const started = await starting.catch((error: unknown) => ({ error }));
  if ('error' in started) return started.error;
  await started.close();
  return assert.fail('the node started');
}

/** Stops a test node whose process was already closed by the test (a refused restart). */
async function cleanUp(t: TestNode): Promise<void> {
  await t.api.close();
  await rm(t.root, { recursive: true, force: true });
}

describe('records rolled back to an older sealed value of themselves are refused', () => {
  let t: TestNode;
  const passwords: Record<string, string> = {};
  const handles: Record<string, string> = {};
  const mfaKeys = signerKeys('ec');

  const login = (username: string, password: string) =>
    t.api.call<{ token?: string }>('POST', '/v1/sessions', { body: { username, password } });
  const aes = async (token: string, label: string, attributes: Record<string, boolean>): Promise<string> => {
    const made = await t.api.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token,
      body: { keyType: 'aes', keyLengthBytes: 32, label, attributes },
    });
    assert.equal(made.status, 201, made.text);
    return made.body.key.handle;
  };

  before(async () => {
    t = await startTestNode();
    // 1. extractable turned false; 2. a key deleted; 3. a password changed; 4. MFA registered.
    const users = Object.fromEntries(
      await Promise.all(
        ['alice', 'bob', 'carol', 'dan'].map(async (name) => [name, await t.cryptoUser(name)] as const),
      ),
    );
    for (const [name, user] of Object.entries(users)) passwords[name] = user.password;
    handles.wrapper = await aes(users.alice!.token, 'wrapper', { wrap: true, unwrap: true });
    handles.payload = await aes(users.alice!.token, 'payload', { extractable: true });
    handles.doomed = await aes(users.bob!.token, 'doomed', {});
    // WAL: the store file can be read while the node runs; these are the old sealed values.
    const old = [`key/${handles.payload}`, `key/${handles.doomed}`, 'user/carol', 'user/dan'].map((key) =>
      readRow(t, key),
    );

    const patched = await t.api.call('PATCH', `/v1/keys/${handles.payload}`, {
      token: users.alice!.token,
      body: { attributes: { extractable: false } },
    });
    assert.equal(patched.status, 200, patched.text);
    const deleted = await t.api.call('DELETE', `/v1/keys/${handles.doomed}`, { token: users.bob!.token });
    assert.equal(deleted.status, 204, deleted.text);
    const changed = await t.api.call('PUT', '/v1/users/me/password', {
      token: users.carol!.token,
      body: { currentPassword: passwords.carol, newPassword: 'carol-new-password' },
    });
    assert.equal(changed.status, 204, changed.text);
    const registered = await registerKey(t.api, users.dan!.token, 'mfa', mfaKeys, passwords.dan!);
    assert.equal(registered.status, 200, registered.text);

    await t.node.close();
    putBack(t, old);
    await t.restart();
  });
  after(() => t.stop());

  test('a key whose extractable was turned false, put back as extractable: refused for read and wrap', async () => {
    const alice = await t.api.login('alice', passwords.alice!);
    const read = await t.api.call('GET', `/v1/keys/${handles.payload}`, { token: alice });
    assert.equal(codeOf(read), 'INTEGRITY_ERROR', read.text);
    const wrapped = await t.api.call('POST', '/v1/keys/wrap', {
      token: alice,
      body: { wrappingKeyHandle: handles.wrapper, keyHandle: handles.payload, mechanism: 'AES_KEY_WRAP_PAD' },
    });
    assert.equal(codeOf(wrapped), 'INTEGRITY_ERROR', wrapped.text);
    assert.equal(wrapped.body.wrappedKey, undefined);
  });

  test('a deleted key put back does not come back', async () => {
    const bob = await t.api.login('bob', passwords.bob!);
    const read = await t.api.call('GET', `/v1/keys/${handles.doomed}`, { token: bob });
    assert.notEqual(read.status, 200, read.text);
    assert.ok(['INTEGRITY_ERROR', 'KEY_NOT_FOUND'].includes(codeOf(read) ?? ''), read.text);
    const used = await t.api.call('POST', '/v1/crypto/encrypt', {
      token: bob,
      body: { keyHandle: handles.doomed, mechanism: 'AES_GCM', plaintext: Buffer.from('x').toString('base64') },
    });
    assert.notEqual(used.status, 200, used.text);
  });

  test('a password change rolled back: the old password no longer logs in', async () => {
    const answer = await login('carol', passwords.carol!);
    assert.equal(codeOf(answer), 'INTEGRITY_ERROR', answer.text);
    assert.equal(answer.body.token, undefined);
  });

  test('an MFA registration rolled back to the record without MFA: a login without MFA is refused', async () => {
    const answer = await login('dan', passwords.dan!);
    assert.equal(codeOf(answer), 'INTEGRITY_ERROR', answer.text);
    assert.equal(answer.body.token, undefined);
  });
});

describe('a rolled-back or missing audit head stops the node', () => {
  test('the newest events deleted and the old head put back: the node refuses to start (AUDIT_HEAD_STALE)', async () => {
    const t = await startTestNode();
    try {
      const { token } = await t.cryptoUser('erin');
      await aesKey(t, token, 'before');
      const head = readRow(t, AUDIT_HEAD_PATH);
      // Later state, each change with its event: a key made, a key changed, a user made.
      const later = await aesKey(t, token, 'later');
      await t.api.call('PATCH', `/v1/keys/${later}`, { token, body: { label: 'renamed' } });
      await t.cryptoUser('frank');
      await t.node.close();

      const oldSeq = headSeq(t, head);
      withStore(t, (db) => {
        db.prepare(`DELETE FROM kv WHERE key > ? AND key LIKE '${AUDIT_EVENT_PREFIX}%'`).run(auditEventPath(oldSeq));
        db.prepare(`DELETE FROM kv WHERE key LIKE 'audit/checkpoint/%'`).run();
      });
      putBack(t, [head]);

      const { logger, lines } = capturingLogger();
      const refusal = await refusedStart(startNode({ dataDir: t.dir.root, port: 0, logger }));
      assert.ok(isCofferError(refusal, 'AUDIT_HEAD_STALE'), String(refusal));
      assert.ok(
        lines.some((line) => line.includes('"code":"AUDIT_HEAD_STALE"')),
        'the refusal is logged with its code',
      );
      const events = withStore(t, (db) =>
        db.prepare(`SELECT COUNT(*) AS n FROM kv WHERE key LIKE 'audit/event/%'`).get(),
      );
      assert.deepEqual(events, { n: oldSeq }, 'nothing was appended');
    } finally {
      await cleanUp(t);
    }
  });

  test('audit/head deleted: unseal is refused (AUDIT_HEAD_MISSING), the node stays sealed, the chain is not restarted', async () => {
    const t = await startTestNode({ mode: 'production' });
    try {
      await t.cryptoUser('gina');
      await t.node.close();
      const first = readRow(t, auditEventPath(1));
      const count = (): unknown =>
        withStore(t, (db) => db.prepare(`SELECT COUNT(*) AS n FROM kv WHERE key LIKE 'audit/event/%'`).get());
      const before = count();
      withStore(t, (db) => db.prepare('DELETE FROM kv WHERE key = ?').run(AUDIT_HEAD_PATH));

      const { logger, lines } = capturingLogger();
      t.node = await startNode({ dataDir: t.dir.root, port: t.node.port, logger });
      try {
        const refused = await t.unsealAll().then(
          () => false,
          (error: unknown) => /AUDIT_HEAD_MISSING/.test(String(error)),
        );
        assert.ok(refused, 'unseal answers AUDIT_HEAD_MISSING');
        assert.equal(t.node.cluster.sealed, true);
        const status = await t.api.call<{ sealed: boolean }>('GET', '/v1/cluster/status');
        assert.equal(status.body.sealed, true);
        assert.ok(lines.some((line) => line.includes('"code":"AUDIT_HEAD_MISSING"')));
      } finally {
        await t.node.close();
      }
      assert.deepEqual(readRow(t, auditEventPath(1)).value, first.value, 'event 1 is not overwritten');
      assert.deepEqual(count(), before, 'no event was appended');
    } finally {
      await cleanUp(t);
    }
  });
});

async function aesKey(t: TestNode, token: string, label: string): Promise<string> {
  const made = await t.api.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
    token,
    body: { keyType: 'aes', keyLengthBytes: 32, label, attributes: {} },
  });
  assert.equal(made.status, 201, made.text);
  return made.body.key.handle;
}

/** The head's seq, as the events on disk show it (the head itself is sealed). */
function headSeq(t: TestNode, head: Row): number {
  const events = withStore(
    t,
    (db) =>
      db
        .prepare(`SELECT key, mod_revision FROM kv WHERE key LIKE 'audit/event/%' AND mod_revision <= ? ORDER BY key`)
        .all(head.mod_revision) as { key: string }[],
  );
  return events.length;
}
