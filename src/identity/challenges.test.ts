import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import { CHALLENGE_LIFETIME_MS, ChallengeStore } from './challenges.js';
import { parseSignerKey, verifySignature } from './signer-keys.js';

describe('challenges', () => {
  test('single use, bound to the user and the purpose, expiring', () => {
    let now = 1_000;
    const store = new ChallengeStore(() => now);
    const issued = store.issue('mia', 'mfa-login');
    assert.equal(store.take(issued.challengeId, 'max', 'mfa-login'), undefined, 'another user');
    const again = store.issue('mia', 'mfa-login');
    assert.equal(store.take(again.challengeId, 'mia', 'register-mfa'), undefined, 'another purpose');
    const fresh = store.issue('mia', 'mfa-login');
    assert.equal(store.take(fresh.challengeId, 'mia', 'mfa-login')?.toString('base64'), fresh.challenge);
    assert.equal(store.take(fresh.challengeId, 'mia', 'mfa-login'), undefined, 'used');
    const late = store.issue('mia', 'mfa-login');
    now += CHALLENGE_LIFETIME_MS;
    assert.equal(store.take(late.challengeId, 'mia', 'mfa-login'), undefined, 'expired');
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
