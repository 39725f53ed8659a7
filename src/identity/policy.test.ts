import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isCofferError } from '../errors/coffer-error.js';
import { PERMISSIONS, authorize, isAllowed, type PolicyOperation } from './policy.js';
import { ROLES, type Role } from './roles.js';

/**
 * The expected permission table, written out independently of policy.ts (CloudHSM's model:
 * admins manage users and the cluster and never use keys; crypto users own and use keys).
 * A = admin, C = crypto-user. Appliance and unactivated-admin may do nothing through this table.
 */
const EXPECTED: Record<PolicyOperation, { admin: boolean; crypto: boolean }> = {
  'cluster.seal': { admin: true, crypto: false },
  'cluster.set-policy': { admin: true, crypto: false },
  'cluster.read-policy': { admin: true, crypto: true },
  'cluster.issue-client-certificate': { admin: true, crypto: false },
  'cluster.add-node': { admin: true, crypto: false },
  'cluster.remove-node': { admin: true, crypto: false },
  'cluster.list-nodes': { admin: true, crypto: true },
  'audit.read': { admin: true, crypto: false },
  'audit.checkpoint': { admin: true, crypto: false },
  'key.read-usage': { admin: true, crypto: true },
  'user.list': { admin: true, crypto: true },
  'user.create': { admin: true, crypto: false },
  'user.delete': { admin: true, crypto: false },
  'user.unlock': { admin: true, crypto: false },
  'user.change-own-password': { admin: true, crypto: true },
  'user.change-password': { admin: true, crypto: false },
  'user.change-mfa': { admin: true, crypto: true },
  'user.change-quorum': { admin: true, crypto: true },
  'quorum.generate': { admin: true, crypto: true },
  'quorum.list': { admin: true, crypto: true },
  'quorum.delete': { admin: true, crypto: true },
  'quorum.read-values': { admin: true, crypto: true },
  'quorum.set-value': { admin: true, crypto: false },
  'key.set-quorum': { admin: false, crypto: true },
  'key.generate': { admin: false, crypto: true },
  'key.list': { admin: true, crypto: true },
  'key.read-attributes': { admin: true, crypto: true },
  'key.export-public': { admin: false, crypto: true },
  'key.delete': { admin: false, crypto: true },
  'key.set-attribute': { admin: true, crypto: true },
  'key.share': { admin: false, crypto: true },
  'key.unshare': { admin: false, crypto: true },
  'alias.create': { admin: false, crypto: true },
  'alias.list': { admin: false, crypto: true },
  'alias.delete': { admin: false, crypto: true },
  'key.import': { admin: false, crypto: true },
  'key.wrap': { admin: false, crypto: true },
  'key.unwrap': { admin: false, crypto: true },
  'key.derive': { admin: false, crypto: true },
  'crypto.encrypt': { admin: false, crypto: true },
  'crypto.decrypt': { admin: false, crypto: true },
  'crypto.sign': { admin: false, crypto: true },
  'crypto.verify': { admin: false, crypto: true },
  'crypto.digest': { admin: false, crypto: true },
  'crypto.random': { admin: false, crypto: true },
  'crypto.batch': { admin: false, crypto: true },
  'key.rotate': { admin: false, crypto: true },
  'xks.create-store': { admin: true, crypto: false },
  'xks.list-stores': { admin: true, crypto: false },
  'xks.delete-store': { admin: true, crypto: false },
  'xks.manage-credentials': { admin: true, crypto: false },
  'xks.expose-key': { admin: true, crypto: false },
  'xks.unexpose-key': { admin: true, crypto: false },
  'user.create-access-key': { admin: true, crypto: true },
  'user.list-access-keys': { admin: true, crypto: true },
  'user.disable-access-key': { admin: true, crypto: true },
  'user.delete-access-key': { admin: true, crypto: true },
};

function expected(role: Role, operation: PolicyOperation): boolean {
  const row = EXPECTED[operation];
  if (role === 'admin') return row.admin;
  if (role === 'crypto-user') return row.crypto;
  return false;
}

const OPERATIONS = Object.keys(PERMISSIONS) as PolicyOperation[];

describe('the permission table', () => {
  test('covers exactly the expected operations', () => {
    assert.deepEqual([...OPERATIONS].sort(), Object.keys(EXPECTED).sort());
  });

  test('names only known roles', () => {
    for (const operation of OPERATIONS) {
      for (const role of PERMISSIONS[operation])
        assert.ok((ROLES as readonly string[]).includes(role), `${operation}: ${role}`);
    }
  });

  for (const operation of OPERATIONS) {
    for (const role of ROLES) {
      const allowed = expected(role, operation);
      test(`${role} ${allowed ? 'may' : 'may not'} ${operation}`, () => {
        assert.equal(isAllowed(role, operation), allowed);
        if (allowed) assert.doesNotThrow(() => authorize(role, operation));
        else
          assert.throws(
            () => authorize(role, operation),
            (error: unknown) => isCofferError(error, 'PERMISSION_DENIED'),
          );
      });
    }
  }

  test('an admin can never do crypto.*', () => {
    const cryptoOperations = OPERATIONS.filter((operation) => operation.startsWith('crypto.'));
    assert.ok(cryptoOperations.length >= 7, 'encrypt, decrypt, sign, verify, digest, random, batch at least');
    for (const operation of cryptoOperations) assert.equal(isAllowed('admin', operation), false, operation);
  });

  test('a crypto user can never create, delete or unlock users, nor seal the cluster', () => {
    for (const operation of ['user.create', 'user.delete', 'user.unlock', 'cluster.seal'] as const) {
      assert.equal(isAllowed('crypto-user', operation), false, operation);
    }
  });

  test('an unactivated admin and an appliance can do nothing yet', () => {
    for (const role of ['unactivated-admin', 'appliance'] as const) {
      assert.deepEqual(
        OPERATIONS.filter((operation) => isAllowed(role, operation)),
        [],
        role,
      );
    }
  });

  test('the refusal names the role and the operation', () => {
    assert.throws(() => authorize('admin', 'crypto.sign'), /admin may not crypto\.sign/);
  });
});
