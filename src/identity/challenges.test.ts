import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import { RecordWriter } from '../records/record-writer.js';
import { openTestStore, type TestStore } from '../../test/support/test-store.js';
import { CHALLENGE_LIFETIME_MS, CHALLENGE_PREFIX, ChallengeStore, MAX_CHALLENGES_PER_USER } from './challenges.js';
import { parseSignerKey, verifySignature } from './signer-keys.js';

describe('challenges (sealed records in the store)', () => {
  let t: TestStore;
  let now: number;
  beforeEach(async () => {
    t = await openTestStore('coffer-challenges-');
    now = 1_000;
  });
  afterEach(() => t.close());
  const challenges = (writer: RecordWriter = t.writer) =>
    new ChallengeStore({ reader: t.reader, writer, now: () => now });

  test('single use, bound to the user and the purpose, expiring', async () => {
    const store = challenges();
    const issued = await store.issue('mia', 'mfa-login');
    assert.equal(await store.take(issued.challengeId, 'max', 'mfa-login'), undefined, 'another user');
    const again = await store.issue('mia', 'mfa-login');
    assert.equal(await store.take(again.challengeId, 'mia', 'register-mfa'), undefined, 'another purpose');
    assert.equal(await store.take(again.challengeId, 'mia', 'mfa-login'), undefined, 'spent by the wrong purpose');
    const fresh = await store.issue('mia', 'mfa-login');
    assert.equal((await store.take(fresh.challengeId, 'mia', 'mfa-login'))?.toString('base64'), fresh.challenge);
    assert.equal(await store.take(fresh.challengeId, 'mia', 'mfa-login'), undefined, 'used');
    const late = await store.issue('mia', 'mfa-login');
    now += CHALLENGE_LIFETIME_MS;
    assert.equal(await store.take(late.challengeId, 'mia', 'mfa-login'), undefined, 'expired');
    for (const id of ['', '../user/mia', 'x'.repeat(64)])
      assert.equal(await store.take(id, 'mia', 'mfa-login'), undefined, JSON.stringify(id));
  });

  test('issued on one node, taken on another; the same answer at both at once is taken once', async () => {
    const nodeA = challenges();
    const nodeB = challenges(new RecordWriter(t.store, t.barrier, 'node-2'));
    const issued = await nodeA.issue('mia', 'mfa-login');
    const [a, b] = await Promise.all([
      nodeA.take(issued.challengeId, 'mia', 'mfa-login'),
      nodeB.take(issued.challengeId, 'mia', 'mfa-login'),
    ]);
    assert.equal([a, b].filter((bytes) => bytes?.toString('base64') === issued.challenge).length, 1, 'exactly one');
    assert.equal([a, b].filter((bytes) => bytes === undefined).length, 1);
  });

  test('the store holds sealed records under challenge/<user>/; at most 16 live per user; the sweep ends expired ones', async () => {
    const store = challenges();
    const first = await store.issue('mia', 'register-mfa');
    for (let i = 0; i < MAX_CHALLENGES_PER_USER + 4; i++) {
      now += 1;
      await store.issue('mia', 'mfa-login');
    }
    const held = (await t.store.range(CHALLENGE_PREFIX)).entries;
    assert.equal(held.length, MAX_CHALLENGES_PER_USER, 'the oldest went first');
    assert.ok(held.every((entry) => entry.key.startsWith(`${CHALLENGE_PREFIX}mia/`)));
    const bytes = Buffer.from(first.challenge, 'base64');
    for (const entry of held) assert.equal(entry.value.indexOf(bytes), -1, 'sealed');
    assert.equal(await store.take(first.challengeId, 'mia', 'register-mfa'), undefined, 'dropped as the oldest');
    await store.issue('max', 'mfa-login');
    now += CHALLENGE_LIFETIME_MS;
    // max's expired one goes with his new one's commit; mia's wait for the sweep.
    const young = await store.issue('max', 'mfa-login');
    assert.equal(await store.sweep(), MAX_CHALLENGES_PER_USER);
    assert.equal((await t.store.range(CHALLENGE_PREFIX)).entries.length, 1);
    assert.ok(await store.take(young.challengeId, 'max', 'mfa-login'));
  });
});

describe('signer keys', () => {
  const data = Buffer.from('approval data');
  test('P-256 and RSA 2048 are accepted; P-384 and RSA 1024 are not', () => {
    const pem = (key: ReturnType<typeof generateKeyPairSync>['publicKey']) =>
      key.export({ format: 'pem', type: 'spki' }).toString();
    assert.ok(parseSignerKey(pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)));
    assert.ok(parseSignerKey(pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)));
    for (const weak of [
      generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey,
    ]) {
      assert.throws(
        () => parseSignerKey(pem(weak)),
        (error: unknown) => isCofferError(error, 'PUBLIC_KEY_INVALID'),
      );
    }
    assert.throws(
      () => parseSignerKey('junk'),
      (error: unknown) => isCofferError(error, 'PUBLIC_KEY_INVALID'),
    );
  });

  test('RSA PKCS#1 v1.5 and PSS, ECDSA DER verify; another key or other data do not', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.ok(verifySignature(rsa.publicKey, data, sign('sha256', data, rsa.privateKey)));
    const pss = sign('sha256', data, { key: rsa.privateKey, padding: 6, saltLength: 32 });
    assert.ok(verifySignature(rsa.publicKey, data, pss));
    const ecdsa = sign('sha256', data, ec.privateKey);
    assert.ok(verifySignature(ec.publicKey, data, ecdsa));
    assert.equal(verifySignature(other.publicKey, data, ecdsa), false);
    assert.equal(verifySignature(ec.publicKey, Buffer.from('other data'), ecdsa), false);
    assert.equal(verifySignature(ec.publicKey, data, Buffer.from('garbage')), false);
  });
});
