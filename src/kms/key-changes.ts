import type { ErrorCode } from '../errors/registry.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord, KeyState } from '../objects/key-record.js';
import type { KmsMetadata, KmsTag } from '../objects/kms-metadata.js';
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
  | { readonly kind: 'rotation'; readonly rotation: KmsMetadata['rotation'] };

/** KMS's limit on tags a key. */
export const MAX_TAGS = 50;

/**
 * Which changes each state allows, and the state they lead to (KMS's key state table, over
 * Coffer's states): a key pending deletion takes only a cancellation, which leaves it disabled.
 */
const TRANSITIONS: Readonly<Record<KmsChange['kind'], Partial<Record<KeyState, KeyState>>>> = {
  enable: { enabled: 'enabled', disabled: 'enabled' },
  disable: { enabled: 'disabled', disabled: 'disabled' },
  'schedule-deletion': { enabled: 'pending-deletion', disabled: 'pending-deletion' },
  'cancel-deletion': { 'pending-deletion': 'disabled' },
  description: { enabled: 'enabled', disabled: 'disabled' },
  tag: { enabled: 'enabled', disabled: 'disabled' },
  untag: { enabled: 'enabled', disabled: 'disabled' },
  rotation: { enabled: 'enabled', disabled: 'disabled' },
};

export type Planned =
  | { readonly ok: true; readonly record: KeyRecord }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

/** The record after a change, or why the change is refused. */
export function planKmsChange(record: KeyRecord, change: KmsChange, now: string): Planned {
  const kms = record.kms;
  if (!kms) return { ok: false, code: 'KEY_NOT_FOUND', detail: 'not a KMS key' };
  const state = TRANSITIONS[change.kind][record.state];
  if (state === undefined)
    return { ok: false, code: 'KMS_INVALID_STATE', detail: `the key is ${record.state}; ${change.kind} is refused` };
  const { deletionDate: _deletionDate, ...kept } = kms;
  const next = (metadata: KmsMetadata): Planned => ({
    ok: true,
    record: { ...record, state, kms: metadata, updatedAt: now },
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
  }
}

export interface KmsKeyChangeDeps {
  readonly repository: Pick<KeyRepository, 'replace'>;
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
    if (pair && pair.record.state !== planned.record.state)
      add(
        this.deps.repository.replace(pair.loaded, {
          ...pair.record,
          state: planned.record.state,
          updatedAt: planned.record.updatedAt,
        }),
      );
    const approval = await key.approval();
    await this.deps.writer.commit({
      compares: [...compares, ...(approval?.compares ?? [])],
      changes: [...changes, ...(approval?.changes ?? [])],
      event: { ...event, result: 'success', details: { state: planned.record.state, ...approval?.details } },
    });
    return planned.record;
  }
}
