import type { Requester } from './transport.js';
import type {
  GenerateKeyPairRequest,
  GenerateSymmetricKeyRequest,
  Key,
  KeyListFilter,
  KeyPage,
  KeyPair,
} from './types.js';

const keyPath = (handle: string) => `/v1/keys/${encodeURIComponent(handle)}`;

/** The key routes, for a session's token. */
export function keyCalls(request: Requester, token: string) {
  return {
    async generateSymmetricKey(spec: GenerateSymmetricKeyRequest): Promise<Key> {
      const answer = await request<{ key: Key }>('POST', '/v1/keys/symmetric', { token, body: spec });
      return answer.key;
    },
    generateKeyPair(spec: GenerateKeyPairRequest): Promise<KeyPair> {
      return request<KeyPair>('POST', '/v1/keys/pairs', { token, body: spec });
    },
    /** One page of the keys the caller may see; pass `next` back as `after`. */
    listKeys(filter: KeyListFilter = {}): Promise<KeyPage> {
      const { label, id, keyType, owner, alias, flags, after, limit } = filter;
      const flagQuery = Object.fromEntries(Object.entries(flags ?? {}).map(([name, value]) => [name, String(value)]));
      return request<KeyPage>('GET', '/v1/keys', {
        token,
        query: { label, id, class: filter.class, keyType, owner, alias, ...flagQuery, after, limit },
      });
    },
    async getKey(handle: string): Promise<Key> {
      const answer = await request<{ key: Key }>('GET', keyPath(handle), { token });
      return answer.key;
    },
    /** The SPKI PEM of a public key, or of a private key's public half. */
    async exportPublicKey(handle: string): Promise<string> {
      const answer = await request<{ pem: string }>('GET', `${keyPath(handle)}/public-key`, { token });
      return answer.pem;
    },
    async deleteKey(handle: string): Promise<void> {
      await request<void>('DELETE', keyPath(handle), { token });
    },
    /** New material as the key's newest version; older versions still decrypt and verify. */
    async rotateKey(handle: string): Promise<Key> {
      const answer = await request<{ key: Key }>('POST', `${keyPath(handle)}/rotate`, { token, body: {} });
      return answer.key;
    },
  };
}
