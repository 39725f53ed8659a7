import type { ClusterPolicyStore } from '../cluster/cluster-policy.js';
import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { AnyOperation, OperationResult } from '../operations/operation.js';
import { runOperation } from '../operations/run.js';
import type { Services } from '../operations/services.js';

/**
 * The caller of a PKCS#11 session without a login (`ssh-keygen -D` lists public keys so). It is
 * no user — its name can be no username — and its role 'public' sees only public objects
 * (canSee). The permission table knows no such role: PUBLIC_OPERATIONS is all it may run, and
 * only while the cluster policy `listPublicObjects` is on.
 */
const PUBLIC_SESSION: Session = Object.freeze({
  id: '(public)',
  username: '(public)',
  role: 'public',
  createdAt: 0,
  lastUsedAt: 0,
});

export async function publicSession(services: {
  readonly policy: Pick<ClusterPolicyStore, 'current'>;
}): Promise<Session> {
  if (!(await services.policy.current()).listPublicObjects)
    throw new CofferError('NOT_AUTHENTICATED', 'the cluster lists no public objects without a login');
  return PUBLIC_SESSION;
}

/** The registry operations a session without a login may run: finding objects and reading their attributes. */
export const PUBLIC_OPERATIONS: ReadonlySet<string> = new Set([
  'pkcs11.find-objects',
  'pkcs11.read-key-attributes',
  'pkcs11.read-object-attributes',
]);

export async function runPublic(
  services: Services,
  session: Session,
  op: AnyOperation,
  input: Record<string, unknown>,
): Promise<OperationResult> {
  if (session.role !== 'public' || !PUBLIC_OPERATIONS.has(op.name))
    throw new CofferError('NOT_AUTHENTICATED', 'this needs a login');
  return runOperation(services, session, op, input);
}
