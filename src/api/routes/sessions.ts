import type { FastifyInstance } from 'fastify';
import { bearerToken, sessionOf } from '../auth.js';
import { object, password, username } from '../schemas.js';
import type { ApiServices } from '../services.js';

export function sessionRoutes(app: FastifyInstance, services: ApiServices): void {
  app.post<{ Body: { username: string; password: string } }>(
    '/v1/sessions',
    { schema: { body: object({ username, password }, ['username', 'password']) } },
    async (request, reply) => {
      const secret = Buffer.from(request.body.password, 'utf8');
      try {
        const { token, session, expiresAt } = await services.users.login(request.body.username, secret);
        reply.code(201);
        return { token, username: session.username, role: session.role, expiresAt: new Date(expiresAt).toISOString() };
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
