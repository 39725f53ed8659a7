import type { FastifyInstance } from 'fastify';
import { ALIAS_NAME_SCHEMA_PATTERN } from '../../keys/key-aliases.js';
import { sessionOf } from '../auth.js';
import { keyReference, object } from '../schemas.js';
import type { ApiServices } from '../services.js';

// A wildcard, since alias names may hold '/' (sent as-is or as %2F).
const nameParams = object({ '*': { type: 'string', pattern: ALIAS_NAME_SCHEMA_PATTERN } }, ['*']);

/** Aliases (KMS-style): unique names for keys, usable wherever a handle is, as `alias/<name>`. */
export function aliasRoutes(app: FastifyInstance, services: ApiServices): void {
  app.put<{ Params: { '*': string }; Body: { keyHandle: string } }>(
    '/v1/aliases/*',
    {
      config: { operation: 'alias.create' },
      schema: { params: nameParams, body: object({ keyHandle: keyReference }, ['keyHandle']) },
    },
    async (request) => services.aliases.put(sessionOf(request), request.params['*'], request.body.keyHandle),
  );

  app.get('/v1/aliases', { config: { operation: 'alias.list' } }, async (request) => ({
    aliases: await services.aliases.list(sessionOf(request)),
  }));

  app.delete<{ Params: { '*': string } }>(
    '/v1/aliases/*',
    { config: { operation: 'alias.delete' }, schema: { params: nameParams } },
    async (request, reply) => {
      await services.aliases.delete(sessionOf(request), request.params['*']);
      return reply.code(204).send();
    },
  );
}
