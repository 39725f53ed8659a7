import { decodeBase64, optionalBase64 } from '../api/base64.js';
import { keyReference, object } from '../api/schemas.js';
import type { KeyUsage } from '../crypto/types.js';
import { CofferError, isCofferError } from '../errors/coffer-error.js';
import { usableOn } from '../objects/attributes.js';
import type { KeyRecord } from '../objects/key-record.js';
import { xksDecrypt, xksEncrypt } from '../xks/xks-cipher.js';
import { EXTERNAL_KEY_ID, KEY_STORE_ID } from '../xks/xks-paths.js';
import { operation, type OperationContext } from './operation.js';
import { replayExposedKey } from './replays.js';

/**
 * The XKS proxy API's operations (src/xks/xks-routes.ts runs them as the key store's user, with
 * the request metadata as the audit context) and the admin's exposing of a key to a key store.
 * The proxy's success events carry the request metadata too: AWS KMS's request id is how a
 * CloudTrail entry is matched to the node's audit.
 */
interface ProxyInput {
  keyHandle: string;
  /** Set by the proxy to AES_GCM, the one XKS v1 algorithm, once the body's is checked. */
  mechanism: string;
}

interface EncryptInput extends ProxyInput {
  plaintext: string;
  additionalAuthenticatedData?: string;
  ciphertextDataIntegrityValueAlgorithm?: string;
}

interface DecryptInput extends ProxyInput {
  ciphertext: string;
  ciphertextMetadata?: string;
  additionalAuthenticatedData?: string;
  initializationVector: string;
  authenticationTag: string;
}

const used = <R extends 'encrypt' | 'decrypt'>(role: R) =>
  ({ key: { role, field: 'keyHandle', mechanismField: 'mechanism' } }) as const;
const READ = { key: { role: 'read', field: 'keyHandle' } } as const;

/** The spec's keyUsage names, for the usage attributes a key has. */
const XKS_USAGES: Readonly<Record<KeyUsage, string>> = {
  encrypt: 'ENCRYPT',
  decrypt: 'DECRYPT',
  sign: 'SIGN',
  verify: 'VERIFY',
  wrap: 'WRAP',
  unwrap: 'UNWRAP',
  derive: 'DERIVE',
};

const TAG_BYTES = 16;
/** The spec's IV sizes; this proxy writes 12-byte IVs, so a 16-byte one is InvalidCiphertext. */
const IV_SIZES: readonly number[] = [12, 16];

