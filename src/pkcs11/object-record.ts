import type { AttributeTypeName } from './attribute-types.js';
import type { WireValue } from './value-codec.js';

/** The object classes that are not keys: public objects, never sensitive. */
export type PlainObjectClass = 'certificate' | 'data';

/**
 * A certificate (CKO_CERTIFICATE, CKC_X_509) or data object (CKO_DATA), as stored (sealed) at
 * `object/<handle>`, or held in memory for its login session when CKA_TOKEN is false. Its
 * PKCS#11 attributes are data, by name, in their wire form (object-attributes.ts says which a
 * class has and how they change); owner and sharing are Coffer's, as for keys.
 */
export interface ObjectRecord {
  readonly handle: string;
  readonly class: PlainObjectClass;
  readonly owner: string;
  readonly sharedWith: readonly string[];
  readonly attributes: Readonly<Partial<Record<AttributeTypeName, WireValue>>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function encodeObjectRecord(record: ObjectRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

export function decodeObjectRecord(plaintext: Buffer): ObjectRecord {
  return JSON.parse(plaintext.toString('utf8')) as ObjectRecord;
}
