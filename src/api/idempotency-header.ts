import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CofferError } from '../errors/coffer-error.js';
import { idempotencyKeyOf } from '../idempotency/idempotency-record.js';
import type { IdempotencyService, IdempotentRequest } from '../idempotency/idempotency-service.js';
import { claimingWrites, type WriteOutcome } from '../records/write-claim.js';
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
  return digestOf({
    method: request.method,
    route: request.routeOptions.url ?? request.url,
    params: (request.params ?? {}) as JsonValue,
    query: (request.query ?? {}) as JsonValue,
    body: (request.body ?? null) as JsonValue,
  });
}

/**
 * An item of POST /v1/batch that carries its own key (a batch has one header for many items):
 * the item as its retry must repeat it, its operation and its fields.
 */
export function batchItemRequest(key: unknown, operation: string, body: Record<string, unknown>): IdempotentRequest {
  if (typeof key !== 'string') throw new CofferError('IDEMPOTENCY_KEY_INVALID');
  return {
    key: idempotencyKeyOf(key),
    digest: digestOf({ method: 'POST', route: '/v1/batch', operation, body: body as JsonValue }),
  };
}

function digestOf(request: JsonValue): Buffer {
  return createHash('sha256').update(canonicalJson(request), 'utf8').digest();
}

/**
 * A route's own write (no registry operation) run once per Idempotency-Key, as runIdempotent
 * runs an operation: the first successful commit of the caller's made by `write` carries the
 * request's record; a retry is answered by `replay`, without writing.
 */
export function writeOnce<T>(
  idempotency: Pick<IdempotencyService, 'run'>,
  request: FastifyRequest,
  actor: string,
  operation: string,
  write: () => Promise<T>,
  replay: (outcome: WriteOutcome) => Promise<T>,
): Promise<T> {
  return idempotency.run(request.idempotency, actor, () => claimingWrites(operation, write), replay);
}
