import type { FastifyInstance } from 'fastify';
import { sessionOf } from '../auth.js';
import { handle, object } from '../schemas.js';
import type { ApiServices } from '../services.js';

/** A key's use count, summed over the nodes (its owner or an admin). */
export function keyUsageRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get<{ Params: { handle: string } }>(
    '/v1/keys/:handle/usage',
    { config: { operation: 'key.read-usage' }, schema: { params: object({ handle }, ['handle']) } },
    async (request) => ({ usage: await services.keyUsage.usage(sessionOf(request), request.params.handle) }),
  );
}
