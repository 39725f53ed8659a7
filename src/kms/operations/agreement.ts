import { CofferError } from '../../errors/coffer-error.js';
import { kmsKey, requireUsage, withKeyState } from '../context.js';
import type { KmsHandler } from '../handler.js';
import { keyArn } from '../key-ids.js';
import { allowOnly, optionalStringList, requiredBlob, requiredEnum, requiredString } from '../input.js';
import { runNamed } from '../run.js';

/** The ECDH shared secret's length: the curve's field size. */
const SECRET_BYTES: Readonly<Record<string, number>> = {
  ECC_NIST_P256: 32,
  ECC_NIST_P384: 48,
  ECC_NIST_P521: 66,
};

/**
 * DeriveSharedSecret: ECDH (ECDH1_DERIVE with the null KDF) of a KEY_AGREEMENT key's private
 * half with the peer's DER SubjectPublicKeyInfo, through kms.derive-shared-secret. Such a key is
 * no base key for C_DeriveKey (key-derivation.ts), since its secrets are answered here.
 */
const deriveSharedSecret: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'KeyAgreementAlgorithm', 'PublicKey', 'GrantTokens']);
  optionalStringList(input, 'GrantTokens', 10, 8192);
  requiredEnum(input, 'KeyAgreementAlgorithm', ['ECDH']);
  const publicKey = requiredBlob(input, 'PublicKey', 1, 8192);
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  await requireUsage(context, record, ['KEY_AGREEMENT']);
  const lengthBytes = SECRET_BYTES[record.kms.keySpec];
  if (lengthBytes === undefined) throw new CofferError('KEY_TYPE_INCONSISTENT', 'not an ECC key agreement key');
  const out = await withKeyState(record, () =>
    runNamed(context.services, context.session, 'kms.derive-shared-secret', {
      keyHandle: record.handle,
      mechanism: 'ECDH1_DERIVE',
      publicKey,
      lengthBytes,
    }),
  );
  return {
    KeyId: keyArn(context.scope, record.handle),
    SharedSecret: out.sharedSecret,
    KeyAgreementAlgorithm: 'ECDH',
    KeyOrigin: 'AWS_KMS',
  };
};

export const AGREEMENT_HANDLERS: Readonly<Record<string, KmsHandler>> = { DeriveSharedSecret: deriveSharedSecret };
