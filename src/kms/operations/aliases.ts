import { CofferError } from '../../errors/coffer-error.js';
import { isKmsKey, kmsKey, type KmsContext, type KmsKeyRecord } from '../context.js';
import type { KmsHandler } from '../handler.js';
import { aliasArn, checkAliasName, keyIdOf, KMS_ALIAS_PREFIX } from '../key-ids.js';
import { allowOnly, optionalInteger, optionalString, requiredString } from '../input.js';
import { runNamed } from '../run.js';

/**
 * KMS aliases are Coffer's aliases (alias.create, alias.delete, alias.list): `alias/orders`
 * names the Coffer alias `orders`, cluster-wide, and only its key's owner names or unnames it.
 * CreateAlias refuses a name that exists; UpdateAlias moves one of the caller's names to
 * another of its keys of the same kind and usage, as KMS does.
 */
const nameOf = (aliasName: string): string => aliasName.slice(KMS_ALIAS_PREFIX.length);

/** The KMS key an alias of the caller names now, or undefined. */
async function aliased(context: KmsContext, aliasName: string): Promise<KmsKeyRecord | undefined> {
  const found = await context.services.gate.find(context.session, aliasName);
  return found && isKmsKey(found.record) ? found.record : undefined;
}

/** An alias targets a key by its id or ARN, never by another alias. */
async function target(context: KmsContext, keyId: string): Promise<KmsKeyRecord> {
  if (keyId.startsWith(KMS_ALIAS_PREFIX) || keyId.includes(':alias/'))
    throw new CofferError('INVALID_FIELD', 'TargetKeyId is a key id or key ARN, not an alias');
  return kmsKey(context, keyId);
}

const createAlias: KmsHandler = async (context, input) => {
  allowOnly(input, ['AliasName', 'TargetKeyId']);
  const aliasName = checkAliasName(requiredString(input, 'AliasName', 256));
  const record = await target(context, requiredString(input, 'TargetKeyId'));
  if (await aliased(context, aliasName)) throw new CofferError('ALIAS_EXISTS', aliasName);
  await runNamed(context.services, context.session, 'alias.create', {
    '*': nameOf(aliasName),
    keyHandle: record.handle,
  });
  return {};
};

const updateAlias: KmsHandler = async (context, input) => {
  allowOnly(input, ['AliasName', 'TargetKeyId']);
  const aliasName = checkAliasName(requiredString(input, 'AliasName', 256));
  const record = await target(context, requiredString(input, 'TargetKeyId'));
  const current = await aliased(context, aliasName);
  if (!current) throw new CofferError('ALIAS_NOT_FOUND', aliasName);
  const kind = (key: KmsKeyRecord) => `${key.kms.keySpec === 'SYMMETRIC_DEFAULT'}/${key.kms.keyUsage}`;
  if (kind(current) !== kind(record))
    throw new CofferError('INVALID_FIELD', 'an alias moves only to a key of the same type and KeyUsage');
  await runNamed(context.services, context.session, 'alias.create', {
    '*': nameOf(aliasName),
    keyHandle: record.handle,
  });
  return {};
};

const deleteAlias: KmsHandler = async (context, input) => {
  allowOnly(input, ['AliasName']);
  const aliasName = requiredString(input, 'AliasName', 256);
  if (!aliasName.startsWith(KMS_ALIAS_PREFIX)) throw new CofferError('KMS_ALIAS_NAME_INVALID');
  await runNamed(context.services, context.session, 'alias.delete', { '*': nameOf(aliasName) });
  return {};
};

/** The aliases of the KMS keys the caller sees (alias.list), optionally of one key, in pages. */
const listAliases: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'Limit', 'Marker']);
  const limit = optionalInteger(input, 'Limit', 1, 100) ?? 50;
  const marker = optionalString(input, 'Marker', 512);
  const keyId = optionalString(input, 'KeyId');
  const only = keyId === undefined ? undefined : (await kmsKey(context, keyId)).handle;
  const out = await runNamed(context.services, context.session, 'alias.list', {});
  const kms = new Map<string, boolean>();
  const entries: { alias: string; keyHandle: string }[] = [];
  for (const entry of out.aliases as { alias: string; keyHandle: string }[]) {
    if (only !== undefined && entry.keyHandle !== only) continue;
    if (!kms.has(entry.keyHandle)) {
      const found = await context.services.gate.find(context.session, entry.keyHandle);
      kms.set(entry.keyHandle, found !== undefined && isKmsKey(found.record));
    }
    if (kms.get(entry.keyHandle)) entries.push(entry);
  }
  const cursor = (entry: { alias: string; keyHandle: string }) => `${entry.keyHandle}/${entry.alias}`;
  const start = marker === undefined ? 0 : entries.findIndex((entry) => cursor(entry) > marker);
  if (marker !== undefined && !/^0x[0-9a-f]{16}\//.test(marker)) throw new CofferError('KMS_MARKER_INVALID');
  const page = start < 0 ? [] : entries.slice(start, start + limit);
  const more = start >= 0 && start + limit < entries.length;
  return {
    Aliases: page.map((entry) => ({
      AliasName: KMS_ALIAS_PREFIX + entry.alias,
      AliasArn: aliasArn(context.scope, KMS_ALIAS_PREFIX + entry.alias),
      TargetKeyId: keyIdOf(entry.keyHandle),
    })),
    Truncated: more,
    ...(more && { NextMarker: cursor(page.at(-1)!) }),
  };
};

export const ALIAS_HANDLERS: Readonly<Record<string, KmsHandler>> = {
  CreateAlias: createAlias,
  UpdateAlias: updateAlias,
  DeleteAlias: deleteAlias,
  ListAliases: listAliases,
};
