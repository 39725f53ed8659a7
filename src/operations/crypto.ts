import { decodeBase64 } from '../api/base64.js';
import { decodeMechanismParams, MECHANISM_PARAM_SCHEMA, type MechanismParamFields } from '../api/mechanism-params.js';
import { base64, keyReference, object } from '../api/schemas.js';
import { operation } from './operation.js';

const mechanism = { type: 'string', maxLength: 64 } as const;
const keyVersion = { type: 'integer', minimum: 1 } as const;

interface KeyBody extends MechanismParamFields {
  keyHandle: string;
  mechanism: string;
  keyVersion?: number;
}

const post = (name: string) => ({ method: 'POST', url: `/v1/crypto/${name}` }) as const;
const usedKey = <R extends 'encrypt' | 'decrypt' | 'sign' | 'verify'>(role: R) =>
  ({ key: { role, field: 'keyHandle', mechanismField: 'mechanism', ivField: 'iv' } }) as const;

/** The single-part crypto operations: each its own route, and an item of /v1/batch. */
export const CRYPTO_OPERATIONS = [
  operation<KeyBody & { plaintext: string }, ReturnType<typeof usedKey<'encrypt'>>>({
    name: 'crypto.encrypt',
    summary: 'Encrypt data with a key (C_Encrypt); the node makes the IV where the mechanism needs one',
    policy: 'crypto.encrypt',
    http: post('encrypt'),
    batch: 'encrypt',
    schema: {
      body: object({ ...MECHANISM_PARAM_SCHEMA, keyHandle: keyReference, mechanism, plaintext: base64 }, [
        'keyHandle',
        'mechanism',
        'plaintext',
      ]),
    },
    keys: usedKey('encrypt'),
    async run({ services, keys }, body) {
      const result = await services.crypto.encrypt(
        keys.key,
        decodeBase64(body.plaintext, 'plaintext'),
        decodeMechanismParams(body),
      );
      return {
        ciphertext: result.output.toString('base64'),
        ...(result.iv && { iv: result.iv.toString('base64') }),
        keyVersion: result.keyVersion,
      };
    },
  }),
  operation<KeyBody & { ciphertext: string }, ReturnType<typeof usedKey<'decrypt'>>>({
    name: 'crypto.decrypt',
    summary: 'Decrypt data with a key (C_Decrypt), with the version asked for or each newest first',
    policy: 'crypto.decrypt',
    http: post('decrypt'),
    batch: 'decrypt',
    schema: {
      body: object({ ...MECHANISM_PARAM_SCHEMA, keyHandle: keyReference, mechanism, ciphertext: base64, keyVersion }, [
        'keyHandle',
        'mechanism',
        'ciphertext',
      ]),
    },
    keys: usedKey('decrypt'),
    async run({ services, keys }, body) {
      const plaintext = await services.crypto.decrypt(
        keys.key,
        decodeBase64(body.ciphertext, 'ciphertext'),
        decodeMechanismParams(body),
        body.keyVersion,
      );
      return { plaintext: plaintext.toString('base64') };
    },
  }),
  operation<KeyBody & { data: string }, ReturnType<typeof usedKey<'sign'>>>({
    name: 'crypto.sign',
    summary: 'Sign data, or MAC it, with a key (C_Sign)',
    policy: 'crypto.sign',
    http: post('sign'),
    batch: 'sign',
    schema: {
      body: object({ ...MECHANISM_PARAM_SCHEMA, keyHandle: keyReference, mechanism, data: base64 }, [
        'keyHandle',
        'mechanism',
        'data',
      ]),
    },
    keys: usedKey('sign'),
    async run({ services, keys }, body) {
      const result = await services.crypto.sign(keys.key, decodeBase64(body.data, 'data'), decodeMechanismParams(body));
      return { signature: result.signature.toString('base64'), keyVersion: result.keyVersion };
    },
  }),
  operation<KeyBody & { data: string; signature: string }, ReturnType<typeof usedKey<'verify'>>>({
    name: 'crypto.verify',
    summary: 'Verify a signature or MAC with a key (C_Verify); SIGNATURE_INVALID when it does not verify',
    policy: 'crypto.verify',
    http: post('verify'),
    batch: 'verify',
    schema: {
      body: object(
        { ...MECHANISM_PARAM_SCHEMA, keyHandle: keyReference, mechanism, data: base64, signature: base64, keyVersion },
        ['keyHandle', 'mechanism', 'data', 'signature'],
      ),
    },
    keys: usedKey('verify'),
    async run({ services, keys }, body) {
      const version = await services.crypto.verify(
        keys.key,
        decodeBase64(body.data, 'data'),
        decodeBase64(body.signature, 'signature'),
        decodeMechanismParams(body),
        body.keyVersion,
      );
      return { valid: true, keyVersion: version };
    },
  }),
  operation<{ mechanism: string; data: string }, Record<string, never>>({
    name: 'crypto.digest',
    summary: 'Hash data (C_Digest); no key',
    policy: 'crypto.digest',
    http: post('digest'),
    batch: 'digest',
    schema: { body: object({ mechanism, data: base64 }, ['mechanism', 'data']) },
    keys: {},
    async run({ services }, body) {
      return {
        digest: (await services.crypto.digest(body.mechanism, decodeBase64(body.data, 'data'))).toString('base64'),
      };
    },
  }),
  operation<{ length: number }, Record<string, never>>({
    name: 'crypto.random',
    summary: 'Random bytes from the node (C_GenerateRandom)',
    policy: 'crypto.random',
    http: post('random'),
    batch: 'random',
    schema: { body: object({ length: { type: 'integer' } }, ['length']) },
    keys: {},
    async run({ services }, body) {
      return { random: (await services.crypto.random(body.length)).toString('base64') };
    },
  }),
];
