import { createPublicKey } from 'node:crypto';
import { HASHES } from '../../crypto/hash.js';
import { CofferError, isCofferError } from '../../errors/coffer-error.js';
import { MAC_ALGORITHMS, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../algorithms.js';
import { kmsKey, requireUsage, withKeyState, type KmsContext, type KmsKeyRecord } from '../context.js';
import type { KmsHandler } from '../handler.js';
import { keyArn } from '../key-ids.js';
import { algorithmsOf, isKeySpec, specRow } from '../key-specs.js';
import { allowOnly, optionalEnum, optionalStringList, requiredBlob, requiredString, type KmsInput } from '../input.js';
import { runNamed } from '../run.js';

const MAX_MESSAGE = 4096;
const MAX_SIGNATURE = 6144;

interface Signing {
  readonly record: KmsKeyRecord;
  readonly algorithmName: string;
  readonly mechanism: string;
  readonly data: Buffer;
  readonly params: SigningAlgorithm['params'] & SigningAlgorithm['digest']['params'];
}

/**
 * Sign and Verify's common part: the key (SIGN_VERIFY), an algorithm of its spec, and the
 * mechanism and data for the message type — RAW: the message, hashed by the mechanism; DIGEST:
 * the digest (of the algorithm's hash length), signed as it is, in its DigestInfo, or by PSS
 * with the algorithm's hash, MGF1 hash and salt length.
 */
async function signing(context: KmsContext, input: KmsInput): Promise<Signing> {
  optionalStringList(input, 'GrantTokens', 10, 8192);
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  await requireUsage(context, record, ['SIGN_VERIFY']);
  const algorithmName = requiredString(input, 'SigningAlgorithm', 64);
  const algorithm = SIGNING_ALGORITHMS[algorithmName];
  const allowed = specRow(record.kms.keySpec)?.signingAlgorithms ?? [];
  if (!algorithm || !(allowed as readonly string[]).includes(algorithmName))
    throw new CofferError('INVALID_FIELD', `SigningAlgorithm for this key is one of ${allowed.join(', ')}`);
  const message = requiredBlob(input, 'Message', 1, MAX_MESSAGE);
  const type = optionalEnum(input, 'MessageType', ['RAW', 'DIGEST']) ?? 'RAW';
  if (type === 'RAW')
    return { record, algorithmName, mechanism: algorithm.raw, data: message, params: algorithm.params };
  if (message.length !== HASHES[algorithm.hash].bytes)
    throw new CofferError('INVALID_FIELD', `a ${algorithm.hash} digest is ${HASHES[algorithm.hash].bytes} bytes`);
  const { digest } = algorithm;
  const data = digest.digestInfo ? Buffer.concat([digest.digestInfo, message]) : message;
  return {
    record,
    algorithmName,
    mechanism: digest.mechanism,
    data,
    params: { ...algorithm.params, ...digest.params },
  };
}

const sign: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'Message', 'MessageType', 'GrantTokens', 'SigningAlgorithm']);
  const { record, algorithmName, mechanism, data, params } = await signing(context, input);
  const out = await withKeyState(record, () =>
    runNamed(context.services, context.session, 'crypto.sign', {
      keyHandle: record.handle,
      mechanism,
      data: data.toString('base64'),
      ...params,
    }),
  );
  return { KeyId: keyArn(context.scope, record.handle), Signature: out.signature, SigningAlgorithm: algorithmName };
};

/** Verify checks with the public half; a signature that does not verify is KMSInvalidSignatureException. */
const verify: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'Message', 'MessageType', 'Signature', 'GrantTokens', 'SigningAlgorithm']);
  const { record, algorithmName, mechanism, data, params } = await signing(context, input);
  const signature = requiredBlob(input, 'Signature', 1, MAX_SIGNATURE);
  if (record.pairHandle === undefined) throw new CofferError('KEY_NOT_FOUND', 'the key has no public half');
  await withKeyState(record, () =>
    runNamed(context.services, context.session, 'crypto.verify', {
      keyHandle: record.pairHandle!,
      mechanism,
      data: data.toString('base64'),
      signature: signature.toString('base64'),
      ...params,
    }),
  );
  return { KeyId: keyArn(context.scope, record.handle), SignatureValid: true, SigningAlgorithm: algorithmName };
};

