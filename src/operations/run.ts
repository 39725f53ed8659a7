import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { Admission } from '../keys/key-use-gate.js';
import { claimingWrites } from '../records/write-claim.js';
import type { AnyOperation, AuditDetails, OperationContext, OperationResult } from './operation.js';
import type { Services } from './services.js';

/** What the way in adds to one run: its caller's context for the audit (the XKS request metadata). */
export interface RunContext {
  /** Carried by every audit event of the run: the gate's refusals, per-use events, the operation's own. */
  readonly auditDetails?: AuditDetails;
}

/**
 * Runs one operation for a session whose permission for it was checked: every declared key
 * passes the gate's checks, in declaration order; then each is admitted (quorum, counting);
 * only then does the operation run. This is the only way an operation reaches a key.
 */
export async function runOperation(
  services: Services,
  session: Session,
  op: AnyOperation,
  input: Record<string, unknown>,
  context: RunContext = {},
): Promise<OperationResult> {
  const { auditDetails } = context;
  const declared = Object.entries(op.keys).map(([name, key]) => {
    const reference = input[key.field];
    if (typeof reference !== 'string') throw new CofferError('MISSING_FIELD', key.field);
    const mechanism = key.mechanismField === undefined ? undefined : input[key.mechanismField];
    if (key.mechanismField !== undefined && typeof mechanism !== 'string')
      throw new CofferError('MISSING_FIELD', key.mechanismField);
    const options = {
      action: op.name,
      ...(typeof mechanism === 'string' && { mechanism }),
      ...(key.ivField !== undefined && { callerIv: input[key.ivField] !== undefined }),
      ...(auditDetails && { auditDetails }),
    };
    return { name, role: key.role, reference, options };
  });
  // Every key is checked before any is spent (quorum, counting).
  const checked = [];
  for (const key of declared) checked.push(await services.gate.check(session, key.reference, key.role, key.options));
  const keys: Record<string, Admission> = {};
  for (const [index, key] of declared.entries())
    keys[key.name] = await services.gate.use(session, checked[index]!, key.role, key.options);
  const admitted = { services, session, keys, ...(auditDetails && { auditDetails }) } as OperationContext<
    AnyOperation['keys']
  >;
  // Only the operation's own write may carry an idempotent request's record, never the gate's commits.
  if (op.idempotent === undefined) return op.run(admitted, input);
  return claimingWrites(op.name, () => op.run(admitted, input));
}
