import { createHash } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import { parseHandle } from '../objects/key-handle.js';

/**
 * How KMS names keys, over Coffer's: a KeyId is the key's 64-bit handle in UUID form (the
 * handle's 16 hex digits, then a fixed tail), so it needs no index and sorts as handles do; a
 * key ARN is `arn:aws:kms:<region>:<account>:key/<KeyId>`; an alias is `alias/<name>` (a Coffer
 * alias of the same name) or its ARN. The account is the cluster's: twelve digits derived from
 * its id. Wherever KMS takes a KeyId, any of these (and a Coffer handle, 0x…) is accepted.
 */
const KEY_ID_TAIL = 'c0ff-ee0000000000';
const KEY_ID = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-c0ff-ee0000000000$/;
const KEY_ARN = /^arn:aws:kms:([a-z0-9-]{1,32}):(\d{12}):key\/(.+)$/;
const ALIAS_ARN = /^arn:aws:kms:([a-z0-9-]{1,32}):(\d{12}):(alias\/.+)$/;
export const KMS_ALIAS_PREFIX = 'alias/';
/** KMS reserves these for AWS managed keys. */
const RESERVED_ALIAS_PREFIX = 'alias/aws/';
/** Coffer's alias names (key-aliases.ts), after `alias/`. */
const ALIAS_NAME = /^alias\/[A-Za-z0-9/_-]{1,64}$/;

/** Where KMS names are made: the cluster's account and the region a request was signed for. */
export interface KmsScope {
  readonly account: string;
  readonly region: string;
}

export function kmsAccount(clusterId: string): string {
  const digest = createHash('sha256').update(`coffer-kms-account:${clusterId}`).digest();
  return (digest.readBigUInt64BE(0) % 10n ** 12n).toString().padStart(12, '0');
}

export function keyIdOf(handle: string): string {
  const hex = handle.slice(2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${KEY_ID_TAIL}`;
}

export function keyArn(scope: KmsScope, handle: string): string {
  return `arn:aws:kms:${scope.region}:${scope.account}:key/${keyIdOf(handle)}`;
}

export function aliasArn(scope: KmsScope, aliasName: string): string {
  return `arn:aws:kms:${scope.region}:${scope.account}:${aliasName}`;
}

/**
 * The Coffer key reference a KMS KeyId names: a handle (0x…) or `alias/<name>`. A key id of no
 * known form, or an ARN of another account, is NotFoundException, as for a missing key.
 */
export function keyReference(scope: KmsScope, keyId: string): string {
  const alias = ALIAS_ARN.exec(keyId);
  if (alias) return sameAccount(scope, alias[2]!, aliasReference(alias[3]!));
  const arn = KEY_ARN.exec(keyId);
  if (arn) return sameAccount(scope, arn[2]!, handleOfKeyId(arn[3]!));
  if (keyId.startsWith(KMS_ALIAS_PREFIX)) return aliasReference(keyId);
  return handleOfKeyId(keyId);
}

/** `alias/<name>`, checked as KMS and Coffer name aliases; reserved names are refused. */
export function checkAliasName(aliasName: string): string {
  if (!ALIAS_NAME.test(aliasName) || aliasName.startsWith(RESERVED_ALIAS_PREFIX))
    throw new CofferError('KMS_ALIAS_NAME_INVALID');
  return aliasName;
}

function aliasReference(aliasName: string): string {
  if (!ALIAS_NAME.test(aliasName)) throw new CofferError('KEY_NOT_FOUND', 'no such alias');
  return aliasName;
}

function handleOfKeyId(keyId: string): string {
  const match = KEY_ID.exec(keyId.toLowerCase());
  if (match) return parseHandle(`0x${match[1]}${match[2]}${match[3]}`);
  if (keyId.startsWith('0x')) return parseHandle(keyId);
  throw new CofferError('KEY_NOT_FOUND', 'a KeyId is a key id, key ARN, alias name or alias ARN');
}

function sameAccount(scope: KmsScope, account: string, reference: string): string {
  if (account !== scope.account) throw new CofferError('KEY_NOT_FOUND', 'the ARN names another account');
  return reference;
}
