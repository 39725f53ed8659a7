import type { KeyState } from '../objects/key-record.js';
import { keyArn, keyIdOf, type KmsScope } from './key-ids.js';
import type { KmsKeyRecord } from './context.js';
import { epochSeconds } from './input.js';
import { algorithmsOf, isKeySpec } from './key-specs.js';

/** Whether a key's imported material has expired (the gate refuses its use from then on). */
export function materialExpired(record: KmsKeyRecord, now: Date): boolean {
  const validTo = record.materialValidTo;
  return validTo !== undefined && record.state !== 'pending-import' && now.getTime() >= Date.parse(validTo);
}

const KEY_STATES: Readonly<Record<KeyState, string>> = {
  enabled: 'Enabled',
  disabled: 'Disabled',
  'pending-deletion': 'PendingDeletion',
  destroyed: 'Unavailable',
  'pending-import': 'PendingImport',
};

/**
 * KMS's KeyMetadata of a KMS key (DescribeKey, CreateKey), from its key record. Imported
 * material past its expiry is gone for KMS: the key shows PendingImport from that instant.
 */
export function keyMetadata(scope: KmsScope, record: KmsKeyRecord, now = new Date()): Record<string, unknown> {
  const { kms } = record;
  const state = materialExpired(record, now) ? 'pending-import' : record.state;
  return {
    AWSAccountId: scope.account,
    KeyId: keyIdOf(record.handle),
    Arn: keyArn(scope, record.handle),
    CreationDate: epochSeconds(record.createdAt),
    Enabled: state === 'enabled',
    Description: kms.description,
    KeyUsage: kms.keyUsage,
    KeyState: KEY_STATES[state],
    ...(kms.deletionDate !== undefined && { DeletionDate: epochSeconds(kms.deletionDate) }),
    Origin: kms.origin,
    ...(kms.origin === 'EXTERNAL' &&
      state !== 'pending-import' &&
      kms.imported && {
        ExpirationModel: kms.imported.expirationModel,
        ...(kms.imported.validTo !== undefined && { ValidTo: epochSeconds(kms.imported.validTo) }),
      }),
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: kms.keySpec,
    KeySpec: kms.keySpec,
    ...(isKeySpec(kms.keySpec) ? algorithmsOf(kms.keySpec, kms.keyUsage) : {}),
    MultiRegion: false,
  };
}
