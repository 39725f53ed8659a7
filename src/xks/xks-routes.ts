import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { requirePermission } from '../api/auth.js';
import { toCofferError } from '../api/error-handler.js';
import type { ApiServices } from '../api/services.js';
import { CofferError } from '../errors/coffer-error.js';
import type { PolicyOperation } from '../identity/policy.js';
import { refuseAudited } from '../records/audited-refusal.js';
import { runOperation } from '../operations/run.js';
import { XKS_OPERATIONS } from '../operations/xks.js';
import type { AnyOperation, OperationResult } from '../operations/operation.js';
import { healthReport } from './health-report.js';
import type { XksKeyStoreRecord } from './key-store-records.js';
import { metadataDetails, type RequestMetadata } from './request-metadata.js';
import { xksAuthentication } from './xks-admission.js';
import { XKS_ALGORITHM } from './xks-cipher.js';
import { xksError } from './xks-errors.js';
import { refineRefusal } from './xks-refusals.js';
import { DECRYPT_BODY, ENCRYPT_BODY, HEALTH_BODY, METADATA_BODY } from './xks-schemas.js';
import { MAX_PREFIX_SEGMENTS, XKS_API_ROOT } from './xks-paths.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The key store whose credential signed this XKS request (xks-admission.ts). */
    xksStore?: XksKeyStoreRecord;
  }
}

/** Bounds one XKS request: the spec's largest (4300 bytes of data, 8192 of AAD) is ~17 KB of JSON. */
export const XKS_BODY_LIMIT = 64 * 1024;
const OTHER_METHODS: HTTPMethods[] = ['GET', 'PUT', 'DELETE', 'PATCH'];

const operationNamed = (name: string): AnyOperation => XKS_OPERATIONS.find((op) => op.name === name)!;

/** One XKS API: where it is under the API root, its body, and the operation it runs (none: health). */
export interface XksApi {
  readonly action: string;
  readonly path: string;
  readonly body: object;
  readonly operation?: AnyOperation;
  /** The body names an encryptionAlgorithm, which must be the one XKS v1 has. */
  readonly algorithm?: true;
}

export const XKS_APIS: readonly XksApi[] = [
  { action: 'xks.get-health-status', path: '/health', body: HEALTH_BODY },
  {
    action: 'xks.get-key-metadata',
    path: '/keys/:externalKeyId/metadata',
    body: METADATA_BODY,
    operation: operationNamed('xks.get-key-metadata'),
  },
  {
    action: 'xks.encrypt',
    path: '/keys/:externalKeyId/encrypt',
    body: ENCRYPT_BODY,
    operation: operationNamed('xks.encrypt'),
    algorithm: true,
  },
  {
    action: 'xks.decrypt',
    path: '/keys/:externalKeyId/decrypt',
    body: DECRYPT_BODY,
    operation: operationNamed('xks.decrypt'),
    algorithm: true,
  },
];

/**
 * The XKS proxy API beside /v1, on the same listener: `[/<prefix>]/kms/xks/v1/…` for every
 * prefix depth up to MAX_PREFIX_SEGMENTS (the routes match the shape; the signing credential's
 * key store decides whether the prefix is its own). In its own Fastify scope: bodies are kept
 * as received for the signature, and errors answer in the spec's shape. The node's TLS, client
 * certificate check and seal apply as to every route.
 */
export function xksProxyRoutes(app: FastifyInstance, services: ApiServices): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.setErrorHandler(xksErrorHandler);
    const admit = xksAuthentication(services);
    for (let depth = 0; depth <= MAX_PREFIX_SEGMENTS; depth++) {
      const root = Array.from({ length: depth }, (_, index) => `/:p${index}`).join('') + XKS_API_ROOT;
      for (const api of XKS_APIS) {
        const url = root + api.path;
        scope.route({
          method: 'POST',
          url,
          bodyLimit: XKS_BODY_LIMIT,
          config: { outsideV1: true },
          schema: { body: api.body },
          preValidation: (request) => admit(request, api),
          handler: (request) => serve(services, request, api),
        });
        // The spec: a GET (or any other method) at an API's URI is 405 Method Not Allowed.
        scope.route({ method: OTHER_METHODS, url, config: { outsideV1: true }, handler: methodNotAllowed });
      }
      scope.route({
        method: ['POST', ...OTHER_METHODS],
        url: `${root}/*`,
        config: { outsideV1: true },
        handler: () => {
          throw new CofferError(
            'XKS_URI_PATH_INVALID',
            'the XKS v1 APIs are health and keys/<id>/metadata|encrypt|decrypt',
          );
        },
      });
    }
  });
}

async function serve(services: ApiServices, request: FastifyRequest, api: XksApi): Promise<OperationResult> {
  const store = request.xksStore!;
  const { requestMetadata, ...fields } = request.body as { requestMetadata?: RequestMetadata } & Record<
    string,
    unknown
  >;
  const { externalKeyId } = request.params as { externalKeyId?: string };
  const auditDetails = metadataDetails(store.id, externalKeyId, requestMetadata);
  const event = { actor: store.user, action: api.action, target: `xks/${store.id}`, details: auditDetails };
  const session = await services.xks.session(store).catch(async (error: unknown) => {
    const refused = toCofferError(error);
    return refuseAudited(services.writer, event, refused.code, refused.detail);
  });
  if (!api.operation || externalKeyId === undefined) return { ...(await healthReport(services.cluster.info)) };
  const keyEvent = { ...event, target: `xks/${store.id}/${externalKeyId}` };
  if (api.algorithm && fields.encryptionAlgorithm !== XKS_ALGORITHM)
    await refuseAudited(services.writer, keyEvent, 'MECHANISM_INVALID', `XKS v1 encrypts with ${XKS_ALGORITHM} only`);
  const exposed = await services.xks.exposedKey(store.id, externalKeyId);
  if (!exposed) return refuseAudited(services.writer, keyEvent, 'KEY_NOT_FOUND', 'no such external key in this store');
  const op = api.operation;
  await requirePermission(services, session, op.policy as PolicyOperation);
  const input = { ...fields, keyHandle: exposed.keyHandle, mechanism: XKS_ALGORITHM };
  try {
    return await runOperation(services, session, op, input, { auditDetails });
  } catch (error) {
    throw await refineRefusal(services.gate, session, exposed.keyHandle, error);
  }
}

function methodNotAllowed(): never {
  throw new CofferError('XKS_METHOD_NOT_ALLOWED');
}

function xksErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const coffer = toCofferError(error);
  if (coffer.code === 'INTERNAL_ERROR') request.log.error({ err: coffer.cause }, 'internal error');
  else if (coffer.status >= 500)
    request.log.error({ code: coffer.code, detail: coffer.detail }, 'request refused by the node');
  const { status, body } = xksError(coffer);
  if (coffer.code === 'XKS_METHOD_NOT_ALLOWED') reply.header('allow', 'POST');
  return reply.code(status).send(body);
}
