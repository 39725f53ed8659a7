import { CofferError } from '../../errors/coffer-error.js';
import { kmsKey } from '../context.js';
import type { KmsHandler } from '../handler.js';
import { WRAPPING_ALGORITHMS, WRAPPING_KEY_SPECS } from '../import-rules.js';
import {
  allowOnly,
  epochSeconds,
  optionalEnum,
  requiredBlob,
  requiredEnum,
  requiredString,
  type KmsInput,
} from '../input.js';
import { keyArn } from '../key-ids.js';
import { runNamed } from '../run.js';

/** An import token is 44 bytes; wrapped material at most an RSA-4096 block and a wrapped HMAC key. */
const MAX_TOKEN = 1024;
const MAX_WRAPPED = 4096;

/**
 * Imported key material, KMS's three operations over the registry's kms.get-parameters-for-import,
 * kms.import-key-material and kms.delete-imported-key-material: the key is named by KeyId and
 * seen through the gate like any KMS key, and each operation is its owner's (manage-stored).
 */
const getParametersForImport: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'WrappingAlgorithm', 'WrappingKeySpec']);
  const wrappingAlgorithm = requiredEnum(input, 'WrappingAlgorithm', Object.keys(WRAPPING_ALGORITHMS));
  const wrappingKeySpec = requiredEnum(input, 'WrappingKeySpec', Object.keys(WRAPPING_KEY_SPECS));
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  const out = await runNamed(context.services, context.session, 'kms.get-parameters-for-import', {
    keyHandle: record.handle,
    wrappingAlgorithm,
    wrappingKeySpec,
  });
  return {
    KeyId: keyArn(context.scope, record.handle),
    ImportToken: out.importToken,
    PublicKey: out.publicKey,
    ParametersValidTo: epochSeconds(out.validTo as string),
  };
};

const importKeyMaterial: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'ImportToken', 'EncryptedKeyMaterial', 'ValidTo', 'ExpirationModel']);
  const importToken = requiredBlob(input, 'ImportToken', 1, MAX_TOKEN);
  const encryptedKeyMaterial = requiredBlob(input, 'EncryptedKeyMaterial', 1, MAX_WRAPPED);
  const expirationModel = optionalEnum(input, 'ExpirationModel', [
    'KEY_MATERIAL_EXPIRES',
    'KEY_MATERIAL_DOES_NOT_EXPIRE',
  ]);
  const validTo = optionalTimestamp(input, 'ValidTo');
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  await runNamed(context.services, context.session, 'kms.import-key-material', {
    keyHandle: record.handle,
    importToken,
    encryptedKeyMaterial,
    ...(expirationModel !== undefined && { expirationModel }),
    ...(validTo !== undefined && { validTo }),
  });
  return {};
};

const deleteImportedKeyMaterial: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId']);
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  await runNamed(context.services, context.session, 'kms.delete-imported-key-material', {
    keyHandle: record.handle,
    reason: 'requested',
  });
  return {};
};

/** A JSON 1.1 timestamp: seconds since the epoch, as the SDKs send a Date. */
function optionalTimestamp(input: KmsInput, name: string): Date | undefined {
  const value = input[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 253_402_300_799)
    throw new CofferError('INVALID_FIELD', `${name} is a timestamp (seconds since the epoch)`);
  return new Date(value * 1000);
}

export const IMPORT_HANDLERS: Readonly<Record<string, KmsHandler>> = {
  GetParametersForImport: getParametersForImport,
  ImportKeyMaterial: importKeyMaterial,
  DeleteImportedKeyMaterial: deleteImportedKeyMaterial,
};
