import { CofferError } from '../errors/coffer-error.js';
import { canonicalContext, type EncryptionContext } from './encryption-context.js';

/**
 * The CiphertextBlob of a symmetric KMS key: it names its key and key version, so Decrypt needs
 * no KeyId, and every byte of it is authenticated.
 *
 *     "cfk" 0x01 | handle (8) | key version (4, big-endian) | IV (12) | AES-256-GCM ciphertext ‖ tag (16)
 *
 * The additional data is "coffer-kms-blob-v1", the handle and the canonical encryption context:
 * a blob moved to another key, or decrypted with another context, fails the tag. A changed
 * version or IV selects another key or nonce, and fails the tag too; a changed prefix is refused
 * before any key is touched. Every failure is InvalidCiphertextException.
 */
const MAGIC = Buffer.from([0x63, 0x66, 0x6b, 0x01]);
const AAD_LABEL = Buffer.from('coffer-kms-blob-v1', 'ascii');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + 8 + 4 + IV_BYTES;
/** KMS's largest CiphertextBlob. */
export const MAX_BLOB_BYTES = 6144;

export interface ParsedBlob {
  readonly handle: string;
  readonly keyVersion: number;
  readonly iv: Buffer;
  /** Ciphertext followed by the tag, as AES_GCM takes it. */
  readonly ciphertext: Buffer;
}

export function blobAad(handle: string, context: EncryptionContext): Buffer {
  return Buffer.concat([AAD_LABEL, Buffer.from(handle.slice(2), 'hex'), canonicalContext(context)]);
}

export function formatBlob(handle: string, keyVersion: number, iv: Buffer, ciphertext: Buffer): Buffer {
  if (iv.length !== IV_BYTES) throw new CofferError('INTERNAL_ERROR', 'AES-GCM IVs here are 12 bytes');
  const version = Buffer.alloc(4);
  version.writeUInt32BE(keyVersion);
  return Buffer.concat([MAGIC, Buffer.from(handle.slice(2), 'hex'), version, iv, ciphertext]);
}

/** Whether bytes are a blob of this format at all (RSA ciphertexts are not). */
export function isBlob(bytes: Buffer): boolean {
  return bytes.length >= HEADER_BYTES + TAG_BYTES && bytes.subarray(0, MAGIC.length).equals(MAGIC);
}

export function parseBlob(bytes: Buffer): ParsedBlob {
  if (!isBlob(bytes) || bytes.length > MAX_BLOB_BYTES) throw new CofferError('KMS_CIPHERTEXT_INVALID');
  const handle = `0x${bytes.subarray(4, 12).toString('hex')}`;
  const keyVersion = bytes.readUInt32BE(12);
  if (keyVersion === 0 || handle === '0x0000000000000000') throw new CofferError('KMS_CIPHERTEXT_INVALID');
  return {
    handle,
    keyVersion,
    iv: Buffer.from(bytes.subarray(16, HEADER_BYTES)),
    ciphertext: Buffer.from(bytes.subarray(HEADER_BYTES)),
  };
}
