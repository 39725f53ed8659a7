import { CofferError, isCofferError } from '../errors/coffer-error.js';
import { blobAad, formatBlob, isBlob, parseBlob } from './ciphertext-blob.js';
import { kmsKey, requireUsage, withKeyState, type KmsContext, type KmsKeyRecord } from './context.js';
import { RSA_ENCRYPTION_ALGORITHMS } from './algorithms.js';
import type { EncryptionContext } from './encryption-context.js';
import { runNamed } from './run.js';

/**
 * Encrypting under a KMS key and decrypting what it encrypted, for Encrypt, Decrypt, ReEncrypt
 * and the data key operations: a symmetric key makes a CiphertextBlob (ciphertext-blob.ts) with
 * crypto.encrypt / crypto.decrypt (AES_GCM), the encryption context as additional data; an RSA
 * key encrypts with its public half and decrypts with its private half (RSA_PKCS_OAEP), as
 * KMS's asymmetric keys do, with no encryption context.
 */
export const SYMMETRIC_DEFAULT = 'SYMMETRIC_DEFAULT';

export interface Encrypted {
  readonly blob: Buffer;
  readonly algorithm: string;
}

export async function encryptUnder(
  context: KmsContext,
  record: KmsKeyRecord,
  plaintext: Buffer,
  encryptionContext: EncryptionContext,
  algorithm: string | undefined,
): Promise<Encrypted> {
  await requireUsage(context, record, ['ENCRYPT_DECRYPT']);
  const { services, session } = context;
  if (record.kms.keySpec !== SYMMETRIC_DEFAULT) {
    const hash = asymmetricAlgorithm(algorithm, encryptionContext);
    if (record.pairHandle === undefined) throw new CofferError('KEY_NOT_FOUND', 'the key has no public half');
    const out = await withKeyState(record, () =>
      runNamed(services, session, 'crypto.encrypt', {
        keyHandle: record.pairHandle!,
        mechanism: 'RSA_PKCS_OAEP',
        hash,
        plaintext: plaintext.toString('base64'),
      }),
    );
    return { blob: Buffer.from(out.ciphertext as string, 'base64'), algorithm: algorithm! };
  }
  if (algorithm !== undefined && algorithm !== SYMMETRIC_DEFAULT)
    throw new CofferError('INVALID_FIELD', `EncryptionAlgorithm is ${SYMMETRIC_DEFAULT} for a symmetric key`);
  const out = await withKeyState(record, () =>
    runNamed(services, session, 'crypto.encrypt', {
      keyHandle: record.handle,
      mechanism: 'AES_GCM',
      plaintext: plaintext.toString('base64'),
      aad: blobAad(record.handle, encryptionContext).toString('base64'),
    }),
  );
  const blob = formatBlob(
    record.handle,
    out.keyVersion as number,
    Buffer.from(out.iv as string, 'base64'),
    Buffer.from(out.ciphertext as string, 'base64'),
  );
  return { blob, algorithm: SYMMETRIC_DEFAULT };
}

export interface Decrypted {
  readonly record: KmsKeyRecord;
  readonly plaintext: Buffer;
  readonly algorithm: string;
}

/**
 * Decrypts a ciphertext: a CiphertextBlob names its key, which must be `keyId`'s when one is
 * given (IncorrectKeyException otherwise); an RSA ciphertext needs `keyId`. Whatever fails to
 * authenticate — an altered byte, another encryption context, a blob naming a key the caller
 * cannot use or that does not exist — is InvalidCiphertextException.
 */
export async function decryptFrom(
  context: KmsContext,
  ciphertext: Buffer,
  keyId: string | undefined,
  encryptionContext: EncryptionContext,
  algorithm: string | undefined,
  grantOperation = 'Decrypt',
): Promise<Decrypted> {
  const { services, session } = context;
  const named = keyId === undefined ? undefined : await kmsKey(context, keyId, grantOperation);
  if (named && named.kms.keySpec !== SYMMETRIC_DEFAULT) {
    await requireUsage(context, named, ['ENCRYPT_DECRYPT']);
    const hash = asymmetricAlgorithm(algorithm, encryptionContext);
    const out = await invalidCiphertext(() =>
      withKeyState(named, () =>
        runNamed(services, session, 'crypto.decrypt', {
          keyHandle: named.handle,
          mechanism: 'RSA_PKCS_OAEP',
          hash,
          ciphertext: ciphertext.toString('base64'),
        }),
      ),
    );
    return { record: named, plaintext: Buffer.from(out.plaintext as string, 'base64'), algorithm: algorithm! };
  }
  if (algorithm !== undefined && algorithm !== SYMMETRIC_DEFAULT)
    throw new CofferError('INVALID_FIELD', `EncryptionAlgorithm is ${SYMMETRIC_DEFAULT} for a symmetric key`);
  if (!isBlob(ciphertext)) throw new CofferError('KMS_CIPHERTEXT_INVALID');
  const blob = parseBlob(ciphertext);
  if (named && named.handle !== blob.handle) throw new CofferError('KMS_INCORRECT_KEY');
  const record = named ?? (await invalidCiphertext(() => kmsKey(context, blob.handle, grantOperation)));
  await requireUsage(context, record, ['ENCRYPT_DECRYPT']);
  const out = await invalidCiphertext(() =>
    withKeyState(record, () =>
      runNamed(services, session, 'crypto.decrypt', {
        keyHandle: record.handle,
        mechanism: 'AES_GCM',
        ciphertext: blob.ciphertext.toString('base64'),
        iv: blob.iv.toString('base64'),
        aad: blobAad(record.handle, encryptionContext).toString('base64'),
        keyVersion: blob.keyVersion,
      }),
    ),
  );
  return { record, plaintext: Buffer.from(out.plaintext as string, 'base64'), algorithm: SYMMETRIC_DEFAULT };
}

/** OAEP's hash for an RSA key's algorithm; asymmetric encryption takes no encryption context. */
function asymmetricAlgorithm(algorithm: string | undefined, encryptionContext: EncryptionContext): string {
  if (algorithm === undefined || !Object.hasOwn(RSA_ENCRYPTION_ALGORITHMS, algorithm))
    throw new CofferError(
      'INVALID_FIELD',
      `EncryptionAlgorithm is one of ${Object.keys(RSA_ENCRYPTION_ALGORITHMS).join(', ')} for an RSA key`,
    );
  if (Object.keys(encryptionContext).length > 0)
    throw new CofferError('INVALID_FIELD', 'EncryptionContext is not taken by asymmetric keys');
  return RSA_ENCRYPTION_ALGORITHMS[algorithm]!;
}

/** The errors of a ciphertext that does not authenticate, or names no usable key, as one. */
async function invalidCiphertext<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    // INVALID_FIELD here is a key version the key does not have: the blob's version byte.
    if (
      isCofferError(error, 'ENCRYPTED_DATA_INVALID') ||
      isCofferError(error, 'KEY_NOT_FOUND') ||
      isCofferError(error, 'INVALID_FIELD')
    )
      throw new CofferError('KMS_CIPHERTEXT_INVALID');
    throw error;
  }
}
