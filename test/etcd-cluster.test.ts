/**
 * The etcd store on a real three-member cluster, under the faults a cluster store exists for:
 * the leader killed (kill -9) while txns and a watch are streaming, a member restarted, and a
 * compaction while a watcher was disconnected. What must hold: a watch resumes with no gap and
 * no duplicate; a txn fails only while there is no leader, and only with STORE_UNAVAILABLE
 * (provably not applied) or STORE_TIMEOUT (outcome unknown); a kept-alive lease survives the
 * election and its key goes once renewals stop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isCofferError } from '../src/errors/coffer-error.js';
import { openEtcdStore, type EtcdStore } from '../src/store/etcd/etcd-store.js';
import type { StateStore, StoredEntry, WatchEvent, WatchReset } from '../src/store/state-store.js';
import { type EtcdCluster, type EtcdMember, startEtcd } from './support/etcd-process.js';

const WRITERS = 4;
const STEADY_MS = 800;
const AFTER_KILL_MS = 3500;
/** Longest the cluster may refuse writes after the kill: election plus the client deadline. */
const ELECTION_WINDOW_MS = 3000;

interface Outcome {
  readonly key: string;
  readonly at: number;
  readonly revision?: number;
  readonly code?: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean | Promise<boolean>, what: string, waitMs = 10_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function everything(store: StateStore, prefix: string): Promise<StoredEntry[]> {
  const entries: StoredEntry[] = [];
  const first = await store.range(prefix, { limit: 500 });
  entries.push(...first.entries);
  for (let page = first; page.more;) {
    page = await store.range(prefix, { limit: 500, after: entries.at(-1)?.key, revision: first.revision });
    entries.push(...page.entries);
  }
  return entries;
}

/** Endpoints with `first` in front: the store's first connection goes there. */
function endpointsFrom(cluster: EtcdCluster, first: EtcdMember, reversed = false): string[] {
  const others = cluster.endpoints.filter((endpoint) => endpoint !== first.endpoint);
  return [first.endpoint, ...(reversed ? others.reverse() : others)];
}

describe('EtcdStore on three members', { timeout: 60_000 }, () => {
  let cluster: EtcdCluster;
  const stores: EtcdStore[] = [];
  const open = async (endpoints: readonly string[], timeoutMs = 2000): Promise<EtcdStore> => {
    const store = await openEtcdStore({ endpoints, timeoutMs });
    stores.push(store);
    return store;
  };

  let stopEtcd = async (): Promise<void> => undefined;

  before(async () => {
    cluster = await startEtcd({ members: 3, inMemory: true }, (stop) => {
      stopEtcd = stop;
    });
  });

  after(async () => {
    for (const store of stores) await store.close();
    await stopEtcd();
  });

  it('keeps txns, a watch and a lease whole while the leader is killed', async (t) => {
    const leader = await cluster.leader();
    // Both connections start on the leader, so the kill cuts the writer's and the watcher's streams.
    const writer = await open(endpointsFrom(cluster, leader));
    const watcher = await open(endpointsFrom(cluster, leader, true));
    const watched: WatchEvent[] = [];
    const resets: WatchReset[] = [];
    const stopWatch = watcher.watch('chaos/', (event) => watched.push(event), {
      fromRevision: await watcher.revision(),
      onReset: (reset) => resets.push(reset),
    });
    const members: WatchEvent[] = [];
    const stopMembers = watcher.watch('node/', (event) => members.push(event));

    const lease = await writer.grantLease(2);
    await writer.txn([], [{ type: 'put', key: 'node/a', value: Buffer.from('here'), lease: lease.id }]);
    let renewing = true;
    const renewals = (async () => {
      while (renewing) {
        await writer.keepAliveLease(lease.id).catch((error: unknown) => {
          // Refused while there is no leader; a lost lease is a failure of this test.
          if (!isCofferError(error, 'STORE_UNAVAILABLE')) throw error;
        });
        await sleep(300);
      }
    })();

    const outcomes: Outcome[] = [];
    let next = 0;
    let writing = true;
    const workers = Array.from({ length: WRITERS }, async () => {
      while (writing) {
        const key = `chaos/${String(next++).padStart(6, '0')}`;
        try {
          const result = await writer.txn([{ key, modRevision: 0 }], [{ type: 'put', key, value: Buffer.from(key) }]);
          assert.equal(result.succeeded, true);
          outcomes.push({ key, at: Date.now(), revision: result.revision });
        } catch (error) {
          if (!isCofferError(error)) throw error;
          outcomes.push({ key, at: Date.now(), code: error.code });
          await sleep(20);
        }
      }
    });

    await sleep(STEADY_MS);
    const killedAt = Date.now();
    await cluster.kill(leader);
    await sleep(AFTER_KILL_MS);
    writing = false;
    await Promise.all(workers);

    // Failures: only the two store codes, only within the election window, none after it.
    const failures = outcomes.filter((outcome) => outcome.code !== undefined);
    for (const failure of failures) {
      assert.ok(['STORE_UNAVAILABLE', 'STORE_TIMEOUT'].includes(failure.code ?? ''), `${failure.key}: ${failure.code}`);
      assert.ok(failure.at >= killedAt && failure.at <= killedAt + ELECTION_WINDOW_MS, `${failure.key} failed late`);
    }
    const succeeded = outcomes.filter((outcome) => outcome.revision !== undefined);
    const window = failures.length === 0 ? 0 : Math.max(...failures.map((failure) => failure.at)) - killedAt;
    t.diagnostic(
      `${succeeded.length} txns acknowledged, ${failures.length} refused ` +
        `(${failures.filter((failure) => failure.code === 'STORE_TIMEOUT').length} of unknown outcome), ` +
        `the last ${window} ms after the kill`,
    );
    assert.ok(succeeded.filter((outcome) => outcome.at < killedAt).length > 10, 'writes before the kill');
    assert.ok(succeeded.filter((outcome) => outcome.at > killedAt + ELECTION_WINDOW_MS).length > 10, 'writes after');

    // The store's own view: every acknowledged txn, at its revision; nothing said unapplied.
    const stored = new Map((await everything(writer, 'chaos/')).map((entry) => [entry.key, entry.modRevision]));
    for (const outcome of succeeded) assert.equal(stored.get(outcome.key), outcome.revision, outcome.key);
    for (const failure of failures.filter((outcome) => outcome.code === 'STORE_UNAVAILABLE')) {
      assert.equal(stored.has(failure.key), false, `${failure.key} was refused yet applied`);
    }

    // The watch, resumed on another member: exactly the stored keys, in revision order, once each.
    await until(() => watched.length >= stored.size, `${stored.size} watch events (have ${watched.length})`);
    await sleep(200);
    assert.equal(watched.length, stored.size, 'no duplicate events');
    assert.deepEqual(resets, []);
    for (let index = 1; index < watched.length; index++) {
      assert.ok(watched[index]!.modRevision > watched[index - 1]!.modRevision, `revision order at ${index}`);
    }
    assert.deepEqual(
      watched.map((event) => [event.key, event.modRevision]),
      [...stored].sort((a, b) => a[1] - b[1]),
    );

    // The lease lived through the election; once renewals stop, its key goes and the watch says so.
    renewing = false;
    await renewals;
    assert.ok(await writer.get('node/a'), 'the kept-alive key survived the election');
    await until(() => members.some((event) => event.type === 'delete' && event.key === 'node/a'), 'the lease expiry');
    assert.equal(await writer.get('node/a'), undefined);
    stopWatch();
    stopMembers();

    await cluster.restart(leader);
  });

  it('resets a watch whose member came back after a compaction passed its revision', async () => {
    // A follower goes down, so the writers' members keep their leader and no write waits on an
    // election (the test before restarted the old leader, which may have won again).
    let leader: Awaited<ReturnType<typeof cluster.leader>> | undefined;
    await until(async () => (leader = await cluster.leader().catch(() => undefined)) !== undefined, 'a leader');
    const first = cluster.members.find((member) => member !== leader);
    assert.ok(first);
    const rest = cluster.members.filter((member) => member !== first);
    // The watcher speaks to one member only, so while it is down the watcher cannot resume elsewhere.
    const watcher = await open([first.endpoint], 1000);
    const writer = await open(rest.map((member) => member.endpoint));
    const events: WatchEvent[] = [];
    const resets: WatchReset[] = [];
    const stop = watcher.watch('compact/', (event) => events.push(event), {
      onReset: (reset) => resets.push(reset),
    });
    await writer.txn([], [{ type: 'put', key: 'compact/before', value: Buffer.from('1') }]);
    await until(() => events.length === 1, 'the first event');

    await cluster.kill(first);
    for (let index = 0; index < 5; index++) {
      await writer.txn([], [{ type: 'put', key: `compact/missed-${index}`, value: Buffer.from('x') }]);
    }
    const compactedAt = await writer.revision();
    await writer.compact(compactedAt);
    await cluster.restart(first);

    await until(() => resets.length === 1, 'the reset');
    assert.deepEqual(resets, [{ revision: compactedAt }]);
    // The reset revision is readable, and holds what the watcher missed.
    const reloaded = await watcher.range('compact/', { revision: compactedAt });
    assert.equal(reloaded.entries.length, 6);
    await writer.txn([], [{ type: 'put', key: 'compact/after', value: Buffer.from('2') }]);
    await until(() => events.length === 2, 'the event after the reset');
    assert.deepEqual(
      events.map((event) => event.key),
      ['compact/before', 'compact/after'],
    );
    assert.ok(events[1]!.modRevision > compactedAt);
    stop();
  });
});
