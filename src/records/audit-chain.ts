import { createHash } from 'node:crypto';
import type { ErrorCode } from '../errors/registry.js';
import { canonicalJson, type JsonValue } from '../util/canonical-json.js';

/**
 * The audit chain's link format. It lives with the writer because the writer appends every
 * link in the transaction of its change; reading, checkpoints, export and verify are in
 * src/audit/, which builds on this and never the other way round.
 */

/**
 * One audit event as a caller asks for it. Details hold identifiers and counts, never
 * secrets: the writer of an event chooses its fields explicitly, nothing is copied from a
 * request body.
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
  /**
   * The sealed record paths this event's transaction wrote and deleted (index entries aside:
   * they hold no value). Each record written carries this seq in its sealed header, so the
   * chain says which sealed value of a path is the current one. Absent when empty.
   */
  readonly put?: readonly string[];
  readonly deleted?: readonly string[];
  readonly prevHash: string;
  readonly hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

export const AUDIT_HEAD_PATH = 'audit/head';
export const AUDIT_EVENT_PREFIX = 'audit/event/';

export function auditEventPath(seq: number): string {
  return AUDIT_EVENT_PREFIX + String(seq).padStart(16, '0');
}

/** The head record: the last event of the chain. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** hash = SHA-256(previous hash ‖ canonical event without its hash). */
export function chainHash(event: Omit<AuditEvent, 'hash'>): string {
  const body = canonicalJson(event as unknown as JsonValue);
  return createHash('sha256').update(Buffer.from(event.prevHash, 'hex')).update(body, 'utf8').digest('hex');
}
