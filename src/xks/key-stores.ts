import { CofferError, isCofferError } from '../errors/coffer-error.js';
import { normalizeUsername } from '../identity/credential-rules.js';
import type { Session } from '../identity/sessions.js';
import type { RoleLookup } from '../keys/key-sharing.js';
import type { Admission } from '../keys/key-use-gate.js';
import type { AuditEventInput } from '../records/audit-chain.js';
import { refuseAudited } from '../records/audited-refusal.js';
import type { RecordReader } from '../records/record-reader.js';
import type { Change, RecordWriter } from '../records/record-writer.js';
import { WatchedCache } from '../records/watched-cache.js';
import type { Compare, StateStore } from '../store/state-store.js';
import {
  credentialPath,
  decodeCredential,
  decodeJson,
  encodeCredential,
  encodeJson,
  exposedKeyPath,
  exposedKeysPrefix,
  handleIndexPath,
  prefixIndexPath,
  storePath,
  XKS_KEY_PREFIX,
  XKS_LIMITS,
  XKS_STORE_PREFIX,
  type XksExposedKeyRecord,
  type XksKeyStoreRecord,
} from './key-store-records.js';
import { newCredential } from './sigv4-credential.js';
import { XKS_ELIGIBILITY } from './xks-eligibility.js';
import { checkPathPrefix, KEY_STORE_ID } from './xks-paths.js';
import { storeSession } from './xks-session.js';

export interface NewKeyStore {
  readonly id: string;
  readonly user: string;
  /** Default `/keystores/<id>`. */
  readonly pathPrefix?: string;
  readonly region?: string;
  readonly tlsClientSubject?: string;
}

/** A credential as made: shown once to the admin, then only its id. The caller zeroes `secret`. */
export interface IssuedCredential {
  readonly accessKeyId: string;
  readonly secret: Buffer;
}

/** A SigV4 credential at request time; the caller zeroes `secret`. */
export interface StoreCredential {
  readonly storeId: string;
  readonly secret: Buffer;
}

export interface XksKeyStoresDeps {
  readonly reader: Pick<RecordReader, 'get' | 'page'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  /** The watch that keeps the store and exposed-key caches fresh (request path). */
  readonly store: Pick<StateStore, 'watch'>;
  readonly roleOf: RoleLookup;
  readonly clock?: () => Date;
}

/**
 * The XKS key stores: what an admin makes (a store, its credentials, the keys it exposes) and
 * what the proxy reads on each request. Every change is one commit with its audit event; the
 * indexes make a prefix, a credential id and an exposed key unique by compare, not by a read.
 * Secrets are sealed and never cached: a request reads its credential from the store.
 */
export class XksKeyStores {
  private readonly clock: () => Date;
  private readonly stores: WatchedCache<{ record: XksKeyStoreRecord; modRevision: number } | undefined>;
  private readonly exposed: WatchedCache<XksExposedKeyRecord | undefined>;

  constructor(private readonly deps: XksKeyStoresDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.stores = new WatchedCache(deps.store, XKS_STORE_PREFIX, async (path) => {
      const opened = await deps.reader.get(path, 'xks-key-store');
      return opened && { record: decodeJson<XksKeyStoreRecord>(opened.plaintext), modRevision: opened.modRevision };
    });
    this.exposed = new WatchedCache(deps.store, XKS_KEY_PREFIX, async (path) => {
      const opened = await deps.reader.get(path, 'xks-key');
      return opened && decodeJson<XksExposedKeyRecord>(opened.plaintext);
    });
  }

