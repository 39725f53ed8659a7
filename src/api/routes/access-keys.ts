import type { FastifyInstance } from 'fastify';
import type { MfaAnswer } from '../../identity/mfa.js';
import { sessionOf } from '../auth.js';
import { emptyObject, object, password, username } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { mfa, withMfaChallenge } from './sessions.js';

const accessKeyId = { type: 'string', maxLength: 32 } as const;
const idParams = object({ accessKeyId }, ['accessKeyId']);

/**
 * Access keys of the KMS-compatible API. Creating one needs the password (and MFA) again, so it
 * is optional in the schema: its absence is the service's audited PASSWORD_REQUIRED. The secret
 * is in this one answer only.
 */
export function accessKeyRoutes(app: FastifyInstance, services: ApiServices): void {
  app.post<{ Body: { password?: string; mfa?: MfaAnswer } }>(
    '/v1/access-keys',
    {
      config: { operation: 'user.create-access-key' },
      schema: { body: object({ password, mfa }, []) },
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    (request, reply) =>
      withMfaChallenge(reply, async () => {
        const secret = request.body.password === undefined ? undefined : Buffer.from(request.body.password, 'utf8');
        try {
          const issued = await services.accessKeys.create(sessionOf(request), {
            password: secret,
            mfa: request.body.mfa,
          });
          const secretAccessKey = issued.secretAccessKey.toString('ascii');
          issued.secretAccessKey.fill(0);
          return reply.code(201).send({ ...issued, secretAccessKey });
        } finally {
          secret?.fill(0);
        }
      }),
  );

  app.get<{ Querystring: { username?: string } }>(
    '/v1/access-keys',
    { config: { operation: 'user.list-access-keys' }, schema: { querystring: object({ username }, []) } },
    async (request) => ({ accessKeys: await services.accessKeys.list(sessionOf(request), request.query.username) }),
  );

  app.post<{ Params: { accessKeyId: string } }>(
    '/v1/access-keys/:accessKeyId/disable',
    { config: { operation: 'user.disable-access-key' }, schema: { params: idParams, body: emptyObject } },
    (request) => services.accessKeys.disable(sessionOf(request), request.params.accessKeyId),
  );

  app.delete<{ Params: { accessKeyId: string } }>(
    '/v1/access-keys/:accessKeyId',
    { config: { operation: 'user.delete-access-key' }, schema: { params: idParams } },
    async (request, reply) => {
      await services.accessKeys.delete(sessionOf(request), request.params.accessKeyId);
      return reply.code(204).send();
    },
  );
}
