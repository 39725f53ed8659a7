import type { FastifyInstance } from 'fastify';
import type { MfaAnswer } from '../../identity/mfa.js';
import { sessionOf } from '../auth.js';
import { writeOnce } from '../idempotency-header.js';
import { emptyObject, object, password, username } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { mfa, withMfaChallenge } from './sessions.js';

const accessKeyId = { type: 'string', maxLength: 32 } as const;
const idParams = object({ accessKeyId }, ['accessKeyId']);

/**
 * Access keys of the KMS-compatible API. Creating one needs the password (and MFA) again, so it
 * is optional in the schema: its absence is the service's audited PASSWORD_REQUIRED. The secret
 * is in this one answer only, so creating one takes no Idempotency-Key (a retry could not answer
 * it again); disabling and deleting do.
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
    {
      config: { operation: 'user.disable-access-key', idempotent: true },
      schema: { params: idParams, body: emptyObject },
    },
    (request) => {
      const session = sessionOf(request);
      const disable = () => services.accessKeys.disable(session, request.params.accessKeyId);
      // Inactive is for good: the retry's disable finds it so and writes nothing.
      return writeOnce(services.idempotency, request, session.username, 'user.disable-access-key', disable, disable);
    },
  );

  app.delete<{ Params: { accessKeyId: string } }>(
    '/v1/access-keys/:accessKeyId',
    { config: { operation: 'user.delete-access-key', idempotent: true }, schema: { params: idParams } },
    async (request, reply) => {
      const session = sessionOf(request);
      await writeOnce(
        services.idempotency,
        request,
        session.username,
        'user.delete-access-key',
        () => services.accessKeys.delete(session, request.params.accessKeyId),
        async () => undefined,
      );
      return reply.code(204).send();
    },
  );
}
