import type { FastifyInstance } from 'fastify';
import type { ApiServices } from '../services.js';

/**
 * Liveness for load balancers and the SDK: 200 whenever the process serves, sealed or not, with
 * the node's zone (clients prefer their own).
 */
export function healthRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get('/v1/health', { config: { allowWhenSealed: true } }, async () => ({
    status: 'ok',
    sealed: services.cluster.sealed,
    version: services.cluster.info.version,
    ...(services.membership.zone !== undefined && { zone: services.membership.zone }),
  }));
}