  async create(
    actor: Session,
    input: NewKeyStore,
  ): Promise<{ store: XksKeyStoreRecord; credential: IssuedCredential }> {
    const id = checkStoreId(input.id);
    const pathPrefix = checkPathPrefix(input.pathPrefix ?? `/keystores/${id}`);
    const event = { actor: actor.username, action: 'xks.create-store', target: `xks/${id}` };
    const user = normalizeUsername(input.user);
    if ((await this.deps.roleOf(user)) !== 'crypto-user')
      await refuseAudited(this.deps.writer, event, 'XKS_KEY_STORE_USER_INVALID', user);
    const existing = await this.deps.reader.page(XKS_STORE_PREFIX, 'xks-key-store', { limit: XKS_LIMITS.stores });
    if (existing.records.length >= XKS_LIMITS.stores)
      await refuseAudited(this.deps.writer, event, 'XKS_LIMIT', `at most ${XKS_LIMITS.stores} key stores`);
    const credential = newCredential();
    const now = this.clock().toISOString();
    const store: XksKeyStoreRecord = {
      id,
      pathPrefix,
      user,
      ...(input.region !== undefined && { region: input.region }),
      ...(input.tlsClientSubject !== undefined && { tlsClientSubject: input.tlsClientSubject }),
      accessKeyIds: [credential.accessKeyId],
      keys: 0,
      createdAt: now,
      createdBy: actor.username,
    };
    await this.commitOrRefuse(event, 'XKS_KEY_STORE_EXISTS', {
      compares: [
        { key: storePath(id), modRevision: 0 },
        { key: prefixIndexPath(pathPrefix), modRevision: 0 },
        { key: credentialPath(credential.accessKeyId), modRevision: 0 },
      ],
      changes: [
        { type: 'put', path: storePath(id), kind: 'xks-key-store', plaintext: encodeJson(store) },
        { type: 'index', path: prefixIndexPath(pathPrefix) },
        this.credentialChange(id, credential, now),
      ],
      event: { ...event, details: { pathPrefix, user, accessKeyId: credential.accessKeyId } },
    });
    return { store, credential };
  }

  async list(): Promise<XksKeyStoreRecord[]> {
    const page = await this.deps.reader.page(XKS_STORE_PREFIX, 'xks-key-store', { limit: XKS_LIMITS.stores });
    return page.records.map((opened) => decodeJson<XksKeyStoreRecord>(opened.plaintext));
  }

  /** The key store, for the admin routes (read from the store, never the cache). */
  async describe(id: string): Promise<XksKeyStoreRecord> {
    return (await this.load(id)).record;
  }

  async delete(actor: Session, id: string): Promise<void> {
    const event = { actor: actor.username, action: 'xks.delete-store', target: `xks/${id}` };
    const { record, modRevision } = await this.loadAudited(event, id);
    if (record.keys > 0)
      await refuseAudited(this.deps.writer, event, 'XKS_KEY_STORE_NOT_EMPTY', `${record.keys} exposed`);
    await this.commitOrRefuse(event, 'CONFLICT', {
      compares: [{ key: storePath(id), modRevision }],
      changes: [
        { type: 'delete', path: storePath(id) },
        { type: 'delete', path: prefixIndexPath(record.pathPrefix) },
        ...record.accessKeyIds.map((accessKeyId): Change => ({ type: 'delete', path: credentialPath(accessKeyId) })),
      ],
      event: { ...event, details: { pathPrefix: record.pathPrefix } },
    });
  }

  /** A second credential, for rotation: KMS is updated to it, then the old one is removed. */
  async addCredential(actor: Session, id: string): Promise<IssuedCredential> {
    const event = { actor: actor.username, action: 'xks.add-credential', target: `xks/${id}` };
    const { record, modRevision } = await this.loadAudited(event, id);
    if (record.accessKeyIds.length >= XKS_LIMITS.credentialsPerStore)
      await refuseAudited(this.deps.writer, event, 'XKS_LIMIT', 'remove a credential before adding another');
    const credential = newCredential();
    const next = { ...record, accessKeyIds: [...record.accessKeyIds, credential.accessKeyId] };
    await this.commitOrRefuse(event, 'CONFLICT', {
      compares: [
        { key: storePath(id), modRevision },
        { key: credentialPath(credential.accessKeyId), modRevision: 0 },
      ],
      changes: [
        { type: 'put', path: storePath(id), kind: 'xks-key-store', plaintext: encodeJson(next) },
        this.credentialChange(id, credential, this.clock().toISOString()),
      ],
      event: { ...event, details: { accessKeyId: credential.accessKeyId } },
    });
    return credential;
  }

