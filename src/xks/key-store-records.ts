import { CofferError } from '../errors/coffer-error.js';

/**
 * The sealed records of XKS key stores. A key store is what AWS KMS knows as an external key
 * store: a path prefix on this node, the SigV4 credentials KMS signs with, the crypto user the
 * store acts as, and the keys it exposes under external key ids.
 *
 *   xks/store/<id>                     the key store (no secret)
 *   xks/credential/<accessKeyId>       one SigV4 credential: its store, and the secret beside the JSON
 *   xks/key/<id>/<externalKeyId>       one exposed key: its handle
 *   idx/xks-prefix/<hex of prefix>     the prefix is taken (compared on create)
 *   idx/xks-handle/<id>/<handle>       the key is exposed in the store (compared on expose)
 */
export interface XksKeyStoreRecord {
  readonly id: string;
  /** '' or /segment/…; the store's XksProxyUriPath is this plus /kms/xks/v1. */
  readonly pathPrefix: string;
  /** The crypto user every request of the store acts as. */
  readonly user: string;
  /** When set, a request's SigV4 scope must name this region. */
  readonly region?: string;
  /** When set, a request must come over a TLS client certificate with this subject CN. */
  readonly tlsClientSubject?: string;
  /** One or two (rotation: add the new, update KMS, remove the old). */
  readonly accessKeyIds: readonly string[];
  /** How many keys it exposes; every expose rewrites the store, so a delete cannot race one. */
  readonly keys: number;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface XksCredentialRecord {
  readonly accessKeyId: string;
  readonly storeId: string;
  readonly createdAt: string;
}

export interface XksExposedKeyRecord {
  readonly storeId: string;
  readonly externalKeyId: string;
  readonly keyHandle: string;
  readonly exposedAt: string;
  readonly exposedBy: string;
}

export const XKS_LIMITS = { stores: 100, keysPerStore: 10_000, credentialsPerStore: 2 } as const;

export const XKS_STORE_PREFIX = 'xks/store/';
export const XKS_KEY_PREFIX = 'xks/key/';

export const storePath = (id: string): string => `${XKS_STORE_PREFIX}${id}`;
export const credentialPath = (accessKeyId: string): string => `xks/credential/${accessKeyId}`;
export const exposedKeysPrefix = (storeId: string): string => `${XKS_KEY_PREFIX}${storeId}/`;
export const exposedKeyPath = (storeId: string, externalKeyId: string): string =>
  `${exposedKeysPrefix(storeId)}${externalKeyId}`;
export const prefixIndexPath = (prefix: string): string =>
  `idx/xks-prefix/${Buffer.from(prefix, 'utf8').toString('hex') || '-'}`;
export const handleIndexPath = (storeId: string, handle: string): string => `idx/xks-handle/${storeId}/${handle}`;

export function encodeJson(value: object): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function decodeJson<T>(plaintext: Buffer): T {
  return JSON.parse(plaintext.toString('utf8')) as T;
}

/**
 * A credential's plaintext: a length-prefixed JSON record, then the secret access key's bytes,
 * so the secret is never a JavaScript string here and can be zeroed.
 */
export function encodeCredential(record: XksCredentialRecord, secret: Buffer): Buffer {
  const json = encodeJson(record);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([length, json, secret]);
}

/** `secret` is a copy; the caller zeroes it, and the plaintext too. */
export function decodeCredential(plaintext: Buffer): { record: XksCredentialRecord; secret: Buffer } {
  const length = plaintext.length >= 4 ? plaintext.readUInt32BE(0) : Number.POSITIVE_INFINITY;
  if (4 + length > plaintext.length) throw new CofferError('INTEGRITY_ERROR', 'XKS credential record is truncated');
  const record = decodeJson<XksCredentialRecord>(plaintext.subarray(4, 4 + length));
  return { record, secret: Buffer.from(plaintext.subarray(4 + length)) };
}
