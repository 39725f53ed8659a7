import type { XksExposedKeyRecord, XksKeyStoreRecord } from './key-store-records.js';
import type { IssuedCredential } from './key-stores.js';
import { uriPath } from './xks-paths.js';

/** A key store as the admin API shows it: everything but secrets, and its XksProxyUriPath. */
export function keyStoreView(store: XksKeyStoreRecord): Record<string, unknown> {
  return {
    id: store.id,
    pathPrefix: store.pathPrefix,
    uriPath: uriPath(store.pathPrefix),
    user: store.user,
    ...(store.region !== undefined && { region: store.region }),
    ...(store.tlsClientSubject !== undefined && { tlsClientSubject: store.tlsClientSubject }),
    accessKeyIds: store.accessKeyIds,
    keys: store.keys,
    createdAt: store.createdAt,
    createdBy: store.createdBy,
  };
}

export function exposedKeyView(key: XksExposedKeyRecord): Record<string, unknown> {
  return {
    externalKeyId: key.externalKeyId,
    keyHandle: key.keyHandle,
    exposedAt: key.exposedAt,
    exposedBy: key.exposedBy,
  };
}

/**
 * A new credential, the one time it is shown: as itself, and as the file the AWS KMS console
 * takes when an external key store is created or edited (spec, "XKS proxy configuration in
 * AWS KMS console"). The secret becomes text only here, for the answer; the buffer is zeroed.
 */
export function credentialView(store: XksKeyStoreRecord, credential: IssuedCredential): Record<string, unknown> {
  const secretAccessKey = credential.secret.toString('ascii');
  credential.secret.fill(0);
  return {
    credential: { accessKeyId: credential.accessKeyId, secretAccessKey },
    awsConfiguration: {
      XksProxyUriPath: uriPath(store.pathPrefix),
      XksProxyAuthenticationCredential: {
        AccessKeyId: credential.accessKeyId,
        RawSecretAccessKey: secretAccessKey,
      },
    },
  };
}
