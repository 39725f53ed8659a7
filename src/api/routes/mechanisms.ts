import type { FastifyInstance } from 'fastify';
import { allMechanisms } from '../../crypto/mechanisms/registry.js';
import type { ApiServices } from '../services.js';

/** GET /v1/mechanisms: what the node supports, as C_GetMechanismList would report it. */
export function mechanismRoutes(app: FastifyInstance, _services: ApiServices): void {
  app.get('/v1/mechanisms', { config: { operation: 'mechanism.list' } }, async () => ({
    mechanisms: allMechanisms().map((entry) => ({
      name: entry.name,
      kind: entry.kind,
      keyTypes: entry.keyTypes,
      ...('keyClasses' in entry && { keyClasses: entry.keyClasses }),
      ...('multiPart' in entry && { multiPart: entry.multiPart }),
      ...(entry.kind === 'cipher' && { multiPart: entry.begin ? 'stream' : 'none' }),
    })),
  }));
}
