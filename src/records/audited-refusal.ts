import type { AuditEventInput } from './audit-chain.js';
import { CofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { RecordWriter } from './record-writer.js';

/**
 * Refuses an operation the audited way: the refusal is appended to the audit log first (so
 * every refusal is on record, and a refusal that cannot be recorded fails loudly), then thrown.
 */
export async function refuseAudited(
  writer: Pick<RecordWriter, 'commit'>,
  event: Omit<AuditEventInput, 'result' | 'code'>,
  code: ErrorCode,
  detail?: string,
): Promise<never> {
  await writer.commit({ event: { ...event, result: 'failure', code } });
  throw new CofferError(code, detail);
}
