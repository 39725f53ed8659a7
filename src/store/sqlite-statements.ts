/**
 * Every SQL statement the SQLite store runs, in one place so that a test can EXPLAIN each one
 * and prove it searches a key or an index instead of scanning a table.
 */

/** The hot path: each one searches the primary key. */
export const SQL = {
  getEntry: `SELECT key, create_revision, mod_revision, value FROM kv WHERE key = ?`,
  getModRevision: `SELECT mod_revision FROM kv WHERE key = ?`,
  // The upsert keeps create_revision on update, as etcd does; a put without a lease detaches.
  putEntry: `INSERT INTO kv (key, create_revision, mod_revision, op_index, lease, value) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET mod_revision = excluded.mod_revision, op_index = excluded.op_index,
             lease = excluded.lease, value = excluded.value`,
  // Before a put or a delete replaces a version, the version goes to the history:
  // (superseded_revision, superseded_op_index, deleted, key).
  archiveEntry: `INSERT INTO kv_history (key, mod_revision, create_revision, op_index, superseded_revision,
                 superseded_op_index, deleted, value)
                 SELECT key, mod_revision, create_revision, op_index, ?, ?, ?, value FROM kv WHERE key = ?`,
  deleteEntry: `DELETE FROM kv WHERE key = ?`,
  getMeta: `SELECT value FROM meta WHERE name = ?`,
  setMeta: `UPDATE meta SET value = ? WHERE name = ?`,
  getLease: `SELECT id, ttl_seconds FROM lease WHERE id = ?`,
  deleteLease: `DELETE FROM lease WHERE id = ?`,
} as const;

/** Statements off the hot path; each searches an index. */
export const INDEXED_SQL = {
  // Compaction: the versions no revision at or after the compaction revision can see.
  compact: `DELETE FROM kv_history WHERE superseded_revision <= ?`,
  leaseKeys: `SELECT key FROM kv WHERE lease = ? AND lease != 0 ORDER BY key`,
  insertLease: `INSERT INTO lease (id, ttl_seconds) VALUES (?, ?)`,
  allLeases: `SELECT id, ttl_seconds FROM lease WHERE id > 0`,
} as const;

/** The variants of a range query: each is a separate prepared statement. */
export interface RangeShape {
  /** True when the lower bound is a cursor (exclusive), false for a prefix (inclusive). */
  readonly afterCursor: boolean;
  /** False for the empty prefix and for a prefix with no upper bound. */
  readonly bounded: boolean;
  readonly keysOnly: boolean;
  /** True for a page at an earlier revision: the versions live then, from kv and kv_history. */
  readonly atRevision: boolean;
}

export interface RangeBounds {
  readonly lower: string;
  readonly upper: string | undefined;
  readonly revision: number;
  readonly limit: number;
}

function keyBounds(shape: RangeShape): string {
  const lower = shape.afterCursor ? `key > ?` : `key >= ?`;
  return shape.bounded ? `${lower} AND key < ?` : lower;
}

/**
 * A range page; rangeParams gives its parameters. Bounds compare with SQLite's BINARY
 * collation, which is UTF-8 byte order. At a revision, each key has at most one version live
 * then, so the union holds each key once; both halves read in key order and merge.
 */
export function rangeSql(shape: RangeShape): string {
  const columns = shape.keysOnly ? `key, create_revision, mod_revision` : `key, create_revision, mod_revision, value`;
  if (!shape.atRevision) return `SELECT ${columns} FROM kv WHERE ${keyBounds(shape)} ORDER BY key LIMIT ?`;
  return (
    `SELECT ${columns} FROM kv WHERE ${keyBounds(shape)} AND mod_revision <= ?` +
    ` UNION ALL SELECT ${columns} FROM kv_history WHERE ${keyBounds(shape)} AND mod_revision <= ?` +
    ` AND superseded_revision > ? ORDER BY key LIMIT ?`
  );
}

export function rangeParams(shape: RangeShape, bounds: RangeBounds): unknown[] {
  const keys = shape.bounded ? [bounds.lower, bounds.upper] : [bounds.lower];
  if (!shape.atRevision) return [...keys, bounds.limit];
  return [...keys, bounds.revision, ...keys, bounds.revision, bounds.revision, bounds.limit];
}

export const RANGE_SHAPES: readonly RangeShape[] = [false, true].flatMap((atRevision) =>
  [false, true].flatMap((afterCursor) =>
    [false, true].flatMap((bounded) =>
      [false, true].map((keysOnly) => ({ afterCursor, bounded, keysOnly, atRevision })),
    ),
  ),
);

/**
 * The changes after a revision under a prefix, for a watch that starts there: the puts (live
 * or superseded versions written after it) and the deletes (versions a delete superseded after
 * it), in commit order. Parameters: (after, lower[, upper]) three times.
 */
export function replaySql(bounded: boolean): string {
  const keys = bounded ? `key >= ? AND key < ?` : `key >= ?`;
  return (
    `SELECT 'put' AS type, key, mod_revision AS revision, op_index, value FROM kv WHERE mod_revision > ? AND ${keys}` +
    ` UNION ALL SELECT 'put', key, mod_revision, op_index, value FROM kv_history WHERE mod_revision > ? AND ${keys}` +
    ` UNION ALL SELECT 'delete', key, superseded_revision, superseded_op_index, X'' FROM kv_history` +
    ` WHERE superseded_revision > ? AND deleted = 1 AND ${keys}` +
    ` ORDER BY revision, op_index`
  );
}

export function replayParams(after: number, lower: string, upper: string | undefined): unknown[] {
  const keys = upper === undefined ? [lower] : [lower, upper];
  return [after, ...keys, after, ...keys, after, ...keys];
}
