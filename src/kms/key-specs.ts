import type { KmsKeyUsage } from '../objects/kms-metadata.js';

/**
 * KMS key specs, one row each: the Coffer key it is (the body of POST /v1/keys/symmetric or
 * /v1/keys/pairs), the key usages it may have, and the algorithms of each usage. CreateKey,
 * DescribeKey and GetPublicKey read this table, and nothing else decides what a spec is.
 */
export type KeyRequest =
  | { readonly kind: 'secret'; readonly keyType: 'aes' | 'generic-secret'; readonly keyLengthBytes: number }
  | { readonly kind: 'pair'; readonly keyType: 'rsa'; readonly modulusBits: number }
  | { readonly kind: 'pair'; readonly keyType: 'ec'; readonly curve: string };

export interface KeySpecRow {
  readonly request: KeyRequest;
  /** The usages the spec allows; the first is the default when CreateKey names none. */
  readonly usages: readonly KmsKeyUsage[];
  readonly encryptionAlgorithms?: readonly string[];
  readonly signingAlgorithms?: readonly string[];
  readonly macAlgorithms?: readonly string[];
  readonly keyAgreementAlgorithms?: readonly string[];
}

const RSA_SIGNING = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
] as const;
const RSA_ENCRYPTION = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const;

const rsa = (modulusBits: number): KeySpecRow => ({
  request: { kind: 'pair', keyType: 'rsa', modulusBits },
  usages: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  encryptionAlgorithms: RSA_ENCRYPTION,
  signingAlgorithms: RSA_SIGNING,
});
const ecc = (curve: string, signing: string, agreement: boolean): KeySpecRow => ({
  request: { kind: 'pair', keyType: 'ec', curve },
  usages: agreement ? ['SIGN_VERIFY', 'KEY_AGREEMENT'] : ['SIGN_VERIFY'],
  signingAlgorithms: [signing],
  ...(agreement && { keyAgreementAlgorithms: ['ECDH'] }),
});
const hmac = (bytes: number, algorithm: string): KeySpecRow => ({
  request: { kind: 'secret', keyType: 'generic-secret', keyLengthBytes: bytes },
  usages: ['GENERATE_VERIFY_MAC'],
  macAlgorithms: [algorithm],
});

export const KEY_SPECS = {
  SYMMETRIC_DEFAULT: {
    request: { kind: 'secret', keyType: 'aes', keyLengthBytes: 32 },
    usages: ['ENCRYPT_DECRYPT'],
    encryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
  },
  RSA_2048: rsa(2048),
  RSA_3072: rsa(3072),
  RSA_4096: rsa(4096),
  ECC_NIST_P256: ecc('secp256r1', 'ECDSA_SHA_256', true),
  ECC_NIST_P384: ecc('secp384r1', 'ECDSA_SHA_384', true),
  ECC_NIST_P521: ecc('secp521r1', 'ECDSA_SHA_512', true),
  ECC_SECG_P256K1: ecc('secp256k1', 'ECDSA_SHA_256', false),
  HMAC_224: hmac(28, 'HMAC_SHA_224'),
  HMAC_256: hmac(32, 'HMAC_SHA_256'),
  HMAC_384: hmac(48, 'HMAC_SHA_384'),
  HMAC_512: hmac(64, 'HMAC_SHA_512'),
} as const satisfies Record<string, KeySpecRow>;

export type KeySpecName = keyof typeof KEY_SPECS;
export const KEY_SPEC_NAMES = Object.keys(KEY_SPECS) as readonly KeySpecName[];

export function isKeySpec(name: unknown): name is KeySpecName {
  return typeof name === 'string' && Object.hasOwn(KEY_SPECS, name);
}

/** The row of a stored key's spec (undefined only for a spec this version does not know). */
export function specRow(name: string): KeySpecRow | undefined {
  return isKeySpec(name) ? KEY_SPECS[name] : undefined;
}

/**
 * The PKCS#11 usage attributes of a KMS key, per usage and class: a key does what its usage
 * says and nothing else (a KMS key never wraps, and an encryption key never signs).
 */
type Attributes = Readonly<Record<string, boolean>>;

export const USAGE_ATTRIBUTES: Readonly<
  Record<KmsKeyUsage, { readonly secret?: Attributes; readonly private?: Attributes; readonly public?: Attributes }>
> = {
  ENCRYPT_DECRYPT: {
    secret: { encrypt: true, decrypt: true, sign: false, verify: false, wrap: false, unwrap: false, derive: false },
    private: { decrypt: true, sign: false, unwrap: false, derive: false },
    public: { encrypt: true, verify: false, wrap: false, derive: false },
  },
  SIGN_VERIFY: {
    private: { sign: true, decrypt: false, unwrap: false, derive: false },
    public: { verify: true, encrypt: false, wrap: false, derive: false },
  },
  GENERATE_VERIFY_MAC: {
    secret: { sign: true, verify: true, encrypt: false, decrypt: false, wrap: false, unwrap: false, derive: false },
  },
  KEY_AGREEMENT: {
    private: { derive: true, sign: false, decrypt: false, unwrap: false },
    public: { verify: false, encrypt: false, wrap: false, derive: false },
  },
};

/** The algorithms DescribeKey lists for a key of this spec and usage. */
export function algorithmsOf(spec: KeySpecName, usage: KmsKeyUsage): Record<string, readonly string[]> {
  const row: KeySpecRow = KEY_SPECS[spec];
  switch (usage) {
    case 'ENCRYPT_DECRYPT':
      return { EncryptionAlgorithms: row.encryptionAlgorithms ?? [] };
    case 'SIGN_VERIFY':
      return { SigningAlgorithms: row.signingAlgorithms ?? [] };
    case 'GENERATE_VERIFY_MAC':
      return { MacAlgorithms: row.macAlgorithms ?? [] };
    case 'KEY_AGREEMENT':
      return { KeyAgreementAlgorithms: row.keyAgreementAlgorithms ?? [] };
  }
}
