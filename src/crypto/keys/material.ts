import { createPublicKey, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { KeyClass, KeyType } from '../types.js';
import { CLASS_ENCODINGS } from './key-encodings.js';
import { encodingOf, keyTypeForOpenssl, keyTypeProvider } from './registry.js';

/**
 * The bytes of a key, to be sealed by the barrier: secret → raw value, private → PKCS#8 DER,
 * public → SPKI DER. The caller owns the returned Buffer and must zero it (`buf.fill(0)`) as
 * soon as it has been sealed: it is plaintext key material.
 */
export function exportKeyMaterial(key: KeyObject): Buffer {
  return CLASS_ENCODINGS[key.type].export(key);
}

/**
 * Parses bytes made by exportKeyMaterial back into a key of the record's class and type, and
 * refuses a key Coffer does not support (ATTRIBUTE_VALUE_INVALID for unparsable bytes; the
 * type's own code otherwise). A secret key's bytes do not say what they are (AES or generic
 * secret), so the type comes from the record; an asymmetric key's must agree with it.
 * Node copies the bytes, so the caller may zero `bytes` afterwards.
 */
export function importKeyMaterial(keyClass: KeyClass, keyType: KeyType, bytes: Buffer): KeyObject {
  const encoding = encodingOf(keyClass, keyType);
  if (!encoding) throw new CofferError('KEY_TYPE_INCONSISTENT', `${keyType} keys are not ${keyClass} keys`);
  let key: KeyObject;
  try {
    key = encoding.parse(bytes);
  } catch (error) {
    throw new CofferError('ATTRIBUTE_VALUE_INVALID', `not a valid ${keyClass} key encoding`, {
      cause: error,
    });
  }
  if (keyClass !== 'secret' && keyTypeOf(key) !== keyType) {
    throw new CofferError('KEY_TYPE_INCONSISTENT', `the key material is not of type ${keyType}`);
  }
  keyTypeProvider(keyType).checkKey(key);
  return key;
}

/**
 * Coffer's key type of an asymmetric key; MECHANISM_INVALID for a kind of key Coffer does not
 * handle. A secret key's type is not in its bytes (AES or generic secret): KEY_TYPE_INCONSISTENT.
 */
export function keyTypeOf(key: KeyObject): KeyType {
  if (key.type === 'secret') {
    throw new CofferError('KEY_TYPE_INCONSISTENT', "a secret key's type comes from its record, not its bytes");
  }
  const keyType = keyTypeForOpenssl(key.asymmetricKeyType);
  if (keyType === undefined) {
    throw new CofferError('MECHANISM_INVALID', `unsupported asymmetric key type ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return keyType;
}

/** The public half of a private key. */
export function publicKeyOf(privateKey: KeyObject): KeyObject {
  if (privateKey.type !== 'private') {
    throw new CofferError('KEY_TYPE_INCONSISTENT', 'a public key is derived from a private key');
  }
  return createPublicKey(privateKey);
}

/** SPKI PEM of a public key, or of the public half of a private key. */
export function publicKeyPem(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.type !== 'public') {
    throw new CofferError('KEY_TYPE_INCONSISTENT', 'a secret key has no public key');
  }
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}
