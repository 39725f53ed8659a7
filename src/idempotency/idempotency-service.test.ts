import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { openTestStore, type TestStore } from '../../test/support/test-store.js';
import { isCofferError } from '../errors/coffer-error.js';
import { RecordReader } from '../records/record-reader.js';
import { RecordWriter } from '../records/record-writer.js';
import { claimingWrites, type WriteOutcome } from '../records/write-claim.js';
import { IDEMPOTENCY_PREFIX } from './idempotency-record.js';
import { IdempotencyService, type IdempotentRequest } from './idempotency-service.js';

const request = (key: string, body: string): IdempotentRequest => ({
  key,
  digest: createHash('sha256').update(body).digest(),
});

describe('IdempotencyService', () => {
  let env: TestStore;
  let now: Date;
  let service: IdempotencyService;
  let made: number;

  const serviceOver = (writer: RecordWriter): IdempotencyService =>
    new IdempotencyService({
      reader: env.reader,
      writer,
      blind: (namespace, value) => env.barrier.blindIndex(namespace, value),
      clock: () => now,
      retentionMs: 60_000,
    });

  /** A write as an operation makes it: one commit putting one record, its event by `actor`. */
  const write =
    (writer: RecordWriter, actor = 'alice', wait?: Promise<void>) =>
    async (): Promise<string> =>
      claimingWrites('thing.create', async () => {
        await wait;
        made += 1;
        const path = `thing/${made}`;
        await writer.commit({
          compares: [{ key: path, modRevision: 0 }],
          changes: [{ type: 'put', path, kind: 'object', plaintext: Buffer.from('{}') }],
          event: { actor, action: 'thing.create', target: path, result: 'success' },
        });
        return path;
      });
  const replay = async (outcome: WriteOutcome): Promise<string> => `replayed ${outcome.target}`;
  const records = async (): Promise<string[]> =>
    (await env.store.range(IDEMPOTENCY_PREFIX, { keysOnly: true })).entries.map((entry) => entry.key);

  beforeEach(async () => {
    env = await openTestStore('coffer-idem-');
    now = new Date('2027-01-01T00:00:00Z');
    service = serviceOver(env.writer);
    made = 0;
  });
  afterEach(() => env.close());

  test('the first request writes; a retry replays its outcome and writes nothing', async () => {
    const first = await service.run(request('key-0000000000001', 'a'), 'alice', write(env.writer), replay);
    const second = await service.run(request('key-0000000000001', 'a'), 'alice', write(env.writer), replay);
    assert.equal(first, 'thing/1');
    assert.equal(second, 'replayed thing/1');
    assert.equal(made, 1);
    assert.equal((await records()).length, 1);
  });

  test('the same key with another request is IDEMPOTENCY_KEY_REUSED', async () => {
    await service.run(request('key-0000000000002', 'a'), 'alice', write(env.writer), replay);
    await assert.rejects(service.run(request('key-0000000000002', 'b'), 'alice', write(env.writer), replay), (error) =>
      isCofferError(error, 'IDEMPOTENCY_KEY_REUSED'),
    );
    assert.equal(made, 1);
  });

  test('two nodes racing one key over one store: one write commits, both answer it', async () => {
    const other = new RecordWriter(env.store, env.barrier, 'node-2');
    const otherService = new IdempotencyService({
      reader: new RecordReader(env.store, env.barrier),
      writer: other,
      blind: (namespace, value) => env.barrier.blindIndex(namespace, value),
      clock: () => now,
    });
    // Both look for the record before either writes: the race is decided by the transaction.
    let release!: () => void;
    const both = new Promise<void>((resolve) => (release = resolve));
    const answers = Promise.all([
      service.run(request('key-0000000000003', 'a'), 'alice', write(env.writer, 'alice', both), replay),
      otherService.run(request('key-0000000000003', 'a'), 'alice', write(other, 'alice', both), replay),
    ]);
    setTimeout(release, 50);
    const [one, two] = await answers;
    assert.equal(made, 2, 'both wrote, as both found no record');
    const winner = [one, two].find((answer) => !answer.startsWith('replayed'))!;
    assert.deepEqual([one, two].sort(), [winner, `replayed ${winner}`].sort());
    const things = (await env.store.range('thing/', { keysOnly: true })).entries;
    assert.equal(things.length, 1, 'only the winner committed');
  });

  test('a write that fails leaves no record: the retry runs', async () => {
    const failing = () => claimingWrites('thing.create', () => Promise.reject(new Error('refused')));
    await assert.rejects(service.run(request('key-0000000000004', 'a'), 'alice', failing, replay), /refused/);
    assert.deepEqual(await records(), []);
    assert.equal(await service.run(request('key-0000000000004', 'a'), 'alice', write(env.writer), replay), 'thing/1');
  });

  test("only the operation's own successful commit by its user carries the record, once", async () => {
    const key = 'key-0000000000005';
    // Outside claimingWrites (the gate's commits): no record.
    await service.run(
      request(key, 'a'),
      'alice',
      () => env.writer.commit({ event: { actor: 'alice', action: 'key.use', result: 'success' } }),
      async () => assert.fail('no record was written'),
    );
    // A refusal, or another actor's commit (a system flush), inside the operation: no record.
    await service.run(
      request(key, 'a'),
      'alice',
      () =>
        claimingWrites('thing.create', async () => {
          await env.writer.commit({ event: { actor: 'alice', action: 'x', result: 'failure', code: 'CONFLICT' } });
          await env.writer.commit({ event: { actor: 'system', action: 'key.usage-flush', result: 'success' } });
        }),
      async () => assert.fail('no record was written'),
    );
    assert.deepEqual(await records(), []);
    // The first success of alice's carries it; a second commit does not write it again.
    await service.run(
      request(key, 'a'),
      'alice',
      () =>
        claimingWrites('thing.create', async () => {
          const path = await write(env.writer)();
          await env.writer.commit({ event: { actor: 'alice', action: 'thing.note', result: 'success' } });
          return path;
        }),
      replay,
    );
    assert.equal((await records()).length, 1);
    assert.equal(await service.run(request(key, 'a'), 'alice', write(env.writer), replay), 'replayed thing/1');
  });

  test('keys are per user, blinded in the path, and the record keeps no request body', async () => {
    const key = 'a-client-chosen-key-6';
    await service.run(request(key, 'secret-body'), 'alice', write(env.writer, 'alice'), replay);
    assert.equal(await service.run(request(key, 'other'), 'bob', write(env.writer, 'bob'), replay), 'thing/2');
    const paths = await records();
    assert.deepEqual(paths.map((path) => path.split('/')[1]).sort(), ['alice', 'bob']);
    for (const path of paths) assert.ok(!path.includes(key));
    const opened = await env.reader.get(
      paths.find((path) => path.includes('/alice/'))!,
      'idempotency',
    );
    const text = opened!.plaintext.toString('utf8');
    assert.ok(!text.includes('secret-body') && !text.includes(key));
    assert.deepEqual(JSON.parse(text).outcome, {
      operation: 'thing.create',
      target: 'thing/1',
      put: ['thing/1'],
      deleted: [],
    });
  });

  test('past its retention a record is forgotten, then swept through the expiry index, a batch to an event', async () => {
    for (let i = 0; i < 105; i++)
      await service.run(request(`key-expiring-${String(i).padStart(4, '0')}`, 'a'), 'alice', write(env.writer), replay);
    now = new Date(now.getTime() + 30_000);
    await service.run(request('key-still-fresh-0', 'a'), 'alice', write(env.writer), replay);
    now = new Date(now.getTime() + 31_000);
    // Expired, not yet swept: the retry runs again, over the old record.
    assert.equal(
      await service.run(request('key-expiring-0000', 'a'), 'alice', write(env.writer), replay),
      `thing/${made}`,
    );
    const removed = await service.sweep();
    assert.equal(removed, 104);
    assert.equal((await records()).length, 2);
    const chain = await env.store.range('audit/event/', { limit: 1000 });
    const sweeps = chain.entries
      .map((entry) => JSON.parse(env.barrier.openRecord(entry.key, 'audit-event', entry.value).toString('utf8')))
      .filter((event: { action: string }) => event.action === 'idempotency.sweep');
    // The expiry index is read in time order, 50 records to a transaction and its event.
    const counts: number[] = sweeps.map((event: { details: { records: number } }) => event.details.records);
    assert.deepEqual(counts, [50, 50, 4]);
    assert.equal(await service.sweep(), 0);
    // What is left: the two live records, each with its one expiry entry.
    const index = await env.store.range('idx/idem-expiry/', { keysOnly: true });
    assert.equal(index.entries.length, 2);
  });
});
