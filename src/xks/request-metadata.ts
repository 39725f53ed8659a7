import type { AuditDetails } from '../operations/operation.js';

/**
 * The spec's requestMetadata (each API's request, and Appendix B): who called AWS KMS, for
 * which KMS key and operation, and KMS's request id, which the audit records so an AWS
 * CloudTrail entry can be matched to the node's event. KMS may add fields: they are accepted
 * and not recorded. No field is validated beyond its type and length (kmsRequestId is opaque).
 */
export const REQUEST_METADATA_FIELDS = [
  'awsPrincipalArn',
  'awsSourceVpc',
  'awsSourceVpce',
  'kmsKeyArn',
  'kmsOperation',
  'kmsRequestId',
  'kmsViaService',
] as const;

export type RequestMetadataField = (typeof REQUEST_METADATA_FIELDS)[number];
export type RequestMetadata = Partial<Record<RequestMetadataField, string>>;

/** ARNs are up to 2048 characters (the spec's limit for a proxy to support). */
const FIELD = { type: 'string', maxLength: 2048 } as const;

/** The requestMetadata object's schema, with the fields an API requires. */
export function requestMetadataSchema(required: readonly RequestMetadataField[]): object {
  return {
    type: 'object',
    properties: Object.fromEntries(REQUEST_METADATA_FIELDS.map((name) => [name, FIELD])),
    required,
    additionalProperties: true,
  };
}

/** The audit details of a request: its key store and external key, and the metadata as sent. */
export function metadataDetails(
  storeId: string,
  externalKeyId: string | undefined,
  metadata: RequestMetadata | undefined,
): AuditDetails {
  const details: Record<string, string> = { xksKeyStore: storeId };
  if (externalKeyId !== undefined) details.externalKeyId = externalKeyId;
  for (const name of REQUEST_METADATA_FIELDS) {
    const value = metadata?.[name];
    if (typeof value === 'string') details[name] = value;
  }
  return details;
}
