import { requestMetadataSchema } from './request-metadata.js';

/**
 * The request bodies of the four XKS APIs (xks_proxy_api_spec.md), as JSON schemas: the fields
 * each API names, required as the spec requires them; binary fields are base64 text (decoded
 * strictly by the operations). Unknown top-level fields are refused (ValidationException).
 */
const base64 = { type: 'string' } as const;
const name = { type: 'string', maxLength: 64 } as const;

function body(properties: Record<string, object>, required: readonly string[]): object {
  return { type: 'object', additionalProperties: false, properties, required };
}

export const METADATA_BODY = body(
  { requestMetadata: requestMetadataSchema(['awsPrincipalArn', 'kmsOperation', 'kmsRequestId']) },
  ['requestMetadata'],
);

const CRYPTO_METADATA = requestMetadataSchema(['awsPrincipalArn', 'kmsKeyArn', 'kmsOperation', 'kmsRequestId']);

export const ENCRYPT_BODY = body(
  {
    requestMetadata: CRYPTO_METADATA,
    plaintext: base64,
    encryptionAlgorithm: name,
    additionalAuthenticatedData: base64,
    ciphertextDataIntegrityValueAlgorithm: name,
  },
  ['requestMetadata', 'plaintext', 'encryptionAlgorithm'],
);

export const DECRYPT_BODY = body(
  {
    requestMetadata: CRYPTO_METADATA,
    ciphertext: base64,
    ciphertextMetadata: base64,
    encryptionAlgorithm: name,
    additionalAuthenticatedData: base64,
    initializationVector: base64,
    authenticationTag: base64,
  },
  ['requestMetadata', 'ciphertext', 'encryptionAlgorithm', 'initializationVector', 'authenticationTag'],
);

/** GetHealthStatus takes no ValidationException (spec, Error codes): any JSON object is taken. */
export const HEALTH_BODY = { type: 'object' } as const;
