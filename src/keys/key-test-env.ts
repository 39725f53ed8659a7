import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditReader } from '../audit/audit-reader.js';
import type { AuditEvent } from '../audit/audit-event.js';
import { Barrier, KEYRING_PATH } from '../barrier/barrier.js';
import type { Role } from '../identity/roles.js';
import type { Session } from '../identity/sessions.js';
import { encodeUser, userPath } from '../identity/user-record.js';
import type { KeyRecord } from '../objects/key-record.js';
import { RecordReader } from '../records/record-reader.js';
import { RecordWriter } from '../records/record-writer.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { AliasService } from './key-aliases.js';
import { KeyAttributeService } from './key-attributes.js';
import { KeyRepository } from './key-repository.js';
import { KeyService } from './key-service.js';
import { KeySharingService, roleLookup } from './key-sharing.js';

/**
 * A real SQLite store behind a real barrier and writer, with the key services on top, for the
 * unit tests of key-attributes, key-sharing and key-aliases (test support, not shipped code).
 */
export interface KeyTestEnv {
  readonly store: SqliteStore;
  readonly reader: RecordReader;
  readonly writer: RecordWriter;
  readonly repository: KeyRepository;
  readonly keys: KeyService;
  readonly attributes: KeyAttributeService;
  readonly sharing: KeySharingService;
  readonly aliases: AliasService;
  /** A session for a user, created in the store with that role. */
  user(username: string, role?: Role): Promise<Session>;
  /** An AES key owned by `owner`. */
  aes(owner: Session, label?: string, id?: string): Promise<KeyRecord>;
  /** Every audit event so far. */
  events(): Promise<AuditEvent[]>;
  /** Runs `action` and returns the audit events it appended. */
  eventsOf(action: () => Promise<unknown>): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

export async function keyTestEnv(): Promise<KeyTestEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-keys-'));
  const store = await openSqliteStore(join(dir, 'state.db'));
  const rootKey = randomBytes(32);
  const created = await store.txn(
    [{ key: KEYRING_PATH, modRevision: 0 }],
    [Barrier.initialKeyring(rootKey, { clusterId: 'c', mode: 'dev' }, new Date())],
  );
  assert.ok(created.succeeded);
  const barrier = new Barrier(store);
  await barrier.unseal(rootKey);
  const reader = new RecordReader(store, barrier);
  const writer = new RecordWriter(store, barrier, 'node-1');
  const repository = new KeyRepository(store, barrier, reader);
  const keys = new KeyService({ repository, writer });
  const admin = { keys, repository, writer };
  const audit = new AuditReader(reader);
  const events = async () => (await audit.list(0, 1000)).events;
  let sessionCount = 0;
  return {
    store,
    reader,
    writer,
    repository,
    keys,
    attributes: new KeyAttributeService(admin),
    sharing: new KeySharingService({ ...admin, roleOf: roleLookup(reader) }),
    aliases: new AliasService({
      directory: repository.aliases,
      keys,
      load: (handle) => repository.load(handle),
      writer,
    }),
    async user(username, role = 'crypto-user') {
      const now = new Date().toISOString();
      await writer.commit({
        changes: [
          {
            type: 'put',
            path: userPath(username),
            kind: 'user',
            plaintext: encodeUser({ username, role, failedLogins: 0, locked: false, createdAt: now, updatedAt: now }),
          },
        ],
        event: { actor: 'system', action: 'user.create', target: userPath(username), result: 'success' },
      });
      return { id: `s${++sessionCount}`, username, role, createdAt: Date.now(), lastUsedAt: Date.now() };
    },
    async aes(owner, label = 'k', id) {
      return keys.generateSymmetric(
        owner,
        { keyType: 'aes', lengthBytes: 32 },
        { label, ...(id === undefined ? {} : { id }) },
      );
    },
    events,
    async eventsOf(action) {
      const before = (await events()).length;
      await action().catch(() => undefined);
      return (await events()).slice(before);
    },
    async close() {
      repository.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
