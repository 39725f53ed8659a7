import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PolicyOperation } from '../../identity/policy.js';
import { OPERATIONS } from '../../operations/index.js';
import type { AnyOperation } from '../../operations/operation.js';
import { runIdempotent } from '../../operations/run-idempotent.js';
import { requirePermission, sessionOf } from '../auth.js';
import type { ApiServices } from '../services.js';

/**
 * Every operation of the registry as a /v1 route: its method, URL and schemas as declared,
 * its permission checked by the auth hook (or, when the input chooses it, here), and the
 * operation run through `runOperation`, which puts each declared key through the key-use gate.
 * A write that accepts an Idempotency-Key runs once per key (runIdempotent).
 */
export function operationRoutes(app: FastifyInstance, services: ApiServices): void {
  for (const op of OPERATIONS) {
    const { policy, http } = op;
    if (http === undefined) continue;
    app.route({
      method: http.method,
      url: http.url,
      ...(http.bodyLimit !== undefined && { bodyLimit: http.bodyLimit }),
      config: {
        ...(typeof policy === 'string' && policy !== 'authenticated' ? { operation: policy } : { authenticated: true }),
        ...(op.idempotent !== undefined && { idempotent: true }),
      },
      schema: op.schema,
      handler: (request, reply) => handle(services, op, http.status ?? 200, request, reply),
    });
  }
}

async function handle(
  services: ApiServices,
  op: AnyOperation,
  status: number,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const session = sessionOf(request);
  const input = {
    ...(request.params as Record<string, unknown> | undefined),
    ...(request.query as Record<string, unknown> | undefined),
    ...(request.body as Record<string, unknown> | undefined),
  };
  if (typeof op.policy === 'object') await requirePermission(services, session, op.policy.of(input) as PolicyOperation);
  const result = await runIdempotent(services, session, op, input, request.idempotency);
  reply.code(status);
  return result === undefined ? reply.send() : result;
}
