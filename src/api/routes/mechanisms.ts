import type { FastifyInstance } from 'fastify';
import { keyGenerationMechanisms } from '../../crypto/keys/registry.js';
import { allMechanisms } from '../../crypto/mechanisms/registry.js';
import type { Mechanism } from '../../crypto/types.js';
import type { ApiServices } from '../services.js';

/** The operations a listed mechanism serves (C_GetMechanismInfo's flags are read from these). */
function operationsOf(entry: Mechanism): readonly string[] {
  switch (entry.kind) {
    case 'cipher':
      return entry.encryptOnly ? ['encrypt'] : ['encrypt', 'decrypt'];
    case 'signature':
      return ['sign', 'verify'];
    case 'wrap':
      return ['wrap', 'unwrap'];
    case 'derive':
      return ['derive'];
    case 'digest':
      return ['digest'];
  }
}

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
        operations: operationsOf(entry),
        keyTypes: entry.keyTypes,
        ...('keyClasses' in entry && { keyClasses: entry.keyClasses }),
        ...('multiPart' in entry && { multiPart: entry.multiPart }),
        ...(entry.kind === 'cipher' && { multiPart: entry.begin ? 'stream' : 'none' }),
      })),
      // Key generation: one mechanism per key type (C_GenerateKey / C_GenerateKeyPair).
      ...keyGenerationMechanisms().map((entry) => ({
        name: entry.name,
        kind: entry.kind,
        operations: [entry.kind],
        keyTypes: [entry.keyType],
      })),
    ],
  }));
}
