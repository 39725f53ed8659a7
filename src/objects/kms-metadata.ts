/**
 * What makes a Coffer key a KMS key: the KMS facts kept in its key record (sealed with it,
 * changed in the same commits, shown wherever the record is). The record's own fields carry the
 * rest — state (enabled, disabled, pending deletion), owner and shares, versions (rotations).
 * A key pair keeps them on its private half, which is the KMS key; the public half is its part.
 */
export interface KmsMetadata {
  /** KMS's KeySpec: SYMMETRIC_DEFAULT, RSA_2048 …, ECC_NIST_P256 …, HMAC_256 …. */
  readonly keySpec: string;
  readonly keyUsage: KmsKeyUsage;
  readonly description: string;
  /** AWS_KMS: made here; EXTERNAL: its material is imported (ImportKeyMaterial). */
  readonly origin: 'AWS_KMS' | 'EXTERNAL';
  /** An EXTERNAL key's material, while it has some: whether and when it expires. */
  readonly imported?: KmsImportedMaterial;
  readonly tags: readonly KmsTag[];
  /** While pending deletion: when the key is destroyed (ISO 8601). */
  readonly deletionDate?: string;
  /** Automatic rotation, when enabled: its period and the next date. */
  readonly rotation?: { readonly periodDays: number; readonly nextRotationDate: string };
  /** Each rotation: the version it made, when, and how. */
  readonly rotations: readonly KmsRotation[];
  /** Grants: who else may use the key, for which KMS operations. */
  readonly grants: readonly KmsGrant[];
}

export interface KmsImportedMaterial {
  readonly expirationModel: 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE';
  /** With KEY_MATERIAL_EXPIRES: the instant (ISO 8601); the record's materialValidTo too. */
  readonly validTo?: string;
}

export type KmsKeyUsage = 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC' | 'KEY_AGREEMENT';

export interface KmsTag {
  readonly TagKey: string;
  readonly TagValue: string;
}

export interface KmsRotation {
  readonly version: number;
  readonly rotationDate: string;
  readonly rotationType: 'AUTOMATIC' | 'ON_DEMAND';
}

export interface KmsGrant {
  readonly grantId: string;
  readonly name?: string;
  /** The Coffer username the grant is for (shared with), and its principal as given. */
  readonly grantee: string;
  readonly granteePrincipal: string;
  readonly retiringPrincipal?: string;
  readonly retiringUser?: string;
  readonly operations: readonly string[];
  readonly createdAt: string;
}
