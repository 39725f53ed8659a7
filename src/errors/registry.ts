import type { KmsException } from './kms-exceptions.js';

/**
 * The one error registry. Every error Coffer returns has a stable code defined here, once, with
 * its HTTP status, the PKCS#11 CKR_ value the C module maps it to, the exception the
 * KMS-compatible API answers, and a message that never carries a secret. docs/reference/errors.md is kept in sync with this table by a test.
 */
export const ERRORS = {
  // Request shape
  MALFORMED_JSON: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'SerializationException',
    message: 'The request body is not valid JSON',
  },
  UNKNOWN_FIELD: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'ValidationException',
    message: 'The request has a field this operation does not accept',
  },
  MISSING_FIELD: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'ValidationException',
    message: 'The request lacks a required field',
  },
  INVALID_FIELD: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'ValidationException',
    message: 'A field of the request has the wrong type or value',
  },
  BODY_TOO_LARGE: {
    status: 413,
    ckr: 'CKR_DATA_LEN_RANGE',
    kms: 'ValidationException',
    message: 'The request body is larger than the node accepts',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'SerializationException',
    message: 'The request body must be application/json',
  },
  ROUTE_NOT_FOUND: {
    status: 404,
    ckr: 'CKR_FUNCTION_NOT_SUPPORTED',
    kms: 'UnsupportedOperationException',
    message: 'No such API operation',
  },
  IDEMPOTENCY_KEY_INVALID: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'ValidationException',
    message: 'The Idempotency-Key header must be one value of 16 to 64 visible ASCII characters',
  },
  IDEMPOTENCY_KEY_NOT_ACCEPTED: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'ValidationException',
    message: 'This operation does not accept an Idempotency-Key',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'ValidationException',
    message: 'The Idempotency-Key was used for a different request',
  },

  // Transport and node state
  CLIENT_CERT_REQUIRED: {
    status: 401,
    ckr: 'CKR_DEVICE_ERROR',
    kms: 'AccessDeniedException',
    message: 'A client certificate issued by the cluster CA is required',
  },
  NODE_SEALED: {
    status: 503,
    ckr: 'CKR_DEVICE_ERROR',
    kms: 'KMSInternalException',
    message: 'The node is sealed: only health, status and unseal are served',
  },
  ALREADY_UNSEALED: {
    status: 409,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'UnsupportedOperationException',
    message: 'The node is already unsealed',
  },
  UNSEAL_SHARE_INVALID: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'ValidationException',
    message: 'The unseal share is malformed',
  },
  UNSEAL_FAILED: {
    status: 400,
    ckr: 'CKR_PIN_INCORRECT',
    kms: 'ValidationException',
    message: 'The unseal shares do not reconstruct the root key; progress was reset',
  },
  NOT_INITIALIZED: {
    status: 409,
    ckr: 'CKR_TOKEN_NOT_RECOGNIZED',
    kms: 'KMSInternalException',
    message: 'The data directory holds no initialized cluster',
  },
  ALREADY_INITIALIZED: {
    status: 409,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'UnsupportedOperationException',
    message: 'The data directory already holds an initialized cluster',
  },
  DEV_MODE_REFUSED: {
    status: 409,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'UnsupportedOperationException',
    message: 'The cluster was initialized in production mode; dev mode cannot be switched on',
  },
  CA_NOT_MANAGED: {
    status: 409,
    ckr: 'CKR_FUNCTION_NOT_SUPPORTED',
    kms: 'UnsupportedOperationException',
    message: 'This cluster uses an external CA: issue client certificates with that CA',
  },
  DATA_DIR_INSECURE: {
    status: 500,
    ckr: 'CKR_DEVICE_ERROR',
    kms: 'KMSInternalException',
    message: 'The data directory is readable by other users; refusing to start',
  },
  SELF_TEST_FAILED: {
    status: 503,
    ckr: 'CKR_DEVICE_ERROR',
    kms: 'KMSInternalException',
    message: 'A cryptographic self-test failed; the node refuses service',
  },
  INTEGRITY_ERROR: {
    status: 500,
    ckr: 'CKR_DEVICE_ERROR',
    kms: 'KMSInternalException',
    message: 'A stored record failed its integrity check and was refused',
  },
  CONFLICT: {
    status: 409,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'KMSInternalException',
    message: 'The record changed concurrently; retry the operation',
  },
  AUDIT_UNAVAILABLE: {
    status: 503,
    ckr: 'CKR_DEVICE_ERROR',
    kms: 'KMSInternalException',
    message: 'The audit event could not be appended, so the operation was refused',
  },
  AUDIT_HEAD_MISSING: {
    status: 500,
    ckr: 'CKR_DEVICE_ERROR',
    kms: 'KMSInternalException',
    message: 'The store holds no audit head; the node stays sealed rather than restart the chain',
  },
  AUDIT_HEAD_STALE: {
    status: 500,
    ckr: 'CKR_DEVICE_ERROR',
    kms: 'KMSInternalException',
    message: 'The audit head is older than the store (events, checkpoints or records past it); the node stays sealed',
  },
  AUDIT_CHAIN_BROKEN: {
    status: 500,
    ckr: 'CKR_DEVICE_ERROR',
    kms: 'KMSInternalException',
    message: 'The stored audit chain has a gap or a broken link, or does not end at its head; the node stays sealed',
  },
  STORE_UNAVAILABLE: {
    status: 503,
    ckr: 'CKR_DEVICE_ERROR',
    kms: 'KMSInternalException',
    message: 'The state store cannot be reached or has no leader; the request was not applied, retry shortly',
  },
  STORE_TIMEOUT: {
    status: 503,
    ckr: 'CKR_DEVICE_ERROR',
    kms: 'KMSInternalException',
    message: 'The state store did not confirm the write in time; it may or may not have been applied',
  },
  STORE_COMPACTED: {
    status: 409,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'KMSInternalException',
    message: 'The store revision asked for was compacted away; start the listing again',
  },
  LEASE_NOT_FOUND: {
    status: 404,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'KMSInternalException',
    message: 'The store lease is unknown, expired or revoked',
  },
  INTERNAL_ERROR: { status: 500, ckr: 'CKR_GENERAL_ERROR', kms: 'KMSInternalException', message: 'Internal error' },

  // Identity
  NOT_AUTHENTICATED: {
    status: 401,
    ckr: 'CKR_USER_NOT_LOGGED_IN',
    kms: 'IncompleteSignatureException',
    message: 'Log in first: this operation needs a session token',
  },
  SESSION_INVALID: {
    status: 401,
    ckr: 'CKR_USER_NOT_LOGGED_IN',
    kms: 'UnrecognizedClientException',
    message: 'The session token is unknown or has expired',
  },
  LOGIN_FAILED: {
    status: 401,
    ckr: 'CKR_PIN_INCORRECT',
    kms: 'UnrecognizedClientException',
    message: 'Wrong username or password',
  },
  ACCOUNT_LOCKED: {
    status: 403,
    ckr: 'CKR_PIN_LOCKED',
    kms: 'AccessDeniedException',
    message: 'The account is locked after too many failed logins; an admin must unlock it',
  },
  LOGIN_BUSY: {
    status: 429,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'ThrottlingException',
    message: 'Too many login attempts for this user are being checked at once; retry shortly',
  },
  PASSWORD_REQUIRED: {
    status: 401,
    ckr: 'CKR_PIN_INCORRECT',
    kms: 'AccessDeniedException',
    message: 'This change needs your password (and, with MFA, a signed challenge) besides the session',
  },
  USER_NOT_ACTIVATED: {
    status: 403,
    ckr: 'CKR_USER_PIN_NOT_INITIALIZED',
    kms: 'AccessDeniedException',
    message: 'The cluster is not activated: run cluster activate first',
  },
  ALREADY_ACTIVATED: {
    status: 409,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'UnsupportedOperationException',
    message: 'The cluster is already activated',
  },
  PERMISSION_DENIED: {
    status: 403,
    ckr: 'CKR_USER_TYPE_INVALID',
    kms: 'AccessDeniedException',
    message: 'Your role may not perform this operation',
  },
  TOO_MANY_SESSIONS: {
    status: 429,
    ckr: 'CKR_SESSION_COUNT',
    kms: 'LimitExceededException',
    message: 'Too many open sessions for this user',
  },
  SESSION_OBJECT_NOT_HERE: {
    status: 409,
    ckr: 'CKR_OBJECT_HANDLE_INVALID',
    kms: 'NotFoundException',
    message: 'A session object of this session that this node does not hold: it lives only on the node that made it',
  },
  USER_EXISTS: {
    status: 409,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'AlreadyExistsException',
    message: 'A user with that name already exists',
  },
  USER_NOT_FOUND: { status: 404, ckr: 'CKR_USER_TYPE_INVALID', kms: 'NotFoundException', message: 'No such user' },
  USERNAME_INVALID: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'ValidationException',
    message: 'Usernames are 1 to 31 characters: letters, digits and underscore (case-insensitive)',
  },
  PASSWORD_INVALID: {
    status: 400,
    ckr: 'CKR_PIN_LEN_RANGE',
    kms: 'ValidationException',
    message: 'Passwords are 8 to 128 printable characters',
  },
  LAST_ADMIN: {
    status: 409,
    ckr: 'CKR_ACTION_PROHIBITED',
    kms: 'KMSInvalidStateException',
    message: 'The last admin cannot be deleted',
  },
  USER_OWNS_KEYS: {
    status: 409,
    ckr: 'CKR_ACTION_PROHIBITED',
    kms: 'KMSInvalidStateException',
    message: 'The user still owns keys, has keys shared with it, or has access keys; delete or unshare them first',
  },
  // MFA and quorum
  MFA_REQUIRED: {
    status: 401,
    ckr: 'CKR_PIN_INCORRECT',
    kms: 'AccessDeniedException',
    message: 'This user has MFA: sign the challenge and send the request again with its signature',
  },
  PUBLIC_KEY_INVALID: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'ValidationException',
    message: 'The public key must be a PEM RSA key of at least 2048 bits or an EC P-256 key',
  },
  CHALLENGE_INVALID: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'ValidationException',
    message: 'The challenge is unknown, expired, used, or not yours, or its signature does not verify',
  },
  QUORUM_REQUIRED: {
    status: 403,
    ckr: 'CKR_ACTION_PROHIBITED',
    kms: 'AccessDeniedException',
    message: 'This operation needs quorum approval: give an approved quorum token',
  },
  QUORUM_TOKEN_INVALID: {
    status: 403,
    ckr: 'CKR_ACTION_PROHIBITED',
    kms: 'AccessDeniedException',
    message: 'The quorum token is unknown, expired, used, or not for this service or session',
  },
  QUORUM_APPROVALS_INSUFFICIENT: {
    status: 403,
    ckr: 'CKR_ACTION_PROHIBITED',
    kms: 'AccessDeniedException',
    message: 'The quorum token has fewer valid approvals than the quorum value',
  },
  QUORUM_VALUE_INVALID: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'ValidationException',
    message: 'Quorum values are 1 to 8, within the approvers there are, and the user value below the quorum value',
  },
  TOO_MANY_TOKENS: {
    status: 429,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'LimitExceededException',
    message: 'Too many live quorum tokens (1,024)',
  },

  // Keys and mechanisms
  KEY_NOT_FOUND: {
    status: 404,
    ckr: 'CKR_OBJECT_HANDLE_INVALID',
    kms: 'NotFoundException',
    message: 'No such key, or it is not yours to use',
  },
  KEY_TYPE_INCONSISTENT: {
    status: 400,
    ckr: 'CKR_KEY_TYPE_INCONSISTENT',
    kms: 'InvalidKeyUsageException',
    message: 'The key type does not fit this mechanism',
  },
  KEY_FUNCTION_NOT_PERMITTED: {
    status: 403,
    ckr: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
    kms: 'InvalidKeyUsageException',
    message: 'The key attributes do not allow this operation',
  },
  KEY_SIZE_RANGE: {
    status: 400,
    ckr: 'CKR_KEY_SIZE_RANGE',
    kms: 'ValidationException',
    message: 'The key size is outside the supported range',
  },
  MECHANISM_INVALID: {
    status: 400,
    ckr: 'CKR_MECHANISM_INVALID',
    kms: 'ValidationException',
    message: 'The mechanism or key type is not supported',
  },
  MECHANISM_PARAM_INVALID: {
    status: 400,
    ckr: 'CKR_MECHANISM_PARAM_INVALID',
    kms: 'ValidationException',
    message: 'The mechanism parameters are invalid',
  },
  IV_NOT_ALLOWED: {
    status: 403,
    ckr: 'CKR_MECHANISM_PARAM_INVALID',
    kms: 'ValidationException',
    message:
      'The node makes the IV on encrypt: a caller IV needs the cluster policy allowCallerIv and a key that may also decrypt',
  },
  ATTRIBUTE_TYPE_INVALID: {
    status: 400,
    ckr: 'CKR_ATTRIBUTE_TYPE_INVALID',
    kms: 'ValidationException',
    message: 'No such attribute for this kind of key',
  },
  ATTRIBUTE_VALUE_INVALID: {
    status: 400,
    ckr: 'CKR_ATTRIBUTE_VALUE_INVALID',
    kms: 'ValidationException',
    message: 'The attribute value is invalid',
  },
  ATTRIBUTE_READ_ONLY: {
    status: 403,
    ckr: 'CKR_ATTRIBUTE_READ_ONLY',
    kms: 'ValidationException',
    message: 'The attribute cannot be set or changed this way',
  },
  TEMPLATE_INCONSISTENT: {
    status: 400,
    ckr: 'CKR_TEMPLATE_INCONSISTENT',
    kms: 'ValidationException',
    message: 'The attributes contradict each other (a key is a wrapping key or a data key, never both)',
  },
  TEMPLATE_INCOMPLETE: {
    status: 400,
    ckr: 'CKR_TEMPLATE_INCOMPLETE',
    kms: 'ValidationException',
    message: 'The template lacks an attribute this object needs',
  },
  ACTION_PROHIBITED: {
    status: 403,
    ckr: 'CKR_ACTION_PROHIBITED',
    kms: 'UnsupportedOperationException',
    message: 'This object does not allow the action (keys are never copied)',
  },
  ATTRIBUTE_SENSITIVE: {
    status: 403,
    ckr: 'CKR_ATTRIBUTE_SENSITIVE',
    kms: 'AccessDeniedException',
    message: 'The attribute is sensitive and cannot be read',
  },
  KEY_SHARE_INVALID: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'ValidationException',
    message: 'A key is shared only with another crypto user, never with its owner',
  },
  KEY_SHARE_LIMIT: {
    status: 409,
    ckr: 'CKR_ACTION_PROHIBITED',
    kms: 'LimitExceededException',
    message: 'The key is already shared with the most users allowed (31)',
  },
  ALIAS_NOT_FOUND: {
    status: 404,
    ckr: 'CKR_OBJECT_HANDLE_INVALID',
    kms: 'NotFoundException',
    message: 'No such alias, or its key is not yours',
  },
  ALIAS_EXISTS: {
    status: 409,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'AlreadyExistsException',
    message: 'The alias name is taken by a key you do not own',
  },
  DATA_LEN_RANGE: {
    status: 400,
    ckr: 'CKR_DATA_LEN_RANGE',
    kms: 'ValidationException',
    message: 'The input is too long or too short for this operation',
  },
  ENCRYPTED_DATA_INVALID: {
    status: 400,
    ckr: 'CKR_ENCRYPTED_DATA_INVALID',
    kms: 'InvalidCiphertextException',
    message: 'The ciphertext or its authentication tag is invalid',
  },
  OPERATION_NOT_INITIALIZED: {
    status: 404,
    ckr: 'CKR_OPERATION_NOT_INITIALIZED',
    kms: 'ValidationException',
    message: 'No such multi-part operation in this session (it ended, failed, or belongs to another session)',
  },
  TOO_MANY_OPERATIONS: {
    status: 429,
    ckr: 'CKR_OPERATION_ACTIVE',
    kms: 'LimitExceededException',
    message: 'Too many multi-part operations open in this session',
  },
  MEMORY_BUDGET_EXCEEDED: {
    status: 429,
    ckr: 'CKR_DEVICE_MEMORY',
    kms: 'LimitExceededException',
    message: 'The multi-part data held for this user or this node is at its limit',
  },
  SIGNATURE_INVALID: {
    status: 400,
    ckr: 'CKR_SIGNATURE_INVALID',
    kms: 'KMSInvalidSignatureException',
    message: 'The signature does not verify',
  },
  KEY_UNEXTRACTABLE: {
    status: 403,
    ckr: 'CKR_KEY_UNEXTRACTABLE',
    kms: 'UnsupportedOperationException',
    message: 'The key is not extractable, so it cannot be wrapped',
  },
  KEY_NOT_WRAPPABLE: {
    status: 403,
    ckr: 'CKR_KEY_NOT_WRAPPABLE',
    kms: 'UnsupportedOperationException',
    message:
      'The key cannot be wrapped this way (wrap-with-trusted needs a trusted wrapping key; public keys are exported)',
  },
  WRAPPED_KEY_INVALID: {
    status: 400,
    ckr: 'CKR_WRAPPED_KEY_INVALID',
    kms: 'InvalidCiphertextException',
    message: 'The wrapped key does not unwrap to a key of the stated class and type',
  },
  IMPORT_NOT_ALLOWED: {
    status: 403,
    ckr: 'CKR_ACTION_PROHIBITED',
    kms: 'UnsupportedOperationException',
    message: 'The cluster policy does not allow importing secret or private key values in plaintext',
  },

  // The XKS proxy API (src/xks/) and its key stores; src/xks/xks-errors.ts gives each code its XKS error name
  XKS_AUTHENTICATION_FAILED: {
    status: 401,
    ckr: 'CKR_GENERAL_ERROR',
    kms: 'UnrecognizedClientException',
    message:
      'The request is not SigV4-signed (kms-xks-proxy) by a credential of an XKS key store, or lacks its client certificate',
  },
  XKS_URI_PATH_INVALID: {
    status: 404,
    ckr: 'CKR_FUNCTION_NOT_SUPPORTED',
    kms: 'UnsupportedOperationException',
    message: "No XKS proxy API at this path, or not under the path prefix of the signing credential's key store",
  },
  XKS_METHOD_NOT_ALLOWED: {
    status: 405,
    ckr: 'CKR_FUNCTION_NOT_SUPPORTED',
    kms: 'UnsupportedOperationException',
    message: 'The XKS proxy APIs are called with POST',
  },
  XKS_KEY_STORE_NOT_FOUND: {
    status: 404,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'NotFoundException',
    message: 'No such XKS key store',
  },
  XKS_KEY_STORE_EXISTS: {
    status: 409,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'AlreadyExistsException',
    message: 'An XKS key store with that id or path prefix exists',
  },
  XKS_KEY_STORE_NOT_EMPTY: {
    status: 409,
    ckr: 'CKR_ACTION_PROHIBITED',
    kms: 'KMSInvalidStateException',
    message: 'The XKS key store still exposes keys: unexpose them first',
  },
  XKS_KEY_STORE_USER_INVALID: {
    status: 400,
    ckr: 'CKR_USER_TYPE_INVALID',
    kms: 'ValidationException',
    message: 'An XKS key store acts as an existing crypto user',
  },
  XKS_LIMIT: {
    status: 409,
    ckr: 'CKR_ACTION_PROHIBITED',
    kms: 'LimitExceededException',
    message: 'At most 100 XKS key stores, 10,000 keys a store, and one or two SigV4 credentials a store',
  },
  XKS_KEY_EXPOSED: {
    status: 409,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'AlreadyExistsException',
    message: 'The external key id is taken in this XKS key store, or the key is exposed in it already',
  },
  XKS_KEY_NOT_ELIGIBLE: {
    status: 400,
    ckr: 'CKR_KEY_TYPE_INCONSISTENT',
    kms: 'ValidationException',
    message:
      "Only a stored AES-256 key that may encrypt and decrypt, owned by or shared with the store's user, can be exposed",
  },
  XKS_KEY_NOT_ENABLED: {
    status: 403,
    ckr: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
    kms: 'DisabledException',
    message: 'The key is disabled or outside its start and end dates',
  },
  // The KMS-compatible API (AWS JSON 1.1, SigV4)
  SIGV4_INCOMPLETE: {
    status: 401,
    ckr: 'CKR_USER_NOT_LOGGED_IN',
    kms: 'IncompleteSignatureException',
    message: 'The request is not signed with AWS Signature Version 4 (AWS4-HMAC-SHA256) as this API requires',
  },
  ACCESS_KEY_UNRECOGNIZED: {
    status: 401,
    ckr: 'CKR_USER_NOT_LOGGED_IN',
    kms: 'UnrecognizedClientException',
    message: 'The access key is unknown or not active',
  },
  SIGV4_SIGNATURE_INVALID: {
    status: 401,
    ckr: 'CKR_USER_NOT_LOGGED_IN',
    kms: 'InvalidSignatureException',
    message: "The request signature does not match, or it is dated more than 5 minutes from the node's clock",
  },
  ACCESS_KEY_NOT_FOUND: {
    status: 404,
    ckr: 'CKR_USER_TYPE_INVALID',
    kms: 'NotFoundException',
    message: 'No such access key, or it is not yours to manage',
  },
  ACCESS_KEY_LIMIT: {
    status: 409,
    ckr: 'CKR_FUNCTION_FAILED',
    kms: 'LimitExceededException',
    message: 'A user has at most 2 access keys: delete one first',
  },
  KMS_OPERATION_UNSUPPORTED: {
    status: 400,
    ckr: 'CKR_FUNCTION_NOT_SUPPORTED',
    kms: 'UnsupportedOperationException',
    message: 'Coffer does not support this KMS operation or option',
  },
  KMS_KEY_DISABLED: {
    status: 403,
    ckr: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
    kms: 'DisabledException',
    message: 'The KMS key is disabled',
  },
  KMS_INVALID_STATE: {
    status: 409,
    ckr: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
    kms: 'KMSInvalidStateException',
    message: "The KMS key's state does not allow this operation",
  },
  KMS_INCORRECT_KEY: {
    status: 400,
    ckr: 'CKR_ENCRYPTED_DATA_INVALID',
    kms: 'IncorrectKeyException',
    message: 'The ciphertext was made under another KMS key than the one named',
  },
  KMS_CIPHERTEXT_INVALID: {
    status: 400,
    ckr: 'CKR_ENCRYPTED_DATA_INVALID',
    kms: 'InvalidCiphertextException',
    message: 'The ciphertext blob is malformed or altered, or its encryption context differs',
  },
  KMS_IMPORT_TOKEN_INVALID: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'InvalidImportTokenException',
    message: 'The import token is not the one GetParametersForImport last returned for this key',
  },
  KMS_IMPORT_TOKEN_EXPIRED: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'ExpiredImportTokenException',
    message: 'The import token and its wrapping key have expired: call GetParametersForImport again',
  },
  KMS_KEY_MATERIAL_INCORRECT: {
    status: 400,
    ckr: 'CKR_WRAPPED_KEY_INVALID',
    kms: 'IncorrectKeyMaterialException',
    message: "The key material does not fit the KMS key's spec, or is not the material first imported into it",
  },
  KMS_MAC_INVALID: {
    status: 400,
    ckr: 'CKR_SIGNATURE_INVALID',
    kms: 'KMSInvalidMacException',
    message: 'The MAC does not verify',
  },
  KMS_GRANT_NOT_FOUND: {
    status: 404,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'NotFoundException',
    message: 'No such grant on this key, or it is not yours to retire',
  },
  KMS_GRANT_TOKEN_INVALID: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'InvalidGrantTokenException',
    message: 'The grant token is not one CreateGrant returned',
  },
  KMS_ALIAS_NAME_INVALID: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'InvalidAliasNameException',
    message: 'Alias names are alias/ and 1 to 64 letters, digits, /, _ and -, never alias/aws/',
  },
  KMS_MARKER_INVALID: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'InvalidMarkerException',
    message: 'The Marker is not one a listing returned',
  },
  KMS_TAG_INVALID: {
    status: 400,
    ckr: 'CKR_ARGUMENTS_BAD',
    kms: 'TagException',
    message: 'Tag keys are 1 to 128 characters and values up to 256, at most 50 tags a key, no aws: prefix',
  },
} as const satisfies Record<string, ErrorSpec>;

export interface ErrorSpec {
  readonly status: number;
  readonly ckr: string;
  /** The exception the KMS-compatible API answers (src/errors/kms-exceptions.ts). */
  readonly kms: KmsException;
  readonly message: string;
}

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERRORS, value);
}
