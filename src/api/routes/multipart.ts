import type { FastifyInstance } from 'fastify';
import type { PolicyOperation } from '../../identity/policy.js';
import type { MultipartKind, MultipartResult } from '../../keys/multipart-operations.js';
import { requirePermission, sessionOf } from '../auth.js';
import { decodeBase64 } from '../base64.js';
import { decodeMechanismParams, MECHANISM_PARAM_SCHEMA, type MechanismParamFields } from '../mechanism-params.js';
import { base64, keyReference, object } from '../schemas.js';
import type { ApiServices } from '../services.js';

const KINDS = ['encrypt', 'decrypt', 'sign', 'verify', 'digest'] as const satisfies readonly MultipartKind[];
const idParams = object({ id: { type: 'string', pattern: '^[0-9a-f]{32}$' } }, ['id']);

interface BeginBody extends MechanismParamFields {
  operation: MultipartKind;
  keyHandle?: string;
  mechanism: string;
}

/** C_*Init / C_*Update / C_*Final over HTTP: /v1/crypto/operations. */
export function multipartRoutes(app: FastifyInstance, services: ApiServices): void {
  const { multipart } = services;

  app.post<{ Body: BeginBody }>(
    '/v1/crypto/operations',
    {
      config: { authenticated: true },
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
    },
    async (request, reply) => {
      const session = sessionOf(request);
      const { operation, keyHandle, mechanism } = request.body;
      await requirePermission(services, session, `crypto.${operation}` as PolicyOperation);
      const begun = await multipart.begin(
        session,
        operation,
        mechanism,
        keyHandle,
        decodeMechanismParams(request.body),
      );
      return reply
        .code(201)
        .send({ operationId: begun.operationId, ...(begun.iv && { iv: begun.iv.toString('base64') }) });
    },
  );

  app.post<{ Params: { id: string }; Body: { data: string } }>(
    '/v1/crypto/operations/:id/update',
    { config: { authenticated: true }, schema: { params: idParams, body: object({ data: base64 }, ['data']) } },
    async (request) => {
      const output = multipart.update(sessionOf(request), request.params.id, decodeBase64(request.body.data, 'data'));
      return output.length > 0 ? { output: output.toString('base64') } : {};
    },
  );

  app.post<{ Params: { id: string }; Body: { data?: string; signature?: string } }>(
    '/v1/crypto/operations/:id/final',
    {
      config: { authenticated: true },
      schema: { params: idParams, body: object({ data: base64, signature: base64 }, []) },
    },
    async (request) => {
      const { data, signature } = request.body;
      const result = await multipart.final(
        sessionOf(request),
        request.params.id,
        data === undefined ? Buffer.alloc(0) : decodeBase64(data, 'data'),
        signature === undefined ? undefined : decodeBase64(signature, 'signature'),
      );
      return encodeResult(result);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/crypto/operations/:id',
    { config: { authenticated: true }, schema: { params: idParams } },
    async (request, reply) => {
      multipart.abort(sessionOf(request), request.params.id);
      return reply.code(204).send();
    },
  );
}

function encodeResult(result: MultipartResult): Record<string, string | boolean> {
  return Object.fromEntries(
    Object.entries(result).map(([name, value]) => [name, Buffer.isBuffer(value) ? value.toString('base64') : value]),
  );
}
