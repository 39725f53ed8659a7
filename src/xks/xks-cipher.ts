import { timingSafeEqual } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import type { CipherKey, CryptoService } from '../keys/crypto-service.js';
import { decodeCiphertextMetadata, encodeCiphertextMetadata } from './ciphertext-metadata.js';
import { integrityHash, integrityValue } from './integrity-value.js';
import { gcmAad } from './xks-aad.js';

/** The spec's only encryptionAlgorithm in v1, which is also the node's mechanism of that name. */
export const XKS_ALGORITHM = 'AES_GCM';
const TAG_BYTES = 16;
/** The IV the node makes; the spec also allows 16 bytes, which this proxy never writes. */
const IV_BYTES = 12;

export interface XksEncryption {
  readonly ciphertext: Buffer;
  readonly ciphertextMetadata: Buffer;
  readonly initializationVector: Buffer;
  readonly authenticationTag: Buffer;
  readonly ciphertextDataIntegrityValue?: string;
}

export interface XksCiphertext {
  readonly ciphertext: Buffer;
  readonly ciphertextMetadata: Buffer | undefined;
  readonly initializationVector: Buffer;
  readonly authenticationTag: Buffer;
  readonly aad: Buffer;
}

type Cipher = Pick<CryptoService, 'encrypt' | 'decrypt'>;

/**
 * AES-256-GCM as the XKS proxy API defines it, over a key the gate admitted: the node makes the
 * IV, the ciphertextMetadata names the key version, and the GCM AAD is built from the caller's
 * AAD and that metadata (xks-aad.ts).
 */
export async function xksEncrypt(
  crypto: Cipher,
  key: CipherKey,
  plaintext: Buffer,
  aad: Buffer,
  integrityAlgorithm: string | undefined,
): Promise<XksEncryption> {
  if (integrityAlgorithm !== undefined) integrityHash(integrityAlgorithm);
  const version = key.record.version;
  const ciphertextMetadata = encodeCiphertextMetadata(version);
  const gcm = gcmAad(aad, ciphertextMetadata);
  const result = await crypto.encrypt(key, plaintext, { aad: gcm });
  const split = result.output.length - TAG_BYTES;
  const encryption = {
    ciphertext: result.output.subarray(0, split),
    ciphertextMetadata,
    initializationVector: result.iv!,
    authenticationTag: result.output.subarray(split),
  };
  if (integrityAlgorithm === undefined) return encryption;
  // Appendix C: the value first, over the output as it is now; then prove that output decrypts
  // to the plaintext, so a bit flipped after this point shows as a mismatch, never hides in it.
  const ciphertextDataIntegrityValue = integrityValue(integrityAlgorithm, {
    aad,
    ciphertextMetadata,
    iv: encryption.initializationVector,
    ciphertext: encryption.ciphertext,
    tag: encryption.authenticationTag,
  });
  const check = await crypto.decrypt(key, result.output, { iv: encryption.initializationVector, aad: gcm }, version);
  try {
    if (check.length !== plaintext.length || !timingSafeEqual(check, plaintext))
      throw new CofferError('INTERNAL_ERROR', 'the encryption did not decrypt to its plaintext');
  } finally {
    check.fill(0);
  }
  return { ...encryption, ciphertextDataIntegrityValue };
}

/** Decrypts what xksEncrypt wrote; anything else is ENCRYPTED_DATA_INVALID (InvalidCiphertext). */
export async function xksDecrypt(crypto: Cipher, key: CipherKey, input: XksCiphertext): Promise<Buffer> {
  const { keyVersion } = decodeCiphertextMetadata(input.ciphertextMetadata);
  if (keyVersion > key.record.version)
    throw new CofferError('ENCRYPTED_DATA_INVALID', 'the ciphertextMetadata names a key version that does not exist');
  if (input.initializationVector.length !== IV_BYTES)
    throw new CofferError('ENCRYPTED_DATA_INVALID', `this proxy writes ${IV_BYTES}-byte IVs`);
  const gcm = gcmAad(input.aad, input.ciphertextMetadata!);
  const sealed = Buffer.concat([input.ciphertext, input.authenticationTag]);
  return crypto.decrypt(key, sealed, { iv: input.initializationVector, aad: gcm }, keyVersion);
}
