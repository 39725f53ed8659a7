import type { KeyObject } from 'node:crypto';

/**
 * The vocabulary of the cryptographic layer. Key material only ever exists here as Node
 * KeyObjects (or short-lived Buffers that are zeroed after use); callers above this layer hold
 * handles, never bytes.
 */

export type KeyType = 'aes' | 'ec' | 'rsa';
export type KeyClass = 'secret' | 'private' | 'public';

/** What to generate. Each key type's provider validates its own spec. */
export type KeySpec =
  | { readonly keyType: 'aes'; readonly lengthBytes: number }
  | { readonly keyType: 'ec'; readonly curve: string }
  | { readonly keyType: 'rsa'; readonly modulusBits: number; readonly publicExponent?: number };

/** The size-describing attributes of a key, as PKCS#11 names them (lower camel case). */
export interface KeyShape {
  /** CKA_VALUE_LEN, bytes, for secret keys. */
  readonly valueLen?: number;
  /** CKA_MODULUS_BITS for RSA keys. */
  readonly modulusBits?: number;
  /** CKA_PUBLIC_EXPONENT, as a number, for RSA keys. */
  readonly publicExponent?: number;
  /** Curve name (secp256r1 …) for EC keys: CKA_EC_PARAMS names it by OID. */
  readonly curve?: string;
}

export type MechanismName = 'AES_GCM' | 'ECDSA_SHA256' | 'RSA_PKCS_PSS_SHA256';

/** Operations a mechanism can serve, as the PKCS#11 usage attributes name them. */
export type KeyUsage = 'encrypt' | 'decrypt' | 'sign' | 'verify';

/** Binary inputs of an encryption (all Buffers; base64 decoding happens in the API layer). */
export interface CipherParams {
  /** Caller-chosen IV; when absent the node makes one, as CloudHSM does for AES-GCM. */
  readonly iv?: Buffer;
  readonly aad?: Buffer;
  readonly tagLengthBits?: number;
}

export interface CipherResult {
  /** Ciphertext followed by the tag, as PKCS#11 CKM_AES_GCM returns it. */
  readonly output: Buffer;
  /** The IV used (the one given, or the one the node made). */
  readonly iv: Buffer;
}

export interface SignatureParams {
  /** ECDSA only: 'p1363' (r‖s, as PKCS#11 returns it; the default) or 'der' (as OpenSSL). */
  readonly signatureEncoding?: 'p1363' | 'der';
  /** RSA-PSS only: salt length in bytes; default the hash length. */
  readonly saltLength?: number;
}

interface MechanismBase {
  readonly name: MechanismName;
  /** The key type this mechanism works with. */
  readonly keyType: KeyType;
}

/** A symmetric cipher: encrypts and decrypts with a secret key. */
export interface CipherMechanism extends MechanismBase {
  readonly kind: 'cipher';
  encrypt(key: KeyObject, plaintext: Buffer, params: CipherParams): Promise<CipherResult>;
  decrypt(key: KeyObject, ciphertext: Buffer, params: CipherParams): Promise<Buffer>;
}

/** A signature scheme: signs with a private key, verifies with a public (or private) key. */
export interface SignatureMechanism extends MechanismBase {
  readonly kind: 'signature';
  sign(privateKey: KeyObject, data: Buffer, params: SignatureParams): Promise<Buffer>;
  verify(key: KeyObject, data: Buffer, signature: Buffer, params: SignatureParams): Promise<boolean>;
}

export type Mechanism = CipherMechanism | SignatureMechanism;

export interface GeneratedKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** One key type: how to check a spec, generate, persist and describe keys of that type. */
export interface KeyTypeProvider {
  readonly keyType: KeyType;
  /** Throws KEY_SIZE_RANGE or MECHANISM_INVALID for a spec this type cannot generate. */
  checkSpec(spec: KeySpec): void;
  /** Secret key types implement this … */
  generateSecret?(spec: KeySpec): Promise<KeyObject>;
  /** … asymmetric ones this, including the pairwise consistency test. */
  generatePair?(spec: KeySpec): Promise<GeneratedKeyPair>;
  /**
   * Throws for a key of this type that Coffer does not support (an imported key of another
   * size or curve): KEY_SIZE_RANGE, MECHANISM_INVALID or KEY_TYPE_INCONSISTENT.
   */
  checkKey(key: KeyObject): void;
  /** The size attributes of a key of this type. */
  shape(key: KeyObject): KeyShape;
}

export interface SelfTest {
  /** A stable name, shown when the test fails: "AES-256-GCM encrypt KAT". */
  readonly name: string;
  run(): Promise<void>;
}
