import { AuditReader } from '../../src/audit/audit-reader.js';
import type { Barrier } from '../../src/barrier/barrier.js';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import type { Role } from '../../src/identity/roles.js';
import type { Session } from '../../src/identity/sessions.js';
import { encodeUser, userPath } from '../../src/identity/user-record.js';
import type { KeyRecord } from '../../src/objects/key-record.js';
import type { RecordReader } from '../../src/records/record-reader.js';
import { openTestStore } from './test-store.js';
import { RecordWriter } from '../../src/records/record-writer.js';
import { type SqliteStore } from '../../src/store/sqlite-store.js';
import type { AttributeChangeRequest } from '../../src/objects/attributes.js';
import { AliasService, type AliasSummary } from '../../src/keys/key-aliases.js';
import { KeyAttributeService } from '../../src/keys/key-attributes.js';
import { KeyRepository, type LoadedKey } from '../../src/keys/key-repository.js';
import type { KeyRole } from '../../src/keys/key-roles.js';
import { KeyService } from '../../src/keys/key-service.js';
import { KeySharingService, roleLookup } from '../../src/keys/key-sharing.js';
import { KeyUseGate } from '../../src/keys/key-use-gate.js';

/**
 * A real SQLite store behind a real barrier and writer, with the key services on top, for the
 * unit tests of key-attributes, key-sharing and key-aliases (test support, not shipped code).
 */
export interface KeyTestEnv {
  readonly store: SqliteStore;
  readonly barrier: Barrier;
  readonly reader: RecordReader;
  readonly writer: RecordWriter;
  readonly repository: KeyRepository;
  readonly gate: KeyUseGate;
  /** The key services as the operation registry calls them: each key through the gate first. */
  readonly keys: {
    generateSymmetric: KeyService['generateSymmetric'];
    list: KeyService['list'];
    get(session: Session, handle: string): Promise<KeyRecord>;
    visible(session: Session, handle: string): Promise<LoadedKey>;
    delete(session: Session, handle: string): Promise<void>;
  };
  readonly attributes: { set(session: Session, handle: string, request: AttributeChangeRequest): Promise<KeyRecord> };
  readonly sharing: {
    share(session: Session, handle: string, username: string): Promise<KeyRecord>;
    unshare(session: Session, handle: string, username: string): Promise<KeyRecord>;
  };
  readonly aliases: {
    put(session: Session, name: string, handle: string): Promise<AliasSummary>;
    list: AliasService['list'];
    delete: AliasService['delete'];
  };
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
  const gate = new KeyUseGate({ load: (handle) => repository.load(handle), aliases: repository.aliases, writer });
  const admin = { repository, writer };
  const attributes = new KeyAttributeService(admin);
  const sharing = new KeySharingService({ ...admin, roleOf: roleLookup(reader) });
  const aliases = new AliasService({
    directory: repository.aliases,
    gate,
    load: (handle) => repository.load(handle),
    writer,
  });
  const admit = (session: Session, handle: string, role: KeyRole, action: string) =>
    gate.admit(session, handle, role, { action });
  const audit = new AuditReader(reader);
  const events = async () => (await audit.list(0, 1000)).events;
  let sessionCount = 0;
  return {
    store,
    barrier,
    reader,
    writer,
    repository,
    gate,
    keys: {
      generateSymmetric: (...args) => keys.generateSymmetric(...args),
      list: (...args) => keys.list(...args),
      get: async (session, handle) => (await admit(session, handle, 'read', 'key.read-attributes')).record,
      visible: async (session, handle) => (await admit(session, handle, 'read', 'key.read-attributes')).loaded,
      delete: async (session, handle) => keys.delete(session, await admit(session, handle, 'manage', 'key.delete')),
    },
    attributes: {
      set: async (session, handle, request) =>
        attributes.set(session, await admit(session, handle, 'manage', 'key.set-attribute'), request),
    },
    sharing: {
      share: async (session, handle, username) =>
        sharing.share(session, await admit(session, handle, 'manage-stored', 'key.share'), username),
      unshare: async (session, handle, username) =>
        sharing.unshare(session, await admit(session, handle, 'manage-stored', 'key.unshare'), username),
    },
    aliases: {
      put: async (session, name, handle) =>
        aliases.put(session, name, await admit(session, handle, 'manage-stored', 'alias.create')),
      list: (session) => aliases.list(session),
      delete: (session, name) => aliases.delete(session, name),
    },
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
