import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import { keyPath } from '../keys/key-repository.js';
import { canSee } from '../keys/key-use-gate.js';
import { newHandle } from '../objects/key-handle.js';
import { SessionObjectIds, type SessionBound } from '../identity/session-bound.js';
import { refuseAudited } from '../records/audited-refusal.js';
import type { RecordReader } from '../records/record-reader.js';
import type { Change, RecordWriter } from '../records/record-writer.js';
import type { AttributeTypeName } from './attribute-types.js';
import type { ObjectAttributes } from './object-attributes.js';
import { decodeObjectRecord, encodeObjectRecord, type ObjectRecord, type PlainObjectClass } from './object-record.js';
import { decodeValue, encodeValue, type WireValue } from './value-codec.js';

export const OBJECT_PREFIX = 'object/';
const OWNER_INDEX = 'idx/object-owner/';
/** idx/object-public/<handle>: the certificates sessions without a login may list (isPublicObject). */
const PUBLIC_INDEX = 'idx/object-public/';

/**
 * An object a PKCS#11 session without a login may list (while the cluster policy lets it): a
 * stored certificate whose CKA_PRIVATE is false. Data objects never are: they may hold anything.
 */
export function isPublicObject(record: ObjectRecord): boolean {
  return record.class === 'certificate' && record.attributes.CKA_PRIVATE === false;
}

/** The index entries of a stored object. */
function indexPaths(record: ObjectRecord): string[] {
  const paths = [`${OWNER_INDEX}${record.owner}/${record.handle}`];
  if (isPublicObject(record)) paths.push(PUBLIC_INDEX + record.handle);
  return paths;
}

export const objectPath = (handle: string): string => OBJECT_PREFIX + handle;

/** An object the caller may see, with the revision it was read at (0 for a session object). */
export interface FoundObject {
  readonly record: ObjectRecord;
  readonly modRevision: number;
}

export interface ObjectServiceDeps {
  readonly reader: Pick<RecordReader, 'get' | 'keys'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly clock?: () => Date;
  /** The node's session-bound ids, shared with the session keys (session-bound.ts). */
  readonly ids?: SessionObjectIds;
}

/** The typed attributes of a record (stored in their wire form). */
export function attributesOf(record: ObjectRecord): ObjectAttributes {
  const attributes: ObjectAttributes = new Map();
  for (const [name, value] of Object.entries(record.attributes) as [AttributeTypeName, WireValue][])
    attributes.set(name, decodeValue(name, value));
  return attributes;
}

function wireForm(attributes: ObjectAttributes): ObjectRecord['attributes'] {
  return Object.fromEntries([...attributes].map(([name, value]) => [name, encodeValue(name, value)]));
}

/**
 * Certificates and data objects: sealed records at object/<handle> with an owner index, or,
 * with CKA_TOKEN false, held in this node's memory for the login session that made them (as
 * session keys are). Visibility is the keys' rule (canSee); only the owner changes or destroys
 * one. A handle the caller may not see is reported as a missing one. Every change is committed
 * with its audit event.
 */
export class ObjectService implements SessionBound {
  private readonly clock: () => Date;
  private readonly sessionObjects = new Map<string, { readonly record: ObjectRecord; readonly sessionId: string }>();

  private readonly ids: SessionObjectIds;

  constructor(private readonly deps: ObjectServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.ids = deps.ids ?? new SessionObjectIds();
    this.ids.holds((handle) => this.sessionObjects.has(handle));
  }

  /** The object a handle names, if the session may see it. */
  async find(session: Session, handle: string): Promise<FoundObject | undefined> {
    const held = this.sessionObjects.get(handle);
    if (held) return held.sessionId === session.id ? { record: held.record, modRevision: 0 } : undefined;
    const opened = await this.deps.reader.get(objectPath(handle), 'object');
    if (!opened) return undefined;
    const record = decodeObjectRecord(opened.plaintext);
    return canSee(session, record, isPublicObject(record)) ? { record, modRevision: opened.modRevision } : undefined;
  }

  /** This login session's session objects, in handle order. */
  sessionObjectsOf(session: Session): ObjectRecord[] {
    return [...this.sessionObjects.values()]
      .filter((entry) => entry.sessionId === session.id)
      .map((entry) => entry.record)
      .sort((a, b) => (a.handle < b.handle ? -1 : 1));
  }

  /** A page of the stored objects the caller sees (its own; every one for an admin), in handle order. */
  async list(
    session: Session,
    page: { after?: string; limit: number },
  ): Promise<{ records: ObjectRecord[]; next?: string }> {
    const prefix =
      session.role === 'admin'
        ? OBJECT_PREFIX
        : session.role === 'public'
          ? PUBLIC_INDEX
          : `${OWNER_INDEX}${session.username}/`;
    const found = await this.deps.reader.keys(prefix, {
      ...(page.after !== undefined && { after: prefix + page.after }),
      limit: page.limit,
    });
    const records: ObjectRecord[] = [];
    const handles = found.keys.map((key) => key.slice(prefix.length));
    for (const handle of handles) {
      const listed = await this.listed(session, handle);
      if (listed) records.push(listed.record);
    }
    // The cursor is the last handle read, so records left out of a page do not end the walk.
    return found.more && handles.length > 0 ? { records, next: handles.at(-1)! } : { records };
  }

