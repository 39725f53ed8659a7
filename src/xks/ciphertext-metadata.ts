import { CofferError } from '../errors/coffer-error.js';

/**
 * Coffer's ciphertextMetadata (the spec leaves its content to the proxy, up to 20 bytes, and
 * authenticates it with the ciphertext): a format byte, then the key version that encrypted,
 * as 4 bytes big-endian. The format byte says how the AES-GCM AAD was built (format 1: with
 * both lengths, xks-aad.ts), so a later format can still decrypt what this one wrote; the
 * version lets decrypt take the right version of a rotated key without trying each.
 */
const FORMAT_LENGTH_PREFIXED_AAD = 1;
const LENGTH = 5;

export function encodeCiphertextMetadata(keyVersion: number): Buffer {
  const bytes = Buffer.alloc(LENGTH);
  bytes.writeUInt8(FORMAT_LENGTH_PREFIXED_AAD, 0);
  bytes.writeUInt32BE(keyVersion, 1);
  return bytes;
}

/** The key version of Coffer's metadata; anything else was not written here (InvalidCiphertext). */
export function decodeCiphertextMetadata(bytes: Buffer | undefined): { keyVersion: number } {
  if (bytes === undefined) throw new CofferError('ENCRYPTED_DATA_INVALID', 'the ciphertextMetadata is missing');
  if (bytes.length !== LENGTH || bytes.readUInt8(0) !== FORMAT_LENGTH_PREFIXED_AAD)
    throw new CofferError('ENCRYPTED_DATA_INVALID', 'the ciphertextMetadata was not written by this proxy');
  const keyVersion = bytes.readUInt32BE(1);
  if (keyVersion < 1) throw new CofferError('ENCRYPTED_DATA_INVALID', 'the ciphertextMetadata names no key version');
  return { keyVersion };
}
