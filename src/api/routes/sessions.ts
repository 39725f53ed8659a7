import type { FastifyInstance, FastifyReply } from 'fastify';
import { originOf } from '../../audit/refusal-budget.js';
import { MfaRequiredError, type MfaAnswer } from '../../identity/mfa.js';
import { bearerToken, sessionOf } from '../auth.js';
import { errorBody } from '../error-handler.js';
import { base64, object, password, username } from '../schemas.js';
import type { ApiServices } from '../services.js';

export const mfa = object({ challengeId: { type: 'string', maxLength: 64 }, signature: base64 }, [
  'challengeId',
  'signature',
]);

/** Runs `answer`; an MFA_REQUIRED refusal goes out with the challenge to sign inside the error. */
export async function withMfaChallenge<T>(reply: FastifyReply, answer: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await answer();
  } catch (error) {
    if (!(error instanceof MfaRequiredError)) throw error;
    const body = errorBody(error);
    return reply.code(error.status).send({ error: { ...body.error, challenge: error.challenge } });
  }
}

export function sessionRoutes(app: FastifyInstance, services: ApiServices): void {
  app.post<{ Body: { username: string; password: string; mfa?: MfaAnswer } }>(
    '/v1/sessions',
    { schema: { body: object({ username, password, mfa }, ['username', 'password']) } },
    async (request, reply) => {
      const secret = Buffer.from(request.body.password, 'utf8');
      try {
        return await withMfaChallenge(reply, async () => {
          const { token, session, expiresAt } = await services.users.login(
            request.body.username,
            secret,
            request.body.mfa,
            originOf('api', request.raw.socket),
          );
          reply.code(201);
          return {
            token,
            username: session.username,
            role: session.role,
            expiresAt: new Date(expiresAt).toISOString(),
          };
        });
      } finally {
        secret.fill(0);
      }
    },
  );

  app.get('/v1/sessions/current', { config: { authenticated: true } }, (request) => {
    const session = sessionOf(request);
    return { username: session.username, role: session.role, sessionId: session.id };
  });

  // Not `authenticated`: the service resolves the token itself, so a bad one is an audited refusal.
  app.delete('/v1/sessions/current', async (request, reply) => {
    let token: string | undefined;
    try {
      token = bearerToken(request);
    } catch {
      token = undefined;
    }
    await services.users.logout(token, originOf('api', request.raw.socket));
    return reply.code(204).send();
  });
}
