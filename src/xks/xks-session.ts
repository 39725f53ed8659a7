import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { RoleLookup } from '../keys/key-sharing.js';
import type { XksKeyStoreRecord } from './key-store-records.js';

/**
 * The session an XKS request runs as: the key store's crypto user, as if logged in, so the
 * permission table, the key-use gate and the audit see that user. It belongs to no login (its
 * id matches no session's), so it holds no session keys and fits no session-bound quorum token.
 * The user is looked up on every request: a deleted or re-roled user stops the store at once.
 */
export async function storeSession(store: XksKeyStoreRecord, roleOf: RoleLookup, now: number): Promise<Session> {
  if ((await roleOf(store.user)) !== 'crypto-user')
    throw new CofferError('XKS_KEY_STORE_USER_INVALID', `the key store's user ${store.user} is gone or no crypto user`);
  return { id: `xks/${store.id}`, username: store.user, role: 'crypto-user', createdAt: now, lastUsedAt: now };
}
