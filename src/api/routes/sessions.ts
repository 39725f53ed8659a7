import type { FastifyInstance } from 'fastify';
import { MfaRequiredError, type MfaAnswer } from '../../identity/mfa.js';
import { bearerToken, sessionOf } from '../auth.js';
import { errorBody } from '../error-handler.js';
import { base64, object, password, username } from '../schemas.js';
import type { ApiServices } from '../services.js';

const mfa = object({ challengeId: { type: 'string', maxLength: 64 }, signature: base64 }, ['challengeId', 'signature']);

export function sessionRoutes(app: FastifyInstance, services: ApiServices): void {
  app.post<{ Body: { username: string; password: string; mfa?: MfaAnswer } }>(
    '/v1/sessions',
    { schema: { body: object({ username, password, mfa }, ['username', 'password']) } },
    async (request, reply) => {
      const secret = Buffer.from(request.body.password, 'utf8');
      try {
        const { token, session, expiresAt } = await services.users.login(
          request.body.username,
          secret,
          request.body.mfa,
        );
        reply.code(201);
        return { token, username: session.username, role: session.role, expiresAt: new Date(expiresAt).toISOString() };
      } catch (error) {
        // MFA: the challenge to sign travels inside the error answer.
        if (!(error instanceof MfaRequiredError)) throw error;
        const body = errorBody(error);
        return reply.code(error.status).send({ error: { ...body.error, challenge: error.challenge } });
      } finally {
        secret.fill(0);
      }
    },
  );

  app.get('/v1/sessions/current', { config: { authenticated: true } }, (request) => {
    const session = sessionOf(request);
    return { username: session.username, role: session.role, sessionId: session.id };
  });

  app.delete('/v1/sessions/current', { config: { authenticated: true } }, async (request, reply) => {
    services.sessions.close(bearerToken(request));
    return reply.code(204).send();
  });
}
