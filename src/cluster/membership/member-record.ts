/**
 * A live node's record: `members/<nodeId>`, written by the node itself under a lease it keeps
 * alive, so the record vanishes when the node stops renewing (crash, partition, removal).
 *
 * Plain JSON, not sealed: a sealed node must publish that it is sealed, and must read its peers'
 * records to find one to unseal from, before it holds any barrier key. Nothing in it is secret
 * (what `GET /v1/health` tells anyone who connects), and nothing is trusted for security: a peer
 * found here is believed only once its TLS certificate proves it is a node of this cluster.
 */
import { CofferError } from '../../errors/coffer-error.js';
import { NODE_ID } from '../../pki/index.js';

export const MEMBER_PREFIX = 'members/';

/** 'ok': serving and renewing. 'degraded': its store renewals fail or lag (it re-registered). */
export type MemberHealth = 'ok' | 'degraded';

export interface MemberLoad {
  /** Requests being served now. */
  readonly inFlight: number;
  /** Requests per second over the last minute. */
  readonly ratePerSecond: number;
}

export interface MemberRecord {
  readonly formatVersion: 1;
  readonly nodeId: string;
  readonly zone?: string;
  /** The URL clients and peers reach the node at. */
  readonly url: string;
  readonly version: string;
  readonly sealed: boolean;
  readonly health: MemberHealth;
  readonly load: MemberLoad;
  /** The lease the record lives under (removal revokes it). */
  readonly lease: string;
  readonly startedAt: string;
  readonly updatedAt: string;
}

/** Whether a zone label is well-formed: what an operator types (`eu-west-1a`, `rack-3`). */
export const ZONE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function memberPath(nodeId: string): string {
  return MEMBER_PREFIX + nodeId;
}

export function encodeMember(record: MemberRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

/** A record as another node wrote it: checked field by field; a malformed one is not a member. */
export function decodeMember(value: Buffer): MemberRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Partial<Record<keyof MemberRecord, unknown>>;
  const load = record.load as Partial<Record<keyof MemberLoad, unknown>> | undefined;
  const valid =
    record.formatVersion === 1 &&
    typeof record.nodeId === 'string' &&
    NODE_ID.test(record.nodeId) &&
    (record.zone === undefined || (typeof record.zone === 'string' && ZONE.test(record.zone))) &&
    typeof record.url === 'string' &&
    isHttpsUrl(record.url) &&
    typeof record.version === 'string' &&
    typeof record.sealed === 'boolean' &&
    (record.health === 'ok' || record.health === 'degraded') &&
    typeof load === 'object' &&
    load !== null &&
    isCount(load.inFlight) &&
    typeof load.ratePerSecond === 'number' &&
    load.ratePerSecond >= 0 &&
    typeof record.lease === 'string' &&
    typeof record.startedAt === 'string' &&
    typeof record.updatedAt === 'string';
  return valid ? (parsed as MemberRecord) : undefined;
}

export function checkZone(zone: unknown, field: string): string | undefined {
  if (zone === undefined) return undefined;
  if (typeof zone !== 'string' || !ZONE.test(zone))
    throw new CofferError('INVALID_FIELD', `${field} must be 1 to 63 letters, digits, '.', '_' or '-'`);
  return zone;
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
