import type { KeyObject } from 'node:crypto';
import { checkValue } from '../crypto/keys/check-value.js';
import { exportKeyMaterial, publicKeyPem } from '../crypto/keys/material.js';
import { keyTypeProvider } from '../crypto/keys/registry.js';
import type { KeyClass, KeySpec, KeyType } from '../crypto/types.js';
import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { ApprovalPlan } from '../identity/quorum-service.js';
import { keyQuorumPath } from '../identity/quorum-values.js';
import type { Session } from '../identity/sessions.js';
import { refuseAudited } from '../records/audited-refusal.js';
import type { Change, RecordWriter } from '../records/record-writer.js';
import type { Compare } from '../store/state-store.js';
import {
  ID_MAX_BYTES,
  LABEL_MAX_CHARS,
  matchesFlags,
  pairConflict,
  resolveCreationAttributes,
  type FlagFilter,
} from '../objects/attributes.js';
import { newHandle } from '../objects/key-handle.js';
import type { KeyRecord } from '../objects/key-record.js';
import type { KmsMetadata } from '../objects/kms-metadata.js';
import {
  isPublicKeyObject,
  keyImportPath,
  type KeyIndex,
  type KeyRepository,
  type LoadedKey,
} from './key-repository.js';
import { canSee, type Admission } from './key-use-gate.js';
import type { SessionKeys } from './session-keys.js';

export interface KeyTemplate {
  readonly label?: string;
  /** CKA_ID as hex. */
  readonly id?: string;
  readonly attributes?: Readonly<Record<string, boolean>>;
  /** False makes a session key (CKA_TOKEN false): memory only, bound to the login session. */
  readonly token?: boolean;
  /** A KMS key's metadata (the KMS-compatible API's CreateKey), written with the key. */
  readonly kms?: KmsMetadata;
}

export interface PairTemplate {
  readonly label?: string;
  readonly id?: string;
  readonly publicLabel?: string;
  readonly privateLabel?: string;
  readonly publicAttributes?: Readonly<Record<string, boolean>>;
  readonly privateAttributes?: Readonly<Record<string, boolean>>;
  readonly token?: boolean;
  /** A KMS key's metadata, on the private half (the KMS key). */
  readonly kms?: KmsMetadata;
}

/** A key the node already holds in memory (imported, unwrapped, derived), ready to be recorded. */
export interface NewKey {
  readonly key: KeyObject;
  readonly class: KeyClass;
  readonly keyType: KeyType;
  readonly label: string;
  readonly id: string;
  /** Resolved by the caller through the attribute table (resolveCreationAttributes). */
  readonly attributes: KeyRecord['attributes'];
}

export type AuditDetails = Readonly<Record<string, string | number | boolean>>;

export interface KeyFilter extends FlagFilter {
  readonly label?: string;
  readonly id?: string;
  readonly class?: KeyClass;
  readonly keyType?: string;
  /** An admin: anyone's keys; a crypto user: only its own (another owner matches nothing). */
  readonly owner?: string;
  /** An alias name (without `alias/`): the one key it points at. */
  readonly alias?: string;
}

export interface KeyPage {
  readonly keys: KeyRecord[];
  /** The cursor for the next page, when there is one. */
  readonly next?: string;
}

export interface KeyServiceDeps {
  readonly repository: KeyRepository;
  /** Where session keys (token false) live; without it every key is a token key. */
  readonly sessionKeys?: SessionKeys;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly clock?: () => Date;
}

/**
 * The key lifecycle: generate, find, read attributes, export a public key, delete. The creator
 * owns a key; users it is shared with may see and use it; only the owner manages it. A key the
 * caller may not see is reported exactly as a missing one (KEY_NOT_FOUND), so handles cannot be
 * probed.
 */
export class KeyService {
  private readonly clock: () => Date;

