import type { ErrorCode } from '../errors/registry.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord, KeyState } from '../objects/key-record.js';
import type { KmsGrant, KmsMetadata, KmsTag } from '../objects/kms-metadata.js';
import { MAX_SHARED_USERS, type RoleLookup } from '../keys/key-sharing.js';
import { refuseAudited } from '../records/audited-refusal.js';
import type { Change, RecordWriter } from '../records/record-writer.js';
import type { Compare } from '../store/state-store.js';
import type { KeyRepository } from '../keys/key-repository.js';
import type { Admission } from '../keys/key-use-gate.js';

/** A change of a KMS key, as data: what KMS's state and metadata operations ask for. */
export type KmsChange =
  | { readonly kind: 'enable' }
  | { readonly kind: 'disable' }
  | { readonly kind: 'schedule-deletion'; readonly deletionDate: string }
  | { readonly kind: 'cancel-deletion' }
  | { readonly kind: 'description'; readonly description: string }
  | { readonly kind: 'tag'; readonly tags: readonly KmsTag[] }
  | { readonly kind: 'untag'; readonly tagKeys: readonly string[] }
  | { readonly kind: 'rotation'; readonly rotation: KmsMetadata['rotation'] }
  /** A grant: the grantee is shared the key (both halves of a pair) for the grant's operations. */
  | { readonly kind: 'grant'; readonly grant: KmsGrant }
  /** A grant revoked (by the owner) or retired (by its grantee or retiring user). */
  | { readonly kind: 'remove-grant'; readonly grantId: string };

/** KMS's limit on tags a key. */
export const MAX_TAGS = 50;

/**
 * Which changes each state allows, and the state they lead to (KMS's key state table, over
 * Coffer's states): a key pending deletion takes only a cancellation, which leaves it disabled.
 */
const KEEP = { enabled: 'enabled', disabled: 'disabled', 'pending-import': 'pending-import' } as const;
const TRANSITIONS: Readonly<Record<KmsChange['kind'], Partial<Record<KeyState, KeyState>>>> = {
  enable: { enabled: 'enabled', disabled: 'enabled' },
  disable: { enabled: 'disabled', disabled: 'disabled' },
  'schedule-deletion': {
    enabled: 'pending-deletion',
    disabled: 'pending-deletion',
    'pending-import': 'pending-deletion',
  },
  // A key of imported material whose material is gone goes back to waiting for it.
  'cancel-deletion': { 'pending-deletion': 'disabled' },
  description: KEEP,
  tag: KEEP,
  untag: KEEP,
  rotation: { enabled: 'enabled', disabled: 'disabled' },
  grant: KEEP,
  'remove-grant': { ...KEEP, 'pending-deletion': 'pending-deletion' },
};

/** KMS's limit on grants a key (Coffer's on the users it is shared with is MAX_SHARED_USERS). */
export const MAX_GRANTS = 50;

export type Planned =
  | { readonly ok: true; readonly record: KeyRecord }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

