import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import { checkPathPrefix, EXTERNAL_KEY_ID, uriPath } from './xks-paths.js';

const invalid = (error: unknown): boolean => isCofferError(error, 'INVALID_FIELD');

test('a prefix makes an XksProxyUriPath of at most 128 characters, a-zA-Z0-9 / - _', () => {
  assert.equal(uriPath(checkPathPrefix('')), '/kms/xks/v1');
  assert.equal(uriPath(checkPathPrefix('/keystores/4a0d79d6-1d1b_x')), '/keystores/4a0d79d6-1d1b_x/kms/xks/v1');
  assert.equal(uriPath(checkPathPrefix(`/${'a'.repeat(116)}`)).length, 128);
  assert.equal(checkPathPrefix('/kms/xks'), '/kms/xks');
  assert.throws(() => checkPathPrefix(`/${'a'.repeat(117)}`), invalid);
  for (const bad of [
    'keystores',
    '/a/',
    '/a//b',
    '/a.b',
    '/a%20b',
    '/ä',
    '/v1',
    '/v1/x',
    '/a/b/c/d/e/f/g/h/i',
    '/kms/xks/v1',
    '/kms/xks/v1/a',
  ])
    assert.throws(() => checkPathPrefix(bad), invalid, bad);
});

test('external key ids: 1 to 128 letters, digits, hyphen, period, underscore', () => {
  for (const good of ['k', 'b42c7fbf-de61-441c-ae24-123456789012', 'a.b_c-D', 'x'.repeat(128)])
    assert.match(good, EXTERNAL_KEY_ID);
  for (const bad of ['', 'x'.repeat(129), 'a/b', 'a b', 'a:b']) assert.doesNotMatch(bad, EXTERNAL_KEY_ID);
});
