import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CofferError } from '../errors/coffer-error.js';
import { ERRORS, type ErrorCode } from '../errors/registry.js';
import { XKS_ERROR_OF, XKS_ERROR_STATUS, xksError } from './xks-errors.js';

// Tests run from the repository root. The integration page's error table: | `Name` | status | when |
const doc = readFileSync(join(process.cwd(), 'docs', 'integrations', 'xks.md'), 'utf8');
const ROW = /^\|\s*`([A-Za-z]+Exception)`\s*\|\s*(\d+)\s*\|/gm;
const documented = new Map([...doc.matchAll(ROW)].map((match) => [match[1]!, Number(match[2])]));

test('the XKS error names and statuses are the spec’s table, and the integration page lists exactly them', () => {
  assert.equal(Object.keys(XKS_ERROR_STATUS).length, 12);
  assert.deepEqual(Object.fromEntries(documented), XKS_ERROR_STATUS);
});

test('every registry code has an XKS name, and every refusal of the proxy’s own codes is the spec’s', () => {
  for (const code of Object.keys(ERRORS) as ErrorCode[]) assert.ok(XKS_ERROR_STATUS[XKS_ERROR_OF[code]], code);
  const expected: Partial<Record<ErrorCode, string>> = {
    XKS_AUTHENTICATION_FAILED: 'AuthenticationFailedException',
    XKS_URI_PATH_INVALID: 'InvalidUriPathException',
    KEY_NOT_FOUND: 'KeyNotFoundException',
    ENCRYPTED_DATA_INVALID: 'InvalidCiphertextException',
    XKS_KEY_NOT_ENABLED: 'InvalidStateException',
    KEY_FUNCTION_NOT_PERMITTED: 'InvalidKeyUsageException',
    MECHANISM_INVALID: 'UnsupportedOperationException',
    NODE_SEALED: 'InternalException',
    INVALID_FIELD: 'ValidationException',
    QUORUM_REQUIRED: 'AccessDeniedException',
  };
  for (const [code, name] of Object.entries(expected)) assert.equal(XKS_ERROR_OF[code as ErrorCode], name, code);
});

test('the answer: the name’s status (405 for a method), and a printable ASCII message under 512 characters', () => {
  const answer = xksError(new CofferError('ENCRYPTED_DATA_INVALID', 'tag\u00e9\n'.repeat(200)));
  assert.equal(answer.status, 400);
  assert.equal(answer.body.errorName, 'InvalidCiphertextException');
  assert.match(answer.body.errorMessage, /^[\x20-\x7e]{1,511}$/);
  assert.equal(xksError(new CofferError('XKS_METHOD_NOT_ALLOWED')).status, 405);
  assert.equal(xksError(new CofferError('XKS_AUTHENTICATION_FAILED')).status, 401);
});
