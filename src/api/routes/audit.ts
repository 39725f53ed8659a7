import type { FastifyInstance } from 'fastify';
import { pageLimit } from '../paging.js';
import { object } from '../schemas.js';
import type { ApiServices } from '../services.js';

export function auditRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get<{ Querystring: { after?: string; limit?: string } }>(
    '/v1/audit/events',
    {
      config: { operation: 'audit.read' },
      schema: {
        querystring: object(
          { after: { type: 'string', pattern: '^[0-9]{1,16}$' }, limit: { type: 'string', pattern: '^[0-9]{1,4}$' } },
          [],
        ),
      },
    },
    (request) => services.audit.list(Number(request.query.after ?? 0), pageLimit(request.query.limit)),
  );
}
