import type { KeyClass, KeyShape, KeyType } from '../crypto/types.js';
import type { BooleanAttributes } from './attributes.js';
import type { KmsMetadata } from './kms-metadata.js';

export type KeyState = 'enabled' | 'disabled' | 'pending-deletion' | 'destroyed';

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
