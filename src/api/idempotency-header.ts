import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CofferError } from '../errors/coffer-error.js';
import { idempotencyKeyOf } from '../idempotency/idempotency-record.js';
import type { IdempotentRequest } from '../idempotency/idempotency-service.js';
import { canonicalJson, type JsonValue } from '../util/canonical-json.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Accepts an Idempotency-Key: a write that a retry with the same key answers without writing again. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** The request's Idempotency-Key and digest, when it carried one. */
    idempotency?: IdempotentRequest;
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * Reads the Idempotency-Key header after authentication. A route that does not accept one
 * refuses it rather than ignore it, so no client believes a retry is safe where it is not.
 */
export function registerIdempotencyHeader(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    const header = request.headers[IDEMPOTENCY_HEADER];
    if (header === undefined) return;
    if (request.routeOptions.config.idempotent !== true) throw new CofferError('IDEMPOTENCY_KEY_NOT_ACCEPTED');
    request.idempotency = { key: idempotencyKeyOf(header), digest: requestDigest(request) };
  });
}

/** The request as a retry must repeat it: method, route, path parameters, query and body. */
function requestDigest(request: FastifyRequest): Buffer {
  const canonical = canonicalJson({
    method: request.method,
    route: request.routeOptions.url ?? request.url,
    params: (request.params ?? {}) as JsonValue,
    query: (request.query ?? {}) as JsonValue,
    body: (request.body ?? null) as JsonValue,
  });
  return createHash('sha256').update(canonical, 'utf8').digest();
}
