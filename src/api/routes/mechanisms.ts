import type { FastifyInstance } from 'fastify';
import { keyGenerationMechanisms } from '../../crypto/keys/registry.js';
import { allMechanisms } from '../../crypto/mechanisms/registry.js';
import type { ApiServices } from '../services.js';

/**
 * GET /v1/mechanisms: what the node supports, as C_GetMechanismList would report it. No
 * session: PKCS#11 lists mechanisms before any login (pkcs11-tool -M, C_GetMechanismInfo), and
 * the list is no secret; the client certificate is still required outside dev mode.
 */
export function mechanismRoutes(app: FastifyInstance, _services: ApiServices): void {
  app.get('/v1/mechanisms', async () => ({
    mechanisms: [
      ...allMechanisms().map((entry) => ({
        name: entry.name,
        kind: entry.kind,
        keyTypes: entry.keyTypes,
        ...('keyClasses' in entry && { keyClasses: entry.keyClasses }),
        ...('multiPart' in entry && { multiPart: entry.multiPart }),
        ...(entry.kind === 'cipher' && { multiPart: entry.begin ? 'stream' : 'none' }),
      })),
      // Key generation: one mechanism per key type (C_GenerateKey / C_GenerateKeyPair).
      ...keyGenerationMechanisms().map((entry) => ({ name: entry.name, kind: entry.kind, keyTypes: [entry.keyType] })),
    ],
  }));
}
