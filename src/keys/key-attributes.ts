import type { AuditEventInput } from '../audit/audit-event.js';
import { CofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { QuorumService } from '../identity/quorum-service.js';
import type { Session } from '../identity/sessions.js';
import { planAttributeChange, type AttributeChangeRequest } from '../objects/attributes.js';
import type { KeyRecord } from '../objects/key-record.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { KeyRepository, LoadedKey } from './key-repository.js';

/** What the key-management services (attributes, sharing) need. */
export interface KeyAdminDeps {
  readonly keys: { visible(session: Session, handleInput: string): Promise<LoadedKey> };
  readonly repository: Pick<KeyRepository, 'replace'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly clock?: () => Date;
  /** The key-management quorum (a key's own value); none when absent. */
  readonly quorum?: Pick<QuorumService, 'approve'>;
}

/** Audits a refusal, then throws it. */
export async function refuseAudited(
  writer: Pick<RecordWriter, 'commit'>,
  event: Omit<AuditEventInput, 'result' | 'code'>,
  code: ErrorCode,
  detail: string,
): Promise<never> {
  await writer.commit({ event: { ...event, result: 'failure', code } });
  throw new CofferError(code, detail);
}

/**
 * Commits a new version of a key record (same material) with its audit event; the commit
 * compares the record's revision, so a concurrent change makes this one fail with CONFLICT
 * rather than be lost.
 */
export async function commitKeyChange(
  deps: KeyAdminDeps,
  loaded: LoadedKey,
  next: KeyRecord,
  event: Omit<AuditEventInput, 'result'>,
  /** The session whose key-management quorum approval this change needs (issue 4). */
  approvalFor?: Session,
): Promise<void> {
  const { compares, changes } = deps.repository.replace(loaded, next);
  // The key-management quorum: its token is consumed in this same commit.
  const approval = approvalFor && (await deps.quorum?.approve(approvalFor, 'key-management', loaded.record));
  await deps.writer.commit({
    compares: [...compares, ...(approval?.compares ?? [])],
    changes: [...changes, ...(approval?.changes ?? [])],
    event: { ...event, result: 'success', details: { ...event.details, ...approval?.details } },
  });
}

/**
 * PATCH /v1/keys/:handle (`key set-attribute`): the owner changes attributes as the attribute
 * table allows; an admin may change only what the table gives an admin (CKA_TRUSTED). Shared
 * users may use a key but not manage it. All of a request applies, or none of it.
 */
export class KeyAttributeService {
  private readonly clock: () => Date;

  constructor(private readonly deps: KeyAdminDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async set(session: Session, handleInput: string, request: AttributeChangeRequest): Promise<KeyRecord> {
    if (Object.keys(request).every((name) => name === 'attributes') && isEmpty(request.attributes))
      throw new CofferError('MISSING_FIELD', 'nothing to change');
    const loaded = await this.deps.keys.visible(session, handleInput);
    const { record } = loaded;
    const event = { actor: session.username, action: 'key.set-attribute', target: `key/${record.handle}` };
    const actor = session.role === 'admin' ? 'admin' : 'owner';
    if (actor === 'owner' && record.owner !== session.username) {
      await refuseAudited(this.deps.writer, event, 'PERMISSION_DENIED', 'only the owner may change a key');
    }
    const plan = planAttributeChange(record, request, actor);
    if (!plan.ok) return refuseAudited(this.deps.writer, event, plan.code, `${plan.attribute}: ${plan.reason}`);
    if (plan.changed.length === 0) return record;
    const { startDate: _start, endDate: _end, ...kept } = record;
    const next: KeyRecord = { ...kept, ...plan.fields, updatedAt: this.clock().toISOString() };
    await commitKeyChange(this.deps, loaded, next, { ...event, details: { changed: plan.changed.join(',') } }, session);
    return next;
  }
}

function isEmpty(attributes: AttributeChangeRequest['attributes']): boolean {
  return attributes === undefined || Object.keys(attributes).length === 0;
}
