import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { coffer } from '../../test/support/errors.js';
import type { Session } from '../identity/sessions.js';
import { keyPath } from './key-repository.js';
import { keyTestEnv, type KeyTestEnv } from '../../test/support/key-test-env.js';

describe('KeyAttributeService', () => {
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

  test('the owner changes label, id, dates and flags; the change is stored, audited and the material kept', async () => {
    const key = await env.aes(alice, 'before', 'aa');
    const loadedBefore = await env.repository.load(key.handle);
    const material = loadedBefore!.key.export();
    const events = await env.eventsOf(() =>
      env.attributes.set(alice, key.handle, {
        label: 'after',
        id: 'BB',
        startDate: '2024-01-01',
        endDate: '2099-12-31',
        attributes: { encrypt: false, sensitive: true },
      }),
    );
    assert.deepEqual(
      events.map((event) => [event.action, event.result, event.details?.changed]),
      [['key.set-attribute', 'success', 'label,id,startDate,endDate,encrypt']],
    );
    const stored = await env.repository.load(key.handle);
    assert.ok(stored);
    assert.deepEqual(
      [stored.record.label, stored.record.id, stored.record.startDate, stored.record.endDate],
      ['after', 'bb', '2024-01-01', '2099-12-31'],
    );
    assert.equal(stored.record.attributes.encrypt, false);
    assert.ok(stored.key.export().equals(material), 'the key material is unchanged');
  });

  test('label and id changes move the blind-index entries', async () => {
    const key = await env.aes(alice, 'old-label', '01');
    await env.attributes.set(alice, key.handle, { label: 'new-label', id: '02' });
    const find = async (filter: { label?: string; id?: string }) =>
      (await env.keys.list(alice, filter, { limit: 10 })).keys.map((k) => k.handle);
    assert.deepEqual(await find({ label: 'old-label' }), []);
    assert.deepEqual(await find({ id: '01' }), []);
    assert.deepEqual(await find({ label: 'new-label' }), [key.handle]);
    assert.deepEqual(await find({ id: '02' }), [key.handle]);
  });

  test('a refused change changes nothing and is audited as a failure', async () => {
    const key = await env.aes(alice, 'keep');
    const before = (await env.store.get(keyPath(key.handle)))!.modRevision;
    const events = await env.eventsOf(() =>
      env.attributes.set(alice, key.handle, { label: 'changed', attributes: { extractable: true } }),
    );
    assert.deepEqual(
      events.map((event) => [event.action, event.result, event.code]),
      [['key.set-attribute', 'failure', 'ATTRIBUTE_READ_ONLY']],
    );
    assert.equal((await env.store.get(keyPath(key.handle)))!.modRevision, before);
    assert.equal((await env.keys.get(alice, key.handle)).label, 'keep');
  });

  test('the three refusal codes', async () => {
    const key = await env.aes(alice);
    await assert.rejects(
      env.attributes.set(alice, key.handle, { attributes: { sign: true, frob: true } }),
      coffer('ATTRIBUTE_TYPE_INVALID'),
    );
    await assert.rejects(env.attributes.set(alice, key.handle, { id: 'not-hex' }), coffer('ATTRIBUTE_VALUE_INVALID'));
    await assert.rejects(
      env.attributes.set(alice, key.handle, { attributes: { sensitive: false } }),
      coffer('ATTRIBUTE_READ_ONLY'),
    );
    await assert.rejects(env.attributes.set(alice, key.handle, {}), coffer('MISSING_FIELD'));
  });

  test('once modifiable is false nothing changes any more', async () => {
    const key = await env.aes(alice);
    await env.attributes.set(alice, key.handle, { attributes: { modifiable: false } });
    await assert.rejects(env.attributes.set(alice, key.handle, { label: 'x' }), coffer('ATTRIBUTE_READ_ONLY'));
    await assert.rejects(
      env.attributes.set(alice, key.handle, { attributes: { modifiable: false } }),
      coffer('ATTRIBUTE_READ_ONLY'),
    );
  });

  test('a shared user may not change the key; another user does not see it', async () => {
    const key = await env.aes(alice);
    await env.sharing.share(alice, key.handle, 'bob');
    const events = await env.eventsOf(() => env.attributes.set(bob, key.handle, { label: 'mine' }));
    assert.deepEqual(
      events.map((event) => event.code),
      ['PERMISSION_DENIED'],
    );
    const carol = await env.user('carol');
    await assert.rejects(env.attributes.set(carol, key.handle, { label: 'x' }), coffer('KEY_NOT_FOUND'));
  });

  test('an admin grants trust to a wrapping key but changes nothing else; the owner cannot grant it', async () => {
    await assert.rejects(
      env.attributes.set(admin, (await env.aes(alice)).handle, { attributes: { trusted: true } }),
      coffer('TEMPLATE_INCONSISTENT'),
      'a data key is never trusted',
    );
    const key = await env.keys.generateSymmetric(
      alice,
      { keyType: 'aes', lengthBytes: 32 },
      { label: 'kek', attributes: { wrap: true, unwrap: true } },
    );
    await assert.rejects(
      env.attributes.set(alice, key.handle, { attributes: { trusted: true } }),
      coffer('ATTRIBUTE_READ_ONLY'),
    );
    const trusted = await env.attributes.set(admin, key.handle, { attributes: { trusted: true } });
    assert.equal(trusted.attributes.trusted, true);
    await assert.rejects(env.attributes.set(admin, key.handle, { label: 'x' }), coffer('ATTRIBUTE_READ_ONLY'));
    const dropped = await env.attributes.set(alice, key.handle, { attributes: { trusted: false } });
    assert.equal(dropped.attributes.trusted, false);
  });

  test('a change based on a stale read fails with CONFLICT instead of being lost', async () => {
    const key = await env.aes(alice);
    const stale = await env.repository.load(key.handle);
    await env.attributes.set(alice, key.handle, { label: 'first' });
    const { compares, changes } = env.repository.replace(stale!, { ...stale!.record, label: 'second' });
    await assert.rejects(
      env.writer.commit({ compares, changes, event: { actor: 'alice', action: 'x', result: 'success' } }),
      coffer('CONFLICT'),
    );
    assert.equal((await env.keys.get(alice, key.handle)).label, 'first');
  });

  test('dates are stored on the record and cleared with null', async () => {
    const key = await env.aes(alice);
    const past = await env.attributes.set(alice, key.handle, { endDate: '2000-01-01' });
    assert.equal(past.endDate, '2000-01-01');
    const cleared = await env.attributes.set(alice, key.handle, { endDate: null });
    assert.equal(cleared.endDate, undefined);
    assert.equal((await env.repository.load(key.handle))!.record.endDate, undefined);
  });
});
