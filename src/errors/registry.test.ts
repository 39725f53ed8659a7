import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CofferError } from './coffer-error.js';
import { KMS_EXCEPTIONS } from './kms-exceptions.js';
import { ERRORS, isErrorCode } from './registry.js';

// Tests run from the repository root (make test), compiled or not.
const doc = readFileSync(join(process.cwd(), 'docs', 'reference', 'errors.md'), 'utf8');
// One table row per code; columns may be padded (prettier aligns markdown tables).
const ROW = /^\|\s*`([A-Z_0-9]+)`\s*\|\s*(\d+)\s*\|\s*`(CKR_[A-Z_]+)`\s*\|\s*`([A-Za-z]+)`\s*\|\s*(.+?)\s*\|$/gm;
const documented = new Map(
  [...doc.matchAll(ROW)].map((match) => [
    match[1]!,
    { status: Number(match[2]), ckr: match[3]!, kms: match[4]!, message: match[5]! },
  ]),
);

test('every registry code is documented with its status, CKR value, KMS exception and message', () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    assert.deepEqual(
      documented.get(code),
      { status: spec.status, ckr: spec.ckr, kms: spec.kms, message: spec.message },
      code,
    );
  }
});

test('every documented code exists in the registry', () => {
  for (const code of documented.keys()) assert.ok(isErrorCode(code), `${code} is documented but not in the registry`);
  assert.equal(documented.size, Object.keys(ERRORS).length);
});

test('statuses are HTTP error statuses, CKR names are PKCS#11 names, KMS names are KMS exceptions', () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    assert.ok(spec.status >= 400 && spec.status < 600, code);
    assert.match(spec.ckr, /^CKR_[A-Z_]+$/, code);
    assert.ok(Object.hasOwn(KMS_EXCEPTIONS, spec.kms), code);
  }
});

test('a CofferError carries its code, status and a message that starts with the registry text', () => {
  const error = new CofferError('KEY_SIZE_RANGE', 'AES keys are 16, 24 or 32 bytes');
  assert.equal(error.status, 400);
  assert.ok(error.message.startsWith(ERRORS.KEY_SIZE_RANGE.message));
  assert.ok(error.message.endsWith('AES keys are 16, 24 or 32 bytes'));
});
