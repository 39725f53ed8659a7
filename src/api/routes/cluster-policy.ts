import type { FastifyInstance } from 'fastify';
import { sessionOf } from '../auth.js';
import { object } from '../schemas.js';
import type { ApiServices } from '../services.js';

/** The cluster policy: readable by any user, changed by an admin, every change audited. */
export function clusterPolicyRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get('/v1/cluster/policy', { config: { operation: 'cluster.read-policy' } }, async () => ({
    policy: await services.policy.get(),
  }));

  app.put<{ Body: { allowPlaintextImport?: boolean } }>(
    '/v1/cluster/policy',
    {
      config: { operation: 'cluster.set-policy' },
      schema: { body: object({ allowPlaintextImport: { type: 'boolean' } }, []) },
    },
    async (request) => ({ policy: await services.policy.set(sessionOf(request), request.body) }),
  );
}
