import type { KeyState } from '../objects/key-record.js';
import { keyArn, keyIdOf, type KmsScope } from './key-ids.js';
import type { KmsKeyRecord } from './context.js';
import { epochSeconds } from './input.js';
import { algorithmsOf, isKeySpec } from './key-specs.js';

const KEY_STATES: Readonly<Record<KeyState, string>> = {
  enabled: 'Enabled',
  disabled: 'Disabled',
  'pending-deletion': 'PendingDeletion',
  destroyed: 'Unavailable',
};

/** KMS's KeyMetadata of a KMS key (DescribeKey, CreateKey), from its key record. */
export function keyMetadata(scope: KmsScope, record: KmsKeyRecord): Record<string, unknown> {
  const { kms } = record;
  return {
    AWSAccountId: scope.account,
    KeyId: keyIdOf(record.handle),
    Arn: keyArn(scope, record.handle),
    CreationDate: epochSeconds(record.createdAt),
    Enabled: record.state === 'enabled',
    Description: kms.description,
    KeyUsage: kms.keyUsage,
    KeyState: KEY_STATES[record.state],
    ...(kms.deletionDate !== undefined && { DeletionDate: epochSeconds(kms.deletionDate) }),
    Origin: kms.origin,
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: kms.keySpec,
    KeySpec: kms.keySpec,
    ...(isKeySpec(kms.keySpec) ? algorithmsOf(kms.keySpec, kms.keyUsage) : {}),
    MultiRegion: false,
  };
}
