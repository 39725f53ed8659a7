import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import { gcmAad, MAX_XKS_AAD_BYTES } from './xks-aad.js';

test('the GCM AAD is len16(aad) ‖ aad ‖ len8(metadata) ‖ metadata, big-endian', () => {
  assert.equal(gcmAad(Buffer.from('ab'), Buffer.from('xyz')).toString('hex'), '0002' + '6162' + '03' + '78797a');
  assert.equal(gcmAad(Buffer.alloc(0), Buffer.alloc(0)).toString('hex'), '000000');
  assert.equal(gcmAad(Buffer.alloc(300, 1), Buffer.alloc(0)).subarray(0, 2).toString('hex'), '012c');
});

test('metadata cannot pass for AAD, nor AAD for metadata (the spec’s example of an unintended decrypt)', () => {
  const metadata = Buffer.from('meta');
  assert.notDeepEqual(gcmAad(Buffer.alloc(0), metadata), gcmAad(metadata, Buffer.alloc(0)));
});

test('AAD up to the spec’s 8192 bytes; more is not supported, metadata over 20 bytes is invalid', () => {
  assert.equal(gcmAad(Buffer.alloc(MAX_XKS_AAD_BYTES), Buffer.alloc(20)).length, 2 + MAX_XKS_AAD_BYTES + 1 + 20);
  assert.throws(
    () => gcmAad(Buffer.alloc(MAX_XKS_AAD_BYTES + 1), Buffer.alloc(0)),
    (error: unknown) => isCofferError(error, 'DATA_LEN_RANGE'),
  );
  assert.throws(
    () => gcmAad(Buffer.alloc(0), Buffer.alloc(21)),
    (error: unknown) => isCofferError(error, 'INVALID_FIELD'),
  );
});
