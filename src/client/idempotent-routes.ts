import { randomUUID } from 'node:crypto';

/**
 * The writes a node accepts an Idempotency-Key on (its OpenAPI document marks them; a test
 * keeps this list equal to it). The SDK sends a fresh key with each of them and the same key
 * on every retry, so a retry after a lost answer never writes twice. Writes whose answer shows
 * a secret once (a new access key, a new XKS key store or credential) take none: a retry could
 * not show it again.
 */
export const IDEMPOTENT_ROUTES: readonly string[] = [
  'POST /v1/keys/symmetric',
  'POST /v1/keys/pairs',
  'POST /v1/keys/import',
  'POST /v1/keys/unwrap',
  'POST /v1/keys/derive',
  'POST /v1/keys/:handle/rotate',
  'PATCH /v1/keys/:handle',
  'DELETE /v1/keys/:handle',
  'POST /v1/keys/:handle/shares',
  'DELETE /v1/keys/:handle/shares/:username',
  'PUT /v1/keys/:handle/quorum',
  'PUT /v1/aliases/*',
  'DELETE /v1/aliases/*',
  'POST /v1/users',
  'DELETE /v1/users/:username',
  'POST /v1/pkcs11/objects',
  'PATCH /v1/pkcs11/objects/:handle',
  'POST /v1/pkcs11/objects/:handle/copy',
  'DELETE /v1/pkcs11/objects/:handle',
  'POST /v1/pkcs11/keys/generate',
  'POST /v1/pkcs11/keys/generate-pair',
  'POST /v1/pkcs11/keys/unwrap',
  'POST /v1/pkcs11/keys/derive',
  'POST /v1/access-keys/:accessKeyId/disable',
  'DELETE /v1/access-keys/:accessKeyId',
  'DELETE /v1/xks/key-stores/:storeId',
  'DELETE /v1/xks/key-stores/:storeId/credentials/:accessKeyId',
  'POST /v1/xks/key-stores/:storeId/keys',
  'DELETE /v1/xks/key-stores/:storeId/keys/:externalKeyId',
];

export const IDEMPOTENCY_HEADER = 'idempotency-key';

const ROUTES = IDEMPOTENT_ROUTES.map((route) => {
  const [method, url] = route.split(' ') as [string, string];
  return { method, segments: url.split('/') };
});

/** Whether the node accepts an Idempotency-Key on this request (`:name` is one segment, `*` the rest). */
export function acceptsIdempotencyKey(method: string, path: string): boolean {
  const segments = path.split('?')[0]!.split('/');
  return ROUTES.some(
    (route) =>
      route.method === method &&
      (route.segments.at(-1) === '*'
        ? segments.length >= route.segments.length
        : segments.length === route.segments.length) &&
      route.segments.every(
        (part, index) =>
          part === '*' || (part.startsWith(':') ? (segments[index] ?? '') !== '' : part === segments[index]),
      ),
  );
}

/** A new key: 128 random bits as a UUID. */
export function newIdempotencyKey(): string {
  return randomUUID();
}
