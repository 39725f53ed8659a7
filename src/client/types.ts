/**
 * Request and answer types of the /v1 API (docs/reference/api.md), as the SDK exposes them.
 * Binary values are Buffers here; the SDK converts them to and from base64 on the wire.
 */

export type Role = 'admin' | 'crypto-user';
export type KeyClass = 'secret' | 'private' | 'public';
export type KeyType = 'aes' | 'ec' | 'rsa';
export type KeyState = 'enabled' | 'disabled' | 'pending-deletion' | 'destroyed' | 'pending-import';
export type EncryptMechanism = 'AES_GCM';
export type SignMechanism = 'ECDSA_SHA256' | 'SHA256_RSA_PKCS_PSS';
export type SignatureEncoding = 'p1363' | 'der';

/** The boolean PKCS#11 attributes a key carries, by their API (camelCase) names. */
export const KEY_ATTRIBUTE_NAMES = [
  'token',
  'private',
  'modifiable',
  'destroyable',
  'sensitive',
  'extractable',
  'alwaysSensitive',
  'neverExtractable',
  'local',
  'trusted',
  'wrapWithTrusted',
  'encrypt',
  'decrypt',
  'sign',
  'verify',
  'wrap',
  'unwrap',
  'derive',
] as const;

export type KeyAttributeName = (typeof KEY_ATTRIBUTE_NAMES)[number];
export type KeyAttributes = Partial<Record<KeyAttributeName, boolean>>;

export interface KeyShape {
  /** AES: the key length in bytes. */
  readonly valueLen?: number;
  /** EC: the curve, e.g. `secp256r1`. */
  readonly curve?: string;
  /** RSA */
  readonly modulusBits?: number;
  readonly publicExponent?: number;
}

