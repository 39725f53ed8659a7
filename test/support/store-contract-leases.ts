/**
 * The StateStore contract, part three: leases, for keys that must vanish with their holder
 * (a node's membership). A revoke or an expiry deletes the lease's keys in one revision, and
 * watchers see the deletes; an unknown lease fails the txn and writes nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LEASE_TTL_SECONDS } from '../../src/store/state-store.js';
import {
  collect,
  freshStore,
  type OpenStore,
  put,
  rejectsInvalid,
  rejectsWith,
  sleep,
  summary,
  until,
} from './store-contract-helpers.js';

/** A lease id no store granted: etcd's and SQLite's ids are random, so this one is only very likely unknown. */
const UNKNOWN_LEASE = '7265541239001';

export function leaseContract(name: string, open: OpenStore): void {
  describe(`${name}: StateStore contract, leases`, () => {
    const store = freshStore(open);

    it('revokes a lease by deleting its keys in one revision, which watchers see', async () => {
      const lease = await store().grantLease(60);
      assert.match(lease.id, /^[1-9][0-9]*$/);
      assert.ok(lease.ttlSeconds >= 60);
      await store().txn([], [put('n/b', 'b', lease.id), put('n/a', 'a', lease.id), put('n/c', 'c')]);
      const watcher = collect(store(), 'n/');
      await store().revokeLease(lease.id);
      await watcher.waitFor(2);
      assert.deepEqual(summary(watcher.events), ['delete n/a @2', 'delete n/b @2']);
      assert.equal(await store().get('n/a'), undefined);
      assert.deepEqual((await store().get('n/c'))?.value, Buffer.from('c'));
      assert.equal(await store().revision(), 2);
      assert.equal(await store().leaseTimeToLive(lease.id), undefined);
      await rejectsWith(store().keepAliveLease(lease.id), 'LEASE_NOT_FOUND');
      await rejectsWith(store().revokeLease(lease.id), 'LEASE_NOT_FOUND');
      watcher.stop();
    });

    it('deletes the keys of a lease that expired, and watchers see the delete', async () => {
      const lease = await store().grantLease(1);
      await store().txn([], [put('n/node-1', 'here', lease.id)]);
      const watcher = collect(store(), 'n/');
      await watcher.waitFor(1);
      assert.deepEqual(summary(watcher.events), ['delete n/node-1 @2']);
      assert.equal(await store().get('n/node-1'), undefined);
      assert.equal(await store().leaseTimeToLive(lease.id), undefined);
      await rejectsWith(store().keepAliveLease(lease.id), 'LEASE_NOT_FOUND');
      await rejectsWith(store().txn([], [put('n/again', 'x', lease.id)]), 'LEASE_NOT_FOUND');
      watcher.stop();
    });

    it('renews a lease to its full TTL on keep-alive', async () => {
      const lease = await store().grantLease(10);
      await sleep(1100);
      const before = await store().leaseTimeToLive(lease.id);
      assert.ok(before !== undefined && before <= lease.ttlSeconds - 1, `remaining ${before}`);
      assert.equal(await store().keepAliveLease(lease.id), lease.ttlSeconds);
      const after = await store().leaseTimeToLive(lease.id);
      assert.ok(after !== undefined && after >= lease.ttlSeconds - 1 && after > before, `remaining ${after}`);
    });

    it('keeps a key alive past its TTL while it is renewed', async () => {
      const lease = await store().grantLease(1);
      await store().txn([], [put('n/kept', 'x', lease.id)]);
      // Renewed past its 1 s TTL.
      for (let round = 0; round < 3; round++) {
        await sleep(400);
        await store().keepAliveLease(lease.id);
      }
      assert.ok(await store().get('n/kept'));
      await until(async () => (await store().get('n/kept')) === undefined, 'the expiry once renewals stop');
    });

    it('fails a txn that names an unknown lease and writes nothing; a failed compare wins', async () => {
      await rejectsWith(store().txn([], [put('n/a'), put('n/b', 'b', UNKNOWN_LEASE)]), 'LEASE_NOT_FOUND');
      assert.equal(await store().revision(), 0);
      assert.equal(await store().get('n/a'), undefined);
      const compareFails = await store().txn([{ key: 'n/a', modRevision: 7 }], [put('n/b', 'b', UNKNOWN_LEASE)]);
      assert.deepEqual(compareFails, { succeeded: false, revision: 0 });
      await rejectsWith(store().keepAliveLease(UNKNOWN_LEASE), 'LEASE_NOT_FOUND');
      await rejectsWith(store().revokeLease(UNKNOWN_LEASE), 'LEASE_NOT_FOUND');
      assert.equal(await store().leaseTimeToLive(UNKNOWN_LEASE), undefined);
    });

    it('detaches a key put again without the lease', async () => {
      const lease = await store().grantLease(60);
      await store().txn([], [put('n/a', 'leased', lease.id)]);
      await store().txn([], [put('n/a', 'plain')]);
      await store().revokeLease(lease.id);
      assert.deepEqual((await store().get('n/a'))?.value, Buffer.from('plain'));
      assert.equal(await store().revision(), 2);
    });

    it('refuses a TTL or a lease id out of range', async () => {
      for (const ttl of [0, -1, 1.5, Number.NaN, MAX_LEASE_TTL_SECONDS + 1])
        await rejectsInvalid(store().grantLease(ttl));
      for (const id of ['', '0', '-1', '01', 'abc', '1e3', ' 1', (2n ** 63n).toString()]) {
        await rejectsInvalid(store().keepAliveLease(id));
        await rejectsInvalid(store().leaseTimeToLive(id));
        await rejectsInvalid(store().revokeLease(id));
        await rejectsInvalid(store().txn([], [put('n/a', 'a', id)]));
      }
      assert.equal(await store().revision(), 0);
    });
  });
}
