import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { CofferError } from '../../errors/coffer-error.js';
import type { Session } from '../../identity/sessions.js';
import { requirePermission, sessionOf } from '../auth.js';
import { BATCH_OPERATIONS } from '../../operations/index.js';
import { runIdempotent } from '../../operations/run-idempotent.js';
import { runOperation } from '../../operations/run.js';
import { toCofferError } from '../error-handler.js';
import { batchItemRequest } from '../idempotency-header.js';
import { object } from '../schemas.js';
import type { ApiServices } from '../services.js';

export const MAX_BATCH_OPERATIONS = 1000;
/** Batches carry many payloads: a larger body than single routes, still bounded. */
export const BATCH_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/** Each operation's body schema compiled with the server's own validation rules. */
const ajv = new Ajv({
  removeAdditional: false,
  coerceTypes: false,
  useDefaults: false,
  allErrors: false,
});
const validators = new Map<string, ValidateFunction>(
  [...BATCH_OPERATIONS].map(([name, operation]) => [name, ajv.compile(operation.schema.body ?? {})]),
);

/** As the Idempotency-Key header (the item's own check answers IDEMPOTENCY_KEY_INVALID). */
const IDEMPOTENCY_KEY_SCHEMA = { type: 'string' } as const;

type BatchResult =
  { status: number; body: Record<string, unknown> } | { status: number; error: { code: string; message: string } };

/**
 * POST /v1/batch: many operations of the registry in one request — those with a batch name:
 * the single-part crypto operations, and the PKCS#11 face's search and secret-key generation —
 * run concurrently (so asymmetric ones fill the libuv pool, and key generations share a
 * commit), each authorized, validated, gated and audited exactly as it would be alone; one
 * failing does not stop the others. Results come back in order. A write among them (a key
 * generation) may carry its own `idempotencyKey`, as its route takes the header: a batch whose
 * writes all carry one is safe to send again after its answer was lost, and each write runs once.
 */
export function batchRoutes(app: FastifyInstance, services: ApiServices): void {
  app.post<{ Body: { operations: Record<string, unknown>[] } }>(
    '/v1/batch',
    {
      bodyLimit: BATCH_BODY_LIMIT_BYTES,
      config: { operation: 'crypto.batch' },
      schema: {
        body: object(
          {
            operations: {
              type: 'array',
              minItems: 1,
              maxItems: MAX_BATCH_OPERATIONS,
              items: {
                type: 'object',
                required: ['operation'],
                properties: { operation: { type: 'string' }, idempotencyKey: IDEMPOTENCY_KEY_SCHEMA },
              },
            },
          },
          ['operations'],
        ),
      },
    },
    async (request) => {
      const session = sessionOf(request);
      const results = await Promise.all(request.body.operations.map((item) => runOne(services, session, item)));
      return { results };
    },
  );
}

async function runOne(services: ApiServices, session: Session, item: Record<string, unknown>): Promise<BatchResult> {
  try {
    const { operation: name, idempotencyKey, ...body } = item;
    const operation = typeof name === 'string' ? BATCH_OPERATIONS.get(name) : undefined;
    if (!operation || typeof operation.policy !== 'string' || operation.policy === 'authenticated') {
      throw new CofferError('INVALID_FIELD', `operation must be one of ${[...BATCH_OPERATIONS.keys()].join(', ')}`);
    }
    await requirePermission(services, session, operation.policy);
    const validate = validators.get(name as string)!;
    if (!validate(body)) throw toCofferError({ validation: validate.errors, validationContext: 'body' });
    if (idempotencyKey === undefined)
      return { status: 200, body: (await runOperation(services, session, operation, body)) ?? {} };
    if (operation.idempotent === undefined) throw new CofferError('IDEMPOTENCY_KEY_NOT_ACCEPTED');
    const request = batchItemRequest(idempotencyKey, operation.name, body);
    return { status: 200, body: (await runIdempotent(services, session, operation, body, request)) ?? {} };
  } catch (error) {
    const coffer = toCofferError(error);
    return { status: coffer.status, error: { code: coffer.code, message: coffer.message } };
  }
}
