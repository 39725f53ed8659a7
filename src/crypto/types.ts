import type { KeyObject } from 'node:crypto';

/**
 * The vocabulary of the cryptographic layer. Key material only ever exists here as Node
 * KeyObjects (or short-lived Buffers that are zeroed after use); callers above this layer hold
 * handles, never bytes.
 */

export type KeyType = 'aes' | 'generic-secret' | 'ec' | 'ec-edwards' | 'rsa';
export type KeyClass = 'secret' | 'private' | 'public';

/** What to generate. Each key type's provider validates its own spec. */
export type KeySpec =
  | { readonly keyType: 'aes'; readonly lengthBytes: number }
  | { readonly keyType: 'generic-secret'; readonly lengthBytes: number }
  | { readonly keyType: 'ec'; readonly curve: string }
  | { readonly keyType: 'ec-edwards'; readonly curve: string }
  | { readonly keyType: 'rsa'; readonly modulusBits: number; readonly publicExponent?: number };

/** The size-describing attributes of a key, as PKCS#11 names them (lower camel case). */
export interface KeyShape {
  /** CKA_VALUE_LEN, bytes, for secret keys. */
  readonly valueLen?: number;
  /** CKA_MODULUS_BITS for RSA keys. */
  readonly modulusBits?: number;
  /** CKA_PUBLIC_EXPONENT, as a number, for RSA keys. */
  readonly publicExponent?: number;
  /** Curve name (secp256r1 …, ed25519) for EC keys: CKA_EC_PARAMS names it by OID. */
  readonly curve?: string;
}

/**
 * Mechanism names are PKCS#11's without the CKM_ prefix (CKM_SHA256_RSA_PKCS_PSS →
 * SHA256_RSA_PKCS_PSS). The registry is the list; this type is whatever it holds.
 */
export type MechanismName = string;

/** Operations a mechanism serves, named as the PKCS#11 key usage attributes that allow them. */
export type KeyUsage = 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'wrap' | 'unwrap' | 'derive';

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/**
 * Every mechanism parameter, decoded (base64 decoding happens in the API layer). Each
 * mechanism checks the ones it takes and refuses the others with MECHANISM_PARAM_INVALID,
 * never silently ignoring one.
 */
export interface MechanismParams {
  /**
   * IV / nonce / initial counter block. AES-GCM and AES-CTR encrypt: when absent the node makes
   * one (as CloudHSM) and returns it; a caller's is subject to the caller-IV rule.
   */
  readonly iv?: Buffer;
  readonly aad?: Buffer;
  readonly tagLengthBits?: number;
  /** AES-CTR: how many low-order bits of the counter block are the counter (PKCS#11 ulCounterBits). */
  readonly counterBits?: number;
  /** ECDSA: 'p1363' (r‖s, as PKCS#11 returns it; the default) or 'der' (as OpenSSL). */
  readonly signatureEncoding?: 'p1363' | 'der';
  /** RSA-PSS: salt length in bytes; default the hash length. */
  readonly saltLength?: number;
  /**
   * RSA-OAEP (and the RSA-AES wrap): hash and MGF1 hash; default sha1 as PKCS#11. RSA_PKCS_PSS:
   * the hash that made the digest (CK_RSA_PKCS_PSS_PARAMS hashAlg); required there.
   */
  readonly hash?: HashName;
  /** RSA_PKCS_PSS: MGF1's hash (CK_RSA_PKCS_PSS_PARAMS mgf); default `hash`. */
  readonly mgf1Hash?: HashName;
  /** RSA-OAEP: the label (CK_RSA_PKCS_OAEP_PARAMS source data). */
  readonly oaepLabel?: Buffer;
  /** ECDH: the other party's public key, SPKI DER or an uncompressed point. */
  readonly publicKey?: Buffer;
  /** ECDH: the KDF applied to the shared secret: 'null' (raw), 'x963' (with `hash`), 'hkdf' (with `hash`). */
  readonly kdf?: 'null' | 'x963' | 'hkdf';
  /** ECDH X9.63: SharedInfo. */
  readonly sharedInfo?: Buffer;
  /** HKDF: salt and info. */
  readonly salt?: Buffer;
  readonly info?: Buffer;
  /** SP 800-108 counter KDF: Label and Context (fixed input = Label ‖ 0x00 ‖ Context ‖ L). */
  readonly label?: Buffer;
  readonly context?: Buffer;
}

/** Kept for callers of the first API: the subsets of MechanismParams each kind takes. */
export type CipherParams = Pick<MechanismParams, 'iv' | 'aad' | 'tagLengthBits' | 'counterBits' | 'hash' | 'oaepLabel'>;
export type SignatureParams = Pick<MechanismParams, 'signatureEncoding' | 'saltLength'>;

