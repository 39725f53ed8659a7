import { requirePermission } from '../api/auth.js';
import type { Session } from '../identity/sessions.js';
import { OPERATIONS } from '../operations/index.js';
import type { AnyOperation, OperationResult } from '../operations/operation.js';
import { runOperation } from '../operations/run.js';
import type { Services } from '../operations/services.js';
import type { PolicyOperation } from '../identity/policy.js';

const BY_NAME = new Map<string, AnyOperation>(OPERATIONS.map((op) => [op.name, op]));

/**
 * Runs a registry operation by name for a KMS request: its permission row first (a refusal is
 * audited), then runOperation, which admits every key it declares through the key-use gate.
 * This is the only way the KMS-compatible API reaches a key.
 */
export async function runNamed(
  services: Services,
  session: Session,
  name: string,
  input: Record<string, unknown>,
): Promise<NonNullable<OperationResult>> {
  const op = BY_NAME.get(name);
  if (!op) throw new Error(`no operation ${name} in the registry`);
  const policy = typeof op.policy === 'object' ? (op.policy.of(input) as PolicyOperation) : op.policy;
  if (policy !== 'authenticated') await requirePermission(services, session, policy);
  return (await runOperation(services, session, op, input)) ?? {};
}
