import type { HashName } from '../crypto/types.js';
import { HASHES } from '../crypto/hash.js';
import type { MechanismParamFields } from '../api/mechanism-params.js';

/**
 * KMS's signing and MAC algorithms as Coffer mechanisms, one row each. A RAW message is signed
 * by the hash-and-sign mechanism; a DIGEST one by the mechanism that signs a digest: ECDSA (the
 * digest itself), RSA_PKCS (the digest in its DER DigestInfo) and RSA_PKCS_PSS (the digest, with
 * MGF1 over the same hash and a salt as long as the hash, as KMS's PSS signatures have).
 * ECDSA signatures are DER, as KMS's.
 */
export interface SigningAlgorithm {
  readonly keyType: 'rsa' | 'ec';
  readonly hash: HashName;
  readonly raw: string;
  readonly digest: {
    readonly mechanism: string;
    readonly digestInfo?: Buffer;
    readonly params?: Pick<MechanismParamFields, 'hash' | 'mgf1Hash' | 'saltLength'>;
  };
  readonly params: Pick<MechanismParamFields, 'signatureEncoding'>;
}

/** DER DigestInfo prefixes (RFC 8017 §9.2, note 1). */
const DIGEST_INFO: Partial<Record<HashName, Buffer>> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

const pss = (hash: HashName): SigningAlgorithm => ({
  keyType: 'rsa',
  hash,
  raw: `${HASHES[hash].pkcs11}_RSA_PKCS_PSS`,
  digest: { mechanism: 'RSA_PKCS_PSS', params: { hash, mgf1Hash: hash, saltLength: HASHES[hash].bytes } },
  params: {},
});
const pkcs1 = (hash: HashName): SigningAlgorithm => ({
  keyType: 'rsa',
  hash,
  raw: `${HASHES[hash].pkcs11}_RSA_PKCS`,
  digest: { mechanism: 'RSA_PKCS', digestInfo: DIGEST_INFO[hash]! },
  params: {},
});
const ecdsa = (hash: HashName): SigningAlgorithm => ({
  keyType: 'ec',
  hash,
  raw: `ECDSA_${HASHES[hash].pkcs11}`,
  digest: { mechanism: 'ECDSA' },
  params: { signatureEncoding: 'der' },
});

export const SIGNING_ALGORITHMS: Readonly<Record<string, SigningAlgorithm>> = {
  RSASSA_PSS_SHA_256: pss('sha256'),
  RSASSA_PSS_SHA_384: pss('sha384'),
  RSASSA_PSS_SHA_512: pss('sha512'),
  RSASSA_PKCS1_V1_5_SHA_256: pkcs1('sha256'),
  RSASSA_PKCS1_V1_5_SHA_384: pkcs1('sha384'),
  RSASSA_PKCS1_V1_5_SHA_512: pkcs1('sha512'),
  ECDSA_SHA_256: ecdsa('sha256'),
  ECDSA_SHA_384: ecdsa('sha384'),
  ECDSA_SHA_512: ecdsa('sha512'),
};

export const MAC_ALGORITHMS: Readonly<Record<string, string>> = {
  HMAC_SHA_224: 'SHA224_HMAC',
  HMAC_SHA_256: 'SHA256_HMAC',
  HMAC_SHA_384: 'SHA384_HMAC',
  HMAC_SHA_512: 'SHA512_HMAC',
};

/** RSA encryption: OAEP with the hash for both OAEP and MGF1, as KMS's. */
export const RSA_ENCRYPTION_ALGORITHMS: Readonly<Record<string, HashName>> = {
  RSAES_OAEP_SHA_1: 'sha1',
  RSAES_OAEP_SHA_256: 'sha256',
};
