import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';

/**
 * The public keys users register for MFA and for quorum approvals (CloudHSM's token-sign
 * strategy): RSA of at least 2048 bits, or EC P-256. A signature is over the bytes given,
 * with SHA-256: RSA PKCS#1 v1.5 or PSS (any salt length), ECDSA DER — what
 * `openssl dgst -sha256 -sign key.pem` writes.
 */
export const MIN_RSA_BITS = 2048;
const MAX_PEM_CHARS = 16_384;

/** The key from a PEM SPKI public key; PUBLIC_KEY_INVALID for anything else. */
export function parseSignerKey(pem: string): KeyObject {
  if (pem.length > MAX_PEM_CHARS || !pem.includes('-----BEGIN PUBLIC KEY-----'))
    throw new CofferError('PUBLIC_KEY_INVALID', 'a PEM "BEGIN PUBLIC KEY" block is expected');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new CofferError('PUBLIC_KEY_INVALID', 'the PEM does not parse');
  }
  const details = key.asymmetricKeyDetails ?? {};
  const fits =
    (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS) ||
    (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1');
  if (!fits) throw new CofferError('PUBLIC_KEY_INVALID');
  return key;
}

/** The canonical PEM of a registered key (as stored). */
export function canonicalPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'spki' }).toString();
}

/** Whether `signature` is a valid SHA-256 signature of `data` by `key`. Never throws. */
export function verifySignature(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    if (key.asymmetricKeyType === 'ec') return verify('sha256', data, { key, dsaEncoding: 'der' }, signature);
    if (verify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, signature)) return true;
    return verify(
      'sha256',
      data,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
      signature,
    );
  } catch {
    return false;
  }
}
