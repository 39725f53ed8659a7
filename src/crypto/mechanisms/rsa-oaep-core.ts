import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { HASHES } from '../hash.js';
import { MAX_AAD_BYTES } from '../limits.js';
import type { HashName, MechanismName, MechanismParams } from '../types.js';
import { modulusBytes } from './key-requirements.js';
import { acceptOnly, bufferParam, hashParam } from './asymmetric-params.js';

/** OAEP's options after the check step: hash (MGF1 uses the same one) and label. */
export interface OaepOptions {
  readonly hash: HashName;
  readonly label: Buffer | undefined;
}

/** The check step shared by RSA_PKCS_OAEP (cipher and wrap) and RSA_AES_KEY_WRAP. SHA-1 default, as PKCS#11. */
export function oaepOptions(params: MechanismParams, mechanism: MechanismName): OaepOptions {
  acceptOnly(params, ['hash', 'oaepLabel'], mechanism);
  return {
    hash: hashParam(params, 'sha1', mechanism),
    label: bufferParam(params, 'oaepLabel', MAX_AAD_BYTES, mechanism),
  };
}

/** Longest message: k − 2·hLen − 2 bytes (RFC 8017 §7.1.1 step 1b). */
export function oaepMaxMessageBytes(key: KeyObject, hash: HashName): number {
  return modulusBytes(key) - 2 * HASHES[hash].bytes - 2;
}

/**
 * RSAES-OAEP encryption (RFC 8017 §7.1.1) with the public half of `key`. OpenSSL sets MGF1's
 * hash to the OAEP hash unless told otherwise. Throws DATA_LEN_RANGE for a message too long.
 * node offers no callback form; one public-key operation is cheap.
 */
export function oaepEncrypt(key: KeyObject, message: Buffer, options: OaepOptions, mechanism: MechanismName): Buffer {
  const max = oaepMaxMessageBytes(key, options.hash);
  if (message.length > max) {
    throw new CofferError('DATA_LEN_RANGE', `${mechanism} encrypts at most ${max} bytes with this key and hash`);
  }
  return publicEncrypt(
    { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: options.hash, oaepLabel: options.label },
    message,
  );
}

/**
 * RSAES-OAEP decryption (RFC 8017 §7.1.2). Every padding failure is one error, so the cause
 * is never told apart (Manger's attack). The ciphertext must be k bytes (step 1b).
 * Synchronous: node has no callback form of privateDecrypt.
 */
export function oaepDecrypt(
  key: KeyObject,
  ciphertext: Buffer,
  options: OaepOptions,
  mechanism: MechanismName,
): Buffer {
  if (ciphertext.length !== modulusBytes(key)) {
    throw new CofferError('DATA_LEN_RANGE', `${mechanism} ciphertext is ${modulusBytes(key)} bytes for this key`);
  }
  try {
    return privateDecrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: options.hash, oaepLabel: options.label },
      ciphertext,
    );
  } catch (error) {
    throw new CofferError('ENCRYPTED_DATA_INVALID', `${mechanism} decryption failed`, { cause: error });
  }
}
