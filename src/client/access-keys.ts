import type { Requester } from './transport.js';
import type { AccessKey, IssuedAccessKey } from './types.js';
import { confirmedRequest, type KeyChangeConfirmation } from './users.js';

/**
 * Access keys for the KMS-compatible API, for a session's token. Creating one confirms the
 * password (and MFA); the secret is in that one answer only.
 */
export function accessKeyCalls(request: Requester, token: string) {
  const path = (id: string) => `/v1/access-keys/${encodeURIComponent(id)}`;
  return {
    createAccessKey(confirm: KeyChangeConfirmation): Promise<IssuedAccessKey> {
      return confirmedRequest(
        (body) => request<IssuedAccessKey>('POST', '/v1/access-keys', { token, body }),
        {},
        confirm,
      );
    },
    /** Your access keys, or (an admin) another user's. */
    async listAccessKeys(username?: string): Promise<AccessKey[]> {
      const answer = await request<{ accessKeys: AccessKey[] }>('GET', '/v1/access-keys', {
        token,
        query: { username },
      });
      return answer.accessKeys;
    },
    /** Makes a key Inactive for good. */
    disableAccessKey(accessKeyId: string): Promise<AccessKey> {
      return request<AccessKey>('POST', `${path(accessKeyId)}/disable`, { token, body: {} });
    },
    async deleteAccessKey(accessKeyId: string): Promise<void> {
      await request<void>('DELETE', path(accessKeyId), { token });
    },
  };
}