  /** A record that fails to open is left out of a listing (fails closed), as for keys. */
  private async listed(session: Session, handle: string): Promise<FoundObject | undefined> {
    try {
      return await this.find(session, handle);
    } catch (error) {
      if (isCofferError(error, 'INTEGRITY_ERROR')) return undefined;
      throw error;
    }
  }

  async create(
    session: Session,
    objectClass: PlainObjectClass,
    attributes: ObjectAttributes,
    action: 'object.create' | 'object.copy',
    details: Readonly<Record<string, string>> = {},
  ): Promise<ObjectRecord> {
    const now = this.clock().toISOString();
    const token = attributes.get('CKA_TOKEN') !== false;
    const record: ObjectRecord = {
      handle: token ? newHandle() : this.ids.handle(session.id),
      class: objectClass,
      owner: session.username,
      sharedWith: [],
      attributes: wireForm(attributes),
      createdAt: now,
      updatedAt: now,
    };
    const event = {
      actor: session.username,
      action,
      target: objectPath(record.handle),
      result: 'success' as const,
      details: { ...details, class: objectClass, token },
    };
    if (!token) {
      // A session object lives in this node's memory only: its audit event is all that is written.
      await this.deps.writer.commit({ event });
      this.sessionObjects.set(record.handle, { record, sessionId: session.id });
      return record;
    }
    await this.deps.writer.commit({
      // Handles are one space for keys and objects: neither may already exist.
      compares: [
        { key: objectPath(record.handle), modRevision: 0 },
        { key: keyPath(record.handle), modRevision: 0 },
      ],
      changes: [
        { type: 'put', path: objectPath(record.handle), kind: 'object', plaintext: encodeObjectRecord(record) },
        ...indexPaths(record).map((path): Change => ({ type: 'index', path })),
      ],
      event,
    });
    return record;
  }

  /** The owner's change of an object's attributes (planned by planObjectChange). */
  async change(
    session: Session,
    found: FoundObject,
    attributes: ObjectAttributes,
    changed: readonly string[],
  ): Promise<ObjectRecord> {
    const { record } = found;
    const event = { actor: session.username, action: 'object.set-attribute', target: objectPath(record.handle) };
    await this.requireOwner(session, record, event);
    if (changed.length === 0) return record;
    const next: ObjectRecord = { ...record, attributes: wireForm(attributes), updatedAt: this.clock().toISOString() };
    const success = { ...event, result: 'success' as const, details: { changed: changed.join(',') } };
    if (found.modRevision === 0) {
      const held = this.sessionObjects.get(record.handle);
      if (!held || held.record !== record) throw new CofferError('CONFLICT');
      this.sessionObjects.set(record.handle, { ...held, record: next });
      await this.deps.writer.commit({ event: success });
      return next;
    }
    await this.deps.writer.commit({
      compares: [{ key: objectPath(record.handle), modRevision: found.modRevision }],
      changes: [
        { type: 'put', path: objectPath(record.handle), kind: 'object', plaintext: encodeObjectRecord(next) },
        // CKA_PRIVATE only ever turns true: a change can only withdraw the public entry.
        ...indexPaths(record)
          .filter((path) => !indexPaths(next).includes(path))
          .map((path): Change => ({ type: 'delete', path })),
      ],
      event: success,
    });
    return next;
  }

  /** C_DestroyObject of a certificate or data object: its owner, when it is destroyable. */
  async delete(session: Session, found: FoundObject): Promise<void> {
    const { record } = found;
    const event = { actor: session.username, action: 'object.delete', target: objectPath(record.handle) };
    await this.requireOwner(session, record, event);
    if (record.attributes.CKA_DESTROYABLE === false)
      await refuseAudited(this.deps.writer, event, 'ACTION_PROHIBITED', 'the object is not destroyable');
    if (found.modRevision === 0) {
      this.sessionObjects.delete(record.handle);
      await this.deps.writer.commit({ event: { ...event, result: 'success', details: { token: false } } });
      return;
    }
    const changes: Change[] = [
      { type: 'delete', path: objectPath(record.handle) },
      ...indexPaths(record).map((path): Change => ({ type: 'delete', path })),
    ];
    await this.deps.writer.commit({
      compares: [{ key: objectPath(record.handle), modRevision: found.modRevision }],
      changes,
      event: { ...event, result: 'success' },
    });
  }

  /** Refuses (audited) the copy of an object that is not copyable. */
  async requireCopyable(session: Session, found: FoundObject): Promise<void> {
    if (found.record.attributes.CKA_COPYABLE !== false) return;
    const event = { actor: session.username, action: 'object.copy', target: objectPath(found.record.handle) };
    await refuseAudited(this.deps.writer, event, 'ACTION_PROHIBITED', 'the object is not copyable');
  }

  dropSession(sessionId: string): void {
    for (const [handle, entry] of this.sessionObjects)
      if (entry.sessionId === sessionId) this.sessionObjects.delete(handle);
  }

  dropAll(): void {
    this.sessionObjects.clear();
  }

  private async requireOwner(
    session: Session,
    record: ObjectRecord,
    event: { actor: string; action: string; target: string },
  ): Promise<void> {
    if (record.owner !== session.username)
      await refuseAudited(this.deps.writer, event, 'PERMISSION_DENIED', "only the object's owner may");
  }
}
