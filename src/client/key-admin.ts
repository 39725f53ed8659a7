import type { Requester } from './transport.js';
import type { Key, KeyAttributes } from './types.js';

/** PATCH /v1/keys/:handle: what to change ('' or null clears a date). */
export interface KeyAttributeChanges {
  readonly label?: string;
  /** CKA_ID, hex. */
  readonly id?: string;
  /** YYYY-MM-DD */
  readonly startDate?: string | null;
  readonly endDate?: string | null;
  readonly attributes?: KeyAttributes;
}

export interface Alias {
  readonly alias: string;
  readonly keyHandle: string;
}

/** Either form names a key: `0x…` or `alias/<name>`. */
const keyPath = (handle: string) => `/v1/keys/${encodeURIComponent(handle)}`;
const aliasPath = (name: string) => `/v1/aliases/${name.split('/').map(encodeURIComponent).join('/')}`;

/** Key management beyond the lifecycle: attributes, sharing and aliases, for a session's token. */
export function keyAdminCalls(request: Requester, token: string) {
  return {
    async setKeyAttributes(handle: string, changes: KeyAttributeChanges): Promise<Key> {
      return (await request<{ key: Key }>('PATCH', keyPath(handle), { token, body: changes })).key;
    },
    async shareKey(handle: string, username: string): Promise<Key> {
      return (await request<{ key: Key }>('POST', `${keyPath(handle)}/shares`, { token, body: { username } })).key;
    },
    async unshareKey(handle: string, username: string): Promise<Key> {
      const path = `${keyPath(handle)}/shares/${encodeURIComponent(username)}`;
      return (await request<{ key: Key }>('DELETE', path, { token })).key;
    },
    createAlias(name: string, keyHandle: string): Promise<Alias> {
      return request<Alias>('PUT', aliasPath(name), { token, body: { keyHandle } });
    },
    async listAliases(): Promise<Alias[]> {
      return (await request<{ aliases: Alias[] }>('GET', '/v1/aliases', { token })).aliases;
    },
    async deleteAlias(name: string): Promise<void> {
      await request<void>('DELETE', aliasPath(name), { token });
    },
  };
}
