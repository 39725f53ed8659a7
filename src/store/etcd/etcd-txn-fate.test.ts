import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type EtcdCluster, startEtcd } from '../../../test/support/etcd-process.js';
import type { Operation } from '../state-store.js';
import { anchorOf, txnFate, type VersionReader } from './etcd-txn-fate.js';
import { openEtcdStore, type EtcdStore } from './etcd-store.js';

const put = (key: string, value: Buffer = randomBytes(16)): Operation => ({ type: 'put', key, value });

/** The reader txnFate uses, over the store's own reads (a range of one key at a revision). */
function readerOf(store: EtcdStore): VersionReader {
  return async (key, atRevision) => {
    const page = await store.range(key, { limit: 1, ...(atRevision === undefined ? {} : { revision: atRevision }) });
    const entry = page.entries[0]?.key === key ? page.entries[0] : undefined;
    return { entry, revision: page.revision };
  };
}

describe('the anchor of a txn', () => {
  it('is a key the txn compares at a revision and also puts', () => {
    const value = Buffer.from('v');
    assert.deepEqual(anchorOf([{ key: 'a', modRevision: 4 }], [{ type: 'put', key: 'a', value }]), {
      key: 'a',
      modRevision: 4,
      value,
    });
    // Compared absent (its history cannot be searched), compared and not put, put and not compared.
    assert.equal(anchorOf([{ key: 'a', modRevision: 0 }], [put('a')]), undefined);
    assert.equal(anchorOf([{ key: 'a', modRevision: 4 }], [{ type: 'delete', key: 'a' }]), undefined);
    assert.equal(anchorOf([], [put('a')]), undefined);
  });
});

describe('the fate of a txn whose answer was lost, read from etcd', () => {
  let cluster: EtcdCluster;
  let store: EtcdStore;
  let stopEtcd = async (): Promise<void> => undefined;

  before(async () => {
    cluster = await startEtcd({ inMemory: true }, (stop) => {
      stopEtcd = stop;
    });
    store = await openEtcdStore({ endpoints: cluster.endpoints });
  });

  after(async () => {
    await store.close();
    await stopEtcd();
  });

  /** The head at a fresh revision R, as a writer read it before its txn. */
  async function head(key: string): Promise<number> {
    const result = await store.txn([], [put(key)]);
    return result.revision;
  }

  it('is pending while the anchor is untouched', async () => {
    const at = await head('f/pending');
    await store.txn([], [put('f/other')]);
    assert.deepEqual(await txnFate(readerOf(store), { key: 'f/pending', modRevision: at, value: randomBytes(16) }), {
      state: 'pending',
    });
  });

  it('is applied, at its revision, when the first change after R is exactly its put', async () => {
    const at = await head('f/applied');
    const ours = randomBytes(16);
    const applied = await store.txn([{ key: 'f/applied', modRevision: at }], [put('f/applied', ours)]);
    // Later writers moved the key on, and others the store: the search finds the change after R.
    for (let index = 0; index < 9; index++) {
      await store.txn([], [put('f/noise')]);
      if (index % 3 === 0) await store.txn([], [put('f/applied')]);
    }
    assert.deepEqual(await txnFate(readerOf(store), { key: 'f/applied', modRevision: at, value: ours }), {
      state: 'applied',
      revision: applied.revision,
    });
  });

  it('is refused when another write changed the anchor first, or deleted it', async () => {
    for (const [name, change] of [
      ['put', (key: string) => put(key)],
      ['delete', (key: string): Operation => ({ type: 'delete', key })],
    ] as const) {
      const key = `f/refused-${name}`;
      const at = await head(key);
      const ours = randomBytes(16);
      await store.txn([{ key, modRevision: at }], [change(key)]);
      // Our bytes written later by someone else are not our txn: it needed the key at R.
      await store.txn([], [put(key, ours)]);
      const fate = await txnFate(readerOf(store), { key, modRevision: at, value: ours });
      assert.equal(fate.state, 'refused', name);
    }
  });
});

describe('a txn in flight when the etcd leader stops answering', () => {
  let cluster: EtcdCluster;
  let store: EtcdStore | undefined;
  let frozen: number | undefined;
  let stopEtcd = async (): Promise<void> => undefined;

  before(async () => {
    cluster = await startEtcd({ members: 3, inMemory: true }, (stop) => {
      stopEtcd = stop;
    });
  });

  after(async () => {
    if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
    await store?.close();
    await stopEtcd();
  });

  it('is resolved by reading once a new leader serves: applied once, well inside the deadline', async () => {
    const leader = await cluster.leader();
    const followers = cluster.members.filter((member) => member !== leader).map((member) => member.endpoint);
    // Through a follower, which forwards the proposal to the leader and waits for it.
    store = await openEtcdStore({ endpoints: followers, timeoutMs: 5000, writeAttemptMs: 800 });
    const at = (await store.txn([], [put('h/head')])).revision;
    frozen = leader.pid;
    assert.ok(frozen !== undefined);
    process.kill(frozen, 'SIGSTOP'); // the leader holds the proposal and never answers it
    const ours = randomBytes(16);
    const started = Date.now();
    const result = await store.txn([{ key: 'h/head', modRevision: at }], [put('h/head', ours), put('h/record')]);
    const took = Date.now() - started;
    process.kill(frozen, 'SIGCONT');
    frozen = undefined;
    assert.equal(result.succeeded, true);
    assert.ok(took < 5000, `resolved in ${took} ms, before the 5 s deadline`);
    const now = await store.get('h/head');
    assert.deepEqual(now?.value, ours);
    assert.equal(now?.modRevision, result.revision);
    assert.equal((await store.get('h/record'))?.modRevision, result.revision);
    // Once: the change right after R is ours, and the store moved by that one txn.
    assert.deepEqual(await txnFate(readerOf(store), { key: 'h/head', modRevision: at, value: ours }), {
      state: 'applied',
      revision: result.revision,
    });
    assert.equal(result.revision, at + 1);
  });
});

describe('a write whose fate cannot be read, on a member that is slow to answer', () => {
  let cluster: EtcdCluster;
  let store: EtcdStore | undefined;
  let frozen: number | undefined;
  let stopEtcd = async (): Promise<void> => undefined;

  before(async () => {
    cluster = await startEtcd({ inMemory: true }, (stop) => {
      stopEtcd = stop;
    });
    store = await openEtcdStore({ endpoints: cluster.endpoints, timeoutMs: 5000, writeAttemptMs: 300 });
  });

  after(async () => {
    if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
    await store?.close();
    await stopEtcd();
  });

  it('waits for its answer up to the deadline: only a txn with an anchor is cut short', async () => {
    const member = cluster.members[0]!;
    frozen = member.pid;
    assert.ok(frozen !== undefined);
    process.kill(frozen, 'SIGSTOP'); // slow, not gone: it answers once it runs again
    const created = store!.txn([{ key: 'w/new', modRevision: 0 }], [put('w/new')]); // compared absent: no anchor
    const lease = store!.grantLease(10);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // four attempts' worth
    process.kill(frozen, 'SIGCONT');
    frozen = undefined;
    assert.equal((await created).succeeded, true);
    assert.ok((await lease).id);
  });
});
