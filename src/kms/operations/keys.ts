import { CofferError } from '../../errors/coffer-error.js';
import type { KeyRecord } from '../../objects/key-record.js';
import type { KmsKeyUsage, KmsMetadata } from '../../objects/kms-metadata.js';
import { isKmsKey, kmsKey, type KmsContext, type KmsKeyRecord } from '../context.js';
import { pastDeletion } from '../due.js';
import type { KmsHandler } from '../handler.js';
import type { KmsChange } from '../key-changes.js';
import { keyArn, keyIdOf } from '../key-ids.js';
import { keyMetadata } from '../key-metadata.js';
import { daysAfter } from '../key-operations.js';
import { KEY_SPEC_NAMES, KEY_SPECS, USAGE_ATTRIBUTES, type KeySpecName } from '../key-specs.js';
import {
  allowOnly,
  epochSeconds,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalString,
  requiredString,
  type KmsInput,
} from '../input.js';
import { runNamed } from '../run.js';
import { readTags } from '../tags.js';

const KEY_USAGES = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'] as const;
const MAX_DESCRIPTION = 8192;
/** KMS's window for a scheduled deletion, in days. */
const DELETION_WINDOW = { min: 7, max: 30, default: 30 } as const;
const MARKER = /^0x[0-9a-f]{16}$/;

/**
 * CreateKey: a Coffer key made inside the node by key.generate-symmetric or key.generate-pair,
 * with the usage attributes of its KMS key usage and its KMS metadata in the same record; with
 * Origin EXTERNAL, a key without material (kms.create-external-key) for ImportKeyMaterial.
 * What Coffer does not have — key policies, custom key stores, multi-Region keys — is refused,
 * never ignored.
 */
const createKey: KmsHandler = async (context, input) => {
  allowOnly(input, [
    'Description',
    'KeyUsage',
    'KeySpec',
    'CustomerMasterKeySpec',
    'Origin',
    'Tags',
    'Policy',
    'BypassPolicyLockoutSafetyCheck',
    'MultiRegion',
    'CustomKeyStoreId',
    'XksKeyId',
  ]);
  for (const member of ['Policy', 'CustomKeyStoreId', 'XksKeyId'])
    if (input[member] !== undefined)
      throw new CofferError(
        'KMS_OPERATION_UNSUPPORTED',
        `${member}: access to a key follows its owner, shares and grants`,
      );
  if (optionalBoolean(input, 'MultiRegion') === true)
    throw new CofferError('KMS_OPERATION_UNSUPPORTED', 'multi-Region keys');
  optionalBoolean(input, 'BypassPolicyLockoutSafetyCheck');
  const origin = optionalEnum(input, 'Origin', ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE']);
  if (origin !== undefined && origin !== 'AWS_KMS' && origin !== 'EXTERNAL')
    throw new CofferError('KMS_OPERATION_UNSUPPORTED', `Origin ${origin}`);
  const keySpec: KeySpecName =
    optionalEnum(input, 'KeySpec', KEY_SPEC_NAMES) ??
    optionalEnum(input, 'CustomerMasterKeySpec', KEY_SPEC_NAMES) ??
    'SYMMETRIC_DEFAULT';
  const row = KEY_SPECS[keySpec];
  const keyUsage: KmsKeyUsage = optionalEnum(input, 'KeyUsage', KEY_USAGES) ?? row.usages[0]!;
  if (!(row.usages as readonly string[]).includes(keyUsage))
    throw new CofferError('INVALID_FIELD', `KeyUsage ${keyUsage} is not one of ${keySpec}'s: ${row.usages.join(', ')}`);
  const kms: KmsMetadata = {
    keySpec,
    keyUsage,
    description: optionalString(input, 'Description', MAX_DESCRIPTION) ?? '',
    origin: 'AWS_KMS',
    tags: readTags(input),
    rotations: [],
    grants: [],
  };
  const attributes = USAGE_ATTRIBUTES[keyUsage];
  const { services, session } = context;
  const { request } = row;
  let record: KeyRecord;
  if (origin === 'EXTERNAL') {
    const out = await runNamed(services, session, 'kms.create-external-key', { kms, attributes: attributes.secret });
    record = out.key as KeyRecord;
  } else if (request.kind === 'secret') {
    const out = await runNamed(services, session, 'key.generate-symmetric', {
      keyType: request.keyType,
      keyLengthBytes: request.keyLengthBytes,
      attributes: attributes.secret,
      kms,
    });
    record = out.key as KeyRecord;
  } else {
    const out = await runNamed(services, session, 'key.generate-pair', {
      keyType: request.keyType,
      ...(request.keyType === 'rsa' ? { modulusBits: request.modulusBits } : { curve: request.curve }),
      publicAttributes: attributes.public,
      privateAttributes: attributes.private,
      kms,
    });
    record = out.privateKey as KeyRecord;
  }
  return { KeyMetadata: keyMetadata(context.scope, record as KmsKeyRecord) };
};

/** DescribeKey: the key read through key.read-attributes (any user who sees it, or an admin). */
const describeKey: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'GrantTokens']);
  const found = await kmsKey(context, requiredString(input, 'KeyId'));
  const out = await runNamed(context.services, context.session, 'key.read-attributes', { handle: found.handle });
  return { KeyMetadata: keyMetadata(context.scope, out.key as KmsKeyRecord, context.services.clock()) };
};

