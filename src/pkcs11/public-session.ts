import type { ClusterPolicyStore } from '../cluster/cluster-policy.js';
import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';

/**
 * The caller of a PKCS#11 session without a login (`ssh-keygen -D` lists public keys so). It is
 * no user — its name can be no username — and its role 'public' sees only public objects
 * (canSee) and may only find them and read their attributes (the permission table). The routes
 * that use it exist only while the cluster policy `listPublicObjects` is on.
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
