import { requirePermission } from '../../api/auth.js';
import { exportKeyMaterial } from '../../crypto/keys/material.js';
import { keyTypeProvider, specFromRequest } from '../../crypto/keys/registry.js';
import { CofferError } from '../../errors/coffer-error.js';
import { kmsKey, type KmsContext } from '../context.js';
import { checkEncryptionContext } from '../encryption-context.js';
import { encryptUnder, SYMMETRIC_DEFAULT } from '../envelope.js';
import type { KmsHandler } from '../handler.js';
import { keyArn } from '../key-ids.js';
import { KEY_SPECS } from '../key-specs.js';
import { allowOnly, optionalStringList, requiredEnum, requiredString, type KmsInput } from '../input.js';

const PAIR_SPECS = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
] as const;

/**
 * GenerateDataKeyPair: a key pair for the caller's own use, made by the key type table (with its
 * pairwise consistency test) in node memory, never stored: the public key (DER SPKI), the private
 * key (DER PKCS#8) encrypted under a symmetric KMS key as Encrypt does, and — unless
 * WithoutPlaintext — the private key in the clear. Its plaintext is zeroed once answered.
 */
async function dataKeyPair(context: KmsContext, input: KmsInput, withPlaintext: boolean) {
  allowOnly(input, ['KeyId', 'KeyPairSpec', 'EncryptionContext', 'GrantTokens']);
  optionalStringList(input, 'GrantTokens', 10, 8192);
  const pairSpec = requiredEnum(input, 'KeyPairSpec', PAIR_SPECS);
  const encryptionContext = checkEncryptionContext(input.EncryptionContext, 'EncryptionContext');
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  if (record.kms.keySpec !== SYMMETRIC_DEFAULT)
    throw new CofferError('KEY_TYPE_INCONSISTENT', 'data key pairs are encrypted under a symmetric encryption KMS key');
  // Refused before any work when the caller may not encrypt at all (an admin).
  await requirePermission(context.services, context.session, 'crypto.encrypt');
  const { request } = KEY_SPECS[pairSpec];
  if (request.kind !== 'pair') throw new CofferError('INTERNAL_ERROR');
  const spec = specFromRequest(
    'pair',
    request.keyType,
    request.keyType === 'rsa' ? { modulusBits: request.modulusBits } : { curve: request.curve },
  );
  const pair = await keyTypeProvider(request.keyType).generatePair!(spec);
  const privateDer = exportKeyMaterial(pair.privateKey);
  try {
    const encrypted = await encryptUnder(context, record, privateDer, encryptionContext, undefined);
    return {
      PrivateKeyCiphertextBlob: encrypted.blob.toString('base64'),
      ...(withPlaintext && { PrivateKeyPlaintext: privateDer.toString('base64') }),
      PublicKey: pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      KeyId: keyArn(context.scope, record.handle),
      KeyPairSpec: pairSpec,
    };
  } finally {
    privateDer.fill(0);
  }
}

export const DATA_KEY_PAIR_HANDLERS: Readonly<Record<string, KmsHandler>> = {
  GenerateDataKeyPair: (context, input) => dataKeyPair(context, input, true),
  GenerateDataKeyPairWithoutPlaintext: (context, input) => dataKeyPair(context, input, false),
};
