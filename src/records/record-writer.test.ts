import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Barrier } from '../barrier/barrier.js';
import { recordHeader } from '../barrier/sealed-record.js';
import { isCofferError } from '../errors/coffer-error.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { GENESIS_HASH, chainHash, type AuditEvent } from './audit-chain.js';
import { RecordReader } from './record-reader.js';
import { AUDIT_EVENT_PREFIX, AUDIT_HEAD_PATH, RecordWriter, auditEventPath } from './record-writer.js';

interface Node {
  readonly store: SqliteStore;
  readonly barrier: Barrier;
  readonly reader: RecordReader;
  readonly writer: RecordWriter;
}

function isConflict(error: unknown): boolean {
  return isCofferError(error, 'CONFLICT');
}

function withoutHash(event: AuditEvent): Omit<AuditEvent, 'hash'> {
  const { hash: _hash, ...rest } = event;
  return rest;
}

/** Checks the whole chain as an offline verifier would, from the stored events alone. */
function assertChain(events: readonly AuditEvent[]): void {
  let prev = GENESIS_HASH;
  events.forEach((event, index) => {
    assert.equal(event.seq, index + 1, `seq at position ${index}`);
    assert.equal(event.prevHash, prev, `prevHash of seq ${event.seq}`);
    assert.equal(event.hash, chainHash(withoutHash(event)), `hash of seq ${event.seq}`);
    prev = event.hash;
  });
}

/** The stored events in order (the record layer's view: src/audit/ builds its reader on this). */
async function listEvents(reader: RecordReader, afterSeq: number, limit: number) {
  const after = afterSeq > 0 ? auditEventPath(afterSeq) : undefined;
  const page = await reader.page(AUDIT_EVENT_PREFIX, 'audit-event', { after, limit });
  return {
    events: page.records.map((record) => JSON.parse(record.plaintext.toString('utf8')) as AuditEvent),
    more: page.more,
  };
}