  async removeCredential(actor: Session, id: string, accessKeyId: string): Promise<void> {
    const event = { actor: actor.username, action: 'xks.remove-credential', target: `xks/${id}` };
    const { record, modRevision } = await this.loadAudited(event, id);
    if (!record.accessKeyIds.includes(accessKeyId))
      await refuseAudited(this.deps.writer, event, 'INVALID_FIELD', 'the store has no such access key id');
    if (record.accessKeyIds.length <= 1)
      await refuseAudited(this.deps.writer, event, 'XKS_LIMIT', 'add a credential before removing the last');
    const next = { ...record, accessKeyIds: record.accessKeyIds.filter((known) => known !== accessKeyId) };
    await this.commitOrRefuse(event, 'CONFLICT', {
      compares: [{ key: storePath(id), modRevision }],
      changes: [
        { type: 'put', path: storePath(id), kind: 'xks-key-store', plaintext: encodeJson(next) },
        { type: 'delete', path: credentialPath(accessKeyId) },
      ],
      event: { ...event, details: { accessKeyId } },
    });
  }

  /**
   * Exposes a key the gate admitted to the admin for key management (so the key's own
   * key-management quorum, approved by its owner and shared users, is consumed here).
   */
  async expose(actor: Session, id: string, externalKeyId: string, admitted: Admission): Promise<XksExposedKeyRecord> {
    const { record: key } = admitted;
    const event = { actor: actor.username, action: 'xks.expose-key', target: `xks/${id}/${externalKeyId}` };
    const { record: store, modRevision } = await this.loadAudited(event, id);
    const broken = XKS_ELIGIBILITY.find((rule) => !rule.holds(key, store.user));
    if (broken) await refuseAudited(this.deps.writer, event, 'XKS_KEY_NOT_ELIGIBLE', broken.detail);
    if (store.keys >= XKS_LIMITS.keysPerStore)
      await refuseAudited(this.deps.writer, event, 'XKS_LIMIT', `at most ${XKS_LIMITS.keysPerStore} keys a store`);
    const plan = await admitted.approval();
    const exposed: XksExposedKeyRecord = {
      storeId: id,
      externalKeyId,
      keyHandle: key.handle,
      exposedAt: this.clock().toISOString(),
      exposedBy: actor.username,
    };
    await this.commitOrRefuse(event, 'XKS_KEY_EXPOSED', {
      compares: [
        { key: storePath(id), modRevision },
        { key: exposedKeyPath(id, externalKeyId), modRevision: 0 },
        { key: handleIndexPath(id, key.handle), modRevision: 0 },
        ...(plan?.compares ?? []),
      ],
      changes: [
        { type: 'put', path: storePath(id), kind: 'xks-key-store', plaintext: encodeJson(counted(store, 1)) },
        { type: 'put', path: exposedKeyPath(id, externalKeyId), kind: 'xks-key', plaintext: encodeJson(exposed) },
        { type: 'index', path: handleIndexPath(id, key.handle) },
        ...(plan?.changes ?? []),
      ],
      event: { ...event, details: { keyHandle: key.handle, user: store.user, ...plan?.details } },
    });
    return exposed;
  }

  async unexpose(actor: Session, id: string, externalKeyId: string): Promise<void> {
    const event = { actor: actor.username, action: 'xks.unexpose-key', target: `xks/${id}/${externalKeyId}` };
    const { record: store, modRevision } = await this.loadAudited(event, id);
    const opened = await this.deps.reader.get(exposedKeyPath(id, externalKeyId), 'xks-key');
    if (!opened) return refuseAudited(this.deps.writer, event, 'KEY_NOT_FOUND', 'no such external key id here');
    const exposed = decodeJson<XksExposedKeyRecord>(opened.plaintext);
    await this.commitOrRefuse(event, 'CONFLICT', {
      compares: [
        { key: storePath(id), modRevision },
        { key: exposedKeyPath(id, externalKeyId), modRevision: opened.modRevision },
      ],
      changes: [
        { type: 'put', path: storePath(id), kind: 'xks-key-store', plaintext: encodeJson(counted(store, -1)) },
        { type: 'delete', path: exposedKeyPath(id, externalKeyId) },
        { type: 'delete', path: handleIndexPath(id, exposed.keyHandle) },
      ],
      event: { ...event, details: { keyHandle: exposed.keyHandle } },
    });
  }

  /** An exposed key as the store holds it now (the admin routes, never the cache). */
  async describeExposed(storeId: string, externalKeyId: string): Promise<XksExposedKeyRecord> {
    const opened = await this.deps.reader.get(exposedKeyPath(storeId, externalKeyId), 'xks-key');
    if (!opened) throw new CofferError('KEY_NOT_FOUND', 'no such external key id here');
    return decodeJson<XksExposedKeyRecord>(opened.plaintext);
  }

