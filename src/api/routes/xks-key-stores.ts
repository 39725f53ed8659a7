import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Session } from '../../identity/sessions.js';
import { EXTERNAL_KEY_ID, KEY_STORE_ID } from '../../xks/xks-paths.js';
import { credentialView, exposedKeyView, keyStoreView } from '../../xks/key-store-views.js';
import { ACCESS_KEY_ID } from '../../xks/sigv4-credential.js';
import { sessionOf } from '../auth.js';
import { writeOnce } from '../idempotency-header.js';
import { pageLimit } from '../paging.js';
import { emptyObject, object, username } from '../schemas.js';
import type { ApiServices } from '../services.js';

const storeId = { type: 'string', pattern: KEY_STORE_ID.source } as const;
const storeParams = object({ storeId }, ['storeId']);
const region = { type: 'string', pattern: '^[a-z0-9-]{1,32}$' } as const;
const commonName = { type: 'string', minLength: 1, maxLength: 64 } as const;

/**
 * XKS key stores, for admins: make one (its first SigV4 credential is shown once, with the file
 * the AWS KMS console takes), list, show, delete; add and remove a credential (rotation);
 * list and unexpose keys. Exposing a key is an operation of the registry (src/operations/xks.ts):
 * it passes the key-use gate for key management. The deletions accept an Idempotency-Key; the
 * routes that show a new credential's secret do not (a retry could not show it again).
 */
export function xksKeyStoreRoutes(app: FastifyInstance, services: ApiServices): void {
  const { xks } = services;
  /** A deletion once per Idempotency-Key: its retry answers 204 again. */
  const deleteOnce = (request: FastifyRequest, operation: string, remove: (session: Session) => Promise<void>) => {
    const session = sessionOf(request);
    return writeOnce(services.idempotency, request, session.username, operation, () => remove(session), noAnswer);
  };

  app.post<{ Body: { id: string; user: string; pathPrefix?: string; region?: string; tlsClientSubject?: string } }>(
    '/v1/xks/key-stores',
    {
      config: { operation: 'xks.create-store' },
      schema: {
        body: object(
          {
            id: storeId,
            user: username,
            pathPrefix: { type: 'string', maxLength: 128 },
            region,
            tlsClientSubject: commonName,
          },
          ['id', 'user'],
        ),
      },
    },
    async (request, reply) => {
      const { store, credential } = await xks.create(sessionOf(request), request.body);
      reply.code(201);
      return { keyStore: keyStoreView(store), ...credentialView(store, credential) };
    },
  );

  app.get('/v1/xks/key-stores', { config: { operation: 'xks.list-stores' } }, async () => ({
    keyStores: (await xks.list()).map(keyStoreView),
  }));

  app.get<{ Params: { storeId: string } }>(
    '/v1/xks/key-stores/:storeId',
    { config: { operation: 'xks.list-stores' }, schema: { params: storeParams } },
    async (request) => ({ keyStore: keyStoreView(await xks.describe(request.params.storeId)) }),
  );

  app.delete<{ Params: { storeId: string } }>(
    '/v1/xks/key-stores/:storeId',
    { config: { operation: 'xks.delete-store', idempotent: true }, schema: { params: storeParams } },
    async (request, reply) => {
      await deleteOnce(request, 'xks.delete-store', (session) => xks.delete(session, request.params.storeId));
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { storeId: string } }>(
    '/v1/xks/key-stores/:storeId/credentials',
    { config: { operation: 'xks.manage-credentials' }, schema: { params: storeParams, body: emptyObject } },
    async (request, reply) => {
      const credential = await xks.addCredential(sessionOf(request), request.params.storeId);
      const store = await xks.describe(request.params.storeId);
      reply.code(201);
      return credentialView(store, credential);
    },
  );

  app.delete<{ Params: { storeId: string; accessKeyId: string } }>(
    '/v1/xks/key-stores/:storeId/credentials/:accessKeyId',
    {
      config: { operation: 'xks.manage-credentials', idempotent: true },
      schema: {
        params: object({ storeId, accessKeyId: { type: 'string', pattern: ACCESS_KEY_ID.source } }, [
          'storeId',
          'accessKeyId',
        ]),
      },
    },
    async (request, reply) => {
      const { storeId: id, accessKeyId } = request.params;
      await deleteOnce(request, 'xks.remove-credential', (session) => xks.removeCredential(session, id, accessKeyId));
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { storeId: string }; Querystring: { after?: string; limit?: string } }>(
    '/v1/xks/key-stores/:storeId/keys',
    {
      config: { operation: 'xks.list-stores' },
      schema: {
        params: storeParams,
        querystring: object(
          {
            after: { type: 'string', pattern: EXTERNAL_KEY_ID.source },
            limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
          },
          [],
        ),
      },
    },
    async (request) => {
      const page = await xks.exposedKeys(request.params.storeId, {
        limit: pageLimit(request.query.limit),
        ...(request.query.after !== undefined && { after: request.query.after }),
      });
      const last = page.keys[page.keys.length - 1];
      return { keys: page.keys.map(exposedKeyView), ...(page.more && last && { next: last.externalKeyId }) };
    },
  );

  app.delete<{ Params: { storeId: string; externalKeyId: string } }>(
    '/v1/xks/key-stores/:storeId/keys/:externalKeyId',
    {
      config: { operation: 'xks.unexpose-key', idempotent: true },
      schema: {
        params: object({ storeId, externalKeyId: { type: 'string', pattern: EXTERNAL_KEY_ID.source } }, [
          'storeId',
          'externalKeyId',
        ]),
      },
    },
    async (request, reply) => {
      const { storeId: id, externalKeyId } = request.params;
      await deleteOnce(request, 'xks.unexpose-key', (session) => xks.unexpose(session, id, externalKeyId));
      return reply.code(204).send();
    },
  );
}

const noAnswer = async (): Promise<void> => undefined;
