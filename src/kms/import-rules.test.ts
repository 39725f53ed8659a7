import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fingerprintOf, sameMaterial } from './import-record.js';
import {
  formatToken,
  importedMaterial,
  materialRefusal,
  newTokenId,
  parseToken,
  PARAMETERS_LIFETIME_MS,
  tokenRefusal,
  type PendingParameters,
} from './import-rules.js';

const HANDLE = '0x0123456789abcdef';
const NOW = new Date('2026-06-01T00:00:00.000Z');

function pending(tokenId: Buffer): PendingParameters {
  return {
    tokenId: tokenId.toString('hex'),
    wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
    wrappingKeySpec: 'RSA_2048',
    expiresAt: new Date(NOW.getTime() + PARAMETERS_LIFETIME_MS).toISOString(),
  };
}

test('a token names its key and id; any changed byte, another key or another id is refused', () => {
  const id = newTokenId();
  const token = formatToken(HANDLE, id);
  assert.deepEqual(parseToken(token), { handle: HANDLE, tokenId: id });
  assert.equal(tokenRefusal(token, HANDLE, pending(id), NOW), undefined);
  for (let index = 0; index < token.length; index++) {
    const altered = Buffer.from(token);
    altered[index]! ^= 0x80;
    assert.equal(tokenRefusal(altered, HANDLE, pending(id), NOW)?.code, 'KMS_IMPORT_TOKEN_INVALID', `byte ${index}`);
  }
  assert.equal(tokenRefusal(token, '0x0123456789abcdee', pending(id), NOW)?.code, 'KMS_IMPORT_TOKEN_INVALID');
  assert.equal(tokenRefusal(token, HANDLE, pending(newTokenId()), NOW)?.code, 'KMS_IMPORT_TOKEN_INVALID');
  assert.equal(tokenRefusal(token, HANDLE, undefined, NOW)?.code, 'KMS_IMPORT_TOKEN_INVALID');
  assert.equal(tokenRefusal(token.subarray(1), HANDLE, pending(id), NOW)?.code, 'KMS_IMPORT_TOKEN_INVALID');
});

test('a token expires 24 hours after its parameters, to the millisecond', () => {
  const id = newTokenId();
  const token = formatToken(HANDLE, id);
  const last = new Date(NOW.getTime() + PARAMETERS_LIFETIME_MS - 1);
  assert.equal(tokenRefusal(token, HANDLE, pending(id), last), undefined);
  const expired = new Date(NOW.getTime() + PARAMETERS_LIFETIME_MS);
  assert.equal(tokenRefusal(token, HANDLE, pending(id), expired)?.code, 'KMS_IMPORT_TOKEN_EXPIRED');
});

test('the expiry asked for: ValidTo required with KEY_MATERIAL_EXPIRES (the default), refused without', () => {
  const soon = new Date(NOW.getTime() + 3_600_000);
  assert.deepEqual(importedMaterial(undefined, soon, NOW), {
    ok: true,
    imported: { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: soon.toISOString() },
  });
  assert.equal(importedMaterial(undefined, undefined, NOW).ok, false);
  assert.equal(importedMaterial('KEY_MATERIAL_EXPIRES', NOW, NOW).ok, false, 'not in the past or now');
  assert.equal(importedMaterial('KEY_MATERIAL_EXPIRES', new Date(NOW.getTime() + 366 * 86_400_000), NOW).ok, false);
  assert.equal(importedMaterial('KEY_MATERIAL_DOES_NOT_EXPIRE', soon, NOW).ok, false);
  assert.deepEqual(importedMaterial('KEY_MATERIAL_DOES_NOT_EXPIRE', undefined, NOW), {
    ok: true,
    imported: { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' },
  });
});

test('material lengths per spec; asymmetric specs take none here', () => {
  assert.equal(materialRefusal('SYMMETRIC_DEFAULT', 32), undefined);
  for (const length of [16, 31, 33, 64])
    assert.equal(materialRefusal('SYMMETRIC_DEFAULT', length)?.code, 'KMS_KEY_MATERIAL_INCORRECT', String(length));
  assert.equal(materialRefusal('HMAC_256', 32), undefined);
  assert.equal(materialRefusal('HMAC_256', 64), undefined);
  assert.equal(materialRefusal('HMAC_256', 31)?.code, 'KMS_KEY_MATERIAL_INCORRECT');
  assert.equal(materialRefusal('HMAC_512', 129)?.code, 'KMS_KEY_MATERIAL_INCORRECT');
  assert.equal(materialRefusal('RSA_2048', 1200)?.code, 'KMS_OPERATION_UNSUPPORTED');
});

test('the fingerprint knows the same material again and no other, salted per key', () => {
  const material = Buffer.alloc(32, 7);
  const print = fingerprintOf(material);
  assert.equal(sameMaterial(print, Buffer.alloc(32, 7)), true);
  assert.equal(sameMaterial(print, Buffer.alloc(32, 8)), false);
  assert.notEqual(fingerprintOf(material).digest, print.digest);
});
