import { CofferError } from '../errors/coffer-error.js';

/** The largest additionalAuthenticatedData the spec requires a proxy to take (decoded). */
export const MAX_XKS_AAD_BYTES = 8192;
/** ciphertextMetadata is at most 20 bytes (decoded). */
export const MAX_CIPHERTEXT_METADATA_BYTES = 20;

/**
 * The AAD AES-GCM authenticates for an XKS encrypt or decrypt (spec, Encrypt, ciphertextMetadata):
 * 2-byte big-endian length of additionalAuthenticatedData ‖ additionalAuthenticatedData ‖ 1-byte
 * length of ciphertextMetadata ‖ ciphertextMetadata. The lengths keep an empty AAD with metadata
 * M from decrypting as AAD M without metadata; the metadata is authenticated with the data.
 */
export function gcmAad(aad: Buffer, metadata: Buffer): Buffer {
  if (aad.length > MAX_XKS_AAD_BYTES)
    throw new CofferError('DATA_LEN_RANGE', `additionalAuthenticatedData is at most ${MAX_XKS_AAD_BYTES} bytes`);
  if (metadata.length > MAX_CIPHERTEXT_METADATA_BYTES)
    throw new CofferError('INVALID_FIELD', `ciphertextMetadata is at most ${MAX_CIPHERTEXT_METADATA_BYTES} bytes`);
  const aadLength = Buffer.alloc(2);
  aadLength.writeUInt16BE(aad.length);
  return Buffer.concat([aadLength, aad, Buffer.from([metadata.length]), metadata]);
}