  /** One page of a store's exposed keys, by external key id. */
  async exposedKeys(
    id: string,
    options: { after?: string; limit: number },
  ): Promise<{ keys: XksExposedKeyRecord[]; more: boolean }> {
    await this.load(id);
    const page = await this.deps.reader.page(exposedKeysPrefix(id), 'xks-key', {
      limit: options.limit,
      ...(options.after !== undefined && { after: exposedKeyPath(id, options.after) }),
    });
    return { keys: page.records.map((opened) => decodeJson<XksExposedKeyRecord>(opened.plaintext)), more: page.more };
  }

  // The request path (xks-routes.ts): cached records, except the secret.

  /** The credential of an access key id, read and opened now; undefined when there is none. */
  async credential(accessKeyId: string): Promise<StoreCredential | undefined> {
    const opened = await this.deps.reader.get(credentialPath(accessKeyId), 'xks-credential');
    if (!opened) return undefined;
    try {
      const { record, secret } = decodeCredential(opened.plaintext);
      return { storeId: record.storeId, secret };
    } finally {
      opened.plaintext.fill(0);
    }
  }

  async store(id: string): Promise<XksKeyStoreRecord | undefined> {
    return (await this.stores.get(storePath(id)))?.record;
  }

  async exposedKey(storeId: string, externalKeyId: string): Promise<XksExposedKeyRecord | undefined> {
    return this.exposed.get(exposedKeyPath(storeId, externalKeyId));
  }

  /** The session a request of the store runs as (its crypto user, looked up now). */
  session(store: XksKeyStoreRecord): Promise<Session> {
    return storeSession(store, this.deps.roleOf, this.clock().getTime());
  }

  private credentialChange(storeId: string, credential: IssuedCredential, createdAt: string): Change {
    const { accessKeyId, secret } = credential;
    return {
      type: 'put',
      path: credentialPath(accessKeyId),
      kind: 'xks-credential',
      plaintext: encodeCredential({ accessKeyId, storeId, createdAt }, secret),
    };
  }

  private async load(id: string): Promise<{ record: XksKeyStoreRecord; modRevision: number }> {
    const opened = KEY_STORE_ID.test(id) ? await this.deps.reader.get(storePath(id), 'xks-key-store') : undefined;
    if (!opened) throw new CofferError('XKS_KEY_STORE_NOT_FOUND', id.slice(0, 64));
    return { record: decodeJson<XksKeyStoreRecord>(opened.plaintext), modRevision: opened.modRevision };
  }

  private async loadAudited(
    event: Omit<AuditEventInput, 'result' | 'code'>,
    id: string,
  ): Promise<{ record: XksKeyStoreRecord; modRevision: number }> {
    try {
      return await this.load(id);
    } catch (error) {
      if (isCofferError(error, 'XKS_KEY_STORE_NOT_FOUND'))
        await refuseAudited(this.deps.writer, event, 'XKS_KEY_STORE_NOT_FOUND', error.detail);
      throw error;
    }
  }

  /** Commits; a failed compare is `onConflict` (a taken name, a concurrent change), audited. */
  private async commitOrRefuse(
    event: Omit<AuditEventInput, 'result' | 'code'>,
    onConflict: 'XKS_KEY_STORE_EXISTS' | 'XKS_KEY_EXPOSED' | 'CONFLICT',
    commit: {
      compares: readonly Compare[];
      changes: readonly Change[];
      event: Omit<AuditEventInput, 'result'>;
    },
  ): Promise<void> {
    try {
      await this.deps.writer.commit({ ...commit, event: { ...commit.event, result: 'success' } });
    } catch (error) {
      if (isCofferError(error, 'CONFLICT')) await refuseAudited(this.deps.writer, event, onConflict);
      throw error;
    }
  }
}

function checkStoreId(id: string): string {
  if (!KEY_STORE_ID.test(id)) throw new CofferError('INVALID_FIELD', 'id: 1 to 64 letters, digits, - and _');
  return id;
}

function counted(store: XksKeyStoreRecord, change: 1 | -1): XksKeyStoreRecord {
  return { ...store, keys: store.keys + change };
}
