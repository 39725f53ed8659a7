/**
 * Every SQL statement the SQLite store runs, in one place so that a test can EXPLAIN each one
 * and prove it searches the primary key instead of scanning the table.
 */

export const SQL = {
  getEntry: `SELECT key, create_revision, mod_revision, value FROM kv WHERE key = ?`,
  getModRevision: `SELECT mod_revision FROM kv WHERE key = ?`,
  // The upsert keeps create_revision on update, as etcd does.
  putEntry: `INSERT INTO kv (key, create_revision, mod_revision, value) VALUES (?, ?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET mod_revision = excluded.mod_revision, value = excluded.value`,
  deleteEntry: `DELETE FROM kv WHERE key = ?`,
  getRevision: `SELECT value FROM meta WHERE name = 'revision'`,
  setRevision: `UPDATE meta SET value = ? WHERE name = 'revision'`,
} as const;

/** The variants of a range query: each is a separate prepared statement. */
export interface RangeShape {
  /** True when the lower bound is a cursor (exclusive), false for a prefix (inclusive). */
  readonly afterCursor: boolean;
  /** False for the empty prefix and for a prefix with no upper bound. */
  readonly bounded: boolean;
  readonly keysOnly: boolean;
}

/**
 * A range page: parameters are (lower, upper, limit) when bounded, else (lower, limit).
 * Bounds compare with SQLite's BINARY collation, which is UTF-8 byte order.
 */
export function rangeSql(shape: RangeShape): string {
  const columns = shape.keysOnly ? `key, create_revision, mod_revision` : `key, create_revision, mod_revision, value`;
  const lower = shape.afterCursor ? `key > ?` : `key >= ?`;
  const upper = shape.bounded ? ` AND key < ?` : ``;
  return `SELECT ${columns} FROM kv WHERE ${lower}${upper} ORDER BY key LIMIT ?`;
}

export const RANGE_SHAPES: readonly RangeShape[] = [false, true].flatMap((afterCursor) =>
  [false, true].flatMap((bounded) => [false, true].map((keysOnly) => ({ afterCursor, bounded, keysOnly }))),
);
