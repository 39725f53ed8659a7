import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATIONS } from './index.js';

/**
 * Which writes accept an Idempotency-Key, as a table: every operation that changes stored state
 * does (its declaration carries its replay); these do not, each for its reason.
 */
const NOT_IDEMPOTENT: Readonly<Record<string, string>> = {
  'key.wrap': 'an export, no stored change: its answer is a wrapped key, which is never stored to replay',
  'key.copy': 'always refused (keys are not copyable): nothing to replay',
  'crypto.encrypt': 'no stored change',
  'crypto.decrypt': 'no stored change',
  'crypto.sign': 'no stored change',
  'crypto.verify': 'no stored change',
  'crypto.digest': 'no stored change',
  'crypto.random': 'no stored change',
  'crypto.operation.begin': 'a multi-part operation lives in one node’s memory, never in the store',
  'crypto.operation.update': 'a multi-part operation lives in one node’s memory, never in the store',
  'crypto.operation.final': 'a multi-part operation lives in one node’s memory, never in the store',
  'crypto.operation.abort': 'a multi-part operation lives in one node’s memory, never in the store',
  'xks.get-key-metadata': 'no stored change',
  'xks.encrypt': 'no stored change',
  'xks.decrypt': 'no stored change',
  'kms.change-key': 'the KMS-compatible API only, and KMS requests carry no Idempotency-Key',
  'kms.change-key-pair': 'the KMS-compatible API only, and KMS requests carry no Idempotency-Key',
  'kms.retire-grant': 'the KMS-compatible API only, and KMS requests carry no Idempotency-Key',
  'kms.retire-grant-pair': 'the KMS-compatible API only, and KMS requests carry no Idempotency-Key',
  'kms.derive-shared-secret': 'no stored change',
  'kms.rotate-key': 'the KMS-compatible API only, and KMS requests carry no Idempotency-Key',
  'kms.create-external-key': 'the KMS-compatible API only, and KMS requests carry no Idempotency-Key',
  'kms.get-parameters-for-import': 'the KMS-compatible API only, and KMS requests carry no Idempotency-Key',
  'kms.import-key-material': 'the KMS-compatible API only, and KMS requests carry no Idempotency-Key',
  'kms.delete-imported-key-material': 'the KMS-compatible API only, and KMS requests carry no Idempotency-Key',
};

const READS = new Set(['pkcs11.find-objects', 'pkcs11.read-key-attributes', 'pkcs11.read-object-attributes']);

test('every write of the registry accepts an Idempotency-Key, or is listed with its reason', () => {
  for (const op of OPERATIONS) {
    const read = op.http?.method === 'GET' || READS.has(op.name);
    const reason = NOT_IDEMPOTENT[op.name];
    if (read) assert.equal(op.idempotent, undefined, `${op.name} is a read`);
    else assert.ok((op.idempotent === undefined) === (reason !== undefined), `${op.name}: a replay or a reason`);
  }
  for (const name of Object.keys(NOT_IDEMPOTENT))
    assert.ok(
      OPERATIONS.some((op) => op.name === name),
      `${name} is listed but not registered`,
    );
});

test('the writes served in POST /v1/batch are the ones whose item may carry its own idempotencyKey', () => {
  const batchedWrites = OPERATIONS.filter((op) => op.batch !== undefined && op.idempotent !== undefined);
  assert.deepEqual(
    batchedWrites.map((op) => op.name),
    ['pkcs11.generate-key'],
  );
});
