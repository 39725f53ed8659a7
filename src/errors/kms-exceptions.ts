/**
 * The exceptions of the AWS KMS API (JSON 1.1) that Coffer's KMS-compatible API answers, each
 * with the HTTP status KMS gives it. The error registry names one for every Coffer code (its
 * `kms` column); an answer is `{"__type": "<name>", "message": "…"}` with this status. The AWS
 * SDKs retry the 5xx ones.
 */
export const KMS_EXCEPTIONS = {
  AccessDeniedException: 400,
  AlreadyExistsException: 400,
  DisabledException: 400,
  IncompleteSignatureException: 400,
  IncorrectKeyException: 400,
  IncorrectKeyMaterialException: 400,
  InvalidAliasNameException: 400,
  InvalidArnException: 400,
  InvalidCiphertextException: 400,
  InvalidGrantIdException: 400,
  InvalidGrantTokenException: 400,
  InvalidImportTokenException: 400,
  ExpiredImportTokenException: 400,
  InvalidKeyUsageException: 400,
  InvalidMarkerException: 400,
  InvalidSignatureException: 400,
  KMSInternalException: 500,
  KMSInvalidMacException: 400,
  KMSInvalidSignatureException: 400,
  KMSInvalidStateException: 400,
  LimitExceededException: 400,
  NotFoundException: 400,
  SerializationException: 400,
  TagException: 400,
  ThrottlingException: 400,
  UnrecognizedClientException: 400,
  UnsupportedOperationException: 400,
  ValidationException: 400,
} as const satisfies Record<string, number>;

export type KmsException = keyof typeof KMS_EXCEPTIONS;
