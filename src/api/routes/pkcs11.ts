import type { FastifyInstance } from 'fastify';
import type { Session } from '../../identity/sessions.js';
import { isKeyClass } from '../../pkcs11/constants.js';
import {
  classOfTemplate,
  createKeyInput,
  deriveInput,
  generatePairInput,
  unwrapInput,
} from '../../pkcs11/key-requests.js';
import { decodeTemplate, type WireAttribute } from '../../pkcs11/value-codec.js';
import { parseHandle } from '../../objects/key-handle.js';
import { OPERATIONS } from '../../operations/index.js';
import type { AnyOperation, OperationResult } from '../../operations/operation.js';
import { runIdempotent } from '../../operations/run-idempotent.js';
import { runOperation } from '../../operations/run.js';
import type { IdempotentRequest } from '../../idempotency/idempotency-service.js';
import { publicSession, runPublic } from '../../pkcs11/public-session.js';
import { CofferError } from '../../errors/coffer-error.js';
import { requirePermission, sessionOf } from '../auth.js';
import { KEY_ROUTE_PARAM_SCHEMA, type KeyRouteParamFields } from '../mechanism-params.js';
import { base64, handle, keyReference, object, wireTemplate } from '../schemas.js';
import type { ApiServices } from '../services.js';

/**
 * The node's PKCS#11 face, for the C module: templates in, handles and attribute values out.
 * Each route decides only which registry operation a request is and translates its template
 * (src/pkcs11/); the operation then runs through runOperation — the same permission row,
 * key-use gate, quorum and audit as its /v1 route. Where a route serves keys and objects alike,
 * both operations share the permission row the route declares, so it is checked first.
 */
const template = wireTemplate;
const mechanism = { type: 'string', maxLength: 64 } as const;
const handleParams = object({ handle }, ['handle']);
const templateBody = object({ template }, ['template']);

const BY_NAME = new Map<string, AnyOperation>(OPERATIONS.map((op) => [op.name, op]));

/**
 * Runs a registry operation by name, with its permission row checked first; a write once per
 * Idempotency-Key, when the request carried one.
 */
async function run(
  services: ApiServices,
  session: Session,
  name: string,
  input: Record<string, unknown>,
  idempotency?: IdempotentRequest,
): Promise<NonNullable<OperationResult> | undefined> {
  const op = BY_NAME.get(name)!;
  if (typeof op.policy === 'string' && op.policy !== 'authenticated')
    await requirePermission(services, session, op.policy);
  if (idempotency === undefined) return runOperation(services, session, op, input);
  return runIdempotent(services, session, op, input, idempotency);
}

/** Whether a handle names a certificate or data object the caller sees (else it is a key's, or nothing's). */
async function isObject(services: ApiServices, session: Session, reference: string): Promise<boolean> {
  return (await services.objects.find(session, parseHandle(reference))) !== undefined;
}

const handleOf = (answer: OperationResult): string => (answer?.key as { handle: string }).handle;

const attributesBody = object(
  { handle, types: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'integer', minimum: 0 } } },
  ['handle', 'types'],
);
type FindBody = { template: WireAttribute[]; after?: string; limit?: number };
type AttributesBody = { handle: string; types: number[] };

async function readAttributes(services: ApiServices, session: Session, body: AttributesBody) {
  const object = await isObject(services, session, body.handle);
  return run(services, session, object ? 'pkcs11.read-object-attributes' : 'pkcs11.read-key-attributes', body);
}

/**
 * The same for a session without a login, which the permission table does not know: only the
 * operations PUBLIC_OPERATIONS allows, and a handle it may not see refused without an audit
 * event (anyone may ask; the audit log is no sink for them).
 */
async function readPublicAttributes(services: ApiServices, body: AttributesBody) {
  const session = await publicSession(services);
  if (await isObject(services, session, body.handle))
    return runPublic(services, session, BY_NAME.get('pkcs11.read-object-attributes')!, body);
  if (!(await services.gate.find(session, body.handle)))
    throw new CofferError('KEY_NOT_FOUND', 'no such public object');
  return runPublic(services, session, BY_NAME.get('pkcs11.read-key-attributes')!, body);
}

