import { randomBytes } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { normalizeUsername } from '../../identity/credential-rules.js';
import type { KmsGrant } from '../../objects/kms-metadata.js';
import { kmsKey, type KmsContext, type KmsKeyRecord } from '../context.js';
import type { KmsHandler } from '../handler.js';
import { keyArn, keyReference } from '../key-ids.js';
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
import { changeKey } from './keys.js';

/**
 * Grants are Coffer's key sharing, narrowed: CreateGrant shares the key (both halves of a
 * pair) with the grantee, a crypto user named by username or IAM user ARN of the cluster's
 * account, for the listed operations only (context.ts enforces them on this API); the share
 * ends with the grantee's last grant, revoked by the owner or retired by its grantee or
 * retiring user. A grant takes effect at once, so grant tokens are accepted and add nothing.
 * Grants cannot grant CreateGrant (only an owner shares) and take no constraints.
 */
const GRANT_OPERATIONS = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'Sign',
  'Verify',
  'GetPublicKey',
  'GenerateMac',
  'VerifyMac',
  'DescribeKey',
  'RetireGrant',
  'DeriveSharedSecret',
];
const IAM_USER = /^arn:aws:iam::(\d{12}):user\/(.+)$/;
const GRANT_ID = /^[0-9a-f]{64}$/;
const TOKEN = /^([0-9a-f]{16})\.([0-9a-f]{64})$/;

/** The Coffer user a principal names: `alice`, or `arn:aws:iam::<account>:user/alice`. */
function principalUser(context: KmsContext, principal: string, member: string): string {
  const arn = IAM_USER.exec(principal);
  if (arn && arn[1] !== context.scope.account) throw new CofferError('INVALID_FIELD', `${member}: another account`);
  try {
    return normalizeUsername(arn ? arn[2]! : principal);
  } catch {
    throw new CofferError('INVALID_FIELD', `${member} is a username or arn:aws:iam::<account>:user/<username>`);
  }
}

function grantToken(handle: string, grantId: string): string {
  return Buffer.from(`${handle.slice(2)}.${grantId}`, 'ascii').toString('base64url');
}

function parseToken(token: string): { handle: string; grantId: string } {
  const match = TOKEN.exec(Buffer.from(token, 'base64url').toString('ascii'));
  if (!match) throw new CofferError('KMS_GRANT_TOKEN_INVALID');
  return { handle: `0x${match[1]}`, grantId: match[2]! };
}

function grantIdOf(input: KmsInput): string {
  const grantId = requiredString(input, 'GrantId', 128);
  if (!GRANT_ID.test(grantId)) throw new CofferError('KMS_GRANT_NOT_FOUND');
  return grantId;
}

const createGrant: KmsHandler = async (context, input) => {
  allowOnly(input, [
    'KeyId',
    'GranteePrincipal',
    'RetiringPrincipal',
    'Operations',
    'Constraints',
    'GrantTokens',
    'Name',
  ]);
  optionalStringList(input, 'GrantTokens', 10, 8192);
  if (input.Constraints !== undefined) throw new CofferError('KMS_OPERATION_UNSUPPORTED', 'grant constraints');
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  const granteePrincipal = requiredString(input, 'GranteePrincipal', 256);
  const grantee = principalUser(context, granteePrincipal, 'GranteePrincipal');
  const retiringPrincipal = optionalString(input, 'RetiringPrincipal', 256);
  const operations = optionalStringList(input, 'Operations', GRANT_OPERATIONS.length, 64);
  if (operations.length === 0) throw new CofferError('MISSING_FIELD', 'Operations');
  const unknown = operations.find((operation) => !GRANT_OPERATIONS.includes(operation));
  if (unknown !== undefined)
    throw new CofferError(
      unknown === 'CreateGrant' ? 'KMS_OPERATION_UNSUPPORTED' : 'INVALID_FIELD',
      `Operations: ${unknown.slice(0, 64)} is not granted here`,
    );
  const granted = [...new Set(operations)].sort();
  const name = optionalString(input, 'Name', 256);
  // A retried CreateGrant with the same name and terms gets the same grant (KMS's idempotence).
  const same = record.kms.grants.find(
    (grant) =>
      name !== undefined &&
      grant.name === name &&
      grant.grantee === grantee &&
      grant.operations.join() === granted.join(),
  );
  if (same) return { GrantId: same.grantId, GrantToken: grantToken(record.handle, same.grantId) };
  const grant: KmsGrant = {
    grantId: randomBytes(32).toString('hex'),
    ...(name !== undefined && { name }),
    grantee,
    granteePrincipal,
    ...(retiringPrincipal !== undefined && {
      retiringPrincipal,
      retiringUser: principalUser(context, retiringPrincipal, 'RetiringPrincipal'),
    }),
    operations: granted,
    createdAt: new Date().toISOString(),
  };
  await changeKey(context, record, 'key.share', { kind: 'grant', grant });
  return { GrantId: grant.grantId, GrantToken: grantToken(record.handle, grant.grantId) };
};

