/**
 * Key handling for the PKI: generation (with a pairwise-consistency test), the policy on which
 * public keys may be certified, and the bridge from Node KeyObjects (how Coffer holds keys) to the
 * WebCrypto CryptoKeys @peculiar/x509 signs with.
 */
import { createPublicKey, KeyObject } from 'node:crypto';
import { pairwiseConsistencyTest } from '../crypto/keys/pairwise.js';
import { CofferError } from '../errors/coffer-error.js';
import { webcrypto, type CryptoKey, type CryptoKeyPair } from './x509-runtime.js';

export type EcCurve = 'P-256' | 'P-384';

/** OpenSSL curve names (as KeyObject.asymmetricKeyDetails reports them) → WebCrypto names. */
const CURVES: Readonly<Record<string, { webName: string; hash: 'SHA-256' | 'SHA-384' | 'SHA-512' }>> = {
  prime256v1: { webName: 'P-256', hash: 'SHA-256' },
  secp384r1: { webName: 'P-384', hash: 'SHA-384' },
  secp521r1: { webName: 'P-521', hash: 'SHA-512' },
};

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

export interface GeneratedKeyPair {
  /** The private key as Coffer holds it. */
  readonly privateKey: KeyObject;
  /** The same pair as WebCrypto keys, for @peculiar/x509; the private one is non-extractable. */
  readonly cryptoKeys: CryptoKeyPair;
}

/**
 * Generates an ECDSA key pair off the event loop and runs a pairwise-consistency test on it (sign
 * a random message, verify it with the public half). A failure is SELF_TEST_FAILED.
 */
export async function generateEcKeyPair(curve: EcCurve): Promise<GeneratedKeyPair> {
  const cryptoKeys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, false, [
    'sign',
    'verify',
  ]);
  const privateKey = KeyObject.from(cryptoKeys.privateKey);
  await pairwiseConsistencyTest({ privateKey, publicKey: createPublicKey(privateKey) });
  return { privateKey, cryptoKeys };
}

/** DER SubjectPublicKeyInfo of the public half of `key` (a private or public KeyObject). */
export function spkiDer(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ type: 'spki', format: 'der' });
}

/** Requires an asymmetric private KeyObject; INVALID_FIELD naming `field` otherwise. */
export function requirePrivateKey(key: unknown, field: string): KeyObject {
  if (!(key instanceof KeyObject) || key.type !== 'private') {
    throw new CofferError('INVALID_FIELD', `${field} must be a private KeyObject`);
  }
  return key;
}

export interface SigningSetup {
  readonly key: CryptoKey;
  readonly algorithm: { name: string; hash: string };
}

/**
 * Imports a private KeyObject as a non-extractable WebCrypto signing key. The PKCS#8 bytes exist
 * only for the duration of the import and are zeroed afterwards. EC P-256/P-384/P-521 sign with
 * ECDSA and the matching SHA-2; RSA signs with RSASSA-PKCS1-v1_5 and SHA-256.
 */
export async function toSigningKey(privateKey: KeyObject, field: string): Promise<SigningSetup> {
  const key = requirePrivateKey(privateKey, field);
  let importAlgorithm: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  let algorithm: { name: string; hash: string };
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (curve === undefined) {
      throw new CofferError('INVALID_FIELD', `${field} is on an unsupported elliptic curve`);
    }
    importAlgorithm = { name: 'ECDSA', namedCurve: curve.webName };
    algorithm = { name: 'ECDSA', hash: curve.hash };
  } else if (key.asymmetricKeyType === 'rsa') {
    importAlgorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  } else {
    throw new CofferError('INVALID_FIELD', `${field} must be an EC or RSA key`);
  }
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  try {
    const cryptoKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, importAlgorithm, false, ['sign']);
    return { key: cryptoKey, algorithm };
  } finally {
    pkcs8.fill(0);
  }
}

/**
 * The public-key policy for certificates Coffer issues: EC P-256 or P-384, or RSA of 2048 to 8192
 * bits. `spki` is a DER SubjectPublicKeyInfo. INVALID_FIELD naming `field` otherwise.
 */
export function checkCertifiableKey(spki: ArrayBuffer, field: string): KeyObject {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    throw new CofferError('INVALID_FIELD', `${field} holds a public key that cannot be parsed`);
  }
  const details = publicKey.asymmetricKeyDetails;
  if (publicKey.asymmetricKeyType === 'ec') {
    const curve = details?.namedCurve;
    if (curve === 'prime256v1' || curve === 'secp384r1') return publicKey;
    throw new CofferError('INVALID_FIELD', `${field} holds an EC key that is not on P-256 or P-384`);
  }
  if (publicKey.asymmetricKeyType === 'rsa') {
    const bits = details?.modulusLength ?? 0;
    if (bits >= MIN_RSA_BITS && bits <= MAX_RSA_BITS) return publicKey;
    throw new CofferError(
      'INVALID_FIELD',
      `${field} holds an RSA key of ${bits} bits; ${MIN_RSA_BITS} to ${MAX_RSA_BITS} are accepted`,
    );
  }
  throw new CofferError(
    'INVALID_FIELD',
    `${field} holds a ${publicKey.asymmetricKeyType ?? 'unknown'} key; only EC P-256/P-384 and RSA are accepted`,
  );
}

/**
 * PKCS#8 PEM of a private key, for APIs that take only PEM (node:tls `key`). The result is a
 * secret: hand it straight to its consumer, never log or persist it.
 */
export function privateKeyPem(key: KeyObject): string {
  const privateKey = requirePrivateKey(key, 'key');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
