import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { decoyHash, hashPassword, verifyPassword, type PasswordHash } from './password-hash.js';

function newPassword(): Buffer {
  return Buffer.from(randomBytes(12).toString('base64url'), 'utf8');
}

describe('password hashing', () => {
  test('verify accepts the right password and refuses a wrong one', async () => {
    const password = newPassword();
    const stored = await hashPassword(password);
    assert.equal(await verifyPassword(password, stored), true);
    assert.equal(await verifyPassword(Buffer.from(password), stored), true, 'a copy of the bytes verifies too');
    assert.equal(await verifyPassword(newPassword(), stored), false);
    const oneOff = Buffer.from(password);
    oneOff[0] = oneOff[0]! ^ 1;
    assert.equal(await verifyPassword(oneOff, stored), false);
    assert.equal(await verifyPassword(Buffer.concat([password, Buffer.from('x')]), stored), false);
  });

  test('the stored form is scrypt with its parameters, a 16-byte salt and a 32-byte hash, and holds no password', async () => {
    const password = newPassword();
    const stored = await hashPassword(password);
    assert.equal(stored.algorithm, 'scrypt');
    assert.deepEqual([stored.N, stored.r, stored.p], [32768, 8, 1]);
    assert.equal(Buffer.from(stored.salt, 'base64').length, 16);
    assert.equal(Buffer.from(stored.hash, 'base64').length, 32);
    assert.ok(!JSON.stringify(stored).includes(password.toString('utf8')));
  });

  test('the same password hashed twice gets different salts and hashes, and each verifies', async () => {
    const password = newPassword();
    const a = await hashPassword(password);
    const b = await hashPassword(password);
    assert.notEqual(a.salt, b.salt);
    assert.notEqual(a.hash, b.hash);
    assert.equal(await verifyPassword(password, a), true);
    assert.equal(await verifyPassword(password, b), true);
  });

  test('verify uses the parameters stored with the hash, so they can be raised later', async () => {
    const password = newPassword();
    const salt = randomBytes(16);
    const params = { N: 1024, r: 8, p: 1 };
    const stored: PasswordHash = {
      algorithm: 'scrypt',
      ...params,
      salt: salt.toString('base64'),
      hash: scryptSync(password, salt, 32, params).toString('base64'),
    };
    assert.equal(await verifyPassword(password, stored), true);
    assert.equal(await verifyPassword(password, { ...stored, N: 2048 }), false);
  });

  test('a tampered or truncated stored hash refuses the right password instead of throwing', async () => {
    const password = newPassword();
    const stored = await hashPassword(password);
    const bytes = Buffer.from(stored.hash, 'base64');
    bytes[0] = bytes[0]! ^ 1;
    assert.equal(await verifyPassword(password, { ...stored, hash: bytes.toString('base64') }), false);
    assert.equal(await verifyPassword(password, { ...stored, hash: bytes.subarray(0, 16).toString('base64') }), false);
    const otherSalt = randomBytes(16).toString('base64');
    assert.equal(await verifyPassword(password, { ...stored, salt: otherSalt }), false);
  });

  test('the decoy hash is made once and verifies no password', async () => {
    const first = await decoyHash();
    assert.equal(await decoyHash(), first);
    assert.equal(await verifyPassword(newPassword(), first), false);
  });
});
