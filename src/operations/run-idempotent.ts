import { CofferError } from '../errors/coffer-error.js';
import type { IdempotentRequest } from '../idempotency/idempotency-service.js';
import type { Session } from '../identity/sessions.js';
import { OPERATIONS } from './index.js';
import type { AnyOperation, OperationResult } from './operation.js';
import { runOperation } from './run.js';
import type { Services } from './services.js';

const BY_NAME = new Map<string, AnyOperation>(OPERATIONS.map((op) => [op.name, op]));

/**
 * Runs an operation for a request that may carry an Idempotency-Key: the first time through
 * runOperation, a retry through the replay of the operation that wrote (a PKCS#11 route may
 * choose between two, by what the first request found).
 */
export function runIdempotent(
  services: Services,
  session: Session,
  op: AnyOperation,
  input: Record<string, unknown>,
  request: IdempotentRequest | undefined,
): Promise<OperationResult> {
  return services.idempotency.run(
    request,
    session.username,
    () => runOperation(services, session, op, input),
    (outcome) => {
      const replay = BY_NAME.get(outcome.operation)?.idempotent;
      if (replay === undefined) throw new CofferError('INTERNAL_ERROR', `${outcome.operation} has no replay`);
      return replay({ services, session }, outcome, input);
    },
  );
}