export function pkcs11Routes(app: FastifyInstance, services: ApiServices): void {
  app.post<{ Body: FindBody }>(
    '/v1/pkcs11/objects/find',
    { config: { operation: 'key.list' }, schema: BY_NAME.get('pkcs11.find-objects')!.schema },
    async (request) => run(services, sessionOf(request), 'pkcs11.find-objects', request.body),
  );

  app.post<{ Body: AttributesBody }>(
    '/v1/pkcs11/objects/attributes',
    { config: { operation: 'key.read-attributes' }, schema: { body: attributesBody } },
    async (request) => readAttributes(services, sessionOf(request), request.body),
  );

  // The same two for a PKCS#11 session without a login: no bearer token, the public objects only.
  app.post<{ Body: FindBody }>(
    '/v1/pkcs11/public/objects/find',
    { schema: BY_NAME.get('pkcs11.find-objects')!.schema },
    async (request) =>
      runPublic(services, await publicSession(services), BY_NAME.get('pkcs11.find-objects')!, request.body),
  );

  app.post<{ Body: AttributesBody }>(
    '/v1/pkcs11/public/objects/attributes',
    { schema: { body: attributesBody } },
    async (request) => readPublicAttributes(services, request.body),
  );

  app.post<{ Body: { template: WireAttribute[] } }>(
    '/v1/pkcs11/objects',
    { config: { operation: 'key.import', idempotent: true }, schema: { body: templateBody } },
    async (request, reply) => {
      const session = sessionOf(request);
      const objectClass = classOfTemplate(decodeTemplate(request.body.template));
      const answer = isKeyClass(objectClass)
        ? {
            handle: handleOf(
              await run(
                services,
                session,
                'key.import',
                createKeyInput(objectClass, decodeTemplate(request.body.template)),
                request.idempotency,
              ),
            ),
          }
        : await run(services, session, 'object.create', request.body, request.idempotency);
      return reply.code(201).send(answer);
    },
  );

  app.patch<{ Params: { handle: string }; Body: { template: WireAttribute[] } }>(
    '/v1/pkcs11/objects/:handle',
    {
      config: { operation: 'key.set-attribute', idempotent: true },
      schema: { params: handleParams, body: templateBody },
    },
    async (request) => {
      const session = sessionOf(request);
      const input = { handle: request.params.handle, template: request.body.template };
      const object = await isObject(services, session, input.handle);
      const name = object ? 'object.set-attribute' : 'pkcs11.set-key-attributes';
      return run(services, session, name, input, request.idempotency);
    },
  );

  app.post<{ Params: { handle: string }; Body: { template: WireAttribute[] } }>(
    '/v1/pkcs11/objects/:handle/copy',
    { config: { operation: 'key.import', idempotent: true }, schema: { params: handleParams, body: templateBody } },
    async (request, reply) => {
      const session = sessionOf(request);
      const input = { handle: request.params.handle, template: request.body.template };
      const object = await isObject(services, session, input.handle);
      const name = object ? 'object.copy' : 'key.copy';
      return reply.code(201).send(await run(services, session, name, input, request.idempotency));
    },
  );

  app.delete<{ Params: { handle: string } }>(
    '/v1/pkcs11/objects/:handle',
    { config: { operation: 'key.delete', idempotent: true }, schema: { params: handleParams } },
    async (request, reply) => {
      const session = sessionOf(request);
      const object = await isObject(services, session, request.params.handle);
      const name = object ? 'object.delete' : 'key.delete';
      await run(services, session, name, { handle: request.params.handle }, request.idempotency);
      return reply.code(204).send();
    },
  );

  app.post<{ Body: { mechanism: string; template: WireAttribute[] } }>(
    '/v1/pkcs11/keys/generate',
    {
      config: { operation: 'key.generate', idempotent: true },
      schema: BY_NAME.get('pkcs11.generate-key')!.schema,
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await run(services, sessionOf(request), 'pkcs11.generate-key', request.body, request.idempotency)),
  );

  app.post<{ Body: { mechanism: string; publicTemplate: WireAttribute[]; privateTemplate: WireAttribute[] } }>(
    '/v1/pkcs11/keys/generate-pair',
    {
      config: { operation: 'key.generate', idempotent: true },
      schema: {
        body: object({ mechanism, publicTemplate: template, privateTemplate: template }, [
          'mechanism',
          'publicTemplate',
          'privateTemplate',
        ]),
      },
    },
    async (request, reply) => {
      const { mechanism: name, publicTemplate, privateTemplate } = request.body;
      const input = generatePairInput(name, decodeTemplate(publicTemplate), decodeTemplate(privateTemplate));
      const answer = (await run(services, sessionOf(request), 'key.generate-pair', input, request.idempotency)) as {
        publicKey: { handle: string };
        privateKey: { handle: string };
      };
      return reply.code(201).send({ publicHandle: answer.publicKey.handle, privateHandle: answer.privateKey.handle });
    },
  );

  app.post<{
    Body: KeyRouteParamFields & {
      unwrappingKeyHandle: string;
      mechanism: string;
      wrappedKey: string;
      template: WireAttribute[];
    };
  }>(
    '/v1/pkcs11/keys/unwrap',
    {
      config: { operation: 'key.unwrap', idempotent: true },
      schema: {
        body: object(
          { ...KEY_ROUTE_PARAM_SCHEMA, unwrappingKeyHandle: keyReference, mechanism, wrappedKey: base64, template },
          ['unwrappingKeyHandle', 'mechanism', 'wrappedKey', 'template'],
        ),
      },
    },
    async (request, reply) => {
      const { template: given, ...rest } = request.body;
      const input = { ...rest, ...unwrapInput(decodeTemplate(given)) };
      const answer = await run(services, sessionOf(request), 'key.unwrap', input, request.idempotency);
      return reply.code(201).send({ handle: handleOf(answer) });
    },
  );

  app.post<{ Body: KeyRouteParamFields & { baseKeyHandle: string; mechanism: string; template: WireAttribute[] } }>(
    '/v1/pkcs11/keys/derive',
    {
      config: { operation: 'key.derive', idempotent: true },
      schema: {
        body: object({ ...KEY_ROUTE_PARAM_SCHEMA, baseKeyHandle: keyReference, mechanism, template }, [
          'baseKeyHandle',
          'mechanism',
          'template',
        ]),
      },
    },
    async (request, reply) => {
      const { template: given, ...rest } = request.body;
      const input = { ...rest, ...deriveInput(decodeTemplate(given)) };
      const answer = await run(services, sessionOf(request), 'key.derive', input, request.idempotency);
      return reply.code(201).send({ handle: handleOf(answer) });
    },
  );
}