/** A key object, as every key route returns it. */
export interface Key {
  /** `0x` and 16 lowercase hex digits. */
  readonly handle: string;
  readonly class: KeyClass;
  readonly keyType: KeyType;
  readonly label: string;
  /** CKA_ID as hex (possibly empty). */
  readonly id: string;
  readonly attributes: KeyAttributes;
  /** CKA_START_DATE / CKA_END_DATE, YYYY-MM-DD, when set. */
  readonly startDate?: string;
  readonly endDate?: string;
  readonly shape: KeyShape;
  readonly checkValue?: string;
  readonly owner: string;
  readonly sharedWith: readonly string[];
  readonly state: KeyState | string;
  readonly version: number;
  readonly pairHandle?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** A key made through the KMS-compatible API: its KMS metadata (on a pair's private half). */
  readonly kms?: KmsKeyInfo;
}

export interface KeyPair {
  readonly publicKey: Key;
  readonly privateKey: Key;
}

export interface KeyListFilter {
  readonly label?: string;
  /** CKA_ID, hex. */
  readonly id?: string;
  readonly class?: KeyClass;
  readonly keyType?: KeyType;
  /** An admin: anyone's keys; a crypto user: only its own. */
  readonly owner?: string;
  /** An alias name: the key it points at. */
  readonly alias?: string;
  /** Usage flags: only keys whose flag has this value. */
  readonly flags?: Partial<Record<KeyFilterFlag, boolean>>;
  /** A handle: the page starts after it (pass the previous page's `next`). */
  readonly after?: string;
  /** 1 to 1000; the node's default is 100. */
  readonly limit?: number;
}

export type KeyFilterFlag =
  'encrypt' | 'decrypt' | 'sign' | 'verify' | 'wrap' | 'unwrap' | 'derive' | 'extractable' | 'sensitive' | 'token';

export interface KeyPage {
  readonly keys: Key[];
  /** Present when there are more keys: pass it as `after`. */
  readonly next?: string;
}

interface KeyTemplate {
  readonly label?: string;
  /** CKA_ID, hex. */
  readonly id?: string;
}

export interface GenerateSymmetricKeyRequest extends KeyTemplate {
  readonly keyType: 'aes';
  readonly keyLengthBytes: number;
  readonly attributes?: KeyAttributes;
}

interface PairTemplate extends KeyTemplate {
  readonly publicLabel?: string;
  readonly privateLabel?: string;
  readonly publicAttributes?: KeyAttributes;
  readonly privateAttributes?: KeyAttributes;
}

export interface GenerateEcKeyPairRequest extends PairTemplate {
  readonly keyType: 'ec';
  readonly curve: string;
}

export interface GenerateRsaKeyPairRequest extends PairTemplate {
  readonly keyType: 'rsa';
  readonly modulusBits: number;
  readonly publicExponent?: number;
}

export type GenerateKeyPairRequest = GenerateEcKeyPairRequest | GenerateRsaKeyPairRequest;

export interface EncryptRequest {
  readonly keyHandle: string;
  readonly mechanism?: EncryptMechanism;
  readonly plaintext: Buffer;
  /** When absent the node picks a random 96-bit IV and returns it. */
  readonly iv?: Buffer;
  readonly aad?: Buffer;
  readonly tagLengthBits?: number;
}

export interface EncryptResult {
  /** Ciphertext followed by the tag. */
  readonly ciphertext: Buffer;
  readonly iv: Buffer;
}

export interface DecryptRequest {
  readonly keyHandle: string;
  readonly mechanism?: EncryptMechanism;
  /** Ciphertext followed by the tag. */
  readonly ciphertext: Buffer;
  readonly iv: Buffer;
  readonly aad?: Buffer;
  readonly tagLengthBits?: number;
}

export interface SignRequest {
  readonly keyHandle: string;
  readonly mechanism: SignMechanism;
  readonly data: Buffer;
  readonly signatureEncoding?: SignatureEncoding;
  readonly saltLength?: number;
}

export interface VerifyRequest extends SignRequest {
  readonly signature: Buffer;
}

export interface Health {
  readonly status: string;
  readonly sealed: boolean;
  readonly version: string;
}

export interface UnsealProgress {
  readonly threshold: number;
  readonly shares: number;
  readonly progress: number;
}

export interface ClusterStatus {
  readonly clusterId: string;
  readonly nodeId: string;
  readonly mode: 'dev' | 'production';
  readonly sealed: boolean;
  readonly activated: boolean;
  readonly unseal: UnsealProgress;
  readonly version: string;
}

export interface UnsealResult extends UnsealProgress {
  readonly sealed: boolean;
}

export interface ActivateResult {
  readonly username: string;
  readonly role: Role;
}

export interface LoginResult {
  readonly token: string;
  readonly username: string;
  readonly role: Role;
  readonly expiresAt: string;
}

export interface SessionInfo {
  readonly username: string;
  readonly role: Role;
  readonly sessionId: string;
}

export interface IssuedCertificate {
  readonly certificate: string;
  readonly caCertificate: string;
}

export interface UserSummary {
  readonly username: string;
  readonly role: Role;
  readonly locked: boolean;
  readonly createdAt: string;
  /** Whether the user logs in with MFA (token-sign). */
  readonly mfa: boolean;
  /** Whether the user has a quorum approval key registered. */
  readonly quorumKey: boolean;
}

/** The KMS facts of a KMS key (docs/integrations/kms.md). */
export interface KmsKeyInfo {
  readonly keySpec: string;
  readonly keyUsage: string;
  readonly description: string;
  readonly tags: readonly { readonly TagKey: string; readonly TagValue: string }[];
  readonly deletionDate?: string;
}

/** An access key of the KMS-compatible API, as listed: never its secret. */
export interface AccessKey {
  readonly accessKeyId: string;
  readonly username: string;
  readonly status: 'Active' | 'Inactive';
  readonly createdAt: string;
}

/** A new access key: the secret is in this answer only. Keep it as you keep a password. */
export interface IssuedAccessKey extends AccessKey {
  readonly secretAccessKey: string;
}

export interface AuditEvent {
  readonly seq: number;
  readonly time: string;
  readonly node: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly result: string;
  readonly code?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditPage {
  readonly events: AuditEvent[];
  readonly more: boolean;
}

// Batch, digest, random and multi-part types live beside their calls.
export type {
  BatchOperation,
  BatchOperationName,
  BatchResult,
  BatchResults,
  BatchValues,
  DigestMechanism,
  DigestRequest,
} from './crypto-batch.js';
export type { BeginOperationRequest, FinalInput, FinalValue, MultipartKind, MultipartOperation } from './multipart.js';
