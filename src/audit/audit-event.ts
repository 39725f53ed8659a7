import { createHash } from 'node:crypto';
import type { ErrorCode } from '../errors/registry.js';
import { canonicalJson, type JsonValue } from '../util/canonical-json.js';

/**
 * One audit event. Details hold identifiers and counts, never secrets: the writer of an event
 * chooses its fields explicitly, nothing is copied from a request body.
 */
export interface AuditEventInput {
  /** The username, or 'anonymous' before login, or 'system' for the node itself. */
  readonly actor: string;
  /** A dotted verb: 'session.login', 'user.create', 'key.generate', 'cluster.unseal' … */
  readonly action: string;
  /** What was acted on: 'user/alice', 'key/0x…'. */
  readonly target?: string;
  readonly result: 'success' | 'failure';
  /** The error code of a refusal. */
  readonly code?: ErrorCode;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export interface AuditEvent extends AuditEventInput {
  /** Gap-free, cluster-wide, starting at 1. */
  readonly seq: number;
  readonly time: string;
  readonly node: string;
  readonly prevHash: string;
  readonly hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** hash = SHA-256(previous hash ‖ canonical event without its hash). */
export function chainHash(event: Omit<AuditEvent, 'hash'>): string {
  const body = canonicalJson(event as unknown as JsonValue);
  return createHash('sha256').update(Buffer.from(event.prevHash, 'hex')).update(body, 'utf8').digest('hex');
}
