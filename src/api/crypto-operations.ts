import type { PolicyOperation } from '../identity/policy.js';
import type { Session } from '../identity/sessions.js';
import { decodeBase64 } from './base64.js';
import { decodeMechanismParams, MECHANISM_PARAM_SCHEMA, type MechanismParamFields } from './mechanism-params.js';
import { base64, keyReference, object } from './schemas.js';
import type { ApiServices } from './services.js';

/**
 * The single-part crypto operations, each defined once — its permission, its body schema and
 * what it runs — and served both by its own route (/v1/crypto/<name>) and inside /v1/batch,
 * so a batched operation is checked exactly as a lone one.
 */
export interface CryptoOperation {
  readonly policy: PolicyOperation;
  readonly schema: object;
  run(services: ApiServices, session: Session, body: Record<string, unknown>): Promise<Record<string, unknown>>;
}

const mechanism = { type: 'string', maxLength: 64 } as const;
const keyVersion = { type: 'integer', minimum: 1 } as const;

interface KeyBody extends MechanismParamFields {
  keyHandle: string;
  mechanism: string;
  keyVersion?: number;
}

function define<B>(
  policy: PolicyOperation,
  schema: object,
  run: (services: ApiServices, session: Session, body: B) => Promise<Record<string, unknown>>,
): CryptoOperation {
  return { policy, schema, run: (services, session, body) => run(services, session, body as B) };
}

export const CRYPTO_OPERATIONS = {
  encrypt: define<KeyBody & { plaintext: string }>(
    'crypto.encrypt',
    object({ ...MECHANISM_PARAM_SCHEMA, keyHandle: keyReference, mechanism, plaintext: base64 }, [
      'keyHandle',
      'mechanism',
      'plaintext',
    ]),
    async ({ crypto }, session, body) => {
      const result = await crypto.encrypt(
        session,
        body.keyHandle,
        body.mechanism,
        decodeBase64(body.plaintext, 'plaintext'),
        decodeMechanismParams(body),
      );
      return {
        ciphertext: result.output.toString('base64'),
        ...(result.iv && { iv: result.iv.toString('base64') }),
        keyVersion: result.keyVersion,
      };
    },
  ),
  decrypt: define<KeyBody & { ciphertext: string }>(
    'crypto.decrypt',
    object({ ...MECHANISM_PARAM_SCHEMA, keyHandle: keyReference, mechanism, ciphertext: base64, keyVersion }, [
      'keyHandle',
      'mechanism',
      'ciphertext',
    ]),
    async ({ crypto }, session, body) => {
      const plaintext = await crypto.decrypt(
        session,
        body.keyHandle,
        body.mechanism,
        decodeBase64(body.ciphertext, 'ciphertext'),
        decodeMechanismParams(body),
        body.keyVersion,
      );
      return { plaintext: plaintext.toString('base64') };
    },
  ),
  sign: define<KeyBody & { data: string }>(
    'crypto.sign',
    object({ ...MECHANISM_PARAM_SCHEMA, keyHandle: keyReference, mechanism, data: base64 }, [
      'keyHandle',
      'mechanism',
      'data',
    ]),
    async ({ crypto }, session, body) => {
      const result = await crypto.sign(
        session,
        body.keyHandle,
        body.mechanism,
        decodeBase64(body.data, 'data'),
        decodeMechanismParams(body),
      );
      return { signature: result.signature.toString('base64'), keyVersion: result.keyVersion };
    },
  ),
  verify: define<KeyBody & { data: string; signature: string }>(
    'crypto.verify',
    object(
      { ...MECHANISM_PARAM_SCHEMA, keyHandle: keyReference, mechanism, data: base64, signature: base64, keyVersion },
      ['keyHandle', 'mechanism', 'data', 'signature'],
    ),
    async ({ crypto }, session, body) => {
      const version = await crypto.verify(
        session,
        body.keyHandle,
        body.mechanism,
        decodeBase64(body.data, 'data'),
        decodeBase64(body.signature, 'signature'),
        decodeMechanismParams(body),
        body.keyVersion,
      );
      return { valid: true, keyVersion: version };
    },
  ),
  digest: define<{ mechanism: string; data: string }>(
    'crypto.digest',
    object({ mechanism, data: base64 }, ['mechanism', 'data']),
    async ({ crypto }, _session, body) => ({
      digest: (await crypto.digest(body.mechanism, decodeBase64(body.data, 'data'))).toString('base64'),
    }),
  ),
  random: define<{ length: number }>(
    'crypto.random',
    object({ length: { type: 'integer' } }, ['length']),
    async ({ crypto }, _session, body) => ({ random: (await crypto.random(body.length)).toString('base64') }),
  ),
} as const satisfies Record<string, CryptoOperation>;

export type CryptoOperationName = keyof typeof CRYPTO_OPERATIONS;
