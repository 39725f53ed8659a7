import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import { blobAad, formatBlob, isBlob, parseBlob } from './ciphertext-blob.js';
import { canonicalContext } from './encryption-context.js';
import { checkAliasName, keyArn, keyIdOf, keyReference, kmsAccount } from './key-ids.js';

const scope = { account: kmsAccount('cluster-1'), region: 'eu-west-1' };
const handle = '0x1a2b3c4d5e6f7081';

test('a KeyId is the handle in UUID form, and every KMS name of a key resolves to its reference', () => {
  const keyId = keyIdOf(handle);
  assert.match(keyId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(keyReference(scope, keyId), handle);
  assert.equal(keyReference(scope, keyId.toUpperCase()), handle);
  assert.equal(keyReference(scope, keyArn(scope, handle)), handle);
  assert.equal(keyReference(scope, handle), handle);
  assert.equal(keyReference(scope, 'alias/orders'), 'alias/orders');
  assert.equal(keyReference(scope, `arn:aws:kms:us-east-1:${scope.account}:alias/orders`), 'alias/orders');
});

test('an ARN of another account, or a KeyId of no known form, is KEY_NOT_FOUND', () => {
  for (const keyId of [
    `arn:aws:kms:eu-west-1:000000000000:key/${keyIdOf(handle)}`,
    '1234abcd-12ab-34cd-56ef-1234567890ab',
    'alias/',
    'alias/has space',
    '',
  ])
    assert.throws(
      () => keyReference(scope, keyId),
      (error: unknown) => isCofferError(error, 'KEY_NOT_FOUND'),
      keyId,
    );
});

test('the account is twelve digits, fixed per cluster', () => {
  assert.match(scope.account, /^\d{12}$/);
  assert.equal(kmsAccount('cluster-1'), scope.account);
  assert.notEqual(kmsAccount('cluster-2'), scope.account);
});

test('alias names: alias/ and Coffer alias characters, never alias/aws/', () => {
  assert.equal(checkAliasName('alias/team/orders_v2-x'), 'alias/team/orders_v2-x');
  for (const name of ['orders', 'alias/aws/ebs', 'alias/', `alias/${'a'.repeat(65)}`, 'alias/a b'])
    assert.throws(
      () => checkAliasName(name),
      (error: unknown) => isCofferError(error, 'KMS_ALIAS_NAME_INVALID'),
      name,
    );
});

test('a blob keeps its key, version, IV and ciphertext; a foreign or short one is refused', () => {
  const iv = Buffer.alloc(12, 7);
  const ciphertext = Buffer.alloc(40, 9);
  const blob = formatBlob(handle, 3, iv, ciphertext);
  assert.ok(isBlob(blob));
  assert.deepEqual(parseBlob(blob), { handle, keyVersion: 3, iv, ciphertext });
  for (const bad of [blob.subarray(0, 20), Buffer.concat([Buffer.from('xxxx'), blob.subarray(4)]), Buffer.alloc(0)])
    assert.throws(
      () => parseBlob(bad),
      (error: unknown) => isCofferError(error, 'KMS_CIPHERTEXT_INVALID'),
    );
  const zeroVersion = Buffer.from(blob);
  zeroVersion.writeUInt32BE(0, 12);
  assert.throws(
    () => parseBlob(zeroVersion),
    (error: unknown) => isCofferError(error, 'KMS_CIPHERTEXT_INVALID'),
  );
});

test('the additional data binds the key and the context, whatever the order of its pairs', () => {
  assert.deepEqual(blobAad(handle, { a: '1', b: '2' }), blobAad(handle, { b: '2', a: '1' }));
  assert.notDeepEqual(blobAad(handle, { a: '1' }), blobAad(handle, { a: '2' }));
  assert.notDeepEqual(blobAad(handle, {}), blobAad('0x1a2b3c4d5e6f7082', {}));
  // Lengths are encoded: no two contexts run together into the same bytes.
  assert.notDeepEqual(canonicalContext({ ab: 'c' }), canonicalContext({ a: 'bc' }));
});
