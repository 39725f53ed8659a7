import type { FastifyInstance } from 'fastify';
import { sessionOf } from '../auth.js';
import { emptyObject, keyReference, object } from '../schemas.js';
import type { ApiServices } from '../services.js';

/** POST /v1/keys/:handle/rotate: new material as the key's newest version; older ones kept. */
export function keyRotationRoutes(app: FastifyInstance, services: ApiServices): void {
  app.post<{ Params: { handle: string } }>(
    '/v1/keys/:handle/rotate',
    {
      config: { operation: 'key.rotate' },
      schema: { params: object({ handle: keyReference }, ['handle']), body: emptyObject },
    },
    async (request) => ({ key: await services.versions.rotate(sessionOf(request), request.params.handle) }),
  );
}
