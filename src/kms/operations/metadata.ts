import { CofferError } from '../../errors/coffer-error.js';
import { kmsKey, type KmsContext, type KmsKeyRecord } from '../context.js';
import type { KmsHandler } from '../handler.js';
import { keyArn } from '../key-ids.js';
import { daysAfter } from '../key-operations.js';
import {
  allowOnly,
  epochSeconds,
  optionalInteger,
  optionalString,
  optionalStringList,
  requiredString,
  type KmsInput,
} from '../input.js';
import { runNamed } from '../run.js';
import { readTags } from '../tags.js';
import { changeKey } from './keys.js';

/** KMS's rotation period: 90 to 2,560 days, a year by default. */
const ROTATION_DAYS = { min: 90, max: 2560, default: 365 } as const;
const SYMMETRIC = 'SYMMETRIC_DEFAULT';

async function keyOf(context: KmsContext, input: KmsInput): Promise<KmsKeyRecord> {
  return kmsKey(context, requiredString(input, 'KeyId'));
}

/** A page of a list held in the key record; the Marker is the index to go on from. */
function paged<T>(items: readonly T[], input: KmsInput, maxLimit: number) {
  const limit = optionalInteger(input, 'Limit', 1, maxLimit) ?? maxLimit;
  const marker = optionalString(input, 'Marker', 16);
  const start = marker === undefined ? 0 : Number(marker);
  if (!Number.isInteger(start) || start < 0 || start > items.length || (marker !== undefined && !/^\d+$/.test(marker)))
    throw new CofferError('KMS_MARKER_INVALID');
  const page = items.slice(start, start + limit);
  const next = start + limit < items.length ? String(start + limit) : undefined;
  return { page, more: { Truncated: next !== undefined, ...(next !== undefined && { NextMarker: next }) } };
}

const tagResource: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'Tags']);
  const tags = readTags(input);
  if (tags.length === 0) throw new CofferError('MISSING_FIELD', 'Tags');
  await changeKey(context, await keyOf(context, input), 'key.set-attribute', { kind: 'tag', tags });
  return {};
};

const untagResource: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'TagKeys']);
  const tagKeys = optionalStringList(input, 'TagKeys', 50, 128);
  if (tagKeys.length === 0) throw new CofferError('MISSING_FIELD', 'TagKeys');
  await changeKey(context, await keyOf(context, input), 'key.set-attribute', { kind: 'untag', tagKeys });
  return {};
};

/** Tags are read as DescribeKey reads (key.read-attributes): anyone who sees the key. */
const listResourceTags: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'Limit', 'Marker']);
  const record = await keyOf(context, input);
  const out = await runNamed(context.services, context.session, 'key.read-attributes', { handle: record.handle });
  const { page, more } = paged((out.key as KmsKeyRecord).kms.tags, input, 50);
  return { Tags: page, ...more };
};

/** Only symmetric encryption keys rotate, as in KMS. */
function rotatable(record: KmsKeyRecord): void {
  if (record.kms.keySpec !== SYMMETRIC)
    throw new CofferError('KMS_OPERATION_UNSUPPORTED', 'only symmetric encryption keys rotate');
}

const enableKeyRotation: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'RotationPeriodInDays']);
  const periodDays =
    optionalInteger(input, 'RotationPeriodInDays', ROTATION_DAYS.min, ROTATION_DAYS.max) ?? ROTATION_DAYS.default;
  const record = await keyOf(context, input);
  rotatable(record);
  const nextRotationDate = daysAfter(new Date().toISOString(), periodDays);
  await changeKey(context, record, 'key.set-attribute', {
    kind: 'rotation',
    rotation: { periodDays, nextRotationDate },
  });
  return {};
};

const disableKeyRotation: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId']);
  const record = await keyOf(context, input);
  rotatable(record);
  await changeKey(context, record, 'key.set-attribute', { kind: 'rotation', rotation: undefined });
  return {};
};

const getKeyRotationStatus: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId']);
  const record = await keyOf(context, input);
  const { rotation } = record.kms;
  return {
    KeyId: keyArn(context.scope, record.handle),
    KeyRotationEnabled: rotation !== undefined,
    ...(rotation && {
      RotationPeriodInDays: rotation.periodDays,
      NextRotationDate: epochSeconds(rotation.nextRotationDate),
    }),
  };
};

/** RotateKeyOnDemand: kms.rotate-key, at once; the automatic schedule, if any, is kept. */
const rotateKeyOnDemand: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId']);
  const record = await keyOf(context, input);
  rotatable(record);
  await runNamed(context.services, context.session, 'kms.rotate-key', {
    keyHandle: record.handle,
    rotationType: 'ON_DEMAND',
  });
  return { KeyId: keyArn(context.scope, record.handle) };
};

const listKeyRotations: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'Limit', 'Marker']);
  const record = await keyOf(context, input);
  rotatable(record);
  const { page, more } = paged(record.kms.rotations, input, 1000);
  return {
    Rotations: page.map((rotation) => ({
      KeyId: keyArn(context.scope, record.handle),
      RotationDate: epochSeconds(rotation.rotationDate),
      RotationType: rotation.rotationType,
    })),
    ...more,
  };
};

export const METADATA_HANDLERS: Readonly<Record<string, KmsHandler>> = {
  TagResource: tagResource,
  UntagResource: untagResource,
  ListResourceTags: listResourceTags,
  EnableKeyRotation: enableKeyRotation,
  DisableKeyRotation: disableKeyRotation,
  GetKeyRotationStatus: getKeyRotationStatus,
  RotateKeyOnDemand: rotateKeyOnDemand,
  ListKeyRotations: listKeyRotations,
};