/** The record after a change, or why the change is refused. */
export function planKmsChange(record: KeyRecord, change: KmsChange, now: string): Planned {
  const kms = record.kms;
  if (!kms) return { ok: false, code: 'KEY_NOT_FOUND', detail: 'not a KMS key' };
  const allowed = TRANSITIONS[change.kind][record.state];
  if (allowed === undefined)
    return { ok: false, code: 'KMS_INVALID_STATE', detail: `the key is ${record.state}; ${change.kind} is refused` };
  if (change.kind === 'rotation' && change.rotation && kms.origin === 'EXTERNAL')
    return { ok: false, code: 'KMS_OPERATION_UNSUPPORTED', detail: 'a key of imported material does not rotate' };
  const noMaterial = kms.origin === 'EXTERNAL' && kms.imported === undefined;
  const state = change.kind === 'cancel-deletion' && noMaterial ? 'pending-import' : allowed;
  const { deletionDate: _deletionDate, ...kept } = kms;
  const next = (metadata: KmsMetadata, sharedWith = record.sharedWith): Planned => ({
    ok: true,
    record: { ...record, state, sharedWith, kms: metadata, updatedAt: now },
  });
  switch (change.kind) {
    case 'enable':
    case 'disable':
    case 'cancel-deletion':
      return next(kept);
    case 'schedule-deletion':
      return next({ ...kms, deletionDate: change.deletionDate });
    case 'description':
      return next({ ...kms, description: change.description });
    case 'tag': {
      const byKey = new Map(kms.tags.map((tag) => [tag.TagKey, tag]));
      for (const tag of change.tags) byKey.set(tag.TagKey, tag);
      if (byKey.size > MAX_TAGS) return { ok: false, code: 'KMS_TAG_INVALID', detail: `at most ${MAX_TAGS} tags` };
      return next({ ...kms, tags: [...byKey.values()] });
    }
    case 'untag':
      return next({ ...kms, tags: kms.tags.filter((tag) => !change.tagKeys.includes(tag.TagKey)) });
    case 'rotation': {
      const { rotation: _rotation, ...rest } = kms;
      return next(change.rotation ? { ...rest, rotation: change.rotation } : rest);
    }
    case 'grant': {
      const { grantee } = change.grant;
      if (kms.grants.length >= MAX_GRANTS)
        return { ok: false, code: 'KEY_SHARE_LIMIT', detail: `at most ${MAX_GRANTS} grants` };
      const shared = record.sharedWith.includes(grantee) ? record.sharedWith : [...record.sharedWith, grantee].sort();
      if (shared.length > MAX_SHARED_USERS)
        return { ok: false, code: 'KEY_SHARE_LIMIT', detail: `at most ${MAX_SHARED_USERS} users` };
      return next({ ...kms, grants: [...kms.grants, change.grant] }, shared);
    }
    case 'remove-grant': {
      const removed = kms.grants.find((grant) => grant.grantId === change.grantId);
      if (!removed) return { ok: false, code: 'KMS_GRANT_NOT_FOUND', detail: 'no such grant on this key' };
      const grants = kms.grants.filter((grant) => grant.grantId !== change.grantId);
      // The share goes with the grantee's last grant.
      const keep = grants.some((grant) => grant.grantee === removed.grantee);
      const shared = keep ? record.sharedWith : record.sharedWith.filter((user) => user !== removed.grantee);
      return next({ ...kms, grants }, shared);
    }
  }
}

export interface KmsKeyChangeDeps {
  readonly repository: Pick<KeyRepository, 'replace'>;
  /** A grantee must be an existing crypto user, as for any share. */
  readonly roleOf: RoleLookup;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly clock?: () => Date;
}

/**
 * Commits changes of KMS keys: the KMS metadata and state in the key record, and for a key pair
 * the state of its public half too (a disabled KMS key verifies nothing), in one commit with its
 * audit event, under the key's key-management quorum.
 */
export class KmsKeyChanges {
  private readonly clock: () => Date;

  constructor(private readonly deps: KmsKeyChangeDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async change(
    session: Session,
    action: string,
    key: Admission,
    pair: Admission | undefined,
    change: KmsChange,
  ): Promise<KeyRecord> {
    const event = { actor: session.username, action, target: `key/${key.record.handle}` };
    if (change.kind === 'grant') {
      const { grantee } = change.grant;
      if (grantee === key.record.owner)
        return refuseAudited(this.deps.writer, event, 'KEY_SHARE_INVALID', 'a key is not granted to its owner');
      if ((await this.deps.roleOf(grantee)) !== 'crypto-user')
        return refuseAudited(this.deps.writer, event, 'KEY_SHARE_INVALID', 'keys are granted only to crypto users');
    }
    const planned = planKmsChange(key.record, change, this.clock().toISOString());
    if (!planned.ok) return refuseAudited(this.deps.writer, event, planned.code, planned.detail);
    if (pair && pair.record.handle !== key.record.pairHandle)
      return refuseAudited(this.deps.writer, event, 'KEY_NOT_FOUND', 'not the public half of this key');
    const compares: Compare[] = [];
    const changes: Change[] = [];
    const add = (planned: { compares: Compare[]; changes: Change[] }): void => {
      compares.push(...planned.compares);
      changes.push(...planned.changes);
    };
    add(this.deps.repository.replace(key.loaded, planned.record));
    // The public half follows the KMS key's state and shares: a grantee verifies with it.
    const { state, sharedWith, updatedAt } = planned.record;
    if (pair && (pair.record.state !== state || pair.record.sharedWith.join() !== sharedWith.join()))
      add(this.deps.repository.replace(pair.loaded, { ...pair.record, state, sharedWith, updatedAt }));
    const approval = await key.approval();
    await this.deps.writer.commit({
      compares: [...compares, ...(approval?.compares ?? [])],
      changes: [...changes, ...(approval?.changes ?? [])],
      event: { ...event, result: 'success', details: { state, ...grantDetails(change), ...approval?.details } },
    });
    return planned.record;
  }
}

/** What the audit event says of a grant change: its id and grantee, never more. */
function grantDetails(change: KmsChange): Record<string, string> {
  if (change.kind === 'grant') return { grantId: change.grant.grantId, grantee: change.grant.grantee };
  if (change.kind === 'remove-grant') return { grantId: change.grantId };
  return {};
}
