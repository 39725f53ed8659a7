import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { AES_BLOCK_BYTES, aesEncryptBlock } from '../aes-block.js';

/**
 * What each key type's CKA_CHECK_VALUE is taken from (check-value.ts keeps the first 3 bytes).
 * PKCS#11 v3.0 defines it per key type; each function names its section (titles as in the OASIS
 * specification, numbers as in v3.1, which merged the mechanisms into chapter 6). Not secrets: a check
 * value identifies a key, it does not protect it.
 */

/**
 * AES ("AES secret key objects", §6.10.2; and "Secret key objects" for secret keys in general):
 * the ECB encryption of one block of 0x00 bytes under the key. AWS CloudHSM computes it so too.
 */
export function aesZeroBlock(key: KeyObject): Buffer {
  return aesEncryptBlock(key, Buffer.alloc(AES_BLOCK_BYTES));
}

/**
 * Generic secrets ("Generic secret key objects", §6.8.2: the value "is derived from the key object
 * by taking the first three bytes of the SHA-1 hash of the generic secret key object's CKA_VALUE
 * attribute"), so every length from 1 to 800 bytes has one, with no cipher involved. The copy of
 * the value is zeroed once hashed.
 */
export function sha1OfValue(key: KeyObject): Buffer {
  const value = key.export();
  try {
    return createHash('sha1').update(value).digest();
  } finally {
    value.fill(0);
  }
}

/**
 * Asymmetric key pairs, as AWS CloudHSM computes it ("Check value in CloudHSM CLI"): SHA-1 of the
 * public key. CloudHSM does not name the encoding; Coffer hashes the DER SubjectPublicKeyInfo
 * (what PKCS#11 holds in CKA_PUBLIC_KEY_INFO), so both halves of a pair share one check value.
 */
export function sha1OfPublicKeyInfo(key: KeyObject): Buffer {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}
