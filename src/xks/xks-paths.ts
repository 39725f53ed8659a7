import { CofferError } from '../errors/coffer-error.js';

/**
 * The XKS proxy API's URI rules (xks_proxy_api_spec.md, "API operations"): every API lives under
 * `[/<path-prefix>]/kms/xks/v1`, which AWS KMS takes as the key store's XksProxyUriPath — at most
 * 128 characters of a–z, A–Z, 0–9, `/`, `-` and `_`. A key store's prefix tells its requests
 * apart from another store's on the same node.
 */
export const XKS_API_ROOT = '/kms/xks/v1';
export const MAX_URI_PATH_LENGTH = 128;
/** The routes are generated per prefix depth (xks-routes.ts); a deeper prefix is refused here. */
export const MAX_PREFIX_SEGMENTS = 8;

const PREFIX = /^(\/[A-Za-z0-9_-]+)*$/;
/** The first segment of a prefix may not be the node's own API root. */
const RESERVED_FIRST_SEGMENTS: readonly string[] = ['v1', 'metrics'];

/** The spec's externalKeyId: 1–128 letters, digits, `-`, `.` and `_`. */
export const EXTERNAL_KEY_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** A key store's own name, as the admin gives it. */
export const KEY_STORE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The prefix as given (`''` for none), when it makes a valid XksProxyUriPath; INVALID_FIELD otherwise. */
export function checkPathPrefix(prefix: string): string {
  const segments = prefix.split('/').slice(1);
  if (!PREFIX.test(prefix))
    throw new CofferError('INVALID_FIELD', 'pathPrefix: "" or /segment/…, each of letters, digits, - and _');
  if (segments.length > MAX_PREFIX_SEGMENTS)
    throw new CofferError('INVALID_FIELD', `pathPrefix: at most ${MAX_PREFIX_SEGMENTS} segments`);
  if (uriPath(prefix).length > MAX_URI_PATH_LENGTH)
    throw new CofferError('INVALID_FIELD', `pathPrefix: the URI path is at most ${MAX_URI_PATH_LENGTH} characters`);
  if (segments.length > 0 && RESERVED_FIRST_SEGMENTS.includes(segments[0]!))
    throw new CofferError('INVALID_FIELD', `pathPrefix: may not start with /${segments[0]!}`);
  // The prefix-less store's routes would take such a path before a deeper prefix's could.
  if (`${prefix}/`.startsWith(`${XKS_API_ROOT}/`))
    throw new CofferError('INVALID_FIELD', `pathPrefix: may not start with ${XKS_API_ROOT}`);
  return prefix;
}

/** The XksProxyUriPath AWS KMS is given for a prefix. */
export function uriPath(prefix: string): string {
  return `${prefix}${XKS_API_ROOT}`;
}
