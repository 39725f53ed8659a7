import type { Requester } from './transport.js';

/** An XKS key store as the node shows it (never a secret). */
export interface XksKeyStore {
  readonly id: string;
  readonly pathPrefix: string;
  /** The XksProxyUriPath to give AWS KMS. */
  readonly uriPath: string;
  readonly user: string;
  readonly region?: string;
  readonly tlsClientSubject?: string;
  readonly accessKeyIds: readonly string[];
  readonly keys: number;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** The file the AWS KMS console takes for an external key store's proxy settings. */
export interface XksAwsConfiguration {
  readonly XksProxyUriPath: string;
  readonly XksProxyAuthenticationCredential: { readonly AccessKeyId: string; readonly RawSecretAccessKey: string };
}

/** A new SigV4 credential, shown this once. */
export interface XksIssuedCredential {
  readonly credential: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly awsConfiguration: XksAwsConfiguration;
}

export interface XksExposedKey {
  readonly externalKeyId: string;
  readonly keyHandle: string;
  readonly exposedAt: string;
  readonly exposedBy: string;
}

export interface NewXksKeyStore {
  readonly id: string;
  readonly user: string;
  readonly pathPrefix?: string;
  readonly region?: string;
  readonly tlsClientSubject?: string;
}

const stores = '/v1/xks/key-stores';
const store = (id: string): string => `${stores}/${encodeURIComponent(id)}`;

/** XKS key stores (admin): what AWS KMS reaches through the node's XKS proxy API. */
export function xksCalls(request: Requester, token: string) {
  return {
    createKeyStore(input: NewXksKeyStore): Promise<{ keyStore: XksKeyStore } & XksIssuedCredential> {
      return request('POST', stores, { token, body: input });
    },
    async listKeyStores(): Promise<XksKeyStore[]> {
      return (await request<{ keyStores: XksKeyStore[] }>('GET', stores, { token })).keyStores;
    },
    async describeKeyStore(id: string): Promise<XksKeyStore> {
      return (await request<{ keyStore: XksKeyStore }>('GET', store(id), { token })).keyStore;
    },
    async deleteKeyStore(id: string): Promise<void> {
      await request<void>('DELETE', store(id), { token });
    },
    addCredential(id: string): Promise<XksIssuedCredential> {
      return request('POST', `${store(id)}/credentials`, { token, body: {} });
    },
    async removeCredential(id: string, accessKeyId: string): Promise<void> {
      await request<void>('DELETE', `${store(id)}/credentials/${encodeURIComponent(accessKeyId)}`, { token });
    },
    async exposeKey(id: string, externalKeyId: string, keyHandle: string): Promise<XksExposedKey> {
      return (
        await request<{ key: XksExposedKey }>('POST', `${store(id)}/keys`, {
          token,
          body: { externalKeyId, keyHandle },
        })
      ).key;
    },
    listExposedKeys(
      id: string,
      options: { after?: string; limit?: number } = {},
    ): Promise<{ keys: XksExposedKey[]; next?: string }> {
      return request('GET', `${store(id)}/keys`, { token, query: { ...options } });
    },
    async unexposeKey(id: string, externalKeyId: string): Promise<void> {
      await request<void>('DELETE', `${store(id)}/keys/${encodeURIComponent(externalKeyId)}`, { token });
    },
  };
}