/** ListKeys: the KMS keys the caller sees, through key.list, in handle order; the Marker is a handle. */
const listKeys: KmsHandler = async (context, input) => {
  allowOnly(input, ['Limit', 'Marker']);
  const limit = optionalInteger(input, 'Limit', 1, 1000) ?? 100;
  const marker = optionalString(input, 'Marker', 64);
  if (marker !== undefined && !MARKER.test(marker)) throw new CofferError('KMS_MARKER_INVALID');
  const keys: KmsKeyRecord[] = [];
  let after = marker;
  for (;;) {
    const page = await runNamed(context.services, context.session, 'key.list', {
      ...(after !== undefined && { after }),
      limit: String(limit),
    });
    for (const record of page.keys as KeyRecord[]) {
      if (!isKmsKey(record) || pastDeletion(record)) continue;
      keys.push(record);
      if (keys.length === limit) return listed(context, keys, record.handle);
    }
    if (page.next === undefined) return listed(context, keys, undefined);
    after = page.next as string;
  }
};

function listed(context: KmsContext, keys: readonly KmsKeyRecord[], next: string | undefined) {
  return {
    Keys: keys.map((record) => ({ KeyId: keyIdOf(record.handle), KeyArn: keyArn(context.scope, record.handle) })),
    Truncated: next !== undefined,
    ...(next !== undefined && { NextMarker: next }),
  };
}

/** Runs a state or metadata change through kms.change-key (or -pair: both halves' state). */
export async function changeKey(
  context: KmsContext,
  record: KmsKeyRecord,
  permission: 'key.set-attribute' | 'key.share' | 'key.unshare',
  change: KmsChange,
): Promise<KmsKeyRecord> {
  const pair = record.pairHandle !== undefined;
  const out = await runNamed(context.services, context.session, pair ? 'kms.change-key-pair' : 'kms.change-key', {
    keyHandle: record.handle,
    ...(pair && { pairHandle: record.pairHandle }),
    permission,
    action: context.action,
    change,
  });
  return out.key as KmsKeyRecord;
}

const stateChange =
  (kind: 'enable' | 'disable'): KmsHandler =>
  async (context, input) => {
    allowOnly(input, ['KeyId']);
    await changeKey(context, await kmsKey(context, requiredString(input, 'KeyId')), 'key.set-attribute', { kind });
    return {};
  };

const scheduleKeyDeletion: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'PendingWindowInDays']);
  const days =
    optionalInteger(input, 'PendingWindowInDays', DELETION_WINDOW.min, DELETION_WINDOW.max) ?? DELETION_WINDOW.default;
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  const deletionDate = daysAfter(new Date().toISOString(), days);
  await changeKey(context, record, 'key.set-attribute', { kind: 'schedule-deletion', deletionDate });
  return {
    KeyId: keyArn(context.scope, record.handle),
    DeletionDate: epochSeconds(deletionDate),
    KeyState: 'PendingDeletion',
    PendingWindowInDays: days,
  };
};

const cancelKeyDeletion: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId']);
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  await changeKey(context, record, 'key.set-attribute', { kind: 'cancel-deletion' });
  return { KeyId: keyArn(context.scope, record.handle) };
};

const updateKeyDescription: KmsHandler = async (context, input: KmsInput) => {
  allowOnly(input, ['KeyId', 'Description']);
  const description = optionalString(input, 'Description', MAX_DESCRIPTION);
  if (description === undefined) throw new CofferError('MISSING_FIELD', 'Description');
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  await changeKey(context, record, 'key.set-attribute', { kind: 'description', description });
  return {};
};

export const KEY_HANDLERS: Readonly<Record<string, KmsHandler>> = {
  CreateKey: createKey,
  DescribeKey: describeKey,
  ListKeys: listKeys,
  EnableKey: stateChange('enable'),
  DisableKey: stateChange('disable'),
  ScheduleKeyDeletion: scheduleKeyDeletion,
  CancelKeyDeletion: cancelKeyDeletion,
  UpdateKeyDescription: updateKeyDescription,
};
