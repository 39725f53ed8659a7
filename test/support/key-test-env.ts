import { AuditReader } from '../../src/audit/audit-reader.js';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import type { Role } from '../../src/identity/roles.js';
import type { Session } from '../../src/identity/sessions.js';
import { encodeUser, userPath } from '../../src/identity/user-record.js';
import type { KeyRecord } from '../../src/objects/key-record.js';
import type { RecordReader } from '../../src/records/record-reader.js';
import { openTestStore } from './test-store.js';
import { RecordWriter } from '../../src/records/record-writer.js';
import { type SqliteStore } from '../../src/store/sqlite-store.js';
import { AliasService } from '../../src/keys/key-aliases.js';
import { KeyAttributeService } from '../../src/keys/key-attributes.js';
import { KeyRepository } from '../../src/keys/key-repository.js';
import { KeyService } from '../../src/keys/key-service.js';
import { KeySharingService, roleLookup } from '../../src/keys/key-sharing.js';

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
  const base = await openTestStore('coffer-keys-');
  const { store, barrier, reader, writer } = base;
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
      await base.close();
    },
  };
}