  constructor(private readonly deps: KeyServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async generateSymmetric(session: Session, spec: KeySpec, template: KeyTemplate): Promise<KeyRecord> {
    const provider = keyTypeProvider(spec.keyType);
    if (!provider.generateSecret)
      throw new CofferError('MECHANISM_INVALID', `${spec.keyType} is not a symmetric key type`);
    provider.checkSpec(spec);
    const fields = checkTemplate(template.label, template.id);
    const attributes = { ...creationAttributes('secret', template.attributes), ...tokenAttribute(template.token) };
    const key = await provider.generateSecret(spec);
    const record = this.newRecord(session, key, {
      ...fields,
      class: 'secret',
      keyType: spec.keyType,
      attributes,
      ...(template.kms && { kms: template.kms }),
    });
    await this.persist(session, 'key.generate', [[record, key]]);
    return record;
  }

  async generatePair(
    session: Session,
    spec: KeySpec,
    template: PairTemplate,
  ): Promise<{ publicKey: KeyRecord; privateKey: KeyRecord }> {
    const provider = keyTypeProvider(spec.keyType);
    if (!provider.generatePair)
      throw new CofferError('MECHANISM_INVALID', `${spec.keyType} is not an asymmetric key type`);
    provider.checkSpec(spec);
    const publicFields = checkTemplate(template.publicLabel ?? template.label, template.id);
    const privateFields = checkTemplate(template.privateLabel ?? template.label, template.id);
    const publicAttributes = {
      ...creationAttributes('public', template.publicAttributes),
      ...tokenAttribute(template.token),
    };
    const privateAttributes = {
      ...creationAttributes('private', template.privateAttributes),
      ...tokenAttribute(template.token),
    };
    const conflict = pairConflict(publicAttributes, privateAttributes);
    if (conflict)
      throw new CofferError(
        'TEMPLATE_INCONSISTENT',
        `public ${conflict.public} with private ${conflict.private}: a wrapped key would be read as data`,
      );
    const pair = await provider.generatePair(spec);
    const publicHandle = this.handleFor(session, publicAttributes.token);
    const privateHandle = this.handleFor(session, privateAttributes.token);
    const base = { keyType: spec.keyType };
    const publicKey = this.newRecord(session, pair.publicKey, {
      ...publicFields,
      ...base,
      class: 'public',
      attributes: publicAttributes,
      handle: publicHandle,
      pairHandle: privateHandle,
    });
    const privateKey = this.newRecord(session, pair.privateKey, {
      ...privateFields,
      ...base,
      class: 'private',
      attributes: privateAttributes,
      handle: privateHandle,
      pairHandle: publicHandle,
      ...(template.kms && { kms: template.kms }),
    });
    await this.persist(session, 'key.generate', [
      [publicKey, pair.publicKey],
      [privateKey, pair.privateKey],
    ]);
    return { publicKey, privateKey };
  }

  /**
   * Records a key made from a KeyObject (import, unwrap, derive): owned by the caller, committed
   * with its audit event in one transaction — the same path generate takes.
   */
  async createKey(
    session: Session,
    created: NewKey,
    action: string,
    details: AuditDetails = {},
    /** A quorum approval the creation consumes (unwrap: the unwrapping key's). */
    approval?: ApprovalPlan,
  ): Promise<KeyRecord> {
    const { key, ...fields } = created;
    const record = this.newRecord(session, key, fields);
    await this.persist(session, action, [[record, key]], details, approval);
    return record;
  }

  /**
   * Records a secret key that has no material yet (a KMS key of Origin EXTERNAL): pending
   * import, with no check value, owned by the caller. Its material comes by ImportKeyMaterial.
   */
  async createPendingImport(
    session: Session,
    fields: Pick<KeyRecord, 'keyType' | 'label' | 'id' | 'attributes' | 'shape'> & { kms: KmsMetadata },
    action: string,
  ): Promise<KeyRecord> {
    const now = this.clock().toISOString();
    const record: KeyRecord = {
      ...fields,
      class: 'secret',
      handle: newHandle(),
      checkValue: '',
      owner: session.username,
      sharedWith: [],
      state: 'pending-import',
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    const planned = this.deps.repository.create(record, Buffer.alloc(0));
    await this.deps.writer.commit({
      ...planned,
      event: {
        actor: session.username,
        action,
        target: `key/${record.handle}`,
        result: 'success',
        details: { handles: record.handle, keyType: record.keyType, origin: 'EXTERNAL' },
      },
    });
    return record;
  }

  /** Keys the caller can see (its own and those shared with it; every key for an admin). */
  async list(session: Session, filter: KeyFilter, page: { after?: string; limit: number }): Promise<KeyPage> {
    const found = await this.listTokenKeys(session, filter, page);
    if (page.after !== undefined || !this.deps.sessionKeys) return found;
    // This session's session keys come first on the first page (they are few and never paged).
    const own = this.deps.sessionKeys.ofSession(session.id).map((loaded) => loaded.record);
    return { ...found, keys: [...own.filter((record) => matches(record, filter)), ...found.keys] };
  }

  /** This login session's session keys (CKA_TOKEN false), in handle order. */
  sessionKeysOf(session: Session): KeyRecord[] {
    const own = this.deps.sessionKeys?.ofSession(session.id) ?? [];
    return own.map((loaded) => loaded.record).sort((a, b) => (a.handle < b.handle ? -1 : 1));
  }

  private async listTokenKeys(
    session: Session,
    filter: KeyFilter,
    page: { after?: string; limit: number },
  ): Promise<KeyPage> {
    if (filter.alias !== undefined) {
      const found = await this.deps.repository.aliases.resolve(filter.alias);
      const loaded = found && (await this.loadListed(found.record.keyHandle));
      const fits = loaded && visible(session, loaded.record) && matches(loaded.record, filter);
      return { keys: fits && (page.after === undefined || loaded.record.handle > page.after) ? [loaded.record] : [] };
    }
    const search = searchFor(session, filter);
    if (search === undefined) return { keys: [] };
    const keys: KeyRecord[] = [];
    let after = page.after;
    // Filtered-out entries do not count toward the page, so read on until it is full.
    for (;;) {
      const found =
        search.index === 'visible'
          ? await this.deps.repository.findOwnedOrShared(search.value, { after, limit: page.limit })
          : await this.deps.repository.find(search.index, search.value, { after, limit: page.limit });
      for (const handle of found.handles) {
        const loaded = await this.loadListed(handle);
        if (loaded && visible(session, loaded.record) && matches(loaded.record, filter)) keys.push(loaded.record);
        if (keys.length === page.limit) return { keys, next: handle };
      }
      if (!found.more) return { keys };
      after = found.handles.at(-1);
    }
  }

  /**
   * A key for a listing: a record that fails to open (altered, swapped, rolled back) is left
   * out of the page — the listing fails closed for that record, not as a whole; reading the key
   * itself still answers its integrity error.
   */
  private async loadListed(handle: string): Promise<LoadedKey | undefined> {
    try {
      return await this.deps.repository.load(handle);
    } catch (error) {
      if (isCofferError(error, 'INTEGRITY_ERROR')) return undefined;
      throw error;
    }
  }

  exportPublicKey({ record, loaded }: Admission): string {
    if (record.class === 'secret') throw new CofferError('KEY_TYPE_INCONSISTENT', 'a secret key has no public key');
    return publicKeyPem(loaded.key);
  }

  /** Destroys a key the gate admitted for management (its owner asks). */
  async delete(session: Session, admitted: Admission): Promise<void> {
    const { loaded, record } = admitted;
    const target = `key/${record.handle}`;
    if (record.attributes.destroyable === false) {
      await refuseAudited(
        this.deps.writer,
        { actor: session.username, action: 'key.delete', target },
        'KEY_FUNCTION_NOT_PERMITTED',
        'the key is not destroyable',
      );
    }
    if (record.attributes.token === false) {
      // A session key lives only in this node's memory: forgetting it destroys it.
      this.deps.sessionKeys?.remove(record.handle);
      await this.deps.writer.commit({
        event: { actor: session.username, action: 'key.delete', target, result: 'success', details: { token: false } },
      });
      return;
    }
    const { compares, changes } = this.deps.repository.delete(loaded);
    const aliases = await this.deps.repository.aliases.deletionOf(record.handle);
    compares.push(...aliases.compares);
    changes.push(...aliases.changes);
    // The key-management quorum: its token is consumed in this same commit.
    const approval = await admitted.approval();
    compares.push(...(approval?.compares ?? []));
    changes.push(
      ...(approval?.changes ?? []),
      { type: 'delete', path: keyQuorumPath(record.handle) },
      { type: 'delete', path: keyImportPath(record.handle) },
    );
    for (const path of await this.deps.repository.versionPaths(record.handle)) changes.push({ type: 'delete', path });
    await this.deps.writer.commit({
      compares,
      changes,
      event: { actor: session.username, action: 'key.delete', target, result: 'success', details: approval?.details },
    });
  }

  /** A session key's handle says whose and from which node (session-bound.ts); a stored key's is random. */
  private handleFor(session: Session, token: boolean | undefined): string {
    const sessionKeys = token === false ? this.deps.sessionKeys : undefined;
    return sessionKeys ? sessionKeys.newHandle(session.id) : newHandle();
  }

  private newRecord(
    session: Session,
    key: KeyObject,
    fields: Pick<KeyRecord, 'class' | 'keyType' | 'label' | 'id' | 'attributes'> & {
      handle?: string;
      pairHandle?: string;
      kms?: KmsMetadata;
    },
  ): KeyRecord {
    const now = this.clock().toISOString();
    const provider = keyTypeProvider(fields.keyType);
    return {
      ...fields,
      handle: fields.handle ?? this.handleFor(session, fields.attributes.token),
      shape: provider.shape(key),
      checkValue: checkValue(key, fields.keyType).toString('hex'),
      owner: session.username,
      sharedWith: [],
      state: 'enabled',
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
  }

  private async persist(
    session: Session,
    action: string,
    keys: readonly (readonly [KeyRecord, KeyObject])[],
    extraDetails: AuditDetails = {},
    approval?: ApprovalPlan,
  ): Promise<void> {
    const compares: Compare[] = [...(approval?.compares ?? [])];
    const changes: Change[] = [...(approval?.changes ?? [])];
    const sessionKeys = keys[0]![0].attributes.token === false ? this.deps.sessionKeys : undefined;
    for (const [record, key] of keys) {
      // A session key is kept in memory only: its audit event is all that is written.
      if (sessionKeys) {
        sessionKeys.add(session.id, { record, key, modRevision: 0 });
        continue;
      }
      const material = exportKeyMaterial(key);
      try {
        const planned = this.deps.repository.create(record, material);
        compares.push(...planned.compares);
        changes.push(...planned.changes);
      } finally {
        material.fill(0);
      }
    }
    const details = {
      ...extraDetails,
      ...approval?.details,
      handles: keys.map(([record]) => record.handle).join(','),
      keyType: keys[0]![0].keyType,
    };
    await this.deps.writer.commit({
      compares,
      changes,
      event: { actor: session.username, action, target: `key/${keys[0]![0].handle}`, result: 'success', details },
    });
  }
}

/**
 * The narrowest index for a listing: label or ID when given, else the owner asked for, else
 * everything (an admin) or the caller's own and shared keys. Undefined: nothing can match.
 */
function searchFor(session: Session, filter: KeyFilter): { index: KeyIndex | 'visible'; value: string } | undefined {
  // A session without a login reads the public index alone: no other key is ever opened for it.
  if (session.role === 'public')
    return filter.class === undefined || filter.class === 'public' ? { index: 'public', value: '' } : undefined;
  const owner = filter.owner?.toLowerCase();
  if (owner !== undefined && session.role !== 'admin' && owner !== session.username) return undefined;
  if (filter.label !== undefined) return { index: 'label', value: filter.label };
  if (filter.id !== undefined) return { index: 'id', value: filter.id.toLowerCase() };
  if (owner !== undefined) return { index: 'owner', value: owner };
  if (session.role === 'admin') return { index: 'all', value: '' };
  return { index: 'visible', value: session.username };
}

const visible = (session: Session, record: KeyRecord): boolean => canSee(session, record, isPublicKeyObject(record));

/** CKA_TOKEN false (a session key) as a record attribute; nothing for a token key. */
export function tokenAttribute(token: boolean | undefined): Partial<KeyRecord['attributes']> {
  return token === false ? { token: false } : {};
}

function matches(record: KeyRecord, filter: KeyFilter): boolean {
  return (
    (filter.label === undefined || record.label === filter.label) &&
    (filter.id === undefined || record.id === filter.id.toLowerCase()) &&
    (filter.class === undefined || record.class === filter.class) &&
    (filter.keyType === undefined || record.keyType === filter.keyType) &&
    (filter.owner === undefined || record.owner === filter.owner.toLowerCase()) &&
    matchesFlags(record.attributes, filter)
  );
}

export function checkTemplate(label: string | undefined, id: string | undefined): { label: string; id: string } {
  const checkedLabel = label ?? '';
  if ([...checkedLabel].length > LABEL_MAX_CHARS)
    throw new CofferError('ATTRIBUTE_VALUE_INVALID', `label is longer than ${LABEL_MAX_CHARS} characters`);
  const checkedId = (id ?? '').toLowerCase();
  if (!/^([0-9a-f]{2})*$/.test(checkedId) || checkedId.length / 2 > ID_MAX_BYTES) {
    throw new CofferError('ATTRIBUTE_VALUE_INVALID', `id must be hex, at most ${ID_MAX_BYTES} bytes`);
  }
  return { label: checkedLabel, id: checkedId };
}

/** The attributes of a new key from the table; generated here unless `origin` says otherwise. */
export function creationAttributes(
  keyClass: KeyClass,
  requested: Readonly<Record<string, boolean>> | undefined,
  origin: { readonly generatedHere: boolean } = { generatedHere: true },
): KeyRecord['attributes'] {
  const resolved = resolveCreationAttributes(keyClass, requested ?? {}, origin);
  if (resolved.ok) return resolved.attributes;
  throw new CofferError(resolved.code, resolved.detail);
}