/** The key's owner revokes: kms.change-key(-pair), under the key's key-management quorum. */
async function revoke(context: KmsContext, record: KmsKeyRecord, grantId: string): Promise<void> {
  await changeKey(context, record, 'key.unshare', { kind: 'remove-grant', grantId });
}

const revokeGrant: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'GrantId']);
  const grantId = grantIdOf(input);
  await revoke(context, await kmsKey(context, requiredString(input, 'KeyId')), grantId);
  return {};
};

/** RetireGrant by token, or by key and grant id: the owner revokes; a grantee gives up its own. */
const retireGrant: KmsHandler = async (context, input) => {
  allowOnly(input, ['GrantToken', 'KeyId', 'GrantId']);
  const token = optionalString(input, 'GrantToken', 8192);
  const { handle, grantId } =
    token !== undefined
      ? parseToken(token)
      : { handle: keyReference(context.scope, requiredString(input, 'KeyId')), grantId: grantIdOf(input) };
  const record = await kmsKey(context, handle);
  if (record.owner === context.session.username) {
    await revoke(context, record, grantId);
    return {};
  }
  const pair = record.pairHandle !== undefined;
  await runNamed(context.services, context.session, pair ? 'kms.retire-grant-pair' : 'kms.retire-grant', {
    keyHandle: record.handle,
    ...(pair && { pairHandle: record.pairHandle }),
    grantId,
  });
  return {};
};

/** ListGrants: the owner sees every grant of the key; anyone else only its own. */
const listGrants: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'Limit', 'Marker', 'GrantId', 'GranteePrincipal']);
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  const limit = optionalInteger(input, 'Limit', 1, 100) ?? 50;
  const grantId = optionalString(input, 'GrantId', 128);
  const principal = optionalString(input, 'GranteePrincipal', 256);
  const grantee = principal === undefined ? undefined : principalUser(context, principal, 'GranteePrincipal');
  const { username } = context.session;
  const owner = record.owner === username || context.session.role === 'admin';
  const grants = record.kms.grants.filter(
    (grant) =>
      (owner || grant.grantee === username || grant.retiringUser === username) &&
      (grantId === undefined || grant.grantId === grantId) &&
      (grantee === undefined || grant.grantee === grantee),
  );
  const marker = optionalString(input, 'Marker', 128);
  const start = marker === undefined ? 0 : grants.findIndex((grant) => grant.grantId === marker) + 1;
  if (marker !== undefined && start === 0) throw new CofferError('KMS_MARKER_INVALID');
  const page = grants.slice(start, start + limit);
  const more = start + limit < grants.length;
  return {
    Grants: page.map((grant) => ({
      KeyId: keyArn(context.scope, record.handle),
      GrantId: grant.grantId,
      ...(grant.name !== undefined && { Name: grant.name }),
      CreationDate: epochSeconds(grant.createdAt),
      GranteePrincipal: grant.granteePrincipal,
      ...(grant.retiringPrincipal !== undefined && { RetiringPrincipal: grant.retiringPrincipal }),
      IssuingAccount: `arn:aws:iam::${context.scope.account}:root`,
      Operations: grant.operations,
    })),
    Truncated: more,
    ...(more && { NextMarker: page.at(-1)!.grantId }),
  };
};

export const GRANT_HANDLERS: Readonly<Record<string, KmsHandler>> = {
  CreateGrant: createGrant,
  RevokeGrant: revokeGrant,
  RetireGrant: retireGrant,
  ListGrants: listGrants,
};