export interface CipherResult {
  /** The output; for AES-GCM ciphertext followed by the tag, as PKCS#11 CKM_AES_GCM returns it. */
  readonly output: Buffer;
  /** The IV used (the one given, or the one the node made), for modes that take one. */
  readonly iv?: Buffer;
}

/** A multi-part operation in progress (C_EncryptUpdate / C_DigestUpdate / C_SignUpdate …). */
export interface PartStream {
  /** The IV the node made, for ciphers that make one. */
  readonly iv?: Buffer;
  /** Ciphers return output as it becomes available; digests and MACs return an empty Buffer. */
  update(chunk: Buffer): Buffer;
  /** The last output (cipher), the digest, or the MAC. */
  final(): Buffer;
}

interface MechanismBase {
  readonly name: MechanismName;
  /** The key types this mechanism works with (empty for digests, which take no key). */
  readonly keyTypes: readonly KeyType[];
}

/** A cipher: encrypt and decrypt (AES modes with a secret key; RSA with public/private). */
export interface CipherMechanism extends MechanismBase {
  readonly kind: 'cipher';
  readonly keyClasses: { readonly encrypt: KeyClass; readonly decrypt: KeyClass };
  /** True for a cipher the node only encrypts with (RSA_PKCS: its decryption is refused). */
  readonly encryptOnly?: boolean;
  /**
   * True when decrypting with the wrong key fails detectably (AES-GCM's tag, OAEP's padding
   * check), so a key's older versions may be tried in turn; false for unauthenticated modes.
   */
  readonly authenticated: boolean;
  /**
   * True when, on encrypt without an `iv`, the node makes the IV (AES-GCM) or the initial
   * counter block (AES-CTR) and returns it. For these modes a repeated IV under one key turns
   * encrypt into decrypt, so a caller's IV on encrypt is admitted only by the caller-IV rule
   * (src/keys/caller-iv-rule.ts).
   */
  readonly makesIv?: boolean;
  encrypt(key: KeyObject, plaintext: Buffer, params: MechanismParams): Promise<CipherResult>;
  decrypt(key: KeyObject, ciphertext: Buffer, params: MechanismParams): Promise<Buffer>;
  /** Multi-part, when the mode can stream. */
  begin?(key: KeyObject, direction: 'encrypt' | 'decrypt', params: MechanismParams): PartStream;
}

/** A signature scheme or a MAC: sign and verify. */
export interface SignatureMechanism extends MechanismBase {
  readonly kind: 'signature';
  readonly keyClasses: { readonly sign: KeyClass; readonly verify: KeyClass };
  sign(key: KeyObject, data: Buffer, params: MechanismParams): Promise<Buffer>;
  /** False, never an error, for a signature that is malformed or does not verify. */
  verify(key: KeyObject, data: Buffer, signature: Buffer, params: MechanismParams): Promise<boolean>;
  /**
   * Multi-part: 'stream' (MACs: begin() streams), 'accumulate' (hash-and-sign schemes: the
   * caller gathers the parts up to the multi-part limit and signs once), 'none' (the input is a
   * digest already: CKM_ECDSA, CKM_EDDSA).
   */
  readonly multiPart: 'stream' | 'accumulate' | 'none';
  begin?(key: KeyObject, params: MechanismParams): PartStream;
}

/** A digest: no key. */
export interface DigestMechanism extends MechanismBase {
  readonly kind: 'digest';
  digest(data: Buffer): Promise<Buffer>;
  begin(): PartStream;
}

/** Key wrapping: the material is a secret key's bytes or a private key's PKCS#8 DER. */
export interface WrapMechanism extends MechanismBase {
  readonly kind: 'wrap';
  readonly keyClasses: { readonly wrap: KeyClass; readonly unwrap: KeyClass };
  wrap(wrappingKey: KeyObject, material: Buffer, params: MechanismParams): Promise<Buffer>;
  /** ENCRYPTED_DATA_INVALID (or WRAPPED_KEY_INVALID) when the wrapped bytes do not authenticate. */
  unwrap(unwrappingKey: KeyObject, wrapped: Buffer, params: MechanismParams): Promise<Buffer>;
}

/** Key derivation: the derived secret's bytes, of the requested length. */
export interface DeriveMechanism extends MechanismBase {
  readonly kind: 'derive';
  readonly keyClasses: { readonly derive: KeyClass };
  derive(baseKey: KeyObject, params: MechanismParams, lengthBytes: number): Promise<Buffer>;
}

export type Mechanism = CipherMechanism | SignatureMechanism | DigestMechanism | WrapMechanism | DeriveMechanism;

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
