import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Barrier, KEYRING_PATH } from '../barrier/barrier.js';
import { RecordReader } from '../records/record-reader.js';
import { RecordWriter } from '../records/record-writer.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import type { AuditEvent, AuditEventInput } from './audit-event.js';
import { AuditReader } from './audit-reader.js';
import {
  REFUSAL_RULES,
  RefusalBudget,
  SUPPRESSED_ACTION,
  originOf,
  sourceAddress,
  type RefusalOrigin,
} from './refusal-budget.js';

const START = Date.parse('2026-03-01T10:00:00.000Z');
const WINDOW = REFUSAL_RULES.windowMs;

/** A refusal as the KMS face writes one (the access key id in the target, never in a summary). */
function refusal(reason: string): AuditEventInput {
  return {
    actor: 'anonymous',
    action: 'kms.authenticate',
    target: 'access-key/AKCFSECRETLOOKINGID01',
    result: 'failure',
    code: 'SIGV4_SIGNATURE_INVALID',
    details: { reason },
  };
}

function kms(address: string): RefusalOrigin {
  return { face: 'kms', address };
}

describe('the source of a refusal', () => {
  test('an IPv4 address is itself, also IPv4-mapped; an IPv6 address is its /64', () => {
    const rows: [string, string][] = [
      ['203.0.113.7', '203.0.113.7'],
      ['::ffff:203.0.113.7', '203.0.113.7'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
      ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
      ['2001:0DB8:0001:0002::1', '2001:db8:1:2::/64'],
      ['2001:db8::1', '2001:db8:0:0::/64'],
      ['::1', '0:0:0:0::/64'],
      ['fe80::1%eth0', 'fe80:0:0:0::/64'],
      ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ];
    for (const [address, source] of rows) assert.equal(sourceAddress(address), source, address);
    assert.deepEqual(originOf('kms', { remoteAddress: undefined }), { face: 'kms', address: 'unknown' });
    assert.deepEqual(originOf('api', { remoteAddress: '2001:db8:1:2::99' }), {
      face: 'api',
      address: '2001:db8:1:2::/64',
    });
  });
});

describe('the refusal budget', () => {
  let dir: string;
  let store: SqliteStore;
  let barrier: Barrier;
  let rootKey: Buffer;
  let audit: AuditReader;
  let now: number;
  let budget: RefusalBudget;
  let errors: unknown[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-refusals-'));
    store = await openSqliteStore(join(dir, 'state.db'));
    rootKey = randomBytes(32);
    const created = await store.txn(
      [{ key: KEYRING_PATH, modRevision: 0 }],
      [Barrier.initialKeyring(rootKey, { clusterId: 'c', mode: 'dev' }, new Date())],
    );
    assert.ok(created.succeeded);
    barrier = new Barrier(store);
    await barrier.unseal(rootKey);
    const reader = new RecordReader(store, barrier);
    audit = new AuditReader(reader);
    now = START;
    errors = [];
    budget = new RefusalBudget({
      writer: new RecordWriter(store, barrier, 'node-1'),
      clock: () => new Date(now),
      onError: (error) => errors.push(error),
    });
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function events(): Promise<AuditEvent[]> {
    const { events: all, more } = await audit.list(0, 1000);
    assert.equal(more, false);
    return all;
  }
  const refusals = (all: AuditEvent[]) => all.filter((event) => event.action === 'kms.authenticate');
  const summaries = (all: AuditEvent[]) => all.filter((event) => event.action === SUPPRESSED_ACTION);

  test('the first 10 of a window are audited in full, the rest counted; the next window writes one summary first', async () => {
    for (let i = 0; i < 30; i++) {
      now = START + i * 1000;
      await budget.audit(kms('10.0.0.1'), refusal(i % 3 === 0 ? 'unknown-key' : 'signature'));
    }
    let all = await events();
    assert.equal(refusals(all).length, 10);
    assert.equal(summaries(all).length, 0, 'the window is still open');

    now = START + WINDOW; // the window opened at START: it has ended
    await budget.audit(kms('10.0.0.1'), refusal('signature'));
    all = await events();
    const [summary, ...more] = summaries(all);
    assert.equal(more.length, 0);
    assert.ok(summary);
    assert.equal(summary.actor, 'system');
    assert.equal(summary.result, 'failure');
    assert.equal(summary.target, 'refusals/kms:10.0.0.1');
    // Refusals 10..29 were counted: i % 3 === 0 for 12, 15, 18, 21, 24, 27.
    assert.deepEqual(summary.details, {
      face: 'kms',
      source: 'kms:10.0.0.1',
      count: 20,
      audited: 10,
      from: new Date(START).toISOString(),
      to: new Date(START + 29_000).toISOString(),
      reasons: JSON.stringify({ 'kms.authenticate/signature': 14, 'kms.authenticate/unknown-key': 6 }),
    });
    // A new window: its first refusal is audited in full, after the summary of the last.
    const last = all.at(-1)!;
    assert.equal(last.action, 'kms.authenticate');
    assert.ok(last.seq > summary.seq);
    assert.equal(refusals(all).length, 11);
  });

  test('the timer sweep writes a summary once a window ends, once, and none for a window without counted refusals', async () => {
    for (let i = 0; i < 12; i++) await budget.audit(kms('10.0.0.1'), refusal('signature'));
    for (let i = 0; i < 3; i++) await budget.audit(kms('10.0.0.2'), refusal('signature'));
    now = START + WINDOW - 1;
    await budget.sweep();
    assert.equal(summaries(await events()).length, 0, 'not before the window ends');
    now = START + WINDOW;
    await budget.sweep();
    await budget.sweep();
    const written = summaries(await events());
    assert.equal(written.length, 1);
    assert.equal(written[0]!.details?.source, 'kms:10.0.0.1');
    assert.equal(written[0]!.details?.count, 2);
  });

  test('sources are independent: another address, or the same address on another face', async () => {
    const origins: RefusalOrigin[] = [kms('10.0.0.1'), kms('10.0.0.2'), { face: 'xks', address: '10.0.0.1' }];
    for (const origin of origins) for (let i = 0; i < 15; i++) await budget.audit(origin, refusal('signature'));
    assert.equal(refusals(await events()).length, 30);
    now = START + WINDOW;
    await budget.sweep();
    const written = summaries(await events());
    assert.deepEqual(
      written.map((event) => [event.details?.source, event.details?.face, event.details?.count]).sort(),
      [
        ['kms:10.0.0.1', 'kms', 5],
        ['kms:10.0.0.2', 'kms', 5],
        ['xks:10.0.0.1', 'xks', 5],
      ],
    );
  });

  test("past 100 sources, new ones share their face's other bucket and its one budget", async () => {
    for (let i = 0; i < REFUSAL_RULES.maxSources; i++)
      await budget.audit(kms(`10.0.${i >> 8}.${i & 255}`), refusal('signature'));
    assert.equal(refusals(await events()).length, 100);
    // 25 new addresses, one refusal each: all in kms:other, so 10 in full, 15 counted.
    for (let i = 0; i < 25; i++) await budget.audit(kms(`192.168.0.${i}`), refusal('signature'));
    // A source already tracked keeps its own window.
    await budget.audit(kms('10.0.0.0'), refusal('signature'));
    assert.equal(refusals(await events()).length, 111);
    now = START + WINDOW;
    await budget.sweep();
    const written = summaries(await events());
    assert.equal(written.length, 1);
    assert.equal(written[0]!.details?.source, 'kms:other');
    assert.equal(written[0]!.details?.count, 15);
    assert.equal(written[0]!.target, 'refusals/kms:other');
  });

  test("while summaries cannot be written, at most 100 sources wait; new ones share their face's other", async () => {
    barrier.seal();
    // Two windows of 100 sources each with one refusal counted, none written: the store is down.
    for (const round of [0, 1]) {
      now = START + round * WINDOW;
      for (let i = 0; i < REFUSAL_RULES.maxSources; i++)
        for (let n = 0; n <= REFUSAL_RULES.auditedPerWindow; n++)
          await budget.audit(kms(`10.${round}.${i >> 8}.${i & 255}`), refusal('signature')).catch(() => undefined);
    }
    now = START + 2 * WINDOW;
    await assert.rejects(budget.sweep());
    await barrier.unseal(rootKey);
    await budget.flush();
    const written = summaries(await events());
    assert.equal(written.length, 101, 'the first 100 sources, then one for all the others');
    const other = written.find((event) => event.details?.source === 'kms:other');
    assert.equal(other?.details?.count, 100);
    assert.equal(
      written.reduce((sum, event) => sum + Number(event.details?.count), 0),
      200,
      'every counted refusal is in a summary',
    );
  });

  test('each face has its own 100 sources: a flood of sources on one leaves the others theirs', async () => {
    for (let i = 0; i < REFUSAL_RULES.maxSources; i++)
      await budget.audit(kms(`10.0.${i >> 8}.${i & 255}`), refusal('signature'));
    for (let i = 0; i <= REFUSAL_RULES.auditedPerWindow; i++)
      await budget.audit({ face: 'peer-unseal', address: '10.9.9.9' }, refusal('signature'));
    await budget.flush();
    assert.deepEqual(
      summaries(await events()).map((event) => event.details?.source),
      ['peer-unseal:10.9.9.9'],
      'its own source, not peer-unseal:other',
    );
  });

  test('flush (seal, stop) writes the pending summary of a window still open', async () => {
    for (let i = 0; i < 14; i++) await budget.audit(kms('10.0.0.1'), refusal('signature'));
    now = START + 5000;
    await budget.flush();
    const written = summaries(await events());
    assert.equal(written.length, 1);
    assert.equal(written[0]!.details?.count, 4);
    assert.equal(written[0]!.details?.to, new Date(START).toISOString(), 'the last counted refusal');
    await budget.flush();
    assert.equal(summaries(await events()).length, 1, 'nothing twice');
    // After a flush the source starts a fresh window.
    await budget.audit(kms('10.0.0.1'), refusal('signature'));
    assert.equal(refusals(await events()).length, 11);
  });

  test('concurrent refusals are counted exactly: 30 at once, 10 in full', async () => {
    await Promise.all(Array.from({ length: 30 }, () => budget.audit(kms('10.0.0.1'), refusal('signature'))));
    assert.equal(refusals(await events()).length, 10);
    await budget.flush();
    assert.equal(summaries(await events())[0]!.details?.count, 20);
  });

  test('a summary that cannot be written is kept, merged with the next window of its source, written once', async () => {
    for (let i = 0; i < 13; i++) await budget.audit(kms('10.0.0.1'), refusal('signature'));
    barrier.seal();
    now = START + WINDOW;
    await assert.rejects(budget.sweep());
    await barrier.unseal(rootKey);
    for (let i = 0; i < 12; i++) await budget.audit(kms('10.0.0.1'), refusal('unknown-key'));
    now = START + 2 * WINDOW;
    await budget.sweep();
    const written = summaries(await events());
    assert.equal(written.length, 1);
    assert.equal(written[0]!.details?.count, 5);
    assert.equal(written[0]!.details?.audited, 20);
    assert.equal(written[0]!.details?.from, new Date(START).toISOString());
    assert.equal(written[0]!.details?.to, new Date(START + WINDOW).toISOString());
    assert.equal(
      written[0]!.details?.reasons,
      JSON.stringify({ 'kms.authenticate/signature': 3, 'kms.authenticate/unknown-key': 2 }),
    );
  });

  test("a summary carries only the budget's own fields: nothing the refused request sent", async () => {
    for (let i = 0; i < 11; i++) await budget.audit(kms('10.0.0.1'), refusal('signature'));
    await budget.flush();
    const [summary] = summaries(await events());
    assert.deepEqual(Object.keys(summary!.details ?? {}).sort(), [
      'audited',
      'count',
      'face',
      'from',
      'reasons',
      'source',
      'to',
    ]);
    assert.ok(!JSON.stringify(summary).includes('AKCFSECRETLOOKINGID01'));
    assert.equal(summary!.code, undefined);
  });

  test('reasons are bounded: past 16 distinct, the rest count as other', async () => {
    for (let i = 0; i < 10; i++) await budget.audit(kms('10.0.0.1'), refusal('signature'));
    for (let i = 0; i < 20; i++) await budget.audit(kms('10.0.0.1'), refusal(`reason-${String(i).padStart(2, '0')}`));
    await budget.flush();
    const reasons = JSON.parse(String(summaries(await events())[0]!.details?.reasons)) as Record<string, number>;
    assert.equal(Object.keys(reasons).length, 17);
    assert.equal(reasons.other, 4);
  });

  test('without an origin (an in-process caller) every refusal is audited in full', async () => {
    for (let i = 0; i < 15; i++) await budget.audit(undefined, refusal('signature'));
    await budget.flush();
    const all = await events();
    assert.equal(refusals(all).length, 15);
    assert.equal(summaries(all).length, 0);
    assert.deepEqual(errors, []);
  });
});
