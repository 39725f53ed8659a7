import type { FastifyInstance } from 'fastify';
import { openApiDocument, type OpenApiDocument } from '../openapi.js';

/**
 * The API's contract, public like /v1/health: no session needed. Not while sealed, though —
 * a sealed node serves only health, status and unseal, and the contract does not change.
 */
export function openApiRoutes(app: FastifyInstance): void {
  let document: OpenApiDocument | undefined;
  // Built at the first request, when every route has been registered.
  app.get('/v1/openapi.json', async (request) => (document ??= openApiDocument(request.server.apiRoutes)));
}
