import type { FastifyInstance } from 'fastify';
import { sessionOf } from '../auth.js';
import { keyReference, object, username } from '../schemas.js';
import type { ApiServices } from '../services.js';

/** `key share` / `key unshare`: the owner lets other crypto users use a key. */
export function keyShareRoutes(app: FastifyInstance, services: ApiServices): void {
  app.post<{ Params: { handle: string }; Body: { username: string } }>(
    '/v1/keys/:handle/shares',
    {
      config: { operation: 'key.share' },
      schema: { params: object({ handle: keyReference }, ['handle']), body: object({ username }, ['username']) },
    },
    async (request) => ({
      key: await services.keySharing.share(sessionOf(request), request.params.handle, request.body.username),
    }),
  );

  app.delete<{ Params: { handle: string; username: string } }>(
    '/v1/keys/:handle/shares/:username',
    {
      config: { operation: 'key.unshare' },
      schema: { params: object({ handle: keyReference, username }, ['handle', 'username']) },
    },
    async (request) => ({
      key: await services.keySharing.unshare(sessionOf(request), request.params.handle, request.params.username),
    }),
  );
}