/** GetPublicKey: key.export-public's PEM as DER SubjectPublicKeyInfo, with what the key is for. */
const getPublicKey: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'GrantTokens']);
  optionalStringList(input, 'GrantTokens', 10, 8192);
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  if (record.class !== 'private')
    throw new CofferError('KMS_OPERATION_UNSUPPORTED', 'a symmetric key has no public key');
  const out = await runNamed(context.services, context.session, 'key.export-public', { handle: record.handle });
  const der = createPublicKey(out.pem as string).export({ type: 'spki', format: 'der' });
  const { kms } = record;
  return {
    KeyId: keyArn(context.scope, record.handle),
    PublicKey: der.toString('base64'),
    CustomerMasterKeySpec: kms.keySpec,
    KeySpec: kms.keySpec,
    KeyUsage: kms.keyUsage,
    ...(isKeySpec(kms.keySpec) ? algorithmsOf(kms.keySpec, kms.keyUsage) : {}),
  };
};

/** GenerateMac and VerifyMac's common part: the HMAC key and its one algorithm. */
async function macKey(context: KmsContext, input: KmsInput) {
  optionalStringList(input, 'GrantTokens', 10, 8192);
  const record = await kmsKey(context, requiredString(input, 'KeyId'));
  await requireUsage(context, record, ['GENERATE_VERIFY_MAC']);
  const algorithm = requiredString(input, 'MacAlgorithm', 64);
  const allowed = specRow(record.kms.keySpec)?.macAlgorithms ?? [];
  const mechanism = MAC_ALGORITHMS[algorithm];
  if (!mechanism || !(allowed as readonly string[]).includes(algorithm))
    throw new CofferError('INVALID_FIELD', `MacAlgorithm for this key is ${allowed.join(', ')}`);
  return { record, algorithm, mechanism, message: requiredBlob(input, 'Message', 1, MAX_MESSAGE) };
}

const generateMac: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'Message', 'MacAlgorithm', 'GrantTokens']);
  const { record, algorithm, mechanism, message } = await macKey(context, input);
  const out = await withKeyState(record, () =>
    runNamed(context.services, context.session, 'crypto.sign', {
      keyHandle: record.handle,
      mechanism,
      data: message.toString('base64'),
    }),
  );
  return { Mac: out.signature, MacAlgorithm: algorithm, KeyId: keyArn(context.scope, record.handle) };
};

/** A MAC that does not verify is KMSInvalidMacException. */
const verifyMac: KmsHandler = async (context, input) => {
  allowOnly(input, ['KeyId', 'Message', 'MacAlgorithm', 'Mac', 'GrantTokens']);
  const { record, algorithm, mechanism, message } = await macKey(context, input);
  const mac = requiredBlob(input, 'Mac', 1, 64);
  try {
    await withKeyState(record, () =>
      runNamed(context.services, context.session, 'crypto.verify', {
        keyHandle: record.handle,
        mechanism,
        data: message.toString('base64'),
        signature: mac.toString('base64'),
      }),
    );
  } catch (error) {
    if (isCofferError(error, 'SIGNATURE_INVALID')) throw new CofferError('KMS_MAC_INVALID');
    throw error;
  }
  return { KeyId: keyArn(context.scope, record.handle), MacValid: true, MacAlgorithm: algorithm };
};

/** GenerateRandom: crypto.random, 1 to 1,024 bytes as KMS allows. */
const generateRandom: KmsHandler = async (context, input) => {
  allowOnly(input, ['NumberOfBytes', 'CustomKeyStoreId']);
  if (input.CustomKeyStoreId !== undefined) throw new CofferError('KMS_OPERATION_UNSUPPORTED', 'custom key stores');
  const length = input.NumberOfBytes;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > 1024)
    throw new CofferError('INVALID_FIELD', 'NumberOfBytes is 1 to 1024');
  const out = await runNamed(context.services, context.session, 'crypto.random', { length });
  return { Plaintext: out.random };
};

export const SIGNING_HANDLERS: Readonly<Record<string, KmsHandler>> = {
  Sign: sign,
  Verify: verify,
  GetPublicKey: getPublicKey,
  GenerateMac: generateMac,
  VerifyMac: verifyMac,
  GenerateRandom: generateRandom,
};
