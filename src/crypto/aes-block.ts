import { createCipheriv, type KeyObject } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';

/** AES-ECB cipher names by key length in bytes. */
const ECB_CIPHERS: Readonly<Record<number, string>> = {
  16: 'aes-128-ecb',
  24: 'aes-192-ecb',
  32: 'aes-256-ecb',
};

export const AES_BLOCK_BYTES = 16;

/**
 * Encrypts exactly one block with AES in ECB mode. Only for the key check value and its
 * self-test: ECB is never offered as a mechanism for data.
 */
export function aesEncryptBlock(key: KeyObject, block: Buffer): Buffer {
  const cipherName = key.type === 'secret' ? ECB_CIPHERS[key.symmetricKeySize ?? 0] : undefined;
  if (cipherName === undefined) {
    throw new CofferError('KEY_TYPE_INCONSISTENT', 'an AES block needs a 16, 24 or 32-byte secret key');
  }
  if (block.length !== AES_BLOCK_BYTES) {
    throw new CofferError('DATA_LEN_RANGE', `an AES block is ${AES_BLOCK_BYTES} bytes`);
  }
  const cipher = createCipheriv(cipherName, key, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}
