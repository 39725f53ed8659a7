/** The Coffer TypeScript SDK: a cluster-aware client of the /v1 API. */
export { CofferClient, type CofferClientOptions, type LoginMfa, type MfaChallengeAnswer } from './client.js';
export * from './quorum-file.js';
export type { EndpointInput, EndpointSpec } from './endpoints.js';
export type { EndpointState } from './endpoint-pool.js';
export { IDEMPOTENT_ROUTES } from './idempotent-routes.js';
export type { KeyQuorumValues, QuorumServiceName, QuorumTokenSummary, RegistrationToken } from './quorum.js';
export type { KeyChangeConfirmation } from './users.js';
export { CofferSession } from './session.js';
export type * from './audit.js';
export { CofferApiError, CofferConnectionError, isCofferApiError } from './errors.js';
export * from './types.js';
export type {
  DeriveKeyRequest,
  ImportKeyRequest,
  KeyTransferParams,
  NewKeyTemplate,
  UnwrapKeyRequest,
  WrapKeyRequest,
} from './key-transfer.js';
export type { Alias, KeyAttributeChanges } from './key-admin.js';
export type * from './xks.js';
