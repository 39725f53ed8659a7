import { CofferError } from '../errors/coffer-error.js';
import type { Role } from './roles.js';

/**
 * The permission table (CloudHSM's): which role may perform which operation. Every route
 * names its operation and is checked here, in one place. Ownership of keys is checked on top
 * of this by the key service: a crypto user may use only keys it owns or that are shared with
 * it, and may manage only keys it owns.
 */
export const PERMISSIONS = {
  'cluster.seal': ['admin'],
  'cluster.set-policy': ['admin'],
  'cluster.read-policy': ['admin', 'crypto-user'],
  'cluster.issue-client-certificate': ['admin'],
  // Nodes: an admin adds (the CA signs its certificate) and removes (revokes it); any user lists them.
  'cluster.add-node': ['admin'],
  'cluster.remove-node': ['admin'],
  'cluster.list-nodes': ['admin', 'crypto-user'],
  'audit.read': ['admin'],
  'audit.checkpoint': ['admin'],
  // A key's usage counters: its owner, or an admin (the key service checks ownership).
  'key.read-usage': ['admin', 'crypto-user'],
  'user.list': ['admin', 'crypto-user'],
  'user.create': ['admin'],
  'user.delete': ['admin'],
  'user.unlock': ['admin'],
  'user.change-own-password': ['admin', 'crypto-user'],
  // Another user's password (CloudHSM: an admin may, without the current one; under the user quorum).
  'user.change-password': ['admin'],
  // Own MFA key (an admin may also deregister another user's, under the user quorum).
  'user.change-mfa': ['admin', 'crypto-user'],
  // Own quorum approval key.
  'user.change-quorum': ['admin', 'crypto-user'],
  // Access keys of the KMS-compatible API: a user creates its own only (with its password);
  // its user or an admin lists, disables and deletes them (the service checks whose).
  'user.create-access-key': ['admin', 'crypto-user'],
  'user.list-access-keys': ['admin', 'crypto-user'],
  'user.disable-access-key': ['admin', 'crypto-user'],
  'user.delete-access-key': ['admin', 'crypto-user'],
  'quorum.generate': ['admin', 'crypto-user'],
  'quorum.list': ['admin', 'crypto-user'],
  'quorum.delete': ['admin', 'crypto-user'],
  'quorum.read-values': ['admin', 'crypto-user'],
  'quorum.set-value': ['admin'],
  // A key's own key-management / key-usage quorum values (its owner).
  'key.set-quorum': ['crypto-user'],
  'key.generate': ['crypto-user'],
  'key.list': ['admin', 'crypto-user'],
  'key.read-attributes': ['admin', 'crypto-user'],
  'key.export-public': ['crypto-user'],
  'key.delete': ['crypto-user'],
  // An admin may change only what the attribute table gives an admin (CKA_TRUSTED). A KMS key's
  // state and KMS metadata are changed under this row too, by its owner only (the gate).
  'key.set-attribute': ['admin', 'crypto-user'],
  'key.share': ['crypto-user'],
  'key.unshare': ['crypto-user'],
  'alias.create': ['crypto-user'],
  'alias.list': ['crypto-user'],
  'alias.delete': ['crypto-user'],
  'key.import': ['crypto-user'],
  'key.wrap': ['crypto-user'],
  'key.unwrap': ['crypto-user'],
  'key.derive': ['crypto-user'],
  'crypto.encrypt': ['crypto-user'],
  'crypto.decrypt': ['crypto-user'],
  'crypto.sign': ['crypto-user'],
  'crypto.verify': ['crypto-user'],
  'crypto.digest': ['crypto-user'],
  'crypto.random': ['crypto-user'],
  'crypto.batch': ['crypto-user'],
  'key.rotate': ['crypto-user'],
  // XKS key stores (src/xks/): an admin makes them, chooses the keys, and holds their SigV4 credentials.
  'xks.create-store': ['admin'],
  'xks.list-stores': ['admin'],
  'xks.delete-store': ['admin'],
  'xks.manage-credentials': ['admin'],
  'xks.expose-key': ['admin'],
  'xks.unexpose-key': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type PolicyOperation = keyof typeof PERMISSIONS;

export function isAllowed(role: Role, operation: PolicyOperation): boolean {
  return (PERMISSIONS[operation] as readonly Role[]).includes(role);
}

export function authorize(role: Role, operation: PolicyOperation): void {
  if (!isAllowed(role, operation)) throw new CofferError('PERMISSION_DENIED', `${role} may not ${operation}`);
}
