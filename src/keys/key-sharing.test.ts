import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { coffer } from '../../test/support/errors.js';
import type { Session } from '../identity/sessions.js';
import { MAX_SHARED_USERS } from './key-sharing.js';
import { keyTestEnv, type KeyTestEnv } from '../../test/support/key-test-env.js';

describe('KeySharingService', () => {
  let env: KeyTestEnv;
  let alice: Session;
  let bob: Session;

  beforeEach(async () => {
    env = await keyTestEnv();
    alice = await env.user('alice');
    bob = await env.user('bob');
    await env.user('admin', 'admin');
  });
  afterEach(() => env.close());

  test('a shared user sees and lists the key; unsharing takes it away; both are audited', async () => {
    const key = await env.aes(alice);
    await assert.rejects(env.keys.get(bob, key.handle), coffer('KEY_NOT_FOUND'));
    const events = await env.eventsOf(() => env.sharing.share(alice, key.handle, 'BOB'));
    assert.deepEqual(
      events.map((event) => [event.action, event.result, event.details?.username]),
      [['key.share', 'success', 'bob']],
    );
    assert.deepEqual((await env.keys.get(bob, key.handle)).sharedWith, ['bob']);
    assert.deepEqual(
      (await env.keys.list(bob, {}, { limit: 10 })).keys.map((k) => k.handle),
      [key.handle],
    );
    const unshared = await env.sharing.unshare(alice, key.handle, 'bob');
    assert.deepEqual(unshared.sharedWith, []);
    await assert.rejects(env.keys.get(bob, key.handle), coffer('KEY_NOT_FOUND'));
    assert.deepEqual((await env.keys.list(bob, {}, { limit: 10 })).keys, []);
    assert.deepEqual(await env.reader.keys('idx/key-shared/', { limit: 10 }), { keys: [], more: false });
  });

  test('only the owner shares; not with itself, an admin, or a user that does not exist', async () => {
    const key = await env.aes(alice);
    await env.sharing.share(alice, key.handle, 'bob');
    await env.user('carol');
    await assert.rejects(env.sharing.share(bob, key.handle, 'carol'), coffer('PERMISSION_DENIED'));
    await assert.rejects(env.sharing.unshare(bob, key.handle, 'bob'), coffer('PERMISSION_DENIED'));
    await assert.rejects(env.sharing.share(alice, key.handle, 'alice'), coffer('KEY_SHARE_INVALID'));
    await assert.rejects(env.sharing.share(alice, key.handle, 'admin'), coffer('KEY_SHARE_INVALID'));
    await assert.rejects(env.sharing.share(alice, key.handle, 'nobody'), coffer('USER_NOT_FOUND'));
    await assert.rejects(env.sharing.share(alice, key.handle, 'bad name!'), coffer('USERNAME_INVALID'));
    assert.deepEqual((await env.keys.get(alice, key.handle)).sharedWith, ['bob']);
  });

  test('sharing twice or unsharing a stranger changes nothing', async () => {
    const key = await env.aes(alice);
    await env.sharing.share(alice, key.handle, 'bob');
    const events = await env.eventsOf(async () => {
      await env.sharing.share(alice, key.handle, 'bob');
      await env.sharing.unshare(alice, key.handle, 'nobody');
    });
    assert.deepEqual(events, []);
    assert.deepEqual((await env.keys.get(alice, key.handle)).sharedWith, ['bob']);
  });

  test(`at most ${MAX_SHARED_USERS} users`, async () => {
    const key = await env.aes(alice);
    for (let i = 0; i < MAX_SHARED_USERS; i++) {
      await env.user(`u${i}`);
      await env.sharing.share(alice, key.handle, `u${i}`);
    }
    await assert.rejects(env.sharing.share(alice, key.handle, 'bob'), coffer('KEY_SHARE_LIMIT'));
    assert.equal((await env.keys.get(alice, key.handle)).sharedWith.length, MAX_SHARED_USERS);
  });

  test("a user's listing merges its own and shared keys in handle order, with a stable cursor", async () => {
    const carol = await env.user('carol');
    const handles: string[] = [];
    for (let i = 0; i < 5; i++) handles.push((await env.aes(bob, `own${i}`)).handle);
    for (let i = 0; i < 5; i++) {
      const other = await env.aes(i % 2 ? alice : carol, `shared${i}`);
      await env.sharing.share(i % 2 ? alice : carol, other.handle, 'bob');
      handles.push(other.handle);
    }
    await env.aes(alice, 'not-shared');
    for (const limit of [1, 2, 3, 7, 100]) {
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await env.keys.list(bob, {}, { limit, ...(after ? { after } : {}) });
        assert.ok(page.keys.length <= limit);
        seen.push(...page.keys.map((k) => k.handle));
        after = page.next;
      } while (after);
      assert.deepEqual(seen, [...handles].sort(), `limit ${limit}`);
    }
  });

  test('deleting a shared key removes its shared-index entries', async () => {
    const key = await env.aes(alice);
    await env.sharing.share(alice, key.handle, 'bob');
    await env.keys.delete(alice, key.handle);
    assert.deepEqual(await env.reader.keys('idx/key-shared/', { limit: 10 }), { keys: [], more: false });
  });
});
