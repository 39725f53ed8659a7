import { isCofferError } from '../errors/coffer-error.js';
import type { KmsContext, KmsKeyRecord } from './context.js';
import { materialExpired } from './key-metadata.js';
import { runNamed } from './run.js';

/**
 * What falls due on a KMS key with time: its destruction after the deletion date, the deletion
 * of imported material past its expiry, and its automatic rotation. Both are done by the key's owner's own requests — the next KMS call of
 * its owner that names or lists the key — through the registry (key.delete, kms.rotate-key),
 * so they pass the gate, the quorum and audit as the owner's. Until then a key past its
 * deletion date is answered as missing to everyone and is never usable (it is pending deletion).
 */
export function pastDeletion(record: KmsKeyRecord, now = new Date()): boolean {
  const date = record.kms.deletionDate;
  return record.state === 'pending-deletion' && date !== undefined && Date.parse(date) <= now.getTime();
}

/** The key as it stands after anything due: undefined once it is (or is to be) destroyed. */
export async function settleDue(context: KmsContext, record: KmsKeyRecord): Promise<KmsKeyRecord | undefined> {
  const { services, session } = context;
  const owner = record.owner === session.username;
  if (pastDeletion(record)) {
    if (owner) await destroy(context, record);
    return undefined;
  }
  if (owner && materialExpired(record, services.clock())) {
    try {
      const out = await runNamed(services, session, 'kms.delete-imported-key-material', {
        keyHandle: record.handle,
        reason: 'expired',
      });
      return out.key as KmsKeyRecord;
    } catch (error) {
      // Refused (the key-management quorum): the gate refuses the expired material's use all the same.
      if (!isCofferError(error)) throw error;
    }
  }
  const rotation = record.kms.rotation;
  if (owner && record.state === 'enabled' && rotation && Date.parse(rotation.nextRotationDate) <= Date.now()) {
    try {
      const out = await runNamed(services, session, 'kms.rotate-key', {
        keyHandle: record.handle,
        rotationType: 'AUTOMATIC',
      });
      return out.key as KmsKeyRecord;
    } catch (error) {
      // Refused (the key-management quorum, a concurrent change): audited, and the key serves
      // on at its current version; the rotation is tried again at the owner's next call.
      if (!isCofferError(error)) throw error;
    }
  }
  return record;
}

/** Destroys both halves of a key; a refusal (the key-management quorum) leaves it pending. */
async function destroy(context: KmsContext, record: KmsKeyRecord): Promise<void> {
  const { services, session } = context;
  try {
    // The private half first: should the public one then be refused, only a public key is left.
    await runNamed(services, session, 'key.delete', { handle: record.handle });
    if (record.pairHandle !== undefined) await runNamed(services, session, 'key.delete', { handle: record.pairHandle });
  } catch (error) {
    if (!isCofferError(error)) throw error;
  }
}
