import type { KeyClass, KeyShape, KeyType } from '../crypto/types.js';
import type { BooleanAttributes } from './attributes.js';
import type { KmsMetadata } from './kms-metadata.js';

/** `pending-import`: a key made for imported material (KMS Origin EXTERNAL) that has none now. */
export type KeyState = 'enabled' | 'disabled' | 'pending-deletion' | 'destroyed' | 'pending-import';

/**
 * A key object as stored (sealed) at `key/<handle>`: its PKCS#11 attributes and Coffer's own
 * fields. The key material is not a field: it travels beside the record in the sealed value
 * (see key-record-codec.ts) and is never part of anything returned to a client.
 */
export interface KeyRecord {
  /** The 64-bit key reference, as 0x followed by 16 hex digits. */
  readonly handle: string;
  readonly class: KeyClass;
  readonly keyType: KeyType;
  readonly label: string;
  /** CKA_ID as hex (empty when none). */
  readonly id: string;
  readonly attributes: Partial<BooleanAttributes>;
  /** CKA_START_DATE / CKA_END_DATE as YYYY-MM-DD (absent: unbounded); crypto use outside is refused. */
  readonly startDate?: string;
  readonly endDate?: string;
  /** When imported key material expires (ISO 8601 instant): from then on the key is not used. */
  readonly materialValidTo?: string;
  readonly shape: KeyShape;
  /** CKA_CHECK_VALUE, hex. */
  readonly checkValue: string;
  readonly owner: string;
  readonly sharedWith: readonly string[];
  readonly state: KeyState;
  readonly version: number;
  /** The other half of a key pair. */
  readonly pairHandle?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Present on a key made through the KMS-compatible API (on a pair's private half). */
  readonly kms?: KmsMetadata;
}

/**
 * A KMS key of imported material that has none now (never imported, deleted or expired and
 * settled): its record carries no material, whatever its state (pending import, or pending
 * deletion after that).
 */
export function holdsNoMaterial(record: KeyRecord): boolean {
  return record.kms?.origin === 'EXTERNAL' && record.kms.imported === undefined;
}
