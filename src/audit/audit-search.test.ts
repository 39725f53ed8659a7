import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCofferError } from '../errors/coffer-error.js';
import type { AuditEvent } from './audit-event.js';
import { isEmptyFilter, matcher } from './audit-search.js';

const event = (fields: Partial<AuditEvent>): AuditEvent => ({
  seq: 1,
  time: '2025-03-01T12:00:00.000Z',
  node: 'n',
  actor: 'alice',
  action: 'crypto.sign',
  target: 'key/0x1',
  result: 'success',
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
  ...fields,
});

test('each filter narrows, all must match', () => {
  const cases: [Parameters<typeof matcher>[0], Partial<AuditEvent>, boolean][] = [
    [{}, {}, true],
    [{ actor: 'alice' }, {}, true],
    [{ actor: 'bob' }, {}, false],
    [{ action: 'crypto.sign' }, {}, true],
    [{ action: 'crypto.sig' }, {}, false],
    [{ action: 'crypto.*' }, {}, true],
    [{ action: 'key.*' }, {}, false],
    [{ target: 'key/0x1' }, {}, true],
    [{ target: 'key/0x2' }, {}, false],
    [{ result: 'failure' }, {}, false],
    [{ result: 'failure' }, { result: 'failure' }, true],
    [{ since: '2025-03-01T12:00:00Z' }, {}, true],
    [{ since: '2025-03-01T12:00:00.001Z' }, {}, false],
    [{ until: '2025-03-01T12:00:00Z' }, {}, true],
    [{ until: '2025-03-01T11:59:59Z' }, {}, false],
    [{ actor: 'alice', result: 'failure' }, {}, false],
  ];
  for (const [filter, fields, expected] of cases)
    assert.equal(matcher(filter)(event(fields)), expected, JSON.stringify(filter));
});

test('a bad time is INVALID_FIELD', () => {
  assert.throws(
    () => matcher({ since: 'yesterday' }),
    (error: unknown) => isCofferError(error, 'INVALID_FIELD'),
  );
});

test('isEmptyFilter', () => {
  assert.equal(isEmptyFilter({}), true);
  assert.equal(isEmptyFilter({ actor: undefined }), true);
  assert.equal(isEmptyFilter({ actor: 'a' }), false);
});
