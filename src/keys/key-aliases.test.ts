import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { coffer } from '../../test/support/errors.js';
import type { Session } from '../identity/sessions.js';
import { keyTestEnv, type KeyTestEnv } from '../../test/support/key-test-env.js';

describe('AliasService and alias resolution', () => {
  let env: KeyTestEnv;
  let alice: Session;
  let bob: Session;

  beforeEach(async () => {
    env = await keyTestEnv();
    alice = await env.user('alice');
    bob = await env.user('bob');
  });
  afterEach(() => env.close());

  test('an alias resolves wherever a handle is, for the owner; for others it is KEY_NOT_FOUND', async () => {
    const key = await env.aes(alice);
    const events = await env.eventsOf(() => env.aliases.put(alice, 'payments/prod', key.handle));
    assert.deepEqual(
      events.map((event) => [event.action, event.target, event.result]),
      [['alias.create', 'alias/payments/prod', 'success']],
    );
    assert.equal((await env.keys.get(alice, 'alias/payments/prod')).handle, key.handle);
    await assert.rejects(env.keys.get(bob, 'alias/payments/prod'), coffer('KEY_NOT_FOUND'));
    await assert.rejects(env.keys.get(alice, 'alias/missing'), coffer('KEY_NOT_FOUND'));
    await assert.rejects(env.keys.get(alice, 'alias/bad name'), coffer('KEY_NOT_FOUND'));
    // A shared user reaches the key by handle; the owner's name does not resolve for it, so
    // another user's alias can never stand in for a name the caller meant as its own.
    await env.sharing.share(alice, key.handle, 'bob');
    await assert.rejects(env.keys.get(bob, 'alias/payments/prod'), coffer('KEY_NOT_FOUND'));
    assert.equal((await env.keys.get(bob, key.handle)).handle, key.handle);
  });

  test('names are unique: another owner gets ALIAS_EXISTS; the owner re-points its alias', async () => {
    const first = await env.aes(alice);
    const second = await env.aes(alice);
    const bobs = await env.aes(bob);
    await env.aliases.put(alice, 'main', first.handle);
    await assert.rejects(env.aliases.put(bob, 'main', bobs.handle), coffer('ALIAS_EXISTS'));
    const moved = await env.aliases.put(alice, 'main', second.handle);
    assert.deepEqual(moved, { alias: 'main', keyHandle: second.handle });
    assert.equal((await env.keys.get(alice, 'alias/main')).handle, second.handle);
    assert.deepEqual(await env.repository.aliases.namesOf(first.handle), []);
    assert.deepEqual(await env.repository.aliases.namesOf(second.handle), ['main']);
  });

  test('only the owner names a key; names are checked', async () => {
    const key = await env.aes(alice);
    await env.sharing.share(alice, key.handle, 'bob');
    await assert.rejects(env.aliases.put(bob, 'bobs', key.handle), coffer('PERMISSION_DENIED'));
    await assert.rejects(env.aliases.put(alice, 'x'.repeat(65), key.handle), coffer('INVALID_FIELD'));
    await assert.rejects(env.aliases.put(alice, 'dots.are.not.allowed', key.handle), coffer('INVALID_FIELD'));
    await assert.rejects(env.aliases.put(alice, 'ok', '0x0123456789abcdef'), coffer('KEY_NOT_FOUND'));
  });

  test('the list holds the aliases of keys the caller can see', async () => {
    const mine = await env.aes(alice);
    const bobs = await env.aes(bob);
    await env.aliases.put(alice, 'a1', mine.handle);
    await env.aliases.put(alice, 'a2', mine.handle);
    await env.aliases.put(bob, 'b1', bobs.handle);
    assert.deepEqual((await env.aliases.list(alice)).map((alias) => alias.alias).sort(), ['a1', 'a2']);
    assert.deepEqual(await env.aliases.list(bob), [{ alias: 'b1', keyHandle: bobs.handle }]);
  });

  test('delete: the owner only; someone else sees ALIAS_NOT_FOUND; a shared user PERMISSION_DENIED', async () => {
    const key = await env.aes(alice);
    await env.aliases.put(alice, 'gone', key.handle);
    const carol = await env.user('carol');
    await assert.rejects(env.aliases.delete(carol, 'gone'), coffer('ALIAS_NOT_FOUND'));
    await env.sharing.share(alice, key.handle, 'bob');
    await assert.rejects(env.aliases.delete(bob, 'gone'), coffer('PERMISSION_DENIED'));
    await env.aliases.delete(alice, 'gone');
    await assert.rejects(env.keys.get(alice, 'alias/gone'), coffer('KEY_NOT_FOUND'));
    await assert.rejects(env.aliases.delete(alice, 'gone'), coffer('ALIAS_NOT_FOUND'));
    assert.deepEqual(await env.repository.aliases.namesOf(key.handle), []);
  });

  test('deleting a key deletes its aliases in the same commit', async () => {
    const key = await env.aes(alice);
    await env.aliases.put(alice, 'one', key.handle);
    await env.aliases.put(alice, 'two', key.handle);
    const events = await env.eventsOf(() => env.keys.delete(alice, 'alias/one'));
    assert.deepEqual(
      events.map((event) => event.action),
      ['key.delete'],
    );
    assert.equal(await env.store.get('alias/one'), undefined);
    assert.equal(await env.store.get('alias/two'), undefined);
    assert.deepEqual(await env.reader.keys('idx/key-alias/', { limit: 10 }), { keys: [], more: false });
    // The name is free again.
    const next = await env.aes(bob);
    await env.aliases.put(bob, 'one', next.handle);
  });
});

