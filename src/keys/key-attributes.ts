import type { AuditEventInput } from '../audit/audit-event.js';
import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import { planAttributeChange, type AttributeChangeRequest } from '../objects/attributes.js';
import type { KeyRecord } from '../objects/key-record.js';
import { refuseAudited } from '../records/audited-refusal.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { KeyRepository } from './key-repository.js';
import type { Admission } from './key-use-gate.js';
import type { SessionKeys } from './session-keys.js';

/** What the key-management services (attributes, sharing) need. */
export interface KeyAdminDeps {
  readonly repository: Pick<KeyRepository, 'replace'>;
  /** Session keys change in memory only: they are never written to the store. */
  readonly sessionKeys?: Pick<SessionKeys, 'replace'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly clock?: () => Date;
}

export { refuseAudited };

/**
 * Commits a new version of a key record (same material) with its audit event and the
 * key-management approval its admission asks for; the commit compares the record's revision,
 * so a concurrent change makes this one fail with CONFLICT rather than be lost. A session key
 * is replaced in memory instead: only its audit event is written.
 */
export async function commitKeyChange(
  deps: KeyAdminDeps,
  admitted: Admission,
  next: KeyRecord,
  event: Omit<AuditEventInput, 'result'>,
): Promise<void> {
  if (admitted.record.attributes.token === false) {
    // Replaced before the event is written, so two concurrent changes cannot both apply.
    if (deps.sessionKeys && !deps.sessionKeys.replace(admitted.record, next)) throw new CofferError('CONFLICT');
    await deps.writer.commit({ event: { ...event, result: 'success' } });
    return;
  }
  const { compares, changes } = deps.repository.replace(admitted.loaded, next);
  const approval = await admitted.approval();
  await deps.writer.commit({
    compares: [...compares, ...(approval?.compares ?? [])],
    changes: [...changes, ...(approval?.changes ?? [])],
    event: { ...event, result: 'success', details: { ...event.details, ...approval?.details } },
  });
}

/**
 * PATCH /v1/keys/:handle (`key set-attribute`): the owner changes attributes as the attribute
 * table allows; an admin may change only what the table gives an admin (CKA_TRUSTED). The gate
 * admitted the caller as owner or admin; shared users may use a key but not manage it. All of a
 * request applies, or none of it.
 */
export class KeyAttributeService {
  private readonly clock: () => Date;

  constructor(private readonly deps: KeyAdminDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async set(session: Session, admitted: Admission, request: AttributeChangeRequest): Promise<KeyRecord> {
    if (Object.keys(request).every((name) => name === 'attributes') && isEmpty(request.attributes))
      throw new CofferError('MISSING_FIELD', 'nothing to change');
    const { record } = admitted;
    const event = { actor: session.username, action: 'key.set-attribute', target: `key/${record.handle}` };
    const actor = record.owner === session.username ? 'owner' : 'admin';
    const plan = planAttributeChange(record, request, actor);
    if (!plan.ok) return refuseAudited(this.deps.writer, event, plan.code, `${plan.attribute}: ${plan.reason}`);
    if (plan.changed.length === 0) return record;
    const { startDate: _start, endDate: _end, ...kept } = record;
    const next: KeyRecord = { ...kept, ...plan.fields, updatedAt: this.clock().toISOString() };
    await commitKeyChange(this.deps, admitted, next, { ...event, details: { changed: plan.changed.join(',') } });
    return next;
  }
}

function isEmpty(attributes: AttributeChangeRequest['attributes']): boolean {
  return attributes === undefined || Object.keys(attributes).length === 0;
}
