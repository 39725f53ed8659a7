import type { FastifyInstance } from 'fastify';
import type { AuditFilter } from '../../audit/audit-search.js';
import { sessionOf } from '../auth.js';
import { pageLimit } from '../paging.js';
import { emptyObject, object, username } from '../schemas.js';
import type { ApiServices } from '../services.js';

const seq = { type: 'string', pattern: '^[0-9]{1,16}$' } as const;
const limit = { type: 'string', pattern: '^[0-9]{1,4}$' } as const;
const text = { type: 'string', minLength: 1, maxLength: 256 } as const;
const time = { type: 'string', minLength: 1, maxLength: 40 } as const;

interface EventsQuery extends Omit<AuditFilter, 'result'> {
  after?: string;
  limit?: string;
  result?: 'success' | 'failure';
}

export const NDJSON = 'application/x-ndjson';

export function auditRoutes(app: FastifyInstance, services: ApiServices): void {
  const { audit } = services;

  app.get<{ Querystring: EventsQuery }>(
    '/v1/audit/events',
    {
      config: { operation: 'audit.read' },
      schema: {
        querystring: object(
          {
            after: seq,
            limit,
            actor: username,
            action: text,
            target: text,
            result: { type: 'string', enum: ['success', 'failure'] },
            since: time,
            until: time,
          },
          [],
        ),
      },
    },
    (request) => {
      const { after, limit: size, ...filter } = request.query;
      return audit.list(Number(after ?? 0), pageLimit(size), filter);
    },
  );

  app.get('/v1/audit/head', { config: { operation: 'audit.read' } }, () => audit.head());

  // The public key is public: any session may fetch it to verify exports.
  app.get('/v1/audit/public-key', { config: { authenticated: true } }, () => audit.publicKey());

  app.post(
    '/v1/audit/checkpoints',
    { config: { operation: 'audit.checkpoint' }, schema: { body: emptyObject } },
    async (request, reply) => reply.code(201).send({ checkpoint: await audit.checkpoint(sessionOf(request)) }),
  );

  /**
   * JSON lines (header, events, checkpoints) for `Accept: application/x-ndjson` or any type;
   * a client that asks for application/json only gets the same lines in an envelope.
   */
  app.get<{ Querystring: { after?: string; limit?: string } }>(
    '/v1/audit/export',
    { config: { operation: 'audit.read' }, schema: { querystring: object({ after: seq, limit }, []) } },
    async (request, reply) => {
      const page = await audit.export(Number(request.query.after ?? 0), pageLimit(request.query.limit));
      const accept = request.headers.accept ?? '';
      if (accept.includes('application/json') && !accept.includes(NDJSON))
        return { lines: page.lines, more: page.more, next: page.next };
      return reply
        .type(NDJSON)
        .header('x-coffer-more', String(page.more))
        .header('x-coffer-next', String(page.next))
        .send(page.lines.join('\n') + '\n');
    },
  );
}
