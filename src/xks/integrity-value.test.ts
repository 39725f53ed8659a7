import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import { integrityHash, integrityValue } from './integrity-value.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

test('the spec’s Appendix C example computes the published CDIV', () => {
  const value = integrityValue('SHA_256', {
    aad: Buffer.from('project=nile,department=marketing', 'utf8'),
    ciphertextMetadata: Buffer.from('key_version=1', 'utf8'),
    iv: hex('1c ca e5 47 0f 39 70 02 54 77 90 31'),
    ciphertext: hex('82 1c 64 2b 5b 71 78 33 67 de af 18'),
    tag: hex('bc 1c 4d da 77 07 d6 81 24 47 c5 95 5e 99 b2 61'),
  });
  assert.equal(value, 'qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc=');
  assert.equal(
    Buffer.from(value, 'base64').toString('hex'),
    'a8703f2260bd8791ec2d15ea0b23e65a0631eedcf2a13a65cc82db3f47cf5ec7',
  );
});

test('absent parts count as empty, and no lengths enter: the hash of the concatenation', () => {
  const empty = Buffer.alloc(0);
  const parts = { aad: empty, ciphertextMetadata: empty, iv: hex('0001'), ciphertext: hex('02'), tag: hex('03') };
  const expected = createHash('sha256').update(hex('00010203')).digest('base64');
  assert.equal(integrityValue('SHA_256', parts), expected);
  // As the spec says, it guards against bit flips only: a byte moved between fields hashes the same.
  assert.equal(integrityValue('SHA_256', { ...parts, iv: hex('00'), ciphertext: hex('0102') }), expected);
});

test('an algorithm other than SHA_256 is refused as not supported', () => {
  assert.equal(integrityHash('SHA_256'), 'sha256');
  assert.throws(
    () => integrityHash('SHA_512'),
    (error: unknown) => isCofferError(error, 'MECHANISM_INVALID'),
  );
});
