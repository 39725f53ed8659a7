import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { Admission } from '../keys/key-use-gate.js';
import type { AnyOperation, OperationContext, OperationResult } from './operation.js';
import type { Services } from './services.js';

/**
 * Runs one operation for a session whose permission for it was checked: every declared key is
 * admitted by the gate, in declaration order, and only then does the operation run. This is
 * the only way an operation reaches a key.
 */
export async function runOperation(
  services: Services,
  session: Session,
  op: AnyOperation,
  input: Record<string, unknown>,
): Promise<OperationResult> {
  const keys: Record<string, Admission> = {};
  for (const [name, declared] of Object.entries(op.keys)) {
    const reference = input[declared.field];
    if (typeof reference !== 'string') throw new CofferError('MISSING_FIELD', declared.field);
    const mechanism = declared.mechanismField === undefined ? undefined : input[declared.mechanismField];
    if (declared.mechanismField !== undefined && typeof mechanism !== 'string')
      throw new CofferError('MISSING_FIELD', declared.mechanismField);
    keys[name] = await services.gate.admit(session, reference, declared.role, {
      action: op.name,
      ...(typeof mechanism === 'string' && { mechanism }),
      ...(declared.ivField !== undefined && { callerIv: input[declared.ivField] !== undefined }),
    });
  }
  const context = { services, session, keys } as OperationContext<AnyOperation['keys']>;
  return op.run(context, input);
}
