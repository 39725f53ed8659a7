import type { FastifyInstance } from 'fastify';
import { POLICY_SWITCHES, type ClusterPolicy } from '../../cluster/cluster-policy.js';
import { sessionOf } from '../auth.js';
import { object } from '../schemas.js';
import type { ApiServices } from '../services.js';

/** The cluster policy: readable by any user, changed by an admin, every change audited. */
export function clusterPolicyRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get('/v1/cluster/policy', { config: { operation: 'cluster.read-policy' } }, async () => ({
    policy: await services.policy.get(),
  }));

  const switches = Object.fromEntries(POLICY_SWITCHES.map((name) => [name, { type: 'boolean' }]));
  app.put<{ Body: Partial<ClusterPolicy> }>(
    '/v1/cluster/policy',
    {
      config: { operation: 'cluster.set-policy' },
      schema: { body: object(switches, []) },
    },
    async (request) => ({ policy: await services.policy.set(sessionOf(request), request.body) }),
  );
}