describe('RecordWriter and RecordReader', () => {
  let dir: string;
  let rootKey: Buffer;
  let stores: SqliteStore[];
  let node: Node;

  /** A "node": its own store connection to the shared file, barrier, reader and writer. */
  async function openNode(nodeId: string, clock?: () => Date): Promise<Node> {
    const store = await openSqliteStore(join(dir, 'state.db'));
    stores.push(store);
    const barrier = new Barrier(store);
    await barrier.unseal(rootKey);
    return {
      store,
      barrier,
      reader: new RecordReader(store, barrier),
      writer: new RecordWriter(store, barrier, nodeId, clock),
    };
  }

  async function events(reader: RecordReader = node.reader): Promise<AuditEvent[]> {
    const page = await listEvents(reader, 0, 1000);
    assert.equal(page.more, false);
    return page.events;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-records-'));
    rootKey = randomBytes(32);
    stores = [];
    const first = await openSqliteStore(join(dir, 'state.db'));
    const created = await first.txn([], [Barrier.initialKeyring(rootKey, { clusterId: 'c', mode: 'dev' }, new Date())]);
    assert.ok(created.succeeded);
    await first.close();
    node = await openNode('node-a');
  });

  afterEach(async () => {
    for (const store of stores) await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('each commit appends one event: seq 1, 2, 3 … gap-free, each hash chained to the previous', async () => {
    const times = [
      '2025-01-01T00:00:00.000Z',
      '2025-01-01T00:00:01.000Z',
      '2025-01-01T00:00:02.000Z',
      '2025-01-01T00:00:03.000Z',
    ];
    let tick = 0;
    const timed = await openNode('node-t', () => new Date(times[tick++]!));
    const returned: AuditEvent[] = [];
    for (let i = 0; i < 4; i++) {
      returned.push(
        await timed.writer.commit({
          changes: [{ type: 'put', path: `user/u${i}`, kind: 'user', plaintext: Buffer.from(`{"n":${i}}`) }],
          event: { actor: 'system', action: 'test.put', target: `user/u${i}`, result: 'success', details: { n: i } },
        }),
      );
      const stored = await events(timed.reader);
      assert.equal(stored.length, i + 1, 'one event per commit');
    }
    const stored = await events(timed.reader);
    assert.deepEqual(stored, returned);
    assertChain(stored);
    assert.equal(stored[0]!.prevHash, GENESIS_HASH);
    assert.deepEqual(
      stored.map((e) => e.time),
      times,
    );
    assert.deepEqual(
      stored.map((e) => e.node),
      ['node-t', 'node-t', 'node-t', 'node-t'],
    );
    assert.deepEqual(
      stored.map((e) => e.details?.n),
      [0, 1, 2, 3],
    );
    const keys = (await timed.reader.keys(AUDIT_EVENT_PREFIX, {})).keys;
    assert.deepEqual(keys, [1, 2, 3, 4].map(auditEventPath));
    const head = await timed.reader.get(AUDIT_HEAD_PATH, 'audit-head');
    assert.deepEqual(JSON.parse(head!.plaintext.toString('utf8')), { seq: 4, hash: stored[3]!.hash });
  });

  test('altering any stored event breaks the chain check', async () => {
    for (let i = 0; i < 3; i++)
      await node.writer.commit({ event: { actor: 'system', action: 'test.noop', result: 'success' } });
    const stored = await events();
    const forged = stored.map((event, index) => (index === 1 ? { ...event, actor: 'mallory' } : event));
    assert.throws(() => assertChain(forged), /hash of seq 2/);
    const dropped = [stored[0]!, stored[2]!];
    assert.throws(() => assertChain(dropped));
  });

  test('an event with an optional field given as undefined still verifies from its stored form', async () => {
    await node.writer.commit({
      event: {
        actor: 'system',
        action: 'test.optional',
        target: undefined,
        code: undefined,
        details: undefined,
        result: 'success',
      },
    });
    await node.writer.commit({ event: { actor: 'system', action: 'test.next', result: 'success' } });
    assertChain(await events());
  });

  test('a committed put is sealed in the store and readable through the reader; its plaintext is zeroed', async () => {
    const plaintext = Buffer.from(JSON.stringify({ secret: randomBytes(8).toString('hex') }));
    const copy = Buffer.from(plaintext);
    const pending = node.writer.commit({
      compares: [{ key: 'user/alice', modRevision: 0 }],
      changes: [{ type: 'put', path: 'user/alice', kind: 'user', plaintext }],
      event: { actor: 'admin', action: 'user.create', target: 'user/alice', result: 'success' },
    });
    assert.deepEqual(plaintext, Buffer.alloc(copy.length), 'zeroed as soon as it is sealed');
    await pending;
    const raw = await node.store.get('user/alice');
    assert.ok(raw);
    assert.equal(raw.value.indexOf(copy), -1, 'the store holds no plaintext');
    const opened = await node.reader.get('user/alice', 'user');
    assert.deepEqual(opened?.plaintext, copy);
    assert.equal(opened?.modRevision, raw.modRevision);
    assert.equal(await node.reader.get('user/nobody', 'user'), undefined);
  });

  test('index and delete changes', async () => {
    await node.writer.commit({
      changes: [
        { type: 'put', path: 'key/0x01', kind: 'key', plaintext: Buffer.from('k') },
        { type: 'index', path: 'index/label/abc/key/0x01' },
      ],
      event: { actor: 'alice', action: 'key.generate', result: 'success' },
    });
    const index = await node.store.get('index/label/abc/key/0x01');
    assert.equal(index?.value.length, 0);
    assert.deepEqual((await node.reader.keys('index/label/', {})).keys, ['index/label/abc/key/0x01']);
    await node.writer.commit({
      changes: [
        { type: 'delete', path: 'key/0x01' },
        { type: 'delete', path: 'index/label/abc/key/0x01' },
      ],
      event: { actor: 'alice', action: 'key.delete', result: 'success' },
    });
    assert.equal(await node.store.get('key/0x01'), undefined);
    assert.equal(await node.store.get('index/label/abc/key/0x01'), undefined);
    assert.deepEqual(
      (await events()).map((e) => e.seq),
      [1, 2],
    );
  });

  test('each record is sealed with the seq of its event, which names the records put and deleted', async () => {
    const first = await node.writer.commit({
      changes: [
        { type: 'put', path: 'key/0x01', kind: 'key', plaintext: Buffer.from('k') },
        { type: 'index', path: 'idx/key-label/abc/0x01' },
      ],
      event: { actor: 'alice', action: 'key.generate', result: 'success' },
    });
    assert.deepEqual(first.put, ['key/0x01'], 'index entries are not named');
    assert.equal(first.deleted, undefined);
    assert.equal(recordHeader('key/0x01', (await node.store.get('key/0x01'))!.value).seq, first.seq);
    const second = await node.writer.commit({
      changes: [
        { type: 'delete', path: 'key/0x01' },
        { type: 'delete', path: 'idx/key-label/abc/0x01' },
      ],
      event: { actor: 'alice', action: 'key.delete', result: 'success' },
    });
    assert.deepEqual(second.deleted, ['key/0x01']);
    assert.equal(second.put, undefined);
    const login = await node.writer.commit({ event: { actor: 'alice', action: 'session.login', result: 'success' } });
    assert.equal('put' in login || 'deleted' in login, false, 'an event that writes nothing names nothing');
    assertChain(await events());
  });

  test('a commit retried after another node moved the head is sealed again with its new seq', async () => {
    const other = await openNode('node-b');
    await node.writer.commit({ event: { actor: 'a', action: 'x', result: 'success' } });
    // node-b's cached head is now stale: its first attempt fails and it retries at seq 3.
    await other.writer.commit({ event: { actor: 'b', action: 'y', result: 'success' } });
    await node.writer.commit({ event: { actor: 'a', action: 'x', result: 'success' } });
    const late = await other.writer.commit({
      changes: [{ type: 'put', path: 'user/bob', kind: 'user', plaintext: Buffer.from('b') }],
      event: { actor: 'b', action: 'user.create', result: 'success' },
    });
    assert.equal(late.seq, 4);
    assert.equal(recordHeader('user/bob', (await node.store.get('user/bob'))!.value).seq, 4);
  });

  test('with the head gone the chain is not restarted over its history (AUDIT_HEAD_MISSING)', async () => {
    await node.writer.commit({ event: { actor: 'a', action: 'x', result: 'success' } });
    const firstEvent = (await node.store.get(auditEventPath(1)))!.value;
    await node.store.txn([], [{ type: 'delete', key: AUDIT_HEAD_PATH }]);
    const fresh = await openNode('node-c');
    await assert.rejects(
      fresh.writer.commit({ event: { actor: 'a', action: 'x', result: 'success' } }),
      (error: unknown) => isCofferError(error, 'AUDIT_HEAD_MISSING'),
    );
    assert.deepEqual((await node.store.get(auditEventPath(1)))!.value, firstEvent);
  });

  test('a failed caller compare gives CONFLICT and writes nothing: no record, no event, seq unchanged', async () => {
    await node.writer.commit({
      changes: [{ type: 'put', path: 'user/alice', kind: 'user', plaintext: Buffer.from('v1') }],
      event: { actor: 'admin', action: 'user.create', result: 'success' },
    });
    const revision = await node.store.revision();
    await assert.rejects(
      node.writer.commit({
        compares: [{ key: 'user/alice', modRevision: 0 }],
        changes: [
          { type: 'put', path: 'user/alice', kind: 'user', plaintext: Buffer.from('v2') },
          { type: 'put', path: 'user/bob', kind: 'user', plaintext: Buffer.from('b') },
        ],
        event: { actor: 'admin', action: 'user.create', result: 'success' },
      }),
      isConflict,
    );
    assert.equal(await node.store.revision(), revision);
    assert.deepEqual((await node.reader.get('user/alice', 'user'))?.plaintext, Buffer.from('v1'));
    assert.equal(await node.store.get('user/bob'), undefined);
    assert.equal((await events()).length, 1);
    const next = await node.writer.commit({ event: { actor: 'admin', action: 'test.after', result: 'success' } });
    assert.equal(next.seq, 2);
    assertChain(await events());
  });

  test('a stale caller compare is a CONFLICT even when another node moved the head meanwhile', async () => {
    const other = await openNode('node-b');
    await node.writer.commit({
      changes: [{ type: 'put', path: 'user/alice', kind: 'user', plaintext: Buffer.from('v1') }],
      event: { actor: 'admin', action: 'user.create', result: 'success' },
    });
    const read = await node.reader.get('user/alice', 'user');
    assert.ok(read);
    await other.writer.commit({
      compares: [{ key: 'user/alice', modRevision: read.modRevision }],
      changes: [{ type: 'put', path: 'user/alice', kind: 'user', plaintext: Buffer.from('v2') }],
      event: { actor: 'admin', action: 'user.update', result: 'success' },
    });
    await assert.rejects(
      node.writer.commit({
        compares: [{ key: 'user/alice', modRevision: read.modRevision }],
        changes: [{ type: 'put', path: 'user/alice', kind: 'user', plaintext: Buffer.from('v3') }],
        event: { actor: 'admin', action: 'user.update', result: 'success' },
      }),
      isConflict,
    );
    assert.deepEqual((await node.reader.get('user/alice', 'user'))?.plaintext, Buffer.from('v2'));
    const stored = await events();
    assert.equal(stored.length, 2);
    assertChain(stored);
  });

  test('two nodes interleaving commits on one store never fork the chain', async () => {
    const other = await openNode('node-b');
    // Strict alternation: each writer's cached head is stale on every commit after its first.
    for (let i = 0; i < 6; i++) {
      const writer = i % 2 === 0 ? node.writer : other.writer;
      const event = await writer.commit({
        changes: [{ type: 'put', path: `data/${i}`, kind: 'user', plaintext: Buffer.from(String(i)) }],
        event: { actor: 'system', action: 'test.alternate', result: 'success', details: { i } },
      });
      assert.equal(event.seq, i + 1);
    }
    // Concurrent: both writers at once, many commits each. Whatever the interleaving, every
    // commit either lands with its event or is refused whole: the chain stays linear.
    const each = 15;
    const attempts = [node, other].flatMap((n, w) =>
      Array.from({ length: each }, (_, i) => ({
        path: `data/w${w}/${i}`,
        result: n.writer.commit({
          changes: [{ type: 'put', path: `data/w${w}/${i}`, kind: 'user', plaintext: Buffer.from('x') }],
          event: {
            actor: 'system',
            action: 'test.concurrent',
            result: 'success',
            details: { path: `data/w${w}/${i}` },
          },
        }),
      })),
    );
    const settled = await Promise.allSettled(attempts.map((a) => a.result));
    const stored = await events(other.reader);
    assertChain(stored);
    const succeeded = settled.filter((s) => s.status === 'fulfilled').length;
    assert.equal(stored.length, 6 + succeeded, 'one event per successful commit, none for a refused one');
    for (const [index, outcome] of settled.entries()) {
      const { path } = attempts[index]!;
      const record = await node.store.get(path);
      if (outcome.status === 'fulfilled') {
        assert.ok(record, `${path} committed`);
        assert.equal(stored[outcome.value.seq - 1]?.details?.path, path);
      } else {
        assert.ok(isConflict(outcome.reason), `${path}: only CONFLICT may refuse a commit`);
        assert.equal(record, undefined, `${path} was refused whole`);
      }
    }
    assert.deepEqual(new Set(stored.map((e) => e.node)), new Set(['node-a', 'node-b']));
  });

  test('a writer is not starved by another node with a backlog of commits', async () => {
    const other = await openNode('node-b');
    const each = 15;
    const settled = await Promise.allSettled(
      [node, other].flatMap((n) =>
        Array.from({ length: each }, () =>
          n.writer.commit({ event: { actor: 'system', action: 'test.backlog', result: 'success' } }),
        ),
      ),
    );
    assert.deepEqual(settled.filter((s) => s.status === 'rejected').length, 0);
  });

  test("after a lost head race, a group's compares are read at once, not one store round each", async () => {
    const other = await openNode('node-b');
    let inFlight = 0;
    let most = 0;
    // node-a's store, each get of a compared key taking a while, as an etcd round does.
    const slow = new Proxy(node.store, {
      get(target, property) {
        if (property === 'get')
          return async (key: string) => {
            if (!key.startsWith('claim/')) return target.get(key);
            most = Math.max(most, ++inFlight);
            await new Promise((resolve) => setTimeout(resolve, 5));
            inFlight--;
            return target.get(key);
          };
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const writer = new RecordWriter(slow, node.barrier, 'node-a');
    const event = { actor: 'system', action: 'test.race', result: 'success' } as const;
    await writer.commit({ event });
    // Another node moves the head: node-a's cached head is stale, so its next group loses once.
    await other.writer.commit({ event });
    const group = Array.from({ length: 8 }, (_, i) =>
      writer.commit({
        compares: [{ key: `claim/${i}`, modRevision: 0 }],
        changes: [{ type: 'index', path: `claim/${i}` }],
        event,
      }),
    );
    await Promise.all(group);
    assert.ok(most > 1, `the compares were read one at a time (at most ${most} in flight)`);
  });

  test('the reader refuses a tampered record and a record copied to another path', async () => {
    await node.writer.commit({
      changes: [{ type: 'put', path: 'user/alice', kind: 'user', plaintext: Buffer.from('alice') }],
      event: { actor: 'admin', action: 'user.create', result: 'success' },
    });
    const raw = await node.store.get('user/alice');
    assert.ok(raw);
    await node.store.txn([], [{ type: 'put', key: 'user/mallory', value: raw.value }]);
    await assert.rejects(node.reader.get('user/mallory', 'user'), (error: unknown) =>
      isCofferError(error, 'INTEGRITY_ERROR'),
    );
    await assert.rejects(node.reader.page('user/', 'user', {}), (error: unknown) =>
      isCofferError(error, 'INTEGRITY_ERROR'),
    );
    const altered = Buffer.from(raw.value);
    altered[altered.length - 1] = altered[altered.length - 1]! ^ 1;
    await node.store.txn([], [{ type: 'put', key: 'user/alice', value: altered }]);
    await assert.rejects(node.reader.get('user/alice', 'user'), (error: unknown) =>
      isCofferError(error, 'INTEGRITY_ERROR'),
    );
    await assert.rejects(node.reader.get('user/alice', 'key'), (error: unknown) =>
      isCofferError(error, 'INTEGRITY_ERROR'),
    );
  });

  test('the reader pages through records in order', async () => {
    for (const name of ['carol', 'alice', 'bob']) {
      await node.writer.commit({
        changes: [{ type: 'put', path: `user/${name}`, kind: 'user', plaintext: Buffer.from(name) }],
        event: { actor: 'admin', action: 'user.create', result: 'success' },
      });
    }
    const first = await node.reader.page('user/', 'user', { limit: 2 });
    assert.deepEqual(
      first.records.map((r) => [r.path, r.plaintext.toString()]),
      [
        ['user/alice', 'alice'],
        ['user/bob', 'bob'],
      ],
    );
    assert.equal(first.more, true);
    const second = await node.reader.page('user/', 'user', { limit: 2, after: 'user/bob' });
    assert.deepEqual(
      second.records.map((r) => r.path),
      ['user/carol'],
    );
    assert.equal(second.more, false);
    const audit = await listEvents(node.reader, 1, 1);
    assert.deepEqual(
      audit.events.map((e) => e.seq),
      [2],
    );
    assert.equal(audit.more, true);
  });

  test('a sealed barrier makes commit fail with NODE_SEALED and write nothing', async () => {
    node.barrier.seal();
    const revision = await node.store.revision();
    await assert.rejects(
      async () =>
        node.writer.commit({
          changes: [{ type: 'put', path: 'user/x', kind: 'user', plaintext: Buffer.from('x') }],
          event: { actor: 'a', action: 'b', result: 'success' },
        }),
      (error: unknown) => isCofferError(error, 'NODE_SEALED'),
    );
    await assert.rejects(
      async () => node.writer.commit({ event: { actor: 'a', action: 'b', result: 'success' } }),
      (error: unknown) => isCofferError(error, 'NODE_SEALED'),
    );
    assert.equal(await node.store.revision(), revision);
  });
});

/** A fresh keyring in `store`, and a barrier unsealed over it. */
async function unsealedBarrier(store: SqliteStore): Promise<Barrier> {
  const rootKey = randomBytes(32);
  await store.txn([], [Barrier.initialKeyring(rootKey, { clusterId: 'c', mode: 'dev' }, new Date())]);
  const barrier = new Barrier(store);
  await barrier.unseal(rootKey);
  return barrier;
}

describe('group commit', () => {
  test('commits queued together share one transaction and keep their own events in order', async () => {
    const root = await mkdtemp(join(tmpdir(), 'coffer-group-'));
    const store = await openSqliteStore(join(root, 'store.db'));
    try {
      const barrier = await unsealedBarrier(store);
      const writer = new RecordWriter(store, barrier, 'node-g');
      const before = await store.revision();
      const commits = Array.from({ length: 20 }, (_, index) =>
        writer.commit({
          compares: [{ key: `thing/${index}`, modRevision: 0 }],
          changes: [{ type: 'put', path: `thing/${index}`, kind: 'key', plaintext: Buffer.from(`thing ${index}`) }],
          event: { actor: 'system', action: 'test.group', target: `thing/${index}`, result: 'success' },
        }),
      );
      const events = await Promise.all(commits);
      assert.deepEqual(
        events.map((event) => event.seq),
        Array.from({ length: 20 }, (_, index) => index + 1),
      );
      assert.ok((await store.revision()) - before < 20, 'fewer transactions than commits');
      for (let index = 1; index < events.length; index++)
        assert.equal(events[index]!.prevHash, events[index - 1]!.hash);
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  test('one failing condition in a group fails only its own commit', async () => {
    const root = await mkdtemp(join(tmpdir(), 'coffer-group-'));
    const store = await openSqliteStore(join(root, 'store.db'));
    try {
      const barrier = await unsealedBarrier(store);
      const writer = new RecordWriter(store, barrier, 'node-g');
      await writer.commit({
        changes: [{ type: 'put', path: 'thing/taken', kind: 'key', plaintext: Buffer.from('x') }],
        event: { actor: 'system', action: 'test.setup', result: 'success' },
      });
      const outcomes = await Promise.allSettled(
        ['a', 'taken', 'b'].map((name) =>
          writer.commit({
            compares: [{ key: `thing/${name}`, modRevision: 0 }],
            changes: [{ type: 'put', path: `thing/${name}`, kind: 'key', plaintext: Buffer.from(name) }],
            event: { actor: 'system', action: 'test.group', target: name, result: 'success' },
          }),
        ),
      );
      assert.deepEqual(
        outcomes.map((outcome) => outcome.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.ok(isCofferError((outcomes[1] as PromiseRejectedResult).reason, 'CONFLICT'));
      const seqs = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value.seq] : []));
      assert.deepEqual(seqs, [2, 3], 'no gap where the failed commit was');
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
