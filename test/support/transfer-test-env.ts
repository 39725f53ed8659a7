import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { AuditReader } from '../../src/audit/audit-reader.js';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { mechanismOfKind } from '../../src/crypto/mechanisms/registry.js';
import type { DeriveMechanism, KeyClass, KeyType, Mechanism, WrapMechanism } from '../../src/crypto/types.js';
import { CofferError } from '../../src/errors/coffer-error.js';
import type { Session } from '../../src/identity/sessions.js';
import type { KeyRecord } from '../../src/objects/key-record.js';
import { openTestStore } from './test-store.js';
import { RecordWriter } from '../../src/records/record-writer.js';
import { type SqliteStore } from '../../src/store/sqlite-store.js';
import type { MechanismLookup } from '../../src/keys/key-rules.js';
import { KeyRepository } from '../../src/keys/key-repository.js';
import { KeyService } from '../../src/keys/key-service.js';
import { KeyUseGate } from '../../src/keys/key-use-gate.js';

/**
 * A real store for the unit tests of import, wrap, unwrap and derive: SQLite, an unsealed
 * barrier, the record writer with its audit chain, the key repository and service. Test
 * mechanisms stand in for the registry's so the rule tables are tested on their own.
 */
export interface TransferEnv {
  readonly store: SqliteStore;
  readonly repository: KeyRepository;
  readonly keys: KeyService;
  readonly writer: RecordWriter;
  readonly audit: AuditReader;
  readonly mechanisms: MechanismLookup;
  /** The key-use gate over this store, with the test mechanisms. */
  readonly gate: KeyUseGate;
  session(username: string): Session;
  /** Records a key with exactly these attributes (as an admin tool or a test would). */
  addKey(
    session: Session,
    key: KeyObject,
    keyClass: KeyClass,
    keyType: KeyType,
    attributes: KeyRecord['attributes'],
  ): Promise<KeyRecord>;
  ownedHandles(username: string): Promise<string[]>;
  events(): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

/** AES-256-GCM as a wrap mechanism: iv ‖ ciphertext ‖ tag. */
export const TEST_WRAP: WrapMechanism = {
  kind: 'wrap',
  name: 'TEST_WRAP',
  keyTypes: ['aes'],
  keyClasses: { wrap: 'secret', unwrap: 'secret' },
  async wrap(key, material) {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    return Buffer.concat([iv, cipher.update(material), cipher.final(), cipher.getAuthTag()]);
  },
  async unwrap(key, wrapped) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, wrapped.subarray(0, 12));
      decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
      return Buffer.concat([decipher.update(wrapped.subarray(12, wrapped.length - 16)), decipher.final()]);
    } catch {
      throw new CofferError('ENCRYPTED_DATA_INVALID');
    }
  },
};

/** HKDF-SHA256 over a secret key, with the salt and info given. */
export const TEST_DERIVE: DeriveMechanism = {
  kind: 'derive',
  name: 'TEST_DERIVE',
  keyTypes: ['aes'],
  keyClasses: { derive: 'secret' },
  async derive(key, params, lengthBytes) {
    const ikm = key.export();
    try {
      return Buffer.from(
        hkdfSync('sha256', ikm, params.salt ?? Buffer.alloc(0), params.info ?? Buffer.alloc(0), lengthBytes),
      );
    } finally {
      ikm.fill(0);
    }
  },
};

const testLookup = ((name: string, kind: Mechanism['kind']) => {
  if (kind === 'wrap' && name === TEST_WRAP.name) return TEST_WRAP;
  if (kind === 'derive' && name === TEST_DERIVE.name) return TEST_DERIVE;
  return mechanismOfKind(name, kind);
}) as MechanismLookup;

export async function transferEnv(): Promise<TransferEnv> {
  const base = await openTestStore('coffer-transfer-');
  const { store, barrier, reader, writer } = base;
  const repository = new KeyRepository(store, barrier, reader);
  const keys = new KeyService({ repository, writer });
  const audit = new AuditReader(reader);
  return {
    store,
    repository,
    keys,
    writer,
    audit,
    mechanisms: testLookup,
    gate: new KeyUseGate({
      load: (handle) => repository.load(handle),
      aliases: repository.aliases,
      writer,
      mechanisms: testLookup,
    }),
    session: (username) => ({ id: `s-${username}`, username, role: 'crypto-user', createdAt: 0, lastUsedAt: 0 }),
    addKey: (session, key, keyClass, keyType, attributes) =>
      keys.createKey(session, { key, class: keyClass, keyType, label: '', id: '', attributes }, 'key.generate'),
    ownedHandles: async (username) => (await repository.find('owner', username, { limit: 1000 })).handles,
    events: async () => (await audit.list(0, 1000)).events,
    async close() {
      repository.close();
      await base.close();
    },
  };
}
