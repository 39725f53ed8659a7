import { CofferError } from '../../errors/coffer-error.js';
import { kmsKey, type KmsContext } from '../context.js';
import { checkEncryptionContext } from '../encryption-context.js';
import { decryptFrom, encryptUnder, SYMMETRIC_DEFAULT } from '../envelope.js';
import type { KmsHandler } from '../handler.js';
import { keyArn } from '../key-ids.js';
import {
  allowOnly,
  optionalEnum,
  optionalInteger,
  optionalString,
  optionalStringList,
  requiredBlob,
  requiredString,
  type KmsInput,
} from '../input.js';
import { MAX_BLOB_BYTES } from '../ciphertext-blob.js';
import { runNamed } from '../run.js';

/** KMS's limits: 4 KiB of plaintext, data keys of 1 to 1,024 bytes. */
const MAX_PLAINTEXT = 4096;
const DATA_KEY_SPECS = { AES_128: 16, AES_256: 32 } as const;

function grantTokens(input: KmsInput): void {
  // Grants take effect at once here, so a grant token adds nothing; it is checked, not required.
  optionalStringList(input, 'GrantTokens', 10, 8192);
}

const encrypt: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'Plaintext', 'EncryptionContext', 'GrantTokens', 'EncryptionAlgorithm']);
  grantTokens(input);
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  const plaintext = requiredBlob(input, 'Plaintext', 1, MAX_PLAINTEXT);
  try {
    const encrypted = await encryptUnder(
      context,
      record,
      plaintext,
      checkEncryptionContext(input.EncryptionContext, 'EncryptionContext'),
      optionalString(input, 'EncryptionAlgorithm', 64),
    );
    return {
      CiphertextBlob: encrypted.blob.toString('base64'),
      KeyId: keyArn(context.scope, record.handle),
      EncryptionAlgorithm: encrypted.algorithm,
    };
  } finally {
    plaintext.fill(0);
  }
};

const decrypt: KmsHandler = async (context, input) => {
  allowOnly(input, ['CiphertextBlob', 'EncryptionContext', 'GrantTokens', 'KeyId', 'EncryptionAlgorithm']);
  grantTokens(input);
  const decrypted = await decryptFrom(
    context,
    requiredBlob(input, 'CiphertextBlob', 1, MAX_BLOB_BYTES),
    optionalString(input, 'KeyId'),
    checkEncryptionContext(input.EncryptionContext, 'EncryptionContext'),
    optionalString(input, 'EncryptionAlgorithm', 64),
  );
  try {
    return {
      KeyId: keyArn(context.scope, decrypted.record.handle),
      Plaintext: decrypted.plaintext.toString('base64'),
      EncryptionAlgorithm: decrypted.algorithm,
    };
  } finally {
    decrypted.plaintext.fill(0);
  }
};

/** ReEncrypt: decrypt as Decrypt does (the source), encrypt as Encrypt does (the destination). */
const reEncrypt: KmsHandler = async (context, input) => {
  allowOnly(input, [
    'CiphertextBlob',
    'SourceEncryptionContext',
    'SourceKeyId',
    'DestinationKeyId',
    'DestinationEncryptionContext',
    'SourceEncryptionAlgorithm',
    'DestinationEncryptionAlgorithm',
    'GrantTokens',
  ]);
  grantTokens(input);
  const destination = await kmsKey(context, requiredString(input, 'DestinationKeyId'), 'ReEncryptTo');
  const source = await decryptFrom(
    context,
    requiredBlob(input, 'CiphertextBlob', 1, MAX_BLOB_BYTES),
    optionalString(input, 'SourceKeyId'),
    checkEncryptionContext(input.SourceEncryptionContext, 'SourceEncryptionContext'),
    optionalString(input, 'SourceEncryptionAlgorithm', 64),
    'ReEncryptFrom',
  );
  try {
    const encrypted = await encryptUnder(
      context,
      destination,
      source.plaintext,
      checkEncryptionContext(input.DestinationEncryptionContext, 'DestinationEncryptionContext'),
      optionalString(input, 'DestinationEncryptionAlgorithm', 64),
    );
    return {
      CiphertextBlob: encrypted.blob.toString('base64'),
      SourceKeyId: keyArn(context.scope, source.record.handle),
      KeyId: keyArn(context.scope, destination.handle),
      SourceEncryptionAlgorithm: source.algorithm,
      DestinationEncryptionAlgorithm: encrypted.algorithm,
    };
  } finally {
    source.plaintext.fill(0);
  }
};

/**
 * A data key: random bytes from crypto.random, encrypted under a symmetric KMS key as Encrypt
 * does. The plaintext copy is answered only when asked for, and zeroed once answered.
 */
async function dataKey(context: KmsContext, input: KmsInput, withPlaintext: boolean) {
  allowOnly(input, ['KeyId', 'EncryptionContext', 'NumberOfBytes', 'KeySpec', 'GrantTokens']);
  grantTokens(input);
  const bytes = optionalInteger(input, 'NumberOfBytes', 1, 1024);
  const spec = optionalEnum(input, 'KeySpec', Object.keys(DATA_KEY_SPECS) as (keyof typeof DATA_KEY_SPECS)[]);
  if ((bytes === undefined) === (spec === undefined))
    throw new CofferError('INVALID_FIELD', 'give exactly one of NumberOfBytes and KeySpec');
  const length = bytes ?? DATA_KEY_SPECS[spec!];
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  if (record.kms.keySpec !== SYMMETRIC_DEFAULT)
    throw new CofferError('KEY_TYPE_INCONSISTENT', 'data keys are made under a symmetric encryption KMS key');
  const random = await runNamed(context.services, context.session, 'crypto.random', { length });
  const plaintext = Buffer.from(random.random as string, 'base64');
  try {
    const encryptionContext = checkEncryptionContext(input.EncryptionContext, 'EncryptionContext');
    const encrypted = await encryptUnder(context, record, plaintext, encryptionContext, undefined);
    return {
      CiphertextBlob: encrypted.blob.toString('base64'),
      ...(withPlaintext && { Plaintext: plaintext.toString('base64') }),
      KeyId: keyArn(context.scope, record.handle),
    };
  } finally {
    plaintext.fill(0);
  }
}

export const ENCRYPTION_HANDLERS: Readonly<Record<string, KmsHandler>> = {
  Encrypt: encrypt,
  Decrypt: decrypt,
  ReEncrypt: reEncrypt,
  GenerateDataKey: (context, input) => dataKey(context, input, true),
  GenerateDataKeyWithoutPlaintext: (context, input) => dataKey(context, input, false),
};
