import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { AES_BLOCK_BYTES, aesEncryptBlock } from '../aes-block.js';

/** CKA_CHECK_VALUE is 3 bytes. */
export const CHECK_VALUE_BYTES = 3;

/**
 * The key check value (PKCS#11 CKA_CHECK_VALUE), as AWS CloudHSM computes it ("Check value in
 * CloudHSM CLI", docs.aws.amazon.com/cloudhsm/latest/userguide/chsm-cli-key-attribute-details.html):
 * - symmetric keys: the first 3 bytes of encrypting a zero block with the key — the same rule
 *   PKCS#11 v3.0 §4.7 gives for secret keys (ECB encryption of one block of 0x00 bytes);
 * - asymmetric key pairs: the first 3 bytes of the SHA-1 hash of the public key. CloudHSM does
 *   not name the encoding; Coffer hashes the DER SubjectPublicKeyInfo (what PKCS#11 holds in
 *   CKA_PUBLIC_KEY_INFO), so both halves of a pair share one check value.
 * Not a secret: it identifies a key, it does not protect it.
 */
export function checkValue(key: KeyObject): Buffer {
  const full = key.type === 'secret' ? aesEncryptBlock(key, Buffer.alloc(AES_BLOCK_BYTES)) : publicKeyDigest(key);
  return Buffer.from(full.subarray(0, CHECK_VALUE_BYTES));
}

function publicKeyDigest(key: KeyObject): Buffer {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}
