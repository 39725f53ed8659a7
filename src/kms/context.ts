import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord } from '../objects/key-record.js';
import type { KmsMetadata } from '../objects/kms-metadata.js';
import type { Services } from '../operations/services.js';
import { refuseAudited } from '../records/audited-refusal.js';
import { settleDue } from './due.js';
import { keyReference, type KmsScope } from './key-ids.js';

/** What every KMS operation handler has: the services, the signer's session, and the names' scope. */
export interface KmsContext {
  readonly services: Services;
  readonly session: Session;
  readonly scope: KmsScope;
  /** The operation as audited: kms.<Operation>. */
  readonly action: string;
}

export type KmsKeyRecord = KeyRecord & { readonly kms: KmsMetadata };

/**
 * The KMS key a KeyId names, as the caller may see it: resolved to a Coffer reference and
 * checked by the key-use gate in its `read` role (so a key the caller may not see is an audited
 * KEY_NOT_FOUND, exactly as a missing one), and refused the same way when it is no KMS key.
 * Nothing is used here: each operation then runs with the key's handle through the registry.
 */
export async function kmsKey(
  context: KmsContext,
  keyId: string,
  grantOperation: string = context.action.slice('kms.'.length),
): Promise<KmsKeyRecord> {
  const { services, session, action } = context;
  const reference = keyReference(context.scope, keyId);
  const checked = await services.gate.check(session, reference, 'read', { action });
  const record = checked.loaded.record;
  const refuse = (detail: string): Promise<never> =>
    refuseAudited(
      services.writer,
      { actor: session.username, action, target: `key/${record.handle}` },
      'KEY_NOT_FOUND',
      detail,
    );
  if (!isKmsKey(record)) return refuse('not a KMS key');
  const settled = await settleDue(context, record);
  if (!settled) return refuse('the key was scheduled for deletion and its date has passed');
  if (!grantAllows(settled, session, grantOperation))
    return refuseAudited(
      services.writer,
      { actor: session.username, action, target: `key/${record.handle}` },
      'PERMISSION_DENIED',
      `no grant of this key allows ${grantOperation}`,
    );
  return settled;
}

/** What a grantee may always do with its own grants. */
const ALWAYS_GRANTED = ['ListGrants', 'RetireGrant'];

/**
 * Grants narrow a share on this API: a user who holds grants of a key may call only the
 * operations they list (and list and retire them). A user the key is shared with without any
 * grant (`coffer key share`) uses it as sharing allows; the owner and admins are not grantees.
 */
function grantAllows(record: KmsKeyRecord, session: Session, operation: string): boolean {
  if (record.owner === session.username || session.role === 'admin' || ALWAYS_GRANTED.includes(operation)) return true;
  const granted = record.kms.grants.filter((grant) => grant.grantee === session.username);
  return granted.length === 0 || granted.some((grant) => grant.operations.includes(operation));
}

export function isKmsKey(record: KeyRecord): record is KmsKeyRecord {
  return record.kms !== undefined && record.class !== 'public';
}

/**
 * Runs a use of a key; the gate's refusal of a key that is not enabled becomes KMS's own:
 * DisabledException, or KMSInvalidStateException (pending deletion, pending import, or
 * imported material that has expired).
 */
export async function withKeyState<T>(record: KeyRecord, use: () => Promise<T>): Promise<T> {
  try {
    return await use();
  } catch (error) {
    if (!isCofferError(error, 'KEY_FUNCTION_NOT_PERMITTED')) throw error;
    if (record.state === 'disabled') throw new CofferError('KMS_KEY_DISABLED', 'the key is disabled');
    if (record.state !== 'enabled') throw new CofferError('KMS_INVALID_STATE', `the key is ${record.state}`);
    if (record.materialValidTo !== undefined)
      throw new CofferError('KMS_INVALID_STATE', 'the imported key material has expired');
    throw error;
  }
}

/** The KMS key usage a handler needs; an audited InvalidKeyUsageException otherwise. */
export async function requireUsage(
  context: KmsContext,
  record: KmsKeyRecord,
  usages: readonly KmsMetadata['keyUsage'][],
): Promise<void> {
  if (usages.includes(record.kms.keyUsage)) return;
  const { services, session, action } = context;
  await refuseAudited(
    services.writer,
    { actor: session.username, action, target: `key/${record.handle}` },
    'KEY_FUNCTION_NOT_PERMITTED',
    `the key's KeyUsage is ${record.kms.keyUsage}`,
  );
}