describe('KeyService.list filters', () => {
  let env: KeyTestEnv;
  let alice: Session;
  let bob: Session;
  let admin: Session;

  beforeEach(async () => {
    env = await keyTestEnv();
    alice = await env.user('alice');
    bob = await env.user('bob');
    admin = await env.user('admin', 'admin');
  });
  afterEach(() => env.close());

  const handles = async (session: Session, filter: Parameters<KeyTestEnv['keys']['list']>[1]) =>
    (await env.keys.list(session, filter, { limit: 100 })).keys.map((key) => key.handle).sort();

  test('owner: an admin sees anyone; a crypto user only itself (its own keys, not shared ones)', async () => {
    const a = await env.aes(alice);
    const b = await env.aes(bob);
    await env.sharing.share(bob, b.handle, 'alice');
    assert.deepEqual(await handles(admin, { owner: 'bob' }), [b.handle]);
    assert.deepEqual(await handles(admin, { owner: 'ALICE' }), [a.handle]);
    assert.deepEqual(await handles(alice, { owner: 'alice' }), [a.handle]);
    assert.deepEqual(await handles(alice, { owner: 'bob' }), []);
    assert.deepEqual(await handles(alice, { owner: 'bob', label: 'k' }), []);
    assert.deepEqual(await handles(alice, {}), [a.handle, b.handle].sort());
  });

  test('usage flags filter; a flag the class lacks matches nothing', async () => {
    const plain = await env.aes(alice);
    const signer = await env.aes(alice);
    await env.attributes.set(alice, signer.handle, { attributes: { sign: true, encrypt: false } });
    assert.deepEqual(await handles(alice, { sign: true }), [signer.handle]);
    assert.deepEqual(await handles(alice, { encrypt: true }), [plain.handle]);
    assert.deepEqual(await handles(alice, { encrypt: false, sign: true }), [signer.handle]);
    assert.deepEqual(await handles(alice, { sensitive: true, token: true }), [plain.handle, signer.handle].sort());
    assert.deepEqual(await handles(alice, { extractable: true }), []);
  });

  test('alias: the one key it names, if the caller may see it and the other filters match', async () => {
    const key = await env.aes(alice, 'named');
    await env.aliases.put(alice, 'n', key.handle);
    assert.deepEqual(await handles(alice, { alias: 'n' }), [key.handle]);
    assert.deepEqual(await handles(alice, { alias: 'n', label: 'other' }), []);
    assert.deepEqual(await handles(bob, { alias: 'n' }), []);
    assert.deepEqual(await handles(admin, { alias: 'n' }), [key.handle]);
    assert.deepEqual(await handles(alice, { alias: 'missing' }), []);
  });
});
