import { randomBytes } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json.js';

/** The services quorum protects (CloudHSM's service names). */
export const QUORUM_SERVICES = ['user', 'quorum', 'cluster', 'key-management', 'key-usage'] as const;
export type QuorumService = (typeof QUORUM_SERVICES)[number];
/** Services whose value is cluster-wide; the key services' values are set per key. */
export const CLUSTER_QUORUM_SERVICES = ['user', 'quorum', 'cluster'] as const satisfies readonly QuorumService[];
export type ClusterQuorumService = (typeof CLUSTER_QUORUM_SERVICES)[number];

export function isKeyService(service: QuorumService): service is 'key-management' | 'key-usage' {
  return service === 'key-management' || service === 'key-usage';
}

/** A quorum token as stored (sealed) at `quorum/token/<id>`. */
export interface QuorumTokenRecord {
  readonly id: string;
  readonly service: QuorumService;
  readonly requester: string;
  /** The requester's login session: the token serves only that session. */
  readonly sessionId: string;
  /** For key services, optionally the one key the token may serve. */
  readonly keyHandle?: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** What approvers sign (base64): canonical JSON naming all of the above and a nonce. */
  readonly approvalData: string;
}

/** An approval as the requester presents it: the token id and the approvers' signatures. */
export interface ApprovalInput {
  readonly token: string;
  readonly signatures: readonly { readonly username: string; readonly signature: string }[];
}

export const QUORUM_TOKEN_PREFIX = 'quorum/token/';
export const MAX_LIVE_TOKENS = 1024;
export const DEFAULT_TOKEN_LIFETIME_MS = 10 * 60_000;
export const MAX_QUORUM_VALUE = 8;

export function tokenPath(id: string): string {
  return QUORUM_TOKEN_PREFIX + id;
}

export function newToken(fields: Omit<QuorumTokenRecord, 'id' | 'approvalData'>): QuorumTokenRecord {
  const id = randomBytes(16).toString('hex');
  const signed = {
    format: 'coffer-quorum-approval-v1',
    token: id,
    service: fields.service,
    requester: fields.requester,
    ...(fields.keyHandle === undefined ? {} : { keyHandle: fields.keyHandle }),
    expiresAt: fields.expiresAt,
    nonce: randomBytes(16).toString('base64'),
  };
  return { id, ...fields, approvalData: Buffer.from(canonicalJson(signed), 'utf8').toString('base64') };
}

export function encodeToken(token: QuorumTokenRecord): Buffer {
  return Buffer.from(JSON.stringify(token), 'utf8');
}

export function decodeToken(bytes: Buffer): QuorumTokenRecord {
  return JSON.parse(bytes.toString('utf8')) as QuorumTokenRecord;
}