export const XKS_OPERATIONS = [
  operation<ProxyInput, typeof READ>({
    name: 'xks.get-key-metadata',
    summary: "XKS GetKeyMetadata: an exposed key's spec, usages and status",
    policy: 'key.read-attributes',
    schema: {},
    keys: READ,
    async run(context) {
      const { record } = context.keys.key;
      const answer = {
        keySpec: 'AES_256',
        keyUsage: (Object.keys(XKS_USAGES) as KeyUsage[])
          .filter((usage) => record.attributes[usage] === true)
          .map((usage) => XKS_USAGES[usage]),
        keyStatus: enabled(record) ? 'ENABLED' : 'DISABLED',
      };
      await audit(context, 'xks.get-key-metadata', record);
      return answer;
    },
  }),
  operation<EncryptInput, ReturnType<typeof used<'encrypt'>>>({
    name: 'xks.encrypt',
    summary: 'XKS Encrypt: AES-256-GCM, the node making the IV; a ciphertextDataIntegrityValue when asked',
    policy: 'crypto.encrypt',
    schema: {},
    keys: used('encrypt'),
    async run(context, input) {
      const plaintext = decodeBase64(input.plaintext, 'plaintext');
      try {
        const aad = optionalBase64(input.additionalAuthenticatedData, 'additionalAuthenticatedData');
        const result = await audited(context, 'xks.encrypt', () =>
          xksEncrypt(
            context.services.crypto,
            context.keys.key,
            plaintext,
            aad ?? Buffer.alloc(0),
            input.ciphertextDataIntegrityValueAlgorithm,
          ),
        );
        return {
          ciphertext: result.ciphertext.toString('base64'),
          ciphertextMetadata: result.ciphertextMetadata.toString('base64'),
          initializationVector: result.initializationVector.toString('base64'),
          authenticationTag: result.authenticationTag.toString('base64'),
          ...(result.ciphertextDataIntegrityValue !== undefined && {
            ciphertextDataIntegrityValue: result.ciphertextDataIntegrityValue,
          }),
        };
      } finally {
        plaintext.fill(0);
      }
    },
  }),
  operation<DecryptInput, ReturnType<typeof used<'decrypt'>>>({
    name: 'xks.decrypt',
    summary: 'XKS Decrypt: AES-256-GCM of what XKS Encrypt wrote, with the same AAD',
    policy: 'crypto.decrypt',
    schema: {},
    keys: used('decrypt'),
    async run(context, input) {
      const initializationVector = decodeBase64(input.initializationVector, 'initializationVector');
      const authenticationTag = decodeBase64(input.authenticationTag, 'authenticationTag');
      if (!IV_SIZES.includes(initializationVector.length))
        throw new CofferError('INVALID_FIELD', 'initializationVector is 12 or 16 bytes');
      if (authenticationTag.length !== TAG_BYTES)
        throw new CofferError('INVALID_FIELD', `authenticationTag is ${TAG_BYTES} bytes`);
      const ciphertext = {
        ciphertext: decodeBase64(input.ciphertext, 'ciphertext'),
        ciphertextMetadata: optionalBase64(input.ciphertextMetadata, 'ciphertextMetadata'),
        initializationVector,
        authenticationTag,
        aad: optionalBase64(input.additionalAuthenticatedData, 'additionalAuthenticatedData') ?? Buffer.alloc(0),
      };
      const plaintext = await audited(context, 'xks.decrypt', () =>
        xksDecrypt(context.services.crypto, context.keys.key, ciphertext),
      );
      try {
        return { plaintext: plaintext.toString('base64') };
      } finally {
        plaintext.fill(0);
      }
    },
  }),
  operation<
    { storeId: string; externalKeyId: string; keyHandle: string },
    { key: { role: 'manage'; field: 'keyHandle' } }
  >({
    name: 'xks.expose-key',
    summary: "Expose a key to AWS KMS in an XKS key store, under an external key id (the key's key-management quorum)",
    policy: 'xks.expose-key',
    http: { method: 'POST', url: '/v1/xks/key-stores/:storeId/keys', status: 201 },
    schema: {
      params: object({ storeId: { type: 'string', pattern: KEY_STORE_ID.source } }, ['storeId']),
      body: object({ externalKeyId: { type: 'string', pattern: EXTERNAL_KEY_ID.source }, keyHandle: keyReference }, [
        'externalKeyId',
        'keyHandle',
      ]),
    },
    idempotent: replayExposedKey,
    keys: { key: { role: 'manage', field: 'keyHandle' } },
    async run({ services, session, keys }, input) {
      return { key: await services.xks.expose(session, input.storeId, input.externalKeyId, keys.key) };
    },
  }),
];

function enabled(record: KeyRecord): boolean {
  return record.state === 'enabled' && usableOn(record, new Date());
}

/** What an operation's own audit events need of its context. */
type AuditScope = Pick<OperationContext<unknown>, 'services' | 'session' | 'auditDetails'>;

/** The success event of a proxy operation, with the request metadata; forced: no event, no answer. */
async function audit(context: AuditScope, action: string, record: KeyRecord): Promise<void> {
  await context.services.writer.commit({
    event: {
      actor: context.session.username,
      action,
      target: `key/${record.handle}`,
      result: 'success',
      ...(context.auditDetails && { details: context.auditDetails }),
    },
  });
}

/** Runs the cipher; its refusal (a tampered ciphertext) is audited with the metadata, then thrown. */
async function audited<T>(
  context: OperationContext<ReturnType<typeof used<'encrypt' | 'decrypt'>>>,
  action: string,
  cipher: () => Promise<T>,
): Promise<T> {
  const { record } = context.keys.key;
  let result: T;
  try {
    result = await cipher();
  } catch (error) {
    if (isCofferError(error))
      await context.services.writer.commit({
        event: {
          actor: context.session.username,
          action,
          target: `key/${record.handle}`,
          result: 'failure',
          code: error.code,
          ...(context.auditDetails && { details: context.auditDetails }),
        },
      });
    throw error;
  }
  await audit(context, action, record);
  return result;
}
