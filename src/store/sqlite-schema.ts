/**
 * The SQLite store's schema and its migrations. The schema version lives in the meta table;
 * MIGRATIONS[i] takes a database from version i to i + 1, so a later release appends a step
 * and every older file is brought forward on open.
 */
import type { Database } from 'better-sqlite3';
import { CofferError } from '../errors/coffer-error.js';

type Migration = (db: Database) => void;

const MIGRATIONS: readonly Migration[] = [
  (db) => {
    // WITHOUT ROWID: the key is the table's own b-tree, so a range page reads rows in key order
    // with no second lookup. value is last so keysOnly reads stop before its overflow pages.
    db.exec(`
      CREATE TABLE kv (
        key TEXT PRIMARY KEY NOT NULL,
        create_revision INTEGER NOT NULL,
        mod_revision INTEGER NOT NULL,
        value BLOB NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE meta (
        name TEXT PRIMARY KEY NOT NULL,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO meta (name, value) VALUES ('revision', 0), ('schema_version', 0);
    `);
  },
  (db) => {
    // History, as etcd keeps it: every version a put or a delete superseded, until compaction.
    // A range at revision R reads kv rows written at or before R plus the versions live at R
    // here; a watch from revision F replays the puts and deletes after F from both tables, in
    // (revision, op_index) order. Leases: the key's lease (0: none) and the granted TTLs.
    db.exec(`
      ALTER TABLE kv ADD COLUMN op_index INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE kv ADD COLUMN lease INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX kv_by_mod_revision ON kv (mod_revision);
      CREATE INDEX kv_by_lease ON kv (lease) WHERE lease != 0;
      CREATE TABLE kv_history (
        key TEXT NOT NULL,
        mod_revision INTEGER NOT NULL,
        create_revision INTEGER NOT NULL,
        op_index INTEGER NOT NULL,
        superseded_revision INTEGER NOT NULL,
        superseded_op_index INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (key, mod_revision)
      ) WITHOUT ROWID;
      CREATE INDEX kv_history_by_superseded ON kv_history (superseded_revision);
      CREATE INDEX kv_history_by_mod_revision ON kv_history (mod_revision);
      CREATE TABLE lease (
        id INTEGER PRIMARY KEY NOT NULL,
        ttl_seconds INTEGER NOT NULL
      );
      -- No history was kept before: the revisions up to now count as compacted.
      INSERT INTO meta (name, value) SELECT 'compact_revision', value FROM meta WHERE name = 'revision';
    `);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

function currentVersion(db: Database): number {
  const hasMeta = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'`).get();
  if (hasMeta === undefined) return 0;
  const row = db.prepare(`SELECT value FROM meta WHERE name = 'schema_version'`).get() as { value: number } | undefined;
  return row?.value ?? 0;
}

/** Brings the database to SCHEMA_VERSION in one transaction; refuses a newer file. */
export function migrate(db: Database): void {
  const run = db.transaction(() => {
    const from = currentVersion(db);
    if (from > SCHEMA_VERSION) {
      const detail = `state store schema ${from} is newer than this build supports (${SCHEMA_VERSION})`;
      throw new CofferError('INTERNAL_ERROR', detail);
    }
    for (let version = from; version < SCHEMA_VERSION; version++) {
      MIGRATIONS[version]?.(db);
    }
    if (from !== SCHEMA_VERSION) {
      db.prepare(`UPDATE meta SET value = ? WHERE name = 'schema_version'`).run(SCHEMA_VERSION);
    }
  });
  // IMMEDIATE: two processes opening a new file at once must not both create the tables.
  run.immediate();
}
