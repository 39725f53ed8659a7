/**
 * Every kind of sealed record, append-only: a stored kind is never renamed or reused, because
 * the kind is part of each record's additional data and renaming it would orphan the record.
 */
export const RECORD_KINDS = [
  'keyring',
  'cluster-ca',
  'user',
  'key',
  'audit-event',
  'audit-head',
  'key-version',
  'cluster-policy',
  'alias',
  'quorum-token',
  'quorum-values',
  'key-quorum',
  'audit-key',
  'audit-checkpoint',
  'key-usage',
  'object',
  'xks-key-store',
  'xks-credential',
  'xks-key',
  'access-key',
  'session',
  'challenge',
  'idempotency',
  'key-import',
] as const;

export type RecordKind = (typeof RECORD_KINDS)[number];
