import { decodeBase64 } from '../api/base64.js';
import { decodeMechanismParams, MECHANISM_PARAM_SCHEMA, type MechanismParamFields } from '../api/mechanism-params.js';
import { base64, keyReference, object } from '../api/schemas.js';
import type { PolicyOperation } from '../identity/policy.js';
import type { MultipartKind, MultipartResult } from '../keys/multipart-operations.js';
import { operation } from './operation.js';

const KINDS = ['encrypt', 'decrypt', 'sign', 'verify', 'digest'] as const satisfies readonly MultipartKind[];
const idParams = object({ id: { type: 'string', pattern: '^[0-9a-f]{32}$' } }, ['id']);

interface BeginBody extends MechanismParamFields {
  operation: MultipartKind;
  keyHandle?: string;
  mechanism: string;
}

/**
 * C_*Init / C_*Update / C_*Final over /v1/crypto/operations. The key is named once, at init,
 * and the multi-part service puts it through the key-use gate there and again at every step
 * (its role is the operation's kind, which the body chooses).
 */
export const MULTIPART_OPERATIONS = [
  operation<BeginBody, Record<string, never>>({
    name: 'crypto.operation.begin',
    summary: 'Begin a multi-part encrypt, decrypt, sign, verify or digest (C_*Init)',
    policy: { of: (body) => `crypto.${body.operation}` as PolicyOperation },
    http: { method: 'POST', url: '/v1/crypto/operations', status: 201 },
    schema: {
      body: object(
        {
          ...MECHANISM_PARAM_SCHEMA,
          operation: { type: 'string', enum: KINDS },
          keyHandle: keyReference,
          mechanism: { type: 'string', maxLength: 64 },
        },
        ['operation', 'mechanism'],
      ),
    },
    keys: {},
    async run({ services, session }, body) {
      const begun = await services.multipart.begin(
        session,
        body.operation,
        body.mechanism,
        body.keyHandle,
        decodeMechanismParams(body),
      );
      return { operationId: begun.operationId, ...(begun.iv && { iv: begun.iv.toString('base64') }) };
    },
  }),
  operation<{ id: string; data: string }, Record<string, never>>({
    name: 'crypto.operation.update',
    summary: 'Feed a part to a multi-part operation (C_*Update)',
    policy: 'authenticated',
    http: { method: 'POST', url: '/v1/crypto/operations/:id/update' },
    schema: { params: idParams, body: object({ data: base64 }, ['data']) },
    keys: {},
    async run({ services, session }, input) {
      const output = await services.multipart.update(session, input.id, decodeBase64(input.data, 'data'));
      return output.length > 0 ? { output: output.toString('base64') } : {};
    },
  }),
  operation<{ id: string; data?: string; signature?: string }, Record<string, never>>({
    name: 'crypto.operation.final',
    summary: 'The last part, and the result of a multi-part operation (C_*Final)',
    policy: 'authenticated',
    http: { method: 'POST', url: '/v1/crypto/operations/:id/final' },
    schema: { params: idParams, body: object({ data: base64, signature: base64 }, []) },
    keys: {},
    async run({ services, session }, input) {
      const result = await services.multipart.final(
        session,
        input.id,
        input.data === undefined ? Buffer.alloc(0) : decodeBase64(input.data, 'data'),
        input.signature === undefined ? undefined : decodeBase64(input.signature, 'signature'),
      );
      return encodeResult(result);
    },
  }),
  operation<{ id: string }, Record<string, never>>({
    name: 'crypto.operation.abort',
    summary: 'End a multi-part operation without a result',
    policy: 'authenticated',
    http: { method: 'DELETE', url: '/v1/crypto/operations/:id', status: 204 },
    schema: { params: idParams },
    keys: {},
    async run({ services, session }, input) {
      services.multipart.abort(session, input.id);
      return undefined;
    },
  }),
];

function encodeResult(result: MultipartResult): Record<string, string | boolean> {
  return Object.fromEntries(
    Object.entries(result).map(([name, value]) => [name, Buffer.isBuffer(value) ? value.toString('base64') : value]),
  );
}
