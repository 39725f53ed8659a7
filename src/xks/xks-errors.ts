import type { CofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';

/**
 * The XKS proxy API's column of the error registry: the spec's error names with their HTTP
 * statuses ("Error codes" in xks_proxy_api_spec.md), and for every registry code the name the
 * proxy answers with. Typed over every ErrorCode, so a code added to the registry does not
 * compile until it is given its XKS name here.
 */
export const XKS_ERROR_STATUS = {
  ValidationException: 400,
  InvalidStateException: 400,
  InvalidCiphertextException: 400,
  InvalidKeyUsageException: 400,
  AuthenticationFailedException: 401,
  AccessDeniedException: 403,
  KeyNotFoundException: 404,
  InvalidUriPathException: 404,
  ThrottlingException: 429,
  InternalException: 500,
  UnsupportedOperationException: 501,
  DependencyTimeoutException: 503,
} as const satisfies Record<string, number>;

export type XksErrorName = keyof typeof XKS_ERROR_STATUS;

const VALIDATION = 'ValidationException';
const STATE = 'InvalidStateException';
const INTERNAL = 'InternalException';
const AUTH = 'AuthenticationFailedException';
const DENIED = 'AccessDeniedException';
const THROTTLED = 'ThrottlingException';
const USAGE = 'InvalidKeyUsageException';
const UNSUPPORTED = 'UnsupportedOperationException';

export const XKS_ERROR_OF: Readonly<Record<ErrorCode, XksErrorName>> = {
  // Request shape; a body or value larger than the proxy takes is "not supported" (501).
  MALFORMED_JSON: VALIDATION,
  UNKNOWN_FIELD: VALIDATION,
  MISSING_FIELD: VALIDATION,
  INVALID_FIELD: VALIDATION,
  BODY_TOO_LARGE: UNSUPPORTED,
  UNSUPPORTED_MEDIA_TYPE: VALIDATION,
  ROUTE_NOT_FOUND: 'InvalidUriPathException',
  IDEMPOTENCY_KEY_INVALID: VALIDATION,
  IDEMPOTENCY_KEY_NOT_ACCEPTED: VALIDATION,
  IDEMPOTENCY_KEY_REUSED: VALIDATION,
  // Transport and node state: a sealed or failing node cannot serve its keys.
  CLIENT_CERT_REQUIRED: AUTH,
  NODE_SEALED: INTERNAL,
  ALREADY_UNSEALED: INTERNAL,
  UNSEAL_SHARE_INVALID: INTERNAL,
  UNSEAL_FAILED: INTERNAL,
  NOT_INITIALIZED: INTERNAL,
  ALREADY_INITIALIZED: INTERNAL,
  DEV_MODE_REFUSED: INTERNAL,
  CA_NOT_MANAGED: INTERNAL,
  DATA_DIR_INSECURE: INTERNAL,
  SELF_TEST_FAILED: INTERNAL,
  INTEGRITY_ERROR: INTERNAL,
  CONFLICT: INTERNAL,
  AUDIT_UNAVAILABLE: INTERNAL,
  AUDIT_HEAD_MISSING: INTERNAL,
  AUDIT_HEAD_STALE: INTERNAL,
  AUDIT_CHAIN_BROKEN: INTERNAL,
  INTERNAL_ERROR: INTERNAL,
  // The cluster store: unreachable or too slow to confirm is a dependency KMS may retry on.
  STORE_UNAVAILABLE: 'DependencyTimeoutException',
  STORE_TIMEOUT: 'DependencyTimeoutException',
  STORE_COMPACTED: INTERNAL,
  LEASE_NOT_FOUND: INTERNAL,
  // Identity: the store acts as its crypto user; what that user may not do is denied.
  NOT_AUTHENTICATED: AUTH,
  SESSION_INVALID: AUTH,
  LOGIN_FAILED: AUTH,
  ACCOUNT_LOCKED: DENIED,
  LOGIN_BUSY: THROTTLED,
  PASSWORD_REQUIRED: AUTH,
  USER_NOT_ACTIVATED: STATE,
  ALREADY_ACTIVATED: VALIDATION,
  PERMISSION_DENIED: DENIED,
  TOO_MANY_SESSIONS: THROTTLED,
  SESSION_OBJECT_NOT_HERE: 'KeyNotFoundException',
  USER_EXISTS: VALIDATION,
  USER_NOT_FOUND: STATE,
  USERNAME_INVALID: VALIDATION,
  PASSWORD_INVALID: VALIDATION,
  LAST_ADMIN: VALIDATION,
  USER_OWNS_KEYS: VALIDATION,
  MFA_REQUIRED: AUTH,
  PUBLIC_KEY_INVALID: VALIDATION,
  CHALLENGE_INVALID: VALIDATION,
  // A key under a key-usage quorum needs approvals the XKS API cannot carry.
  QUORUM_REQUIRED: DENIED,
  QUORUM_TOKEN_INVALID: DENIED,
  QUORUM_APPROVALS_INSUFFICIENT: DENIED,
  QUORUM_VALUE_INVALID: VALIDATION,
  TOO_MANY_TOKENS: THROTTLED,
  // Keys and mechanisms.
  KEY_NOT_FOUND: 'KeyNotFoundException',
  KEY_TYPE_INCONSISTENT: USAGE,
  // A disabled key is refined to XKS_KEY_NOT_ENABLED by the proxy (xks-refusals.ts).
  KEY_FUNCTION_NOT_PERMITTED: USAGE,
  KEY_SIZE_RANGE: USAGE,
  MECHANISM_INVALID: UNSUPPORTED,
  MECHANISM_PARAM_INVALID: VALIDATION,
  IV_NOT_ALLOWED: VALIDATION,
  ATTRIBUTE_TYPE_INVALID: VALIDATION,
  ATTRIBUTE_VALUE_INVALID: VALIDATION,
  ATTRIBUTE_READ_ONLY: VALIDATION,
  TEMPLATE_INCONSISTENT: VALIDATION,
  TEMPLATE_INCOMPLETE: VALIDATION,
  ACTION_PROHIBITED: DENIED,
  ATTRIBUTE_SENSITIVE: DENIED,
  KEY_SHARE_INVALID: VALIDATION,
  KEY_SHARE_LIMIT: VALIDATION,
  ALIAS_NOT_FOUND: 'KeyNotFoundException',
  ALIAS_EXISTS: VALIDATION,
  DATA_LEN_RANGE: UNSUPPORTED,
  ENCRYPTED_DATA_INVALID: 'InvalidCiphertextException',
  OPERATION_NOT_INITIALIZED: VALIDATION,
  TOO_MANY_OPERATIONS: THROTTLED,
  MEMORY_BUDGET_EXCEEDED: THROTTLED,
  SIGNATURE_INVALID: VALIDATION,
  KEY_UNEXTRACTABLE: DENIED,
  KEY_NOT_WRAPPABLE: DENIED,
  WRAPPED_KEY_INVALID: VALIDATION,
  IMPORT_NOT_ALLOWED: DENIED,
  // The XKS codes.
  XKS_AUTHENTICATION_FAILED: AUTH,
  XKS_URI_PATH_INVALID: 'InvalidUriPathException',
  // The spec asks for 405 on GET and names no error for it: the status comes from XKS_STATUS_OF.
  XKS_METHOD_NOT_ALLOWED: VALIDATION,
  XKS_KEY_STORE_NOT_FOUND: 'InvalidUriPathException',
  XKS_KEY_STORE_EXISTS: VALIDATION,
  XKS_KEY_STORE_NOT_EMPTY: VALIDATION,
  // The store's user was deleted or is no crypto user: the store cannot act.
  XKS_KEY_STORE_USER_INVALID: STATE,
  XKS_LIMIT: VALIDATION,
  XKS_KEY_EXPOSED: VALIDATION,
  XKS_KEY_NOT_ELIGIBLE: USAGE,
  XKS_KEY_NOT_ENABLED: STATE,
  // The KMS-compatible API's own codes never reach the XKS routes; should one, it is a
  // failure of the proxy, or the request's shape or key state as the name says.
  SIGV4_INCOMPLETE: AUTH,
  ACCESS_KEY_UNRECOGNIZED: AUTH,
  SIGV4_SIGNATURE_INVALID: AUTH,
  ACCESS_KEY_NOT_FOUND: INTERNAL,
  ACCESS_KEY_LIMIT: INTERNAL,
  KMS_OPERATION_UNSUPPORTED: UNSUPPORTED,
  KMS_KEY_DISABLED: STATE,
  KMS_INVALID_STATE: STATE,
  KMS_INCORRECT_KEY: INTERNAL,
  KMS_CIPHERTEXT_INVALID: 'InvalidCiphertextException',
  KMS_IMPORT_TOKEN_INVALID: INTERNAL,
  KMS_IMPORT_TOKEN_EXPIRED: INTERNAL,
  KMS_KEY_MATERIAL_INCORRECT: INTERNAL,
  KMS_MAC_INVALID: INTERNAL,
  KMS_GRANT_NOT_FOUND: INTERNAL,
  KMS_GRANT_TOKEN_INVALID: INTERNAL,
  KMS_ALIAS_NAME_INVALID: VALIDATION,
  KMS_MARKER_INVALID: VALIDATION,
  KMS_TAG_INVALID: VALIDATION,
};

/** Where the wire status is not the one of the error name. */
const XKS_STATUS_OF: Readonly<Partial<Record<ErrorCode, number>>> = { XKS_METHOD_NOT_ALLOWED: 405 };

/** The spec's error body: `errorName`, and an `errorMessage` under 512 printable ASCII characters. */
export interface XksErrorBody {
  readonly errorName: XksErrorName;
  readonly errorMessage: string;
}

export function xksError(error: CofferError): { status: number; body: XksErrorBody } {
  const errorName = XKS_ERROR_OF[error.code];
  const errorMessage = error.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 511);
  return { status: XKS_STATUS_OF[error.code] ?? XKS_ERROR_STATUS[errorName], body: { errorName, errorMessage } };
}
