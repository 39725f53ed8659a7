import type { FastifyInstance } from 'fastify';
import { allMechanisms } from '../../crypto/mechanisms/registry.js';
import { sessionOf } from '../auth.js';
import { CRYPTO_OPERATIONS } from '../crypto-operations.js';
import type { ApiServices } from '../services.js';

/** /v1/crypto/<operation> for each single-part operation, and the mechanism list. */
export function cryptoRoutes(app: FastifyInstance, services: ApiServices): void {
  for (const [name, operation] of Object.entries(CRYPTO_OPERATIONS)) {
    app.post<{ Body: Record<string, unknown> }>(
      `/v1/crypto/${name}`,
      { config: { operation: operation.policy }, schema: { body: operation.schema } },
      (request) => operation.run(services, sessionOf(request), request.body),
    );
  }

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
